"""Stream the records of an XML export safely: hostile XML refused, broken XML located, memory bounded.

A record is a direct child of the root element (`<sms>`, `<call>`, `<log>`). The file is read
once, incrementally, by expat driven directly (not ElementTree's parser, whose name cache grows
with every distinct name a crafted file invents), and each record is handed over as soon as its
end tag is read, with its position. Protections and repairs, for every XML format:

* **Hostile input.** A DOCTYPE, an entity declaration (the "billion laughs" expansion) or an
  external entity is refused before anything is expanded or fetched: `BadInputError`. Phone
  exporters never write a DOCTYPE, and refusing it also refuses DTD attribute defaults, which
  would otherwise copy one huge declared value into every record.
* **Linear time on huge values.** pyexpat hands expat at most 1 MiB a call, and expat (before
  2.6) re-scans an unfinished token from its start on every call: a 32 MB message body cost
  ~15 s, a 1.2 GB one never ended. So `_ValueCutter` reads the bytes before expat does and cuts
  every attribute value to `_MAX_VALUE_BYTES` (at a character boundary, never inside a
  reference), skipping the rest unread; and while a token is unfinished the next read is as
  large as what is pending, so feeds double. A 32 MB body now takes ~0.2 s, 1.2 GB ~2 s.
* **Bounded memory.** A value cut by the cutter, or longer than `MAX_TEXT_CHARS` characters,
  reaches the format's reader cut to `MAX_TEXT_CHARS` with its name in `XmlRecord.cut`, so the
  reader can say so. Attributes a format never reads (an MMS part's base64 `data`) are dropped
  as they are read. One token expat must hold whole (a tag with all its attributes, a comment)
  may be at most `MAX_TAG_BYTES`: a larger one stops the import there (the records before it
  are yielded, then `TruncatedInputError` names its position). A record holding more than
  `MAX_RECORD_CHARS` is skipped (`SkippedRecord`) and parsing goes on. Nesting deeper than
  `MAX_DEPTH`, more than `MAX_NAMES` distinct element or attribute names (expat and pyexpat
  keep an entry for each), or a tag with more than `MAX_TAG_ATTRIBUTES` attributes (each costs
  far more memory than its bytes) stop the import like a break.
* **Emoji written as surrogate pairs.** SMS Backup & Restore's "store emoji" option writes
  UTF-16 surrogates as character references (`&#55357;&#56846;`), which XML forbids. The byte
  stream is repaired on the fly: a high+low pair becomes the real character's reference, and a
  lone surrogate or a forbidden control character becomes U+FFFD.
* **UTF-16 files.** Some SBR versions write the file in UTF-16 (with a byte order mark, or
  without one). Its bytes are decoded as they are read and handed on as UTF-8 (expat told so), so
  the repair above and every bound apply to it as to any other file; a lone surrogate in the
  UTF-16 itself becomes U+FFFD. UTF-32 is left to expat.
* **A break in the file** (a truncated backup, a damaged byte): every record complete before the
  break is yielded, then `TruncatedInputError` says at which line and column the file broke and
  how many records were read (intake keeps those). A file that breaks before its first record
  raises a plain `BadInputError`: there is nothing to keep.

Positions are "line L, column C", both counted from 1 as editors do.
"""

from __future__ import annotations

import codecs
import functools
import re
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement
from xml.parsers import expat

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers.limits import MAX_TEXT_CHARS
from evidence.importers.streams import ExportStream, read_up_to
from evidence.records import SkippedRecord

