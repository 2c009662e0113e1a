"""Commands that turn evidence into documents: profile set/show, report, export."""

from __future__ import annotations

import json
from pathlib import Path

import click

from complaints.channels import CHANNELS
from evidence import profile as core_profile
from evidence.errors import UsageError
from locker.context import AppContext, read_text_input
from locker.options import json_option, output_option, pass_app
from locker.output import emit_json, printable, status


@click.group()
def profile() -> None:
    """Your details as the complainant (stored encrypted; needed by reports).

    \b
    Example:
      locker profile set --from-file me.txt
    """


# Labels a profile file may use besides the field names: the option spellings and the
# Chinese labels the complaint forms print.
PROFILE_LABELS = {
    **{f: f for f in core_profile.FIELDS},
    "id-number": "id_number",
    "姓名": "name",
    "身份证号": "id_number",
    "电话": "phone",
    "地址": "address",
}
PROFILE_FILE_HELP = """\b
A profile file (UTF-8) is one "field: value" per line, or a JSON object:
  name: 王五
  id_number: 440305199202021234
  phone: 13600000000
  address: 深圳市南山区科技园一路1号
Fields: name, id_number, phone, address (or 姓名, 身份证号, 电话, 地址).
Blank lines and lines starting with # are skipped; a field left out is kept."""


@profile.command(name="set", epilog=PROFILE_FILE_HELP)
@click.option(
    "--from-file",
    "from_file",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Read the details from this file (- for stdin; format below).",
)
@click.option("--name", help="Your full name (姓名).")
@click.option(
    "--id-number",
    help="Your ID card number (身份证号). Kept for scripts, but other users can see it in `ps` "
    "and it stays in your shell history: prefer --from-file or the prompt.",
)
@click.option("--phone", help="A phone number the authority can reach you on.")
@click.option("--address", help="Your postal address.")
@pass_app
def profile_set(
    app: AppContext,
    from_file: Path | None,
    name: str | None,
    id_number: str | None,
    phone: str | None,
    address: str | None,
) -> None:
    """Set some or all of your details.

    Without options, in a terminal, it asks for each detail (the ID card number without
    echo; Enter keeps what is stored). --from-file FILE (- for stdin) reads them from a
    file. Both keep your ID card number off the command line, where other users of the
    computer can read it in `ps` and your shell history keeps it.

    \b
    Example:
      locker profile set --from-file me.txt
      locker profile set --name 王五 --phone 13600000000
    """
    given = {"name": name, "id_number": id_number, "phone": phone, "address": address}
    values = {k: v for k, v in given.items() if v is not None}
    if from_file is not None:
        from_text = _parse_profile(read_text_input(from_file, "profile file"))
        both = sorted(set(values) & set(from_text))
        if both:
            raise UsageError(f"given both in the file and as an option: {', '.join(both)}")
        values.update(from_text)
    elif not values and not app.interactive:
        raise UsageError("give your details with --from-file FILE (or -), options, or in a terminal")
    store = app.store()
    if not values and from_file is None:
        values = _ask_profile()
    if not values:
        raise UsageError("nothing to set: no detail was given")
    saved = core_profile.set_profile(store, dict(values))
    status(f"profile has: {', '.join(sorted(saved))}")


def _parse_profile(text: str) -> dict[str, str]:
    """Field → value from a profile file; errors say where, never a value (it is personal data)."""
    pairs: list[tuple[str, str, object]] = []  # (where, label, value)
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise UsageError(f"the profile file is not valid JSON (line {e.lineno})") from e
        if not isinstance(doc, dict):
            raise UsageError('the profile file\'s JSON must be an object such as {"name": "王五"}')
        pairs = [("JSON", str(k), v) for k, v in doc.items()]
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            # A full-width colon is what a Chinese input method types.
            label, sep, value = line.replace("：", ":", 1).partition(":")
            if not sep:
                raise UsageError(f"profile file, line {n}: write it as field: value")
            pairs.append((f"line {n}", label, value))
    out: dict[str, str] = {}
    for where, label, given in pairs:
        field = PROFILE_LABELS.get(label.strip().lower())
        if field is None:
            fields = ", ".join(core_profile.FIELDS)
            raise UsageError(f"profile file, {where}: unknown field (the fields are {fields})")
        if given is None:
            continue
        if not isinstance(given, str):
            raise UsageError(f"profile file, {where}: the value of {field} must be text")
        if field in out:
            raise UsageError(f"profile file, {where}: {field} is given twice")
        if given.strip():
            out[field] = given.strip()
    return out


