"""Read carrier call-detail records (通话详单) from `.xlsx`, `.xls` and PDF as rows of cell strings.

China Mobile, Unicom and Telecom hand out their call lists as spreadsheets or PDFs. The readers
here do not know what a call is: each turns a file into `(position, cells)` rows, the cells
written as a person sees them in Excel or a PDF viewer, and a format module reads the events
from those rows (it finds the header row itself, and the year in the title rows above it).

| reader      | position             | rows                                                           |
|-------------|----------------------|----------------------------------------------------------------|
| `xlsx_rows` | "sheet 1, row 7"     | every non-empty row of every worksheet, in order (stdlib XML)  |
| `xls_rows`  | "sheet 1, row 7"     | the same for a legacy BIFF workbook (xlrd)                     |
| `pdf_rows`  | "page 2, line 14"    | every line of text on every page, split into cells (pdfplumber)|

Cells (`cell_text`): a string as is, stripped; an int as digits; an integral float as digits
without ".0" (phone numbers saved as numbers); another float in at most 15 significant digits;
a date-time as "2026-08-11 09:10:00" (rounded to the second), a date as "2026-08-11", a time
as "09:10:00", a duration as "00:01:23" (hours may pass 24); TRUE/FALSE; empty as "". A number
cell is a date or time when its format says so: in an .xlsx a format showing a date and no time
gives the date, one showing a time and no date the time of day, `[h]:mm:ss` a duration, one
showing both a date-time (a value under one day is a time of day either way); xlrd reads any date
cell of an .xls as a date-time.
Trailing empty cells are dropped, and so are rows with no filled cell. Row numbers are the
spreadsheet's (a sheet's first row is row 1, empty rows still count).

PDF pages: a page with ruled tables is read with `extract_tables` (a cell's wrapped lines are
joined), its other text lines as below. A page without rules (carrier PDFs often draw none)
is read from its words: words on the same height make a line, and a line splits into cells
where the gap between words is at least 1.5 average character widths. The columns of a page
are then made consistent: the lines having the most common number of cells (≥ 2) give the
column spans, and from the first such line on (the header, usually) every line of two or more
cells has each word put in the column its centre falls in, so an empty cell keeps its place.
Lines above it (titles) and lines of one cell keep their own split. A wrapped cell of an
unruled table shows as a further line. A PDF without text (a scan) or without a line of
`MIN_TABLE_CELLS` cells is refused.

The stream is a seekable, read-only binary stream, as for every importer (see
`evidence.importers`): no name, no file descriptor, reads may come back short. Nothing is
written anywhere: zipfile and pdfminer read it through `_FullReads`, and xlrd, which needs
bytes, gets the file read into memory within `MAX_SHEET_BYTES`.

An .xlsx is read with the standard library alone (zipfile, and ElementTree's C parser fed as the
members unpack; see `_xml_events`): the workbook and its relationships for the worksheets in
workbook order and the date system (1900, with Excel's 1900-02-29, or 1904), the shared strings
(rich text runs joined, phonetic runs left out), the styles for which number formats show dates
and times (built-in 14–22, 45–47 and the CJK 27–36, 50–58; a custom format when, outside quoted
text, `[...]` tags and escapes, it has y, m, d, h or s), then each worksheet row by row with
constant memory. Cells and rows without an `r` follow the previous one. A member whose XML
declares a DOCTYPE is refused (Excel never writes one), so no entity is ever expanded.

Errors: every reader raises `BadInputError` (never another exception type) with a one-line
English message saying what to do, for a file too large, a zip bomb, a password-protected,
damaged, cut or unknown file, or a PDF that holds no table. A file that breaks part-way yields
its rows up to the break and then raises `TruncatedInputError` (records_read = rows yielded).
At most `MAX_ROWS` rows are read: past them the same. A row keeps at most `MAX_CELLS` cells
(the rest are dropped) and a cell at most `limits.MAX_TEXT_CHARS` characters (it is cut).
Library warnings are silenced while a reader runs (they are not the user's to act on).

A reader also accepts the other spreadsheet format (a .xls renamed .xlsx and the reverse), so
a sniffer may route any workbook to either (`evidence.sniff` tells them apart from a file's
first bytes).
"""

from __future__ import annotations

import bisect
import codecs
import io
import itertools
import logging
import math
import posixpath
import re
import statistics
import struct
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from xml.etree.ElementTree import XMLPullParser

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers.limits import MAX_TEXT_CHARS
from evidence.importers.streams import ExportStream, read_up_to

Row = tuple[str, list[str]]

# Bigger than any carrier's call list (a year of calls is a few MiB); bounds what is read into memory.
MAX_SHEET_BYTES = 256 << 20
# What an .xlsx may unpack to, its members, and how much its large members may be compressed:
# sheet XML compresses 5–50 times; a zip bomb 1000 times.
MAX_UNPACKED_BYTES = 1 << 30
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_RATIO = 200
_RATIO_FLOOR = 16 << 20  # members smaller than this unpack to little whatever their ratio
_MAX_CENTRAL_DIRECTORY = 16 << 20  # room for MAX_ZIP_MEMBERS entries with long names
# Rows a reader yields (Excel holds 1,048,576 per sheet; a carrier's year is a few thousand).
MAX_ROWS = 2_000_000
# Cells kept of a row; a call list has 6 to 12 columns.
MAX_CELLS = 200
# Cell slots a workbook may make the reader walk through, empty ones included (a row claiming
# column XFD, or a sheet jumping to row 1,048,576, costs that much without holding anything).
MAX_SCANNED_CELLS = 400_000_000
MAX_SCANNED_ROWS = 20_000_000
MAX_PDF_PAGES = 5_000
# A PDF is a table when some line has at least this many cells (time, number, duration...).
MIN_TABLE_CELLS = 3

