"""Read raw Android databases: `mmssms.db` (SMS and MMS) and `calllog.db` / `contacts2.db` (calls).

These are the Telephony and CallLog providers' own SQLite files, as a rooted phone, a forensic
extraction or an ADB backup gives them. They hold the values SMS Backup & Restore copies into
its XML (reference/formats.md §1.2–1.4, Android's `Telephony` and `CallLog.Calls` contracts), so
the events are the same as `sbr` makes of the same records; the codes live in `android_codes`.

Messages (`mmssms.db`):

* Table `sms`: `address` the other party, `date` epoch milliseconds (UTC), `type` 1 inbox → in;
  2 sent, 4 outbox, 5 failed, 6 queued → out; 3 draft → skipped; other codes keep the message
  with no direction. `body` is the text as written.
* Tables `pdu` (one row per MMS: `date` in epoch *seconds*, `msg_box` with the SMS codes, `m_type`
  when the box is unknown: 128 send-req out, 132 retrieve-conf in), `addr` (`msg_id`, `address`,
  `type` 137 From, 151 To, 130 Cc, 129 Bcc) and `part` (`mid`, `ct`, `text`). The text is the
  text/plain parts joined by newlines, every other part but the SMIL layout a placeholder such
  as `[image/jpeg]` (as `sbr` writes it). A received MMS is from its 137 address, the other
  copies (several To, Cc) are `other_numbers`; a sent MMS is addressed to its first recipient,
  the others are `other_numbers`. `insert-address-token` (the phone's own number) is left out.
* `source_ref` and skipped positions: "sms 12", "mms 3" (the row's `_id`).

Calls (`calls` table): `number`, `date` epoch milliseconds, `duration` seconds, `type` via
`android_codes.CALL_TYPES`, `name` the cached contact. `presentation` 2 (restricted, a hidden
caller id) makes the number withheld: raw `-2`, the provider's own marker, whatever `number`
says; 3 (unknown) and 4 (payphone) without a number give `-1` and `-3` (`evidence.numbers`
classes all three as withheld).

A record whose date cannot be read, or with a field other than the text longer than
`limits.MAX_TEXT_CHARS`, is skipped and reported; a longer text is cut there and reported, the
event kept. Minimal schemas work: a missing column reads as NULL. Reading is `apple_db`'s: in
memory, only real tables (a view named `sms` is a missing table), within a time budget.

Other databases that copy these providers' rows under other table names (a Huawei backup's
`sms_tb` and `calls_tb`, `huawei_db`) are read by `read_messages` and `read_calls` with their own
`ProviderTables`; a table without `_id` is keyed by its `rowid`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError
from evidence.importers.android_codes import (
    CALL_TYPES,
    SMS_TYPES,
    contact_name,
    instant_from_epoch,
    message_text,
    seconds,
)
from evidence.importers.apple_db import (
    Database,
    bounded,
    cell_text,
    check_fields,
    column,
    open_in_memory,
    position,
)
from evidence.importers.limits import MAX_TEXT_CHARS, UnreadableRecordError, capped
from evidence.importers.streams import ExportStream
from evidence.records import ParsedEvent, SkippedRecord

_MESSAGES = "the Android messages database"
_CALLS = "the Android call-log database"

_FROM = "137"
_TO = "151"
_SMIL = "application/smil"
_OWN_NUMBER_TOKEN = "insert-address-token"  # how a sent MMS names the phone's own number
# CallLog.Calls.PRESENTATION_* → the provider's marker for a number it does not show.
_WITHHELD = {"2": "-2"}
_NO_NUMBER = {"3": "-1", "4": "-3"}


def is_android_sms(tables: set[str]) -> bool:
    """Whether a database with these real tables is an Android `mmssms.db` (`sms`, or the MMS tables)."""
    names = {t.lower() for t in tables}
    return "sms" in names or {"pdu", "addr", "part"} <= names


def is_android_calls(tables: set[str]) -> bool:
    """Whether a database with these real tables holds an Android call log (`calllog.db`, `contacts2.db`)."""
    return "calls" in {t.lower() for t in tables}


@dataclass(frozen=True)
class ProviderTables:
    """The names a database gives the Telephony and CallLog providers' tables (their columns are the
    providers'), and how the user would call the file in an error."""

    sms: str
    pdu: str
    addr: str
    part: str
    calls: str
    messages_file: str
    calls_file: str


ANDROID = ProviderTables("sms", "pdu", "addr", "part", "calls", _MESSAGES, _CALLS)


class AndroidMessages:
    name = "android-sms"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        with open_in_memory(stream, _MESSAGES) as database:
            yield from read_messages(database, ANDROID, "is this mmssms.db?")


class AndroidCalls:
    name = "android-calls"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        with open_in_memory(stream, _CALLS) as database:
            yield from read_calls(database, ANDROID, "is this calllog.db?")


