"""Getting evidence in: add files and folders, log what has no export, transcribe a recording."""

from __future__ import annotations

import contextlib
import re
from collections import OrderedDict
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


@dataclass(frozen=True)
class UploadName:
    """Where an uploaded file sat, as safe parts: the folders inside the picked folder (none for
    a file picked alone) and its own name."""

    folders: tuple[str, ...]
    name: str

    @property
    def hidden(self) -> bool:
        """A hidden file or folder (`.thumbnails`, `.DS_Store`): `add` skips those in a folder too."""
        return any(p.startswith(".") for p in (*self.folders, self.name))


MAX_NAME_PARTS = 32  # folders deep; a phone backup is a handful


def upload_name(raw: str) -> UploadName:
    """The name a browser sent (a file's name, or its path inside a picked folder: the collector
    may have chosen every part of it) as parts that name nothing outside: no absolute path, no
    drive, no `.` or `..`, no control characters, each part at most 255 characters."""
    parts = []
    for part in re.split(r"[/\\]+", raw):
        part = "".join(c for c in part if c.isprintable())[:255].strip()
        if part in ("", ".", "..") or re.fullmatch(r"[A-Za-z]:", part):
            continue
        parts.append(part)
    parts = parts[-MAX_NAME_PARTS:]
    if not parts:
        return UploadName((), "upload")
    return UploadName(tuple(parts[:-1]), parts[-1])


class FolderUploads:
    """What is learnt of each folder being uploaded, file by file, keyed by the upload batch the
    page chose and the folder's parts; the oldest are forgotten past `limit`, all on lock."""

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self._folders: OrderedDict[tuple[str, tuple[str, ...]], intake.BackupFolder] = OrderedDict()

    def folder(self, batch: str, folders: tuple[str, ...], password: str | None) -> intake.BackupFolder:
        key = (batch, folders)
        found = self._folders.get(key)
        if found is None:
            # Given once per upload, so asked once: a wrong one leaves the files sealed, and
            # uploading the folder again with the right one reads them.
            def passwords(_label: str, attempt: int) -> str | None:
                return password if attempt == 0 else None

            asked = passwords if password else None
            found = self._folders[key] = intake.BackupFolder("/".join(folders), asked)
            while len(self._folders) > self.limit:
                self._folders.popitem(last=False)
        self._folders.move_to_end(key)
        return found

    def clear(self) -> None:
        self._folders.clear()


def add_upload(
    open_store: OpenStore,
    name: UploadName,
    src: BinaryIO,
    size: int,
    *,
    folder: intake.BackupFolder | None = None,
    refresh: bool = True,
    env_tsa: str | None,
    notify: Notify,
) -> Added:
    """`add` for one file that arrives as a stream (an upload to the local web page): sealed
    into the vault as it arrives, never written anywhere in plaintext; then the same refresh
    and stamp as `add`, unless `refresh` is off (a batch of uploads ends with `finish_uploads`).
    A file of a picked folder comes with its `folder`, shared by the folder's files. A bad file
    is a failure in the result, not an exception."""
    store = open_store()
    batch = intake.BatchResult()
    if folder is not None and name.hidden:
        batch.skipped.append(intake.Skipped(name.name, "is a hidden file: skipped"))
        return Added([], [], batch.skipped, store.timezone, 0)
    try:
        batch.added.append(intake.add_stream(store, name.name, src, size, None, ocr(), folder))
    except LockerError as e:
        batch.failures.append(intake.AddFailure(name.name, str(e), int(e.exit_code)))
    if batch.added and refresh:
        refresh_findings(store)
        auto_stamp(store, env_tsa, notify)
    codes = [f.exit_code for f in batch.failures] + [ExitCode.BAD_INPUT for r in batch.added if r.warning]
    return Added(batch.added, batch.failures, [], store.timezone, max(codes, default=0))


def finish_uploads(open_store: OpenStore, *, env_tsa: str | None, notify: Notify) -> None:
    """After a batch of uploads: attribution and findings once for all of them, then the stamp."""
    store = open_store()
    refresh_findings(store)
    auto_stamp(store, env_tsa, notify)


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
