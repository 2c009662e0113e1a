"""Findings: run the rules over the stored evidence and keep the user's decisions across re-runs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from evidence import custody
from evidence.errors import UsageError
from evidence.events import party_numbers, to_record
from evidence.records import FindingDraft, FindingRecord
from evidence.schema import Event, Finding, Loan, Party
from evidence.store import Store

STATUSES = ("auto", "confirmed", "dismissed")


def loan_records(loans: Sequence[Loan]) -> list[Any]:
    from evidence.loans import LoanRecord

    return [
        LoanRecord(
            party=loan.party,
            principal=Decimal(loan.principal),
            received=Decimal(loan.received),
            start=date.fromisoformat(loan.start),
            schedule=tuple((date.fromisoformat(d), Decimal(str(a))) for d, a in loan.schedule),
            lender_type=loan.lender_type,
        )
        for loan in loans
    ]


def refresh(store: Store) -> int:
    """Re-run every rule; new findings are added, known keys keep the user's status. Returns the count."""
    from evidence.rules import RuleSettings, apply_rules

    with store.transaction() as s:
        parties_by_number = party_numbers(s)
        rows = list(s.scalars(select(Event).order_by(Event.at, Event.id)))
        records = [to_record(e, parties_by_number) for e in rows]
        contacts = frozenset(
            e.number for e in rows if e.contact and e.number and e.number not in parties_by_number
        )
        from evidence.parties import record_of

        parties = [record_of(p) for p in s.scalars(select(Party))]
        loans = loan_records(list(s.scalars(select(Loan))))
        drafts = apply_rules(
            records, parties, RuleSettings(timezone=store.timezone, contacts=contacts), loans=loans
        )
        existing = {f.key: f for f in s.scalars(select(Finding))}
        produced = set()
        now = store.now()
        for d in drafts:
            produced.add(d.key)
            f = existing.get(d.key)
            if f is None:
                s.add(_new_finding(d, now))
            else:
                _update(f, d, now)
        for key, f in existing.items():
            if key not in produced and f.current:
                f.current = False
                f.updated_at = now
    return len(drafts)


def _new_finding(d: FindingDraft, now) -> Finding:  # type: ignore[no-untyped-def]
    f = Finding(key=d.key, status="auto", why=None, current=True)
    _update(f, d, now)
    return f


def _update(f: Finding, d: FindingDraft, now) -> None:  # type: ignore[no-untyped-def]
    f.category, f.rule, f.rule_version, f.at = d.category, d.rule, d.rule_version, d.at
    f.numbers, f.party, f.events = list(d.numbers), d.party, list(d.events)
    f.explanation, f.strength, f.level, f.instruments = (
        d.explanation,
        d.strength,
        d.level,
        list(d.instruments),
    )
    f.current, f.updated_at = True, now


@dataclass(frozen=True)
class FindingFilter:
    category: int | None = None
    party: str | None = None
    include_dismissed: bool = True


def list_findings(store: Store, f: FindingFilter = FindingFilter()) -> list[FindingRecord]:
    with store.transaction() as s:
        q = (
            select(Finding)
            .where(Finding.current.is_(True))
            .order_by(Finding.at, Finding.category, Finding.id)
        )
        if f.category is not None:
            q = q.where(Finding.category == f.category)
        if f.party is not None:
            q = q.where(Finding.party == f.party)
        if not f.include_dismissed:
            q = q.where(Finding.status != "dismissed")
        rows = list(s.scalars(q))
        event_ids = {e for r in rows for e in r.events}
        item_of = dict(s.execute(select(Event.id, Event.item_id).where(Event.id.in_(event_ids))).all())
        return [
            FindingRecord(
                id=r.id,
                key=r.key,
                category=r.category,
                rule=r.rule,
                rule_version=r.rule_version,
                at=r.at,
                numbers=tuple(r.numbers),
                party=r.party,
                events=tuple(r.events),
                items=tuple(sorted({item_of[e] for e in r.events if e in item_of})),
                explanation=r.explanation,
                strength=r.strength,
                status=r.status,
                level=r.level,
                instruments=tuple(r.instruments),
                why=r.why,
            )
            for r in rows
        ]


def decide(store: Store, finding_id: int, status: str, why: str | None = None) -> None:
    """The user confirms or dismisses a finding; the decision is logged and survives re-runs."""
    if status not in ("confirmed", "dismissed"):
        raise UsageError("a decision is confirmed or dismissed")
    if status == "dismissed" and not (why and why.strip()):
        raise UsageError("say why with --why: the reason is kept with the evidence")
    with store.transaction() as s:
        f = s.get(Finding, finding_id)
        if f is None or not f.current:
            raise UsageError(f"no finding {finding_id}: `locker findings` lists them")
        f.status, f.why, f.updated_at = status, why, store.now()
        action = {"confirmed": "confirm", "dismissed": "dismiss"}[status]
        # The reason may name family or friends, and the log goes into bundles: only its digest.
        digest = hashlib.sha256(why.encode("utf-8")).hexdigest() if why else None
        custody.append(s, action, {"finding": f.id, "key": f.key, "why_sha256": digest}, store.now())


@dataclass(frozen=True)
class LoanSummary:
    id: int
    party: str
    principal: Decimal
    received: Decimal
    deducted_up_front: Decimal
    effective_annual_rate: str
    lender_type: str | None


def record_loan(
    store: Store,
    party: str,
    principal: Decimal,
    received: Decimal,
    start: date,
    schedule: list[tuple[date, Decimal]],
    lender_type: str | None,
) -> LoanSummary:
    """Store a loan as the user declares it and compute its effective annual rate."""
    from evidence.loans import LoanRecord, effective_annual_rate

    if principal <= 0 or received <= 0:
        raise UsageError("principal and received must be more than zero")
    record = LoanRecord(party, principal, received, start, tuple(schedule), lender_type)
    rate = effective_annual_rate(record)
    with store.transaction() as s:
        loan = Loan(
            party=party,
            principal=principal,
            received=received,
            start=start.isoformat(),
            schedule=[[d.isoformat(), str(a)] for d, a in schedule],
            lender_type=lender_type,
            created_at=store.now(),
        )
        s.add(loan)
        s.flush()
        custody.append(s, "loan", {"loan": loan.id, "party": party}, store.now())
        loan_id = loan.id
    return LoanSummary(loan_id, party, principal, received, principal - received, f"{rate:.2%}", lender_type)
