"""Intake: a file in, a sealed original and its dated events out.

    open_source → hash_and_seal → sniff → dedupe → extract → record → (rules refresh, by the caller)

The path is followed once: the file is opened (never following a symlink inside a folder,
never blocking on a FIFO), checked to be a regular file, and hashed and sealed from that
descriptor. Every fact after that (kind, container facts, export records, OCR text) is read
from the sealed object itself, so what is described is exactly what was hashed, even if a
sync client replaces the file meanwhile. The database row is committed only after the sealed
object is in place. A malformed export is still sealed: its good records are imported and
the bad ones reported with their position (exit 4), and nothing the file says is lost.

A Huawei/Honor backup is a folder whose files are read together: its `info.xml` (the key
material, read first in its folder) and module files such as `sms.db`, each sealed as received
(encrypted) and decrypted in memory, with the backup password asked through `BackupPasswords`,
to read its events (`evidence.importers.huawei_backup`). If the password is missing or wrong,
the files are sealed all the same and say so; adding the folder again with the right password
reads the events into the items already there (a second custody `add` entry records them).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import hmac
import io
import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from evidence import age, custody
from evidence.database import bulk_cache, sqlite_datetime
from evidence.errors import READ_ONLY_MESSAGE, BadInputError, DiskError, LockerError
from evidence.filenames import NameFacts, facts_from_filename
from evidence.importers import event_key, parser_for, recognise
from evidence.importers.apple_db import MAX_DATABASE_BYTES
from evidence.importers.formats import unread_warning
from evidence.importers.huawei_backup import (
    MAX_INFO_BYTES,
    READ_MODULES,
    HuaweiBackup,
    WrongBackupPasswordError,
    looks_like_backup_info,
    read_backup_info,
)
from evidence.importers.streams import read_up_to
from evidence.media import MediaFacts, media_facts
from evidence.numbers import PhoneNumber, parse_number
from evidence.records import ParsedEvent, SkippedRecord
from evidence.schema import Event, Item, ItemFact
from evidence.sniff import Sniffed, sniff
from evidence.store import Store
from evidence.vault import SealedTemp
from evidence.verification import item_record_digest

HEAD_BYTES = 64 * 1024
EVENT_BATCH = 2000
MAX_OCR_BYTES = 64 << 20  # a larger "screenshot" is sealed and dated, not read

Progress = Callable[[int], None]


class OcrOutcome(Protocol):
    text: str | None
    skipped: str | None


Ocr = Callable[[bytes], OcrOutcome]

BackupPasswords = Callable[[str, int], str | None]
"""Asked for an encrypted backup's password: the backup's folder name and the attempt (0, 1, 2);
answers the password, or None when there is none to give (the command layer: env or prompt)."""

_SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass
class BackupFolder:
    """A folder being added that may be a Huawei/Honor backup: `backup` is set once its info.xml is read."""

    label: str
    passwords: BackupPasswords | None = None
    backup: HuaweiBackup | None = None

    def learn(self, info_xml: bytes) -> str | None:
        """Read the folder's info.xml; a warning for the user, or None."""
        info = read_backup_info(info_xml)
        label, passwords = self.label, self.passwords
        self.backup = HuaweiBackup(info, None if passwords is None else lambda n: passwords(label, n))
        if not info.reads:
            return (
                "this Huawei/Honor backup holds no messages or call log: back up again with "
                "信息 (messages) and 通话记录 (call log) selected"
            )
        return None

    def export_format(self, name: str, head: bytes) -> str | None:
        """The importer of this file once decrypted, when it is one of the backup's encrypted message
        or call-log files (a database already in the clear is read as any other)."""
        # The module's own database file, `<module>.db` (kobackupdec decrypts `.db` files so).
        if self.backup is None or head.startswith(_SQLITE_HEADER) or not name.lower().endswith(".db"):
            return None
        module = self.backup.info.module_of(name)
        return None if module is None else READ_MODULES.get(module.name)

    def is_part(self, name: str, head: bytes) -> bool:
        """Whether the file is one of the backup's encrypted files (contacts, settings, …)."""
        return (
            self.backup is not None
            and not head.startswith(_SQLITE_HEADER)
            and self.backup.info.module_of(name) is not None
        )


