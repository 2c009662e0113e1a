"""Set-up and keys: init, the passphrase, the recovery key, passwd; the database is SQLCipher."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from alembic import command

from evidence.database import alembic_config
from evidence.errors import LockedError, UsageError
from evidence.keys import IDENTITY_FILE, parse_recovery_key, wrap_identity
from evidence.store import DB_FILE, init_store, open_store, open_store_with_identity
from tests.conftest import FAST_LOG_N, PASSPHRASE


def test_init_then_open_with_the_passphrase(tmp_path: Path) -> None:
    s, recovery = init_store(tmp_path / "l", PASSPHRASE, FAST_LOG_N)
    s.close()
    assert recovery.startswith("AGE-SECRET-KEY-1")
    again = open_store(tmp_path / "l", PASSPHRASE)
    assert again.keys.db_key == s.keys.db_key
    again.close()


def test_wrong_passphrase_is_locked_error(tmp_path: Path) -> None:
    init_store(tmp_path / "l", PASSPHRASE, FAST_LOG_N)[0].close()
    with pytest.raises(LockedError, match="wrong passphrase"):
        open_store(tmp_path / "l", "not the passphrase")


def test_init_refuses_an_existing_locker(tmp_path: Path) -> None:
    init_store(tmp_path / "l", PASSPHRASE, FAST_LOG_N)[0].close()
    with pytest.raises(UsageError, match="already holds a locker"):
        init_store(tmp_path / "l", PASSPHRASE, FAST_LOG_N)


def test_recovery_key_opens_and_a_foreign_key_does_not(tmp_path: Path) -> None:
    s, recovery = init_store(tmp_path / "a", PASSPHRASE, FAST_LOG_N)
    s.close()
    _, other = init_store(tmp_path / "b", PASSPHRASE, FAST_LOG_N)
    open_store_with_identity(tmp_path / "a", parse_recovery_key(recovery)).close()
    with pytest.raises(LockedError):
        open_store_with_identity(tmp_path / "a", parse_recovery_key(other))


def test_rewrap_changes_the_passphrase_not_the_keys(tmp_path: Path) -> None:
    s, _ = init_store(tmp_path / "l", PASSPHRASE, FAST_LOG_N)
    wrap_identity(s.home, s.keys.identity, "a brand new passphrase", FAST_LOG_N)
    s.close()
    with pytest.raises(LockedError):
        open_store(tmp_path / "l", PASSPHRASE)
    t = open_store(tmp_path / "l", "a brand new passphrase")
    assert t.keys.db_key == s.keys.db_key
    t.close()


def test_database_does_not_open_with_plain_sqlite(tmp_path: Path) -> None:
    init_store(tmp_path / "l", PASSPHRASE, FAST_LOG_N)[0].close()
    raw = (tmp_path / "l" / DB_FILE).read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(tmp_path / "l" / DB_FILE).execute("select * from sqlite_master").fetchall()


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    """`alembic check`: no drift between evidence.schema and migrations/ (schema from migrations only)."""
    s, _ = init_store(tmp_path / "l", PASSPHRASE, FAST_LOG_N)
    cfg = alembic_config()
    with s.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)
    s.close()


def test_locker_files_are_private(tmp_path: Path) -> None:
    s, _ = init_store(tmp_path / "l", PASSPHRASE, FAST_LOG_N)
    s.close()
    for p in [s.home, *s.home.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o700 if p.is_dir() else 0o600), (p.name, oct(mode))
    assert (s.home / IDENTITY_FILE).read_bytes().startswith(b"age-encryption.org/v1\n-> scrypt ")
