"""Gathering one case from an open locker: the records a complaint or bundle is built from."""

from __future__ import annotations

from dataclasses import replace

from complaints.assembly import CaseFile, Profile
from evidence import attribution, custody, events, findings, items, parties, timestamps
from evidence.errors import UsageError
from evidence.profile import get_profile
from evidence.store import Store


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
    head, stamp = timestamps.head_and_stamp(store)
    return CaseFile(
        profile=profile,
        party=party_record,
        items=items.item_records(store),
        events=events.list_events(store),
        findings=findings.list_findings(store),
        custody_head=head,
        generated_at=store.now(),
        timezone=store.timezone,
        originals=items.original_opener(store),
        links=tuple(links),
        loans=tuple(findings.list_loans(store)),
        stamp=stamp,
    )


def custody_log(store: Store) -> list[dict[str, object]]:
    """The custody log as the bundle carries it (kept here: tests and the bundle name it so)."""
    return custody.exported_log(store)