@dataclass
class AddResult:
    """What `add` reports per file (the `add --json` contract)."""

    id: int
    kind: str
    name: str
    size: int
    sha256: str
    captured_at: datetime | None
    number: str | None
    duplicate: bool
    events: int
    media_type: str
    warning: str | None = None


@dataclass
class AddFailure:
    name: str
    message: str
    exit_code: int


@dataclass
class Skipped:
    """Something not taken, with a one-line reason: inside a folder a note (exit 0); a path the
    user named that is refused (the locker's own folder) carries a usage exit code."""

    name: str
    reason: str
    exit_code: int = 0


@dataclass
class BatchResult:
    added: list[AddResult] = field(default_factory=list)
    failures: list[AddFailure] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    fact: str
    value: str
    source: str
    detail: str | None = None


@dataclass(frozen=True)
class Original:
    """A sealed original about to be recorded: its sealed file, and what was known when it was read."""

    name: str
    sha256: str
    size: int
    sealed_path: Path
    mtime: datetime | None  # of the descriptor that was hashed; None for an adopted object
    recovered: bool = False


def display_name(path: Path) -> str:
    """The file name as text: UTF-8, else GB18030 (Chinese Windows and old phones), else escaped."""
    raw = os.fsencode(path.name)
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "backslashreplace")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass(frozen=True)
class Candidate:
    path: Path
    in_folder: bool  # found by walking a folder: never follow a symlink swapped in meanwhile


def expand_paths(paths: Iterable[Path], locker_home: Path | None = None) -> Iterator[Candidate | Skipped]:
    """Files as given, folders walked in name order. Inside folders, hidden files, symlinks and
    special files are skipped with a note; the locker's own folder is never taken."""
    home = locker_home.resolve() if locker_home is not None else None
    for path in paths:
        resolved = path.resolve()
        if home is not None and _inside(resolved, home):
            yield Skipped(display_name(path), "is inside the locker's own folder: refused", 2)
            continue
        if not path.is_dir():
            yield Candidate(path, in_folder=False)
            continue
        for root, dirs, files in os.walk(path):
            kept = []
            for d in sorted(dirs):
                sub = Path(root) / d
                if d.startswith("."):
                    continue
                if sub.is_symlink():
                    yield Skipped(display_name(sub), "is a symbolic link: skipped (add its target directly)")
                elif home is not None and _inside(sub.resolve(), home):
                    yield Skipped(display_name(sub), "is the locker's own folder: skipped")
                else:
                    kept.append(d)
            dirs[:] = kept
            # info.xml first: a Huawei backup's key material is read before the files it decrypts.
            for name in sorted(files, key=lambda n: (n != "info.xml", n)):
                if name.startswith("."):
                    continue
                f = Path(root) / name
                try:
                    mode = f.lstat().st_mode
                except OSError:
                    continue
                if stat.S_ISLNK(mode):
                    yield Skipped(display_name(f), "is a symbolic link: skipped (add its target directly)")
                elif not stat.S_ISREG(mode):
                    yield Skipped(display_name(f), "is not a regular file (FIFO, device or socket): skipped")
                else:
                    yield Candidate(f, in_folder=True)


# --- stages -------------------------------------------------------------------------------


