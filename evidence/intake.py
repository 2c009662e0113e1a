"""Intake: a file in, a sealed original and its dated events out.

    sniff → hash_and_seal → dedupe → extract → record → (rules refresh, by the caller)

Each stage is a small function; `add_file` assembles them. The original is read once for
hashing and sealing; facts are then read from the same path (names, EXIF, containers,
export records). The database row is committed only after the sealed object is in place.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from evidence import custody
from evidence.errors import BadInputError, LockerError, TruncatedInputError
from evidence.filenames import NameFacts, facts_from_filename
from evidence.importers import event_key, parse_export
from evidence.media import MediaFacts, media_facts
from evidence.numbers import PhoneNumber, parse_number
from evidence.records import ParsedEvent
from evidence.schema import Event, Item, ItemFact
from evidence.sniff import Sniffed, sniff
from evidence.store import Store
from evidence.vault import SealedTemp
from evidence.verification import item_events_digest

HEAD_BYTES = 64 * 1024
EVENT_BATCH = 2000

Progress = Callable[[int], None]


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
class BatchResult:
    added: list[AddResult] = field(default_factory=list)
    failures: list[AddFailure] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    fact: str
    value: str
    source: str
    detail: str | None = None


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, folders walked recursively in name order; hidden files are skipped."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


# --- stages -------------------------------------------------------------------------------


def sniff_file(path: Path) -> Sniffed:
    with path.open("rb") as f:
        return sniff(f.read(HEAD_BYTES), path.name)


def hash_and_seal(store: Store, path: Path, progress: Progress | None) -> SealedTemp:
    with path.open("rb") as f:
        return store.vault.seal(f, store.keys.recipient, progress)


def extract_claims(
    path: Path, sniffed: Sniffed, store: Store
) -> tuple[list[Claim], NameFacts | None, MediaFacts]:
    """Every claim about when and with whom, each with its source; nothing overwritten."""
    claims: list[Claim] = []
    names = facts_from_filename(path.name, store.timezone)
    if names is not None:
        if names.captured_at is not None:
            claims.append(Claim("captured_at", names.captured_at.isoformat(), "filename", names.convention))
        if names.number:
            claims.append(Claim("number", names.number, "filename", names.convention))
        if names.contact:
            claims.append(Claim("contact", names.contact, "filename", names.convention))
        if names.app:
            claims.append(Claim("app", names.app, "filename", names.convention))
    media = media_facts(path, sniffed.kind, store.timezone)
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
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    claims.append(Claim("captured_at", mtime.isoformat(), "file_time", "modification time of the file given"))
    return claims, names, media


def choose_capture_time(
    names: NameFacts | None, media: MediaFacts, claims: Sequence[Claim]
) -> tuple[datetime, bool]:
    """Prefer a time that carries its own offset, then the phone's file name, then the rest."""
    if media.captured_at is not None and not media.tz_assumed:
        return media.captured_at, False
    if names is not None and names.captured_at is not None:
        return names.captured_at, names.tz_assumed
    if media.captured_at is not None:
        return media.captured_at, True
    file_time = next(c for c in claims if c.source == "file_time")
    return datetime.fromisoformat(file_time.value), False


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


def record_events(
    session: Session,
    item_id: int,
    events: Iterable[ParsedEvent],
    keys: EventKey = event_key,
    declared: bool = False,
) -> int:
    """Insert events in batches, skipping any already stored (same dedupe key); returns the count added.

    Core inserts (not ORM units of work) with ON CONFLICT DO NOTHING: the dedupe key decides,
    inside the database, whether a message from an older backup is already here.
    """
    table = cast(Table, Event.__table__)
    stmt: Any
    if session.get_bind().dialect.name == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    else:  # PostgreSQL has the same construct
        from sqlalchemy.dialects import postgresql

        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    conn = session.connection()
    before = conn.scalar(select(func.count()).select_from(table)) or 0
    batch: list[dict[str, Any]] = []
    try:
        for e in events:
            number = parse_number(e.raw_number)
            batch.append(event_row(item_id, e, number, keys(e, number.canonical), declared))
            if len(batch) >= EVENT_BATCH:
                conn.execute(stmt, batch)
                batch = []
    except TruncatedInputError:
        # What was complete before the break is kept (importers' policy): save the pending batch.
        if batch:
            conn.execute(stmt, batch)
        raise
    if batch:
        conn.execute(stmt, batch)
    after = conn.scalar(select(func.count()).select_from(table)) or 0
    return after - before


