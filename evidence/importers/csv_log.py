"""Read CSV call logs and SMS lists, whose columns are found by their header names.

Column mapping (header cells compared case-insensitively; Chinese words match inside a longer
header, so 通话时长 and 对方号码 work; a header naming 归属地 or 运营商 is never the number):

| role      | English (exact)                                  | Chinese (contained)            |
|-----------|--------------------------------------------------|--------------------------------|
| number    | number, address, phone, phone number, tel        | 号码, 电话, 手机号, 手机        |
| time      | date, time, datetime, timestamp                  | 时间, 日期                     |
| type      | type, call type, message type                    | 类型                           |
| duration  | duration                                         | 时长                           |
| text      | body, text, message, content, sms                | 内容                           |
| contact   | name, contact, cached_name, contact name         | 联系人, 姓名                    |
| direction | direction                                        | 方向                           |

When a time is split over two columns (日期 and 时间, or date and time) they are joined.
A file with a text column holds SMS, any other holds calls. Type values: Android's numeric
codes (calls 1–7, SMS 1–6 as in `android_codes`), English words, or Chinese: 呼入/来电/已接 →
in answered, 呼出/去电/拨出 → out, 未接 → missed, 拒接 → rejected, 拦截 → blocked, 语音信箱 →
voicemail, 接收/收到 → SMS in, 发送 → SMS out, 草稿 → a draft, skipped. A 方向 column, when
present, sets the direction. Unknown values leave direction and status empty.

Times: `2026-08-11 09:10:00`, `2026/8/11 9:10`, `2026年8月11日 9:10`, optionally with seconds,
AM/PM (上午/下午) and an offset (`+08:00`, `Z`); without an offset the locker's timezone is
applied and the event is marked `tz_assumed`. A number of 12–13 digits is epoch milliseconds,
9–11 digits epoch seconds (UTC). Durations: `125`, `125秒`, `2分05秒`, `1小时2分5秒`, `00:02:05`,
`2:05`. Encodings: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030. Delimiter: the
most frequent of comma, tab and semicolon in the header line.

Rows are numbered as a spreadsheet shows them: the header is row 1. A row that cannot be read
(no time, a time not understood) is skipped and reported as a `SkippedRecord` naming the row;
the other rows are read. A summary row (合计, 总计, 小计, Total…) without a readable time is
skipped silently (see `_is_summary`). A text longer than `limits.MAX_TEXT_CHARS` is cut and
reported; the event is kept.

Bounds: a row may hold at most `MAX_ROW_CHARS` characters (over all its lines); a longer one
stops the import there: the rows before it are yielded, then `TruncatedInputError` names it.
It is not skipped: a row that long may be an open quoted field, and reading on from inside it
would turn a message's text into rows (a collector could forge records that way). A CSV error
part-way (broken quoting) and a file ending inside a quoted field (a cut export) stop the same
way.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import BinaryIO, cast
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers.android_codes import CALL_TYPES, SMS_TYPES, contact_name
from evidence.importers.limits import MAX_TEXT_CHARS, UnreadableRecordError, capped
from evidence.importers.streams import ExportStream
from evidence.records import ParsedEvent, SkippedRecord

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CHUNK = 1 << 16
# Characters one row (a record, over all its lines) may hold: a message at the text cap with room
# to spare. Bounds the memory of the line being read and of the csv module's fields.
MAX_ROW_CHARS = 4 * MAX_TEXT_CHARS
# A stream that cannot seek is held in memory (never spooled to disk: it is plaintext evidence)
# for the encoding's two passes, up to this size.
MAX_UNSEEKABLE_BYTES = 256 << 20
# How the summary rows spreadsheet exports append begin (see `_is_summary`).
_SUMMARY = re.compile(r"合计|总计|小计|共计|total\b", re.IGNORECASE)

_ENGLISH: dict[str, str] = {
    **dict.fromkeys(("number", "address", "phone", "phone number", "phonenumber", "tel"), "number"),
    **dict.fromkeys(("date", "time", "datetime", "timestamp"), "time"),
    **dict.fromkeys(("type", "call type", "message type"), "type"),
    "duration": "duration",
    **dict.fromkeys(("body", "text", "message", "content", "sms"), "text"),
    **dict.fromkeys(("name", "contact", "cached_name", "contact name"), "contact"),
    "direction": "direction",
}
# Checked in this order: a header naming both a contact and a number (联系人电话) is the number.
_CHINESE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("duration", ("时长",)),
    ("number", ("号码", "电话", "手机号", "手机")),
    ("time", ("时间", "日期")),
    ("type", ("类型",)),
    ("text", ("内容",)),
    ("contact", ("联系人", "姓名")),
    ("direction", ("方向",)),
)
_NOT_A_NUMBER = ("归属地", "运营商")

# Chinese type words, checked in this order (呼出未接 is an unanswered outgoing call; 未接来电 is missed).
_CALL_WORDS: tuple[tuple[tuple[str, ...], tuple[str, str | None]], ...] = (
    (("呼出", "去电", "拨出", "已拨"), ("out", None)),
    (("未接",), ("in", "missed")),
    (("拒接", "拒绝"), ("in", "rejected")),
    (("拦截", "屏蔽"), ("in", "blocked")),
    (("语音信箱", "留言"), ("in", "voicemail")),
    (("呼入", "来电", "已接", "接听"), ("in", "answered")),
)
_ENGLISH_CALLS: dict[str, tuple[str, str | None]] = {
    **dict.fromkeys(("incoming", "in", "received", "answered", "inbound"), ("in", "answered")),
    **dict.fromkeys(("outgoing", "out", "dialed", "dialled", "outbound"), ("out", None)),
    "missed": ("in", "missed"),
    **dict.fromkeys(("rejected", "declined"), ("in", "rejected")),
    "blocked": ("in", "blocked"),
    "voicemail": ("in", "voicemail"),
}
_DRAFT = "draft"
_SMS_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("草稿",), _DRAFT),
    (("发送", "已发", "发出", "呼出"), "out"),
    (("接收", "收到", "收件", "呼入"), "in"),
)
_ENGLISH_SMS: dict[str, str] = {
    **dict.fromkeys(("received", "inbox", "incoming", "in", "inbound"), "in"),
    **dict.fromkeys(("sent", "outbox", "outgoing", "out", "outbound", "failed", "queued"), "out"),
    "draft": _DRAFT,
}

_LOCAL_TIME = re.compile(
    r"(?P<ampm1>上午|下午|早上|晚上)?\s*"
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[T\s]+|$)"
    r"(?P<ampm2>上午|下午|早上|晚上)?\s*"
    r"(?:(?P<h>\d{1,2})\s*[:时点]\s*(?P<mi>\d{1,2})(?:\s*[:分]\s*(?P<s>\d{1,2})(?:[.,](?P<f>\d{1,6}))?)?\s*秒?分?)?"
    r"\s*(?P<ampm3>[AaPp]\.?[Mm]\.?)?"
    r"\s*(?P<z>Z|[+-]\d{2}:?\d{2})?\s*",
)
_LONGEST_TIME = 64  # longer cells are not times; the bound also keeps the regex cheap
_DURATION_UNITS = re.compile(
    r"(?:(?P<h>\d+)\s*(?:小时|时|h))?\s*(?:(?P<m>\d+)\s*(?:分钟|分|m|min))?\s*(?:(?P<s>\d+)\s*(?:秒|s|sec))?"
)


class CsvLog:
    name = "csv"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        seekable = stream if stream.seekable() else _in_memory(stream)
        encoding = detect_encoding(seekable)
        # TextIOWrapper uses only read, readable, seekable and closed of its buffer when reading.
        text = io.TextIOWrapper(cast(BinaryIO, seekable), encoding=encoding, newline="")
        try:
            yield from _parse_text(text, tz)
        finally:
            text.detach()  # the caller owns the stream


def _in_memory(stream: ExportStream) -> ExportStream:
    """A seekable copy of a stream that cannot seek, held in memory within `MAX_UNSEEKABLE_BYTES`."""
    copy = io.BytesIO()
    while chunk := stream.read(_CHUNK):
        copy.write(chunk)
        if copy.tell() > MAX_UNSEEKABLE_BYTES:
            raise BadInputError(f"this CSV is larger than {MAX_UNSEEKABLE_BYTES >> 20} MiB; split it")
    copy.seek(0)
    return copy


def detect_encoding(stream: ExportStream) -> str:
    """utf-16 (with BOM), utf-8-sig or gb18030: the first that decodes the whole stream. Rewinds it."""
    start = stream.tell()
    head = stream.read(2)
    stream.seek(start)
    if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := stream.read(_CHUNK):
                if b"\x00" in chunk and encoding != "utf-16":
                    raise BadInputError("this CSV contains binary data; export it again as text")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            stream.seek(start)
        return encoding
    raise BadInputError("this CSV is neither UTF-8 nor GB18030 text; save it again as UTF-8")


class _Lines:
    """The text's lines for `csv.reader`, each read within what is left of `MAX_ROW_CHARS` for its row."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self.row_chars = 0  # characters handed out for the row being read
        self.ended = False  # the text ran out while the csv module was reading a row

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        room = MAX_ROW_CHARS - self.row_chars
        line = self._text.readline(room + 1)
        if not line:
            self.ended = True
            raise StopIteration
        if len(line) > room:
            raise _RowTooLong
        self.row_chars += len(line)
        return line


