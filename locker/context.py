"""The application context: where the locker is, where the passphrase comes from, the clock, the streams.

Only this layer reads the environment or prompts; core functions get explicit arguments.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click
import platformdirs

from evidence import age
from evidence.errors import LockedError, UsageError
from evidence.keys import check_passphrase_strength
from evidence.store import Store, open_store, system_clock

ENV_HOME = "LOCKER_HOME"
ENV_PASSPHRASE = "LOCKER_PASSPHRASE"
ENV_NEW_PASSPHRASE = "LOCKER_NEW_PASSPHRASE"
ENV_SCRYPT_LOG_N = "LOCKER_SCRYPT_LOG_N"  # scripts and tests may pick a cheaper work factor


@dataclass
class AppContext:
    home: Path
    env: Mapping[str, str]
    passphrase_file: Path | None = None
    debug: bool = False
    clock: Callable[[], datetime] = system_clock
    interactive: bool = field(default_factory=lambda: sys.stdin.isatty())
    _store: Store | None = None

    # --- secrets ---------------------------------------------------------------------------
    def passphrase(self) -> str:
        """The passphrase from exactly one source: LOCKER_PASSPHRASE, --passphrase-file, or a prompt."""
        from_env = self.env.get(ENV_PASSPHRASE)
        if from_env is not None and self.passphrase_file is not None:
            raise UsageError(f"two passphrase sources: unset {ENV_PASSPHRASE} or drop --passphrase-file")
        if from_env is not None:
            return from_env
        if self.passphrase_file is not None:
            return read_secret_file(self.passphrase_file)
        if not self.interactive:
            raise LockedError(
                f"the locker is locked: set {ENV_PASSPHRASE}, use --passphrase-file, or run in a terminal"
            )
        return click.prompt("Passphrase", hide_input=True, err=True)

    def new_passphrase(self, for_init: bool) -> str:
        """A new passphrase: for init the usual source; else LOCKER_NEW_PASSPHRASE or a prompt."""
        if for_init and (self.env.get(ENV_PASSPHRASE) is not None or self.passphrase_file is not None):
            secret = self.passphrase()
        elif not for_init and self.env.get(ENV_NEW_PASSPHRASE) is not None:
            secret = self.env[ENV_NEW_PASSPHRASE]
        elif self.interactive:
            secret = click.prompt("New passphrase", hide_input=True, confirmation_prompt=True, err=True)
        else:
            name = ENV_PASSPHRASE if for_init else ENV_NEW_PASSPHRASE
            raise UsageError(f"no new passphrase: set {name} or run in a terminal")
        check_passphrase_strength(secret)
        return secret

    def scrypt_log_n(self) -> int:
        raw = self.env.get(ENV_SCRYPT_LOG_N)
        if raw is None:
            return age.calibrate_scrypt_log_n(1.0)
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if not 10 <= value <= 22:
            raise UsageError(f"{ENV_SCRYPT_LOG_N} must be a whole number from 10 to 22")
        return value

    # --- the store -------------------------------------------------------------------------
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.home, self.passphrase(), self.clock)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def read_secret_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as e:
        raise UsageError(f"cannot read the passphrase file ({e.strerror})") from e


def default_home(env: Mapping[str, str]) -> Path:
    if env.get(ENV_HOME):
        return Path(env[ENV_HOME]).expanduser()
    return Path(platformdirs.user_data_dir("locker", appauthor=False))


def make_context(home: Path | None, passphrase_file: Path | None, debug: bool) -> AppContext:
    env = dict(os.environ)
    return AppContext(
        home=(home or default_home(env)).expanduser().absolute(),
        env=env,
        passphrase_file=passphrase_file,
        debug=debug,
    )
