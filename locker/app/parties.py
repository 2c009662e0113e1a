"""Lenders and collectors: parties, their numbers and signatures, who they are in law, and the
numbers their messages point at."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evidence import attribution, parties
from evidence.errors import UsageError
from evidence.records import PartyRecord
from locker.app import OpenStore
from locker.app.findings import refresh_findings

Link = attribution.Link
Suggestion = parties.Suggestion


def add_party(
    open_store: OpenStore,
    name: str,
    numbers: Sequence[str] = (),
    signatures: Sequence[str] = (),
    loan_refs: Sequence[str] = (),
) -> PartyRecord:
    """Create a party, or add numbers, signatures and loan references to it; then re-attribute
    numbers and re-run the rules, since counts per party change."""
    store = open_store()
    p = parties.add_party(store, name, list(numbers), list(signatures), list(loan_refs))
    refresh_findings(store)
    return p


@dataclass(frozen=True)
class IdentitySet:
    party: PartyRecord
    fields: list[str]  # the fields given, sorted


def set_identity(open_store: OpenStore, name: str, details: Mapping[str, str | None]) -> IdentitySet:
    """Record who a party is in law; a detail that is None is left alone, "" clears it."""
    changes = {k: v for k, v in details.items() if v is not None}
    p = parties.set_identity(open_store(), name, changes)
    return IdentitySet(p, sorted(changes))


@dataclass(frozen=True)
class PartyListing:
    parties: list[PartyRecord]
    linked_by_messages: dict[str, list[str]]  # party → numbers its messages link (with_links only)


def list_parties(open_store: OpenStore, with_links: bool = False) -> PartyListing:
    """The parties; `with_links` also brings attribution up to date and says which numbers
    their messages link to them."""
    store = open_store()
    rows = parties.list_parties(store)
    by_messages: dict[str, list[str]] = {}
    if with_links:
        attribution.bring_up_to_date(store)
        for link in attribution.stored_links(store):
            if link.linked and link.source == "messages":
                by_messages.setdefault(link.party, []).append(link.number)
    return PartyListing(rows, by_messages)


@dataclass(frozen=True)
class PartyDetail:
    party: PartyRecord
    links: list[Link]  # every number its messages point at, linked or not, with the reasons


def show_party(open_store: OpenStore, name: str) -> PartyDetail:
    store = open_store()
    p = next((p for p in parties.list_parties(store) if p.name == name), None)
    if p is None:
        raise UsageError(f"no party named {name!r}: `locker party ls` lists them")
    attribution.bring_up_to_date(store)
    return PartyDetail(p, attribution.stored_links(store, name))


def suggest_numbers(open_store: OpenStore) -> list[Suggestion]:
    """Numbers whose messages carry a party's signature or name: proposed, never merged."""
    return parties.suggest_numbers(open_store())
