"""Read vMessage SMS backups (`.vmsg`, `.vmg`): the "备份与恢复" export of OPPO, vivo, ZTE, Huawei,
older Samsung and most MediaTek-based phones, one `BEGIN:VMSG` … `END:VMSG` record per message.

The format is the IrDA IrMC 1.1 vMessage, vCard-like: a record holds a `BEGIN:VCARD` block
(`TEL:` or `TEL;CELL:` the other party; `FN`/`N` a name), optionally `BEGIN:VENV` envelopes
(IrMC puts the recipients' vCards there) and a `BEGIN:VBODY` block. The MediaTek exporters
write inside the VBODY `X-BOX:INBOX|SENDBOX|OUTBOX|DRAFT`, `X-READ`, `X-SIMID`, `X-LOCKED`,
`X-TYPE:SMS`, `Date:2026/08/11 13:20:00` and the text as `Subject;ENCODING=QUOTED-PRINTABLE;
CHARSET=UTF-8:=E4=BD=A0…`, QP with `=` soft line breaks; IrMC writers put `X-IRMC-BOX` and
`X-IRMC-STATUS` in the record's head and the text as raw lines after the VBODY's `Date:`.
Samsung's variant has `X-SS-DT:20100709T155811Z` and `X-BODY-CONTENTS;ENCODING=BASE64:`; ZTE
writes an MMS as `BEGIN:VPART` blocks (`X-MMS-PART-CONTENT-TYPE`, base64 `X-MMS-PART-DATA`).
Known from the IrMC specification's summaries and real exports published with open-source
converters; no exporter's code is used here.

Decisions made here:

* Direction from the box: INBOX → in; SENDBOX, SENTBOX, SENT, OUTBOX, FAILED, QUEUED → out (the
  borrower's own attempts, as `android_codes.SMS_TYPES`); DRAFT → skipped (never sent); a
  numeric box uses the Android codes; without a box `X-IRMC-STATUS` READ/UNREAD → in, SENT →
  out; else no direction.
* The number: for a received message the record's own vCard (IrMC: the originator), for a sent
  one the envelope's vCards when there are some (IrMC: the recipients), else the record's (the
  MediaTek layout, one vCard, the other party either way). Further numbers are `other_numbers`.
* Times: `Date:` (or `X-DATE`, `X-SS-DT`) as `2026/08/11 13:20:00`, `2026-08-11 13:20`,
  `2013.4.3.23.5.9`, `20100709T155811` or the forms `csv_log.parse_time` reads (also epoch
  milliseconds). Without an offset (the usual case) the locker's timezone applies and the event
  is `tz_assumed`; a trailing `Z` is UTC. Day-first dates (`21-12-2005`, old Nokia) are not
  guessed: the record is skipped. A record without a readable date is skipped and reported
  ("message 12": the record's place in the file).
* Text: QP and base64 values decoded in their CHARSET (UTF-8 when none; GB2312/GBK read as
  GB18030); raw lines kept as written, line breaks included. An MMS's text/plain parts are its
  text, other parts placeholders such as `[image/jpeg]`, as `sbr` writes them.
* The file: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030 (`csv_log.detect_encoding`).

A message text must not be able to forge a record. A QP value cannot hold a line break (the
encoder writes `=0A`), and every line after a soft break is read as part of the value whatever
it says, so a QP text that reads `END:VBODY` or `BEGIN:VMSG` stays text. The structure is read
strictly: a record that begins inside another, an `END:` that closes no open block, or a line
that is not a property outside the text stops the import there (the records before it are
kept: `TruncatedInputError`), and so does a record longer than `MAX_RECORD_CHARS` or a file
ending inside a record (a cut export). It is never skipped over: reading on from inside a
broken record would turn a message's text into records. Residual ambiguity, in the format
itself: an exporter that writes a text raw over several lines (IrMC style; the MediaTek ones
encode it) cannot be read unambiguously by anyone when a line of the text is `END:VBODY`; the
sealed original keeps the bytes for a human to check.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, cast
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers.android_codes import SMS_TYPES, contact_name, message_text
from evidence.importers.csv_log import detect_encoding
from evidence.importers.limits import FIELD_TOO_LONG, MAX_TEXT_CHARS, UnreadableRecordError, capped
from evidence.importers.streams import ExportStream
from evidence.importers.tables import parse_time
from evidence.records import ParsedEvent, SkippedRecord

# Characters one record (BEGIN:VMSG to END:VMSG) may hold: a message at the text cap with room for
# its encoding. A QP-encoded Chinese text takes 9 characters a character, so the longest real SMS
# (under 40,000 characters) fits many times over. Bounds the memory of the record being read.
MAX_RECORD_CHARS = 4 * MAX_TEXT_CHARS
_WHAT = "this vmsg file"

_BOXES: dict[str, str | None] = {
    "INBOX": "in",
    **dict.fromkeys(("SENDBOX", "SENTBOX", "SENT", "OUTBOX", "FAILED", "QUEUED"), "out"),
    **dict.fromkeys(("DRAFT", "DRAFTS", "DRAFTBOX"), None),
}
_STATUSES = {"READ": "in", "UNREAD": "in", "SENT": "out"}
_BOX_PROPERTIES = frozenset({"X-BOX", "X-IRMC-BOX"})
_DATE_PROPERTIES = frozenset({"DATE", "X-DATE", "X-SS-DT"})
_TYPE_PROPERTIES = frozenset({"X-TYPE", "X-MESSAGE-TYPE"})
_TEXT_PROPERTIES = frozenset({"SUBJECT", "TEXT", "BODY", "X-BODY-CONTENTS"})
# Names the VBODY's head may hold besides X-…; any other line there begins a raw text.
_BODY_HEADERS = frozenset({"DATE", "VERSION"})
_SMIL = "application/smil"
_PART_TYPE = "X-MMS-PART-CONTENT-TYPE"
_PART_DATA = "X-MMS-PART-DATA"  # base64, without an ENCODING parameter

_PROPERTY = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)((?:;[^:]*)?):(.*)", re.DOTALL)
_QP_ESCAPE = re.compile(r"=([0-9A-Fa-f]{2})")
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/=]+")
_LONGEST_DATE = 64
_COMPACT_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})T?(\d{2})(\d{2})(\d{2})(Z?)")
_DOTTED_TIME = re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})\.(\d{1,2})\.(\d{1,2})(?:\.(\d{1,2}))?")
_CHARSETS = {
    **dict.fromkeys(("utf-8", "utf8"), "utf-8"),
    **dict.fromkeys(("gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn"), "gb18030"),
    **dict.fromkeys(("big5", "big5-hkscs"), "big5hkscs"),
    **dict.fromkeys(("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"), "latin-1"),
}


class Vmsg:
    name = "vmsg"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        if not stream.seekable():
            raise BadInputError(f"{_WHAT} cannot be read: the stream cannot seek")
        try:
            encoding = detect_encoding(stream)
        except BadInputError:
            raise BadInputError(
                f"{_WHAT} is neither UTF-8, UTF-16 nor GB18030 text (binary data?); export it again"
            ) from None
        # TextIOWrapper uses only read, readable, seekable and closed of its buffer when reading.
        text = io.TextIOWrapper(cast(BinaryIO, stream), encoding=encoding, newline="")
        try:
            yield from _parse_text(text, tz)
        finally:
            text.detach()  # the caller owns the stream


class _Broken(Exception):
    """The record's structure is not understood: the import stops there."""