def _ask_profile() -> dict[str, str]:
    """Ask for each detail in the terminal; Enter skips one. The ID card number is not echoed,
    so asked twice to catch typos."""
    labels = {"name": "Name (姓名)", "phone": "Phone (电话)", "address": "Address (地址)"}
    out: dict[str, str] = {}
    status("Enter keeps what is stored.")
    for field in core_profile.FIELDS:
        if field == "id_number":
            value = click.prompt(
                "ID card number (身份证号, not shown)",
                default="",
                show_default=False,
                hide_input=True,
                err=True,
            )
            if value.strip() and value != click.prompt(
                "ID card number again", default="", show_default=False, hide_input=True, err=True
            ):
                raise UsageError("the two ID card numbers differ; nothing was changed")
        else:
            value = click.prompt(labels[field], default="", show_default=False, err=True)
        if value.strip():
            out[field] = value.strip()
    return out


@profile.command(name="show")
@json_option
@pass_app
def profile_show(app: AppContext, as_json: bool) -> None:
    """Print your details.

    \b
    Example:
      locker profile show
    """
    values = core_profile.get_profile(app.store())
    if as_json:
        emit_json({f: values.get(f) for f in core_profile.FIELDS})
        return
    for f in core_profile.FIELDS:
        click.echo(f"{f:10} {printable(values.get(f, '(not set)'))}")


@click.command()
@click.option(
    "--to",
    "channel",
    required=True,
    type=click.Choice(CHANNELS),
    help="The authority the complaint is shaped for.",
)
@click.option("--party", help="Only this respondent's evidence (recommended: one complaint per lender).")
@click.option("--since", help="From this date (2026-08-11).")
@click.option("--until", help="Up to this date (inclusive).")
@click.option(
    "--addressee",
    help="The office it goes to, as it will be printed: e.g. 深圳市公安局南山分局某某派出所 (the police "
    "form leaves blanks for it otherwise).",
)
@click.option(
    "--font", type=click.Path(path_type=Path, dir_okay=False), help="A Chinese TrueType font to embed."
)
@click.option(
    "--cover",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write a cover sheet for you (how to submit, what to attach) to this PDF.",
)
@output_option("the PDF")
@pass_app
def report(
    app: AppContext,
    channel: str,
    party: str | None,
    since: str | None,
    until: str | None,
    addressee: str | None,
    font: Path | None,
    cover: Path | None,
    out: Path,
) -> None:
    """Write a complaint PDF in Simplified Chinese for one authority, with its evidence list.

    \b
    Channels: 12321 (spam and harassment), 12315 (market regulator: collection companies),
    nifa (internet finance association), police (报案材料), 12378 (banks, consumer finance).

    \b
    The filing holds only what the authority reads; how to submit it is printed here, and
    --cover writes it, with what to attach and what to expect, as a separate page for you.

    \b
    Example:
      locker report --to 12321 --party 好借花 -o 12321.pdf --cover 12321-说明.pdf
    """
    from complaints.assembly import assemble_complaint, cover_text
    from complaints.gather import gather_case
    from complaints.render import render_complaint_pdf, render_cover_pdf
    from evidence import custody
    from evidence.events import parse_when
    from evidence.outputs import check_output_path

    check_output_path(out)  # a wrong -o is said first, before anything else is asked for
    if cover is not None:
        check_output_path(cover)
        if cover.resolve() == out.resolve():
            raise UsageError("--cover needs its own file, not the report's")
    store = app.store()
    from evidence import attribution

    attribution.bring_up_to_date(store)  # the document says why each number is the party's
    case = gather_case(store, party)
    complaint = assemble_complaint(
        channel,
        case,
        since=parse_when(since, store.timezone) if since else None,
        until=parse_when(until, store.timezone, end=True) if until else None,
        addressee=addressee,
    )
    result = render_complaint_pdf(complaint, out, font, home=store.home)
    with store.transaction() as s:
        custody.append(
            s,
            "report",
            {
                "channel": channel,
                "party": party,
                "findings": len(complaint.findings),
                "items": len(complaint.evidence),
                "pages": result.pages,
                "pdf_sha256": result.sha256,  # which PDF this entry is about
            },
            store.now(),
        )
    for w in result.warnings:
        status(f"warning: {w}")
    status(
        f"wrote {out}: {result.pages} pages, {len(complaint.findings)} findings on "
        f"{len(complaint.events)} distinct events, {len(complaint.evidence)} evidence items "
        f"(custody head {case.custody_head[:16]}…)"
    )
    if cover is not None:
        render_cover_pdf(cover_text(complaint, result.pages), cover, font, home=store.home)
        status(f"wrote {cover}: the cover sheet, for you (not part of the filing)")
    else:
        for step in complaint.channel.submit:
            status(f"to submit: {step}")


