"""Gathering one case from an open locker: the records a complaint or bundle is built from."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import BinaryIO, cast

from sqlalchemy import select

from complaints.assembly import CaseFile, Profile
from evidence import attribution, custody, events, findings, parties, timestamps
from evidence.errors import UsageError
from evidence.profile import get_profile
from evidence.records import ItemRecord
from evidence.schema import CustodyEntry, Item, ItemFact, Loan
from evidence.store import Store


def item_records(store: Store) -> list[ItemRecord]:
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


def gather_case(store: Store, party: str | None) -> CaseFile:
    """Everything a complaint may draw on; the complaint itself scopes it to `party`.

    A party's numbers are those the user declared and those its messages link to it
    (evidence.attribution); the links travel with the case so documents say why.
    """
    links = attribution.stored_links(store)
    party_record = None
    if party is not None:
        party_record = next((p for p in parties.list_parties(store) if p.name == party), None)
        if party_record is None:
            raise UsageError(f"no party named {party!r}: `locker party ls` lists them")
        by_messages = tuple(
            link.number
            for link in links
            if link.linked and link.party == party and link.number not in party_record.numbers
        )
        party_record = replace(party_record, numbers=party_record.numbers + by_messages)
    values = get_profile(store)
    profile = Profile(
        name=values.get("name"),
        id_number=values.get("id_number"),
        phone=values.get("phone"),
        address=values.get("address"),
    )
    with store.transaction() as s:
        head = custody.head_hash(s)
        loans = findings.loan_records(list(s.scalars(select(Loan).order_by(Loan.id))))
        stamp = timestamps.latest_stamp(s)
    return CaseFile(
        profile=profile,
        party=party_record,
        items=item_records(store),
        events=events.list_events(store),
        findings=findings.list_findings(store),
        custody_head=head,
        generated_at=store.now(),
        timezone=store.timezone,
        originals=original_opener(store),
        links=tuple(links),
        loans=tuple(loans),
        stamp=stamp,
    )


def custody_log(store: Store) -> list[dict[str, object]]:
    with store.transaction() as s:
        return [custody.as_dict(e) for e in s.scalars(select(CustodyEntry).order_by(CustodyEntry.seq))]