# The largest single token (a tag with its attributes, a comment) read. Expat keeps an unfinished
# token whole in memory, and pyexpat feeds it in 1 MiB slices, each re-scanning the token from its
# start (expat < 2.6): a token of n MiB costs n²/2 MiB of scanning, ~0.5 s at 16 MiB. A tag an
# exporter writes stays far below: every value is cut to `_MAX_VALUE_BYTES` (4 MB) first.
MAX_TAG_BYTES = 16 << 20
# Attribute characters (plus `_ELEMENT_COST` per element) one record may keep: room for several
# message-sized texts, far from what a record needs, small enough to keep memory bounded.
MAX_RECORD_CHARS = 8 * MAX_TEXT_CHARS
MAX_DEPTH = 32  # SBR nests 4 deep (smses/mms/parts/part)
MAX_NAMES = 10_000  # SBR uses about 60 distinct names
# Each attribute costs expat and pyexpat ~100 bytes whatever its size: counted in tags that span a
# read or pass `_COUNT_ATTRIBUTES_FROM` bytes (shorter ones cannot hold enough to matter).
MAX_TAG_ATTRIBUTES = 100_000
_COUNT_ATTRIBUTES_FROM = 1 << 20
_ELEMENT_COST = 64
# Bytes of one attribute value handed to expat: more than `MAX_TEXT_CHARS` characters of any text
# written as UTF-8, and small enough for expat's re-scans (~0.1 s). Only a text written mostly as
# references (`&#128526;`, 9 bytes a character) is cut before `MAX_TEXT_CHARS`; it is reported.
_MAX_VALUE_BYTES = 4 * MAX_TEXT_CHARS + 16

_CHUNK = 1 << 16
# A character reference is at most 16 bytes as a surrogate pair (`&#55357;&#56846;`): a tail that
# could be the start of one is held back until the next chunk arrives.
_HOLD_BACK = 16

_SURROGATE = rb"&#(?:(5[5-7]\d{3})|[xX]([dD][89a-fA-F][0-9a-fA-F]{2}));"
_CONTROL = rb"&#(?:(?:[0-8]|1[1-24-9]|2\d|3[01])|[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]));"
_BAD_REFERENCE = re.compile(rb"(?:" + _SURROGATE + rb")(?:" + _SURROGATE + rb")?|" + _CONTROL)
_REPLACEMENT = b"&#65533;"
# Written with its literal start first: a pattern opening on a repeated group gets no fast search.
_DECIMAL_SURROGATES = re.compile(rb"&#5[5-7]\d{3};(?:&#5[5-7]\d{3};)*+")
_FIVE_DIGITS = re.compile(rb"\d{5}")
_UTF16 = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"
# A surrogate reference is 8 bytes; a high one sitting right before the held-back tail goes with it.
_ONE_SURROGATE = re.compile(_SURROGATE)

_HOSTILE = (
    "locker refuses XML with entity declarations, a DOCTYPE or external entities (a known attack); "
    "export the messages again from the phone"
)


@dataclass(frozen=True, slots=True)
class XmlRecord:
    """One record element, where its start tag is, and which of its attributes were cut (module docstring)."""

    element: Element
    line: int
    column: int  # from 0, as expat counts
    cut: frozenset[str] = frozenset()

    @property
    def position(self) -> str:
        return _position(self.line, self.column)


_NOTHING_CUT: frozenset[str] = frozenset()


def _code(decimal: bytes | None, hexadecimal: bytes | None) -> int | None:
    if decimal is not None:
        return int(decimal)
    if hexadecimal is not None:
        return int(hexadecimal, 16)
    return None