_BATCH = 512  # rows read at a time, with library warnings silenced
_PROLOG_BYTES = 64 << 10  # what an XML part may hold before its root element (Excel writes 60 bytes)
_XML_PIECE = 64 << 10  # bytes of a part fed to the XML parser at a time
_MAX_PART_BYTES = 64 << 20  # the workbook, its relationships and styles (usually a few KiB)
# Elements a row of a sheet, or a shared string, may hold (16,384 cells of a few elements each fit).
_MAX_ITEM_ELEMENTS = 1_000_000
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_EOCD = b"PK\x05\x06"
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")

_TOO_LARGE = f"this file is larger than {MAX_SHEET_BYTES >> 20} MiB; export a shorter period or split it"
_PASSWORD_SHEET = (
    "this spreadsheet is password-protected; open it in Excel/WPS, remove the password and save it again"
)
_PASSWORD_PDF = (
    "this PDF is password-protected; open it with its password and print or save it to a new PDF "
    "without one, then add that"
)
_RESAVE = "download it again, or open it in Excel/WPS and save it again"
_DAMAGED_XLSX = f"this .xlsx is damaged or incomplete (cut short?); {_RESAVE}"
_DAMAGED_XLS = f"this workbook (old .xls format) is damaged or incomplete (cut short?); {_RESAVE}"
_DAMAGED_PDF = "this PDF is damaged or incomplete (cut short?); download it again"
_ZIP_BOMB = (
    f"this .xlsx unpacks to too much (over {MAX_UNPACKED_BYTES >> 30} GiB, or a zip bomb); "
    "open it in Excel/WPS and save a copy holding only the call list"
)
_XML_DOCTYPE = (
    "this .xlsx holds XML with a DOCTYPE or entity declarations, which Excel never writes (a damaged "
    "or hostile file); open it in Excel/WPS and save it again"
)
_CLAIMS_TOO_MUCH = (
    "this workbook claims far more rows or columns than it holds (a damaged or hostile file); "
    "open it in Excel/WPS and save a copy holding only the call list"
)
_NOT_A_WORKBOOK = (
    "this file is not an Excel workbook (.xlsx or .xls); export the call list again from the carrier"
)
_NOT_A_PDF = "this file is not a PDF; export the call list again from the carrier"


# --- public readers ---------------------------------------------------------------------------------------


def xlsx_rows(stream: ExportStream) -> Iterator[Row]:
    """(position, cells) for every non-empty row of every worksheet of an .xlsx, in order."""
    return _guarded(_xlsx_source(stream), _DAMAGED_XLSX)


def xls_rows(stream: ExportStream) -> Iterator[Row]:
    """(position, cells) for every non-empty row of every worksheet of a legacy .xls, in order."""
    return _guarded(_xls_source(stream), _DAMAGED_XLS)


def pdf_rows(stream: ExportStream) -> Iterator[Row]:
    """(position, cells) for every line of a table-shaped PDF (see the module docstring)."""
    return _guarded(_pdf_source(stream), _DAMAGED_PDF)


def cell_text(value: object) -> str:
    """A cell's value as a person sees it (see the module docstring), cut to `MAX_TEXT_CHARS`."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = _number_text(value)
    elif isinstance(value, datetime):
        d = _to_second(value)
        text = f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d}"
    elif isinstance(value, date):
        text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    elif isinstance(value, time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + round(value.microsecond / 1e6)
        text = _clock(min(seconds, 86399))
    elif isinstance(value, timedelta):
        seconds = round(value.total_seconds())
        text = _clock(seconds) if seconds >= 0 else "-" + _clock(-seconds)
    else:
        text = str(value).strip()
    return text[:MAX_TEXT_CHARS]


def _number_text(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    return format(value, ".15g")


def _to_second(d: datetime) -> datetime:
    """The date-time rounded to the second, as Excel shows it."""
    if d.microsecond >= 500_000:
        try:
            return d.replace(microsecond=0) + timedelta(seconds=1)
        except OverflowError:
            pass
    return d.replace(microsecond=0)


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _trimmed(cells: list[str]) -> list[str]:
    """The cells without trailing empty ones, at most `MAX_CELLS`."""
    del cells[MAX_CELLS:]
    while cells and not cells[-1]:
        cells.pop()
    return cells


# --- the boundary: bounds, warnings and every library's exceptions ------------------------------------------


def _guarded(source: Iterator[Row], damaged: str) -> Iterator[Row]:
    """The rows of `source`, at most `MAX_ROWS`, with library warnings silenced while it runs.

    Any exception of the libraries becomes `BadInputError(damaged)`; one after rows were
    yielded becomes `TruncatedInputError` naming the last row read and how many there were.
    """
    done = 0
    last = ""
    try:
        while True:
            batch: list[Row] = []
            failure: Exception | None = None
            wanted = min(_BATCH, MAX_ROWS + 1 - done)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    batch.extend(itertools.islice(source, wanted))
                except MemoryError:
                    failure = BadInputError("this file is too large to read in memory here; split it")
                except BadInputError as e:
                    failure = e
                except Exception:
                    failure = BadInputError(damaged)
            if failure is None and done + len(batch) > MAX_ROWS:
                del batch[MAX_ROWS - done :]
                failure = BadInputError(f"this file has more than {MAX_ROWS:,} rows; split it")
            yield from batch
            done += len(batch)
            if batch:
                last = batch[-1][0]
            if failure is not None:
                if done == 0 or isinstance(failure, TruncatedInputError):
                    raise failure from None
                raise TruncatedInputError(
                    f"{failure} (it stops after {last}; the {done:,} rows before were read)",
                    records_read=done,
                ) from None
            if len(batch) < wanted:
                return
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


class _FullReads:
    """The stream as zipfile and pdfminer expect a file: `read(n)` returns `n` bytes unless the
    end comes first (a decrypting stream may return fewer). Closing it leaves the stream open."""

    def __init__(self, stream: ExportStream) -> None:
        self._stream = stream
        self.closed = False

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            size = MAX_SHEET_BYTES + 1
        return read_up_to(self._stream, size)

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass


def _checked_size(stream: ExportStream) -> int:
    """The stream's size (it is left at its start); BadInputError over `MAX_SHEET_BYTES`."""
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    if size > MAX_SHEET_BYTES:
        raise BadInputError(_TOO_LARGE)
    return size


