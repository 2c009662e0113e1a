"""Read iMazing's CSV export of an iPhone's messages (iMazing → Messages → Export to CSV).

The layout, as two independent readers of real exports describe it (read, never copied): a
personal-knowledge parser's notes on a 17-column export (``pke/parsers/imessage_parser.py``) and
a chat importer's header constant (``IMAZING_HEADER`` in a TypeScript ``imazing.ts``), which
agree on the columns read here:

* one row a message, header ``Chat Session, Message Date, Delivered Date, Read Date, Edited
  Date, [Deleted Date,] Service, Type, Sender ID, Sender Name, Status, Replying to, Subject,
  Text, [Reactions,] Attachment, Attachment type`` (the bracketed ones only in newer versions);
* ``Message Date`` is the phone's local time, ``YYYY-MM-DD HH:MM:SS`` with no offset (read in the
  locker's timezone, ``tz_assumed``);
* ``Type`` is ``Incoming``, ``Outgoing`` or ``Notification`` (a thread notice: skipped);
* ``Sender ID`` is the sender's number or Apple ID on an incoming message and empty on the
  user's own; ``Sender Name`` the name the iPhone's address book gives it, else empty;
* ``Chat Session`` names the thread: the other party's number or its address-book name.

So an outgoing message's number is its thread's: the ``Chat Session`` itself when it is a phone
number, else the one ``Sender ID`` the thread's incoming messages carry (a first pass), else
unknown. ``Chat Session`` is never taken for an address-book name: a collector's number named
after itself must not read as a saved contact. iMazing's call-log CSV (``Call Type, Date,
Duration, Number, Contact, Location, Service``) is a plain table: `csv_log` reads it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError
from evidence.importers.limits import UnreadableRecordError
from evidence.importers.streams import ExportStream
from evidence.importers.wechat import cell, csv_rows, local_time, short_field, two_passes
from evidence.records import ParsedEvent, SkippedRecord

SIGNATURE = frozenset({"Chat Session", "Message Date", "Type", "Sender ID", "Sender Name", "Text"})
_COLUMNS = ("Chat Session", "Message Date", "Type", "Sender ID", "Text")
_DIRECTIONS = {"incoming": "in", "outgoing": "out"}
_SKIPPED_TYPES = frozenset({"notification"})
_PHONE = re.compile(r"\+?[\d\s()\-]{3,20}")


def _thread_numbers(
    stream: ExportStream, start: int, encoding: str, columns: dict[str, int]
) -> dict[str, str]:
    """First pass: each thread's one incoming Sender ID (a thread with two is a group: none)."""
    seen: dict[str, set[str]] = {}
    rows = csv_rows(stream, start, encoding)
    try:
        next(rows)
        for _, cells in rows:
            if cell(cells, columns, "Type").strip().casefold() != "incoming":
                continue
            sender = cell(cells, columns, "Sender ID").strip()
            if sender and len(sender) <= 64:
                seen.setdefault(cell(cells, columns, "Chat Session").strip()[:256], set()).add(sender)
    except BadInputError:  # the second pass reports a broken file, after the rows before the break
        pass
    finally:
        rows.close()
    return {thread: next(iter(ids)) for thread, ids in seen.items() if len(ids) == 1}


def _event(
    cells: list[str], columns: dict[str, int], threads: dict[str, str], tz: ZoneInfo, position: str
) -> ParsedEvent | None:
    kind = short_field(cell(cells, columns, "Type")).casefold()
    if kind in _SKIPPED_TYPES:
        return None
    direction = _DIRECTIONS.get(kind)
    if direction is None:
        raise UnreadableRecordError("the message's Type is not Incoming or Outgoing")
    at = local_time(short_field(cell(cells, columns, "Message Date")), tz)
    thread = short_field(cell(cells, columns, "Chat Session"))
    if direction == "in":
        number = short_field(cell(cells, columns, "Sender ID")) or None
        contact = short_field(cell(cells, columns, "Sender Name")) or None
    else:
        number = thread if _PHONE.fullmatch(thread) else threads.get(thread[:256])
        contact = None
    text = cell(cells, columns, "Text") or None
    attachment = short_field(cell(cells, columns, "Attachment"))
    if text is None and attachment:
        text = "[attachment]"
    return ParsedEvent(
        kind="sms",  # SMS and iMessage alike: both are 信息 on the phone
        direction=direction,
        raw_number=number,
        at=at,
        tz_assumed=True,
        text=text,
        contact=contact,
        source_ref=position,
    )


def looks_like_imazing(text_head: str) -> bool:
    """Whether a text file's first line is iMazing's messages header (all of `SIGNATURE`)."""
    first = text_head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    try:
        cells = {c.strip() for c in next(csv.reader([first]), [])}
    except csv.Error:
        return False
    return cells >= SIGNATURE


class ImazingMessages:
    name = "imazing-messages"
    _what = "this iMazing messages CSV"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        return two_passes(stream, tz, self._what, _COLUMNS, _thread_numbers, _event)
