"""Read WeChat chat exports written by the maintained open-source exporters, one chat event a message.

Formats, each learned from the exporter's own code (read, never copied):

* ``wechat-csv`` (`WeChatMsgCsv`): the per-chat CSV of WeChatMsg / MemoTrace (留痕), Windows
  WeChat 3.x. Learned from LC044/WeChatMsg ``app/util/exporter/exporter_csv.py`` (and the older
  ``app/DataBase/exporter_csv.py``) and the query in ``app/DataBase/msg.py``. UTF-8 with BOM,
  Python ``csv.writer`` (CRLF, quoting only where needed). Header ``localId, TalkerId, Type,
  SubType, IsSender, CreateTime, Status, StrContent, StrTime, Remark, NickName, Sender``.
  ``CreateTime`` is epoch seconds (a UTC instant, so ``tz_assumed`` is False); ``StrTime`` is the
  same instant formatted in the exporting PC's local time (used only when ``CreateTime`` is
  unreadable, with the locker's timezone, ``tz_assumed``). ``IsSender`` is 1 for the user's own
  messages. ``TalkerId`` is an internal integer, not an id. The last three columns are the
  *sender's* remark, nickname and wxid: in a one-to-one chat the user's own for ``IsSender=1``,
  so the other party's id is read, in a first pass, from the messages they sent; older versions
  write those three only for group chats (a one-to-one row then has 9 cells and no id:
  ``raw_number`` None). In a group the sender's wxid is the member's; the group's own id is not
  in this export, so a group message has no ``other_numbers`` and the user's own message in a
  group has no ``raw_number``. A file is taken as a group chat when its received messages come
  from two or more senders. WeChatMsg's "all chats" CSV (rows wider than their header, no ids)
  is refused.
* ``wechat-txt`` (`WeChatMsgTxt`): WeChatMsg / MemoTrace's TXT export, learned from
  ``app/util/exporter/exporter_txt.py`` and ``get_display_name`` in ``app/util/exporter/
  exporter.py``: UTF-8, LF, each message ``{StrTime} {display name}\\n{content}\\n\\n``, the name
  HTML- and JS-escaped (so it never holds a line break), the content raw over as many lines as it
  has, non-text as ``[图片]``, ``[语音]``, ``[视频]``, ``[表情包]``, ``[文件]``, ``[音乐分享]``; a system
  message as ``{StrTime} {content}\\n\\n`` with no body. The TXT holds **no WeChat id and no sender
  flag**, only display names: events have ``raw_number`` None and ``contact`` the name; the
  direction is known only when the importer is told the user's own display name(s)
  (``WeChatMsgTxt(own_names=...)``: those are "out", every other name "in"); the registered
  default gives no direction.
* ``wechat-ios-csv`` (`WechatExporterIosCsv`): the CSV of 12425/wechat-exporter (iOS, read from an
  iTunes backup), learned from its ``wechat-exporter.py``: UTF-8 (a BOM optional), ``csv.writer``
  (CRLF), header ``时刻, 消息类型, 消息方向, ID, 微信号, 昵称, 显示名称, 内容``. ``时刻`` is local time
  (``%Y-%m-%d %X``: the locker's timezone, ``tz_assumed``); ``消息方向`` 接收 (in) / 发送 (out);
  ``ID`` the sender's wxid in a group (the exporter splits the ``wxid:\\n`` prefix off the text),
  else the chat's id (the group's ``…@chatroom`` for the user's own group messages); ``微信号`` the
  account alias; ``显示名称`` the remark. ``消息类型`` is a Chinese word (文本, 图片, 语音, 视频, 表情,
  位置, 名片, 链接, 通话, 语音通话, 视频通话, 系统消息, 邮件) or the raw type number; the content of
  non-text messages is WeChat's XML. A first pass finds the group id (any ``ID`` ending in
  ``@chatroom``): then every message is a group message. Its ``.csv.bz2`` option is not read
  (decompress it first). Known exporter flaw, not corrected here: a one-to-one text containing
  ``:`` and a line break is split by the exporter as if it had a sender prefix.

BlueMatthew/WechatExporter's TXT and HTML and WeChatMsg's HTML are read by
`evidence.importers.wechat_pages`. Not supported: ppwwyyxx/wechat-dump's output, WeChatMsg's
DOCX/JSON, and WeChat 4.x exports.

The event (fixed): ``kind="chat"``, ``raw_number="wechat:<id>"`` (the other party; in a group the
sending member when known), ``other_numbers=("wechat:<group id>",)`` when a group's id is known,
``contact`` the remark else the nickname, ``source_ref`` "row N" (the header is row 1) or
"line N" (the message's first line). Non-text messages get a short English marker: "[image]",
"[voice]", "[video]", "[sticker]", "[file]", "[transfer]", "[red packet]", "[location]",
"[contact card]", "[link]", "[call]", "[video call]"…; a call record keeps the text WeChat wrote
for it (``通话时长 00:12``) when the export has it. Skipped silently: system messages (type 10000
and 10002, 系统消息, and in the TXT a time line with no body: "你已添加了…", "…撤回了一条消息",
拍一拍, group notices).

Bounds and safety. A CSV row is read by `csv_log`'s bounded row reader (a row over
``csv_log.MAX_ROW_CHARS``, broken quoting or a file ending inside a quoted field stops the
import there with `TruncatedInputError`, after the rows before it), so a message text, always
quoted by ``csv.writer`` when it holds a line break or a quote, can never become rows. The TXT
format has no quoting at all, so it is read by these rules: a message begins at a line of the
exact shape ``YYYY-MM-DD HH:MM:SS name`` that is the file's first line or follows a blank line,
and whose time is not earlier than the previous message's (the exporter writes in time order);
every other line belongs to the message above it, blank lines inside a text included. A crafted
text holding a line like ``2026-01-01 12:00:00 张三`` therefore stays text unless it follows a
blank line and is timed no earlier than the message carrying it: then it is read as a separate
message, as any reader of this format must (the format cannot tell them apart); accepted, and
the sealed original keeps the bytes for a human to check. A message (its lines together) over
``MAX_RECORD_CHARS`` stops the import with `TruncatedInputError` after the messages before it;
a TXT cut part-way cannot be told from a complete one. Texts longer than ``MAX_TEXT_CHARS`` are
cut and reported (`limits.capped`). Memory is bounded by one record: nothing is read whole.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO, TypeVar, cast
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers.csv_log import bounded_rows, detect_encoding
from evidence.importers.limits import FIELD_TOO_LONG, MAX_TEXT_CHARS, UnreadableRecordError, capped
from evidence.importers.streams import ExportStream
from evidence.records import ParsedEvent, SkippedRecord

__all__ = [
    "MAX_RECORD_CHARS",
    "WeChatMsgCsv",
    "WeChatMsgTxt",
    "WechatExporterIosCsv",
    "looks_like_wechat",
]

# Characters one TXT message (its time line and every line of its text) may hold.
MAX_RECORD_CHARS = 4 * MAX_TEXT_CHARS
PREFIX = "wechat:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How much of a non-text message's XML is searched for its kind or its call text.
_XML_SEARCH = 1 << 16

_WECHATMSG_COLUMNS = ("Type", "SubType", "IsSender", "CreateTime", "StrContent", "StrTime")
_WECHATMSG_SIGNATURE = frozenset(
    {"localId", "TalkerId", "Type", "IsSender", "CreateTime", "StrContent", "StrTime"}
)
_IOS_COLUMNS = ("时刻", "消息类型", "消息方向", "ID", "内容")
_IOS_SIGNATURE = frozenset({"时刻", "消息类型", "消息方向", "ID", "微信号", "内容"})

_TXT_HEADER = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?: (.*))?")
_LOCAL_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
_APPMSG_TYPE = re.compile(r"<appmsg\b.*?<type>\s*(\d{1,6})\s*</type>", re.DOTALL)
_CALL_TEXT = re.compile(r"<msg>\s*<!\[CDATA\[(.*?)\]\]>\s*</msg>", re.DOTALL)

# Windows WeChat MSG.Type (WeChatMsg CSV), and the sub-types of type 49 (an "app message").
_SYSTEM_TYPES = frozenset({10000, 10002})
_PC_TYPES = {
    3: "[image]",
    34: "[voice]",
    42: "[contact card]",
    43: "[video]",
    47: "[sticker]",
    48: "[location]",
}
_APP_TYPES = {
    3: "[music]",
    4: "[music]",
    5: "[link]",
    6: "[file]",
    19: "[chat history]",
    33: "[mini program]",
    36: "[mini program]",
    51: "[channels]",
    57: "[reply]",
    2000: "[transfer]",
    2001: "[red packet]",
}
# 12425/wechat-exporter's type words.
_IOS_TYPES = {
    "图片": "[image]",
    "语音": "[voice]",
    "视频": "[video]",
    "表情": "[sticker]",
    "位置": "[location]",
    "名片": "[contact card]",
    "邮件": "[email]",
}
_IOS_DIRECTIONS = {"接收": "in", "发送": "out"}
# WeChatMsg TXT bodies that stand for a non-text message.
_TXT_MARKERS = {
    "[图片]": "[image]",
    "[语音]": "[voice]",
    "[视频]": "[video]",
    "[表情包]": "[sticker]",
    "[文件]": "[file]",
    "[音乐分享]": "[music]",
}
_JS_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_JS_CHARS = {"n": "\n", "r": "\r", "t": "\t"}


def looks_like_wechat(text_head: str, name: str) -> str | None:
    """The `name` of the importer for a text file of this head (its first ~64 KiB, decoded), or None.

    A CSV is claimed by its header row (the first line): WeChatMsg's ``localId, TalkerId, Type,
    IsSender, CreateTime, StrContent, StrTime`` or wechat-exporter's ``时刻, 消息类型, 消息方向, ID,
    微信号, 内容`` (all of them present). A WeChatMsg TXT (never a file named .csv or .xml) when its
    first non-blank line is ``YYYY-MM-DD HH:MM:SS name`` and the head holds a second such line after
    a blank line (or, for a file named .txt, one is enough).
    """
    head = text_head.lstrip("\ufeff")
    first = head.split("\n", 1)[0].rstrip("\r")
    try:
        cells = {c.strip() for c in next(csv.reader([first]), [])}
    except csv.Error:
        cells = set()
    if cells >= _WECHATMSG_SIGNATURE:
        return WeChatMsgCsv.name
    if cells >= _IOS_SIGNATURE:
        return WechatExporterIosCsv.name
    lowered = name.lower()
    if lowered.endswith((".csv", ".xml")):
        return None
    lines = head.splitlines()
    if len(head) >= 1 << 16 and lines:
        lines.pop()  # the last line of a head may be cut
    headers = 0
    after_blank = True
    for number, line in enumerate(lines):
        if not line.strip():
            after_blank = True
            continue
        is_header = after_blank and _TXT_HEADER.fullmatch(line) is not None
        if headers == 0 and not is_header:
            return None  # the first non-blank line must be a message's time line
        headers += is_header
        after_blank = False
        if headers >= 2 or number > 10_000:
            break
    if headers >= 2 or (headers == 1 and lowered.endswith(".txt")):
        return WeChatMsgTxt.name
    return None


# --- shared ----------


def stream_encoding(stream: ExportStream, what: str) -> str:
    if not stream.seekable():
        raise BadInputError(f"{what} cannot be read: the stream cannot seek")
    try:
        return detect_encoding(stream)
    except BadInputError:
        raise BadInputError(
            f"{what} is neither UTF-8, UTF-16 nor GB18030 text (binary data?); export it again"
        ) from None


def csv_rows(stream: ExportStream, start: int, encoding: str) -> Generator[tuple[str, list[str]], None, None]:
    """(position, cells) of every row from the stream's start, read within `csv_log`'s bounds."""
    stream.seek(start)
    # TextIOWrapper uses only read, readable, seekable and closed of its buffer when reading.
    text = io.TextIOWrapper(cast(BinaryIO, stream), encoding=encoding, newline="")
    try:
        yield from bounded_rows(text, ",")
    finally:
        text.detach()  # the caller owns the stream


def header_columns(
    rows: Iterator[tuple[str, list[str]]], required: tuple[str, ...], what: str
) -> dict[str, int]:
    first = next(rows, None)
    if first is None:
        raise BadInputError(f"{what} is empty (no header row)")
    columns: dict[str, int] = {}
    for i, cell in enumerate(first[1]):
        columns.setdefault(cell.strip().lstrip("\ufeff"), i)
    missing = [c for c in required if c not in columns]
    if missing:
        raise BadInputError(f"{what} lacks the columns {', '.join(missing)}; is it this exporter's CSV?")
    return columns


def cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    i = columns.get(name)
    return cells[i] if i is not None and i < len(cells) else ""


def short_field(value: str) -> str:
    """A non-text field, stripped; `UnreadableRecordError` when absurdly long."""
    if len(value) > MAX_TEXT_CHARS:
        raise UnreadableRecordError(FIELD_TOO_LONG)
    return value.strip()


def _wechat_id(value: str) -> str | None:
    return PREFIX + value if value else None


def local_time(value: str, tz: ZoneInfo) -> datetime:
    m = _LOCAL_TIME.fullmatch(value.strip()) if len(value) <= 64 else None
    if m is None:
        raise UnreadableRecordError("the message's time is not understood")
    y, mo, d, h, mi, s = (int(g or 0) for g in m.groups())
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=tz)
    except ValueError:
        raise UnreadableRecordError("the message's time is not a real date") from None


def _call_text(content: str, marker: str) -> str:
    m = _CALL_TEXT.search(content[:_XML_SEARCH])
    text = m[1].strip() if m is not None else ""
    return text or marker


def _app_marker(subtype: int | None, content: str) -> str:
    """The marker of an app message (type 49) from its sub-type, else from its XML's <type>."""
    if subtype is None or subtype not in _APP_TYPES:
        m = _APPMSG_TYPE.search(content[:_XML_SEARCH])
        subtype = int(m[1]) if m is not None else None
    return _APP_TYPES.get(subtype or 0, "[link]")


