"""The encrypted database: a SQLCipher engine keyed with a raw 256-bit key, migrated on open."""

from __future__ import annotations

import contextlib
import itertools
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlcipher3
from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from evidence.errors import READ_ONLY_MESSAGE, DamagedError, DiskError, LockerError
from evidence.resources import resource_dir

if TYPE_CHECKING:
    from alembic.config import Config

BUSY_TIMEOUT_MS = 30_000


def sqlite_datetime(at: datetime) -> str:
    """An aware time as SQLAlchemy's SQLite DATETIME stores it (schema.UTCDateTime: the UTC
    instant, naive), for bulk writes that go straight to the driver."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    # "2026-08-11 13:20:00.000000+00:00" without its offset: the year always has four digits.
    return at.astimezone(UTC).isoformat(" ", "microseconds")[:26]


# The page cache while a bulk write runs (SQLite's own default is 2 MiB, SQLCipher's 8 MiB).
BULK_CACHE_MIB = 32


T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of `size` items in order, the last one shorter (itertools.batched from Python 3.12)."""
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


@contextlib.contextmanager
def bulk_cache(conn: Connection, mib: int = BULK_CACHE_MIB) -> Iterator[None]:
    """A larger page cache for one bulk write, then the usual one again (its pages are freed).

    Dedupe keys and finding keys are hashes: each insert lands on a random page of their unique
    index, and with the default cache 100,000 inserts keep evicting pages and reading them back,
    which SQLCipher encrypts and decrypts every time (a third of the findings' write time).
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    usual = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql(f"PRAGMA cache_size = -{int(mib) * 1024}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {usual}")


def make_engine(path: Path, key: bytes, read_only: bool = False) -> Engine:
    """An engine on the SQLCipher file at `path`, keyed with the raw `key` (32 bytes).

    A raw key (`x'…'`) skips SQLCipher's own PBKDF2, which would only repeat the scrypt the
    identity already paid for. WAL lets a reader and a writer share the file; FULL sync makes
    a committed row survive a power cut; every transaction starts IMMEDIATE so two `locker add`
    processes queue on the busy timeout instead of failing mid-way.

    Read-only (a backup on read-only media): opened `immutable` when no write-ahead log is
    pending, since SQLite cannot create the WAL index there; else `mode=ro`.
    Bound parameters are hidden from every SQLAlchemy error message: they are message texts
    and phone numbers, and `--debug` output is what users are asked to send.
    """
    if len(key) != 32:
        raise ValueError("the database key must be 32 bytes")
    if read_only:
        wal = path.with_name(path.name + "-wal")
        flag = "mode=ro" if wal.exists() and wal.stat().st_size > 0 else "immutable=1"
        url = f"sqlite+pysqlite:///file:{path}?{flag}&uri=true"
    else:
        url = f"sqlite+pysqlite:///{path}"
    engine = create_engine(url, module=sqlcipher3, hide_parameters=True)
    hex_key = key.hex()  # hex digits only: nothing can be injected into the PRAGMA

    @event.listens_for(engine, "connect", insert=True)
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA key = \"x'{hex_key}'\"")
        cur.execute("PRAGMA cipher_log_level = NONE")
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            cur.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as e:
            # The key came from the identity, so it is right: the file is damaged or foreign.
            raise DamagedError(
                "locker.db does not open with this locker's key: it is damaged or not this locker's "
                "database; restore it from a backup"
            ) from e
        if not read_only:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def alembic_config() -> Config:
    from alembic.config import Config  # alembic costs ~0.4 s to import: only when a schema is checked

    cfg = Config()
    cfg.set_main_option("script_location", str(resource_dir("migrations")))
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migrate(engine: Engine, db_path: Path, read_only: bool = False) -> None:
    """Bring the schema to head. An existing database is copied aside first (beets' habit)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    head = head_revision()
    if current == head:
        return
    if read_only:
        raise DiskError("this locker needs a schema update but is read-only: copy it to a writable folder")
    if current is not None:
        backup = db_path.with_name(f"{db_path.name}.before-{head}")
        engine.dispose()
        shutil.copy2(db_path, backup)
        backup.chmod(0o600)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except Exception as e:  # a failed migration leaves the previous schema (one transaction)
        raise DamagedError(f"could not update the locker's database schema ({type(e).__name__})") from e


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# SQLite's words for a full disk, a read-only file, and a damaged file (sqlite3.c's messages).
_DISK_FULL = ("database or disk is full", "disk i/o error")
_READ_ONLY = ("readonly database", "read-only")
_DAMAGED = ("malformed", "not a database", "hmac", "corrupt", "encrypted")


def integrity_problems(engine: Engine) -> list[str]:
    """SQLCipher's per-page HMAC check and SQLite's structural check; empty when both are clean."""
    problems: list[str] = []
    with engine.connect() as conn:
        for pragma in ("cipher_integrity_check", "integrity_check"):
            try:
                rows = [str(r[0]) for r in conn.exec_driver_sql(f"PRAGMA {pragma}")]
            except exc.DBAPIError as e:
                problems.append(f"{pragma}: {_first_line(e.orig)}")
                continue
            problems.extend(r for r in rows if r.lower() != "ok")
    return problems


def translate_error(e: BaseException) -> LockerError | None:
    """A database error as the user's error: damage (5) or a refusing disk (74); None if it is a bug."""
    orig = e.orig if isinstance(e, exc.DBAPIError) else e
    if not isinstance(orig, sqlcipher3.DatabaseError):
        return None
    text = _first_line(orig).lower()
    if any(w in text for w in _DISK_FULL):
        return DiskError("the disk is full (or failing): free some space and retry; nothing was lost")
    if any(w in text for w in _READ_ONLY):
        return DiskError(READ_ONLY_MESSAGE)
    if any(w in text for w in _DAMAGED) or not isinstance(orig, sqlcipher3.OperationalError):
        return DamagedError(
            f"locker.db is damaged ({_first_line(orig)}): run `locker verify`; restore it from a backup"
        )
    return None


def _first_line(e: BaseException | None) -> str:
    # SQLite's own message, never SQLAlchemy's (which could quote a statement).
    return str(e).splitlines()[0][:200] if e is not None and str(e) else type(e).__name__
