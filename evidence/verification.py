"""`verify` and `gc`: re-derive the custody chain, decrypt and re-hash every original, find orphans."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence import age, custody
from evidence.schema import CustodyEntry, Event, Item
from evidence.store import Store


@dataclass
class Problem:
    item: int | None  # None for problems of the log itself
    problem: str


@dataclass
class VerifyReport:
    ok: bool
    items_checked: int
    problems: list[Problem] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # harmless leftovers of interrupted adds
    head: str = custody.GENESIS


DIGEST_COLUMNS = (
    Event.dedupe_key,
    Event.kind,
    Event.direction,
    Event.raw_number,
    Event.at,
    Event.duration,
    Event.status,
    Event.text,
)


def events_digest(rows: Iterable[Sequence[Any]]) -> str:
    """A digest of an item's events as recorded (rows of DIGEST_COLUMNS in dedupe-key order),
    kept in the custody entry that added them so `verify` notices an edited event."""
    h = hashlib.sha256()
    for key, kind, direction, raw, at, duration, status, text in rows:
        h.update(custody.canonical_json([key, kind, direction, raw, at.isoformat(), duration, status, text]))
        h.update(b"\n")
    return h.hexdigest()


def item_events_digest(session: Session, item_id: int) -> str:
    q = select(*DIGEST_COLUMNS).where(Event.item_id == item_id).order_by(Event.dedupe_key)
    return events_digest(session.execute(q))


def verify_store(store: Store, progress: Callable[[int], None] | None = None) -> VerifyReport:
    with store.transaction() as s:
        entries = list(s.scalars(select(CustodyEntry).order_by(CustodyEntry.seq)))
        items = list(s.scalars(select(Item).order_by(Item.id)))
        digests = {item.id: item_events_digest(s, item.id) for item in items}
    problems = [Problem(None, p.problem) for p in custody.check_chain(entries)]
    added: dict[int, dict[str, Any]] = {}
    for entry in entries:
        if entry.action == "add" and isinstance(entry.detail.get("item"), int):
            added[entry.detail["item"]] = entry.detail
    for item in items:
        problems.extend(_check_item(store, item, added.get(item.id), digests[item.id], progress))
    referenced = {i.object_name for i in items}
    orphans = sorted(n for n in store.vault.stored_names() if n not in referenced)
    orphans += [p.name for p in store.vault.temp_files()]
    report = VerifyReport(
        not problems, len(items), problems, orphans, entries[-1].hash if entries else custody.GENESIS
    )
    with store.transaction() as s:
        entry = custody.append(
            s,
            "verify",
            {
                "ok": report.ok,
                "items_checked": report.items_checked,
                "problems": len(problems),
                "orphans": len(orphans),
            },
            store.now(),
        )
        report.head = entry.hash
    return report


def _check_item(
    store: Store,
    item: Item,
    added: dict[str, Any] | None,
    digest_now: str,
    progress: Callable[[int], None] | None,
) -> list[Problem]:
    out: list[Problem] = []
    if added is None:
        out.append(Problem(item.id, "no custody entry records how this item was added"))
    else:
        if added.get("sha256") != item.sha256 or added.get("size") != item.size:
            out.append(
                Problem(item.id, "the database row differs from the custody log (hash or size edited)")
            )
        if "events_digest" in added and added["events_digest"] != digest_now:
            out.append(Problem(item.id, "the item's events differ from what was recorded when it was added"))
    if not hmac.compare_digest(store.keys.object_name(item.sha256), item.object_name):
        out.append(Problem(item.id, "the object name does not match the item's hash"))
    if not store.vault.exists(item.object_name):
        out.append(Problem(item.id, "the sealed original is missing"))
        return out
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in store.vault.chunks(item.object_name, store.keys.identity):
            digest.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
    except age.AgeError:
        out.append(Problem(item.id, "the sealed original was altered or damaged (it does not decrypt)"))
        return out
    if not hmac.compare_digest(digest.hexdigest(), item.sha256) or size != item.size:
        out.append(Problem(item.id, "the original's SHA-256 no longer matches the recorded hash"))
    return out


def collect_garbage(store: Store) -> list[str]:
    """Remove objects no row points to and temp files of interrupted adds; returns what was removed."""
    with store.exclusive_lock():
        with store.transaction() as s:
            referenced = set(s.scalars(select(Item.object_name)))
        removed = [n for n in sorted(store.vault.stored_names()) if n not in referenced]
        removed += [p.name for p in store.vault.temp_files()]
        for name in removed:
            store.vault.remove(name)
        with store.transaction() as s:
            custody.append(s, "gc", {"removed": len(removed)}, store.now())
    return removed