def _head(stream: ExportStream, size: int = 4096) -> bytes:
    stream.seek(0)
    head = read_up_to(stream, size)
    stream.seek(0)
    return head


# --- xlsx -------------------------------------------------------------------------------------------------


def _xlsx_source(stream: ExportStream) -> Iterator[Row]:
    size = _checked_size(stream)
    head = _head(stream)
    if head.startswith(_CFB_MAGIC):
        yield from _xls_source(stream)
        return
    if not head.startswith(_ZIP_MAGIC):
        raise BadInputError(_NOT_A_WORKBOOK)
    source = _FullReads(stream)
    _check_package(source, size)
    try:
        package = zipfile.ZipFile(source)  # type: ignore[arg-type]
    except Exception:
        raise BadInputError(_DAMAGED_XLSX) from None
    with package:
        book = _read_book(package)
        scan = _Scan()
        for number, part in enumerate(book.sheets, 1):
            yield from _Sheet(book, number).rows(package, part, scan)


class _Scan:
    """Counts the rows and cell slots a workbook makes the reader walk through, empty ones too."""

    def __init__(self) -> None:
        self.rows = 0
        self.cells = 0

    def count(self, rows: int, cells: int) -> None:
        self.rows += rows
        self.cells += cells
        if self.rows > MAX_SCANNED_ROWS or self.cells > MAX_SCANNED_CELLS:
            raise BadInputError(_CLAIMS_TOO_MUCH)


def _check_package(source: _FullReads, size: int) -> None:
    """BadInputError for a zip that is damaged, has too many members or unpacks to too much."""
    tail_size = min(size, 22 + 0xFFFF)
    source.seek(size - tail_size)
    tail = source.read(tail_size)
    source.seek(0)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        raise BadInputError(_DAMAGED_XLSX)
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    if entries > MAX_ZIP_MEMBERS or directory_size > _MAX_CENTRAL_DIRECTORY:
        raise BadInputError(_ZIP_BOMB)
    try:
        with zipfile.ZipFile(source) as package:  # type: ignore[arg-type]
            members = package.infolist()
    except Exception:
        raise BadInputError(_DAMAGED_XLSX) from None
    finally:
        source.seek(0)
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise BadInputError(_ZIP_BOMB)
    for m in members:
        if m.file_size > _RATIO_FLOOR and m.file_size > MAX_ZIP_RATIO * max(m.compress_size, 1):
            raise BadInputError(_ZIP_BOMB)


# The package's parts, read with the standard library: zipfile, and ElementTree's C parser fed
# from the member as it unpacks. Worksheets and the shared strings are read start tag by start
# tag: a row (a string) is complete when the next one starts, and the rows before are dropped
# from the tree, so memory stays flat however long the sheet. The other parts are small.


def _xml_events(
    package: zipfile.ZipFile, name: str, events: tuple[Literal["start", "end"], ...]
) -> Iterator[Iterator[Any]]:
    """Batches of the parser's (event, element) for a member, one per piece fed to the parser.

    XML safety: Excel never writes a DOCTYPE, so a member whose prolog (what precedes the root
    element, decoded as the parser will decode it) holds one is refused before the parser sees
    a byte; without a DTD no entity but the five predefined ones exists (expat rejects any
    other reference), so nothing is ever expanded or fetched.
    """
    with package.open(name) as member:
        chunk = member.read(_PROLOG_BYTES)
        _check_prolog(chunk)
        parser: XMLPullParser[Any] = XMLPullParser(events=events)
        while chunk:
            parser.feed(chunk)
            yield parser.read_events()
            chunk = member.read(_XML_PIECE)
        parser.close()
        yield parser.read_events()


_XML_DECLARATION = re.compile(r"""<\?xml\s[^>]*?encoding\s*=\s*["']([^"']{1,40})["']""")


