"""Getting evidence in: add files and folders, log what has no export, transcribe a recording."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from evidence import declarations, events, intake, transcripts
from evidence.errors import ExitCode, LockerError
from evidence.importers import formats
from locker.app import Notify, OpenStore
from locker.app.findings import refresh_findings
from locker.app.stamps import auto_stamp

AddResult = intake.AddResult
AddFailure = intake.AddFailure
Skipped = intake.Skipped
FileOutcome = AddResult | AddFailure | Skipped


def ocr() -> Any:
    """The OCR reader for screenshots, or None when the system has no OCR engine."""
    from evidence import ocr as engine

    return engine.image_text if engine.available() else None


def total_size(open_store: OpenStore, paths: Sequence[Path]) -> int:
    """The bytes `add` would read from `paths` (for a progress bar); unreadable files count 0."""
    total = 0
    for f in intake.expand_paths(paths, open_store().home):
        if isinstance(f, intake.Candidate):
            with contextlib.suppress(OSError):
                total += f.path.stat().st_size
    return total


@dataclass(frozen=True)
class Added:
    added: list[AddResult]
    failures: list[AddFailure]
    skipped: list[Skipped]
    timezone: ZoneInfo
    exit_code: int  # 0, or the worst of the failures' codes: batch work keeps going, then says

    @property
    def new(self) -> int:
        return sum(1 for r in self.added if not r.duplicate)


def add(
    open_store: OpenStore,
    paths: Sequence[Path],
    *,
    progress: Callable[[int], None] | None,
    on_file: Callable[[FileOutcome], None],
    backup_password: intake.BackupPasswords,
    env_tsa: str | None,
    notify: Notify,
) -> Added:
    """Seal files and folders, extract their events, refresh attribution and findings, and
    stamp the custody head when `stamp-after-add` is on. A bad file is reported through
    `on_file` and the rest still go in."""
    store = open_store()
    batch = intake.add_paths(store, paths, progress, on_file, ocr(), backup_password)
    refresh_findings(store)
    auto_stamp(store, env_tsa, notify)  # a failure only warns
    codes = [f.exit_code for f in batch.failures] + [ExitCode.BAD_INPUT for r in batch.added if r.warning]
    codes += [s.exit_code for s in batch.skipped if s.exit_code]
    return Added(
        list(batch.added), list(batch.failures), list(batch.skipped), store.timezone, max(codes, default=0)
    )


def add_upload(
    open_store: OpenStore,
    name: str,
    src: BinaryIO,
    size: int,
    *,
    env_tsa: str | None,
    notify: Notify,
) -> Added:
    """`add` for one file that arrives as a stream (an upload to the local web page): sealed
    into the vault as it arrives, never written anywhere in plaintext; then the same refresh
    and stamp as `add`. A bad file is a failure in the result, not an exception."""
    store = open_store()
    batch = intake.BatchResult()
    try:
        batch.added.append(intake.add_stream(store, name, src, size, None, ocr()))
    except LockerError as e:
        batch.failures.append(intake.AddFailure(name, str(e), int(e.exit_code)))
    if batch.added:
        refresh_findings(store)
        auto_stamp(store, env_tsa, notify)
    codes = [f.exit_code for f in batch.failures] + [ExitCode.BAD_INPUT for r in batch.added if r.warning]
    return Added(batch.added, batch.failures, [], store.timezone, max(codes, default=0))


@dataclass(frozen=True)
class Declared:
    kind: str
    item: int
    event: int


def log(
    open_store: OpenStore,
    kind: str,
    at: str,
    *,
    number: str | None = None,
    direction: str = "in",
    duration: float | None = None,
    status: str | None = None,
    text: str | None = None,
    attach: Path | None = None,
    ask_text: Callable[[], str | None] | None = None,
) -> Declared:
    """Record what has no export (a call, SMS, visit, post or letter), marked as declared.

    `at` is read in the locker's timezone unless it has an offset. Without `text`, `ask_text`
    (when given) is asked once the locker is open and the time is valid."""
    store = open_store()
    when = events.parse_when(at, store.timezone)
    if text is None and ask_text is not None:
        text = ask_text()
    item_id, event_id = declarations.declare(
        store,
        declarations.Declaration(
            kind=kind,
            at=when,
            number=number,
            direction=direction,
            duration=duration,
            status=status,
            text=text,
            attach=attach,
        ),
    )
    refresh_findings(store)
    return Declared(kind, item_id, event_id)


@dataclass(frozen=True)
class Transcribed:
    recording: int
    item: int
    events: list[int]


def transcribe(open_store: OpenStore, recording: int, transcript: str, number: str | None) -> Transcribed:
    """Seal the person's transcript of a recording as their declaration and judge its words."""
    segments = transcripts.TypedTranscript().segments(transcript)  # its mistakes first, still locked
    store = open_store()
    item, event_ids = transcripts.record_transcript(store, recording, segments, number=number)
    refresh_findings(store)
    return Transcribed(recording, item, list(event_ids))


def list_formats() -> list[Any]:
    """What `add` reads, and how to get each file out of a phone or from a carrier."""
    return list(formats.formats())
