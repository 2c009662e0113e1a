"""Making a locker and changing what opens it: init, passwd, recover."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from evidence import custody, keys
from evidence.store import Store, init_store, open_store, open_store_with_identity, system_clock
from locker.app import OpenStore


def init_locker(
    home: Path, passphrase: str, scrypt_log_n: int, timezone: str, clock: Callable[[], datetime]
) -> str:
    """Create the locker at `home`; returns the recovery key, to be shown once and never stored."""
    store, recovery = init_store(home, passphrase, scrypt_log_n, timezone, clock)
    store.close()
    return recovery


def unlock(home: Path, passphrase: str, clock: Callable[[], datetime] = system_clock) -> Store:
    """The locker opened with its passphrase, for an interface that keeps it open (the web page)."""
    return open_store(home, passphrase, clock)


def change_passphrase(
    open_store: OpenStore, new_passphrase: Callable[[], str], scrypt_log_n: Callable[[], int]
) -> None:
    """Re-wrap the identity under a new passphrase (asked only once the old one opened the locker)."""
    store = open_store()
    _rewrap(store, new_passphrase(), scrypt_log_n(), "passwd")


def recover(
    home: Path,
    recovery_key: str,
    new_passphrase: Callable[[], str],
    scrypt_log_n: Callable[[], int],
    clock: Callable[[], datetime],
) -> None:
    """Open the locker with its recovery key and set a new passphrase."""
    identity = keys.parse_recovery_key(recovery_key)
    store = open_store_with_identity(home, identity, clock)
    try:
        _rewrap(store, new_passphrase(), scrypt_log_n(), "recover")
    finally:
        store.close()


def _rewrap(store: Store, new: str, log_n: int, action: str) -> None:
    keys.wrap_identity(store.home, store.keys.identity, new, log_n)
    with store.transaction() as s:
        custody.append(s, action, {"scrypt_log_n": log_n}, store.now())