def _check_prolog(head: bytes) -> None:
    """BadInputError when the prolog of a member (`head` is its first bytes) declares a DOCTYPE or
    anything else than comments and processing instructions, or does not end within `head`."""
    if head.startswith(codecs.BOM_UTF8):
        text = head[3:].decode("utf-8", "replace")
    elif head[:2] in (codecs.BOM_UTF16_LE, b"<\x00"):
        text = head.decode("utf-16-le", "replace").lstrip("\ufeff")
    elif head[:2] in (codecs.BOM_UTF16_BE, b"\x00<"):
        text = head.decode("utf-16-be", "replace").lstrip("\ufeff")
    else:
        declared = _XML_DECLARATION.match(head[:200].decode("latin-1"))
        try:
            text = head.decode(declared.group(1) if declared else "utf-8", "replace")
        except (LookupError, ValueError):
            raise BadInputError(_DAMAGED_XLSX) from None
    at = 0
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if at == len(text):
            break
        if text.startswith("<?", at):
            end = text.find("?>", at + 2)
            if end < 0:
                break
            at = end + 2
        elif text.startswith("<!--", at):
            end = text.find("-->", at + 4)
            if end < 0:
                break
            at = end + 3
        elif text.startswith("<!", at):
            raise BadInputError(_XML_DOCTYPE)
        else:
            return  # the root element (or what the parser refuses)
    if len(head) >= _PROLOG_BYTES:  # a prolog this long is no spreadsheet's
        raise BadInputError(_DAMAGED_XLSX)
    # else the member ends within its prolog: the parser finds no element


def _elements(package: zipfile.ZipFile, name: str) -> Iterator[Any]:
    """Every element of a small part as it starts (its attributes are there, not its content)."""
    if package.getinfo(name).file_size > _MAX_PART_BYTES:
        raise BadInputError(_DAMAGED_XLSX)
    for events in _xml_events(package, name, ("start", "end")):
        for event, elem in events:
            if event == "start":
                yield elem
            else:
                elem.clear()


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]


def _namespace(tag: str) -> str:
    """'{ns}' of a tag ('' without one)."""
    return tag[: tag.rfind("}") + 1]


class _Book:
    """A workbook's worksheets (member names, in workbook order), date system, shared strings
    and the cell styles that show numbers as dates (style index as written → kind)."""

    def __init__(self) -> None:
        self.sheets: list[str] = []
        self.date1904 = False
        self.strings: list[str] = []
        self.date_styles: dict[str, int] = {}


def _read_book(package: zipfile.ZipFile) -> _Book:
    names = {n: n for n in package.namelist()}
    for n in list(names):
        names.setdefault(n.lower(), n)

    def member(path: str) -> str | None:
        return names.get(path) or names.get(path.lower())

    workbook = next(
        (p for _, kind, p in _relationships(package, member, "") if kind == "officeDocument"), None
    )
    workbook = member(workbook or "") or member("xl/workbook.xml")
    if workbook is None:
        raise BadInputError(_DAMAGED_XLSX)
    book = _Book()
    sheet_ids: list[str] = []
    for elem in _elements(package, workbook):
        local = _local(elem.tag)
        if local == "workbookPr":
            book.date1904 = elem.get("date1904", "").strip().lower() in ("1", "true")
        elif local == "sheet":
            ids = [v for k, v in elem.attrib.items() if k == "id" or k.endswith("}id")]
            sheet_ids.append(ids[-1] if ids else "")
    rels = {rid: (kind, path) for rid, kind, path in _relationships(package, member, workbook)}
    for rid in sheet_ids:
        kind, path = rels.get(rid, ("", ""))
        if kind == "worksheet":
            found = member(path)
            if found is None:
                raise BadInputError(_DAMAGED_XLSX)
            book.sheets.append(found)
    targets = {kind: member(path) for kind, path in reversed(rels.values())}
    styles = targets.get("styles") or member("xl/styles.xml")
    if styles is not None:
        book.date_styles = _date_styles(package, styles)
    strings = targets.get("sharedStrings") or member("xl/sharedStrings.xml")
    if strings is not None:
        book.strings = _shared_strings(package, strings)
    return book


def _relationships(
    package: zipfile.ZipFile, member: Callable[[str], str | None], part: str
) -> list[tuple[str, str, str]]:
    """(id, kind, member path) of the relationships of a part ('' for the package's own), the
    kind being the last word of the type ('worksheet', 'sharedStrings', ...)."""
    folder, _, file = part.rpartition("/")
    found = member(posixpath.join(folder, "_rels", file + ".rels"))
    if found is None:
        return []
    out = []
    for elem in _elements(package, found):
        if _local(elem.tag) != "Relationship" or elem.get("TargetMode") == "External":
            continue
        target = (elem.get("Target") or "").replace("\\", "/")
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        out.append((elem.get("Id") or "", (elem.get("Type") or "").rpartition("/")[2], path))
    return out


