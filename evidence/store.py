"""An open locker: its folder, keys, database, vault, timezone and clock, passed to every core function.

Folder layout (every file 0600, every folder 0700):

    identity.age   the identity, sealed to the passphrase (age scrypt recipient)
    locker.db      SQLCipher database (items, events, parties, findings, custody log)
    head           the custody head (seq and hash), MACed with a key from the identity
    objects/       sealed originals (evidence.vault)
    lock           flock target: writers share it, gc and verify's orphan scan take it alone

The head file is rewritten after every transaction that extends the custody log. A database
whose log ends before the head file's entry is an older copy put back (or emptied): reads
still work, but nothing may extend it until `verify --repair` has recorded what happened.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, exc, select
from sqlalchemy.orm import Session, sessionmaker

from evidence import age, custody, outputs
from evidence.atomic import atomic_write_bytes, private_dir
from evidence.database import make_engine, migrate, session_factory, translate_error
from evidence.errors import DamagedError, LockedError, UsageError
from evidence.keys import (
    IDENTITY_FILE,
    LockerKeys,
    keys_for,
    unwrap_identity,
    wrap_identity,
)
from evidence.schema import Setting
from evidence.vault import Vault

DB_FILE = "locker.db"
OBJECTS_DIR = "objects"
LOCK_FILE = "lock"
HEAD_FILE = "head"
INIT_MARKER = ".init-unfinished"  # exists only while `init` runs: an interrupted init may be redone
DEFAULT_TIMEZONE = "Asia/Shanghai"

Clock = Callable[[], datetime]
Head = tuple[int, str]


LOCKER_FILES = (DB_FILE, OBJECTS_DIR, HEAD_FILE, IDENTITY_FILE)


def holds_locker_files(home: Path) -> bool:
    """Whether `home` holds any part of a locker (so nothing may treat it as empty)."""
    return any((home / name).exists() for name in LOCKER_FILES)


def system_clock() -> datetime:
    return datetime.now(UTC)


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise UsageError(f"unknown timezone {name!r}: use an IANA name such as Asia/Shanghai") from e


# --- the head file --------------------------------------------------------------------------


def _head_mac(keys: LockerKeys, seq: int, hash_hex: str) -> str:
    return hmac.new(keys.head_key, f"locker-head/v1|{seq}|{hash_hex}".encode(), hashlib.sha256).hexdigest()


def read_head(home: Path, keys: LockerKeys) -> Head | None:
    """The authenticated custody head, or None where no head file was written yet."""
    try:
        raw = (home / HEAD_FILE).read_bytes()
    except FileNotFoundError:
        return None
    try:
        doc = json.loads(raw[:4096])
        seq, hash_hex, mac = int(doc["seq"]), str(doc["hash"]), str(doc["mac"])
    except (ValueError, KeyError, TypeError) as e:
        raise DamagedError(f"the {HEAD_FILE} file is damaged: `locker verify` says more") from e
    if not hmac.compare_digest(_head_mac(keys, seq, hash_hex), mac):
        raise DamagedError(f"the {HEAD_FILE} file was altered or belongs to another locker")
    return seq, hash_hex


def write_head(home: Path, keys: LockerKeys, head: Head) -> None:
    seq, hash_hex = head
    doc = {"seq": seq, "hash": hash_hex, "mac": _head_mac(keys, seq, hash_hex)}
    atomic_write_bytes(home / HEAD_FILE, json.dumps(doc, sort_keys=True).encode() + b"\n")


# --- the open store -------------------------------------------------------------------------


@dataclass
class Store:
    home: Path
    keys: LockerKeys = field(repr=False)
    engine: Engine
    sessions: sessionmaker[Session]
    vault: Vault
    timezone: ZoneInfo
    clock: Clock = system_clock
    read_only: bool = False
    # The head file's (seq, hash) as last read or written: the log may never end before it.
    floor: Head | None = None

    def now(self) -> datetime:
        return self.clock()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One session, one transaction: committed on success, rolled back on any error; a
        custody entry appended inside it moves the head file once the commit has happened."""
        with self.sessions() as session:
            session.info[custody.INFO_FLOOR] = self.floor
            with session.begin():
                yield session
            appended: Head | None = session.info.pop(custody.INFO_HEAD, None)
        if appended is not None and not self.read_only:
            write_head(self.home, self.keys, appended)
            self.floor = appended

    def close(self) -> None:
        self.engine.dispose()


def _writable(home: Path) -> bool:
    db = home / DB_FILE
    return os.access(home, os.W_OK) and (not db.exists() or os.access(db, os.W_OK))


