"""Open an iOS SQLite export read-only and convert Apple (Cocoa) timestamps.

iOS stores instants as seconds since 2001-01-01 UTC; Messages since iOS 11 in nanoseconds
(reference/formats.md §2). Databases are opened through a `file:` URI with `mode=ro` and
`immutable=1`, so nothing, not even a journal, is ever written next to the evidence, and with
`trusted_schema` off, so a hostile file's views and triggers cannot call functions.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from evidence.errors import BadInputError, TruncatedInputError

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
# Seconds since 2001 stay below 1e11 until the year 5170; nanoseconds passed 1e11 in 2001.
_NANOSECONDS_ABOVE = 100_000_000_000


def apple_instant(value: Any) -> datetime:
    """An aware UTC datetime from an Apple-epoch value in seconds (float) or nanoseconds (integer)."""
    try:
        number = float(value) if not isinstance(value, int) else value
        if abs(number) > _NANOSECONDS_ABOVE:
            return APPLE_EPOCH + timedelta(microseconds=int(number) // 1000)
        return APPLE_EPOCH + timedelta(seconds=number)
    except (TypeError, ValueError, OverflowError) as e:
        raise BadInputError("a record has no readable date; the database is damaged") from e


@contextmanager
def open_readonly(stream: BinaryIO, what: str) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the database in `stream` (its file, or a private temporary copy)."""
    name = getattr(stream, "name", None)
    if isinstance(name, str) and os.path.isfile(name):
        with _connect(Path(name), what) as connection:
            yield connection
        return
    with tempfile.TemporaryDirectory(prefix="locker-import-") as folder:
        copy = Path(folder) / "export.db"
        with copy.open("wb") as out:
            shutil.copyfileobj(stream, out)
        with _connect(copy, what) as connection:
            yield connection


@contextmanager
def _connect(path: Path, what: str) -> Iterator[sqlite3.Connection]:
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as e:
        raise BadInputError(f"{what} cannot be opened; export it again") from e
    with closing(connection):
        try:
            connection.execute("PRAGMA trusted_schema = OFF")
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as e:
            raise BadInputError(f"{what} is not a readable SQLite database; export it again") from e
        try:
            yield connection
        except sqlite3.Error as e:  # the schema itself is damaged (rows() handles breaks mid-way)
            raise BadInputError(f"{what} cannot be read (damaged database); export it again") from e


def cell_text(value: object) -> str | None:
    """A cell as stripped text (BLOBs decoded as UTF-8), or None when empty or not text-like."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    return str(value).strip() or None


def columns(connection: sqlite3.Connection, table: str) -> set[str]:
    """The column names of a table (empty when the table does not exist)."""
    return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def rows(connection: sqlite3.Connection, sql: str, what: str) -> Iterator[sqlite3.Row]:
    """Stream the rows of a query; a database that breaks part-way yields the rows before the break."""
    count = 0
    try:
        connection.row_factory = sqlite3.Row
        cursor = connection.execute(sql)
        while batch := cursor.fetchmany(500):
            for row in batch:
                count += 1
                yield row
    except sqlite3.Error as e:
        if count == 0:
            raise BadInputError(f"{what} cannot be read (damaged database); export it again") from e
        raise TruncatedInputError(
            f"{what} breaks after {count} complete records (those were read; export it again for the rest)",
            records_read=count,
        ) from e