@dataclass(frozen=True, slots=True)
class _Property:
    name: str  # upper case
    encoding: str  # "", "qp" or "base64"
    charset: str
    value: str


@dataclass(slots=True)
class _Card:
    in_envelope: bool
    numbers: list[str] = field(default_factory=list)
    name: str | None = None
    full_name: str | None = None


@dataclass(slots=True)
class _Pending:
    """A property whose value goes on over the next lines (QP soft breaks, base64)."""

    property: _Property
    context: str
    pieces: list[str]


class _Record:
    """One `BEGIN:VMSG` … `END:VMSG` record, fed a line at a time."""

    def __init__(self, ordinal: int) -> None:
        self.ordinal = ordinal
        self.chars = 0
        self.stack: list[str] = []
        self.box: str | None = None
        self.status: str | None = None
        self.type: str | None = None
        self.date: str | None = None
        self.cards: list[_Card] = []
        self.card: _Card | None = None
        self.texts: list[str] = []
        self.raw: list[str] | None = None  # the lines of a raw text being read, with their line breaks
        self.pending: _Pending | None = None
        self.parts: list[tuple[str, str | None]] = []
        self.part: list[str | None] = [None, None]
        self.problem: str | None = None  # why the record cannot be read, found while reading it

    def feed(self, content: str, terminator: str) -> bool:
        """Read one line (without its line break); True when it ended the record."""
        if self.pending is not None:
            step = _take(self.pending, content)
            if step == "more":
                return False
            self._finish(self.pending)
            self.pending = None
            if step == "done":
                return False
            # "other": a base64 value ended at a line that is not base64, read as usual below
        top = self.stack[-1] if self.stack else "VMSG"
        word = content.strip().upper()
        if self.raw is not None:  # inside a raw text: only END:VBODY ends it
            if word == "END:VBODY":
                self._end_raw()
                self.stack.pop()
            else:
                self.raw.append(content + terminator)
            return False
        if word.startswith("BEGIN:"):
            self._begin(word[6:].strip())
            return False
        if word.startswith("END:"):
            return self._end(word[4:].strip())
        if not word:
            return False
        found = _property(content)
        if top == "VBODY":
            if found is None or not _in_body_head(found.name):
                self.raw = [content + terminator]  # the text, written raw, begins
                return False
            if found.name in _TEXT_PROPERTIES and not found.encoding:
                self.raw = [found.value + terminator]  # a raw text may go on over the next lines
                return False
        if found is None:
            if top in ("VMSG", "VENV"):
                raise _Broken("a line that is not a property outside the text")
            return False  # inside a vCard or a part: a folded line of a field not read
        self._start(found, top)
        return False

    def _begin(self, block: str) -> None:
        if block == "VMSG":
            raise _Broken("a message begins inside another")
        self.stack.append(block)
        if block == "VCARD":
            self.card = _Card(in_envelope="VENV" in self.stack)
        elif block == "VPART":
            self.part = [None, None]

    def _end(self, block: str) -> bool:
        if not self.stack:
            if block == "VMSG":
                return True
            raise _Broken("an END that closes no open block")
        if self.stack[-1] != block:
            raise _Broken("an END that closes no open block")
        self.stack.pop()
        if block == "VCARD" and self.card is not None:
            self.cards.append(self.card)
            self.card = None
        elif block == "VPART":
            kind, data = self.part
            self.parts.append(((kind or "").strip().lower(), data))
        return False

    def _start(self, found: _Property, context: str) -> None:
        pending = _Pending(found, context, [])
        if found.encoding == "qp":
            if _take(pending, found.value) == "more":
                self.pending = pending
                return
        elif found.encoding == "base64":
            pending.pieces.append(found.value.strip())
            self.pending = pending  # base64 may go on over the next lines
            return
        else:
            pending.pieces.append(found.value)
        self._finish(pending)

    def _finish(self, pending: _Pending) -> None:
        found = pending.property
        try:
            value = _decoded(found, "".join(pending.pieces))
        except UnreadableRecordError as e:
            self.problem = self.problem or str(e)
            return
        name, context = found.name, pending.context
        if context == "VCARD":
            card = self.card
            if card is None:
                return
            if name == "TEL" and value.strip():
                card.numbers.append(value.strip())
            elif name == "FN":
                card.full_name = card.full_name or value.strip()
            elif name == "N":
                card.name = card.name or " ".join(p.strip() for p in value.split(";") if p.strip())
        elif context == "VPART":
            if name == _PART_TYPE:
                self.part[0] = value
            elif name == _PART_DATA:
                self.part[1] = value
        elif name in _BOX_PROPERTIES:
            self.box = self.box or value.strip().upper()
        elif name == "X-IRMC-STATUS":
            self.status = self.status or value.strip().upper()
        elif name in _TYPE_PROPERTIES:
            self.type = self.type or value.strip().upper()
        elif name in _DATE_PROPERTIES:
            self.date = self.date or value.strip()
        elif name in _TEXT_PROPERTIES and context == "VBODY":
            self.texts.append(value)

    def _end_raw(self) -> None:
        text = "".join(self.raw or ())
        for ending in ("\r\n", "\n", "\r"):  # the line break before END:VBODY is the format's
            if text.endswith(ending):
                text = text[: -len(ending)]
                break
        self.texts.append(text)
        self.raw = None

    def outputs(self, tz: ZoneInfo) -> tuple[ParsedEvent | SkippedRecord, ...]:
        where = f"message {self.ordinal}"
        try:
            event = self._event(tz, where)
        except UnreadableRecordError as e:
            return (SkippedRecord(where, str(e)),)
        return () if event is None else capped(event, where)

    def _event(self, tz: ZoneInfo, where: str) -> ParsedEvent | None:
        direction = _direction(self.box, self.status)
        if direction == "draft":
            return None
        if self.problem is not None:
            raise UnreadableRecordError(self.problem)
        if self.date is None:
            raise UnreadableRecordError("the message has no date")
        at, assumed = parse_date(self.date, tz)
        own = [c for c in self.cards if not c.in_envelope and c.numbers]
        envelope = [c for c in self.cards if c.in_envelope and c.numbers]
        cards = (envelope or own) if direction == "out" else (own or envelope)
        numbers = list(dict.fromkeys(n for c in cards for n in c.numbers))
        name = next((c.full_name or c.name for c in cards if c.full_name or c.name), None)
        if any(len(n) > MAX_TEXT_CHARS for n in numbers) or len(name or "") > MAX_TEXT_CHARS:
            raise UnreadableRecordError(FIELD_TOO_LONG)
        texts = [*self.texts, *_part_texts(self.parts)]
        mms = bool(self.parts) or "MMS" in (self.type or "")
        return ParsedEvent(
            kind="mms" if mms else "sms",
            direction=direction,
            raw_number=numbers[0] if numbers else None,
            at=at,
            tz_assumed=assumed,
            text=message_text("\n".join(t for t in texts if t)),
            contact=contact_name(name),
            other_numbers=tuple(numbers[1:]),
            source_ref=where,
        )