def _open(home: Path, keys: LockerKeys, clock: Clock, rebuild: bool = False) -> Store:
    db_path = home / DB_FILE
    floor = read_head(home, keys)
    read_only = not _writable(home)
    if not db_path.exists():
        if not rebuild or read_only:
            raise DamagedError(
                f"{DB_FILE} is missing: restore it from a backup, or `locker verify --repair` "
                "rebuilds it from the sealed originals"
            )
        os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    if not read_only:
        (home / INIT_MARKER).unlink(missing_ok=True)  # identity.age exists, so init had finished
        outputs.shred_pending(home)  # plaintext outputs a killed `get`/`export` left behind
    engine = make_engine(db_path, keys.db_key, read_only=read_only)
    try:
        migrate(engine, db_path, read_only=read_only)
        sessions = session_factory(engine)
        with sessions() as s, s.begin():
            tz_name = s.scalar(select(Setting.value).where(Setting.key == "timezone")) or DEFAULT_TIMEZONE
    except exc.DBAPIError as e:
        engine.dispose()
        raise translate_error(e) or e from e
    return Store(
        home,
        keys,
        engine,
        sessions,
        Vault(home / OBJECTS_DIR, home / LOCK_FILE),
        parse_timezone(tz_name),
        clock,
        read_only=read_only,
        floor=floor,
    )


def _clear_unfinished_init(home: Path) -> None:
    """Remove what an interrupted `init` left (it never got an identity, so it holds no evidence)."""
    objects = home / OBJECTS_DIR
    if objects.exists() and any(objects.iterdir()):
        raise UsageError(f"{home} holds sealed objects: init never overwrites them; choose another folder")
    if objects.exists():
        objects.rmdir()
    for stale in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", HEAD_FILE):
        (home / stale).unlink(missing_ok=True)


def init_store(
    home: Path, passphrase: str, log_n: int, timezone: str = DEFAULT_TIMEZONE, clock: Clock = system_clock
) -> tuple[Store, str]:
    """Create a new locker in `home`; returns the open store and the recovery key (show it once).

    Refuses any folder that holds locker files: a locker whose identity.age went missing still
    holds evidence, and a new init there would bury it.
    """
    tz = parse_timezone(timezone)
    if home.exists() and not home.is_dir():
        raise UsageError(f"{home} is a file: give a folder for the locker")
    if holds_locker_files(home):
        if (home / IDENTITY_FILE).exists() or not (home / INIT_MARKER).exists():
            raise UsageError(
                f"{home} already holds a locker (or part of one): init never overwrites it; "
                "use another folder, or `locker recover` if identity.age is lost"
            )
        _clear_unfinished_init(home)
    private_dir(home)
    atomic_write_bytes(home / INIT_MARKER, b"")
    vault = Vault.create(home / OBJECTS_DIR, home / LOCK_FILE)
    # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the same mode.
    os.close(os.open(home / DB_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    identity = age.X25519Identity.generate()
    keys = keys_for(identity)
    engine = make_engine(home / DB_FILE, keys.db_key)
    migrate(engine, home / DB_FILE)
    store = Store(home, keys, engine, session_factory(engine), vault, tz, clock)
    with store.transaction() as s:
        s.add(Setting(key="timezone", value=tz.key))
        custody.append(
            s, "init", {"timezone": tz.key, "format": custody.FORMAT, "scrypt_log_n": log_n}, clock()
        )
    # The identity file is written last: until it exists, `init` can simply be run again.
    wrap_identity(home, identity, passphrase, log_n)
    (home / INIT_MARKER).unlink()
    for p in home.iterdir():
        if p.is_file():
            p.chmod(0o600)
    return store, identity.encode()


def open_store(home: Path, passphrase: str, clock: Clock = system_clock, rebuild: bool = False) -> Store:
    """Open with the passphrase. Once identity.age has opened, the keys are right: any later
    failure is damage (exit 5), never "wrong passphrase"."""
    if not (home / IDENTITY_FILE).exists() and holds_locker_files(home):
        # A sync client or a bad copy lost it: the evidence is still there. Never suggest init.
        raise DamagedError(
            f"{IDENTITY_FILE} is missing: restore it, or `locker recover` with your recovery key"
        )
    return _open(home, keys_for(unwrap_identity(home, passphrase)), clock, rebuild)


def open_store_with_identity(
    home: Path, identity: age.X25519Identity, clock: Clock = system_clock, rebuild: bool = False
) -> Store:
    """Open with the recovery key (identity.age may be missing). A key that is not this locker's
    fails on the head file's MAC, or where there is none, on the database key."""
    keys = keys_for(identity)
    try:
        return _open(home, keys, clock, rebuild)
    except DamagedError as e:
        try:
            key_is_right = read_head(home, keys) is not None  # the MAC authenticates the key
        except DamagedError:
            key_is_right = False
        if key_is_right:
            raise
        raise LockedError("that recovery key does not open this locker") from e
