"""The lawyer's bundle: a BagIt 1.0 bag (RFC 8493) in a ZIP, verifiable with sha256sum or bagit alone.

Scoped to one party (DESIGN decision 10), the bag carries nothing about anyone else:

- the party's findings, and its events: every event whose number is the party's, and every
  event one of its findings stands on;
- an original whole only when every event read from it is the party's and it is not a phone
  export (an export is a container: records the importer skipped are not events, so it is
  never assumed to hold the party's records alone); an original that holds other people's
  records goes in as an extract, the party's records from it with their provenance, unless
  the user asks for whole originals (`whole_originals`; the result then counts what else
  they hold, so the command can warn);
- the custody log from genesis to head, entries that concern the party or the locker as a
  whole kept, every other entry reduced to its links (`custody.redact`), so the chain still
  re-derives (format v2: the link hashes the body's digest, not the body);
- no file name: originals, extracts and reports are named by number and item id;
- every trusted timestamp kept in that log (data/timestamps/: token, request, the TSA's
  certificates), with the `openssl ts -verify` line that checks it in VERIFY.txt.

Originals are streamed from the vault in chunks, re-hashed on the way and compared with the
hash taken at intake (a mismatch stops the export); the payload manifest is written from
those hashes. Every CSV goes through `csv_table`, which neutralises spreadsheet formulas.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from complaints.assembly import CaseFile, evidence_rows
from complaints.channels import category_names
from complaints.columns import columns
from complaints.render import catalogue_pdf
from evidence import custody, timestamps
from evidence.errors import UsageError, VerificationFailed
from evidence.outputs import check_output_path, private_output
from evidence.records import EventRecord, FindingRecord, ItemRecord
from evidence.resources import resource_dir
from evidence.rules.timing import zone_label

BAG = "locker-bundle"
SAFE = re.compile(r"[^A-Za-z0-9._-]+")
CHUNK = 1 << 20

# OWASP, CSV Injection: a cell beginning with one of these is read as a formula by Excel, WPS
# and LibreOffice; a leading single quote makes them show it as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

# Custody entries a scoped bundle keeps whole: action → the detail keys such an entry may
# carry. Anything else (another action, or a key added later and not reviewed here) is
# redacted: a redacted entry still verifies, a leaked one cannot be taken back.
LOCKER_ENTRIES = {  # the locker as a whole: kept in every bundle
    "init": {"timezone", "format", "scrypt_log_n"},
    "verify": {"ok", "items_checked", "problems", "orphans", "unrecorded"},
    "repair": {"adopted", "refused", "rolled_back_from"},
    "gc": {"removed", "shredded"},
    "passwd": {"scrypt_log_n"},
    "recover": {"scrypt_log_n"},
    "profile": {"fields"},
    "stamp": {"head_seq", "head", "tokens"},  # a trusted timestamp of the head: hashes and certificates
    "config": {"key", "value"},  # stamp-after-add, TSA URLs (no password), CA fingerprints
}
ITEM_ENTRIES = {  # kept when detail["item"] is an item in the bundle (whole or extracted)
    "add": {"item", "sha256", "size", "kind", "events", "events_digest", "record_digest", "recovered"},
    "add-duplicate": {"item", "sha256"},
    "get": {"item", "sha256"},
}
PARTY_ENTRIES = {  # kept when detail["party"] is the bundle's party
    "party": {"party", "numbers", "signatures", "loan_refs", "identity"},
    "report": {"channel", "party", "findings", "items", "pages", "pdf_sha256"},
    "export": {"party", "originals", "extracts", "whole_originals"},
    "loan": {"loan", "party"},
}
# Never kept: confirm and dismiss (the digest of a short reason can be guessed), and any
# action not listed here.


# An extract's columns (explained in English in VERIFY.txt).
EXTRACT_COLUMNS = (
    "原件编号",
    "原件SHA-256",
    "事件编号",
    "时间",
    "时区为推定",
    "号码",
    "类型",
    "方向",
    "时长（秒）",
    "状态",
    "内容",
)


@dataclass(frozen=True)
class Included:
    """An item in the bag: the whole original (`extract` None) or only these records from it."""

    item: ItemRecord
    extract: tuple[EventRecord, ...] | None = None


@dataclass(frozen=True)
class Exposure:
    """What a whole original holds besides the party's records: counts only, never content."""

    item: int
    other_records: int
    other_numbers: int