# --- WeChatMsg / MemoTrace CSV ----------


@dataclass(frozen=True, slots=True)
class _Peer:
    """What the first pass over a WeChatMsg CSV learned: the other party of a one-to-one chat."""

    group: bool = False
    wxid: str = ""
    remark: str = ""
    nickname: str = ""


_Context = TypeVar("_Context")


def two_passes(
    stream: ExportStream,
    tz: ZoneInfo,
    what: str,
    wanted: tuple[str, ...],
    survey: Callable[[ExportStream, int, str, dict[str, int]], _Context],
    event: Callable[[list[str], dict[str, int], _Context, ZoneInfo, str], ParsedEvent | None],
) -> Iterator[ParsedEvent | SkippedRecord]:
    """A chat CSV read twice: once to learn who the chat is with (`survey`), then row by row."""
    start = stream.tell()
    encoding = stream_encoding(stream, what)
    rows = csv_rows(stream, start, encoding)
    try:
        columns = header_columns(rows, wanted, what)
    finally:
        rows.close()
    context = survey(stream, start, encoding, columns)
    rows = csv_rows(stream, start, encoding)
    next(rows)
    for position, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        try:
            found = event(cells, columns, context, tz, position)
        except UnreadableRecordError as e:
            yield SkippedRecord(position, str(e))
            continue
        if found is not None:
            yield from capped(found, position)


