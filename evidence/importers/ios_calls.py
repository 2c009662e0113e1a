"""Read iOS call history (`CallHistory.storedata`, Core Data table ZCALLRECORD): one event per call.

Facts: reference/formats.md §2.2. `ZDATE` is seconds since 2001-01-01 UTC → aware UTC;
`ZDURATION` seconds; `ZADDRESS` the number, as text or as a UTF-8 BLOB; `ZORIGINATED` 1 →
out, else in; `ZANSWERED` 1 → answered. An incoming call not answered is missed; an outgoing
call not answered has no status (nobody picked up, which is not a "missed" call). FaceTime
and VoIP records (`ZCALLTYPE`) are calls too. `ZNAME` is the contact when present. A call
whose date cannot be read is skipped and reported ("call 12"). Reading: see `apple_db`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError
from evidence.importers.apple_db import (
    apple_instant,
    bounded,
    cell_text,
    check_fields,
    column,
    open_in_memory,
    position,
)
from evidence.importers.limits import UnreadableRecordError
from evidence.importers.streams import ExportStream
from evidence.records import ParsedEvent, SkippedRecord

_WHAT = "the iOS call history database"


class IosCalls:
    name = "ios-calls"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        with open_in_memory(stream, _WHAT) as database:
            sql = _query(database.table_columns("ZCALLRECORD"))
            for ordinal, row in enumerate(database.rows(sql), 1):
                try:
                    yield _event(row)
                except UnreadableRecordError as e:
                    yield SkippedRecord(position("call", row["pk"], ordinal), str(e))


def _query(have: set[str]) -> str:
    if not {"Z_PK", "ZDATE"} <= have:
        raise BadInputError(f"{_WHAT} has no ZCALLRECORD table with dates; is this CallHistory.storedata?")

    def col(name: str) -> str:
        return column(name, have)

    return (
        f"SELECT Z_PK AS pk, ZDATE AS date, {col('ZDURATION')} AS duration,"
        f" {bounded(col('ZADDRESS'))} AS address, {col('ZORIGINATED')} AS originated,"
        f" {col('ZANSWERED')} AS answered, {bounded(col('ZNAME'))} AS name"
        f" FROM main.ZCALLRECORD ORDER BY Z_PK"
    )


def _event(row: sqlite3.Row) -> ParsedEvent:
    check_fields(row, ("address", "name"))
    outgoing = row["originated"] == 1
    answered = row["answered"] == 1
    # Nobody picking up an outgoing call is not a "missed" call: no status then.
    status = "answered" if answered else (None if outgoing else "missed")
    return ParsedEvent(
        kind="call",
        direction="out" if outgoing else "in",
        raw_number=cell_text(row["address"]),
        at=apple_instant(row["date"]),
        duration=_duration(row["duration"]),
        status=status,
        contact=cell_text(row["name"]),
        source_ref=f"call {row['pk']}",
    )


def _duration(value: object) -> float | None:
    if isinstance(value, bytes | str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < 10**9 else None
