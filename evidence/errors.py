"""The one error hierarchy: each class carries its exit code, and its message says what to do."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    VERIFY_FAILED = 1  # verification failed, or a findings gate failed
    USAGE = 2
    LOCKED = 3  # locked, or wrong passphrase
    BAD_INPUT = 4  # a file we were given is malformed, truncated or hostile
    DAMAGED = 5  # the locker itself is damaged
    DISK = 74  # the disk refused a write: full, read-only or failing (EX_IOERR); nothing was lost
    INTERNAL = 70  # a bug in locker (EX_SOFTWARE): the message asks for --debug and a report
    INTERRUPTED = 130


class LockerError(Exception):
    """Base class: `str(error)` is the one line shown to the user (no evidence text, no numbers)."""

    exit_code: ExitCode = ExitCode.VERIFY_FAILED


class VerificationFailed(LockerError):
    exit_code = ExitCode.VERIFY_FAILED


class UsageError(LockerError):
    exit_code = ExitCode.USAGE


class LockedError(LockerError):
    """Wrong passphrase, no passphrase available, or the locker is not set up."""

    exit_code = ExitCode.LOCKED


class BadInputError(LockerError):
    """An input file is malformed, truncated, hostile or of an unsupported kind."""

    exit_code = ExitCode.BAD_INPUT


class DamagedError(LockerError):
    """Something inside the locker folder is missing or does not decrypt."""

    exit_code = ExitCode.DAMAGED


class TruncatedInputError(BadInputError):
    """An export ends mid-record. What was complete before the break is kept (see importers)."""

    def __init__(self, message: str, records_read: int = 0) -> None:
        super().__init__(message)
        self.records_read = records_read


READ_ONLY_MESSAGE = "the locker is read-only here: copy it to a writable folder to change it"


class DiskError(LockerError):
    """The file system refused: the disk is full, the locker is on read-only media, or I/O failed."""

    exit_code = ExitCode.DISK


class OutputError(UsageError):
    """The output the user named cannot be written there (missing folder, a device, a FIFO...)."""


class TimestampError(BadInputError):
    """A time-stamping authority was unreachable, refused, or sent a reply that does not verify.

    Exit 4 like any other bad input: what came in (the TSA's reply) is not acceptable, and
    nothing was written."""
