"""The sealed originals: listing them, one item's facts, an original back out, verify and gc."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from evidence import items, verification
from evidence.errors import ExitCode
from evidence.schema import Item
from locker.app import Notify, OpenStore
from locker.app.intake import ocr
from locker.app.stamps import read_ca_file


@dataclass(frozen=True)
class ItemListing:
    items: list[items.ItemSummary]
    timezone: ZoneInfo


def list_items(open_store: OpenStore) -> ItemListing:
    store = open_store()
    return ItemListing(items.list_items(store), store.timezone)


@dataclass(frozen=True)
class ItemShown:
    detail: items.ItemDetail
    timezone: ZoneInfo


def show_item(open_store: OpenStore, item_id: int) -> ItemShown:
    """Everything known about one item, and where each fact came from."""
    store = open_store()
    return ItemShown(items.item_detail(store, item_id), store.timezone)


def get_original(open_store: OpenStore, item_id: int, out: Path) -> Item:
    """Write an original back out byte for byte, its hash checked first (custody logged)."""
    return items.write_original(open_store(), item_id, out)


@dataclass(frozen=True)
class Viewed:
    media_type: str
    size: int
    chunks: Iterator[bytes]  # each chunk authenticated (age) before it is released


def view_original(open_store: OpenStore, item_id: int) -> Viewed:
    """An original's bytes for showing in the person's own browser (a screenshot, a recording).
    Not a copy out of the locker, so no custody entry; `get` is for that."""
    store = open_store()
    item = items.item_detail(store, item_id).item
    return Viewed(item.media_type, item.size, store.vault.chunks(item.object_name, store.keys.identity))


@dataclass(frozen=True)
class Verified:
    report: verification.VerifyReport
    adopted: list[int]  # with repair: the ids of the originals adopted as recovered items
    exit_code: int  # 0 ok, 1 a difference, 5 a damaged database


def verify(open_store: OpenStore, *, repair: bool, cas: Sequence[Path], notify: Notify) -> Verified:
    """Re-hash every original, re-derive the custody chain and stamps; with `repair`, first adopt
    complete originals no item records (each refusal and the count go to `notify`)."""
    store = open_store()
    adopted: list[int] = []
    if repair:
        repaired = verification.repair_store(store, ocr())
        for line in repaired.refused:
            notify(f"not adopted: {line}")
        notify(f"repair: {len(repaired.adopted)} originals adopted as recovered items")
        adopted = list(repaired.adopted)
    report = verification.verify_store(store, extra_ca=[read_ca_file(p) for p in cas])
    code = ExitCode.DAMAGED if report.damaged else ExitCode.VERIFY_FAILED if not report.ok else ExitCode.OK
    return Verified(report, adopted, int(code))


def collect_garbage(open_store: OpenStore) -> list[str]:
    """Remove temp files of interrupted writes and plaintext a killed `get`/`export` left; never
    a complete sealed original. Returns what was removed."""
    return list(verification.collect_garbage(open_store()))