def read_messages(
    database: Database, tables: ProviderTables, hint: str
) -> Iterator[ParsedEvent | SkippedRecord]:
    """The SMS then the MMS of a database holding the Telephony provider's tables under `tables`' names."""
    sms = database.table_columns(tables.sms)
    pdu = database.table_columns(tables.pdu)
    has_sms = "date" in sms
    has_mms = "date" in pdu
    if not has_sms and not has_mms:
        raise BadInputError(
            f"{tables.messages_file} has no {tables.sms} or {tables.pdu} table with dates; {hint}"
        )
    if has_sms:
        for ordinal, row in enumerate(database.rows(_sms_query(sms, tables.sms)), 1):
            where = position("sms", row["id"], ordinal)
            try:
                event = _sms_event(row, where)
            except UnreadableRecordError as e:
                yield SkippedRecord(where, str(e))
                continue
            if event is not None:
                yield from capped(event, where)
    if has_mms:
        yield from _mms_events(database, pdu, tables)


def read_calls(
    database: Database, tables: ProviderTables, hint: str
) -> Iterator[ParsedEvent | SkippedRecord]:
    """The calls of a database holding the CallLog provider's table under `tables.calls`."""
    sql = _calls_query(database.table_columns(tables.calls), tables, hint)
    for ordinal, row in enumerate(database.rows(sql), 1):
        where = position("call", row["id"], ordinal)
        try:
            yield _call_event(row, where)
        except UnreadableRecordError as e:
            yield SkippedRecord(where, str(e))


def _row_key(have: set[str]) -> str:
    """The column that numbers a table's rows: the providers' `_id`, else SQLite's own `rowid`
    (a Huawei backup's `sms_tb` has no `_id`: P79N6A/pa_script android_sms.py)."""
    return "_id" if "_id" in have else "rowid"


def _sms_query(have: set[str], table: str) -> str:
    def col(name: str) -> str:
        return column(name, have)

    key = _row_key(have)
    return (
        f"SELECT {key} AS id, date AS date, {col('type')} AS type, {bounded(col('address'))} AS address,"
        f" {bounded(col('body'))} AS body FROM main.{table} ORDER BY {key}"
    )


def _sms_event(row: sqlite3.Row, ref: str) -> ParsedEvent | None:
    check_fields(row, ("address",))
    code = _code(row["type"])
    if code in SMS_TYPES and SMS_TYPES[code] is None:
        return None  # a draft: never sent, not an act of contact
    return ParsedEvent(
        kind="sms",
        direction=SMS_TYPES.get(code),
        raw_number=cell_text(row["address"]),
        at=_instant(row["date"]),
        text=_text(row["body"]),
        source_ref=ref,
    )


def _mms_events(
    database: Database, pdu: set[str], tables: ProviderTables
) -> Iterator[ParsedEvent | SkippedRecord]:
    """One event per `pdu` row, its addresses and parts read alongside in `_id` order (no per-row query)."""

    def col(name: str) -> str:
        return column(name, pdu, "p")

    key = f"p.{_row_key(pdu)}"
    messages = database.rows(
        f"SELECT {key} AS id, {_key(key)} AS key, p.date AS date, {col('msg_box')} AS box,"
        f" {col('m_type')} AS m_type FROM main.{tables.pdu} p ORDER BY key, {key}"
    )
    addr = database.table_columns(tables.addr)
    addresses = _Grouped(
        database.rows(
            f"SELECT {_key('msg_id')} AS key, type AS type, {bounded('address')} AS address"
            f" FROM main.{tables.addr} WHERE key IS NOT NULL ORDER BY key{_then_id(addr)}"
        )
        if {"msg_id", "address", "type"} <= addr
        else iter(())
    )
    part = database.table_columns(tables.part)
    parts = _Grouped(
        database.rows(
            f"SELECT {_key('mid')} AS key, {bounded('ct')} AS ct,"
            f" {bounded('text') if 'text' in part else 'NULL'} AS text"
            f" FROM main.{tables.part} WHERE key IS NOT NULL ORDER BY key{_then_id(part)}"
        )
        if {"mid", "ct"} <= part
        else iter(())
    )
    for ordinal, row in enumerate(messages, 1):
        where = position("mms", row["id"], ordinal)
        key = row["key"]
        found_addresses = addresses.take(key)
        found_parts = parts.take(key)
        try:
            result = _mms_event(row, found_addresses, found_parts, where)
        except UnreadableRecordError as e:
            yield SkippedRecord(where, str(e))
            continue
        if result is not None:
            yield from capped(result[0], where, result[1])


def _key(expression: str) -> str:
    """SQL for a row key usable to match rows across tables: an integer, else NULL (never compared)."""
    return f"CASE WHEN typeof({expression}) = 'integer' THEN {expression} END"


def _then_id(have: set[str]) -> str:
    """The rest of an ORDER BY: a message's addresses and parts in the order the phone stored them."""
    return ", _id" if "_id" in have else ""


