"""The one open locker of a `locker serve` process: opened by the passphrase form, closed by
the lock button, after an idle spell, and when the server stops. The key exists only in this
process, and only while the locker is open.

Wrong passphrases are counted (in this process: anything on the computer can reach the page,
and scrypt's second per try is the only other brake): after FREE_ATTEMPTS the form is refused
for a wait that doubles with every further wrong one, without trying the passphrase."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from pathlib import Path

from locker.app import ExitCode, LockerError, Store
from locker.app import documents as docs
from locker.app import findings as judged
from locker.app import keys as use
from locker.app.intake import FolderUploads

IDLE_SECONDS = 15 * 60
FREE_ATTEMPTS = 5  # wrong passphrases before the form makes the person wait
FIRST_WAIT_SECONDS = 30.0  # then doubled with each further wrong one ...
LONGEST_WAIT_SECONDS = 60 * 60.0  # ... up to an hour


class Locked(LockerError):
    """The page asked for the locker while it is locked: the page shows the unlock form."""


class TooManyAttempts(LockerError):
    """Too many wrong passphrases: the form is refused until `wait` seconds have passed."""

    exit_code = ExitCode.LOCKED

    def __init__(self, wait: int) -> None:
        super().__init__(f"too many wrong passphrases: try again in {wait} seconds")
        self.wait = wait


class Unlocked:
    def __init__(
        self, home: Path, idle_seconds: float = IDLE_SECONDS, now: Callable[[], float] = time.monotonic
    ):
        self.home = home
        self.idle_seconds = idle_seconds
        self.now = now
        self._store: Store | None = None
        self._last = 0.0
        self._wrong = 0  # wrong passphrases since the last right one
        self.uploads = FolderUploads()  # folders being uploaded file by file (a backup's password)
        self.days = judged.DayCounter()  # the timeline's counts, brought up to date on each view
        self._blocked_until = 0.0
        # One request at a time touches the locker: the store is one SQLite connection's worth of
        # state, and a lock-while-adding must wait for the add to finish.
        self.lock_held = threading.RLock()

    @property
    def is_open(self) -> bool:
        self.expire()
        return self._store is not None

    def unlock(self, passphrase: str) -> None:
        """Open the locker; LockedError for a wrong passphrase, TooManyAttempts while the person
        must wait (the passphrase is then not even tried)."""
        # Held through the scrypt: attempts sent all at once are still tried and counted one by one.
        with self.lock_held:
            if self._store is None:
                wait = self.wait_seconds()
                if wait:
                    raise TooManyAttempts(wait)
                try:
                    self._store = use.unlock(self.home, passphrase)
                except LockerError as e:
                    if e.exit_code == ExitCode.LOCKED:
                        self._count_wrong()
                    raise
                self._wrong = 0
                docs.clear_downloads(self.home)
                store = self._store
                # Counted now, while the person waits for scrypt anyway: the timeline then only
                # counts what was added since.
                judged.timeline(lambda: store, self.days)
            self._last = self.now()

    def wait_seconds(self) -> int:
        """Whole seconds until the unlock form may be tried again (0: now)."""
        return max(0, math.ceil(self._blocked_until - self.now()))

    def _count_wrong(self) -> None:
        self._wrong += 1
        beyond = self._wrong - FREE_ATTEMPTS
        if beyond >= 0:
            wait = min(FIRST_WAIT_SECONDS * 2 ** min(beyond, 32), LONGEST_WAIT_SECONDS)
            self._blocked_until = self.now() + wait

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
            self.uploads.clear()
            self.days = judged.DayCounter()
            if store is not None:
                store.close()
                docs.clear_downloads(self.home)