def open_source(path: Path, in_folder: bool) -> tuple[BinaryIO, os.stat_result]:
    """Open a file once for everything intake reads: a regular file only, and without blocking
    (a FIFO would hang `add` forever); inside a folder a symlink is never followed."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_NOFOLLOW if in_folder else 0)
    name = display_name(path)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as e:
        raise BadInputError(f"{name}: no such file") from e
    except IsADirectoryError as e:
        raise BadInputError(f"{name}: is a folder") from e
    except PermissionError as e:
        raise BadInputError(f"{name}: cannot be read (permission denied)") from e
    except OSError as e:
        raise BadInputError(f"{name}: cannot be opened ({e.strerror})") from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise BadInputError(f"{name}: not a regular file (a FIFO, device or socket): not added")
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb"), st


def hash_and_seal(store: Store, src: BinaryIO, size: int, progress: Progress | None) -> SealedTemp:
    if store.read_only:
        raise DiskError(READ_ONLY_MESSAGE)
    return store.vault.seal(src, store.keys.recipient, progress, expected_size=size)


def extract_claims(
    original: Original, sniffed: Sniffed, sealed: BinaryIO, store: Store
) -> tuple[list[Claim], NameFacts | None, MediaFacts]:
    """Every claim about when and with whom, each with its source; nothing overwritten."""
    claims: list[Claim] = []
    names = facts_from_filename(original.name, store.timezone)
    if names is not None:
        if names.captured_at is not None:
            claims.append(Claim("captured_at", names.captured_at.isoformat(), "filename", names.convention))
        if names.number:
            claims.append(Claim("number", names.number, "filename", names.convention))
        if names.contact:
            claims.append(Claim("contact", names.contact, "filename", names.convention))
        if names.app:
            claims.append(Claim("app", names.app, "filename", names.convention))
    sealed.seek(0)
    media = media_facts(sealed, sniffed.kind, store.timezone)
    if media.captured_at is not None:
        detail = "offset assumed" if media.tz_assumed else None
        claims.append(
            Claim(
                "captured_at", media.captured_at.isoformat(), media.captured_at_source or "container", detail
            )
        )
    if media.duration is not None:
        claims.append(Claim("duration", f"{media.duration:.3f}", "container"))
    if media.width and media.height:
        claims.append(Claim("dimensions", f"{media.width}x{media.height}", "container"))
    if original.mtime is not None:
        claims.append(
            Claim(
                "captured_at", original.mtime.isoformat(), "file_time", "modification time of the file given"
            )
        )
    return claims, names, media


def choose_capture_time(
    names: NameFacts | None, media: MediaFacts, claims: Sequence[Claim], fallback: datetime
) -> tuple[datetime, bool]:
    """Prefer a time that carries its own offset, then the phone's file name, then the rest."""
    if media.captured_at is not None and not media.tz_assumed:
        return media.captured_at, False
    if names is not None and names.captured_at is not None:
        return names.captured_at, names.tz_assumed
    if media.captured_at is not None:
        return media.captured_at, True
    file_time = next((c for c in claims if c.source == "file_time"), None)
    return (datetime.fromisoformat(file_time.value) if file_time else fallback), False


def media_event(
    item_sha: str,
    sniffed: Sniffed,
    at: datetime,
    tz_assumed: bool,
    names: NameFacts | None,
    media: MediaFacts,
    text: str | None,
) -> ParsedEvent | None:
    """Recordings and screenshots are events too: who and when come from the name and container."""
    if sniffed.kind == "audio":
        kind = "recording"
    elif sniffed.kind == "image":
        kind = "image"
    else:
        return None
    return ParsedEvent(
        kind=kind,
        direction=None,
        raw_number=names.number if names else None,
        at=at,
        tz_assumed=tz_assumed,
        duration=media.duration if kind == "recording" else None,
        text=text,
        contact=names.contact if names else None,
        source_ref=item_sha,
    )


def event_row(
    item_id: int, e: ParsedEvent, number: PhoneNumber, key: str, declared: bool = False
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "dedupe_key": key,
        "kind": e.kind,
        "direction": e.direction,
        "raw_number": e.raw_number,
        "number": number.canonical,
        "number_class": number.number_class,
        "contact": e.contact,
        "at": e.at,
        "tz_assumed": e.tz_assumed,
        "duration": e.duration,
        "status": e.status,
        "text": e.text,
        "declared": declared,
        "other_numbers": list(e.other_numbers) or None,
    }


