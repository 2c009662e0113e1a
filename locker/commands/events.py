"""Commands over events and parties: events, log, transcribe, party add/set/ls/show/suggest."""

from __future__ import annotations

from pathlib import Path

import click

from locker.app import UsageError, intake, parties, views
from locker.app.findings import EventListing, list_events
from locker.app.vocabulary import CALL_STATUSES, DECLARABLE, DIRECTIONS, EVENT_KINDS, LENDER_TYPES
from locker.context import AppContext, read_text_input
from locker.options import DURATION, ID, json_option, pass_app
from locker.output import emit_json, iso_local, status, table


def _print_events(listing: EventListing) -> None:
    tz = listing.timezone
    if listing.days is not None:
        kinds = sorted({k for _, c in listing.days for k in c})
        table(
            [(d, *(c.get(k, 0) for k in kinds), sum(c.values())) for d, c in listing.days],
            ["date", *kinds, "total"],
        )
        return
    table(
        [
            (
                e.id,
                iso_local(e.at, tz)[:19].replace("T", " ") + ("*" if e.tz_assumed else ""),  # type: ignore[index]
                e.kind + (" (declared)" if e.declared else ""),
                e.direction or "",
                e.number or "-",
                e.party or "",
                e.status or "",
                _one_line(e.text),
            )
            for e in listing.events
        ],
        ["id", "local time", "kind", "dir", "number", "party", "status", "text"],
    )
    if any(e.tz_assumed for e in listing.events):
        status(f"* the source gave no timezone; {tz.key} was assumed")


@click.command(name="events")
@click.option("--number", help="Only this number (any spelling: +86 171 5555 0001 = 17155550001).")
@click.option("--party", help="Only the numbers of this party.")
@click.option("--kind", type=click.Choice(EVENT_KINDS))
@click.option("--since", help="From this date or time (2026-08-11, or 2026-08-11T21:00).")
@click.option("--until", help="Up to this date or time (a date includes the whole day).")
@click.option("--per-day", is_flag=True, help="Counts per local day and kind instead of a listing.")
@json_option
@pass_app
def events_cmd(
    app: AppContext,
    number: str | None,
    party: str | None,
    kind: str | None,
    since: str | None,
    until: str | None,
    per_day: bool,
    as_json: bool,
) -> None:
    """List the dated events extracted from the evidence, oldest first.

    \b
    Example:
      locker events --party 好借花 --since 2026-08-11 --until 2026-08-14
    """
    listing = list_events(
        app.store, number=number, party=party, kind=kind, since=since, until=until, per_day=per_day
    )
    if not as_json:
        _print_events(listing)
    elif listing.days is not None:
        emit_json([views.day_counts(d, c) for d, c in listing.days])
    else:
        emit_json([views.event(e, listing.timezone) for e in listing.events])