_DATETIME, _DATE, _TIME, _ELAPSED = 1, 2, 3, 4
# Built-in number formats showing dates and times: 14–22 and 45–47, and the CJK ones (27–36, 50–58,
# as zh-CN, zh-TW, ja and ko Excel define them: dates, or times for 32–35, 55, 56).
_BUILTIN_KINDS = {
    **dict.fromkeys((14, 15, 16, 17, 27, 28, 29, 30, 31, 36, 50, 51, 52, 53, 54, 57, 58), _DATE),
    **dict.fromkeys((18, 19, 20, 21, 32, 33, 34, 35, 45, 47, 55, 56), _TIME),
    22: _DATETIME,
    46: _ELAPSED,
}
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|_.|\*.', re.S)
_FORMAT_TAGS = re.compile(r"\[[^\]]*\]|am/pm|a/p|上午/下午|general", re.I)
_ELAPSED_TAG = re.compile(r"\[(?:h+|m+|s+)\]", re.I)
_STYLE_SECTIONS = frozenset(
    (
        "numFmts",
        "fonts",
        "fills",
        "borders",
        "cellStyleXfs",
        "cellXfs",
        "cellStyles",
        "dxfs",
        "tableStyles",
        "colors",
    )
)


def _format_kind(code: str) -> int:
    """What a number format shows a number as: 0 (a number), or a date, time, date-time or elapsed time."""
    code = _FORMAT_LITERALS.sub("", code).split(";")[0]
    if _ELAPSED_TAG.search(code):
        return _ELAPSED
    letters = _FORMAT_TAGS.sub("", code).lower()
    clock = "h" in letters or "s" in letters
    calendar = "y" in letters or "d" in letters or "aaa" in letters or "mmm" in letters
    calendar = calendar or ("m" in letters and not clock)
    if calendar:
        return _DATETIME if clock else _DATE
    return _TIME if clock else 0


def _date_styles(package: zipfile.ZipFile, name: str) -> dict[str, int]:
    """The cell style indexes (`s`, as written) whose number format shows a date or a time, and its kind."""
    custom: dict[int, str] = {}
    formats: list[int] = []
    section = ""
    for elem in _elements(package, name):
        local = _local(elem.tag)
        if local in _STYLE_SECTIONS:
            section = local
        elif local == "numFmt" and section == "numFmts":
            custom[_int(elem.get("numFmtId"))] = elem.get("formatCode") or ""
        elif local == "xf" and section == "cellXfs":
            formats.append(_int(elem.get("numFmtId")))
    kinds = {}
    for index, number_format in enumerate(formats):
        code = custom.get(number_format)
        kind = _format_kind(code) if code is not None else _BUILTIN_KINDS.get(number_format, 0)
        if kind:
            kinds[str(index)] = kind
    return kinds


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _shared_strings(package: zipfile.ZipFile, name: str) -> list[str]:
    """The shared strings, each as a cell shows it (stripped, cut to `MAX_TEXT_CHARS`)."""
    limit = MAX_TEXT_CHARS
    strings: list[str] = []
    root: Any = None
    pending: Any = None
    item_tag = t_tag = r_tag = ""
    elements = 0
    for events in _xml_events(package, name, ("start",)):
        for _event, elem in events:
            if elem.tag == item_tag:
                del root[:]
                if pending is not None:
                    strings.append(_rich_text(pending, t_tag, r_tag).strip()[:limit])
                pending = elem
                elements = 0
            elif root is None:
                root = elem
                ns = _namespace(elem.tag)
                item_tag, t_tag, r_tag = ns + "si", ns + "t", ns + "r"
            else:
                elements += 1
                if elements > _MAX_ITEM_ELEMENTS:
                    raise BadInputError(_CLAIMS_TOO_MUCH)
    if pending is not None:
        strings.append(_rich_text(pending, t_tag, r_tag).strip()[:limit])
    return strings


def _rich_text(holder: Any, t_tag: str, r_tag: str) -> str:
    """The text of a string item (`<si>` or `<is>`): its `<t>`, or its runs' `<r><t>` joined;
    phonetic runs (`<rPh>`) are not part of it. Excel's `_xHHHH_` escapes are undone."""
    if len(holder) == 1 and holder[0].tag == t_tag:
        text = holder[0].text or ""
    else:
        parts = []
        for child in holder:
            if child.tag == t_tag:
                parts.append(child.text or "")
            elif child.tag == r_tag:
                parts.extend(t.text or "" for t in child if t.tag == t_tag)
        text = "".join(parts)
    if "_x" in text:
        text = _ESCAPED.sub(_unescaped, text)
    return text


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescaped(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)


# Worksheet children that follow the cells (sheetData): reading stops at the first.
_AFTER_CELLS = frozenset(
    (
        "sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
        "dataConsolidate", "customSheetViews", "mergeCells", "conditionalFormatting", "dataValidations",
        "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
        "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
        "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
    )
)  # fmt: skip
_DIGITS = "0123456789"
_COLUMNS: dict[str, int] = {}  # column letters as written → column number (at most 18,278 entries)
_EPOCH_1900 = datetime(1899, 12, 30)  # serial 1 is 1900-01-01 once Excel's 1900-02-29 is passed
_EPOCH_1904 = datetime(1904, 1, 1)