def _parse_text(text: io.TextIOWrapper, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
    count = 0  # complete records read
    line_number = 0
    record: _Record | None = None
    while True:
        room = MAX_RECORD_CHARS - (record.chars if record is not None else 0)
        line = text.readline(room + 1)
        if not line:
            break
        line_number += 1
        if len(line) > room:
            which = f"message {record.ordinal}" if record is not None else f"line {line_number}"
            _stop(f"{which} is longer than {MAX_RECORD_CHARS:,} characters", count)
        content, terminator = _split(line)
        if record is None:
            if not content.strip():
                continue
            if content.strip().upper() != "BEGIN:VMSG":
                if count == 0:
                    raise BadInputError(f"{_WHAT} does not begin with BEGIN:VMSG; is this a vmsg backup?")
                _stop(f"line {line_number} is outside any message", count)
            record = _Record(count + 1)
            record.chars = len(line)
            continue
        record.chars += len(line)
        try:
            ended = record.feed(content, terminator)
        except _Broken as e:
            _stop(f"message {record.ordinal} breaks at line {line_number} ({e})", count)
        if ended:
            count += 1
            yield from record.outputs(tz)
            record = None
    if record is not None:
        _stop(f"the file ends inside message {record.ordinal} (was it cut?)", count)
    if count == 0:
        raise BadInputError(f"{_WHAT} holds no message (no BEGIN:VMSG)")


def _stop(problem: str, count: int) -> None:
    if count == 0:
        raise BadInputError(f"{_WHAT} cannot be read: {problem}; export it again")
    raise TruncatedInputError(
        f"{_WHAT} stops: {problem}; the {count} messages before it were read "
        "(the sealed original keeps the rest)",
        records_read=count,
    )


def _take(pending: _Pending, content: str) -> str:
    """Add one line to a value that may go on: "more" (it goes on), "done" (it ended with this line)
    or "other" (the line is not part of it: base64 ends at the first line that is not base64)."""
    if pending.property.encoding == "qp":
        piece = content.rstrip(" \t")
        if piece.endswith("="):  # a soft line break: the next line is the value too, whatever it says
            pending.pieces.append(piece[:-1])
            return "more"
        pending.pieces.append(piece)
        return "done"
    piece = content.strip()
    if not piece:  # base64 ends at a blank line (vCard 2.1) …
        return "done"
    if _BASE64_LINE.fullmatch(piece):
        pending.pieces.append(piece)
        return "more"
    return "other"  # … or at the next line that is not base64


def _in_body_head(name: str) -> bool:
    """Whether a property of this name belongs in a VBODY before its text (or is the text's property)."""
    return name in _TEXT_PROPERTIES or name in _BODY_HEADERS or name.startswith("X-")


def _split(line: str) -> tuple[str, str]:
    """A line's content and its line break ("\\r\\n", "\\n", "\\r" or "" at the end of the file)."""
    if line.endswith("\r\n"):
        return line[:-2], "\r\n"
    if line.endswith(("\n", "\r")):
        return line[:-1], line[-1]
    return line, ""


def _property(content: str) -> _Property | None:
    """`NAME;PARAM;KEY=VALUE:value` as a property, or None when the line is not one."""
    m = _PROPERTY.match(content.lstrip())
    if m is None:
        return None
    encoding = ""
    charset = "utf-8"
    for param in m[2].split(";"):
        key, _, value = param.strip().upper().partition("=")
        word = value.strip() if value else key
        if (key == "ENCODING" or not value) and word in ("QUOTED-PRINTABLE", "QP"):
            encoding = "qp"
        elif (key == "ENCODING" or not value) and word in ("BASE64", "B"):
            encoding = "base64"
        elif key == "CHARSET":
            charset = _CHARSETS.get(value.strip().lower(), "utf-8")
    name = m[1].upper()
    if name == _PART_DATA:
        encoding = "base64"
    return _Property(name, encoding, charset, m[3])


def _decoded(found: _Property, value: str) -> str:
    if found.encoding == "qp":
        return _unquote(value, found.charset)
    if found.encoding == "base64":
        if found.name == _PART_DATA:
            return value  # decoded only for a text part (see `_part_texts`): an image is never held twice
        return _base64_text(value, found.charset)
    return value


def _unquote(value: str, charset: str) -> str:
    """Decode quoted-printable `=XX` escapes; characters written literally are kept as they are."""
    if value.isascii():  # the usual case, in C (the soft breaks are already joined: none is left)
        return binascii.a2b_qp(value.encode("ascii")).decode(charset, "replace")
    out = bytearray()
    at = 0
    for m in _QP_ESCAPE.finditer(value):
        out += _literal(value[at : m.start()], charset)
        out.append(int(m[1], 16))
        at = m.end()
    out += _literal(value[at:], charset)
    return out.decode(charset, "replace")


def _literal(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset)
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _base64_text(value: str, charset: str) -> str:
    try:
        data = base64.b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as e:
        raise UnreadableRecordError("the message's text has a damaged base64 encoding") from e
    return data.decode(charset, "replace")


def _part_texts(parts: list[tuple[str, str | None]]) -> list[str]:
    texts: list[str] = []
    for kind, data in parts:
        if kind == "text/plain":
            if data:
                texts.append(_base64_text(data.strip(), "utf-8"))
        elif kind and kind != _SMIL:
            texts.append(f"[{kind[:200]}]")
    return texts


def _direction(box: str | None, status: str | None) -> str | None:
    """ "in", "out", "draft" or None from the record's box (or, without one, its IrMC status)."""
    if box:
        if box in _BOXES:
            return _BOXES[box] or "draft"
        if box in SMS_TYPES:
            return SMS_TYPES[box] or "draft"
        return None
    return _STATUSES.get(status or "")


def parse_date(value: str, tz: ZoneInfo) -> tuple[datetime, bool]:
    """(aware instant, tz_assumed) from a vmsg `Date:`; `UnreadableRecordError` when not understood."""
    value = value.strip()
    unreadable = UnreadableRecordError("the message's date is not understood")
    if len(value) > _LONGEST_DATE:
        raise unreadable
    try:
        m = _COMPACT_TIME.fullmatch(value) or _DOTTED_TIME.fullmatch(value)
        if m is not None:
            y, mo, d, h, mi, sec = (int(g or 0) for g in m.groups()[:6])
            naive = datetime(y, mo, d, h, mi, sec)
            if m.re is _COMPACT_TIME and m[7]:
                return naive.replace(tzinfo=UTC), False
            return naive.replace(tzinfo=tz), True
        return parse_time(value, tz)
    except (ValueError, OverflowError, UnreadableRecordError):
        raise unreadable from None
