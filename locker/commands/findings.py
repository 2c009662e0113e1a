"""Commands over violations: findings, confirm, dismiss, loan add, triage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import click

from locker.app import UsageError, views
from locker.app import findings as use
from locker.app.vocabulary import CATEGORIES, FINDING_STATUSES, LENDER_TYPES
from locker.context import AppContext, read_text_input
from locker.options import AMOUNT, DAY, ID, json_option, parse_amount, parse_day, pass_app
from locker.output import emit_json, iso_local, printable, status

# A decided finding says so; an automatic one is the usual case and says nothing.
_MARK = {s: "" if s == "auto" else f" [{s}]" for s in FINDING_STATUSES}


def _print_findings(listing: use.FindingListing, suggestions: bool) -> None:
    for f in listing.findings:
        when = (iso_local(f.at, listing.timezone) or "")[:16].replace("T", " ")
        who = printable(f.party or _numbers(f.numbers))
        click.echo(f"#{f.id}  category {f.category}  {when}  {who}  ({f.strength}){_MARK[f.status]}")
        # Explanations quote collectors' messages: printable keeps their control characters inert.
        click.echo(f"     {printable(f.explanation)}")
        click.echo(
            f"     events {', '.join(map(str, f.events[:12]))}{' …' if len(f.events) > 12 else ''}; "
            f"items {', '.join(map(str, f.items))}"
        )
    # Findings are not acts: one message can be in three categories, one call both frequent and late.
    if suggestions:
        status(
            f"{len(listing.findings)} suggestions on {listing.acts} events: "
            "`locker confirm N` files one, `locker dismiss N` drops it"
        )
        return
    status(
        f"{len(listing.findings)} findings on {listing.acts} distinct events "
        "(an event in several categories counts once)"
    )
    if listing.waiting:
        status(f"{listing.waiting} suggestions to review: `locker findings --suggestions`")


@click.command(name="findings")
@click.option(
    "--category",
    type=click.IntRange(min(CATEGORIES), max(CATEGORIES)),
    help="Only this category (1–10).",
)
@click.option("--party", help="Only findings against this party.")
@click.option(
    "--suggestions",
    is_flag=True,
    help="Instead: what the statistical model suggests and no rule found, for you to confirm or dismiss.",
)
@json_option
@pass_app
def findings_cmd(
    app: AppContext, category: int | None, party: str | None, suggestions: bool, as_json: bool
) -> None:
    """The violations found in the evidence, each with its explanation and the events behind it.

    \b
    Categories: 1 contacts harassed, 2 too many calls a day (connected calls, attempts and
    unanswered attempts per number, each against its own limit), 3 contact at night
    (22:00–08:00 strong; 21:00–22:00 weak, listed apart), 4 personal data disclosed,
    5 threats or insults, 6 visits, 7 posing as police/courts, 8 pushing new loans,
    9 SMS or call bombing, 10 fees above the legal caps.

    A text finding quotes the words that made it and names the act it judged them to be.
    A message in several categories is one message: totals count it once.

    A model trained on labelled messages also suggests categories the rules did not find
    (veiled threats, dialect). Suggestions are not findings: they are listed with
    --suggestions, and go into reports only once you `locker confirm` them.

    \b
    Example:
      locker findings --category 3
    """
    listing = use.list_findings(app.store, category=category, party=party, suggestions=suggestions)
    if as_json:
        emit_json([views.finding(f, listing.timezone) for f in listing.findings])
    else:
        _print_findings(listing, suggestions)


def _numbers(numbers: tuple[str, ...], shown: int = 3) -> str:
    more = f" and {len(numbers) - shown} more" if len(numbers) > shown else ""
    return ", ".join(numbers[:shown]) + more


@click.command()
@click.argument("finding_id", type=ID)
@pass_app
def confirm(app: AppContext, finding_id: int) -> None:
    """Confirm a finding (kept across re-runs; reports mark it confirmed).

    \b
    Example:
      locker confirm 4
    """
    use.confirm(app.store, finding_id)
    status(f"finding {finding_id} confirmed")


@click.command()
@click.argument("finding_id", type=ID)
@click.option("--why", required=True, help="Why it is not a violation (kept with the evidence).")
@pass_app
def dismiss(app: AppContext, finding_id: int, why: str) -> None:
    """Dismiss a finding; it stays out of reports, and the reason is logged.

    \b
    Example:
      locker dismiss 7 --why "这是我自己约定的还款提醒时间"
    """
    use.dismiss(app.store, finding_id, why)
    status(f"finding {finding_id} dismissed")


def _schedule(parts: tuple[str, ...]) -> list[tuple[date, Decimal]]:
    """Repayments as DATE=AMOUNT, repeated or comma-separated (none: `add_loan` says what to give)."""
    out = []
    for part in parts:
        for entry in part.split(","):
            if not entry.strip():
                continue
            day, _, amount = entry.strip().partition("=")
            try:
                repayment = (parse_day(day), parse_amount(amount))
            except ValueError as e:
                raise UsageError(
                    f"a repayment is DATE=AMOUNT, e.g. 2026-07-01=1200 (got {entry.strip()!r}: {e})"
                ) from e
            out.append(repayment)
    return out


@click.group()
def loan() -> None:
    """Loans as agreed, to check interest and fees against the legal caps (category 10).

    \b
    Example:
      locker loan add --party 好借花 --principal 5000 --received 3500 \\
        --start 2026-06-01 --schedule 2026-06-08=5000
    """


@loan.command(name="add")
@click.option("--party", required=True, help="The lender.")
@click.option("--principal", required=True, type=AMOUNT, help="The amount on the contract (借款金额).")
@click.option(
    "--received", required=True, type=AMOUNT, help="What actually reached you (到账金额); less means 砍头息."
)
@click.option("--start", required=True, type=DAY, help="Date the money arrived (2026-06-01).")
@click.option(
    "--schedule",
    multiple=True,
    required=True,
    help="Repayments as DATE=AMOUNT, repeatable or comma-separated.",
)
@click.option(
    "--lender-type",
    type=click.Choice(list(LENDER_TYPES)),
    help="Which caps apply (4×LPR applies to private lending only).",
)
@json_option
@pass_app
def loan_add(
    app: AppContext,
    party: str,
    principal: Decimal,
    received: Decimal,
    start: date,
    schedule: tuple[str, ...],
    lender_type: str | None,
    as_json: bool,
) -> None:
    """Record a loan and show its effective annual rate against the caps.

    \b
    Example:
      locker loan add --party 好借花 --principal 5000 --received 3500 \\
        --start 2026-06-01 --schedule 2026-06-08=5000
    """
    result = use.add_loan(app.store, party, principal, received, start, _schedule(schedule), lender_type)
    doc = views.plain(result)
    if as_json:
        emit_json(doc)
    else:
        for k, v in doc.items():
            click.echo(f"{k:24} {printable(str(v))}")


def _message(app: AppContext, text: str | None, text_file: Path | None) -> str:
    """The message: TEXT, --file, a prompt in a terminal, else stdin."""
    if text is not None and text_file is not None:
        raise UsageError("give the message once: as TEXT or with --file")
    if text_file is not None:
        return read_text_input(text_file, "message file")
    if text is None and app.interactive:
        return str(click.prompt("Message text", err=True))
    if text is None:
        return read_text_input(Path("-"), "message on stdin")
    return text


@click.command()
@click.option("--from", "sender", help="The number the message came from.")
@click.option(
    "--file",
    "text_file",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Read the message from this UTF-8 file (- for stdin; at most 1 MiB).",
)
@click.argument("text", required=False)
@json_option
@pass_app
def triage(
    app: AppContext, sender: str | None, text_file: Path | None, text: str | None, as_json: bool
) -> None:
    """Is this message real? Judge one message about courts, mediation or arrest without adding it.

    The message comes from --file FILE (- for stdin), from stdin when it is not a terminal,
    or is asked for in a terminal (one line). TEXT on the command line still works, but
    other users of the computer can read it in `ps` and your shell history keeps it.
    Needs no locker.

    \b
    Example:
      locker triage --from 12368 --file message.txt
    """
    result = use.triage(_message(app, text, text_file), sender)
    if as_json:
        emit_json(views.plain(result))
        return
    # The explanation and red flags may quote the message: printable keeps it inert.
    click.echo(printable(result.explanation))
    click.echo(f"  · {printable(result.sender_note)}")
    for _code, description in result.red_flags:
        click.echo(f"  ⚠ {printable(description)}")
    for line in result.advice:
        click.echo(f"  → {printable(line)}")


COMMANDS = [findings_cmd, confirm, dismiss, loan, triage]