@click.command(name="export")
@click.option("--party", help="Only this respondent's findings, events and originals.")
@click.option(
    "--with-whole-originals",
    is_flag=True,
    help="With --party: put whole originals in even when they hold other people's records "
    "(whole SMS and call exports) instead of extracts of the party's records.",
)
@click.option(
    "--report",
    "reports",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="A report PDF to include (repeatable).",
)
@output_option("the ZIP")
@pass_app
def export(
    app: AppContext, party: str | None, with_whole_originals: bool, reports: tuple[Path, ...], out: Path
) -> None:
    """Write a bundle a lawyer can verify without locker: a BagIt bag in a ZIP.

    It holds the originals, the reports you name, the custody log, events and findings as
    CSV, SHA-256 manifests and a bilingual VERIFY.txt. With --party it holds only what
    concerns that party: an original that also holds other people's records (an SMS or
    call export) goes in as an extract of the party's records, and custody log entries
    about anything else keep only their hashes.

    \b
    Example:
      locker export --party 好借花 --report 12321.pdf -o bundle.zip
    """
    from complaints.bundle import export_bundle
    from complaints.gather import custody_log, gather_case
    from evidence import custody

    if with_whole_originals and party is None:
        raise UsageError("--with-whole-originals goes with --party: without it every original is whole")
    store = app.store()
    from evidence import attribution

    attribution.bring_up_to_date(store)  # the party's numbers include those its messages link
    case = gather_case(store, party)
    result = export_bundle(
        case, out, list(reports), custody_log(store), whole_originals=with_whole_originals, home=store.home
    )
    with store.transaction() as s:
        custody.append(
            s,
            "export",
            {
                "party": party,
                "originals": result.originals,
                "extracts": result.extracts,
                "whole_originals": with_whole_originals,
            },
            store.now(),
        )
    if result.exposures:
        records = sum(x.other_records for x in result.exposures)
        numbers = sum(x.other_numbers for x in result.exposures)
        status(
            f"warning: {len(result.exposures)} whole originals also hold {records} records of other "
            f"people ({numbers} numbers that are not {party}'s, counted per original): "
            "whoever gets this bundle can read them"
        )
    extracts = f", {result.extracts} extracts" if result.extracts else ""
    status(f"wrote {out}: {result.originals} originals{extracts}, custody head {case.custody_head[:16]}…")


COMMANDS: list[click.Command] = [profile, report, export]