class _Sheet:
    """Reads one worksheet's rows."""

    def __init__(self, book: _Book, number: int) -> None:
        self.book = book
        self.number = number

    def rows(self, package: zipfile.ZipFile, name: str, scan: _Scan) -> Iterator[Row]:
        number = self.number
        row_tag = data_tag = ""
        after: frozenset[str] = frozenset()
        root = data = pending = None
        row_number = elements = 0
        for events in _xml_events(package, name, ("start",)):
            for _event, elem in events:
                tag = elem.tag
                if tag == row_tag:
                    if data is not None:
                        del data[:]
                    if pending is not None:
                        row_number, cells = self.row(pending, row_number, scan)
                        if cells:
                            yield f"sheet {number}, row {row_number}", cells
                    pending = elem
                    elements = 0
                elif tag == data_tag:
                    data = elem
                elif root is None:
                    root = elem
                    ns = _namespace(tag)
                    row_tag, data_tag = ns + "row", ns + "sheetData"
                    self.tags(ns)
                    after = frozenset(ns + local for local in _AFTER_CELLS)
                elif tag in after and data is not None:
                    break
                else:
                    elements += 1
                    if elements > _MAX_ITEM_ELEMENTS:
                        raise BadInputError(_CLAIMS_TOO_MUCH)
            else:
                continue
            break
        if pending is not None:
            row_number, cells = self.row(pending, row_number, scan)
            if cells:
                yield f"sheet {number}, row {row_number}", cells

    def tags(self, ns: str) -> None:
        self.c_tag, self.v_tag, self.is_tag = ns + "c", ns + "v", ns + "is"
        self.t_tag, self.r_tag = ns + "t", ns + "r"

    def row(self, row: Any, previous: int, scan: _Scan) -> tuple[int, list[str]]:
        """(row number, cells) of a `<row>`: its `r`, or the row after the previous one."""
        written = row.get("r")
        try:
            number = int(written) if written else previous + 1
        except ValueError:
            number = previous + 1
        c_tag, v_tag, is_tag, t_tag, r_tag = self.c_tag, self.v_tag, self.is_tag, self.t_tag, self.r_tag
        strings, date_styles, date1904 = self.book.strings, self.book.date_styles, self.book.date1904
        limit, most, columns = MAX_TEXT_CHARS, MAX_CELLS, _COLUMNS
        cells: list[str] = []
        column = width = 0
        for c in row:
            if c.tag != c_tag:
                continue
            ref = c.get("r")
            if ref is None:
                column += 1
            else:
                letters = ref.rstrip(_DIGITS)
                found = columns.get(letters)
                column = found if found is not None else _column(letters, column + 1)
            if column > width:
                width = column
            if column > most:
                continue
            kind = c.get("t")
            if kind == "inlineStr":
                holder = c.find(is_tag)
                if holder is None:
                    continue
                if len(holder) == 1 and holder[0].tag == t_tag and "_x" not in (holder[0].text or "_x"):
                    text = holder[0].text.strip()[:limit]  # the usual <is><t>text</t></is>
                else:
                    text = _rich_text(holder, t_tag, r_tag).strip()[:limit]
            else:
                v = c.find(v_tag)
                if v is None or not v.text:
                    continue
                raw = v.text
                if kind == "s":
                    index = int(raw)
                    if index < 0:
                        raise BadInputError(_DAMAGED_XLSX)
                    text = strings[index]
                elif kind is None or kind == "n":
                    style = c.get("s")
                    date_kind = date_styles.get(style, 0) if style is not None else 0
                    text = _number_cell(raw, date_kind, date1904)[:limit]
                elif kind == "b":
                    text = "FALSE" if raw.strip() in ("0", "false") else "TRUE"
                elif kind == "d":
                    style = c.get("s")
                    text = _iso_cell(raw, date_styles.get(style, 0) if style is not None else 0)
                else:  # str (a formula's text), e (an error such as #N/A)
                    text = raw
                    if "_x" in text:
                        text = _ESCAPED.sub(_unescaped, text)
                    text = text.strip()[:limit]
            if text:
                held = len(cells)
                if column > held:
                    if column > held + 1:
                        cells.extend([""] * (column - 1 - held))
                    cells.append(text)
                else:
                    cells[column - 1] = text
        gap = number - previous
        scan.count(gap if gap > 0 else 1, width)
        return number, cells


def _column(letters: str, following: int) -> int:
    """The column number of a cell reference's letters ('A' is 1); `following` when they are not letters."""
    plain = letters.replace("$", "")
    if not (1 <= len(plain) <= 3 and plain.isascii() and plain.isalpha()):
        return following
    number = 0
    for ch in plain.upper():
        number = number * 26 + ord(ch) - 64
    _COLUMNS[letters] = number
    return number


def _number_cell(raw: str, date_kind: int, date1904: bool) -> str:
    """A number cell as its format shows it: a date, time or elapsed time, else its digits."""
    try:
        if date_kind:
            return _serial_text(float(raw), date_kind, date1904)
        if "." in raw or "e" in raw or "E" in raw:
            return _number_text(float(raw))
        return str(int(raw))
    except ValueError:
        return raw.strip()