class _RowTooLong(Exception):
    pass


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    """The csv module's field size limit, which is process-wide, set only while the reader runs."""
    before = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _parse_text(text: io.TextIOWrapper, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
    header_line = text.readline(MAX_ROW_CHARS + 1)
    if not header_line.strip():
        raise BadInputError("this CSV is empty (no header line)")
    if len(header_line) > MAX_ROW_CHARS:
        raise BadInputError(f"this CSV's header line is longer than {MAX_ROW_CHARS:,} characters")
    delimiter = max((",", "\t", ";"), key=header_line.count)
    try:
        with _field_limit(MAX_ROW_CHARS):
            header = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as e:
        raise BadInputError("this CSV's header line cannot be read (broken quoting); export it again") from e
    roles = map_columns(header)
    is_sms = "text" in roles
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter)
    count = 0
    row_number = 1
    while True:
        lines.row_chars = 0
        try:
            with _field_limit(MAX_ROW_CHARS):
                row = next(reader)
            if lines.ended:
                # The csv module closes a quoted field left open at the end of the file: the export was cut.
                raise csv.Error("the file ends inside a quoted field")
        except StopIteration:
            return
        except (csv.Error, _RowTooLong) as e:
            problem = (
                f"row {row_number + 1} is longer than {MAX_ROW_CHARS:,} characters"
                if isinstance(e, _RowTooLong)
                else f"it breaks at row {row_number + 1} (broken quoting, or the file was cut)"
            )
            if count == 0:
                raise BadInputError(f"this CSV cannot be read: {problem}; export it again") from None
            raise TruncatedInputError(
                f"this CSV stops: {problem}; the {count} rows before it were read "
                "(the sealed original keeps the rest)",
                records_read=count,
            ) from None
        row_number += 1
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        yield from _row_outputs(row, roles, is_sms, tz, f"row {row_number}")


