"""Read iOS call history (`CallHistory.storedata`, Core Data table ZCALLRECORD): one event per call.

Facts: reference/formats.md §2.2. `ZDATE` is seconds since 2001-01-01 UTC → aware UTC;
`ZDURATION` seconds; `ZADDRESS` the number, as text or as a UTF-8 BLOB; `ZORIGINATED` 1 →
out, else in; `ZANSWERED` 1 → answered. An incoming call not answered is missed; an outgoing
call not answered has no status (nobody picked up, which is not a "missed" call). FaceTime
and VoIP records (`ZCALLTYPE`) are calls too. `ZNAME` is the contact when present.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import BinaryIO
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError
from evidence.importers.apple_db import apple_instant, cell_text, columns, open_readonly, rows
from evidence.records import ParsedEvent

_WHAT = "the iOS call history database"


class IosCalls:
    name = "ios-calls"

    def parse(self, stream: BinaryIO, tz: ZoneInfo) -> Iterator[ParsedEvent]:
        with open_readonly(stream, _WHAT) as connection:
            for row in rows(connection, _query(columns(connection, "ZCALLRECORD")), _WHAT):
                yield _event(row)


def _query(have: set[str]) -> str:
    if not {"Z_PK", "ZDATE"} <= have:
        raise BadInputError(f"{_WHAT} has no ZCALLRECORD table with dates; is this CallHistory.storedata?")

    def col(name: str) -> str:
        return name if name in have else "NULL"

    return (
        f"SELECT Z_PK AS pk, ZDATE AS date, {col('ZDURATION')} AS duration, {col('ZADDRESS')} AS address,"
        f" {col('ZORIGINATED')} AS originated, {col('ZANSWERED')} AS answered, {col('ZNAME')} AS name"
        f" FROM ZCALLRECORD ORDER BY Z_PK"
    )


def _event(row: sqlite3.Row) -> ParsedEvent:
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