def _serial_text(value: float, kind: int, date1904: bool) -> str:
    """An Excel date serial (days since the epoch, the fraction the time of day) as text."""
    try:
        if kind == _ELAPSED:
            return cell_text(timedelta(days=value))
        if value < 0:
            return _number_text(value)
        day = math.floor(value)
        milliseconds = round((value - day) * 86_400_000)
        if kind == _TIME or value < 1:
            return _clock((milliseconds + 500) // 1000 % 86400)
        if value < 60 and not date1904:
            day += 1  # before Excel's 1900-02-29, which never was
        at = (_EPOCH_1904 if date1904 else _EPOCH_1900) + timedelta(days=day, milliseconds=milliseconds)
        return cell_text(at.date() if kind == _DATE else at)
    except (OverflowError, ValueError):
        return cell_text(value)


def _iso_cell(raw: str, kind: int) -> str:
    """A date cell written as ISO 8601 text (`t="d"`)."""
    text = raw.strip()
    try:
        at = datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        try:
            return cell_text(time.fromisoformat(text).replace(tzinfo=None))
        except ValueError:
            return text[:MAX_TEXT_CHARS]
    if kind == _TIME:
        return cell_text(at.time())
    if kind == _DATE or (len(text) <= 10 and "T" not in text):
        return cell_text(at.date())
    return cell_text(at)


# --- xls --------------------------------------------------------------------------------------------------


class _NoLog:
    """xlrd's log (it writes its warnings to stdout by default)."""

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass


def _xls_source(stream: ExportStream) -> Iterator[Row]:
    _checked_size(stream)
    head = _head(stream)
    if head.startswith(_ZIP_MAGIC):
        yield from _xlsx_source(stream)
        return
    if not head.startswith(_CFB_MAGIC):
        raise BadInputError(_NOT_A_WORKBOOK)
    data = read_up_to(stream, MAX_SHEET_BYTES)
    stream.seek(0)
    if "EncryptedPackage" in _cfb_names(data[:65536]) or _cfb_holds(data, "EncryptedPackage"):
        raise BadInputError(_PASSWORD_SHEET)
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=_NoLog(), verbosity=0)
    except Exception as e:
        if "encrypted" in str(e).lower():
            raise BadInputError(_PASSWORD_SHEET) from None
        if "workbook" in str(e).lower() and "ole2" in str(e).lower():
            raise BadInputError(_NOT_A_WORKBOOK) from None
        raise BadInputError(_DAMAGED_XLS) from None
    del data
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            for r in range(sheet.nrows):
                types = sheet.row_types(r, 0, MAX_CELLS)
                values = sheet.row_values(r, 0, MAX_CELLS)
                cells = _trimmed([_xls_cell(t, v, book.datemode) for t, v in zip(types, values, strict=True)])
                if cells:
                    yield f"sheet {index + 1}, row {r + 1}", cells
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _xls_cell(kind: int, value: Any, datemode: int) -> str:
    import xlrd

    if kind == xlrd.XL_CELL_DATE:
        try:
            if 0 <= value < 1:  # a time of day or a duration under a day: Excel shows no date
                return _clock(min(round(value * 86400), 86399))
            return cell_text(xlrd.xldate_as_datetime(value, datemode))
        except (ValueError, OverflowError, TypeError):
            return cell_text(value)
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if value else "FALSE"
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERR")
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    return cell_text(value)


def _cfb_names(head: bytes) -> set[str]:
    """The names in a CFB file's first directory sector, when `head` holds it (else empty)."""
    if len(head) < 512 or not head.startswith(_CFB_MAGIC):
        return set()
    shift = struct.unpack_from("<H", head, 0x1E)[0]
    first = struct.unpack_from("<I", head, 0x30)[0]
    if not 7 <= shift <= 16 or first >= 0xFFFFFFFA:
        return set()
    start = (first + 1) << shift
    sector = head[start : start + (1 << shift)]
    names = set()
    for at in range(0, len(sector) - 127, 128):
        length = struct.unpack_from("<H", sector, at + 0x40)[0]
        if 2 <= length <= 64 and length % 2 == 0:
            names.add(sector[at : at + length - 2].decode("utf-16-le", "replace"))
    return names


def _cfb_holds(data: bytes, name: str) -> bool:
    """Whether a CFB directory entry with this name is anywhere in the file (it is stored in UTF-16)."""
    return (name.encode("utf-16-le") + b"\x00\x00") in data


# --- pdf --------------------------------------------------------------------------------------------------


def _pdf_source(stream: ExportStream) -> Iterator[Row]:
    _checked_size(stream)
    if b"%PDF-" not in _head(stream, 1024):
        raise BadInputError(_NOT_A_PDF)
    import pdfplumber
    from pdfplumber.utils.exceptions import PdfminerException

    # pdfminer logs what it finds odd in a file (fonts, broken objects) on the root logger's
    # stderr: noise to a user, and the file is evidence whose details stay out of any output.
    logging.getLogger("pdfminer").setLevel(logging.CRITICAL)
    try:
        pdf = pdfplumber.open(_FullReads(stream))  # type: ignore[arg-type]
    except PdfminerException as e:
        cause = e.args[0] if e.args else e
        if type(cause).__name__ in ("PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning"):
            raise BadInputError(_PASSWORD_PDF) from None
        raise BadInputError(_DAMAGED_PDF) from None
    try:
        held: list[Row] = []  # rows before the first table line: a prose PDF is refused, not read
        table = False
        text = False
        for number, page in enumerate(pdf.pages, 1):
            if number > MAX_PDF_PAGES:
                raise BadInputError(f"this PDF has more than {MAX_PDF_PAGES:,} pages; split it")
            lines = _page_lines(page)
            page.close()
            for line, cells in enumerate(lines, 1):
                text = True
                row = (f"page {number}, line {line}", cells)
                if table:
                    yield row
                    continue
                held.append(row)
                if len(cells) >= MIN_TABLE_CELLS:
                    table = True
                    yield from held
                    held.clear()
        if not text:
            raise BadInputError(
                "this PDF has no text (a scan or a photo?); ask the carrier for the call list as Excel "
                "or as a PDF with text"
            )
        if not table:
            raise BadInputError(
                f"this PDF holds no table (no line of {MIN_TABLE_CELLS} or more columns); "
                "it does not look like a call list"
            )
    finally:
        pdf.close()