@dataclass(frozen=True)
class BundleScope:
    party: str | None
    findings: tuple[FindingRecord, ...]
    events: tuple[EventRecord, ...]
    items: tuple[Included, ...]
    exposures: tuple[Exposure, ...] = ()

    @property
    def item_ids(self) -> frozenset[int]:
        return frozenset(i.item.id for i in self.items)


@dataclass(frozen=True)
class PrefixedCell:
    file: str  # path in the bag
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str


@dataclass(frozen=True)
class CsvTable:
    data: bytes
    prefixed: tuple[tuple[int, str], ...]  # (row, column) of each cell given a leading '


@dataclass(frozen=True)
class BundleResult:
    path: Path
    originals: int  # whole originals
    extracts: int
    files: int  # payload files
    exposures: tuple[Exposure, ...] = ()
    prefixed: tuple[PrefixedCell, ...] = ()
    redacted: int = 0  # custody entries reduced to their links


def safe_name(n: int, name: str) -> str:
    """An ASCII-only name that keeps the extension and cannot climb out of data/."""
    stem, dot, ext = Path(name).name.rpartition(".")
    if not dot:
        stem, ext = ext, ""
    cleaned = SAFE.sub("_", stem).strip("._")[:60] or "item"
    ext = SAFE.sub("", ext)[:10]
    return f"{n:03d}_{cleaned}" + (f".{ext}" if ext else "")


def numbered_name(n: int, stem: str, name: str) -> str:
    """`NNN_<stem>.<ext>`: only the extension of `name` survives (a scoped bag carries no file name)."""
    _, dot, ext = Path(name).name.rpartition(".")
    ext = SAFE.sub("", ext)[:10] if dot else ""
    return f"{n:03d}_{stem}" + (f".{ext}" if ext else "")


def spreadsheet_cell(value: object) -> str:
    """A CSV cell's text, neutralised per OWASP's CSV injection guidance: a cell that begins
    with = + - @, a tab, a carriage return or a line feed gets a leading single quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> CsvTable:
    """The one CSV writer of the bundle: every cell through `spreadsheet_cell`, every cell
    quoted (so a separator inside a message cannot start a new cell), UTF-8 with a BOM (the
    BOM lets spreadsheet programs read the Chinese)."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL)
    prefixed: list[tuple[int, str]] = []
    for row_no, row in enumerate([header, *rows], 1):
        cells = []
        for column, value in zip(header, row, strict=True):
            text = "" if value is None else str(value)
            cell = spreadsheet_cell(text)
            if cell != text:
                prefixed.append((row_no, column))
            cells.append(cell)
        writer.writerow(cells)
    return CsvTable(buf.getvalue().encode("utf-8-sig"), tuple(prefixed))


def scope_case(case: CaseFile, whole_originals: bool = False) -> BundleScope:
    """What the bag holds: everything whole without a party; with one, only what concerns it."""
    if case.party is None:
        return BundleScope(
            None, tuple(case.findings), tuple(case.events), tuple(Included(i) for i in case.items)
        )
    name = case.party.name
    findings = tuple(f for f in case.findings if f.party == name)
    behind = {e for f in findings for e in f.events}
    events = tuple(e for e in case.events if e.party == name or e.id in behind)
    own_ids = {e.id for e in events}
    by_item: dict[int, list[EventRecord]] = {}
    for e in case.events:
        by_item.setdefault(e.item, []).append(e)
    included: list[Included] = []
    exposures: list[Exposure] = []
    for item in case.items:
        held = by_item.get(item.id, [])
        own = tuple(e for e in held if e.id in own_ids)
        if not own:
            continue
        others = [e for e in held if e.id not in own_ids]
        if whole_originals or (not others and item.kind != "export"):
            included.append(Included(item))
            if others:
                numbers = {e.number for e in others if e.number}
                exposures.append(Exposure(item.id, len(others), len(numbers)))
        else:
            included.append(Included(item, own))
    return BundleScope(name, findings, events, tuple(included), tuple(exposures))