# --- assembly -----------------------------------------------------------------------------


def log_add(session: Session, item: Item, events_added: int, now: datetime) -> None:
    """The custody entry for a new item: its hash and size, and a digest of the events it brought,
    so `verify` can tell an edited row or event from the original record.

    No file name: phones put contacts' names and numbers in file names, and the custody log
    goes whole into every bundle (its chain must verify), even one scoped to one party.
    """
    detail = {
        "item": item.id,
        "sha256": item.sha256,
        "size": item.size,
        "kind": item.kind,
        "events": events_added,
        "events_digest": item_events_digest(session, item.id),
    }
    custody.append(session, "add", detail, now)


def add_file(
    store: Store,
    path: Path,
    progress: Progress | None = None,
    ocr: Callable[[Path], str | None] | None = None,
) -> AddResult:
    """Seal one original and record its facts and events. Raises LockerError subclasses."""
    try:
        sniffed = sniff_file(path)
    except FileNotFoundError as e:
        raise BadInputError(f"{path.name}: no such file") from e
    except IsADirectoryError as e:
        raise BadInputError(f"{path.name}: is a folder") from e
    except PermissionError as e:
        raise BadInputError(f"{path.name}: cannot be read (permission denied)") from e
    sealed = hash_and_seal(store, path, progress)
    try:
        return _record(store, path, sniffed, sealed, ocr)
    finally:
        store.vault.discard(sealed)  # no-op once committed (renamed away)


def _record(
    store: Store, path: Path, sniffed: Sniffed, sealed: SealedTemp, ocr: Callable[[Path], str | None] | None
) -> AddResult:
    warning = None
    with store.transaction() as s:
        existing = s.scalar(select(Item).where(Item.sha256 == sealed.sha256))
        if existing is not None:
            count = s.scalar(select(func.count()).select_from(Event).where(Event.item_id == existing.id)) or 0
            custody.append(
                s,
                "add-duplicate",
                {"item": existing.id, "sha256": sealed.sha256},
                store.now(),
            )
            return _result(existing, duplicate=True, events=count)
        claims, names, media = extract_claims(path, sniffed, store)
        at, tz_assumed = choose_capture_time(names, media, claims)
        number = parse_number(names.number) if names and names.number else None
        item = Item(
            sha256=sealed.sha256,
            object_name=store.keys.object_name(sealed.sha256),
            size=sealed.size,
            name=path.name,
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
        if sniffed.export_format is not None:
            try:
                added = record_events(s, item.id, parse_export(sniffed.export_format, path, store.timezone))
            except TruncatedInputError as e:
                # Policy (importers docstring): keep what was complete before the break.
                added = s.scalar(select(func.count()).select_from(Event).where(Event.item_id == item.id)) or 0
                warning = f"{e} ({added} new events kept)"
        else:
            text = ocr(path) if (ocr is not None and sniffed.kind == "image") else None
            ev = media_event(sealed.sha256, sniffed, at, tz_assumed, names, media, text)
            added = (
                record_events(
                    s,
                    item.id,
                    [ev],
                    lambda e, _n: hashlib.sha256(f"{e.kind}|{sealed.sha256}".encode()).hexdigest(),
                )
                if ev
                else 0
            )
        store.vault.commit(sealed, item.object_name)
        log_add(s, item, added, store.now())
    return _result(item, duplicate=False, events=added, warning=warning)


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
    on_result: Callable[[AddResult | AddFailure], None] | None = None,
    ocr: Callable[[Path], str | None] | None = None,
) -> BatchResult:
    """Add every file; a bad file is reported and the batch goes on (black's report)."""
    batch = BatchResult()
    with store.shared_lock():
        for path in expand_paths(paths):
            outcome: AddResult | AddFailure
            try:
                outcome = add_file(store, path, progress, ocr)
                batch.added.append(outcome)
            except LockerError as e:
                outcome = AddFailure(path.name, str(e), int(e.exit_code))
                batch.failures.append(outcome)
            except OSError as e:
                outcome = AddFailure(path.name, f"cannot read or write ({e.strerror})", 4)
                batch.failures.append(outcome)
            if on_result is not None:
                on_result(outcome)
    return batch