def _page_lines(page: Any) -> list[list[str]]:
    """The cells of each line of a page, top to bottom."""
    placed: list[tuple[float, list[str]]] = []
    boxes: list[tuple[float, float, float, float]] = []
    for found in page.find_tables():
        if len(found.columns) < 2:  # a frame or shaded stripes, not a grid
            continue
        boxes.append(found.bbox)
        for row, cells in zip(found.rows, found.extract(), strict=False):
            placed.append((row.bbox[1], [_unwrapped(c) for c in cells]))
    words = page.extract_words(keep_blank_chars=False, use_text_flow=False)
    if boxes:
        words = [w for w in words if not any(_inside(w, box) for box in boxes)]
    placed.extend(_free_lines(words, consistent=not boxes))
    placed.sort(key=lambda item: item[0])
    lines = []
    for _, cells in placed:
        cells = _trimmed([c[:MAX_TEXT_CHARS] for c in cells])
        if cells:
            lines.append(cells)
    return lines


def _inside(word: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x = (word["x0"] + word["x1"]) / 2
    y = (word["top"] + word["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _unwrapped(cell: str | None) -> str:
    """A ruled cell's text on one line: wrapped CJK joins directly, other text with a space."""
    if not cell:
        return ""
    parts = [p.strip() for p in cell.splitlines() if p.strip()]
    text = parts[0] if parts else ""
    for part in parts[1:]:
        glue = "" if _CJK.match(text[-1]) and _CJK.match(part[0]) else " "
        text += glue + part
    return text


def _free_lines(words: Sequence[dict[str, Any]], consistent: bool) -> list[tuple[float, list[str]]]:
    """(top, cells) of the lines of words outside ruled tables (see the module docstring)."""
    if not words:
        return []
    lines = _group_lines(words)
    chars = sum(len(w["text"]) for w in words)
    width = sum(w["x1"] - w["x0"] for w in words) / max(chars, 1)
    gap = 1.5 * width
    split = [_split(line, gap) for line in lines]
    boundaries, first = _columns(split) if consistent else ([], len(split))
    out = []
    for index, (line, cells) in enumerate(zip(lines, split, strict=True)):
        top = min(w["top"] for w in line)
        if index >= first and len(cells) >= 2:
            out.append((top, _placed(line, boundaries)))
        else:
            out.append((top, [" ".join(w["text"] for w in cell) for cell in cells]))
    return out


def _group_lines(words: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Words on the same height (their tops within half the usual word height), each line left to right."""
    tolerance = max(1.0, 0.5 * statistics.median(w["bottom"] - w["top"] for w in words))
    lines: list[list[dict[str, Any]]] = []
    line_top = 0.0
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and w["top"] - line_top <= tolerance:
            lines[-1].append(w)
        else:
            lines.append([w])
            line_top = w["top"]
    for line in lines:
        line.sort(key=lambda w: w["x0"])
    return lines


def _split(line: list[dict[str, Any]], gap: float) -> list[list[dict[str, Any]]]:
    """The words of a line grouped into cells where the space between two words is at least `gap`."""
    cells = [[line[0]]]
    for previous, w in itertools.pairwise(line):
        if w["x0"] - previous["x1"] >= gap:
            cells.append([w])
        else:
            cells[-1].append(w)
    return cells


def _columns(split: list[list[list[dict[str, Any]]]]) -> tuple[list[float], int]:
    """(boundaries between columns, index of the first line placed in them) for a page's lines.

    The lines with the most common number of cells (2 or more; the larger on a tie) give each
    column's span; a boundary lies midway between neighbouring spans.
    """
    counts = Counter(len(cells) for cells in split if len(cells) >= 2)
    if not counts:
        return [], len(split)
    columns = max(counts, key=lambda n: (counts[n], n))
    spans = [[float("inf"), float("-inf")] for _ in range(columns)]
    first = len(split)
    for index, cells in enumerate(split):
        if len(cells) != columns:
            continue
        first = min(first, index)
        for span, cell in zip(spans, cells, strict=True):
            span[0] = min(span[0], cell[0]["x0"])
            span[1] = max(span[1], cell[-1]["x1"])
    boundaries = [(left[1] + right[0]) / 2 for left, right in itertools.pairwise(spans)]
    return sorted(boundaries), first


def _placed(line: list[dict[str, Any]], boundaries: list[float]) -> list[str]:
    """A line's words put in the column their centre falls in, joined by a space within a column."""
    cells: list[list[str]] = [[] for _ in range(len(boundaries) + 1)]
    for w in line:
        cells[bisect.bisect(boundaries, (w["x0"] + w["x1"]) / 2)].append(w["text"])
    return [" ".join(words) for words in cells]


__all__ = [
    "MAX_CELLS",
    "MAX_ROWS",
    "MAX_SHEET_BYTES",
    "MAX_UNPACKED_BYTES",
    "MIN_TABLE_CELLS",
    "Row",
    "cell_text",
    "pdf_rows",
    "xls_rows",
    "xlsx_rows",
]
