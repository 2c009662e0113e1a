"""Read an iOS SQLite export from memory within a time budget, and convert Apple (Cocoa) timestamps.

iOS stores instants as seconds since 2001-01-01 UTC; Messages since iOS 11 in nanoseconds
(reference/formats.md §2). The database may have been crafted by whoever wants the import to
fail or hang, so:

* **Never on disk.** The stream (a decrypting reader of the sealed original) is read into
  memory, at most `MAX_DATABASE_BYTES`, and opened with `sqlite3_deserialize`: no plaintext
  copy, journal or WAL ever touches the disk. A WAL-mode header is read as a rollback journal
  one (iOS backups are checkpointed; SQLite cannot open WAL mode from memory).
* **Only real tables.** A name the importer reads must be a table with pages of its own in
  `sqlite_master` (`type = 'table'`, `rootpage > 0`): a view (a recursive one never ends) or a
  virtual table is treated as missing, and so are generated columns (computed at each read).
  Nothing is assumed from the file's first bytes (the schema may lie past the part a sniffer
  saw): the database itself is asked.
* **Bounded work.** `trusted_schema` is off (a hostile schema cannot call functions), the
  database is `query_only`, strings and blobs are limited to `_MAX_VALUE_BYTES`, and a progress
  handler stops any query once the time spent inside SQLite passes `QUERY_SECONDS` (the
  consumer's time between rows is not counted): `BadInputError`, or `TruncatedInputError`
  after the rows already read.
"""

from __future__ import annotations

import io
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers.limits import MAX_TEXT_CHARS, UnreadableRecordError
from evidence.importers.streams import ExportStream

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
# Seconds since 2001 stay below 1e11 until the year 5170; nanoseconds passed 1e11 in 2001.
_NANOSECONDS_ABOVE = 100_000_000_000

# The largest database read. Held in memory twice while it is handed to SQLite.
MAX_DATABASE_BYTES = 1 << 30
# Seconds of SQLite work allowed for one export, all queries together. A real sms.db of a few
# hundred thousand messages reads in a few seconds; module constant so tests can lower it.
QUERY_SECONDS = 30.0
_PROGRESS_EVERY = 1000  # SQLite VM steps between two looks at the clock
_MAX_VALUE_BYTES = 64 << 20  # SQLITE_LIMIT_LENGTH: no string or blob a query makes may be larger
_READ = 1 << 16
_HEADER = b"SQLite format 3\x00"


def apple_instant(value: Any) -> datetime:
    """An aware UTC datetime from an Apple-epoch value in seconds (float) or nanoseconds (integer).

    `UnreadableRecordError` (the importer skips the record) when the value is not a time.
    """
    try:
        number = float(value) if not isinstance(value, int) else value
        if abs(number) > _NANOSECONDS_ABOVE:
            return APPLE_EPOCH + timedelta(microseconds=int(number) // 1000)
        return APPLE_EPOCH + timedelta(seconds=number)
    except (TypeError, ValueError, OverflowError) as e:
        raise UnreadableRecordError("the record's date is not a readable Apple time") from e


class _Budget:
    """Time spent inside SQLite calls, and the progress handler that stops them past `QUERY_SECONDS`."""

    def __init__(self) -> None:
        self.spent = 0.0
        self.exceeded = False
        self._since: float | None = None

    @contextmanager
    def running(self) -> Iterator[None]:
        self._since = time.monotonic()
        try:
            yield
        finally:
            self.spent += time.monotonic() - self._since
            self._since = None

    def problem(self) -> str:
        """Why a query failed, for the error message."""
        if self.exceeded:
            return f"reading it takes longer than {QUERY_SECONDS:g} s (a database built to stall the import?)"
        return "it is damaged"

    def check(self) -> int:
        """The progress handler: non-zero interrupts the query."""
        if self._since is not None and self.spent + time.monotonic() - self._since > QUERY_SECONDS:
            self.exceeded = True
            return 1
        return 0


class Database:
    """An export's SQLite database held in memory, read only through its real tables, within the budget."""

    def __init__(self, connection: sqlite3.Connection, budget: _Budget, what: str) -> None:
        self._connection = connection
        self._budget = budget
        self._what = what

    def table_columns(self, table: str) -> set[str]:
        """The ordinary columns of `table`; empty when it is missing or not a real table (a view…)."""
        with self._budget.running():
            found = self._connection.execute(
                "SELECT count(*) FROM main.sqlite_master"
                " WHERE type = 'table' AND rootpage > 0 AND name = ? COLLATE NOCASE",
                (table,),
            ).fetchone()[0]
            if not found:
                return set()
            # table_xinfo's `hidden` is 0 for an ordinary column (2 and 3 are generated columns).
            info = self._connection.execute(f'PRAGMA main.table_xinfo("{table}")').fetchall()
        return {row[1] for row in info if row[6] == 0}

    def rows(self, sql: str) -> Iterator[sqlite3.Row]:
        """Stream the rows of a query; a database that breaks part-way yields the rows before the break."""
        count = 0
        try:
            with self._budget.running():
                cursor = self._connection.execute(sql)
            while True:
                with self._budget.running():
                    batch = cursor.fetchmany(500)
                if not batch:
                    return
                for row in batch:
                    count += 1
                    yield row
        except sqlite3.Error as e:
            problem = self._budget.problem()
            if count == 0:
                raise BadInputError(f"{self._what} cannot be read: {problem}; export it again") from e
            raise TruncatedInputError(
                f"{self._what} stops after {count} complete records: {problem} "
                "(those were read; export it again for the rest)",
                records_read=count,
            ) from e


@contextmanager
def open_in_memory(stream: ExportStream, what: str) -> Iterator[Database]:
    """The database in `stream`, read into memory (never written anywhere) and opened read-only."""
    data = _read_whole(stream, what)
    if data.startswith(_HEADER) and len(data) >= 100 and data[18:20] == b"\x02\x02":
        data[18:20] = b"\x01\x01"  # WAL mode → rollback journal: the file's pages are the same
    budget = _Budget()
    connection = sqlite3.connect(":memory:")
    with closing(connection):
        try:
            connection.set_progress_handler(budget.check, _PROGRESS_EVERY)
            connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _MAX_VALUE_BYTES)
            connection.deserialize(data)
            del data  # SQLite holds its own copy
            with budget.running():
                connection.execute("PRAGMA trusted_schema = OFF")
                connection.execute("PRAGMA query_only = ON")
                connection.execute("PRAGMA cell_size_check = ON")
                connection.execute("SELECT count(*) FROM main.sqlite_master").fetchone()
        # UnicodeDecodeError: a damaged schema's text (or SQLite's message quoting it) is not UTF-8
        except (sqlite3.Error, OverflowError, MemoryError, UnicodeDecodeError) as e:
            raise BadInputError(f"{what} is not a readable SQLite database; export it again") from e
        connection.row_factory = sqlite3.Row
        database = Database(connection, budget, what)
        try:
            yield database
        except (sqlite3.Error, UnicodeDecodeError) as e:  # a damaged schema (rows(): breaks mid-way)
            raise BadInputError(f"{what} cannot be read: {budget.problem()}; export it again") from e


