"""Read the WeChat chat pages and texts of three more exporters: BlueMatthew/WechatExporter's TXT and HTML
(iPhone, from an iTunes backup), WeChatMsg / MemoTrace's HTML (Windows WeChat 3.x) and
ppwwyyxx/wechat-dump's TXT (Android, from the phone's decrypted database).

Each layout was learned from the exporter's own code and templates (read, never copied):

* ``wechat-exporter-txt`` (`WechatExporterTxt`): BlueMatthew/WechatExporter's text mode (the GUI's
  and the command line's "txt" option: ``WechatExporterCmd/WechatExporterCmd.h``,
  ``WechatExporter/ViewController.mm``), which fills the templates in ``WechatExporter/res/
  templates_txt/`` instead of ``res/templates/`` and writes one ``index.txt`` per chat
  (``Exporter::exportSession`` in ``WechatExporter/core/Exporter.cpp``). The bytes are the
  database's UTF-8, written as they are (``writeFile`` in ``core/FileSystem.cpp``: no BOM; the
  template files end their lines with LF, CRLF on a Windows checkout, so both are read). The file
  is ``frame.html``: a title line ``{chat's display name} - 微信聊天记录`` (``WeChat Chat History``
  in English: ``%%ML:…%%`` strings are localised from ``res/zh-Hans.txt`` when the templates load,
  ``ResManager::loadTemplates``), a blank line, then the messages. A message is ``msg.html`` and
  its siblings: ``{NAME} ({TIME}):{MESSAGE}`` and a line break, the text raw over as many lines as
  it has (text mode never escapes: ``MessageParser::parseText``). ``TIME`` is ``fromUnixTime``
  (``core/Utils.cpp``): ``%Y-%m-%d %H:%M:%S`` in the exporting computer's local time (read in
  the locker's timezone, ``tz_assumed``). ``NAME`` (``MessageParser::parse``) is the user's own
  display name for their messages, the friend's (remark, else nickname: ``FriendsParser::
  parseRemark`` in ``core/WechatParser.cpp``) in a one-to-one chat, the member's in a group: **no
  WeChat id and no sender flag**. Non-text messages are words from ``res/zh-Hans.txt``:
  ``[图片]``, ``[语音]``/``[语音 12"]``, ``[视频]``, ``[表情]``, ``[位置]…``, ``[个人名片]…``,
  ``[文件: name]``, ``[链接]``, ``[红包]``, ``[视频/语音通话]``, ``微信转账 …`` (English:
  ``[Photo]``, ``[Audio]``…). System messages (``notice.html``, ``system.html``) are their text
  on a line of its own with no name and no time, and a reply (``refermsg.html``) is the quoted
  message, a dashed line and the reply, also with no name and no time: the format cannot tell
  these from a line of the message above, so they stay in its text. A forwarded chat record is
  followed by its messages in the same ``NAME (TIME):`` shape with their original senders and
  times between ``<< title`` and ``title 结束 >>`` lines; they are read as messages.
  Direction: a one-to-one chat's title is the friend's display name, the name their messages
  carry (``Session`` takes it from the friend: ``SessionsParser`` in ``core/WechatParser.cpp``).
  A message under the title's name is "in"; when every other name in the file is one and the
  same, it is the user's and their messages are "out" with the friend as ``contact``. Otherwise
  (a group, or names the file cannot settle) only the title's name gets a direction, unless the
  importer is told the user's own display names (``WechatExporterTxt(own_names=...)``).
  Events have ``raw_number`` None. The exporter writes oldest first unless its "descending" option
  was set; nothing here depends on the order.
* ``wechat-exporter-html`` (`WechatExporterHtml`): its HTML mode. Each chat is ``index.html``
  (``res/templates/frame.html``) whose ``<div class="msgs" id="msgs-div">`` holds the messages
  when the export was made with "sync loading"; otherwise the page holds none and they are in
  ``Files/Data/msg-N.js`` beside it, 1000 to a file (``Exporter::buildScriptFile``, ``PAGE_SIZE``):
  ``res/templates/scripts.html`` with ``var msgArray = [...]``, a JSON array (jsoncpp; non-ASCII
  as ``\\uXXXX``) of one HTML string per message. Both files are read; a page without messages is
  refused with a message saying where they are. A message is a ``<div class="msg …">`` from
  ``msg.html``, ``image.html``, ``audio.html``… with the classes ``left`` (received) or ``right``
  (the user's own: ``msg.des == 0``), attributes ``msgid`` and ``msgtype`` (WeChat's type number,
  or ``image``, ``video``, ``file``, ``channels`` for the media templates), a ``<span class="dspname"
  wxId="…">`` holding the display name (HTML-escaped) and, after it, the time as in the TXT. The
  ``wxId`` attribute (since 2025; older pages have none) is the friend's WeChat account name, else
  their wxid (``Friend::getWxName``): the user's own on their messages. The text is in ``<span
  class="msg-text">`` (in ``<pre>``, not HTML-escaped since 2025, so a text holding markup is read
  as a browser would show it; before that escaped with ``<br/>`` for line breaks), WeChat's own
  emoji as ``<img class="wxemoji" rawemoji="[微笑]">``. ``class="chat-notice"`` is a system message
  (skipped); ``class="fmsg"`` a message inside a forwarded chat record (skipped: the record is one
  message, "[chat history]"). In a one-to-one chat the user's messages are given the friend's id
  and name, learned in a first pass from the received ones; a file whose received messages come
  from two or more senders is a group, where the user's own messages have no ``raw_number``.
* ``wechat-html`` (`WeChatMsgHtml`): WeChatMsg / MemoTrace's HTML, learned from LC044/WeChatMsg
  ``app/util/exporter/exporter_html.py`` (the last version before the repository was emptied),
  ``escape_js_and_html`` and ``get_display_name`` in ``app/util/exporter/exporter.py`` and
  ``app/resources/data/template.html``: UTF-8, the template with ``<title>`` set to the chat's
  name, and the messages as JavaScript object literals inside ``const chatMessages = [ … ];``:
  ``{ type:1, text: '…',is_send:0,avatar_path:'…',timestamp:1700000000,is_chatroom:0,
  displayname:'…'},`` with no line break between most of them. ``timestamp`` is epoch seconds (a
  UTC instant); ``is_send`` 1 is the user's; ``displayname`` the user's name on their messages,
  the chat's name (remark) in a one-to-one chat, the member's remark in a group; no WeChat id at
  all (``raw_number`` None; the user's own messages in a one-to-one chat get the ``<title>`` as
  ``contact``). ``text`` and ``displayname`` are HTML-escaped then JavaScript-escaped. ``type``:
  1 text, 3 image (or a sticker, whose ``text`` is a URL), 34 voice (with ``voice_to_text``, kept
  after the marker), 43 video, 49 with ``sub_type`` 57 reply (the reply's text is kept), 6 file,
  3 music, 5 link, 2000 transfer, 50 call (no ``is_send``: no direction), 0 system (skipped). Some
  fields of links, transfers and calls are written unescaped, so a quote in them breaks the
  record: it is skipped and reading resumes at the next record start (``}, { type:``).
* ``wechat-dump-txt`` (`WechatDumpTxt`): ppwwyyxx/wechat-dump's text dump, learned from
  ``dump-msg.py``, ``wechat/msg.py``, ``wechat/parser.py`` and ``README.md``. The tool reads a
  rooted Android phone's decrypted ``EnMicroMsg.db``; ``dump-msg.py DB OUTPUT_DIR`` needs nothing
  else and writes every chat at once, one ``OUTPUT_DIR/<chat's name>.txt`` each (the name kept to
  letters, digits and spaces: ``safe_filename`` in ``wechat/common/textutil.py``), and is the
  first command the README's "Run" section gives; ``dump-html.py`` (one named chat, and the
  phone's media folders too) is not read here. The file holds ``str(message)`` and a line break
  per message (``WeChatMsg.__repr__``): ``{type}|{sender}:{time}:{text}``, then ``|img:{path}``
  when the message has a media path. It is opened with ``open(path, 'w')``: the platform's
  encoding and line break, UTF-8 and LF on the Linux/macOS the README targets (GBK and CRLF on a
  native Windows Python, both read), no BOM. ``type`` is WeChat's Android message type
  (``TYPE_*`` in ``wechat/msg.py``). ``sender`` is ``me`` for the user's own messages
  (``isSend``), else the sender's display name: the contact's remark, else nickname
  (``_parse_contact``); in a group the member's, or their wxid when they are not among the
  contacts (``_parse_msg_row``). **No WeChat id** otherwise (``raw_number`` None), but a sender flag
  on every message: ``me`` is "out", any other name "in"; when every other name in the file is one
  and the same the file is taken as one-to-one and the user's messages get that name as
  ``contact``. ``time`` is ``str()`` of ``datetime.fromtimestamp(createTime / 1000)``: the dumping
  computer's local time, no offset (read in the locker's timezone, ``tz_assumed``), as
  ``YYYY-MM-DD HH:MM:SS`` with ``.ffffff`` when not a whole second (milliseconds are kept). A
  chat's messages are sorted by that time (``_parse_msg``). The text is written raw, its line
  breaks included: the lines up to the next message line are its own. In a group the tool cuts
  the content up to its first line break (the sender's id); it does so on the user's own
  group messages too, so their first line is missing in the file. System messages (type 10000)
  are dropped by the tool (``WeChatMsg.filter_type``); a recalled-message notice (10002, or any
  text starting ``<sysmsg``) is skipped here. Non-text messages are ``msg_str``'s words: ``Image``
  (3), ``Voice`` (34), ``VIDEO FILE`` (43), ``WeChat VIDEO`` (62), ``Emoji`` (47, 1048625),
  ``REQUEST VIDEO CHAT`` (50), ``LOCATION SHARING``, ``LOCATION:{place} (x,y)`` (48),
  ``URL:…``/``FILE:…``/``Link`` (49, 1090519089), ``NAMECARD: {xml}`` (42: the card's nickname is
  kept), ``[RED ENVELOPE]``/``[Money Transfer]`` and a line with its title or amount (kept), a
  reply as its own text (822083633), QQ music as JSON (``[music]``); a type the tool does not
  know is its raw content, read as ``[message type N]``.

Accepted limits, as for the other chat texts: the TXT has no quoting, so a text line of the exact
shape ``NAME (YYYY-MM-DD HH:MM:SS):…`` is read as a message; a 2025 WechatExporter HTML does not
escape texts, and a WeChatMsg HTML does not escape some fields, so crafted markup there can read as
a message of its own. In a wechat-dump TXT a text line of the shape ``N|name:YYYY-MM-DD
HH:MM:SS:…`` with a time not before its message's is read as a message, and a friend whose display
name is exactly ``me`` is read as the user. The sealed original keeps the bytes for a human to check.

Bounds: files are read in chunks and never whole. A message (TXT lines, HTML element, JSON
string or object literal) over ``wechat.MAX_RECORD_CHARS`` stops the import with
`TruncatedInputError` after the messages before it; a text over ``MAX_TEXT_CHARS`` is cut and
reported (`limits.capped`). HTML is read with the standard library's `html.parser`.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import BinaryIO, cast
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers.limits import FIELD_TOO_LONG, MAX_TEXT_CHARS, UnreadableRecordError, capped
from evidence.importers.streams import ExportStream
from evidence.importers.wechat import (
    MAX_RECORD_CHARS,
    PREFIX,
    local_time,
    stream_encoding,
    unescape_js_html,
)
from evidence.records import ParsedEvent, SkippedRecord

__all__ = [
    "WeChatMsgHtml",
    "WechatDumpTxt",
    "WechatExporterHtml",
    "WechatExporterTxt",
    "looks_like_wechat_page",
]

_CHUNK = 1 << 16
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The title line of a WechatExporter TXT, in its two languages (res/zh-Hans.txt, res/en.txt).
_TXT_TITLES = (" - 微信聊天记录", " - WeChat Chat History")
_TXT_MESSAGE = re.compile(r"(.*?) \((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\):(.*)", re.DOTALL)
_JS_PAGE = re.compile(r"\s*\(function\s*\(\)\s*\{\s*var\s+msgArray\s*=\s*\[")
_WECHATMSG_ARRAY = "const chatMessages = ["
# WechatExporter's words for non-text messages (res/zh-Hans.txt and its English keys) when they are
# the whole text; the forms with details (a file's name, a place, a transfer's amount) stay as written.
_EXPORTER_WORDS = {
    **dict.fromkeys(("[图片]", "[Photo]"), "[image]"),
    **dict.fromkeys(("[语音]", "[Audio]"), "[voice]"),
    **dict.fromkeys(("[视频]", "[Video]", "（视频丢失）", "(Video Missed)"), "[video]"),
    **dict.fromkeys(("[表情]", "[Emoji]"), "[sticker]"),
    **dict.fromkeys(("[位置]", "[Location]", "[实时位置共享]", "[Real-time Location]"), "[location]"),
    **dict.fromkeys(("[个人名片]", "[Contact Card]", "[视频号名片]", "[Channel Card]"), "[contact card]"),
    **dict.fromkeys(("[文件]", "[File]"), "[file]"),
    **dict.fromkeys(("[链接]", "[Link]"), "[link]"),
    **dict.fromkeys(("[红包]", "[Red Packet]"), "[red packet]"),
    **dict.fromkeys(("[视频/语音通话]", "[Video/Audio Call]"), "[call]"),
}
_VOICE_LENGTH = re.compile(r"\[(?:语音|Audio) \d{1,4}(?:'\d{1,2})?\"\]")
# WechatExporter's msgtype attribute (WeChat's iOS message types, MessageParser::parse).
_EXPORTER_TYPES = {
    "3": "[image]",
    "image": "[image]",
    "34": "[voice]",
    "43": "[video]",
    "62": "[video]",
    "video": "[video]",
    "47": "[sticker]",
    "48": "[location]",
    "42": "[contact card]",
    "66": "[contact card]",
    "50": "[call]",
    "file": "[file]",
    "channels": "[channels]",
}
_SYSTEM_TYPES = frozenset({"10000", "10002", "9999", "64", "51", "52", "53"})
# WeChatMsg HTML app messages (type 49) by sub_type.
_WECHATMSG_APPS = {6: "[file]", 3: "[music]", 5: "[link]", 2000: "[transfer]"}


def looks_like_wechat_page(text_head: str) -> str | None:
    """The `name` of the importer for a text or HTML file of this head (its first ~64 KiB), or None.

    A WeChatMsg HTML by its template's chat array and title paragraph; a WechatExporter page by
    its message container and loader; a WechatExporter data page by its first statement; a
    WechatExporter TXT by its title line, a blank line and a message line; a wechat-dump TXT by its
    first line, a message line (``N|name:YYYY-MM-DD HH:MM:SS:``).
    """
    head = text_head.lstrip("\ufeff")
    if _WECHATMSG_ARRAY in head and '<p id="title">' in head:
        return WeChatMsgHtml.name
    if 'id="msgs-div"' in head and "window.moreWechatMsgs" in head:
        return WechatExporterHtml.name
    if _JS_PAGE.match(head):
        return WechatExporterHtml.name
    lines = head.split("\n", 3)
    if (
        len(lines) >= 3
        and lines[0].rstrip("\r").endswith(_TXT_TITLES)
        and not lines[1].rstrip("\r")
        and _TXT_MESSAGE.fullmatch(lines[2].rstrip("\r")) is not None
    ):
        return WechatExporterTxt.name
    if _DUMP_LINE.fullmatch(lines[0].rstrip("\r")) is not None:
        return WechatDumpTxt.name
    return None


# --- shared ----------


def _text(stream: ExportStream, what: str) -> tuple[io.TextIOWrapper, Callable[[], None]]:
    start = stream.tell()
    encoding = stream_encoding(stream, what)
    stream.seek(start)
    # TextIOWrapper uses only read, readable, seekable and closed of its buffer when reading.
    text = io.TextIOWrapper(cast(BinaryIO, stream), encoding=encoding, newline="")

    def detach() -> None:
        text.detach()

    return text, detach


def _stop(what: str, problem: str, count: int) -> BadInputError:
    if count == 0:
        return BadInputError(f"{what} cannot be read: {problem}; export it again")
    return TruncatedInputError(
        f"{what} stops: {problem}; the {count} messages before it were read "
        "(the sealed original keeps the rest)",
        records_read=count,
    )


def _name(value: str) -> str:
    if len(value) > MAX_TEXT_CHARS:
        raise UnreadableRecordError(FIELD_TOO_LONG)
    return value.strip()


def _exporter_marker(text: str) -> str | None:
    stripped = text.strip()
    if _VOICE_LENGTH.fullmatch(stripped):
        return "[voice]"
    return _EXPORTER_WORDS.get(stripped)


# --- WechatExporter TXT ----------


@dataclass(slots=True)
class _TxtMessage:
    line: int
    name: str
    time: str
    lines: list[str]
    chars: int


def _txt_messages(text: io.TextIOWrapper, what: str) -> Iterator[_TxtMessage | str]:
    """The title (first), then every message; `BadInputError` when the file is not this format."""
    first = text.readline(MAX_TEXT_CHARS + 1).rstrip("\r\n")
    title = next((first[: -len(t)] for t in _TXT_TITLES if first.endswith(t)), None)
    if title is None or len(first) > MAX_TEXT_CHARS:
        raise BadInputError(f"{what} does not begin with its title line; is it a WechatExporter TXT?")
    yield title
    count = 0
    number = 1
    message: _TxtMessage | None = None
    while True:
        room = MAX_RECORD_CHARS - (message.chars if message is not None else 0)
        line = text.readline(room + 1)
        if not line:
            break
        number += 1
        if len(line) > room:
            where = f"the message at line {message.line}" if message is not None else f"line {number}"
            raise _stop(what, f"{where} is longer than {MAX_RECORD_CHARS:,} characters", count)
        content = line.rstrip("\r\n")
        m = _TXT_MESSAGE.fullmatch(content) if len(content) <= MAX_RECORD_CHARS else None
        if m is not None:
            if message is not None:
                count += 1
                yield message
            message = _TxtMessage(number, m[1], m[2], [m[3]], len(line))
        elif message is not None:
            message.lines.append(content)
            message.chars += len(line)
        # A line before the first message is a system message (notice.html): no name, no time.
    if message is not None:
        yield message
    elif count == 0:
        raise BadInputError(f"{what} holds no message")


class WechatExporterTxt:
    name = "wechat-exporter-txt"
    _what = "this WechatExporter TXT"

    def __init__(self, own_names: Iterable[str] = ()) -> None:
        """`own_names`: the user's own display names (their messages are "out")."""
        self.own_names = frozenset(own_names)

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        start = stream.tell()
        title, others, friend_spoke = self._survey(stream)
        # One-to-one when the friend (the title's name) wrote and every other name is one and the same.
        one_to_one = friend_spoke and len(others) == 1
        stream.seek(start)
        text, detach = _text(stream, self._what)
        try:
            messages = _txt_messages(text, self._what)
            next(messages)
            for message in messages:
                assert isinstance(message, _TxtMessage)
                yield from self._outputs(message, title, one_to_one, tz)
        finally:
            detach()  # the caller owns the stream

    def _survey(self, stream: ExportStream) -> tuple[str, set[str], bool]:
        """First pass: the title, the other names (at most two kept: whether there is one is all that
        matters) and whether any message bears the title's name."""
        text, detach = _text(stream, self._what)
        others: set[str] = set()
        friend_spoke = False
        try:
            messages = _txt_messages(text, self._what)
            title = cast(str, next(messages))
            try:
                for message in messages:
                    assert isinstance(message, _TxtMessage)
                    if message.name == title:
                        friend_spoke = True
                    elif len(others) < 2:
                        others.add(message.name)
            except BadInputError:
                pass  # the second pass reports it, after the messages before it
        finally:
            detach()
        return title, others, friend_spoke

    def _outputs(
        self, message: _TxtMessage, title: str, one_to_one: bool, tz: ZoneInfo
    ) -> tuple[ParsedEvent | SkippedRecord, ...]:
        where = f"line {message.line}"
        try:
            name = _name(message.name)
            at = local_time(message.time, tz)
        except UnreadableRecordError as e:
            return (SkippedRecord(where, str(e)),)
        lines = message.lines
        while len(lines) > 1 and not lines[-1].strip():
            lines.pop()  # the blank line the frame ends with
        body = "\n".join(lines)
        text = _exporter_marker(body) or body
        contact: str | None = name or None
        if name in self.own_names:
            direction: str | None = "out"
            contact = title if one_to_one else None
        elif name == title:
            direction = "in"
        elif one_to_one and not self.own_names:
            direction, contact = "out", title or None
        else:
            direction = "in" if self.own_names else None
        event = ParsedEvent(
            kind="chat",
            direction=direction,
            raw_number=None,
            at=at,
            tz_assumed=True,
            text=text,
            contact=contact,
            source_ref=where,
        )
        return capped(event, where)


