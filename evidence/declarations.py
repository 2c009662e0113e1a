"""What has no export: calls, messages, visits, posts and letters the user declares (`locker log`).

A declaration is itself sealed as an original (canonical JSON, hashed like any file), so the
event it creates points at hashed evidence too; it is marked `declared` everywhere it shows.
An attached file (a photo of the letter, a recording of the visit) is added as its own item
and named in the declaration by its SHA-256.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
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
    data = canonical_json(body)
    sealed = store.vault.seal(io.BytesIO(data), store.keys.recipient)
    try:
        with store.transaction() as s:
            item = Item(
                sha256=sealed.sha256,
                object_name=store.keys.object_name(sealed.sha256),
                size=sealed.size,
                name=f"declaration-{d.kind}-{d.at.astimezone(store.timezone):%Y%m%d-%H%M%S}.json",
                kind="declaration",
                media_type=MEDIA_TYPE,
                export_format=None,
                added_at=store.now(),
                captured_at=d.at,
                captured_tz_assumed=False,
                number=parse_number(d.number).canonical if d.number else None,
                contact=None,
                duration=d.duration,
            )
            s.add(item)
            s.flush()
            event = ParsedEvent(
                kind=d.kind,
                direction=d.direction,
                raw_number=d.number,
                at=d.at,
                duration=d.duration,
                status=d.status,
                text=d.text,
                source_ref=sealed.sha256,
            )
            record_events(
                s,
                item.id,
                [event],
                lambda _e, _n: hashlib.sha256(b"declared|" + data).hexdigest(),
                declared=True,
            )
            store.vault.commit(sealed, item.object_name)
            log_add(s, item, 1, store.now())
            event_id = s.scalar(select(Event.id).where(Event.item_id == item.id))
            assert event_id is not None  # just inserted: a declaration's key is unique to its bytes
            return item.id, event_id
    finally:
        store.vault.discard(sealed)
