"""Reading events back: filtered listings as records (whole, or a page at a time), and counts per
local day."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from evidence.errors import UsageError
from evidence.numbers import parse_number
from evidence.records import EVENT_KINDS, EventRecord
from evidence.schema import Event, Party, PartyLink, PartyNumber
from evidence.store import Store


@dataclass(frozen=True)
class EventFilter:
    number: str | None = None
    party: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


# The years a user may name (times and dates alike): far wider than any case, and narrow enough
# that moving a time to UTC or another timezone can never run past datetime's years 1 and 9999.
FIRST_YEAR, LAST_YEAR = 1970, 2100


def parse_when(text: str, store_tz: object, end: bool = False) -> datetime:
    """A user's time: ISO date or date-time; without an offset it is read in the locker's timezone.

    Only years FIRST_YEAR to LAST_YEAR are taken (an OverflowError later would not be a usage error).
    """
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            dt = datetime.combine(d, time.max if end else time.min)
        else:
            dt = datetime.fromisoformat(text)
    except ValueError as e:
        raise UsageError(f"cannot read the time {text!r}: use 2026-08-11 or 2026-08-11T22:40[+08:00]") from e
    if not FIRST_YEAR <= dt.year <= LAST_YEAR:
        raise UsageError(f"the time {text!r} is out of range: give a year from {FIRST_YEAR} to {LAST_YEAR}")
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=store_tz)  # type: ignore[arg-type]


def party_numbers(session: Session) -> dict[str, str]:
    """canonical number → party name: every declared number, and every number its own messages
    link to one party (evidence.attribution, as last refreshed); a declaration always wins."""
    linked = session.execute(
        select(PartyLink.number, Party.name)
        .join(Party, Party.id == PartyLink.party_id)
        .where(PartyLink.linked.is_(True), PartyLink.source == "messages")
    )
    declared = session.execute(
        select(PartyNumber.number, Party.name).join(Party, Party.id == PartyNumber.party_id)
    )
    return {**dict(linked.all()), **dict(declared.all())}


def to_record(e: Event, parties: dict[str, str]) -> EventRecord:
    return EventRecord(
        id=e.id,
        item=e.item_id,
        kind=e.kind,
        direction=e.direction,
        number=e.number,
        number_class=e.number_class,
        contact=e.contact,
        at=e.at,
        duration=e.duration,
        status=e.status,
        text=e.text,
        tz_assumed=e.tz_assumed,
        party=parties.get(e.number) if e.number else None,
        declared=e.declared,
    )


# The columns an EventRecord is read from (its party comes from the number).
RECORD_COLUMNS = (
    Event.id,
    Event.item_id,
    Event.kind,
    Event.direction,
    Event.number,
    Event.number_class,
    Event.contact,
    Event.at,
    Event.duration,
    Event.status,
    Event.text,
    Event.tz_assumed,
    Event.declared,
)


def event_records(session: Session, parties: dict[str, str], *where: Any) -> list[EventRecord]:
    """Every event (or those matching `where`) as a record, in time order, built from plain column
    rows streamed from the database (no ORM object per event: 100,000 messages are read in a
    fraction of the time).

    The few distinct kinds, directions, numbers, classes, statuses and contact names are each
    held once, not once per event (a fifth of the records' memory).
    """
    rows = session.connection().execute(select(*RECORD_COLUMNS).where(*where).order_by(Event.at, Event.id))
    party_of = parties.get
    one: dict[Any, Any] = {}
    held = one.setdefault
    return [
        EventRecord(
            id=i,
            item=item,
            kind=held(kind, kind),
            direction=held(d, d),
            number=held(n, n),
            number_class=held(cls, cls),
            contact=held(contact, contact),
            at=at,
            duration=dur,
            status=held(status, status),
            text=text,
            tz_assumed=tz,
            party=party_of(n) if n else None,
            declared=dec,
        )
        for i, item, kind, d, n, cls, contact, at, dur, status, text, tz, dec in rows
    ]


def _filtered(session: Session, f: EventFilter, parties: dict[str, str]) -> Select[Any]:
    q = select(Event).order_by(Event.at, Event.id)
    if f.kind is not None:
        if f.kind not in EVENT_KINDS:
            raise UsageError(f"unknown kind {f.kind!r}: one of {', '.join(EVENT_KINDS)}")
        q = q.where(Event.kind == f.kind)
    if f.number is not None:
        q = q.where(Event.number == (parse_number(f.number).canonical or f.number))
    if f.party is not None:
        numbers = [n for n, p in parties.items() if p == f.party]
        if not session.scalar(select(Party.id).where(Party.name == f.party)):
            raise UsageError(f"no party named {f.party!r}: `locker party ls` lists them")
        q = q.where(Event.number.in_(numbers))
    if f.since is not None:
        q = q.where(Event.at >= f.since)
    if f.until is not None:
        q = q.where(Event.at <= f.until)
    return q


def list_events(store: Store, f: EventFilter = EventFilter()) -> list[EventRecord]:
    with store.transaction() as s:
        parties = party_numbers(s)
        return [to_record(e, parties) for e in s.scalars(_filtered(s, f, parties))]


def per_day(events: Sequence[EventRecord], store: Store) -> list[tuple[str, Counter[str]]]:
    """(local date, counts by kind) in date order."""
    days: dict[str, Counter[str]] = {}
    for e in events:
        day = e.at.astimezone(store.timezone).date().isoformat()
        days.setdefault(day, Counter())[e.kind] += 1
    return sorted(days.items())


def events_page(store: Store, f: EventFilter, offset: int, limit: int) -> tuple[list[EventRecord], int]:
    """`limit` events from `offset` on, in time order, and how many match `f` in all: one page of
    a long listing, read through the time index, never the whole table."""
    with store.transaction() as s:
        parties = party_numbers(s)
        q = _filtered(s, f, parties)
        total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery())) or 0
        # The page's ids first, through the time index: SQLite reads every column (the text too)
        # of each row an OFFSET skips.
        ids = list(s.scalars(q.with_only_columns(Event.id).offset(offset).limit(limit)))
        rows = event_records(s, parties, Event.id.in_(ids))
    return rows, total


def day_counts(store: Store) -> list[tuple[str, Counter[str]]]:
    """(local date, counts by kind) in date order, as `per_day` gives, but counted by the
    database from the (at, kind) index: 100,000 events are never read into records."""
    with store.transaction() as s:
        return sorted(_count_days(s, store.timezone, {}).items())


def _count_days(
    s: Session, tz: ZoneInfo, days: dict[str, Counter[str]], after_id: int | None = None
) -> dict[str, Counter[str]]:
    """Add the counts per local day and kind of the events (those after `after_id`) to `days`.

    On SQLite a day is `date(at, '+N minutes')` with the timezone's offset, so the events are
    counted once per stretch of constant offset (a daylight-saving zone has two a year; Asia/
    Shanghai one). Elsewhere (PostgreSQL) the database knows the zones itself."""
    newer = () if after_id is None else (Event.id > after_id,)
    first, last = s.execute(select(func.min(Event.at), func.max(Event.at)).where(*newer)).one()
    if first is None:
        return days
    if s.get_bind().dialect.name == "sqlite":
        for start, end, minutes in offset_spans(first, last, tz):
            day = func.date(Event.at, f"{minutes:+d} minutes")
            q = select(day, Event.kind, func.count()).where(*newer).group_by(day, Event.kind)
            if start is not None:
                q = q.where(Event.at >= start)
            if end is not None:
                q = q.where(Event.at < end)
            for d, kind, n in s.execute(q):
                days.setdefault(str(d), Counter())[kind] += n
    else:
        day = func.to_char(func.timezone(tz.key, func.timezone("UTC", Event.at)), "YYYY-MM-DD")
        for d, kind, n in s.execute(
            select(day, Event.kind, func.count()).where(*newer).group_by(day, Event.kind)
        ):
            days.setdefault(str(d), Counter())[kind] += n
    return days


class DayCounter:
    """`day_counts` kept up to date between calls (a page shown again and again): events are only
    ever added, never changed or removed, so a call counts only those added since the last one
    (by id), and starts over when the total says otherwise (a database put back from a copy)."""

    def __init__(self) -> None:
        self._days: dict[str, Counter[str]] = {}
        self._last_id: int | None = None  # None: nothing counted yet
        self._total = 0
        self._timezone: ZoneInfo | None = None

    def counts(self, store: Store) -> list[tuple[str, Counter[str]]]:
        with store.transaction() as s:
            # `count(*)` alone is answered from the smallest index; max(id) from the table's end.
            total = s.scalar(select(func.count()).select_from(Event)) or 0
            last_id = s.scalar(select(func.max(Event.id))) or 0
            known = self._last_id is not None and self._timezone == store.timezone
            if known and (last_id, total) == (self._last_id, self._total):
                return sorted(self._days.items())
            if known and self._last_id is not None and last_id > self._last_id:
                added = _count_days(s, store.timezone, {}, self._last_id)
                if self._total + sum(sum(c.values()) for c in added.values()) == total:
                    for day, kinds in added.items():
                        self._days.setdefault(day, Counter()).update(kinds)
                    self._last_id, self._total = last_id, total
                    return sorted(self._days.items())
            self._days = _count_days(s, store.timezone, {})
            self._last_id, self._total, self._timezone = last_id, total, store.timezone
            return sorted(self._days.items())


def _offset_minutes(at: datetime, tz: ZoneInfo) -> int:
    offset = at.astimezone(tz).utcoffset()
    return 0 if offset is None else int(offset.total_seconds()) // 60


def offset_spans(
    first: datetime, last: datetime, tz: ZoneInfo
) -> list[tuple[datetime | None, datetime | None, int]]:
    """The stretches of constant UTC offset (minutes) of `tz` between two instants, as (start,
    end, minutes), the first open at its start and the last at its end. The offset is looked
    at once a day; a change is then found to the second (zones change on whole seconds)."""
    spans: list[tuple[datetime | None, datetime | None, int]] = []
    start: datetime | None = None
    minutes = _offset_minutes(first, tz)
    t = first
    while t < last:
        step = min(t + timedelta(days=1), last)
        if _offset_minutes(step, tz) != minutes:
            lo, hi = int(t.timestamp()), int(step.timestamp()) + 1
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_minutes(datetime.fromtimestamp(mid, first.tzinfo), tz) == minutes:
                    lo = mid
                else:
                    hi = mid
            change = datetime.fromtimestamp(hi, first.tzinfo)
            spans.append((start, change, minutes))
            start, minutes = change, _offset_minutes(change, tz)
        t = step
    spans.append((start, None, minutes))
    return spans