def _read_whole(stream: ExportStream, what: str) -> bytearray:
    too_large = BadInputError(
        f"{what} is larger than {MAX_DATABASE_BYTES >> 20} MiB, more than locker reads; "
        "is this the right file?"
    )
    data = bytearray()
    if stream.seekable():  # refuse at once, before reading a byte
        start = stream.tell()
        size = stream.seek(0, io.SEEK_END) - start
        stream.seek(start)
        if size > MAX_DATABASE_BYTES:
            raise too_large
        readinto = getattr(stream, "readinto", None)
        if readinto is not None:  # straight into one buffer of the right size: no copy to grow
            data = bytearray(size)
            got = 0
            with memoryview(data) as view:
                while got < size and (n := readinto(view[got : got + _READ])):
                    got += n
            del data[got:]
    # Pieces of `_READ`: a raw stream's read(n) allocates all n bytes however few it returns.
    while chunk := stream.read(_READ):
        data += chunk
        if len(data) > MAX_DATABASE_BYTES:
            raise too_large
    return data


def cell_text(value: object) -> str | None:
    """A cell as stripped text (BLOBs decoded as UTF-8), or None when empty or not text-like."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    return str(value).strip() or None


def column(name: str, have: set[str], table: str = "") -> str:
    """A column to select when the table has it, NULL when it does not (older schemas lack some):
    `table` qualifies it ("m" gives m.text)."""
    if name not in have:
        return "NULL"
    return f"{table}.{name}" if table else name


def bounded(expression: str) -> str:
    """SQL for at most `MAX_TEXT_CHARS` + 1 characters (bytes for a BLOB) of a value: one more says "cut"."""
    return f"substr({expression}, 1, {MAX_TEXT_CHARS + 1})"


def check_fields(row: sqlite3.Row, names: tuple[str, ...]) -> None:
    """`UnreadableRecordError` when one of these (non-text) fields was longer than `MAX_TEXT_CHARS`."""
    for name in names:
        value = row[name]
        if isinstance(value, str | bytes) and len(value) > MAX_TEXT_CHARS:
            raise UnreadableRecordError(
                f"a field other than the text is longer than {MAX_TEXT_CHARS:,} characters"
            )


def position(kind: str, key: object, ordinal: int) -> str:
    """Where a record is: its own integer key ("message 12"), else its place in the query ("message #3")."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{kind} {key}"
    return f"{kind} #{ordinal}"  # never the key itself: a crafted key could be a phone number
