"""Findings a page at a time, with their counts per category and status, for an interface that
shows a few at once (the local web page): read through the index `ix_findings_listed`, so a
locker of 100,000 findings is never read whole to show a hundred of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, text

from evidence.events import event_records, party_numbers
from evidence.findings import SUGGESTION
from evidence.records import EventRecord
from evidence.schema import NOT_PLAIN_AUTO, Event, Finding
from evidence.store import Store


def _shown() -> ColumnElement[bool]:
    """What `findings.list_findings` lists by default: no suggestion the person has not confirmed."""
    return or_(Finding.strength != SUGGESTION, Finding.status == "confirmed")


@dataclass(frozen=True)
class CategoryCount:
    category: int
    findings: int  # listed (suggestions only once confirmed)
    auto: int  # not decided yet
    confirmed: int
    dismissed: int
    suggestions: int  # the model's suggestions waiting for a decision (not among `findings`)


def finding_counts(store: Store) -> list[CategoryCount]:
    """Per category that has any: how many findings, by status; in category order. The many
    plain "auto" findings are only counted, from one index; the few others (decided, or the
    model's suggestions) are counted by status from a small index of their own."""
    current = Finding.current.is_(True)
    with store.transaction() as s:
        totals = dict(
            s.execute(select(Finding.category, func.count()).where(current).group_by(Finding.category)).all()
        )
        others = s.execute(
            select(Finding.category, Finding.status, Finding.strength, func.count())
            .where(current, text(f"({NOT_PLAIN_AUTO})"))
            .group_by(Finding.category, Finding.status, Finding.strength)
        ).all()
    counts = {
        c: {"total": n, "hidden": 0, "confirmed": 0, "dismissed": 0, "waiting": 0} for c, n in totals.items()
    }
    for category, status, strength, n in others:
        c = counts[category]
        suggestion = strength == SUGGESTION
        if status == "confirmed":
            c["confirmed"] += n
        else:
            c["hidden" if suggestion else "dismissed"] += n
            if suggestion and status == "auto":
                c["waiting"] += n
    out = []
    for category, c in sorted(counts.items()):
        listed = c["total"] - c["hidden"]
        auto = listed - c["confirmed"] - c["dismissed"]
        out.append(CategoryCount(category, listed, auto, c["confirmed"], c["dismissed"], c["waiting"]))
    return out


@dataclass(frozen=True)
class ListedFinding:
    """A finding as a page shows it: its facts, how many events it rests on, and the first few."""

    id: int
    key: str
    category: int
    rule: str
    at: datetime
    numbers: tuple[str, ...]
    party: str | None
    explanation: str
    strength: str
    level: str | None
    status: str
    why: str | None
    events: int  # how many events it rests on (a frequency finding can rest on thousands)
    evidence: tuple[EventRecord, ...]  # the first of them, in the finding's order


def findings_page(
    store: Store, category: int, offset: int, limit: int, evidence: int, total: int | None = None
) -> tuple[list[ListedFinding], int]:
    """`limit` findings of one category from `offset` on, in time order, each with its first
    `evidence` events; and how many the category lists in all (`total`, when the caller has
    it from `finding_counts`, is not counted again: at 100,000 findings a count is half the page)."""
    where = (Finding.current.is_(True), Finding.category == category, _shown())
    columns = (
        Finding.id,
        Finding.key,
        Finding.category,
        Finding.rule,
        Finding.at,
        Finding.numbers,
        Finding.party,
        Finding.explanation,
        Finding.strength,
        Finding.level,
        Finding.status,
        Finding.why,
        Finding.events,
    )
    with store.transaction() as s:
        if total is None:
            total = s.scalar(select(func.count()).select_from(Finding).where(*where)) or 0
        # The page's ids first, from the index alone: SQLite reads every column of the rows an
        # OFFSET skips, and a finding's row is its whole explanation and event list.
        in_order = select(Finding.id).where(*where).order_by(Finding.at, Finding.id)
        ids = list(s.scalars(in_order.offset(offset).limit(limit)))
        rows = s.execute(select(*columns).where(Finding.id.in_(ids)).order_by(Finding.at, Finding.id)).all()
        wanted = {e for r in rows for e in r.events[:evidence]}
        by_id = {e.id: e for e in event_records(s, party_numbers(s), Event.id.in_(wanted))} if wanted else {}
    page = [
        ListedFinding(
            id=r.id,
            key=r.key,
            category=r.category,
            rule=r.rule,
            at=r.at,
            numbers=tuple(r.numbers),
            party=r.party,
            explanation=r.explanation,
            strength=r.strength,
            level=r.level,
            status=r.status,
            why=r.why,
            events=len(r.events),
            evidence=tuple(by_id[e] for e in r.events[:evidence] if e in by_id),
        )
        for r in rows
    ]
    return page, total
