"""The application context: where the locker is, where the passphrase comes from, the clock, the streams.

Only this layer reads the environment or prompts; core functions get explicit arguments.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import click
import platformdirs

from evidence import age
from evidence.errors import LockedError, UsageError
from evidence.keys import check_passphrase_strength
from evidence.store import Store, open_store, system_clock
from locker.output import printable

ENV_HOME = "LOCKER_HOME"
ENV_PASSPHRASE = "LOCKER_PASSPHRASE"
ENV_NEW_PASSPHRASE = "LOCKER_NEW_PASSPHRASE"
ENV_BACKUP_PASSWORD = "LOCKER_BACKUP_PASSWORD"  # a Huawei/Honor backup's password, for scripts and tests
ENV_SCRYPT_LOG_N = "LOCKER_SCRYPT_LOG_N"  # scripts and tests may pick a cheaper work factor
ENV_TSA = "LOCKER_TSA"  # the TSAs `stamp` asks (URLs, space-separated), over the locker's setting

# Reads of files and stdin are bounded so `--passphrase-file /dev/zero` or a mistaken huge
# file is a usage error instead of memory eaten until the kernel kills us.
SECRET_LIMIT = 4096  # bytes: a passphrase or a recovery key is far shorter
TEXT_LIMIT = 1 << 20  # 1 MiB: a message or a profile; evidence itself goes through `locker add`


@dataclass
class AppContext:
    home: Path
    env: Mapping[str, str]
    passphrase_file: Path | None = None
    debug: bool = False
    clock: Callable[[], datetime] = system_clock
    # A closed stdin (`locker ls <&-`) leaves sys.stdin None: not a terminal, and no crash.
    interactive: bool = field(default_factory=lambda: sys.stdin is not None and sys.stdin.isatty())
    _store: Store | None = None

    # --- secrets ---------------------------------------------------------------------------
    def passphrase(self) -> str:
        """The passphrase from exactly one source: LOCKER_PASSPHRASE, --passphrase-file, or a prompt."""
        from_env = self.env.get(ENV_PASSPHRASE)
        if from_env is not None and self.passphrase_file is not None:
            raise UsageError(f"two passphrase sources: unset {ENV_PASSPHRASE} or drop --passphrase-file")
        if from_env is not None:
            return checked_secret(from_env, f"${ENV_PASSPHRASE}")
        if self.passphrase_file is not None:
            return read_secret_file(self.passphrase_file, "passphrase")
        if not self.interactive:
            raise LockedError(
                f"the locker is locked: set {ENV_PASSPHRASE}, use --passphrase-file, or run in a terminal"
            )
        return checked_secret(click.prompt("Passphrase", hide_input=True, err=True), "the passphrase")

    def new_passphrase(self, for_init: bool) -> str:
        """A new passphrase: for init the usual source; else LOCKER_NEW_PASSPHRASE or a prompt."""
        if for_init and (self.env.get(ENV_PASSPHRASE) is not None or self.passphrase_file is not None):
            secret = self.passphrase()
        elif not for_init and self.env.get(ENV_NEW_PASSPHRASE) is not None:
            secret = checked_secret(self.env[ENV_NEW_PASSPHRASE], f"${ENV_NEW_PASSPHRASE}")
        elif self.interactive:
            secret = checked_secret(
                click.prompt("New passphrase", hide_input=True, confirmation_prompt=True, err=True),
                "the new passphrase",
            )
        else:
            name = ENV_PASSPHRASE if for_init else ENV_NEW_PASSPHRASE
            raise UsageError(f"no new passphrase: set {name} or run in a terminal")
        check_passphrase_strength(secret)
        return secret

    def backup_password(self, backup: str, attempt: int) -> str | None:
        """An encrypted phone backup's password (`intake.BackupPasswords`): $LOCKER_BACKUP_PASSWORD,
        tried once, or a prompt without echo (asked again after a wrong one); None when there is none."""
        from_env = self.env.get(ENV_BACKUP_PASSWORD)
        if from_env is not None:
            return checked_secret(from_env, f"${ENV_BACKUP_PASSWORD}") if attempt == 0 else None
        if not self.interactive:
            return None
        again = " (wrong; try again, or press Enter to skip)" if attempt else " (Enter to skip)"
        answer = click.prompt(
            f"Password of the Huawei/Honor backup {printable(backup)}{again}",
            hide_input=True,
            default="",
            show_default=False,
            err=True,
        )
        return checked_secret(answer, "the backup password") or None

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
    def store(self, rebuild: bool = False) -> Store:
        """The open locker; `rebuild` (only `verify --repair`) lets a missing database be recreated."""
        if self._store is None:
            self._store = open_store(self.home, self.passphrase(), self.clock, rebuild)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def checked_secret(secret: str, source: str) -> str:
    """`secret` if it is valid Unicode text, else a usage error naming where it came from.

    Python hands over bytes that are not UTF-8 (in the environment, a terminal in a non-UTF-8
    locale) as lone surrogates; they would only fail later, as an internal error, when the
    passphrase is encoded for the key derivation.
    """
    try:
        secret.encode("utf-8")
    except UnicodeEncodeError as e:
        raise UsageError(
            f"{source} is not valid UTF-8 text: check the encoding of the terminal or script"
        ) from e
    return secret


def read_secret_file(path: Path, what: str, limit: int = SECRET_LIMIT) -> str:
    """The secret in the file at `path`: UTF-8 text, trailing line breaks dropped.

    The one reader for secret files (`--passphrase-file`, a recovery key file). `what` names
    the secret in errors ("passphrase", "recovery key"). At most `limit` bytes are read; more
    is a usage error. Regular files, pipes and sockets are read (so `/dev/stdin` fed from a
    pipe and `<(pass show locker)` work); devices such as /dev/zero or a terminal are refused.
    """
    try:
        with path.open("rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
                raise UsageError(
                    f"the {what} file is a device, not a file or a pipe: give a file, or use the prompt"
                )
            data = read_at_most(f, limit, f"the {what} file")
    except OSError as e:
        raise UsageError(f"cannot read the {what} file ({e.strerror or type(e).__name__})") from e
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"the {what} file is not UTF-8 text") from e
    return text.rstrip("\r\n")


def read_text_input(path: Path, what: str, limit: int = TEXT_LIMIT) -> str:
    """Text from a file, or from stdin when `path` is `-`: UTF-8 (a BOM is dropped), at most `limit` bytes.

    For message texts and profiles given with --text-file, --file or --from-file, so that
    personal data need not be on the command line. Errors are usage errors naming `what`.
    """
    try:
        if str(path) == "-":
            if sys.stdin is None:
                raise UsageError(f"no {what}: stdin is closed")
            data = read_at_most(sys.stdin.buffer, limit, f"the {what}")
        else:
            with path.open("rb") as f:
                data = read_at_most(f, limit, f"the {what}")
    except OSError as e:
        raise UsageError(f"cannot read the {what} ({e.strerror or type(e).__name__})") from e
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UsageError(f"the {what} is not UTF-8 text: save it as UTF-8 and retry") from e


def read_at_most(stream: BinaryIO, limit: int, what: str) -> bytes:
    """All of `stream` if it is at most `limit` bytes; else a usage error "`what` is too long".

    Reading stops at `limit` + 1 bytes, so an endless stream costs no more than that.
    """
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise UsageError(f"{what} is too long (more than {_bytes(limit)})")
    return b"".join(chunks)


def _bytes(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and n % (1 << 20) == 0 else f"{n} bytes"


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