class WeChatMsgCsv:
    name = "wechat-csv"
    _what = "this WeChatMsg CSV"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        return two_passes(stream, tz, self._what, _WECHATMSG_COLUMNS, self._peer, self._event)

    def _peer(self, stream: ExportStream, start: int, encoding: str, columns: dict[str, int]) -> _Peer:
        """First pass: the sender of the received messages (one: a one-to-one chat; more: a group)."""
        width = max(columns.values()) + 1
        first: _Peer | None = None
        rows = csv_rows(stream, start, encoding)
        try:
            next(rows)
            for index, (_, cells) in enumerate(rows):
                if index == 0 and len(cells) > width:
                    break
                if cell(cells, columns, "IsSender").strip() != "0":
                    continue
                wxid = cell(cells, columns, "Sender").strip()
                if not wxid or len(wxid) > MAX_TEXT_CHARS:
                    continue
                if first is None:
                    first = _Peer(
                        False,
                        wxid,
                        cell(cells, columns, "Remark").strip()[:MAX_TEXT_CHARS],
                        cell(cells, columns, "NickName").strip()[:MAX_TEXT_CHARS],
                    )
                elif wxid != first.wxid:
                    return _Peer(group=True)
            else:
                return first or _Peer()
        except BadInputError:
            return first or _Peer()  # the second pass reports it, after the rows before it
        finally:
            rows.close()
        raise BadInputError(
            f"{self._what} is WeChatMsg's all-chats CSV (rows wider than the header), which names no "
            "WeChat id; export each chat on its own"
        )

    def _event(
        self, cells: list[str], columns: dict[str, int], peer: _Peer, tz: ZoneInfo, position: str
    ) -> ParsedEvent | None:
        if len(cells) > max(columns.values()) + 1:
            raise UnreadableRecordError("the row has more cells than the header")
        try:
            kind = int(short_field(cell(cells, columns, "Type")))
            sub_cell = short_field(cell(cells, columns, "SubType"))
            subtype = int(sub_cell) if sub_cell else None
        except ValueError:
            raise UnreadableRecordError("the message's type is not a number") from None
        if kind in _SYSTEM_TYPES:
            return None
        flag = short_field(cell(cells, columns, "IsSender"))
        direction = {"1": "out", "0": "in"}.get(flag)
        if direction is None:
            raise UnreadableRecordError("the message's sender flag (IsSender) is not 0 or 1")
        at, assumed = self._time(cells, columns, tz)
        content = cell(cells, columns, "StrContent")
        if kind == 1:
            text = content
        elif kind == 49:
            text = content if subtype == 57 and content.strip() else _app_marker(subtype, content)
        elif kind == 50:
            text = _call_text(content, "[call]")
        else:
            text = _PC_TYPES.get(kind, f"[message type {kind}]")
        wxid = short_field(cell(cells, columns, "Sender"))
        remark = short_field(cell(cells, columns, "Remark"))
        nickname = short_field(cell(cells, columns, "NickName"))
        if direction == "out":
            # The row names the user; the other party is the chat's (none known for a group).
            wxid, remark, nickname = ("", "", "") if peer.group else (peer.wxid, peer.remark, peer.nickname)
        return ParsedEvent(
            kind="chat",
            direction=direction,
            raw_number=_wechat_id(wxid),
            at=at,
            tz_assumed=assumed,
            text=text,
            contact=remark or nickname or None,
            source_ref=position,
        )

    @staticmethod
    def _time(cells: list[str], columns: dict[str, int], tz: ZoneInfo) -> tuple[datetime, bool]:
        seconds = short_field(cell(cells, columns, "CreateTime"))
        if seconds.isascii() and seconds.isdigit() and len(seconds) <= 11 and int(seconds) > 0:
            return _EPOCH + timedelta(seconds=int(seconds)), False
        return local_time(short_field(cell(cells, columns, "StrTime")), tz), True


