"""Rows of a call or message table → events, whatever carried the table: a phone app's CSV, a
carrier's call-detail record (通话详单) as CSV, Excel or PDF, a spreadsheet someone typed.

The header row is found, not assumed: it is the first of the first `HEADER_SEARCH_ROWS` rows
whose cells name a time column and a number, text, duration or type column. The rows above it
are the statement's title (China Mobile puts five there: 客户姓名, 查询月份 2026年03月 …), read
for the year when the times have none ("03-02 13:13:40"). A table with no header at all is read
when its first row is plainly a record (a time, a phone number and at least one more cell): the
columns are then told by what their cells look like.

Column mapping (header cells compared case-insensitively; Chinese words match inside a longer
header, so 通话时长 and 对方号码 work; a header naming 归属地, 运营商 or 本机 is never the
other party's number):

| role      | English (exact)                            | Chinese (contained)             |
|-----------|--------------------------------------------|---------------------------------|
| number    | number, address, phone, phone number, tel  | 号码, 电话, 手机号, 手机         |
| time      | date, time, datetime, timestamp            | 时间, 日期                      |
| type      | type, call type, message type              | 类型                            |
| duration  | duration                                   | 时长                            |
| text      | body, text, message, content, sms          | 内容                            |
| contact   | name, contact, cached_name, contact name   | 联系人, 姓名                     |
| direction | direction                                  | 方向, 方式 (通信方式), 主被叫, 收发 |

When a time is split over two columns (日期 and 时间, or date and time) they are joined. The
direction is the first type or direction cell whose value is understood: carriers name the
column holding 主叫/被叫 通信方式 or 呼叫类型, and also have a 通话类型 of 本地/漫游 that says
nothing about direction, so the values decide, not the header.

A table holds messages when it has a text column, or when it has no duration column and its
title or header speaks of 短信/彩信 (a carrier's SMS record lists time, number and 发送/接收, never
the content). Type values: Android's numeric codes (calls 1–7, SMS 1–6 as in `android_codes`),
English words, or Chinese: 呼入/来电/已接 → in answered, 呼出/去电/拨出 → out, 主叫 → out, 被叫
→ in (connected when it lasted: carriers list the calls they connected), 未接 → missed, 拒接 →
rejected, 拦截 → blocked, 语音信箱 → voicemail, 接收/收到 → SMS in, 发送 → SMS out, 草稿 → a
draft, skipped. Unknown values leave direction and status empty.

Times: `2026-08-11 09:10:00`, `2026/8/11 9:10`, `2026年8月11日 9:10`, optionally with seconds,
AM/PM (上午/下午) and an offset (`+08:00`, `Z`); `03-02 13:13:40` when the title gives the year;
without an offset the locker's timezone is applied and the event is marked `tz_assumed`. A
number of 12–13 digits is epoch milliseconds, 9–11 digits epoch seconds (UTC). Durations:
`125`, `125秒`, `2分05秒`, `1小时2分5秒`, `00:02:05`, `2:05`.

Rows that are not records are passed over without a report: a summary row (合计, 总计, 小计,
Total…) whose time cannot be read (see `_is_summary`), the header again (a PDF repeats it on
each page), and a row with one filled cell where the header has several (a page number, a
note, the next page's title) that is not a time. Any other row that cannot be read is skipped
and reported as a `SkippedRecord` naming it; the other rows are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers.android_codes import CALL_TYPES, SMS_TYPES, contact_name
from evidence.importers.limits import UnreadableRecordError, capped
from evidence.records import ParsedEvent, SkippedRecord
from evidence.sniff import looks_like_phone_number

HEADER_SEARCH_ROWS = 30  # China Mobile's spreadsheet has 5 title rows; a PDF's first page a dozen lines

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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
_ENGLISH_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("duration", frozenset({"duration", "length", "seconds"})),
    ("time", frozenset({"date", "time", "timestamp", "datetime", "when"})),
    ("number", frozenset({"number", "phone", "tel", "address", "id", "handle", "from"})),
    ("direction", frozenset({"direction", "incoming", "outgoing"})),
    ("type", frozenset({"type", "kind", "status"})),
    ("text", frozenset({"text", "body", "content", "message", "sms"})),
    ("contact", frozenset({"name", "contact", "sender", "session"})),
)
# Checked in this order: a header naming both a contact and a number (联系人电话) is the number.
_CHINESE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("duration", ("时长",)),
    ("number", ("号码", "电话", "手机号", "手机", "联系方式")),
    ("time", ("时间", "日期")),
    ("direction", ("方向", "方式", "主被叫", "收发")),
    ("type", ("类型",)),
    ("text", ("内容",)),
    ("contact", ("联系人", "姓名")),
)
_NOT_A_NUMBER = ("归属地", "运营商", "本机", "本方")

# Chinese type words, checked in this order (呼出未接 is an unanswered outgoing call; 未接来电 is missed).
_CALL_WORDS: tuple[tuple[tuple[str, ...], tuple[str | None, str | None]], ...] = (
    (("呼出", "去电", "拨出", "已拨", "主叫"), ("out", None)),
    (("未接",), ("in", "missed")),
    (("拒接", "拒绝"), ("in", "rejected")),
    (("拦截", "屏蔽"), ("in", "blocked")),
    (("语音信箱", "留言"), ("in", "voicemail")),
    (("呼入", "来电", "已接", "接听"), ("in", "answered")),
    # A carrier lists the calls it connected; whether one was answered shows in its duration.
    (("被叫", "呼转", "转接"), ("in", None)),
)
_ENGLISH_CALLS: dict[str, tuple[str | None, str | None]] = {
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
    (("发送", "已发", "发出", "呼出", "主叫", "上行"), "out"),
    (("接收", "收到", "收件", "呼入", "被叫", "下行"), "in"),
)
_ENGLISH_SMS: dict[str, str] = {
    **dict.fromkeys(("received", "inbox", "incoming", "in", "inbound"), "in"),
    **dict.fromkeys(("sent", "outbox", "outgoing", "out", "outbound", "failed", "queued"), "out"),
    "draft": _DRAFT,
}
_MESSAGES_TITLE = re.compile(r"短信|彩信|短彩|信息详单|messages?\b|\bsms\b", re.IGNORECASE)

_LOCAL_TIME = re.compile(
    r"(?P<ampm1>上午|下午|早上|晚上)?\s*"
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[T\s]+|$)"
    r"(?P<ampm2>上午|下午|早上|晚上)?\s*"
    r"(?:(?P<h>\d{1,2})\s*[:时点]\s*(?P<mi>\d{1,2})(?:\s*[:分]\s*(?P<s>\d{1,2})(?:[.,](?P<f>\d{1,6}))?)?\s*秒?分?)?"
    r"\s*(?P<ampm3>[AaPp]\.?[Mm]\.?)?"
    r"\s*(?P<z>Z|[+-]\d{2}:?\d{2})?\s*",
)
# A carrier's month statement gives day and time only; the year is in its title.
_YEARLESS_TIME = re.compile(
    r"(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?[T\s]+"
    r"(?P<h>\d{1,2})\s*[:时点]\s*(?P<mi>\d{1,2})(?:\s*[:分]\s*(?P<s>\d{1,2}))?\s*秒?"
)
# "Jul 23, 2011 6:12:54 AM", "Monday, July 23, 2011 at 18:12", "23 Jul 2011 06:12" (English
# exporters such as PhoneView); numeric month/day orders are not guessed between 7/8 and 8/7.
_ENGLISH_TIME = re.compile(
    r"(?:[a-z]+,\s*)?(?:(?P<mon>[a-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?|(?P<d2>\d{1,2})\s+(?P<mon2>[a-z]{3,9})\.?,?)"
    r"\s+(?P<y>\d{4}),?(?:\s*(?:at\s+)?(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?)?\s*",
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for name in names
}
_TITLE_MONTH = re.compile(r"(20\d{2})\s*[-/.年]\s*(\d{1,2})(?!\d)")
_LONGEST_TIME = 64  # longer cells are not times; the bound also keeps the regex cheap
_DURATION_UNITS = re.compile(
    r"(?:(?P<h>\d+)\s*(?:小时|时|h))?\s*(?:(?P<m>\d+)\s*(?:分钟|分|m|min))?\s*(?:(?P<s>\d+)\s*(?:秒|s|sec))?"
)


@dataclass(frozen=True)
class Layout:
    """What the rows above and including the header say about the rest."""

    roles: dict[str, list[int]]
    messages: bool
    header: tuple[str, ...] | None  # None: a table without a header row
    months: tuple[tuple[int, int], ...]  # (year, month) the title names, for year-less times


def table_events(
    rows: Iterable[tuple[str, Sequence[str]]], tz: ZoneInfo, what: str = "table"
) -> Iterator[ParsedEvent | SkippedRecord]:
    """The events of a table's rows, given as (position, cells); `what` names the file in errors
    ("this CSV", "this spreadsheet"). BadInputError when no header is found where one should be."""
    layout: Layout | None = None
    title: list[str] = []
    seen = records = 0
    try:
        for position, cells in rows:
            if not any(cell.strip() for cell in cells):
                continue
            if layout is None:
                seen += 1
                layout = find_layout(cells, title, tz)
                if layout is None:
                    if seen >= HEADER_SEARCH_ROWS:
                        break
                    title.append(" ".join(c.strip() for c in cells if c.strip()))
                    continue
                if layout.header is not None:
                    continue  # the header row itself
            elif _is_header(cells, layout):
                # A workbook's next sheet, or a PDF's next page, under a header of its own.
                layout = find_layout(cells, title, tz) or layout
                continue
            records += 1
            yield from _row_outputs(cells, layout, tz, position)
    except TruncatedInputError as e:
        raise TruncatedInputError(str(e), records_read=records) from None
    if layout is None:
        raise BadInputError(
            f"{what} has no header row naming a time column (时间, 日期, date or time) in its first "
            f"{HEADER_SEARCH_ROWS} rows; name the columns in a header row"
        )


def find_layout(cells: Sequence[str], title: Sequence[str], tz: ZoneInfo) -> Layout | None:
    """The layout when this row is the header (or, with no title above, the first record)."""
    months = tuple(
        (int(y), int(m)) for line in title for y, m in _TITLE_MONTH.findall(line) if 1 <= int(m) <= 12
    )
    roles = map_columns(cells)
    if "time" in roles and roles.keys() & {"number", "text", "duration", "type", "direction"}:
        header = tuple(c.strip() for c in cells)
        words = " ".join([*title, *header])
        messages = "text" in roles or ("duration" not in roles and _MESSAGES_TITLE.search(words) is not None)
        return Layout(roles, messages, header, months)
    if not title:
        shaped = _roles_by_shape(cells, tz)
        if shaped is not None:
            return Layout(shaped, "text" in shaped, None, months)
    return None


def _is_header(cells: Sequence[str], layout: Layout) -> bool:
    """Whether a row after the header is a header again (the same one, or another sheet's)."""
    if layout.header is not None and tuple(c.strip() for c in cells) == layout.header:
        return True
    if _DIGIT.search("".join(cells)):  # a record has digits (its time); another header has none
        return False
    roles = map_columns(cells)
    return "time" in roles and len(roles) >= 3 and _time_cell(cells, roles) is not None


_DIGIT = re.compile(r"\d")


def _roles_by_shape(cells: Sequence[str], tz: ZoneInfo) -> dict[str, list[int]] | None:
    """Roles of a header-less table from its first row: a time, a phone number, one more cell."""
    roles: dict[str, list[int]] = {}
    for index, raw in enumerate(cells):
        cell = raw.strip()
        if not cell:
            continue
        if "time" not in roles and _is_time(cell, tz):
            roles["time"] = [index]
        elif "number" not in roles and looks_like_phone_number(cell):
            roles["number"] = [index]
        elif call_type(cell) != (None, None) or sms_direction(cell) is not None:
            roles.setdefault("type", []).append(index)
        elif "duration" not in roles and parse_duration(cell) is not None:
            roles["duration"] = [index]
        elif "text" not in roles and len(cell) >= 2 and not cell.isascii():
            roles["text"] = [index]
    if "time" in roles and "number" in roles and len(roles) >= 3:
        return roles
    return None


def _is_time(cell: str, tz: ZoneInfo) -> bool:
    try:
        parse_time(cell, tz)
    except UnreadableRecordError:
        return False
    return not cell.isdigit()  # a bare number is a phone number or a count before it is an epoch


def map_columns(header: Sequence[str]) -> dict[str, list[int]]:
    """Role → the indexes of the columns holding it (see the module docstring's table)."""
    roles: dict[str, list[int]] = {}
    for index, cell in enumerate(header):
        role = column_role(cell)
        if role is not None:
            roles.setdefault(role, []).append(index)
    return roles


def column_role(cell: str) -> str | None:
    """Which role a header cell names, or None."""
    name = cell.strip().strip("\ufeff\"'").strip().lower()
    if name in _ENGLISH:
        return _ENGLISH[name]
    if len(name) > 20:
        return None  # a title or a note, not a column name
    if name.isascii():
        # Exporters' English headers vary around a few words ("Message Date", "Sender ID",
        # "Call Type", "Contact Name"): the word decides, checked in this order.
        found = set(re.findall(r"[a-z]+", name))
        for role, names in _ENGLISH_WORDS:
            if found & names:
                return role
        return None
    for role, words in _CHINESE:
        if any(w in name for w in words):
            if role == "number" and any(w in name for w in _NOT_A_NUMBER):
                return None
            return role
    return None


def _row_outputs(
    row: Sequence[str], layout: Layout, tz: ZoneInfo, position: str
) -> Iterator[ParsedEvent | SkippedRecord]:
    """The event of one row (none for a draft or a row that is not a record), or a `SkippedRecord`."""
    try:
        event = _row_event(row, layout, tz, position)
    except UnreadableRecordError as e:
        if not _not_a_record(row, layout):
            yield SkippedRecord(position, str(e))
        return
    if event is not None:
        yield from capped(event, position)


def _not_a_record(row: Sequence[str], layout: Layout) -> bool:
    """A row whose time cannot be read and that is plainly not a record: passed over unreported.

    A summary row ("合计", "总计: 15", "Total", by its first filled cell), or a lone cell in a
    table of several columns (a page number, a note, the next page's title). The header repeated
    never gets here: `table_events` passes it over first (`_is_header`).
    Not reported on purpose: reporting them would make every such export end in a warning (exit
    4) that teaches the user to ignore warnings; a real record whose time is missing still has
    its number or text beside it and is reported.
    """
    filled = [cell.strip() for cell in row if cell.strip()]
    if not filled or _SUMMARY.match(filled[0]) is not None:
        return True
    return len(filled) == 1 and len(layout.header or row) >= 3


def _cell(row: Sequence[str], roles: dict[str, list[int]], role: str) -> str | None:
    indexes = roles.get(role)
    if not indexes or indexes[0] >= len(row):
        return None
    return row[indexes[0]].strip() or None


def _candidates(row: Sequence[str], roles: dict[str, list[int]]) -> Iterator[str]:
    """The direction and type cells, direction columns first."""
    for role in ("direction", "type"):
        for index in roles.get(role, ()):
            if index < len(row) and row[index].strip():
                yield row[index].strip()


def _time_cell(row: Sequence[str], roles: dict[str, list[int]]) -> str | None:
    """The time cell; a date and a time in two columns (日期, 时间) joined. A second time column
    that is a time of its own (Delivered Date beside Message Date) is not joined."""
    parts = [row[i].strip() for i in roles["time"][:2] if i < len(row) and row[i].strip()]
    if len(parts) == 2 and _CLOCK.search(parts[0]):
        return parts[0]
    return " ".join(parts) or None


_CLOCK = re.compile(r"\d{1,2}\s*[:时点]\s*\d{2}|^\d{9,13}$")


def _row_event(row: Sequence[str], layout: Layout, tz: ZoneInfo, position: str) -> ParsedEvent | None:
    roles = layout.roles
    raw_time = _time_cell(row, roles)
    if raw_time is None:
        raise UnreadableRecordError("the row has no time")
    at, assumed = parse_time(raw_time, tz, layout.months)
    contact = contact_name(_cell(row, roles, "contact"))
    if layout.messages:
        direction = next((d for d in map(sms_direction, _candidates(row, roles)) if d is not None), None)
        if direction == _DRAFT:
            return None
        kinds = " ".join(_candidates(row, roles))
        return ParsedEvent(
            kind="mms" if "彩信" in kinds or "mms" in kinds.lower() else "sms",
            direction=direction,
            raw_number=_cell(row, roles, "number"),
            at=at,
            tz_assumed=assumed,
            text=_cell(row, roles, "text"),
            contact=contact,
            source_ref=position,
        )
    direction, status = next(
        (t for t in map(call_type, _candidates(row, roles)) if t != (None, None)), (None, None)
    )
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


def parse_time(value: str, tz: ZoneInfo, months: Sequence[tuple[int, int]] = ()) -> tuple[datetime, bool]:
    """(aware instant, tz_assumed) from a time cell; `months`, the (year, month) pairs a statement's
    title names, date a time given without its year. `UnreadableRecordError` when not understood."""
    value = value.strip()
    try:
        if value.isascii() and value.isdigit():
            if 12 <= len(value) <= 13:
                return _EPOCH + timedelta(milliseconds=int(value)), False
            if 9 <= len(value) <= 11:
                return _EPOCH + timedelta(seconds=int(value)), False
        if len(value) <= _LONGEST_TIME:
            m = _LOCAL_TIME.fullmatch(value)
            if m is not None:
                return _local_time(m, tz)
            m = _ENGLISH_TIME.fullmatch(value)
            if m is not None:
                return _english_time(m, tz)
            m = _YEARLESS_TIME.fullmatch(value)
            if m is not None:
                if not months:
                    raise UnreadableRecordError("the time has no year and the statement's title gives none")
                year = _year_of(int(m["mo"]), months)
                naive = datetime(year, int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"] or 0))
                return naive.replace(tzinfo=tz), True
    except (ValueError, OverflowError):
        pass
    raise UnreadableRecordError(
        "the time is not understood (write it e.g. as 2026-08-11 09:10:00 or 2026/8/11 9:10)"
    )


def _year_of(month: int, months: Sequence[tuple[int, int]]) -> int:
    """The year of a month in a statement whose title names `months`: the one naming that month,
    else, for a period over New Year, the earlier year for the year's second half."""
    for year, named in months:
        if named == month:
            return year
    years = sorted({year for year, _ in months})
    return years[0] if month >= 7 else years[-1]


def _english_time(m: re.Match[str], tz: ZoneInfo) -> tuple[datetime, bool]:
    month = _MONTHS.get((m["mon"] or m["mon2"]).lower())
    if month is None:
        raise ValueError("not a month name")
    hour = int(m["h"] or 0)
    marker = (m["ampm"] or "").lower().replace(".", "")
    if marker == "pm" and hour < 12:
        hour += 12
    elif marker == "am" and hour == 12:
        hour = 0
    day = int(m["d"] or m["d2"])
    naive = datetime(int(m["y"]), month, day, hour, int(m["mi"] or 0), int(m["s"] or 0))
    return naive.replace(tzinfo=tz), True


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
