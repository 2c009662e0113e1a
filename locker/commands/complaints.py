"""Commands that turn evidence into documents: profile set/show, report, export."""

from __future__ import annotations

from pathlib import Path

import click

from locker.app import UsageError, documents
from locker.app.vocabulary import CHANNELS
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
    from_text = read_text_input(from_file, "profile file") if from_file is not None else None
    values = documents.profile_changes(given, from_text)
    if not values and from_file is None and not app.interactive:
        raise UsageError("give your details with --from-file FILE (or -), options, or in a terminal")
    ask = _ask_profile if not values and from_file is None else None
    saved = documents.set_profile(app.store, values, ask)
    status(f"profile has: {', '.join(saved)}")


def _ask_profile() -> dict[str, str]:
    """Ask for each detail in the terminal; Enter skips one. The ID card number is not echoed,
    so asked twice to catch typos."""
    labels = {"name": "Name (姓名)", "phone": "Phone (电话)", "address": "Address (地址)"}
    out: dict[str, str] = {}
    status("Enter keeps what is stored.")
    for field in documents.PROFILE_FIELDS:
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
    values = documents.get_profile(app.store)
    if as_json:
        emit_json(values)
        return
    for f, value in values.items():
        click.echo(f"{f:10} {printable(value if value is not None else '(not set)')}")


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
    request = documents.ReportRequest(channel, out, party, since, until, addressee, font, cover)
    done = documents.report(app.store, request)
    for w in done.warnings:
        status(f"warning: {w}")
    status(
        f"wrote {out}: {done.pages} pages, {done.findings} findings on {done.events} distinct events, "
        f"{done.evidence} evidence items (custody head {done.custody_head[:16]}…)"
    )
    if cover is not None:
        status(f"wrote {cover}: the cover sheet, for you (not part of the filing)")
    for step in done.submit if cover is None else ():
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
    request = documents.ExportRequest(out, party, with_whole_originals, reports)
    done = documents.export(app.store, request)
    if done.exposure is not None:
        x = done.exposure
        status(
            f"warning: {x.originals} whole originals also hold {x.records} records of other "
            f"people ({x.numbers} numbers that are not {party}'s, counted per original): "
            "whoever gets this bundle can read them"
        )
    extracts = f", {done.extracts} extracts" if done.extracts else ""
    status(f"wrote {out}: {done.originals} originals{extracts}, custody head {done.custody_head[:16]}…")


COMMANDS: list[click.Command] = [profile, report, export]
