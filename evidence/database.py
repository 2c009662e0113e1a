"""The encrypted database: a SQLCipher engine keyed with a raw 256-bit key, migrated on open."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlcipher3
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from evidence.errors import DamagedError, LockedError
from evidence.resources import resource_dir

BUSY_TIMEOUT_MS = 30_000


def make_engine(path: Path, key: bytes) -> Engine:
    """An engine on the SQLCipher file at `path`, keyed with the raw `key` (32 bytes).

    A raw key (`x'…'`) skips SQLCipher's own PBKDF2, which would only repeat the scrypt the
    identity already paid for. WAL lets a reader and a writer share the file; FULL sync makes
    a committed row survive a power cut; every transaction starts IMMEDIATE so two `locker add`
    processes queue on the busy timeout instead of failing mid-way.
    """
    if len(key) != 32:
        raise ValueError("the database key must be 32 bytes")
    engine = create_engine(f"sqlite+pysqlite:///{path}", module=sqlcipher3)
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
            raise LockedError(
                "the database does not open with this key: wrong passphrase or damaged locker"
            ) from e
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resource_dir("migrations")))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migrate(engine: Engine, db_path: Path) -> None:
    """Bring the schema to head. An existing database is copied aside first (beets' habit)."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    head = head_revision()
    if current == head:
        return
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


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session, one transaction: committed on success, rolled back on any error."""
    with factory() as session, session.begin():
        yield session
