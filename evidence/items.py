"""Reading items back: listings, everything known about one item, and the original byte for byte."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from sqlalchemy import func, select

from evidence import custody
from evidence.errors import UsageError, VerificationFailed
from evidence.outputs import check_output_path, private_output
from evidence.records import ItemRecord
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
    """Decrypt item `item_id` to `out`; the hash is checked before the file appears, and an
    interrupted copy leaves no plaintext behind (evidence.outputs)."""
    check_output_path(out)
    with store.transaction() as s:
        item = _item(s, item_id)
        if not store.read_only:  # a locker on read-only media can still give its originals back
            custody.append(s, "get", {"item": item.id, "sha256": item.sha256}, store.now())
    with private_output(store.home, out) as f:
        digest = hashlib.sha256()
        for chunk in store.vault.chunks(item.object_name, store.keys.identity):
            digest.update(chunk)
            f.write(chunk)
        if not hmac.compare_digest(digest.hexdigest(), item.sha256):
            raise VerificationFailed(f"item {item.id} does not match its recorded hash: run `locker verify`")
    return item


def item_records(store: Store) -> list[ItemRecord]:
    """Every item as a plain record with its facts, oldest first (what documents are built from)."""
    with store.transaction() as s:
        facts: dict[int, list[tuple[str, str, str]]] = {}
        for f in s.scalars(select(ItemFact).order_by(ItemFact.id)):
            facts.setdefault(f.item_id, []).append((f.fact, f.value, f.source))
        return [
            ItemRecord(
                id=i.id,
                name=i.name,
                kind=i.kind,
                size=i.size,
                sha256=i.sha256,
                added_at=i.added_at,
                captured_at=i.captured_at,
                number=i.number,
                media_type=i.media_type,
                facts=tuple(facts.get(i.id, ())),
            )
            for i in s.scalars(select(Item).order_by(Item.id))
        ]


def original_opener(store: Store) -> Callable[[int], AbstractContextManager[BinaryIO]]:
    """Opens an item's original as a seekable stream, decrypted and authenticated chunk by chunk
    as it is read: memory stays bounded whatever the original's size."""

    def open_original(item_id: int) -> AbstractContextManager[BinaryIO]:
        with store.transaction() as s:
            item = s.get(Item, item_id)
            if item is None:
                raise UsageError(f"no item {item_id}")
            name = item.object_name
        return cast(AbstractContextManager[BinaryIO], store.vault.open(name, store.keys.identity))

    return open_original
