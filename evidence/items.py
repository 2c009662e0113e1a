"""Reading items back: listings, everything known about one item, and the original byte for byte."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from evidence import custody
from evidence.atomic import commit_temp, discard_temp, open_temp
from evidence.errors import UsageError, VerificationFailed
from evidence.schema import Event, Item, ItemFact
from evidence.store import Store


@dataclass
class ItemSummary:
    item: Item
    events: int


@dataclass
class ItemDetail:
    item: Item
    facts: list[ItemFact]
    events: int


def list_items(store: Store) -> list[ItemSummary]:
    with store.transaction() as s:
        counts = dict(s.execute(select(Event.item_id, func.count()).group_by(Event.item_id)).all())
        return [ItemSummary(i, counts.get(i.id, 0)) for i in s.scalars(select(Item).order_by(Item.id))]


def _item(s, item_id: int) -> Item:  # type: ignore[no-untyped-def]
    item = s.get(Item, item_id)
    if item is None:
        raise UsageError(f"no item {item_id}: `locker ls` lists the items")
    return item


def item_detail(store: Store, item_id: int) -> ItemDetail:
    with store.transaction() as s:
        item = _item(s, item_id)
        facts = list(s.scalars(select(ItemFact).where(ItemFact.item_id == item_id).order_by(ItemFact.id)))
        count = s.scalar(select(func.count()).select_from(Event).where(Event.item_id == item_id)) or 0
        return ItemDetail(item, facts, count)


def write_original(store: Store, item_id: int, out: Path) -> Item:
    """Decrypt item `item_id` to `out` atomically; the hash is checked before the file appears."""
    if out.exists() and out.is_dir():
        raise UsageError(f"{out} is a folder: give a file name with -o")
    with store.transaction() as s:
        item = _item(s, item_id)
        custody.append(s, "get", {"item": item.id, "sha256": item.sha256}, store.now())
    temp, f = open_temp(out.resolve().parent)
    try:
        digest = hashlib.sha256()
        with f:
            for chunk in store.vault.chunks(item.object_name, store.keys.identity):
                digest.update(chunk)
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        if not hmac.compare_digest(digest.hexdigest(), item.sha256):
            raise VerificationFailed(f"item {item.id} does not match its recorded hash: run `locker verify`")
        commit_temp(temp, out)
    except BaseException:
        discard_temp(temp)
        raise
    return item