def _repair(match: re.Match[bytes]) -> bytes:
    high, low = _code(match[1], match[2]), _code(match[3], match[4])
    if high is None:  # a control character
        return _REPLACEMENT
    if low is None:
        return _REPLACEMENT if 0xD800 <= high <= 0xDFFF else match[0]
    if 0xD800 <= high <= 0xDBFF and 0xDC00 <= low <= 0xDFFF:
        return b"&#%d;" % (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    # Not a pair: repair each half on its own.
    first, second = match[0].split(b";", 1)
    return _BAD_REFERENCE.sub(_repair, first + b";") + _BAD_REFERENCE.sub(_repair, second)


def _is_high_surrogate(match: re.Match[bytes] | None) -> bool:
    # Only a high surrogate waits for its partner: holding back a low one would split its own pair.
    code = None if match is None else _code(match[1], match[2])
    return code is not None and 0xD800 <= code <= 0xDBFF


def _repair_decimal_run(match: re.Match[bytes]) -> bytes:
    """A run of 5-digit decimal references from 55000 to 57999 (SBR's surrogates), made valid."""
    run = match[0]
    # Most runs are one emoji, and a message's emoji are few: those are looked up, not decoded.
    return _short_run(run) if len(run) <= 16 else _decoded_run(run)


@functools.lru_cache(maxsize=4096)
def _short_run(run: bytes) -> bytes:
    return _decoded_run(run)


def _decoded_run(run: bytes) -> bytes:
    """The run repaired at C speed, whatever its length.

    Every reference in the run is 8 bytes, so 64 KiB slices hold whole ones. The numbers, read
    as UTF-16 code units, decode to the run's characters: a high+low pair to one character, a
    lone surrogate to U+FFFD, any other number to itself; they go back out as references.
    """
    units = array("H")
    for at in range(0, len(run), 1 << 16):
        units.extend(map(int, _FIVE_DIGITS.findall(run, at, at + (1 << 16))))
    return units.tobytes().decode(_UTF16, "replace").encode("ascii", "xmlcharrefreplace")


def repair_references(data: bytes) -> bytes:
    """The bytes with surrogate-pair and control-character references made valid XML."""
    if b"&#" not in data:
        return data
    # Decimal surrogates first, a run at a time (a crafted file may hold millions of them), then
    # what is left (hexadecimal forms, control characters) one reference at a time.
    return _BAD_REFERENCE.sub(_repair, _DECIMAL_SURROGATES.sub(_repair_decimal_run, data))


class _RepairingReader:
    """The stream's bytes (UTF-16 decoded to UTF-8) with `repair_references` applied across chunk borders."""

    def __init__(self, stream: ExportStream) -> None:
        self._stream = stream
        self._held = b""
        self._started = False
        self._decoder: codecs.IncrementalDecoder | None = None

    @property
    def transcoded(self) -> bool:
        """Whether the file is UTF-16 and what `read` returns is its UTF-8 transcoding."""
        return self._decoder is not None

    def _raw(self, size: int) -> bytes:
        """About `size` bytes of the file, as UTF-8 when it is UTF-16; b"" at the end."""
        chunk = read_up_to(self._stream, size)
        if not self._started:
            self._started = True
            codec = _utf16_codec(chunk[:4])
            if codec is not None:
                self._decoder = codecs.getincrementaldecoder(codec)("replace")
        decoder = self._decoder
        if decoder is None:
            return chunk
        while True:
            # A chunk ending inside a code unit or a surrogate pair decodes to less: read on.
            text = decoder.decode(chunk, final=not chunk)
            if text or not chunk:
                return text.encode("utf-8")
            chunk = read_up_to(self._stream, size)

    def read(self, size: int) -> bytes:
        """About `size` repaired bytes; b"" at the end."""
        while True:
            chunk = self._raw(size)
            if not chunk:
                data, self._held = self._held, b""
                return repair_references(data)
            data = self._held + chunk
            cut = data.find(b"&", max(0, len(data) - _HOLD_BACK + 1))
            if cut >= 8 and _is_high_surrogate(_ONE_SURROGATE.fullmatch(data, cut - 8, cut)):
                cut -= 8  # its low half may be what is held back: keep the pair together
            if cut < 0:
                self._held = b""
            else:
                data, self._held = data[:cut], data[cut:]
            if data:
                return repair_references(data)


class _Refused(Exception):
    """Raised from an expat handler: the file is hostile or not this format (never Truncated)."""


class _Stopped(Exception):
    """Raised from an expat handler or the feed loop: reading stops here, like a break in the file."""


_CONTENT, _TAG, _VALUE, _SKIP, _COMMENT, _CDATA, _PI, _PASS = range(8)
# The end of each kind of markup whose inside the cutter passes through untouched.
_MARKUP_END = {_COMMENT: b"-->", _CDATA: b"]]>", _PI: b"?>"}


# `_plain_run`: content and whole start or end tags, as many as follow each other, each tag with
# at most `MAX_TAG_ATTRIBUTES` values of at most the cutter's bound: passed on in one match.
# Possessive throughout, so a failing match costs no backtracking. What it stops at (markup
# other than a tag, a tag cut by the chunk's end or over a bound) is read step by step.
@functools.cache
def _plain_run(max_value_bytes: int) -> re.Pattern[bytes]:
    value = rb"(?:\"[^\"]{0,%d}+\"|'[^']{0,%d}+')" % (max_value_bytes, max_value_bytes)
    return re.compile(
        rb"(?:[^<]*+<[^!?<>\"'][^<>\"']*+(?:%s[^<>\"']*+){0,%d}+>)*+" % (value, MAX_TAG_ATTRIBUTES)
    )


_TAG_STOP = re.compile(rb"[\"'>]")
# How UTF-16 and UTF-32 documents begin (a byte order mark, or "<" as 2 or 4 bytes).
_NOT_ASCII_COMPATIBLE = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00", b"<\x00", b"\x00<")
# UTF-32 starts like UTF-16 little-endian ("\xff\xfe" / "<\x00") followed by two zero bytes.
_UTF32_LE = (b"\xff\xfe\x00\x00", b"<\x00\x00\x00")


def _utf16_codec(head: bytes) -> str | None:
    """The codec that decodes a document beginning with `head` (4 bytes or all), when it is UTF-16."""
    if head.startswith(_UTF32_LE):
        return None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"  # the byte order mark says which, and is dropped
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00<") and not head.startswith(b"\x00<\x00\x00"):
        return "utf-16-be"
    return None


def _could_start_markup(tail: bytes) -> bool:
    return b"<!--".startswith(tail) or b"<![CDATA[".startswith(tail)


def _safe_end(data: bytes, start: int, end: int) -> int:
    """The last offset ≤ `end` (≥ `start`) that splits neither a UTF-8 character nor a `&…;` reference."""
    if end < len(data):
        while end > start and 0x80 <= data[end] < 0xC0:  # data[end] continues a character
            end -= 1
    else:  # the piece's end: hold back a character whose last bytes are still to come
        for back in range(1, 4):
            at = end - back
            if at < start:
                break
            lead = data[at]
            if lead >= 0xC0:
                needed = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
                if back < needed:
                    end = at
                break
            if lead < 0x80:
                break
    amp = data.rfind(b"&", max(start, end - 32), end)
    if amp >= 0 and data.find(b";", amp, end) < 0:
        end = amp
    return end


class _ValueCutter:
    """Cuts every attribute value to `max_value_bytes` before expat sees it, and counts a tag's attributes.

    A byte-level reading of XML's lexical structure (content, tags, quoted values, comments,
    CDATA, processing instructions), exact for what an exporter writes: the `"`, `<` and `&`
    a message's text contains are escaped, so no text can move it out of a value. A file that
    is not well-formed is passed on as it is and expat reports it. `cuts` maps the offset (in
    the bytes handed to expat) of each tag that had a value cut to the indexes of those values.
    """

    def __init__(self, max_value_bytes: int = _MAX_VALUE_BYTES) -> None:
        self._max_value_bytes = max_value_bytes
        self._run = _plain_run(max_value_bytes)
        self._quick_up_to = min(max_value_bytes, _COUNT_ATTRIBUTES_FROM)
        self._state = _CONTENT
        self._quote = b'"'
        self._held = b""
        self._out = 0  # bytes handed on so far: expat's byte index
        self._lines = 1
        self._tag_at = 0
        self._tag_line = 1
        self._value = 0  # index of the current value in its tag
        self._value_bytes = 0
        self.cuts: dict[int, set[int]] = {}

    def feed(self, chunk: bytes, final: bool = False) -> bytes:
        """The bytes to hand to expat for this chunk (a few may be held back for the next one)."""
        data = self._held + chunk if self._held else chunk
        self._held = b""
        if self._out == 0 and data.startswith(_NOT_ASCII_COMPATIBLE):
            # UTF-32 (UTF-16 arrives here as UTF-8, see `_RepairingReader`): its bytes are not XML's
            # ASCII marks; expat alone reads it (within MAX_TAG_BYTES). Phone exporters write UTF-8.
            self._state = _PASS
        pieces: list[bytes] = []
        run = 0  # data[run:i] goes on unchanged: cut only where something is left out

        def gap(end: int, resume: int) -> None:
            """Hand on data[run:end], leave out data[end:resume]."""
            nonlocal run
            if end > run:
                piece = data[run:end]
                pieces.append(piece)
                self._out += len(piece)
                self._lines += piece.count(b"\n")
            run = resume

        state = self._state
        i, n = 0, len(data)
        hold = n  # data[hold:] waits for the next chunk
        while i < n:
            if state == _CONTENT:
                if (
                    n - i <= self._quick_up_to
                    and data.find(b"<!", i) < 0
                    and data.find(b"<?", i) < 0
                    and (last := data.rfind(b"<", i)) > i
                ):
                    # Only tags up to the last one: none can hold a value or attributes over the
                    # bounds in so few bytes, so nothing before the last tag needs reading.
                    i = last
                i = self._run.match(data, i).end()  # type: ignore[union-attr]  # matches even nothing
                j = data.find(b"<", i)
                if j < 0:
                    break
                if not final and (j + 1 == n or (n - j < 9 and _could_start_markup(data[j:]))):
                    hold = j  # cannot tell yet what this markup is
                    break
                after = data[j + 1] if j + 1 < n else 0
                if after == 0x21:  # "<!"
                    if data.startswith(b"<!--", j):
                        i, state = j + 4, _COMMENT
                    elif data.startswith(b"<![CDATA[", j):
                        i, state = j + 9, _CDATA
                    else:  # a DOCTYPE: expat refuses it, nothing to cut
                        i, state = n, _PASS
                elif after == 0x3F:  # "<?"
                    i, state = j + 2, _PI
                else:  # a tag cut by the chunk's end, or over a bound: step by step
                    self._tag_at = self._out + (j - run)
                    self._tag_line = self._lines + data.count(b"\n", run, j)
                    self._value = -1
                    i, state = j + 1, _TAG
            elif state == _TAG:
                stop = _TAG_STOP.search(data, i)
                if stop is None:
                    break
                i = stop.end()
                if data[stop.start()] == 0x3E:  # ">"
                    state = _CONTENT
                else:
                    self._open_value(data[stop.start()])
                    state = _VALUE
            elif state == _VALUE:
                j = data.find(self._quote, i)
                room = self._max_value_bytes - self._value_bytes
                if j >= 0 and j - i <= room:
                    i, state = j + 1, _TAG
                elif j < 0 and n - i <= room:
                    hold = n if final else _safe_end(data, i, n)
                    self._value_bytes += hold - i
                    break
                else:  # too long: keep what fits, leave out the rest up to the closing quote
                    keep = _safe_end(data, i, i + room)
                    self.cuts.setdefault(self._tag_at, set()).add(self._value)
                    gap(keep, keep)
                    i, state = keep, _SKIP
            elif state == _SKIP:
                j = data.find(self._quote, i)
                if j < 0:
                    gap(i, n)
                    break
                gap(i, j)  # the closing quote goes on
                i, state = j + 1, _TAG
            elif state == _PASS:
                break
            else:  # comment, CDATA, processing instruction: passed on as they are
                close = _MARKUP_END[state]
                j = data.find(close, i)
                if j < 0:
                    hold = n if final else max(i, n - len(close) + 1)
                    break
                i, state = j + len(close), _CONTENT
        self._state = state
        if run < n:
            split = max(hold, run)
            self._held = data[split:]
            gap(split, n)
        return b"".join(pieces)

    def _open_value(self, quote: int) -> None:
        self._quote = bytes((quote,))
        self._value += 1
        self._value_bytes = 0
        if self._value >= MAX_TAG_ATTRIBUTES:
            limit = f"{MAX_TAG_ATTRIBUTES:,}"
            raise _Stopped(f"the tag at line {self._tag_line} has more than {limit} attributes")


def _position(line: int, column: int) -> str:
    return f"line {line}, column {column + 1}"  # expat counts columns from 0


class _RecordBuilder:
    """Expat handlers building one record at a time, within the bounds of the module docstring."""

    def __init__(
        self,
        parser: expat.XMLParserType,
        interned: dict[str, str],
        cutter: _ValueCutter,
        roots: frozenset[str],
        what: str,
        ignored: frozenset[str],
    ) -> None:
        self._parser = parser
        self._cutter = cutter
        self._roots = roots
        self._what = what
        self._ignored = ignored
        self._interned = interned
        self._depth = 0
        self._stack: list[Element] = []
        self._line = self._column = 0
        self._cut: set[str] = set()
        self._size = 0
        self._overflow = False
        self.root_seen = False
        self.done: list[XmlRecord | SkippedRecord] = []

    def here(self) -> str:
        return _position(self._parser.CurrentLineNumber, self._parser.CurrentColumnNumber)

    def start(self, tag: str, attributes: list[str]) -> None:
        self._depth += 1
        depth = self._depth
        if depth == 1:
            if tag not in self._roots:
                raise _Refused(f"this file is not {self._what} (unexpected root element)")
            self.root_seen = True
            return
        if depth > MAX_DEPTH:
            raise _Stopped(f"elements at {self.here()} are nested more than {MAX_DEPTH} deep")
        if len(self._interned) > MAX_NAMES:
            raise _Stopped(f"more than {MAX_NAMES:,} distinct element or attribute names by {self.here()}")
        if depth == 2:
            self._line = self._parser.CurrentLineNumber
            self._column = self._parser.CurrentColumnNumber
            self._cut = set()
            self._size = 0
            self._overflow = False
            self._stack = []
        cut_values = self._cutter.cuts.pop(self._parser.CurrentByteIndex, None) if self._cutter.cuts else None
        if self._overflow:
            return
        names, values = attributes[0::2], attributes[1::2]
        attrib = dict(zip(names, values, strict=False))
        size = sum(map(len, values))
        if cut_values or size > MAX_TEXT_CHARS:  # else no value can be over the cap
            for index, (name, value) in enumerate(zip(names, values, strict=False)):
                if len(value) > MAX_TEXT_CHARS or (cut_values and index in cut_values):
                    attrib[name] = value[:MAX_TEXT_CHARS]
                    self._cut.add(name)
            size = sum(map(len, attrib.values()))
        if self._ignored and not self._ignored.isdisjoint(attrib):
            for name in self._ignored:
                size -= len(attrib.pop(name, ""))
            self._cut -= self._ignored
        self._size += _ELEMENT_COST + size
        if self._size > MAX_RECORD_CHARS:
            self._overflow = True
            self._stack = []
            return
        element = Element(tag, attrib) if depth == 2 else SubElement(self._stack[-1], tag, attrib)
        self._stack.append(element)

    def end(self, _tag: str) -> None:
        depth = self._depth
        self._depth -= 1
        if depth == 2:
            if self._overflow:
                reason = f"the record holds more than {MAX_RECORD_CHARS:,} characters; it was skipped"
                self.done.append(SkippedRecord(_position(self._line, self._column), reason))
            else:
                cut = frozenset(self._cut) if self._cut else _NOTHING_CUT
                self.done.append(XmlRecord(self._stack[0], self._line, self._column, cut))
            self._stack = []
        elif depth > 2 and not self._overflow:
            self._stack.pop()


def _refuse_declaration(*_args: object) -> None:
    raise _Refused(_HOSTILE)


def _refuse_external_entity(*_args: object) -> int:
    raise _Refused(_HOSTILE)


def _new_parser(
    cutter: _ValueCutter,
    roots: frozenset[str],
    what: str,
    ignored: frozenset[str],
    encoding: str | None = None,
) -> tuple[expat.XMLParserType, _RecordBuilder]:
    # pyexpat interns every element and attribute name in this dict: its size is the number of
    # distinct names, which the builder bounds (expat keeps a table entry for each too).
    # `encoding` overrides the document's declaration (a UTF-16 file handed on as UTF-8).
    interned: dict[str, str] = {}
    parser = expat.ParserCreate(encoding, None, interned)
    parser.ordered_attributes = True
    builder = _RecordBuilder(parser, interned, cutter, roots, what, ignored)
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    # What defusedxml refuses, and the DOCTYPE too (see the module docstring).
    parser.StartDoctypeDeclHandler = _refuse_declaration
    parser.EntityDeclHandler = _refuse_declaration
    parser.UnparsedEntityDeclHandler = _refuse_declaration
    parser.ExternalEntityRefHandler = _refuse_external_entity
    return parser, builder


def iter_records(
    stream: ExportStream, roots: frozenset[str], what: str, ignored: frozenset[str] = frozenset()
) -> Iterator[XmlRecord | SkippedRecord]:
    """Yield each record (child of the root) fully built, or a `SkippedRecord` for one too large to keep.

    `roots` are the root element names this format accepts; `what` names the format in errors;
    `ignored` are attribute names the format never reads, dropped as soon as they are parsed.
    """
    cutter = _ValueCutter()
    reader = _RepairingReader(stream)
    # The first read tells whether the file is UTF-16 (read as UTF-8 from then on).
    first: bytes | None = reader.read(_CHUNK)
    parser, builder = _new_parser(cutter, roots, what, ignored, "UTF-8" if reader.transcoded else None)
    count = 0
    fed = 0
    want = _CHUNK
    try:
        while True:
            if first is None:
                chunk = reader.read(want)
            else:
                chunk, first = first, None
            data = cutter.feed(chunk, final=not chunk)
            if data:
                parser.Parse(data, False)
                fed += len(data)
                count += len(builder.done)
                yield from builder.done
                builder.done.clear()
            if not chunk:
                break
            # What expat holds unfinished starts at its byte index once Parse returns. While a
            # token is unfinished, read as much as it holds (feeds double, so expat's re-scans
            # add up to linear work), but never so much that it could pass the limit unseen.
            pending = fed - max(parser.CurrentByteIndex, 0)
            if pending > MAX_TAG_BYTES:
                limit = f"{MAX_TAG_BYTES >> 20} MiB"
                raise _Stopped(f"the record at {builder.here()} is larger than {limit}, too large to read")
            want = max(_CHUNK, min(pending, MAX_TAG_BYTES + 1 - pending))
        parser.Parse(b"", True)
        count += len(builder.done)
        yield from builder.done
        if not builder.root_seen:
            raise BadInputError(f"this file is not {what} (no root element)")
    except _Refused as e:
        raise BadInputError(str(e)) from None
    except _Stopped as e:
        # Records completed in the same feed as the stop are complete: they are kept.
        count += len(builder.done)
        yield from builder.done
        if count == 0:
            raise BadInputError(f"{what} cannot be read: {e}; export it again") from None
        raise TruncatedInputError(
            f"{what} stops: {e}; the {count} records before it were read "
            "(the sealed original keeps the rest)",
            records_read=count,
        ) from None
    except expat.ExpatError as e:
        count += len(builder.done)
        yield from builder.done
        where = _position(e.lineno, e.offset)
        if count == 0:
            raise BadInputError(f"{what} cannot be read: broken XML at {where}; export it again") from e
        raise TruncatedInputError(
            f"{what} breaks at {where} after {count} complete records "
            "(those were read; take a new backup for the rest)",
            records_read=count,
        ) from e
    except (ValueError, LookupError, UnicodeError) as e:  # e.g. an encoding expat does not know
        raise BadInputError(f"{what} cannot be read: unsupported or damaged XML; export it again") from e