@dataclass(frozen=True)
class ReportHead:
    """A report entry of the log, for VERIFY.txt: the head its PDF's footers print (the entry's
    prev_hash) and the PDF's own hash, with where the bundle holds that PDF, if it does."""

    seq: int
    channel: str | None
    footer: str
    pdf_sha256: str | None
    path: str | None


def entry_concerns(entry: Mapping[str, Any], party: str, item_ids: frozenset[int]) -> bool:
    """Whether a custody entry may go whole into a bundle for `party` (see the tables above)."""
    action, detail = entry.get("action"), entry.get("detail")
    if not isinstance(action, str) or not isinstance(detail, dict):
        return False
    for table in (LOCKER_ENTRIES, ITEM_ENTRIES, PARTY_ENTRIES):
        if action in table and not set(detail) <= table[action]:
            return False
    if action in LOCKER_ENTRIES:
        return True
    if action in ITEM_ENTRIES:
        return detail.get("item") in item_ids
    if action in PARTY_ENTRIES:
        return detail.get("party") == party
    return False


def scope_custody_log(
    log: Sequence[Mapping[str, Any]], party: str | None, item_ids: frozenset[int]
) -> list[dict[str, Any]]:
    """The log from genesis to head; with a party, entries about anything else redacted."""
    if party is None:
        return [dict(e) for e in log]
    return [dict(e) if entry_concerns(e, party, item_ids) else custody.redact(e) for e in log]


def export_bundle(
    case: CaseFile,
    out_zip: Path,
    reports: Sequence[Path],
    custody_log: Sequence[Mapping[str, Any]],
    whole_originals: bool = False,
    home: Path | None = None,
) -> BundleResult:
    """Write the bag for `case` (scoped to `case.party`, if any) to `out_zip`: it appears only
    when complete, and an interrupted export leaves no plaintext (evidence.outputs; `home` is
    the locker, for clean-up)."""
    if case.originals is None:
        raise UsageError("the originals are needed to export a bundle")
    scope = scope_case(case, whole_originals)
    scoped = scope.party is not None
    log = scope_custody_log(custody_log, scope.party, scope.item_ids)
    tz = case.timezone
    payload: list[tuple[str, str, int]] = []  # (path in bag, sha256, size)
    prefixed: list[PrefixedCell] = []
    check_output_path(out_zip)
    with (
        private_output(home, out_zip) as raw,
        zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as z,
    ):
        made = case.generated_at

        def add_doc(arc: str, data: bytes) -> None:
            z.writestr(_zip_entry(arc, made, tz), data)
            payload.append((arc, hashlib.sha256(data).hexdigest(), len(data)))

        def add_table(arc: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
            table = csv_table(header, rows)
            prefixed.extend(PrefixedCell(arc, r, c) for r, c in table.prefixed)
            add_doc(arc, table.data)

        where: dict[int, str] = {}  # item id → its path in the bag, for the 证据目录
        for n, inc in enumerate(scope.items, 1):
            item = inc.item
            if inc.extract is None:
                name = numbered_name(n, f"item-{item.id}", item.name) if scoped else safe_name(n, item.name)
                arc = f"data/originals/{name}"
                # The original's own time (when it was recorded or captured, else when it was
                # sealed), not the ZIP default of 1980-01-01.
                entry = _zip_entry(arc, item.captured_at or item.added_at, tz)
                with z.open(entry, "w", force_zip64=True) as dst:
                    _check_original(case, item, dst)
                payload.append((arc, item.sha256, item.size))
                where[item.id] = arc
            else:
                _check_original(case, item, None)  # the extract names this hash: it must hold
                where[item.id] = f"data/extracts/{n:03d}_item-{item.id}.csv"
                add_table(
                    where[item.id],
                    EXTRACT_COLUMNS,
                    (
                        [
                            item.id,
                            item.sha256,
                            e.id,
                            e.at.astimezone(tz).isoformat(),
                            e.tz_assumed,
                            e.number,
                            e.kind,
                            e.direction,
                            e.duration,
                            e.status,
                            e.text,
                        ]
                        for e in inc.extract
                    ),
                )
        for n, report in enumerate(reports, 1):
            name = numbered_name(n, "report", report.name) if scoped else safe_name(n, report.name)
            arc = f"data/reports/{name}"
            written = datetime.fromtimestamp(report.stat().st_mtime, tz)
            with report.open("rb") as src, z.open(_zip_entry(arc, written, tz), "w", force_zip64=True) as dst:
                sha, size = _copy(src, dst)
            payload.append((arc, sha, size))
        add_doc("data/证据目录.pdf", catalogue(case, scope, where, log))
        add_doc(
            "data/custody-log.jsonl",
            "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in log).encode(),
        )
        stamps = timestamps.bundle_tokens(log)  # each token with what `openssl ts -verify` needs
        for token in stamps:
            for arc, data in token.files.items():
                add_doc(arc, data)
        cols = columns()
        add_table(
            "data/events.csv",
            [header for header, _ in cols.events],
            (
                [
                    e.id,
                    e.item,
                    cols.name("kind", e.kind),
                    cols.name("direction", e.direction),
                    e.number,
                    cols.name("number_class", e.number_class),
                    e.at.astimezone(tz).isoformat(),
                    cols.name("bool", e.tz_assumed),
                    _seconds(e.duration),
                    cols.name("status", e.status),
                    e.text,
                    e.party,
                    cols.name("bool", e.declared),
                ]
                for e in scope.events
            ),
        )
        category_name = category_names()
        add_table(
            "data/findings.csv",
            [header for header, _ in cols.findings],
            (
                [
                    f.id,
                    f.category,
                    category_name.get(f.category, ""),
                    f.at.astimezone(tz).isoformat(),
                    " ".join(f.numbers),
                    f.party,
                    " ".join(map(str, f.events)),
                    " ".join(map(str, f.items)),
                    cols.name("strength", f.strength),
                    cols.name("finding_status", f.status),
                    f.explanation,
                    f.rule,
                ]
                for f in scope.findings
            ),
        )
        tags = _tag_files(case, scope, payload, log, prefixed, stamps)
        for name, data in tags.items():
            z.writestr(_zip_entry(name, made, tz), data)
        tagmanifest = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(tags.items()))
        z.writestr(_zip_entry("tagmanifest-sha256.txt", made, tz), tagmanifest)
    return BundleResult(
        out_zip,
        originals=sum(1 for i in scope.items if i.extract is None),
        extracts=sum(1 for i in scope.items if i.extract is not None),
        files=len(payload),
        exposures=scope.exposures,
        prefixed=tuple(prefixed),
        redacted=sum(1 for e in log if e.get("redacted")),
    )


