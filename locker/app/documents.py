"""Turning evidence into documents: the complainant's profile, a complaint PDF per authority,
and the bundle for a lawyer."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evidence import attribution, custody
from evidence import profile as core_profile
from evidence.atomic import private_dir
from evidence.errors import UsageError
from evidence.events import parse_when
from evidence.outputs import check_output_path
from locker.app import OpenStore

PROFILE_FIELDS = core_profile.FIELDS
# Labels a profile text may use besides the field names: the option spellings and the
# Chinese labels the complaint forms print.
PROFILE_LABELS = {
    **{f: f for f in core_profile.FIELDS},
    "id-number": "id_number",
    "姓名": "name",
    "身份证号": "id_number",
    "电话": "phone",
    "地址": "address",
}


def parse_profile(text: str) -> dict[str, str]:
    """Field → value from a profile text ("field: value" lines, or a JSON object); errors say
    where, never a value (it is personal data)."""
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
        name = PROFILE_LABELS.get(label.strip().lower())
        if name is None:
            fields = ", ".join(core_profile.FIELDS)
            raise UsageError(f"profile file, {where}: unknown field (the fields are {fields})")
        if given is None:
            continue
        if not isinstance(given, str):
            raise UsageError(f"profile file, {where}: the value of {name} must be text")
        if name in out:
            raise UsageError(f"profile file, {where}: {name} is given twice")
        if given.strip():
            out[name] = given.strip()
    return out


def profile_changes(given: Mapping[str, str | None], profile_text: str | None) -> dict[str, str]:
    """The details to set: those given one by one (None: not given) and those in a profile text;
    a detail given both ways is an error."""
    values = {k: v for k, v in given.items() if v is not None}
    if profile_text is not None:
        from_text = parse_profile(profile_text)
        both = sorted(set(values) & set(from_text))
        if both:
            raise UsageError(f"given both in the file and as an option: {', '.join(both)}")
        values.update(from_text)
    return values


def set_profile(
    open_store: OpenStore, values: Mapping[str, str], ask: Callable[[], dict[str, str]] | None = None
) -> list[str]:
    """Store the complainant's details (custody logged); without `values`, `ask` (when given) is
    asked once the locker is open. Returns the fields the profile now has, sorted."""
    store = open_store()
    if not values and ask is not None:
        values = ask()
    if not values:
        raise UsageError("nothing to set: no detail was given")
    return sorted(core_profile.set_profile(store, dict(values)))


def get_profile(open_store: OpenStore) -> dict[str, str | None]:
    """Every profile field, None when not set."""
    values = core_profile.get_profile(open_store())
    return {f: values.get(f) for f in core_profile.FIELDS}


DOWNLOADS_DIR = "web-downloads"


def download_folder(open_store: OpenStore) -> Path:
    """The private folder (inside the locker's own 0700 folder) where the web page writes a
    report or bundle on its way to the browser; each file is removed once sent."""
    return private_dir(open_store().home / DOWNLOADS_DIR)


def clear_downloads(home: Path) -> None:
    """Remove what an interrupted download left (called when the page starts and stops)."""
    folder = home / DOWNLOADS_DIR
    if folder.is_dir():
        for f in folder.iterdir():
            f.unlink(missing_ok=True)


@dataclass(frozen=True)
class ReportRequest:
    channel: str
    out: Path
    party: str | None = None
    since: str | None = None  # a date or time in the locker's timezone
    until: str | None = None  # a date includes its whole day
    addressee: str | None = None
    font: Path | None = None
    cover: Path | None = None


@dataclass(frozen=True)
class Report:
    out: Path
    pages: int
    findings: int
    events: int
    evidence: int
    custody_head: str
    warnings: list[str]
    cover: Path | None
    submit: list[str]  # how to submit it, step by step (the cover sheet says it when written)


def report(open_store: OpenStore, req: ReportRequest) -> Report:
    """Write the complaint PDF for one authority (and the cover sheet), and log it in custody
    with the PDF's hash."""
    # Imported here: reportlab takes a while to load, and most commands never render a PDF.
    from complaints.assembly import assemble_complaint, cover_text
    from complaints.gather import gather_case
    from complaints.render import render_complaint_pdf, render_cover_pdf

    check_output_path(req.out)  # a wrong -o is said first, before anything else is asked for
    if req.cover is not None:
        check_output_path(req.cover)
        if req.cover.resolve() == req.out.resolve():
            raise UsageError("--cover needs its own file, not the report's")
    store = open_store()
    attribution.bring_up_to_date(store)  # the document says why each number is the party's
    case = gather_case(store, req.party)
    complaint = assemble_complaint(
        req.channel,
        case,
        since=parse_when(req.since, store.timezone) if req.since else None,
        until=parse_when(req.until, store.timezone, end=True) if req.until else None,
        addressee=req.addressee,
    )
    result = render_complaint_pdf(complaint, req.out, req.font, home=store.home)
    detail = {
        "channel": req.channel,
        "party": req.party,
        "findings": len(complaint.findings),
        "items": len(complaint.evidence),
        "pages": result.pages,
        "pdf_sha256": result.sha256,  # which PDF this entry is about
    }
    with store.transaction() as s:
        custody.append(s, "report", detail, store.now())
    if req.cover is not None:
        render_cover_pdf(cover_text(complaint, result.pages), req.cover, req.font, home=store.home)
    return Report(
        out=req.out,
        pages=result.pages,
        findings=len(complaint.findings),
        events=len(complaint.events),
        evidence=len(complaint.evidence),
        custody_head=case.custody_head,
        warnings=list(result.warnings),
        cover=req.cover,
        submit=list(complaint.channel.submit),
    )


@dataclass(frozen=True)
class ExportRequest:
    out: Path
    party: str | None = None
    whole_originals: bool = False
    reports: Sequence[Path] = field(default_factory=tuple)


@dataclass(frozen=True)
class Exposure:
    """Whole originals in a party's bundle that also hold other people's records."""

    originals: int
    records: int
    numbers: int  # numbers that are not the party's, counted per original


@dataclass(frozen=True)
class Export:
    out: Path
    party: str | None
    originals: int
    extracts: int
    custody_head: str
    exposure: Exposure | None


def export(open_store: OpenStore, req: ExportRequest) -> Export:
    """Write the BagIt bundle a lawyer can verify without locker, and log it in custody."""
    from complaints.bundle import export_bundle  # as in `report`: only when a bundle is made
    from complaints.gather import custody_log, gather_case

    if req.whole_originals and req.party is None:
        raise UsageError("--with-whole-originals goes with --party: without it every original is whole")
    store = open_store()
    attribution.bring_up_to_date(store)  # the party's numbers include those its messages link
    case = gather_case(store, req.party)
    result = export_bundle(
        case,
        req.out,
        list(req.reports),
        custody_log(store),
        whole_originals=req.whole_originals,
        home=store.home,
    )
    detail = {
        "party": req.party,
        "originals": result.originals,
        "extracts": result.extracts,
        "whole_originals": req.whole_originals,
    }
    with store.transaction() as s:
        custody.append(s, "export", detail, store.now())
    exposure = None
    if result.exposures:
        exposure = Exposure(
            len(result.exposures),
            sum(x.other_records for x in result.exposures),
            sum(x.other_numbers for x in result.exposures),
        )
    return Export(req.out, req.party, result.originals, result.extracts, case.custody_head, exposure)