def _one_line(text: str | None, width: int = 40) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@click.command(name="log")
@click.argument("kind", type=click.Choice(DECLARABLE))
@click.option("--number", help="The collector's number (needed for call and sms).")
@click.option("--at", "at", required=True, help="When: 2026-08-11T22:40 (locker timezone) or with an offset.")
@click.option("--direction", type=click.Choice(DIRECTIONS), default="in", show_default=True)
@click.option("--duration", type=DURATION, help="Call length in seconds.")
@click.option("--status", type=click.Choice(CALL_STATUSES))
@click.option(
    "--text-file",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Read what was said or written from this UTF-8 file (- for stdin; at most 1 MiB).",
)
@click.option(
    "--text",
    help="The text on the command line (kept for scripts; other users can see it in `ps` and it "
    "stays in your shell history: prefer --text-file or the prompt).",
)
@click.option(
    "--attach",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="A photo or recording that shows it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@pass_app
def log_cmd(
    app: AppContext,
    kind: str,
    number: str | None,
    at: str,
    direction: str,
    duration: float | None,
    status: str | None,
    text_file: Path | None,
    text: str | None,
    attach: Path | None,
    as_json: bool,
) -> None:
    """Record what has no export: a call, SMS, visit, post or letter you saw (marked as declared).

    The text (what was said or written) comes from --text-file FILE (- for stdin), or is
    asked for in a terminal (one line; Enter for none). Both keep it off the command
    line, where other users of the computer can read it in `ps` and your shell history
    keeps it; --text still works for scripts.

    \b
    Example:
      locker log visit --at 2026-08-15T19:30 --text-file visit.txt --attach door.jpg
    """
    ask = _ask_text if text is None and text_file is None and app.interactive else None
    done = intake.log(
        app.store,
        kind,
        at,
        number=number,
        direction=direction,
        duration=duration,
        status=status,
        text=_given_text(text, text_file),
        attach=attach,
        ask_text=ask,
    )
    if as_json:
        emit_json(views.declared(done))
    else:
        click.echo(f"declared {kind} recorded as event {done.event} (item {done.item})")


def _given_text(text: str | None, text_file: Path | None) -> str | None:
    if text is not None and text_file is not None:
        raise UsageError("give the text once: --text or --text-file")
    if text_file is not None:
        return read_text_input(text_file, "text file").rstrip("\r\n")
    return text


def _ask_text() -> str | None:
    answer = click.prompt(
        "What was said or written (Enter for none)", default="", show_default=False, err=True
    )
    return answer if answer.strip() else None


@click.command(name="transcribe")
@click.argument("item_id", type=ID)
@click.option(
    "--from-file",
    "source",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Your transcript, UTF-8 (- for stdin): a line per passage, its time in the recording first.",
)
@click.option("--number", help="The other side's number, when the recording's file name has none.")
@json_option
@pass_app
def transcribe_cmd(app: AppContext, item_id: int, source: Path, number: str | None, as_json: bool) -> None:
    """Add your transcript of a recording: sealed as your declaration, its words judged like messages.

    Each passage starts with its time within the recording and who speaks (对方 for the
    other side, 我 for you); a line without a time continues the passage above. What the other
    side said is checked for threats, visits and the rest, and quoted in reports as your
    transcript (本人整理的通话录音文字稿), dated at the recording's start plus the passage's time.

    \b
    Example (t.txt):
      00:05 对方：你是王五吧？你欠好借花的钱什么时候还？
      00:21 我：请不要再打扰我。
      01:40 对方：今天不还，明天我们就去你单位找你。
    then:
      locker transcribe 3 --from-file t.txt
    """
    done = intake.transcribe(app.store, item_id, read_text_input(source, "transcript"), number)
    if as_json:
        emit_json(views.transcribed(done))
    else:
        click.echo(
            f"transcript of recording {item_id} sealed as item {done.item}: {len(done.events)} passages"
        )


@click.group()
def party() -> None:
    """Lenders and collectors: group their numbers and SMS signatures so counts add up.

    \b
    Example:
      locker party add 好借花 --number 17155550001 --number 10691110001 --signature 【好借花】
    """


@party.command(name="add")
@click.argument("name")
@click.option("--number", "numbers", multiple=True, help="A number of this party (repeat for more).")
@click.option(
    "--signature", "signatures", multiple=True, help="An SMS signature such as 【好借花】 (repeatable)."
)
@click.option(
    "--loan-ref",
    "loan_refs",
    multiple=True,
    help="Your loan or contract number with this lender, as its messages quote it (repeatable).",
)
@pass_app
def party_add(
    app: AppContext,
    name: str,
    numbers: tuple[str, ...],
    signatures: tuple[str, ...],
    loan_refs: tuple[str, ...],
) -> None:
    """Create a party, or add numbers, signatures and loan references to it.

    A number whose own messages carry the party's signature or name, or quote one of its
    loan references, is linked to it automatically, with the reason (`locker party show`);
    numbers you give here are yours to say, and always win.

    \b
    Example:
      locker party add 好借花 --number 17155550001 --number 075512345678
    """
    p = parties.add_party(app.store, name, numbers, signatures, loan_refs)
    status(f"party {p.name}: {len(p.numbers)} numbers, {len(p.signatures)} signatures")


@party.command(name="set")
@click.argument("name")
@click.option("--legal-name", help="The company's full name as on its business licence (营业执照).")
@click.option("--credit-code", help="Its 统一社会信用代码 (18 characters; checked).")
@click.option("--address", help="Its registered address (住所).")
@click.option("--app", "app_name", help="The app you borrowed through.")
@click.option("--lender-type", type=click.Choice(list(LENDER_TYPES)), help="What kind of lender it is.")
@click.option("--contract", help="Your contract: its number, date and amount, as written on it.")
@pass_app
def party_set(app: AppContext, name: str, **details: str | None) -> None:
    """Record who a party is in law, for the reports that must name a company.

    12315 and NIFA take a complaint only against an identified company (name and address);
    12378 takes only banks and consumer-finance companies. Find the details in the loan
    contract, the app's 关于我们 / 用户协议 page, or a genuine 12368 court message; look the
    company up on 国家企业信用信息公示系统. An empty value ("") clears a detail.

    \b
    Example:
      locker party set 闪电贷 --legal-name "某某网络小额贷款有限公司" --address "重庆市…" \\
        --credit-code 91500000MA5U00000W --app 闪电贷 --lender-type microloan
    """
    done = parties.set_identity(app.store, name, details)
    status(f"party {done.party.name}: {', '.join(k.replace('_', '-') for k in done.fields)} recorded")


@party.command(name="ls")
@json_option
@pass_app
def party_ls(app: AppContext, as_json: bool) -> None:
    """List the parties with their numbers and signatures.

    \b
    Example:
      locker party ls --json
    """
    listing = parties.list_parties(app.store, with_links=not as_json)
    if as_json:
        emit_json([views.party(p) for p in listing.parties])
        return
    by_messages = listing.linked_by_messages
    table(
        [
            (p.name, " ".join(p.numbers), " ".join(by_messages.get(p.name, [])), " ".join(p.signatures))
            for p in listing.parties
        ],
        ["party", "numbers", "linked by messages", "signatures"],
    )
    if by_messages:
        status("why each number is a party's: locker party show NAME")


@party.command(name="show")
@click.argument("name")
@json_option
@pass_app
def party_show(app: AppContext, name: str, as_json: bool) -> None:
    """Show a party's numbers, each with its source (user or messages) and the reason.

    Numbers its messages point at that are not linked (ambiguous, declared for another
    party, a saved contact, an official line) are listed after, with why.

    \b
    Example:
      locker party show 好借花
    """
    shown = parties.show_party(app.store, name)
    if as_json:
        emit_json(views.party_detail(shown.party, shown.links))
        return
    _print_party(shown)


def _print_party(shown: parties.PartyDetail) -> None:
    p = shown.party
    sigs, refs = " ".join(p.signatures) or "-", " ".join(p.loan_refs) or "-"
    status(f"party {p.name}: signatures {sigs}; loan refs {refs}")
    for field, value in views.identity(p).items():
        if value:
            status(f"  {field.replace('_', '-')}: {value}")
    table(
        [(x.number, x.source if x.linked else "-", views.link_text(x)) for x in shown.links],
        ["number", "source", "why"],
    )


@party.command(name="suggest")
@json_option
@pass_app
def party_suggest(app: AppContext, as_json: bool) -> None:
    """Numbers whose messages carry a party's signature or name: proposed, never merged.

    \b
    Example:
      locker party suggest
    """
    rows = parties.suggest_numbers(app.store)
    if as_json:
        emit_json([views.suggestion(s) for s in rows])
        return
    table(
        [(s.number, s.party, s.messages, s.reason) for s in rows], ["number", "party?", "messages", "because"]
    )
    if rows:
        status("add one with: locker party add NAME --number NUMBER")


COMMANDS = [events_cmd, log_cmd, transcribe_cmd, party]