EventKey = Callable[[ParsedEvent, str | None], str]
_EVENT_FIELDS = (
    "item_id",
    "dedupe_key",
    "kind",
    "direction",
    "raw_number",
    "number",
    "number_class",
    "contact",
    "at",
    "tz_assumed",
    "duration",
    "status",
    "text",
    "declared",
    "other_numbers",
)


def _batch_inserter(conn: Any, table: Table) -> Callable[[list[dict[str, Any]]], None]:
    """Insert rows, keeping any already stored (same dedupe key).

    On SQLite the rows go straight to the driver's executemany in the session's transaction,
    stored exactly as SQLAlchemy's types would store them: its per-row parameter processing
    cost more than the insert itself (100,000 messages). Elsewhere (PostgreSQL) the Core
    construct does the same job.
    """
    if conn.dialect.name != "sqlite":
        from sqlalchemy.dialects import postgresql

        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])

        def insert_core(batch: list[dict[str, Any]]) -> None:
            conn.execute(stmt, batch)

        return insert_core
    sql = (
        f"INSERT INTO events ({', '.join(_EVENT_FIELDS)}) VALUES ({', '.join('?' * len(_EVENT_FIELDS))}) "
        "ON CONFLICT (dedupe_key) DO NOTHING"
    )
    cursor = conn.connection.driver_connection.cursor()

    def insert(batch: list[dict[str, Any]]) -> None:
        cursor.executemany(
            sql,
            [
                (
                    r["item_id"],
                    r["dedupe_key"],
                    r["kind"],
                    r["direction"],
                    r["raw_number"],
                    r["number"],
                    r["number_class"],
                    r["contact"],
                    sqlite_datetime(r["at"]),
                    1 if r["tz_assumed"] else 0,
                    r["duration"],
                    r["status"],
                    r["text"],
                    1 if r["declared"] else 0,
                    # None is stored as JSON null, as the JSON type does (without json.dumps' cost)
                    "null" if r["other_numbers"] is None else json.dumps(r["other_numbers"]),
                )
                for r in batch
            ],
        )

    return insert


def record_events(
    session: Session,
    item_id: int,
    events: Iterable[ParsedEvent | SkippedRecord],
    keys: EventKey = event_key,
    declared: bool = False,
    skipped: list[SkippedRecord] | None = None,
) -> int:
    """Insert events in batches, skipping any already stored (same dedupe key); returns the count added.

    Core inserts (not ORM units of work) with ON CONFLICT DO NOTHING: the dedupe key decides,
    inside the database, whether a message from an older backup is already here. Records an
    importer could not read arrive as `SkippedRecord`s and are collected in `skipped`. If the
    importer stops part-way (a truncated or malformed file), what was read so far is kept.
    """
    table = cast(Table, Event.__table__)
    conn = session.connection()
    insert_batch = _batch_inserter(conn, table)
    before = conn.scalar(select(func.count()).select_from(table)) or 0
    batch: list[dict[str, Any]] = []
    with bulk_cache(conn):
        try:
            for e in events:
                if isinstance(e, SkippedRecord):
                    if skipped is not None:
                        skipped.append(e)
                    continue
                number = parse_number(e.raw_number)
                batch.append(event_row(item_id, e, number, keys(e, number.canonical), declared))
                if len(batch) >= EVENT_BATCH:
                    insert_batch(batch)
                    batch = []
        finally:
            # What was complete before a break is kept (importers' policy): save the pending batch.
            if batch:
                insert_batch(batch)
    after = conn.scalar(select(func.count()).select_from(table)) or 0
    return after - before


# --- assembly -----------------------------------------------------------------------------


def log_add(session: Session, item: Item, events_added: int, now: datetime, recovered: bool = False) -> None:
    """The custody entry for a new item: its hash and size, and a digest of everything recorded
    about it (the item row, its facts and its events), so `verify` notices any later edit.

    No file name: phones put contacts' names and numbers in file names, and the custody log
    goes into every bundle (its chain must verify).
    """
    detail: dict[str, Any] = {
        "item": item.id,
        "sha256": item.sha256,
        "size": item.size,
        "kind": item.kind,
        "events": events_added,
        "record_digest": item_record_digest(session, item.id),
    }
    if recovered:
        detail["recovered"] = True
    custody.append(session, "add", detail, now)


