"""Reading and judging the evidence: events, findings and the person's decisions on them,
loans against the legal caps, and triage of one message."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from evidence import attribution, events, finding_pages, findings
from evidence.errors import UsageError
from evidence.numbers import parse_number
from evidence.records import EventRecord, FindingRecord
from evidence.store import Store
from evidence.triage import TriageResult, triage_message
from locker.app import OpenStore


def refresh_findings(store: Store) -> None:
    """After anything that changes events or parties: who each number is, then the rules."""
    attribution.refresh(store)  # first: the rules read which party each number is
    findings.refresh(store)


@dataclass(frozen=True)
class EventListing:
    events: list[EventRecord]
    days: list[tuple[str, Counter[str]]] | None  # with per_day: counts per local day and kind
    timezone: ZoneInfo


def list_events(
    open_store: OpenStore,
    *,
    number: str | None = None,
    party: str | None = None,
    kind: str | None = None,
    since: str | None = None,
    until: str | None = None,
    per_day: bool = False,
) -> EventListing:
    """The events, oldest first; `since`/`until` are dates or times in the locker's timezone
    (a date as `until` includes its whole day)."""
    store = open_store()
    chosen = events.EventFilter(
        number=number,
        party=party,
        kind=kind,
        since=events.parse_when(since, store.timezone) if since else None,
        until=events.parse_when(until, store.timezone, end=True) if until else None,
    )
    rows = events.list_events(store, chosen)
    days = events.per_day(rows, store) if per_day else None
    return EventListing(rows, days, store.timezone)


@dataclass(frozen=True)
class FindingListing:
    findings: list[FindingRecord]
    waiting: int  # suggestions not yet confirmed or dismissed (0 when listing suggestions)
    timezone: ZoneInfo

    @property
    def acts(self) -> int:
        """Distinct events: one message can be in three categories, one call both frequent and late."""
        return len({e for f in self.findings for e in f.events})


def list_findings(
    open_store: OpenStore, *, category: int | None = None, party: str | None = None, suggestions: bool = False
) -> FindingListing:
    """The findings (or, with `suggestions`, the model's suggestions), with how many suggestions wait."""
    store = open_store()
    rows = findings.list_findings(
        store, findings.FindingFilter(category=category, party=party, suggestions=suggestions)
    )
    waiting = 0
    if not suggestions:
        chosen = findings.FindingFilter(category=category, party=party, suggestions=True)
        waiting = len(findings.list_findings(store, chosen))
    return FindingListing(rows, waiting, store.timezone)


# --- a page at a time (the local web page, at 100,000 events) ------------------------------------


def pages_of(total: int, per_page: int) -> int:
    """How many pages `total` rows fill (at least one, so an empty listing has its page 1)."""
    return max(1, -(-total // per_page))


@dataclass(frozen=True)
class Timeline:
    days: list[tuple[str, Counter[str]]]  # every day that has events: (local date, counts by kind)
    timezone: ZoneInfo


DayCounter = events.DayCounter


def timeline(open_store: OpenStore, counter: DayCounter | None = None) -> Timeline:
    """Counts per local day and kind, counted by the database (no event is read); with a
    `counter` kept from call to call, only the events added since its last call are counted."""
    store = open_store()
    days = counter.counts(store) if counter is not None else events.day_counts(store)
    return Timeline(days, store.timezone)


@dataclass(frozen=True)
class DayPage:
    day: str
    events: list[EventRecord]
    total: int  # the day's events, all pages
    page: int
    pages: int
    timezone: ZoneInfo


def day_events(open_store: OpenStore, day: str, page: int, per_page: int) -> DayPage:
    """One local day's events, `per_page` at a time (page 1 first)."""
    try:
        date.fromisoformat(day)
    except ValueError as e:
        raise UsageError(f"cannot read the day {day!r}: use 2026-08-11") from e
    store = open_store()
    chosen = events.EventFilter(
        since=events.parse_when(day, store.timezone), until=events.parse_when(day, store.timezone, end=True)
    )
    page = max(1, page)
    rows, total = events.events_page(store, chosen, (page - 1) * per_page, per_page)
    return DayPage(day, rows, total, page, pages_of(total, per_page), store.timezone)


@dataclass(frozen=True)
class FindingsPage:
    counts: list[finding_pages.CategoryCount]  # every category that has findings
    category: int | None  # the category shown (None: there are no findings)
    findings: list[finding_pages.ListedFinding]
    total: int  # the category's findings, all pages
    page: int
    pages: int
    timezone: ZoneInfo


def findings_page(
    open_store: OpenStore, category: int | None, page: int, per_page: int, evidence: int
) -> FindingsPage:
    """One category's findings (the first category that has any, unless one is asked for),
    `per_page` at a time in time order, each with its first `evidence` events; and the counts
    per category and status."""
    store = open_store()
    counts = finding_pages.finding_counts(store)
    if category is None:
        category = next((c.category for c in counts if c.findings), None)
    if category is None:
        return FindingsPage(counts, None, [], 0, 1, 1, store.timezone)
    page = max(1, page)
    listed = next((c.findings for c in counts if c.category == category), 0)
    rows, total = finding_pages.findings_page(
        store, category, (page - 1) * per_page, per_page, evidence, total=listed
    )
    return FindingsPage(counts, category, rows, total, page, pages_of(total, per_page), store.timezone)


def confirm(open_store: OpenStore, finding_id: int) -> None:
    """Confirm a finding: kept across re-runs, marked confirmed in reports (custody logged)."""
    findings.decide(open_store(), finding_id, "confirmed")


def dismiss(open_store: OpenStore, finding_id: int, why: str) -> None:
    """Dismiss a finding with the person's reason: out of reports from now on (custody logged)."""
    findings.decide(open_store(), finding_id, "dismissed", why)


def add_loan(
    open_store: OpenStore,
    party: str,
    principal: Decimal,
    received: Decimal,
    start: date,
    schedule: list[tuple[date, Decimal]],
    lender_type: str | None,
) -> findings.LoanSummary:
    """Record a loan as agreed and re-run the rules (category 10 reads the loans)."""
    if not schedule:
        raise UsageError("give the repayments with --schedule DATE=AMOUNT (repeatable or comma-separated)")
    store = open_store()
    result = findings.record_loan(store, party, principal, received, start, sorted(schedule), lender_type)
    findings.refresh(store)
    return result


def triage(text: str, sender: str | None) -> TriageResult:
    """Is this message real? Judged without a locker and without keeping it."""
    if not text.strip():
        raise UsageError("give the message text with --file, on stdin, or as an argument")
    return triage_message(text, parse_number(sender).canonical if sender else None)