def _row_outputs(
    row: Sequence[str], roles: dict[str, list[int]], is_sms: bool, tz: ZoneInfo, position: str
) -> Iterator[ParsedEvent | SkippedRecord]:
    """The event of one row (none for a draft or a summary row), or a `SkippedRecord` saying why not."""
    try:
        event = _row_event(row, roles, is_sms, tz, position)
    except UnreadableRecordError as e:
        if not _is_summary(row):
            yield SkippedRecord(position, str(e))
        return
    if event is not None:
        yield from capped(event, position)


def _is_summary(row: Sequence[str]) -> bool:
    """A total row a spreadsheet export appends ("合计", "总计: 15", "Total"), by its first filled cell.

    Only asked of a row whose time cannot be read. Skipped without a report on purpose: it is
    not a record, reporting it would make every such export end in a warning (exit 4) that
    teaches the user to ignore warnings, and a real record whose time is missing is still
    reported unless its first filled cell begins with one of these words.
    """
    first = next((cell.strip() for cell in row if cell.strip()), "")
    return _SUMMARY.match(first) is not None


def map_columns(header: Sequence[str]) -> dict[str, list[int]]:
    """Role → the indexes of the columns holding it (see the module docstring's table)."""
    roles: dict[str, list[int]] = {}
    for index, cell in enumerate(header):
        role = column_role(cell)
        if role is not None:
            roles.setdefault(role, []).append(index)
    if "time" not in roles:
        raise BadInputError("this CSV has no time column (时间, 日期, date or time); name one in the header")
    return roles


def column_role(cell: str) -> str | None:
    """Which role a header cell names, or None."""
    name = cell.strip().strip("\ufeff\"'").strip().lower()
    if name in _ENGLISH:
        return _ENGLISH[name]
    for role, words in _CHINESE:
        if any(w in name for w in words):
            if role == "number" and any(w in name for w in _NOT_A_NUMBER):
                return None
            return role
    return None


def _cell(row: Sequence[str], roles: dict[str, list[int]], role: str) -> str | None:
    indexes = roles.get(role)
    if not indexes or indexes[0] >= len(row):
        return None
    return row[indexes[0]].strip() or None


def _time_cell(row: Sequence[str], roles: dict[str, list[int]]) -> str | None:
    parts = [row[i].strip() for i in roles["time"][:2] if i < len(row) and row[i].strip()]
    return " ".join(parts) or None


