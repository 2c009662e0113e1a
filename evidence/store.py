"""An open locker: its folder, keys, database, vault, timezone and clock, passed to every core function."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from evidence import age, custody
from evidence.atomic import private_dir
from evidence.database import make_engine, migrate, session_factory, transaction
from evidence.errors import LockedError, UsageError
from evidence.keys import IDENTITY_FILE, LockerKeys, keys_for, unwrap_identity, wrap_identity
from evidence.schema import Setting
from evidence.vault import Vault

DB_FILE = "locker.db"
OBJECTS_DIR = "objects"
LOCK_FILE = "lock"
DEFAULT_TIMEZONE = "Asia/Shanghai"

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise UsageError(f"unknown timezone {name!r}: use an IANA name such as Asia/Shanghai") from e


@dataclass
class Store:
    home: Path
    keys: LockerKeys = field(repr=False)
    engine: Engine
    sessions: sessionmaker[Session]
    vault: Vault
    timezone: ZoneInfo
    clock: Clock = system_clock

    def now(self) -> datetime:
        return self.clock()

    def transaction(self) -> contextlib.AbstractContextManager[Session]:
        return transaction(self.sessions)

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def shared_lock(self) -> Iterator[None]:
        """Held by commands that write objects, so `gc` never removes a temp file still being written."""
        with _flock(self.home / LOCK_FILE, fcntl.LOCK_SH):
            yield

    @contextlib.contextmanager
    def exclusive_lock(self) -> Iterator[None]:
        try:
            with _flock(self.home / LOCK_FILE, fcntl.LOCK_EX | fcntl.LOCK_NB):
                yield
        except BlockingIOError as e:
            raise UsageError(
                "another locker command is writing to this locker: try again when it ends"
            ) from e


@contextlib.contextmanager
def _flock(path: Path, mode: int) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # closing releases the lock; a killed process releases it too


def _open(home: Path, keys: LockerKeys, clock: Clock) -> Store:
    db_path = home / DB_FILE
    if not db_path.exists():
        raise LockedError(f"no database in {home}: this is not a complete locker")
    engine = make_engine(db_path, keys.db_key)
    migrate(engine, db_path)
    sessions = session_factory(engine)
    with transaction(sessions) as s:
        tz_name = s.scalar(select(Setting.value).where(Setting.key == "timezone")) or DEFAULT_TIMEZONE
    return Store(home, keys, engine, sessions, Vault(home / OBJECTS_DIR), parse_timezone(tz_name), clock)


def init_store(
    home: Path, passphrase: str, log_n: int, timezone: str = DEFAULT_TIMEZONE, clock: Clock = system_clock
) -> tuple[Store, str]:
    """Create a new locker in `home`; returns the open store and the recovery key (show it once)."""
    tz = parse_timezone(timezone)
    if (home / IDENTITY_FILE).exists():
        raise UsageError(f"a locker already exists at {home}")
    private_dir(home)
    Vault.create(home / OBJECTS_DIR)
    for stale in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm"):  # left by an init that died early
        (home / stale).unlink(missing_ok=True)
    # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the same mode.
    os.close(os.open(home / DB_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    identity = age.X25519Identity.generate()
    keys = keys_for(identity)
    engine = make_engine(home / DB_FILE, keys.db_key)
    migrate(engine, home / DB_FILE)
    sessions = session_factory(engine)
    with transaction(sessions) as s:
        s.add(Setting(key="timezone", value=tz.key))
        custody.append(s, "init", {"timezone": tz.key, "format": "locker/v1", "scrypt_log_n": log_n}, clock())
    # The identity file is written last: until it exists, `init` can simply be run again.
    wrap_identity(home, identity, passphrase, log_n)
    for p in home.iterdir():
        if p.is_file():
            p.chmod(0o600)
    return Store(home, keys, engine, sessions, Vault(home / OBJECTS_DIR), tz, clock), identity.encode()


def open_store(home: Path, passphrase: str, clock: Clock = system_clock) -> Store:
    return _open(home, keys_for(unwrap_identity(home, passphrase)), clock)


def open_store_with_identity(home: Path, identity: age.X25519Identity, clock: Clock = system_clock) -> Store:
    """Open with the recovery key; a key that is not this locker's fails on the database key."""
    return _open(home, keys_for(identity), clock)