def add_file(
    store: Store,
    path: Path,
    progress: Progress | None = None,
    ocr: Ocr | None = None,
    in_folder: bool = False,
    folder: BackupFolder | None = None,
) -> AddResult:
    """Seal one original and record its facts and events. Raises LockerError subclasses.

    `folder` is what is known of the folder the file was found in (a Huawei backup's info.xml).
    """
    src, st = open_source(path, in_folder)
    with src:
        sealed = hash_and_seal(store, src, st.st_size, progress)
    return _record_sealed(
        store, sealed, display_name(path), datetime.fromtimestamp(st.st_mtime, UTC), ocr, folder
    )


def add_stream(
    store: Store,
    name: str,
    src: BinaryIO,
    size: int,
    progress: Progress | None = None,
    ocr: Ocr | None = None,
    folder: BackupFolder | None = None,
) -> AddResult:
    """Seal one original read from a stream (an upload to the local web page) and record it as
    `add_file` does. The bytes go straight into the vault's sealed temp object: no plaintext
    copy is ever written. `size` is the announced size (it sizes the padding); there is no file
    time, so the capture time comes from the name and the container. `folder`: the picked
    folder the file sat in, so its files share what is learnt of it (a Huawei/Honor backup's
    info.xml and password) as they do when `add_paths` walks a folder on disk."""
    sealed = hash_and_seal(store, src, size, progress)
    return _record_sealed(store, sealed, name, None, ocr, folder)


def _record_sealed(
    store: Store,
    sealed: SealedTemp,
    name: str,
    mtime: datetime | None,
    ocr: Ocr | None,
    folder: BackupFolder | None,
) -> AddResult:
    try:
        original = Original(name, sealed.sha256, sealed.size, sealed.path, mtime)
        return _record(
            store, original, lambda item: store.vault.commit(sealed, item.object_name), ocr, folder
        )
    finally:
        store.vault.discard(sealed)  # removes the temp if it was not committed; releases the lock


def adopt_object(store: Store, object_name: str, sha256: str, size: int, ocr: Ocr | None = None) -> AddResult:
    """Record a complete sealed object that no item points to (a rolled-back or lost database) as
    a recovered item, extracting its facts again from its bytes. `sha256` and `size` are what
    decrypting it gave (verification's object scan); its name must be the keyed name of that hash."""
    if not hmac.compare_digest(store.keys.object_name(sha256), object_name):
        raise BadInputError(f"object {object_name[:16]}… does not hold what its name says")
    original = Original(
        f"recovered-{sha256[:12]}", sha256, size, store.vault.path_of(object_name), None, recovered=True
    )
    return _record(store, original, None, ocr)


def _record(
    store: Store,
    original: Original,
    commit: Callable[[Item], None] | None,
    ocr: Ocr | None,
    folder: BackupFolder | None = None,
) -> AddResult:
    with store.transaction() as s:
        custody.check_can_append(s)  # before the object is committed: a refusal leaves no orphan
        existing = s.scalar(select(Item).where(Item.sha256 == original.sha256))
        if existing is not None:
            warning = None
            if folder is not None:
                with (
                    original.sealed_path.open("rb") as f,
                    age.open_reader(f, [store.keys.identity]) as reader,
                ):
                    warning = _backup_again(s, store, existing, original, cast(BinaryIO, reader), folder)
            count = s.scalar(select(func.count()).select_from(Event).where(Event.item_id == existing.id)) or 0
            custody.append(s, "add-duplicate", {"item": existing.id, "sha256": original.sha256}, store.now())
            return _result(existing, duplicate=True, events=count, warning=warning)
        with original.sealed_path.open("rb") as f, age.open_reader(f, [store.keys.identity]) as reader:
            item, added, warning = _describe(s, store, original, cast(BinaryIO, reader), ocr, folder)
        log_add(s, item, added, store.now(), original.recovered)
        # The object goes into place last, just before the commit: a kill between the two leaves
        # a complete object no row records, which `verify` reports and `--repair` adopts.
        if commit is not None:
            commit(item)
    return _result(item, duplicate=False, events=added, warning=warning)