# --- 12425/wechat-exporter CSV (iOS) ---------------------------------------------------------------------


class WechatExporterIosCsv:
    name = "wechat-ios-csv"
    _what = "this wechat-exporter CSV"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        return two_passes(stream, tz, self._what, _IOS_COLUMNS, self._group, self._event)

    @staticmethod
    def _group(stream: ExportStream, start: int, encoding: str, columns: dict[str, int]) -> str:
        """First pass: the group's id, when a row names it (the user's own messages, notices)."""
        rows = csv_rows(stream, start, encoding)
        try:
            next(rows)
            for _, cells in rows:
                wxid = cell(cells, columns, "ID").strip()
                if wxid.endswith("@chatroom") and len(wxid) <= MAX_TEXT_CHARS:
                    return wxid
        except BadInputError:
            pass  # the second pass reports it, after the rows before it
        finally:
            rows.close()
        return ""

    @staticmethod
    def _event(
        cells: list[str], columns: dict[str, int], group: str, tz: ZoneInfo, position: str
    ) -> ParsedEvent | None:
        kind = short_field(cell(cells, columns, "消息类型"))
        if kind == "系统消息" or kind in ("10000", "10002"):
            return None
        direction = _IOS_DIRECTIONS.get(short_field(cell(cells, columns, "消息方向")))
        if direction is None:
            raise UnreadableRecordError("the message's direction is not 接收 or 发送")
        at = local_time(short_field(cell(cells, columns, "时刻")), tz)
        content = cell(cells, columns, "内容")
        if kind == "文本":
            text = content
        elif kind in _IOS_TYPES:
            text = _IOS_TYPES[kind]
        elif kind == "链接":
            text = _app_marker(None, content)
        elif kind in ("通话", "语音通话", "视频通话"):
            marker = (
                "[video call]" if kind == "视频通话" or content.strip() == "voip_content_video" else "[call]"
            )
            text = _call_text(content, marker)
        else:
            text = f"[message type {kind[:20]}]"
        wxid = short_field(cell(cells, columns, "ID")) or short_field(cell(cells, columns, "微信号"))
        contact = short_field(cell(cells, columns, "显示名称")) or short_field(cell(cells, columns, "昵称"))
        return ParsedEvent(
            kind="chat",
            direction=direction,
            raw_number=_wechat_id(wxid),
            at=at,
            tz_assumed=True,
            text=text,
            contact=contact or None,
            other_numbers=(PREFIX + group,) if group else (),
            source_ref=position,
        )


