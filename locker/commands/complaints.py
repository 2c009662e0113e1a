"""Commands that turn evidence into documents: profile set/show, report, export."""

from __future__ import annotations

from pathlib import Path

import click

from evidence import profile as core_profile
from locker.context import AppContext
from locker.options import json_option, output_option, pass_app
from locker.output import emit_json, status


@click.group()
def profile() -> None:
    """Your details as the complainant (stored encrypted; needed by reports).

    \b
    Example:
      locker profile set --name 王五 --id-number 440305199202021234 --phone 13600000000
    """


@profile.command(name="set")
@click.option("--name", help="Your full name (姓名).")
@click.option("--id-number", help="Your ID card number (身份证号).")
@click.option("--phone", help="A phone number the authority can reach you on.")
@click.option("--address", help="Your postal address.")
@pass_app
def profile_set(
    app: AppContext, name: str | None, id_number: str | None, phone: str | None, address: str | None
) -> None:
    """Set some or all of your details.

    \b
    Example:
      locker profile set --name 王五 --phone 13600000000
    """
    values = core_profile.set_profile(
        app.store(), {"name": name, "id_number": id_number, "phone": phone, "address": address}
    )
    status(f"profile has: {', '.join(sorted(values))}")


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
        click.echo(f"{f:10} {values.get(f, '(not set)')}")


@click.command()
@click.option(
    "--to",
    "channel",
    required=True,
    type=click.Choice(["12321", "12315", "nifa", "police", "12378"]),
    help="The authority the complaint is shaped for.",
)
@click.option("--party", help="Only this respondent's evidence (recommended: one complaint per lender).")
@click.option("--since", help="From this date (2026-08-11).")
@click.option("--until", help="Up to this date (inclusive).")
@click.option(
    "--font", type=click.Path(path_type=Path, dir_okay=False), help="A Chinese TrueType font to embed."
)
@output_option("the PDF")
@pass_app
def report(
    app: AppContext,
    channel: str,
    party: str | None,
    since: str | None,
    until: str | None,
    font: Path | None,
    out: Path,
) -> None:
    """Write a complaint PDF in Simplified Chinese for one authority, with its evidence list.

    \b
    Channels: 12321 (spam and harassment), 12315 (market regulator: collection companies),
    nifa (internet finance association), police (报案材料), 12378 (banks, consumer finance).

    \b
    Example:
      locker report --to 12321 --party 好借花 -o 12321.pdf
    """
    from complaints.assembly import assemble_complaint
    from complaints.gather import gather_case
    from complaints.render import render_complaint_pdf
    from evidence import custody
    from evidence.events import parse_when

    store = app.store()
    case = gather_case(store, party)
    complaint = assemble_complaint(
        channel,
        case,
        since=parse_when(since, store.timezone) if since else None,
        until=parse_when(until, store.timezone, end=True) if until else None,
    )
    result = render_complaint_pdf(complaint, out, font)
    with store.transaction() as s:
        custody.append(
            s,
            "report",
            {
                "channel": channel,
                "party": party,
                "findings": len(complaint.findings),
                "items": len(complaint.evidence),
            },
            store.now(),
        )
    for w in result.warnings:
        status(f"warning: {w}")
    status(
        f"wrote {out}: {result.pages} pages, {len(complaint.findings)} findings, "
        f"{len(complaint.evidence)} evidence items (custody head {case.custody_head[:16]}…)"
    )


@click.command(name="export")
@click.option("--party", help="Only this respondent's findings, events and originals.")
@click.option(
    "--report",
    "reports",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="A report PDF to include (repeatable).",
)
@output_option("the ZIP")
@pass_app
def export(app: AppContext, party: str | None, reports: tuple[Path, ...], out: Path) -> None:
    """Write a bundle a lawyer can verify without locker: a BagIt bag in a ZIP.

    It holds the originals, the reports you name, the custody log, events and findings as
    CSV, SHA-256 manifests and a bilingual VERIFY.txt.

    \b
    Example:
      locker export --party 好借花 --report 12321.pdf -o bundle.zip
    """
    from complaints.bundle import export_bundle
    from complaints.gather import custody_log, gather_case
    from evidence import custody

    store = app.store()
    case = gather_case(store, party)
    result = export_bundle(case, out, list(reports), custody_log(store))
    with store.transaction() as s:
        custody.append(s, "export", {"party": party, "originals": result.originals}, store.now())
    status(f"wrote {out}: {result.originals} originals, custody head {case.custody_head[:16]}…")


COMMANDS: list[click.Command] = [profile, report, export]
