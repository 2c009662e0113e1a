"""The one open locker of a `locker serve` process: opened by the passphrase form, closed by
the lock button, after an idle spell, and when the server stops. The key exists only in this
process, and only while the locker is open."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from locker.app import LockerError, Store
from locker.app import documents as docs
from locker.app import keys as use

IDLE_SECONDS = 15 * 60


class Locked(LockerError):
    """The page asked for the locker while it is locked: the page shows the unlock form."""


class Unlocked:
    def __init__(
        self, home: Path, idle_seconds: float = IDLE_SECONDS, now: Callable[[], float] = time.monotonic
    ):
        self.home = home
        self.idle_seconds = idle_seconds
        self.now = now
        self._store: Store | None = None
        self._last = 0.0
        # One request at a time touches the locker: the store is one SQLite connection's worth of
        # state, and a lock-while-adding must wait for the add to finish.
        self.lock_held = threading.RLock()

    @property
    def is_open(self) -> bool:
        self.expire()
        return self._store is not None

    def unlock(self, passphrase: str) -> None:
        with self.lock_held:
            if self._store is None:
                self._store = use.unlock(self.home, passphrase)
                docs.clear_downloads(self.home)
            self._last = self.now()

    def store(self) -> Store:
        """The open store (an `OpenStore` for the application layer); Locked if it is not open."""
        self.expire()
        if self._store is None:
            raise Locked("the locker is locked")
        self._last = self.now()
        return self._store

    def expire(self) -> None:
        if self._store is not None and self.now() - self._last > self.idle_seconds:
            self.lock()

    def lock(self) -> None:
        with self.lock_held:
            store, self._store = self._store, None
            if store is not None:
                store.close()
                docs.clear_downloads(self.home)
