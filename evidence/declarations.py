"""What has no export: calls, messages, visits, posts and letters the user declares (`locker log`).

A declaration is itself sealed as an original (canonical JSON, hashed like any file), so the
event it creates points at hashed evidence too; it is marked `declared` everywhere it shows.
An attached file (a photo of the letter, a recording of the visit) is added as its own item
and named in the declaration by its SHA-256.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evidence.custody import canonical_json
from evidence.errors import UsageError
from evidence.intake import add_file, log_add, record_events
from evidence.numbers import parse_number
from evidence.records import CALL_STATUSES, DIRECTIONS, ParsedEvent
from evidence.schema import Event, Item
from evidence.store import Store

DECLARABLE = ("call", "sms", "visit", "post", "letter")
MEDIA_TYPE = "application/vnd.locker.declaration+json"


@dataclass(frozen=True)
class Declaration:
    kind: str
    at: datetime
    number: str | None = None
    direction: str = "in"
    duration: float | None = None
    status: str | None = None
    text: str | None = None
    attach: Path | None = None


def declare(store: Store, d: Declaration) -> tuple[int, int]:
    """Record a declaration; returns (declaration item id, event id)."""
    if d.kind not in DECLARABLE:
        raise UsageError(f"log one of: {', '.join(DECLARABLE)}")
    if d.direction not in DIRECTIONS:
        raise UsageError("direction is in or out")
    if d.status is not None and d.status not in CALL_STATUSES:
        raise UsageError(f"status is one of: {', '.join(CALL_STATUSES)}")
    if d.at.tzinfo is None:
        raise UsageError("the time needs a timezone")
    if d.kind in ("call", "sms") and not d.number:
        raise UsageError(f"a declared {d.kind} needs --number")
    attachment = add_file(store, d.attach) if d.attach is not None else None
    body: dict[str, Any] = {
        "declared_by": "user",
        "declared_at": store.now().isoformat(),
        "kind": d.kind,
        "at": d.at.isoformat(),
        "number": d.number,
        "direction": d.direction,
        "duration": d.duration,
        "status": d.status,
        "text": d.text,
        "attachment_sha256": attachment.sha256 if attachment else None,
    }
    name = f"declaration-{d.kind}-{d.at.astimezone(store.timezone):%Y%m%d-%H%M%S}.json"
    event = ParsedEvent(
        kind=d.kind,
        direction=d.direction,
        raw_number=d.number,
        at=d.at,
        duration=d.duration,
        status=d.status,
        text=d.text,
        source_ref="",
    )
    item_id, event_ids = seal_declaration(
        store,
        body,
        name,
        MEDIA_TYPE,
        d.at,
        False,
        d.number,
        d.duration,
        lambda sha: [replace(event, source_ref=sha)],
    )
    return item_id, event_ids[0]


def seal_declaration(
    store: Store,
    body: dict[str, Any],
    name: str,
    media_type: str,
    at: datetime,
    tz_assumed: bool,
    number: str | None,
    duration: float | None,
    events: Callable[[str], list[ParsedEvent]],
) -> tuple[int, list[int]]:
    """Seal what the user declares (canonical JSON, hashed like any original) as an item of kind
    `declaration`, with the events `events(sha256)` makes of it; (item id, event ids).

    Each event's dedupe key is unique to the declaration's bytes and its place among them.
    """
    data = canonical_json(body)
    sealed = store.vault.seal(io.BytesIO(data), store.keys.recipient)
    try:
        with store.transaction() as s:
            item = Item(
                sha256=sealed.sha256,
                object_name=store.keys.object_name(sealed.sha256),
                size=sealed.size,
                name=name,
                kind="declaration",
                media_type=media_type,
                export_format=None,
                added_at=store.now(),
                captured_at=at,
                captured_tz_assumed=tz_assumed,
                number=parse_number(number).canonical if number else None,
                contact=None,
                duration=duration,
            )
            s.add(item)
            s.flush()
            made = events(sealed.sha256)
            places = iter(range(len(made)))
            record_events(
                s,
                item.id,
                made,
                # the first one keyed as before places were counted: lockers made then still match
                lambda _e, _n: hashlib.sha256(_place(next(places)) + data).hexdigest(),
                declared=True,
            )
            store.vault.commit(sealed, item.object_name)
            log_add(s, item, len(made), store.now())
            ids = list(s.scalars(select(Event.id).where(Event.item_id == item.id).order_by(Event.id)))
            return item.id, ids
    finally:
        store.vault.discard(sealed)


def _place(n: int) -> bytes:
    return b"declared|" if n == 0 else b"declared|%d|" % n