def _describe(
    s: Session,
    store: Store,
    original: Original,
    sealed: BinaryIO,
    ocr: Ocr | None,
    folder: BackupFolder | None = None,
) -> tuple[Item, int, str | None]:
    """The item row, its facts and events, all read from the sealed bytes."""
    head = sealed.read(HEAD_BYTES)
    sealed.seek(0)
    encrypted_export = folder.export_format(original.name, head) if folder is not None else None
    backup_part = folder is not None and folder.is_part(original.name, head)
    if encrypted_export is not None:
        # Random-looking bytes: sniffing could take them for anything (an MP3 frame, once in a while).
        sniffed = Sniffed("export", "application/octet-stream", encrypted_export)
    elif backup_part:
        sniffed = Sniffed("document", "application/octet-stream")  # a module locker does not read
    else:
        sniffed = recognise(sniff(head, original.name), sealed, head, original.name)
    claims, names, media = extract_claims(original, sniffed, sealed, store)
    at, tz_assumed = choose_capture_time(names, media, claims, store.now())
    number = parse_number(names.number) if names and names.number else None
    item = Item(
        sha256=original.sha256,
        object_name=store.keys.object_name(original.sha256),
        size=original.size,
        name=original.name,
        kind=sniffed.kind,
        media_type=sniffed.media_type,
        export_format=sniffed.export_format,
        added_at=store.now(),
        captured_at=at if sniffed.kind != "export" else None,
        captured_tz_assumed=tz_assumed,
        number=number.canonical if number else None,
        contact=names.contact if names else None,
        duration=media.duration,
    )
    s.add(item)
    s.flush()
    s.add_all(
        ItemFact(item_id=item.id, fact=c.fact, value=c.value, source=c.source, detail=c.detail)
        for c in claims
    )
    s.flush()
    warning = None
    if folder is not None and looks_like_backup_info(head):
        sealed.seek(0)
        try:
            return item, 0, folder.learn(read_up_to(sealed, MAX_INFO_BYTES + 1))
        except BadInputError as e:
            return item, 0, f"{e} (the file is sealed)"
    if sniffed.export_format is not None:
        sealed.seek(0)
        if encrypted_export is not None:
            assert folder is not None
            added, warning = _import(
                s,
                store,
                item.id,
                encrypted_export,
                lambda: io.BytesIO(_decrypted(folder, original.name, sealed)),
            )
        else:
            added, warning = _import(s, store, item.id, sniffed.export_format, lambda: sealed)
        return item, added, warning
    # Looks like an export, but was not read (a backup's other modules are known not to be read).
    warning = None if backup_part else unread_warning(original.name, sniffed, head)
    text = None
    if ocr is not None and sniffed.kind == "image":
        if original.size > MAX_OCR_BYTES:
            warning = "image too large to read its text; sealed and dated only"
        else:
            sealed.seek(0)
            outcome = ocr(sealed.read())
            text = outcome.text
            if outcome.skipped:
                warning = f"text not read: {outcome.skipped}"
    ev = media_event(original.sha256, sniffed, at, tz_assumed, names, media, text)
    if ev is None:
        return item, 0, warning
    key = hashlib.sha256(f"{ev.kind}|{original.sha256}".encode()).hexdigest()
    return item, record_events(s, item.id, [ev], lambda _e, _n: key), warning


def _import(
    s: Session, store: Store, item_id: int, export_format: str, stream: Callable[[], BinaryIO]
) -> tuple[int, str | None]:
    """Record the events of an export (`stream` opens what its importer reads); their count and a
    warning for what could not be read, or None."""
    skipped: list[SkippedRecord] = []
    warning = None
    try:
        added = record_events(
            s, item_id, parser_for(export_format).parse(stream(), store.timezone), skipped=skipped
        )
    except WrongBackupPasswordError as e:
        added, warning = 0, str(e)  # nothing was decrypted; the message says the files are sealed
    except BadInputError as e:
        # Kept: the sealed original and every record read before the problem.
        added = s.scalar(select(func.count()).select_from(Event).where(Event.item_id == item_id)) or 0
        warning = f"{e} ({added} events kept; the original is sealed)"
    if skipped:
        first = skipped[0]
        note = f"{len(skipped)} records skipped or cut (first at {first.position}: {first.reason})"
        warning = f"{warning}; {note}" if warning else note
    return added, warning


