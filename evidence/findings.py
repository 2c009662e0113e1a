"""Findings: run the rules over the stored evidence and keep the user's decisions across re-runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, or_, select, update

from evidence import custody
from evidence.database import batched, bulk_cache, sqlite_datetime
from evidence.errors import UsageError
from evidence.events import event_records, party_numbers
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


def list_loans(store: Store) -> list[Any]:
    """The loans the user declared (`LoanRecord`s), in the order they were recorded."""
    with store.transaction() as s:
        return loan_records(list(s.scalars(select(Loan).order_by(Loan.id))))


def refresh(store: Store) -> int:
    """Re-run every rule; new findings are added, known keys keep the user's status and reason,
    findings no longer produced are marked not current. Returns the count.

    In bulk, for 100,000 messages that each raise findings: events are read as plain column
    rows (`event_records`) and findings written, as the rules make them, with executemany keyed
    by finding key (`write_findings`); no ORM object per event or finding is ever made, and the
    whole run's findings are never held at once.
    """
    from evidence.parties import record_of
    from evidence.rules import RuleSettings, iter_rules, paused_gc

    # Without the collector, as apply_rules: the events and findings are many long-lived objects
    # it would walk again and again, and neither reading, judging nor writing makes cycles.
    with paused_gc(), store.transaction() as s:
        parties_by_number = party_numbers(s)
        records = event_records(s, parties_by_number)
        # A name saved for a phone number is the borrower's address book; a WeChat account always
        # shows a name (collectors add the borrower as a friend to write at all), so it is none.
        contacts = frozenset(
            e.number
            for e in records
            if e.contact and e.number and e.number not in parties_by_number and e.number_class != "wechat"
        )
        parties = [record_of(p) for p in s.scalars(select(Party))]
        loans = loan_records(list(s.scalars(select(Loan))))
        drafts = iter_rules(
            records, parties, RuleSettings(timezone=store.timezone, contacts=contacts), loans=loans
        )
        return write_findings(s.connection(), drafts, store.now())


FINDING_BATCH = 2000
# What a rule run decides about a finding; the user's status and reason are never among them.
_DRAFT_FIELDS = (
    "key",
    "category",
    "rule",
    "rule_version",
    "at",
    "numbers",
    "party",
    "events",
    "explanation",
    "strength",
    "level",
    "instruments",
)


def write_findings(conn: Connection, drafts: Iterable[FindingDraft], now: datetime) -> int:
    """Store one rule run: a draft with a new key is a new finding (status auto); a known key
    takes the draft's facts and keeps the user's status and reason; a current finding whose key
    the run did not produce is marked not current. Each touched row gets `updated_at` = now.
    Drafts are written in batches as they come; returns how many there were.

    Bulk statements keyed by finding key (an upsert on the unique key). On SQLite the rows go
    straight to the driver's executemany, stored as SQLAlchemy's types would store them (as in
    `intake`, the per-row parameter processing would cost more than the writes); elsewhere
    (PostgreSQL) the Core construct does the same job.
    """
    table = cast(Table, Finding.__table__)
    # The current findings before the run, each crossed off as the run makes it again: what is
    # left at the end has vanished. Held are the keys that were, not the keys the run makes: a
    # first import of 100,000 messages makes 190,000 findings, and a set of their keys was 30 MB
    # of its peak.
    before = dict(conn.execute(select(table.c.key, table.c.id).where(table.c.current.is_(True))).all())
    count = 0
    with bulk_cache(conn):
        upsert = _upserter(conn, table, now)
        for batch in batched(drafts, FINDING_BATCH):
            upsert(batch)
            if before:
                for d in batch:
                    before.pop(d.key, None)
            count += len(batch)
        vanished = list(before.values())
        for ids in batched(vanished, FINDING_BATCH):
            conn.execute(update(table).where(table.c.id.in_(ids)).values(current=False, updated_at=now))
    return count


def _upserter(conn: Connection, table: Table, now: datetime) -> Callable[[Sequence[FindingDraft]], None]:
    if conn.dialect.name != "sqlite":
        from sqlalchemy.dialects import postgresql

        stmt = postgresql.insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                **{f: stmt.excluded[f] for f in _DRAFT_FIELDS[1:]},
                "current": True,
                "updated_at": stmt.excluded.updated_at,
            },
        )

        def upsert_core(batch: Sequence[FindingDraft]) -> None:
            conn.execute(
                stmt,
                [
                    {
                        **{f: getattr(d, f) for f in _DRAFT_FIELDS},
                        "numbers": list(d.numbers),
                        "events": list(d.events),
                        "instruments": list(d.instruments),
                        "status": "auto",
                        "why": None,
                        "current": True,
                        "updated_at": now,
                    }
                    for d in batch
                ],
            )

        return upsert_core
    columns = ", ".join(_DRAFT_FIELDS)
    marks = ", ".join("?" * len(_DRAFT_FIELDS))
    facts = ", ".join(f"{f} = excluded.{f}" for f in _DRAFT_FIELDS[1:])
    sql = (
        f"INSERT INTO findings ({columns}, status, why, current, updated_at) "
        f"VALUES ({marks}, 'auto', NULL, 1, ?) "
        f"ON CONFLICT (key) DO UPDATE SET {facts}, current = 1, updated_at = excluded.updated_at"
    )
    cursor = cast(Any, conn.connection.driver_connection).cursor()  # None only once closed
    stamp = sqlite_datetime(now)
    # JSON as the JSON type stores it (json.dumps); numbers and instruments repeat from finding
    # to finding, so each distinct tuple is encoded once.
    encoded: dict[tuple[Any, ...], str] = {}

    def as_json(values: tuple[Any, ...]) -> str:
        text = encoded.get(values)
        if text is None:
            text = encoded[values] = json.dumps(list(values))
        return text

    last_at: datetime | None = None  # drafts come in time order: many in a row share their time
    last_text = ""

    def stored_time(at: datetime) -> str:
        nonlocal last_at, last_text
        if at is not last_at:
            last_at, last_text = at, sqlite_datetime(at)
        return last_text

    def upsert(batch: Sequence[FindingDraft]) -> None:
        cursor.executemany(
            sql,
            [
                (
                    d.key,
                    d.category,
                    d.rule,
                    d.rule_version,
                    stored_time(d.at),
                    as_json(d.numbers),
                    d.party,
                    "[" + ", ".join(map(str, d.events)) + "]",  # event ids (ints): json.dumps' form
                    d.explanation,
                    d.strength,
                    d.level,
                    as_json(d.instruments),
                    stamp,
                )
                for d in batch
            ],
        )

    return upsert


SUGGESTION = "suggestion"  # the strength of what the statistical model alone raised (rules.suggest)


@dataclass(frozen=True)
class FindingFilter:
    category: int | None = None
    party: str | None = None
    include_dismissed: bool = True
    # Suggestions are the model's, not findings: listed only when asked for, and in documents
    # only once the user confirmed them.
    suggestions: bool = False  # True: only the unconfirmed suggestions, to review


def list_findings(store: Store, f: FindingFilter = FindingFilter()) -> list[FindingRecord]:
    with store.transaction() as s:
        q = (
            select(Finding)
            .where(Finding.current.is_(True))
            .order_by(Finding.at, Finding.category, Finding.key)
        )
        if f.category is not None:
            q = q.where(Finding.category == f.category)
        if f.party is not None:
            q = q.where(Finding.party == f.party)
        if not f.include_dismissed:
            q = q.where(Finding.status != "dismissed")
        if f.suggestions:
            q = q.where(Finding.strength == SUGGESTION, Finding.status == "auto")
        else:
            q = q.where(or_(Finding.strength != SUGGESTION, Finding.status == "confirmed"))
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