def catalogue(
    case: CaseFile, scope: BundleScope, where: Mapping[int, str], log: Sequence[Mapping[str, Any]]
) -> bytes:
    """证据目录.pdf: every item the bag carries, as the reports list it, with its path in the bag;
    an extract says it is one, and of how many records."""
    rows = evidence_rows(case, [i.item for i in scope.items], scope.findings)
    extracts = {i.item.id: len(i.extract) for i in scope.items if i.extract is not None}
    rows = tuple(
        replace(r, copy=EXTRACT_COPY.format(n=extracts[r.item.id])) if r.item.id in extracts else r
        for r in rows
    )
    tz = case.timezone
    generated = f"{case.generated_at.astimezone(tz):%Y-%m-%d %H:%M}（{zone_label(tz)}）"
    head = log[-1]["hash"] if log else case.custody_head
    return catalogue_pdf(rows, where, head, generated, CATALOGUE_NOTE.format(n=len(rows)))


# How the 证据目录 of a bundle describes an extract, and what it says under its table.
EXTRACT_COPY = "摘录：原件中与本方有关的{n}条记录（原件未随附，其SHA-256见下行）"
CATALOGUE_NOTE = (
    "本目录共{n}项，列出本证据包data目录中的每一项证据。每项的SHA-256为其原件的哈希值；"
    "随附原件的，可用sha256sum等通用工具对照核验，核验方法见证据包中的VERIFY.txt。"
)