# --- WechatExporter HTML ----------


@dataclass(slots=True)
class _Div:
    """One WechatExporter message element as the HTML parser saw it."""

    line: int
    classes: frozenset[str]
    msgtype: str
    name: list[str] = field(default_factory=list)
    wxid: str = ""
    stamp: list[str] = field(default_factory=list)
    texts: list[list[str]] = field(default_factory=list)
    transfer: bool = False
    reply: bool = False
    chars: int = 0
    forwarded: bool = False  # followed by a forwarded chat record


class _MessageParser(HTMLParser):
    """Collects WechatExporter's message elements; `done` holds those complete."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.done: list[_Div] = []
        self.current: _Div | None = None
        self.depth = 0  # open <div>s inside the current message
        self.in_name = 0
        self.in_stamp = 0
        self.in_text = 0  # open <span>s inside a msg-text span
        self.too_long: int | None = None  # the line of a message over the bound

    def _finish(self) -> None:
        if self.current is not None:
            self.done.append(self.current)
        self.current = None
        self.depth = self.in_name = self.in_stamp = self.in_text = 0

    def close_message(self) -> None:
        self._finish()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        classes = frozenset(values.get("class", "").split())
        message = self.current
        if tag == "div" and "msg" in classes:
            self._finish()
            self.current = _Div(self.getpos()[0], classes, values.get("msgtype", "")[:32])
            self.depth = 1
            return
        if message is None:
            return
        if tag == "div":
            self.depth += 1
            if "nt-box" in classes:
                self.in_stamp = self.depth
        elif tag == "span":
            if "dspname" in classes:
                self.in_name = 1
                message.wxid = values.get("wxid", "")[:256].strip()
            elif self.in_name:
                self.in_name += 1
            if "refermsg" in classes:
                message.reply = True
            if "msg-text" in classes and not self.in_text:
                self.in_text = 1
                message.texts.append([])
            elif self.in_text:
                self.in_text += 1
        elif tag == "br" and self.in_text:
            self._add("\n")
        elif tag == "img":
            if "transfer-icon" in classes:
                message.transfer = True
            if "wxemoji" in classes and self.in_text:
                self._add(values.get("rawemoji", ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.current is None:
            return
        if tag == "div":
            if self.in_stamp == self.depth:
                self.in_stamp = 0
            self.depth -= 1
            if self.depth <= 0:
                self._finish()
        elif tag == "span":
            if self.in_name:
                self.in_name -= 1
            if self.in_text:
                self.in_text -= 1

    def handle_data(self, data: str) -> None:
        message = self.current
        if message is None:
            return
        if self.in_name:
            message.name.append(data)
        elif self.in_text:
            self._add(data)
        elif self.in_stamp:
            message.stamp.append(data)
        else:
            return
        message.chars += len(data)
        if message.chars > MAX_RECORD_CHARS and self.too_long is None:
            self.too_long = message.line

    def _add(self, data: str) -> None:
        assert self.current is not None
        self.current.texts[-1].append(data)


@dataclass(frozen=True, slots=True)
class _Party:
    group: bool = False
    wxid: str = ""
    name: str = ""


class WechatExporterHtml:
    name = "wechat-exporter-html"
    _what = "this WechatExporter page"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        start = stream.tell()
        peer = _Party()
        senders: set[tuple[str, str]] = set()
        try:
            for _, div in self._divs(stream):
                if "left" in div.classes and not div.classes & {"fmsg", "chat-notice"}:
                    sender = (div.wxid, "".join(div.name).strip()[:MAX_TEXT_CHARS])
                    if not senders:
                        peer = _Party(False, *sender)
                    senders.add(sender)
                    if len(senders) > 1:
                        peer = _Party(group=True)
                        break
        except BadInputError:
            pass  # the second pass reports it, after the messages before it
        stream.seek(start)
        count = 0
        pending: tuple[str, _Div] | None = None
        for where, div in self._divs(stream):
            if "fmsgtag" in div.classes and pending is not None:
                pending[1].forwarded = True  # the message before is a forwarded chat record
            if "chat-notice" in div.classes or "fmsg" in div.classes:
                continue
            if pending is not None:
                count += 1
                yield from self._outputs(*pending, peer, tz)
            pending = (where, div)
        if pending is not None:
            count += 1
            yield from self._outputs(*pending, peer, tz)
        if count == 0:
            raise BadInputError(
                f"{self._what} holds no message: WechatExporter keeps them in the Files/Data/msg-N.js "
                "files beside its index.html unless it exported with sync loading; add those files"
            )

    def _divs(self, stream: ExportStream) -> Iterator[tuple[str, _Div]]:
        """(position, element) of every message element; a `.js` data page or an HTML page."""
        text, detach = _text(stream, self._what)
        try:
            head = text.read(4096)
            if _JS_PAGE.match(head):
                yield from self._js_divs(text, head)
            else:
                yield from self._html_divs(text, head)
        finally:
            detach()  # the caller owns the stream

    def _html_divs(self, text: io.TextIOWrapper, head: str) -> Iterator[tuple[str, _Div]]:
        parser = _MessageParser()
        count = 0
        chunk = head
        while True:
            try:
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()
                    parser.close_message()
            except (AssertionError, ValueError):
                raise _stop(self._what, "its HTML cannot be parsed", count) from None
            for div in parser.done:
                count += 1
                yield f"line {div.line}", div
            parser.done.clear()
            if parser.too_long is not None:
                raise _stop(
                    self._what,
                    f"the message at line {parser.too_long} is longer than {MAX_RECORD_CHARS:,} characters",
                    count,
                )
            if len(parser.rawdata) > MAX_RECORD_CHARS:
                raise _stop(self._what, f"markup longer than {MAX_RECORD_CHARS:,} characters", count)
            if not chunk:
                return
            chunk = text.read(_CHUNK)

    def _js_divs(self, text: io.TextIOWrapper, head: str) -> Iterator[tuple[str, _Div]]:
        m = _JS_PAGE.match(head)
        assert m is not None
        buffer = head[m.end() :]
        count = 0
        index = 0
        at = 0
        while True:
            # Skip separators, then read one JSON string (or the array's end).
            buffer, at = _next_item(text, buffer, at, self._what, count)
            if buffer[at] == "]":
                return
            if buffer[at] != '"':
                raise _stop(self._what, f"message {index + 1} is not a JSON string", count)
            end = _string_end(buffer, at)
            while end is None:
                if len(buffer) - at > MAX_RECORD_CHARS * 2:
                    raise _stop(
                        self._what,
                        f"message {index + 1} is longer than {MAX_RECORD_CHARS:,} characters",
                        count,
                    )
                more = text.read(_CHUNK)
                if not more:
                    raise _stop(self._what, "the file ends inside a message", count)
                buffer, at = buffer[at:] + more, 0
                end = _string_end(buffer, at)
            try:
                fragment = json.loads(buffer[at:end])
            except (ValueError, RecursionError):
                raise _stop(self._what, f"message {index + 1} is not a JSON string", count) from None
            buffer, at = buffer[end:], 0
            index += 1
            parser = _MessageParser()
            try:
                parser.feed(fragment)
                parser.close()
                parser.close_message()
            except (AssertionError, ValueError):
                raise _stop(self._what, f"message {index} holds HTML that cannot be parsed", count) from None
            if parser.too_long is not None:
                raise _stop(
                    self._what, f"message {index} is longer than {MAX_RECORD_CHARS:,} characters", count
                )
            for div in parser.done:
                count += 1
                yield f"message {index}", div

    def _outputs(
        self, where: str, div: _Div, peer: _Party, tz: ZoneInfo
    ) -> tuple[ParsedEvent | SkippedRecord, ...]:
        try:
            event = self._event(where, div, peer, tz)
        except UnreadableRecordError as e:
            return (SkippedRecord(where, str(e)),)
        return capped(event, where)

    @staticmethod
    def _event(where: str, div: _Div, peer: _Party, tz: ZoneInfo) -> ParsedEvent:
        if "right" in div.classes:
            direction = "out"
        elif "left" in div.classes:
            direction = "in"
        else:
            raise UnreadableRecordError("the message is neither received nor sent (no left/right class)")
        stamp = "".join(div.stamp)
        if len(stamp) > 64:
            raise UnreadableRecordError("the message's time is not understood")
        at = local_time(stamp, tz)
        texts = ["".join(parts) for parts in div.texts]
        shown = "\n".join(texts)
        kind = div.msgtype
        if div.forwarded:
            text = "[chat history]"
        elif kind == "1":
            text = shown
        elif kind in _EXPORTER_TYPES:
            text = _EXPORTER_TYPES[kind]
        elif kind == "49":
            if div.reply and texts:
                text = texts[-1]
            elif div.transfer:
                text = "[transfer]"
            else:
                text = _exporter_marker(shown) or "[link]"
        elif kind in _SYSTEM_TYPES:
            text = shown  # not expected: these are notices
        else:
            text = f"[message type {kind[:20]}]"
        wxid = div.wxid
        name = _name("".join(div.name))
        if direction == "out":
            wxid, name = ("", "") if peer.group else (peer.wxid, peer.name)
        return ParsedEvent(
            kind="chat",
            direction=direction,
            raw_number=PREFIX + wxid if wxid else None,
            at=at,
            tz_assumed=True,
            text=text,
            contact=name or None,
            source_ref=where,
        )


def _skip(buffer: str, at: int, chars: str) -> int:
    while at < len(buffer) and buffer[at] in chars:
        at += 1
    return at


def _next_item(text: io.TextIOWrapper, buffer: str, at: int, what: str, count: int) -> tuple[str, int]:
    """Past the separators to the next item of an array read in chunks: (buffer, its position),
    reading more as needed; the file ending first stops the import after `count` messages."""
    while True:
        at = _skip(buffer, at, " \t\r\n,")
        if at < len(buffer):
            return buffer, at
        more = text.read(_CHUNK)
        if not more:
            raise _stop(what, "the file ends inside its message array", count)
        buffer, at = buffer[at:] + more, 0


_STRING_STOP = re.compile(r'["\\]')


def _string_end(buffer: str, at: int) -> int | None:
    """The index after the JSON string starting at `at` (a quote), None when the buffer ends first."""
    i = at + 1
    while True:
        m = _STRING_STOP.search(buffer, i)
        if m is None:
            return None
        if m[0] == '"':
            return m.end()
        if m.end() >= len(buffer):
            return None
        i = m.end() + 1


# --- WeChatMsg / MemoTrace HTML ----------


_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
# One `key: value` of a record: a quoted string with backslash escapes, a number or a bare word.
_PAIR = re.compile(
    r"\s*([A-Za-z_]\w*)\s*:\s*('(?:[^'\\]|\\.)*'|-?\d+(?:\.\d+)?|[A-Za-z_]\w*)\s*(?:,|$)", re.DOTALL
)
_RECORD_SCAN = re.compile(r"['}]")
_QUOTE_SCAN = re.compile(r"['\\]")
_RESYNC = re.compile(r"\}\s*,\s*(?=\{\s*type\s*:)")


class WeChatMsgHtml:
    name = "wechat-html"
    _what = "this WeChatMsg HTML"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        text, detach = _text(stream, self._what)
        try:
            yield from self._parse(text, tz)
        finally:
            detach()  # the caller owns the stream

    def _parse(self, text: io.TextIOWrapper, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        buffer = ""
        while _WECHATMSG_ARRAY not in buffer:
            if len(buffer) > MAX_RECORD_CHARS:
                raise BadInputError(f"{self._what} has no message array where the template puts it")
            more = text.read(_CHUNK)
            if not more:
                raise BadInputError(f"{self._what} has no message array; is it a WeChatMsg HTML?")
            buffer += more
        head, _, buffer = buffer.partition(_WECHATMSG_ARRAY)
        m = _TITLE.search(head)
        title = m[1].strip()[:MAX_TEXT_CHARS] if m is not None else ""
        count = 0
        index = 0
        at = 0
        while True:
            buffer, at = _next_item(text, buffer, at, self._what, count)
            if buffer[at] == "]":
                return
            index += 1
            where = f"message {index}"
            end = self._record_end(buffer, at)
            while end is None:
                # No end where quoting says: a quote left unescaped (see the docstring) makes the
                # rest read as a string; the next record's start, if any, ends this one.
                resume = _RESYNC.search(buffer, at + 1)
                if resume is not None:
                    end = resume.start() + 1
                    break
                if len(buffer) - at > MAX_RECORD_CHARS:
                    raise _stop(self._what, f"{where} is longer than {MAX_RECORD_CHARS:,} characters", count)
                more = text.read(_CHUNK)
                if not more:
                    raise _stop(self._what, f"the file ends inside {where}", count)
                buffer, at = buffer[at:] + more, 0
                end = self._record_end(buffer, at)
            if end - at > MAX_RECORD_CHARS:
                raise _stop(self._what, f"{where} is longer than {MAX_RECORD_CHARS:,} characters", count)
            record = buffer[at:end]
            fields = _fields(record)
            if fields is None:
                # A quote left unescaped by the exporter: resume at the next record's start.
                resume = _RESYNC.search(buffer, at + 1, end)
                buffer, at = buffer[resume.end() if resume is not None else end :], 0
                yield SkippedRecord(where, "the record is not understood (a field is not quoted as expected)")
                continue
            buffer, at = buffer[end:], 0
            count += 1
            try:
                event = self._event(fields, title, where)
            except UnreadableRecordError as e:
                yield SkippedRecord(where, str(e))
                continue
            if event is not None:
                yield from capped(event, where)

    @staticmethod
    def _record_end(buffer: str, at: int) -> int | None:
        """The index after the object literal starting at `at`, None when the buffer ends first; an
        index at a non-`{` character marks it as unreadable."""
        if buffer[at] != "{":
            brace = buffer.find("{", at)
            return brace if brace >= 0 else None
        i = at + 1
        while True:
            m = _RECORD_SCAN.search(buffer, i)
            if m is None:
                return None
            if m[0] == "}":
                return m.end()
            i = m.end()
            while True:  # inside a quoted string
                q = _QUOTE_SCAN.search(buffer, i)
                if q is None or (q.end() >= len(buffer) and q[0] == "\\"):
                    return None
                if q[0] == "'":
                    i = q.end()
                    break
                i = q.end() + 1

    @staticmethod
    def _event(fields: dict[str, str], title: str, where: str) -> ParsedEvent | None:
        def number(key: str) -> int | None:
            value = fields.get(key, "")
            return (
                int(value) if value.isascii() and value.lstrip("-").isdigit() and len(value) <= 12 else None
            )

        def string(key: str) -> str:
            value = fields.get(key, "")
            if len(value) > MAX_RECORD_CHARS:
                raise UnreadableRecordError(FIELD_TOO_LONG)
            return unescape_js_html(value)

        kind = number("type")
        if kind is None:
            raise UnreadableRecordError("the message's type is not a number")
        if kind in (0, 10000, 10002):
            return None
        stamp = number("timestamp")
        if stamp is None or stamp <= 0:
            raise UnreadableRecordError("the message's time is not understood")
        try:
            at = _EPOCH + timedelta(seconds=stamp)
        except OverflowError:
            raise UnreadableRecordError("the message's time is not a real date") from None
        sent = number("is_send")
        direction = {1: "out", 0: "in"}.get(sent) if sent is not None else None
        if sent is not None and direction is None:
            raise UnreadableRecordError("the message's sender flag (is_send) is not 0 or 1")
        content = string("text")
        sub_type = number("sub_type")
        if kind == 1:
            text = content
        elif kind == 3:
            text = "[sticker]" if content.startswith(("http://", "https://")) else "[image]"
        elif kind == 34:
            heard = string("voice_to_text").strip()
            text = f"[voice] {heard}" if heard and heard != "None" else "[voice]"
        elif kind == 43:
            text = "[video]"
        elif kind == 49:
            text = content if sub_type == 57 else _WECHATMSG_APPS.get(sub_type or 0, "[link]")
        elif kind == 50:
            text = content.strip() or "[call]"
        else:
            text = f"[message type {kind}]"
        name = _name(string("displayname"))
        group = number("is_chatroom") == 1
        if direction == "out":
            name = "" if group else title
        return ParsedEvent(
            kind="chat",
            direction=direction,
            raw_number=None,
            at=at,
            tz_assumed=False,
            text=text,
            contact=name or None,
            source_ref=where,
        )


def _fields(record: str) -> dict[str, str] | None:
    """The fields of one object literal (strings without their quotes, still escaped), or None."""
    if not (record.startswith("{") and record.endswith("}")):
        return None
    inner = record[1:-1]
    fields: dict[str, str] = {}
    at = 0
    while at < len(inner):
        if not inner[at:].strip():
            break
        m = _PAIR.match(inner, at)
        if m is None or m.end() == at:
            return None
        value = m[2]
        fields[m[1]] = value[1:-1] if value.startswith("'") else value
        at = m.end()
    return fields if "type" in fields else None


# --- ppwwyyxx/wechat-dump TXT ----------


# One message's first line: ``type|name:YYYY-MM-DD HH:MM:SS[.ffffff]:text``.
_DUMP_LINE = re.compile(
    r"(-?\d{1,10})\|(.*?):(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d{6}))?:(.*)", re.DOTALL
)
_DUMP_IMG = re.compile(r"\|img:[^\n]*\Z")
_DUMP_CARD_NAME = re.compile(r'\bnickname="([^"]{1,256})"')
# wechat-dump's `msg_str` for the types it shows as a word (wechat/msg.py of ppwwyyxx/wechat-dump).
_DUMP_TYPES = {
    3: "[image]",
    34: "[voice]",
    43: "[video]",
    62: "[video]",
    47: "[sticker]",
    1048625: "[sticker]",
    50: "[call]",
    -1879048186: "[location]",
    1040187441: "[music]",
}
_DUMP_SYSTEM_TYPES = frozenset({10000, 10002})
_DUMP_ME = "me"


@dataclass(slots=True)
class _DumpMessage:
    line: int
    kind: str
    name: str
    time: str
    fraction: str
    lines: list[str]
    chars: int


def _dump_messages(text: io.TextIOWrapper, what: str) -> Iterator[_DumpMessage]:
    """Every message; `BadInputError` when the file does not begin with one."""
    count = 0
    number = 0
    message: _DumpMessage | None = None
    while True:
        room = MAX_RECORD_CHARS - (message.chars if message is not None else 0)
        line = text.readline(room + 1)
        if not line:
            break
        number += 1
        if len(line) > room:
            where = f"the message at line {message.line}" if message is not None else f"line {number}"
            raise _stop(what, f"{where} is longer than {MAX_RECORD_CHARS:,} characters", count)
        content = line.rstrip("\r\n")
        if number == 1:
            content = content.lstrip("\ufeff")
        m = _DUMP_LINE.fullmatch(content)
        # The tool writes a chat's messages sorted by time: a line shaped like a message but earlier
        # than the one before it is that message's text.
        if m is not None and (
            message is None or (m[3], m[4] or "000000") >= (message.time, message.fraction)
        ):
            if message is not None:
                count += 1
                yield message
            message = _DumpMessage(number, m[1], m[2], m[3], m[4] or "000000", [m[5]], len(line))
        elif message is not None:
            message.lines.append(content)
            message.chars += len(line)
        else:
            raise BadInputError(f"{what} does not begin with a message line; is it a wechat-dump TXT?")
    if message is not None:
        yield message
    elif count == 0:
        raise BadInputError(f"{what} holds no message")


def _dump_text(kind: int, body: str) -> str | None:
    """The event text of a message of this type as `msg_str` wrote it; None for a system message."""
    if kind in _DUMP_SYSTEM_TYPES or body.lstrip().startswith("<sysmsg"):
        return None
    if kind == 1:
        return body
    body = _DUMP_IMG.sub("", body)  # imgPath, added after the text of media messages
    head, _, rest = body.partition("\n")
    if kind in _DUMP_TYPES:
        return _DUMP_TYPES[kind]
    if kind == 48:
        place = body.removeprefix("LOCATION:").strip()
        return f"[location] {place}" if body.startswith("LOCATION:") and place != "unknown" else "[location]"
    if kind in (49, 1090519089) and body.startswith(("URL:", "FILE:")):
        marker = "[link]" if body.startswith("URL:") else "[file]"
        detail = body.partition(":")[2].strip()
        return f"{marker} {detail}" if detail else marker
    if kind == 49:
        return "[link]"
    if kind == 1090519089:
        return "[file]"
    if kind in (436207665, 419430449):
        marker = "[red packet]" if kind == 436207665 else "[transfer]"
        detail = rest.strip() if head.strip() in ("[RED ENVELOPE]", "[Money Transfer]") else ""
        return f"{marker} {detail}" if detail and detail != "None" else marker
    if kind == 42:
        m = _DUMP_CARD_NAME.search(body[:_CHUNK])
        return f"[contact card] {html.unescape(m[1]).strip()}" if m is not None else "[contact card]"
    if kind == 822083633:
        return "[reply]" if body.lstrip().startswith("<") else body  # the reply's own text
    if kind == 16777265:
        return f"[link] {body.strip()}" if body.strip() else "[link]"
    return f"[message type {kind}]"


class WechatDumpTxt:
    name = "wechat-dump-txt"
    _what = "this wechat-dump TXT"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        start = stream.tell()
        others = self._survey(stream)
        # One-to-one when every message not the user's bears one and the same name.
        friend = next(iter(others)) if len(others) == 1 else ""
        stream.seek(start)
        text, detach = _text(stream, self._what)
        try:
            for message in _dump_messages(text, self._what):
                yield from self._outputs(message, friend, tz)
        finally:
            detach()  # the caller owns the stream

    def _survey(self, stream: ExportStream) -> set[str]:
        """First pass: the names other than the user's ("me"); at most two kept (whether there is
        exactly one is all that matters)."""
        text, detach = _text(stream, self._what)
        others: set[str] = set()
        try:
            for message in _dump_messages(text, self._what):
                if message.name != _DUMP_ME and len(others) < 2:
                    others.add(message.name[:MAX_TEXT_CHARS].strip())
        except BadInputError:
            pass  # the second pass reports it, after the messages before it
        finally:
            detach()
        return others

    @staticmethod
    def _outputs(message: _DumpMessage, friend: str, tz: ZoneInfo) -> tuple[ParsedEvent | SkippedRecord, ...]:
        where = f"line {message.line}"
        try:
            name = _name(message.name)
            at = local_time(message.time, tz)
        except UnreadableRecordError as e:
            return (SkippedRecord(where, str(e)),)
        if message.fraction != "000000":
            at += timedelta(milliseconds=round(int(message.fraction) / 1000))
        lines = message.lines
        while len(lines) > 1 and not lines[-1].strip():
            lines.pop()
        try:
            kind = int(message.kind)
        except ValueError:
            return (SkippedRecord(where, "the message's type is not a number"),)
        text = _dump_text(kind, "\n".join(lines))
        if text is None:
            return ()
        if message.name == _DUMP_ME:
            direction, contact = "out", friend
        else:
            direction, contact = "in", name
        event = ParsedEvent(
            kind="chat",
            direction=direction,
            raw_number=None,
            at=at,
            tz_assumed=True,
            text=text,
            contact=contact or None,
            source_ref=where,
        )
        return capped(event, where)