def _row_event(
    row: Sequence[str], roles: dict[str, list[int]], is_sms: bool, tz: ZoneInfo, position: str
) -> ParsedEvent | None:
    raw_time = _time_cell(row, roles)
    if raw_time is None:
        raise UnreadableRecordError("the row has no time")
    at, assumed = parse_time(raw_time, tz)
    type_value = _cell(row, roles, "type")
    direction_value = _cell(row, roles, "direction")
    contact = contact_name(_cell(row, roles, "contact"))
    if is_sms:
        direction = sms_direction(type_value) if type_value else None
        if direction_value:
            direction = sms_direction(direction_value) or direction
        if direction == _DRAFT:
            return None
        return ParsedEvent(
            kind="sms",
            direction=direction,
            raw_number=_cell(row, roles, "number"),
            at=at,
            tz_assumed=assumed,
            text=_cell(row, roles, "text"),
            contact=contact,
            source_ref=position,
        )
    direction, status = call_type(type_value) if type_value else (None, None)
    if direction_value:
        override, _ = call_type(direction_value)
        direction = override or direction
    return ParsedEvent(
        kind="call",
        direction=direction,
        raw_number=_cell(row, roles, "number"),
        at=at,
        tz_assumed=assumed,
        duration=parse_duration(_cell(row, roles, "duration")),
        status=status,
        contact=contact,
        source_ref=position,
    )


def call_type(value: str) -> tuple[str | None, str | None]:
    """(direction, status) of a call-type cell; (None, None) when not understood."""
    value = value.strip().lower()
    if value in CALL_TYPES:
        return CALL_TYPES[value]
    if value in _ENGLISH_CALLS:
        return _ENGLISH_CALLS[value]
    for words, meaning in _CALL_WORDS:
        if any(w in value for w in words):
            return meaning
    return None, None


def sms_direction(value: str) -> str | None:
    """ "in", "out", "draft" or None for an SMS type or direction cell."""
    value = value.strip().lower()
    if value in SMS_TYPES:
        return SMS_TYPES[value] or _DRAFT
    if value in _ENGLISH_SMS:
        return _ENGLISH_SMS[value]
    for words, meaning in _SMS_WORDS:
        if any(w in value for w in words):
            return meaning
    return None


def parse_time(value: str, tz: ZoneInfo) -> tuple[datetime, bool]:
    """(aware instant, tz_assumed) from a CSV time cell; `UnreadableRecordError` when not understood."""
    value = value.strip()
    try:
        if value.isascii() and value.isdigit():
            if 12 <= len(value) <= 13:
                return _EPOCH + timedelta(milliseconds=int(value)), False
            if 9 <= len(value) <= 11:
                return _EPOCH + timedelta(seconds=int(value)), False
        m = _LOCAL_TIME.fullmatch(value) if len(value) <= _LONGEST_TIME else None
        if m is not None:
            return _local_time(m, tz)
    except (ValueError, OverflowError):
        pass
    raise UnreadableRecordError(
        "the time is not understood (write it e.g. as 2026-08-11 09:10:00 or 2026/8/11 9:10)"
    )


def _local_time(m: re.Match[str], tz: ZoneInfo) -> tuple[datetime, bool]:
    hour = int(m["h"] or 0)
    marker = (m["ampm1"] or m["ampm2"] or m["ampm3"] or "").lower().replace(".", "")
    if marker in ("pm", "下午", "晚上") and hour < 12:
        hour += 12
    elif marker in ("am", "上午", "早上") and hour == 12:
        hour = 0
    micro = int((m["f"] or "0").ljust(6, "0"))
    naive = datetime(int(m["y"]), int(m["mo"]), int(m["d"]), hour, int(m["mi"] or 0), int(m["s"] or 0), micro)
    offset = m["z"]
    if offset is None:
        return naive.replace(tzinfo=tz), True
    if offset == "Z":
        return naive.replace(tzinfo=UTC), False
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return naive.replace(tzinfo=timezone(sign * delta)), False


def parse_duration(value: str | None) -> float | None:
    """Seconds from `125`, `2分05秒`, `1小时2分5秒`, `00:02:05` or `2:05`; None when not understood."""
    if value is None:
        return None
    value = value.strip().lower()
    if len(value) > _LONGEST_TIME:
        return None
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", value):
            return float(value)
        if re.fullmatch(r"\d{1,3}(?::\d{1,2}){1,2}", value):
            total = 0
            for piece in value.split(":"):
                total = total * 60 + int(piece)
            return float(total)
        m = _DURATION_UNITS.fullmatch(value)
        if m is not None and any(m.groupdict().values()):
            return float(int(m["h"] or 0) * 3600 + int(m["m"] or 0) * 60 + int(m["s"] or 0))
    except ValueError:
        return None
    return None
