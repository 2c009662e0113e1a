"""Reading and judging the evidence: events, findings and the person's decisions on them,
loans against the legal caps, and triage of one message."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from evidence import attribution, events, findings
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


@dataclass(frozen=True)
class FindingsWithEvidence:
    listing: FindingListing
    events: dict[int, EventRecord]  # the events the findings point at, by id


def findings_with_evidence(open_store: OpenStore) -> FindingsWithEvidence:
    """The findings and the events each rests on (message text, call row), for a page that
    shows a finding together with its evidence."""
    listing = list_findings(open_store)
    wanted = {e for f in listing.findings for e in f.events}
    rows = events.list_events(open_store(), events.EventFilter())
    return FindingsWithEvidence(listing, {e.id: e for e in rows if e.id in wanted})


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