class _Grouped:
    """The rows of a query ordered by integer `key`, handed out a key at a time in ascending order."""

    def __init__(self, rows: Iterator[sqlite3.Row]) -> None:
        self._rows = rows
        self._next: sqlite3.Row | None = next(rows, None)

    def take(self, key: object) -> list[sqlite3.Row]:
        if not isinstance(key, int):
            return []
        while self._next is not None and self._next["key"] < key:
            self._next = next(self._rows, None)  # rows of no message (orphans) are passed over
        found: list[sqlite3.Row] = []
        while self._next is not None and self._next["key"] == key:
            found.append(self._next)
            self._next = next(self._rows, None)
        return found


def _mms_event(
    row: sqlite3.Row, addresses: list[sqlite3.Row], parts: list[sqlite3.Row], ref: str
) -> tuple[ParsedEvent, bool] | None:
    """The MMS's event and whether its text was cut, or None for a draft."""
    direction = _mms_direction(_code(row["box"]), _code(row["m_type"]))
    if direction == "draft":
        return None
    at = _instant(row["date"])
    listed: list[tuple[str, str]] = []
    for a in addresses:
        check_fields(a, ("address",))
        number = cell_text(a["address"])
        if number is not None and number != _OWN_NUMBER_TOKEN:
            listed.append((_code(a["type"]), number))
    if direction == "in":
        sender = next((n for t, n in listed if t == _FROM), None)
        to = [n for t, n in listed if t == _TO]
        # A lone To address is the borrower's own number; several (a group sent to all) are kept.
        copies = (to if len(to) > 1 else []) + [n for t, n in listed if t not in (_FROM, _TO)]
        others = [n for n in dict.fromkeys(copies) if n != sender]
    else:
        targets = list(dict.fromkeys(n for t, n in listed if t != _FROM))
        sender = targets[0] if targets else None
        others = targets[1:]
    text, cut = _mms_text(parts)
    event = ParsedEvent(
        kind="mms",
        direction=direction,
        raw_number=sender,
        at=at,
        text=text,
        other_numbers=tuple(others),
        source_ref=ref,
    )
    return event, cut


def _mms_direction(box: str, m_type: str) -> str | None:
    if box in SMS_TYPES:
        return SMS_TYPES[box] or "draft"
    # Unknown box: the PDU type still tells (128 send-req is ours, 132 retrieve-conf was received).
    return {"128": "out", "132": "in"}.get(m_type)


def _mms_text(parts: list[sqlite3.Row]) -> tuple[str | None, bool]:
    """The parts' text (text/plain, placeholders for the rest) within the cap, and whether it was cut."""
    pieces: list[str] = []
    size = 0
    for part in parts:
        check_fields(part, ("ct",))
        kind = (cell_text(part["ct"]) or "").lower()
        if kind == "text/plain":
            piece = _text(part["text"])
        elif kind and kind != _SMIL:
            piece = f"[{kind}]"
        else:
            piece = None
        if piece is None:
            continue
        pieces.append(piece)
        size += len(piece) + 1
        if size > MAX_TEXT_CHARS:  # a crafted MMS of many huge parts: stop holding more
            return "\n".join(pieces)[:MAX_TEXT_CHARS], True
    return "\n".join(pieces) or None, False


def _calls_query(have: set[str], tables: ProviderTables, hint: str) -> str:
    if "date" not in have:
        raise BadInputError(f"{tables.calls_file} has no {tables.calls} table with dates; {hint}")

    def col(name: str) -> str:
        return column(name, have)

    key = _row_key(have)
    return (
        f"SELECT {key} AS id, date AS date, {col('duration')} AS duration, {col('type')} AS type,"
        f" {bounded(col('number'))} AS number, {bounded(col('name'))} AS name,"
        f" {col('presentation')} AS presentation FROM main.{tables.calls} ORDER BY {key}"
    )


def _call_event(row: sqlite3.Row, ref: str) -> ParsedEvent:
    check_fields(row, ("number", "name"))
    direction, status = CALL_TYPES.get(_code(row["type"]), (None, None))
    presentation = _code(row["presentation"])
    number = _WITHHELD.get(presentation) or cell_text(row["number"]) or _NO_NUMBER.get(presentation)
    return ParsedEvent(
        kind="call",
        direction=direction,
        raw_number=number,
        at=_instant(row["date"]),
        duration=seconds(_code(row["duration"]) or None),
        status=status,
        contact=contact_name(cell_text(row["name"])),
        source_ref=ref,
    )


def _code(value: object) -> str:
    """An integer code cell as text ("1"), whatever SQLite type holds it; "" when there is none."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bytes | bytearray):
        return ""
    text = cell_text(value)
    if text is None or len(text) > 32:
        return ""
    return text


def _instant(value: object) -> datetime:
    """An epoch-milliseconds (or seconds) cell as an aware UTC datetime; `UnreadableRecordError` if not."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bytes | bytearray | bool):
        raise UnreadableRecordError("the record's date is not a readable epoch time")
    return instant_from_epoch(None if value is None else str(value))


def _text(value: object) -> str | None:
    """A message text as written (whitespace kept; a BLOB read as UTF-8), or None when empty."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return message_text(value) if isinstance(value, str) else None