def _decrypted(folder: BackupFolder, name: str, sealed: BinaryIO) -> bytes:
    """The plaintext of one of a backup's encrypted databases, in memory (never written anywhere)."""
    assert folder.backup is not None
    data = read_up_to(sealed, MAX_DATABASE_BYTES + 1)
    if len(data) > MAX_DATABASE_BYTES:
        raise BadInputError(f"{name} is larger than {MAX_DATABASE_BYTES >> 20} MiB, more than locker reads")
    return folder.backup.decrypt(name, data)


def _backup_again(
    s: Session, store: Store, item: Item, original: Original, sealed: BinaryIO, folder: BackupFolder
) -> str | None:
    """A file added before, met again in a backup folder: its info.xml is read again (the folder's
    other files need it), and an encrypted message or call-log file whose events could not be read
    (no password, a wrong one) is read now; the events get a new custody `add` entry, so `verify`
    checks the item against what it now holds. Returns a warning, or None."""
    head = sealed.read(HEAD_BYTES)
    sealed.seek(0)
    if looks_like_backup_info(head):
        try:
            return folder.learn(read_up_to(sealed, MAX_INFO_BYTES + 1))
        except BadInputError as e:
            return f"{e} (the file is sealed)"
    export = folder.export_format(original.name, head)
    if export is None or item.export_format != export:
        return None
    if s.scalar(select(func.count()).select_from(Event).where(Event.item_id == item.id)):
        return None  # read before
    added, warning = _import(
        s, store, item.id, export, lambda: io.BytesIO(_decrypted(folder, original.name, sealed))
    )
    if added:
        log_add(s, item, added, store.now())
    return warning


def _result(item: Item, duplicate: bool, events: int, warning: str | None = None) -> AddResult:
    return AddResult(
        id=item.id,
        kind=item.kind,
        name=item.name,
        size=item.size,
        sha256=item.sha256,
        captured_at=item.captured_at,
        number=item.number,
        duplicate=duplicate,
        events=events,
        media_type=item.media_type,
        warning=warning,
    )


def add_paths(
    store: Store,
    paths: Sequence[Path],
    progress: Progress | None = None,
    on_result: Callable[[AddResult | AddFailure | Skipped], None] | None = None,
    ocr: Ocr | None = None,
    backup_passwords: BackupPasswords | None = None,
) -> BatchResult:
    """Add every file; a bad file is reported and the batch goes on (black's report).

    Files in one folder share what is learnt of it (a Huawei backup's info.xml, its password).
    """
    batch = BatchResult()
    folders: dict[Path, BackupFolder] = {}
    for found in expand_paths(paths, store.home):
        outcome: AddResult | AddFailure | Skipped
        if isinstance(found, Skipped):
            outcome = found
            batch.skipped.append(found)
        else:
            try:
                parent = found.path.parent
                folder = folders.get(parent)
                if folder is None:
                    folder = folders[parent] = BackupFolder(display_name(parent.absolute()), backup_passwords)
                outcome = add_file(store, found.path, progress, ocr, found.in_folder, folder)
                batch.added.append(outcome)
            except LockerError as e:
                outcome = AddFailure(display_name(found.path), str(e), int(e.exit_code))
                batch.failures.append(outcome)
            except OSError as e:
                if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
                    raise  # every later file would fail the same way; what was added is committed
                outcome = AddFailure(display_name(found.path), f"cannot read or write ({e.strerror})", 4)
                batch.failures.append(outcome)
        if on_result is not None:
            on_result(outcome)
    return batch