# --- WeChatMsg / MemoTrace TXT ----------


@dataclass(slots=True)
class _Message:
    line: int
    at: datetime
    name: str
    chars: int
    body: list[str]  # its lines, without line breaks; blank lines held until a later line comes
    blanks: int = 0  # blank lines read after the last non-blank one


class WeChatMsgTxt:
    name = "wechat-txt"
    _what = "this WeChatMsg TXT"

    def __init__(self, own_names: Iterable[str] = ()) -> None:
        """`own_names`: the user's own display names in the export (their messages are "out");
        without them no direction can be told (the TXT has no sender flag)."""
        self.own_names = frozenset(own_names)

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        start = stream.tell()
        encoding = stream_encoding(stream, self._what)
        stream.seek(start)
        text = io.TextIOWrapper(cast(BinaryIO, stream), encoding=encoding, newline="")
        try:
            yield from self._parse_text(text, tz)
        finally:
            text.detach()  # the caller owns the stream

    def _parse_text(self, text: io.TextIOWrapper, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        count = 0  # messages read
        line_number = 0
        message: _Message | None = None
        after_blank = True  # the previous line was blank, or this is the first line
        while True:
            room = MAX_RECORD_CHARS - (message.chars if message is not None else 0)
            line = text.readline(room + 1)
            if not line:
                break
            line_number += 1
            if len(line) > room:
                which = (
                    f"the message at line {message.line}" if message is not None else f"line {line_number}"
                )
                self._stop(f"{which} is longer than {MAX_RECORD_CHARS:,} characters", count)
            content = line.rstrip("\r\n")
            if message is not None:
                message.chars += len(line)
            if not content.strip():
                if message is not None:
                    message.blanks += 1
                after_blank = True
                continue
            header = self._header(content, tz) if after_blank else None
            after_blank = False
            if header is not None and (message is None or header[0] >= message.at):
                if message is not None:
                    count += 1
                    yield from self._outputs(message)
                message = _Message(line_number, header[0], header[1], len(line), [])
                continue
            if message is None:
                raise BadInputError(
                    f"{self._what} does not begin with a message's time line; is it a WeChatMsg TXT?"
                )
            message.body.extend([""] * message.blanks)
            message.blanks = 0
            message.body.append(content)
        if message is not None:
            count += 1
            yield from self._outputs(message)
        if count == 0:
            raise BadInputError(f"{self._what} holds no message")

    @staticmethod
    def _header(content: str, tz: ZoneInfo) -> tuple[datetime, str] | None:
        if len(content) > MAX_TEXT_CHARS + 20:
            return None
        m = _TXT_HEADER.fullmatch(content)
        if m is None:
            return None
        y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
        try:
            at = datetime(y, mo, d, h, mi, s, tzinfo=tz)
        except ValueError:
            return None
        return at, unescape_js_html(m[7] or "")

    def _outputs(self, message: _Message) -> tuple[ParsedEvent | SkippedRecord, ...]:
        if not message.body:
            return ()  # a system message: its text is on the time line, and it has no body
        where = f"line {message.line}"
        text = "\n".join(message.body)
        text = _TXT_MARKERS.get(text.strip(), text)
        if len(message.name) > MAX_TEXT_CHARS:
            return (SkippedRecord(where, FIELD_TOO_LONG),)
        direction = None
        if self.own_names:
            direction = "out" if message.name in self.own_names else "in"
        event = ParsedEvent(
            kind="chat",
            direction=direction,
            raw_number=None,
            at=message.at,
            tz_assumed=True,
            text=text,
            contact=message.name or None,
            source_ref=where,
        )
        return capped(event, where)

    def _stop(self, problem: str, count: int) -> None:
        if count == 0:
            raise BadInputError(f"{self._what} cannot be read: {problem}; export it again")
        raise TruncatedInputError(
            f"{self._what} stops: {problem}; the {count} messages before it were read "
            "(the sealed original keeps the rest)",
            records_read=count,
        )


def unescape_js_html(name: str) -> str:
    """A display name as WeChatMsg wrote it (HTML-escaped, then JS-escaped), as it was."""
    if "\\" in name:
        name = _JS_ESCAPE.sub(lambda m: _JS_CHARS.get(m[1], m[1]), name)
    if "&" in name:
        name = name.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return name
