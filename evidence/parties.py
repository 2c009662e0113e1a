"""Parties: lenders and collectors, the numbers and SMS signatures that belong to each."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from evidence import custody
from evidence.errors import UsageError
from evidence.numbers import parse_number
from evidence.records import PartyRecord
from evidence.schema import Event, Party, PartyLoanRef, PartyNumber, PartySignature
from evidence.store import Store

SIGNATURE = re.compile(r"【([^【】]{1,30})】")
MIN_LOAN_REF = 4  # shorter references would be found in unrelated texts (evidence.attribution)


def normalise_signature(text: str) -> str:
    inner = text.strip().strip("【】[]")
    if not inner:
        raise UsageError("an SMS signature needs a name, e.g. 【好借花】")
    return f"【{inner}】"


def normalise_loan_ref(text: str) -> str:
    ref = text.strip()
    if len(ref) < MIN_LOAN_REF or any(c.isspace() for c in ref):
        raise UsageError(
            f"a loan reference is the lender's loan or contract number as its messages quote it: "
            f"at least {MIN_LOAN_REF} characters, no spaces"
        )
    return ref


def add_party(
    store: Store, name: str, numbers: list[str], signatures: list[str], loan_refs: Sequence[str] = ()
) -> PartyRecord:
    """Create the party, or add numbers, signatures and loan references to it; a number
    belongs to one party only."""
    name = name.strip()
    if not name:
        raise UsageError("a party needs a name")
    refs = [normalise_loan_ref(r) for r in loan_refs]
    canon: list[str] = []
    for raw in numbers:
        n = parse_number(raw)
        if n.canonical is None:
            raise UsageError("that is not a phone number: give digits, e.g. 17155550001 or 075512345678")
        canon.append(n.canonical)
    with store.transaction() as s:
        party = s.scalar(select(Party).where(Party.name == name))
        if party is None:
            party = Party(name=name, created_at=store.now())
            s.add(party)
            s.flush()
        owners = dict(s.execute(select(PartyNumber.number, Party.name).join(Party)).all())
        have = {pn.number for pn in party.numbers}
        for number in canon:
            if owners.get(number, name) != name:
                raise UsageError(f"that number already belongs to the party {owners[number]!r}")
            if number not in have:
                party.numbers.append(PartyNumber(number=number))
                have.add(number)
        known = {ps.signature for ps in party.signatures}
        for sig in map(normalise_signature, signatures):
            if sig not in known:
                party.signatures.append(PartySignature(signature=sig))
                known.add(sig)
        recorded = {r.reference for r in party.loan_refs}
        for ref in refs:
            if ref not in recorded:
                party.loan_refs.append(PartyLoanRef(reference=ref))
                recorded.add(ref)
        s.flush()
        detail: dict[str, object] = {"party": name, "numbers": len(have), "signatures": len(known)}
        if recorded:
            detail["loan_refs"] = len(recorded)
        custody.append(s, "party", detail, store.now())
        return record_of(party)


def record_of(p: Party) -> PartyRecord:
    return PartyRecord(
        p.name,
        tuple(n.number for n in p.numbers),
        tuple(x.signature for x in p.signatures),
        loan_refs=tuple(r.reference for r in p.loan_refs),
    )


def list_parties(store: Store) -> list[PartyRecord]:
    with store.transaction() as s:
        return [record_of(p) for p in s.scalars(select(Party).order_by(Party.name))]


@dataclass(frozen=True)
class Suggestion:
    number: str
    party: str
    messages: int
    reason: str  # "signature" or "name"


def suggest_numbers(store: Store) -> list[Suggestion]:
    """Numbers outside every party whose own messages carry a party's signature or name.

    Proposed, never merged: the user decides with `locker party add`.
    """
    parties = list_parties(store)
    owned = {n for p in parties for n in p.numbers}
    hits: Counter[tuple[str, str, str]] = Counter()
    with store.transaction() as s:
        rows = s.execute(
            select(Event.number, Event.text).where(
                Event.direction == "in", Event.text.is_not(None), Event.number.is_not(None)
            )
        )
        for number, text in rows:
            if number is None or text is None or number in owned:
                continue
            for p in parties:
                if any(sig in text for sig in p.signatures):
                    hits[(number, p.name, "signature")] += 1
                elif p.name in text:
                    hits[(number, p.name, "name")] += 1
    return [
        Suggestion(n, p, c, why) for (n, p, why), c in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
