"""Stream the record elements of an XML export safely: hostile XML refused, broken XML located.

Parsing is incremental (defusedxml's `iterparse`, each record cleared once read), so memory
stays flat whatever the export's size. Three protections and repairs apply to every XML format:

* **Hostile input.** Entity declarations (the "billion laughs" expansion) and external entities
  are refused by defusedxml before anything is expanded or fetched: `BadInputError`.
* **Emoji written as surrogate pairs.** SMS Backup & Restore's "store emoji" option writes
  UTF-16 surrogates as character references (`&#55357;&#56846;`), which XML forbids. The byte
  stream is repaired on the fly: a high+low pair becomes the real character's reference, and a
  lone surrogate or a forbidden control character becomes U+FFFD.
* **A break in the file** (a truncated backup, a damaged byte): every record complete before the
  break is yielded, then `TruncatedInputError` says at which line and column the file broke and
  how many records were read (intake keeps those). A file that breaks before its first record
  raises a plain `BadInputError`: there is nothing to keep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from evidence.errors import BadInputError, TruncatedInputError

_CHUNK = 1 << 16
# A character reference is at most 16 bytes as a surrogate pair (`&#55357;&#56846;`): a tail that
# could be the start of one is held back until the next chunk arrives.
_HOLD_BACK = 16

_SURROGATE = rb"&#(?:(5[5-7]\d{3})|[xX]([dD][89a-fA-F][0-9a-fA-F]{2}));"
_CONTROL = rb"&#(?:(?:[0-8]|1[1-24-9]|2\d|3[01])|[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]));"
_BAD_REFERENCE = re.compile(rb"(?:" + _SURROGATE + rb")(?:" + _SURROGATE + rb")?|" + _CONTROL)
_REPLACEMENT = b"&#65533;"
# A surrogate reference is 8 bytes; one sitting right before the held-back tail goes with it.
_ONE_SURROGATE = re.compile(_SURROGATE)


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


def repair_references(data: bytes) -> bytes:
    """The bytes with surrogate-pair and control-character references made valid XML."""
    return _BAD_REFERENCE.sub(_repair, data) if b"&#" in data else data


class _RepairingReader:
    """A read()-able view of the stream with `repair_references` applied across chunk borders."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._held = b""

    def read(self, _size: int = -1) -> bytes:
        while True:
            chunk = self._stream.read(_CHUNK)
            if not chunk:
                data, self._held = self._held, b""
                return repair_references(data)
            data = self._held + chunk
            cut = data.find(b"&", max(0, len(data) - _HOLD_BACK + 1))
            if cut >= 8 and _ONE_SURROGATE.fullmatch(data, cut - 8, cut):
                cut -= 8
            if cut < 0:
                data, self._held = data, b""
            else:
                data, self._held = data[:cut], data[cut:]
            if data:
                return repair_references(data)


def iter_records(stream: BinaryIO, roots: frozenset[str], what: str) -> Iterator[Element]:
    """Yield each child element of the root (a record), fully built; cleared after the caller is done.

    `roots` are the root element names this format accepts; `what` names the format in errors.
    """
    count = 0
    root: Element | None = None
    depth = 0
    try:
        for event, element in iterparse(_RepairingReader(stream), events=("start", "end")):
            if event == "start":
                if root is None:
                    if element.tag not in roots:
                        raise BadInputError(f"this file is not {what} (unexpected root element)")
                    root = element
                depth += 1
                continue
            depth -= 1
            if depth == 1:  # a direct child of the root: one record
                count += 1
                yield element
                root.clear()  # type: ignore[union-attr]  # root is set by the first start event
        if root is None:
            raise BadInputError(f"this file is not {what} (no root element)")
    except DefusedXmlException as e:
        raise BadInputError(
            "locker refuses XML with entity declarations or external entities (a known attack); "
            "export the messages again from the phone"
        ) from e
    except ParseError as e:
        line, column = getattr(e, "position", (0, 0))
        if count == 0:
            raise BadInputError(
                f"{what} cannot be read: broken XML at line {line}, column {column}; export it again"
            ) from e
        raise TruncatedInputError(
            f"{what} breaks at line {line}, column {column} after {count} complete records "
            "(those were read; take a new backup for the rest)",
            records_read=count,
        ) from e
    except (ValueError, LookupError, UnicodeError) as e:  # e.g. an encoding expat does not know
        raise BadInputError(f"{what} cannot be read: unsupported or damaged XML; export it again") from e