def _seconds(duration: float | None) -> float | int | None:
    """62 for 62.0: a call log counts whole seconds."""
    return int(duration) if duration is not None and float(duration).is_integer() else duration


ZIP_EPOCH = datetime(1980, 1, 1)  # the earliest time a ZIP entry can carry


def _zip_entry(arc: str, when: datetime, tz: ZoneInfo) -> zipfile.ZipInfo:
    """A bag file's ZIP entry dated `when` in the locker's clock (ZIP times carry no zone),
    deflated, readable by its owner only once unpacked."""
    local = max(when.astimezone(tz).replace(tzinfo=None), ZIP_EPOCH)
    info = zipfile.ZipInfo(f"{BAG}/{arc}", date_time=local.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    return info


def _copy(src: IO[bytes], dst: IO[bytes] | None) -> tuple[str, int]:
    """Stream `src` into `dst` (or nowhere) chunk by chunk; returns its SHA-256 and size."""
    digest = hashlib.sha256()
    size = 0
    while chunk := src.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if dst is not None:
            dst.write(chunk)
    return digest.hexdigest(), size


def _check_original(case: CaseFile, item: ItemRecord, dst: IO[bytes] | None) -> None:
    assert case.originals is not None
    with case.originals(item.id) as src:
        sha, size = _copy(src, dst)
    if sha != item.sha256 or size != item.size:
        raise VerificationFailed(f"item {item.id} does not match its recorded hash: run `locker verify`")


def _tag_files(
    case: CaseFile,
    scope: BundleScope,
    payload: list[tuple[str, str, int]],
    log: Sequence[Mapping[str, Any]],
    prefixed: Sequence[PrefixedCell],
    stamps: Sequence[timestamps.BundledToken] = (),
) -> dict[str, bytes]:
    head = log[-1]["hash"] if log else case.custody_head
    first_added = min((i.item.added_at for i in scope.items), default=case.generated_at).astimezone(
        case.timezone
    )
    first = log[0] if log else None
    v1 = (
        first is not None
        and isinstance(first.get("detail"), dict)
        and first["detail"].get("format") == custody.FORMAT_V1
    )
    included = {sha: arc for arc, sha, _size in payload if arc.startswith("data/reports/")}
    report_heads = [
        ReportHead(
            e["seq"],
            e["detail"].get("channel"),
            e["prev_hash"],
            e["detail"].get("pdf_sha256"),
            included.get(e["detail"].get("pdf_sha256", "")),
        )
        for e in log
        if e.get("action") == "report" and isinstance(e.get("detail"), dict)
    ]
    env = Environment(
        loader=FileSystemLoader(resource_dir("templates") / "bundle"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    verify = env.get_template("VERIFY.txt.j2").render(
        head=head,
        first_added=first_added.strftime("%Y-%m-%d"),
        party=scope.party,
        v1=v1,
        redacted=sum(1 for e in log if e.get("redacted")),
        extracts=sum(1 for i in scope.items if i.extract is not None),
        exposed=len(scope.exposures),
        exposed_records=sum(x.other_records for x in scope.exposures),
        prefixed=prefixed[:50],
        prefixed_more=max(0, len(prefixed) - 50),
        report_heads=report_heads,
        event_columns=columns().events,
        finding_columns=columns().findings,
        stamps=[(t, t.gen_time.astimezone(case.timezone).isoformat()) for t in stamps],
    )
    octets = sum(size for *_, size in payload)
    info = [
        "Source-Organization: locker (evidence locker), exported by the complainant",
        f"Bagging-Date: {case.generated_at.astimezone(case.timezone).date().isoformat()}",
        f"Payload-Oxum: {octets}.{len(payload)}",
        "External-Description: Evidence of debt-collection harassment"
        + (f" ({scope.party})" if scope.party else ""),
        f"Locker-Custody-Format: {custody.FORMAT_V1 if v1 else custody.FORMAT}",
        f"Locker-Custody-Head: {head}",
    ]
    return {
        "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        "bag-info.txt": ("\n".join(info) + "\n").encode("utf-8"),
        "manifest-sha256.txt": "".join(f"{sha}  {arc}\n" for arc, sha, _ in payload).encode(),
        "VERIFY.txt": verify.encode("utf-8"),
    }
