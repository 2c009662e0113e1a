"""Rules on when and how often: calls per day (2), night contact (3), bursts (9)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import compress, repeat
from operator import attrgetter, gt, sub
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from evidence.numbers import labelled, shown
from evidence.records import EventRecord, FindingDraft
from evidence.rules.catalog import Catalog, CatalogError, Rule, finding_key

if TYPE_CHECKING:
    from evidence.rules import RuleSettings

UNANSWERED = ("missed", "rejected", "blocked", "voicemail")
# The kinds of contact the night rule counts, and how its explanation says each was made.
CONTACT_VERBS = {"call": "来电", "sms": "发来短信", "mms": "发来彩信", "chat": "发来微信消息"}


def connected(e: EventRecord) -> bool:
    return e.status == "answered" or (e.status is None and (e.duration or 0) > 0)


def named(number: str, who: dict[str, str | None]) -> str:
    """How an explanation names who made contact: "好借花（17155550001）", "号码17155550001",
    "微信号wxid_…"."""
    party = who.get(number)
    return f"{party}（{shown(number)}）" if party else labelled(number)


def _draft(
    rule: Rule,
    catalog: Catalog,
    events: Sequence[EventRecord],
    key: str,
    explanation: str,
    party: str | None,
    strength: str | None = None,
    level: str | None = None,
    instruments: tuple[str, ...] | None = None,
) -> FindingDraft:
    first = min(events, key=lambda e: (e.at, e.id))
    numbers = tuple(sorted({e.number for e in events if e.number}))
    return FindingDraft(
        key=key,
        category=rule.category,
        rule=rule.id,
        rule_version=rule.version,
        at=first.at,
        numbers=numbers,
        party=party,
        events=tuple(sorted(e.id for e in events)),
        explanation=explanation,
        strength=strength or rule.strength,
        level=level,
        instruments=catalog.instrument_names(instruments or rule.instruments),
    )


def day_count_findings(
    inbound: Sequence[EventRecord], who: dict[str, str | None], tz: ZoneInfo, catalog: Catalog
) -> list[FindingDraft]:
    """Category 2: per local day, per party (or per number where no party is known)."""
    calls = [e for e in inbound if e.kind == "call"]
    by_party_day: dict[tuple[str, str], list[EventRecord]] = defaultdict(list)
    by_number_day: dict[tuple[str, str], list[EventRecord]] = defaultdict(list)
    clock = LocalClock(tz)
    for e in calls:
        day = clock.place(e.at)[0]
        assert e.number is not None
        by_party_day[(who.get(e.number) or e.number, day)].append(e)
        by_number_day[(e.number, day)].append(e)
    out = []
    attempts, conn, unans = (
        catalog.rule(r)
        for r in ("calls-per-day-attempts", "calls-per-day-connected", "unanswered-attempts-per-number")
    )
    for (subject, day), evs in sorted(by_party_day.items()):
        party = who.get(evs[0].number) if evs[0].number else None
        label = party or f"号码{subject}"
        answered = [e for e in evs if connected(e)]
        # Attempts and connected calls are stated apart, each against its own threshold: the
        # attempts text gives the connected count, the connected text the calls not counted.
        figures = {
            "attempts": len(evs),
            "connected": len(answered),
            "not_connected": len(evs) - len(answered),
            "connected_threshold": conn["threshold"],
        }
        for rule, counted, level in ((attempts, evs, "attempts"), (conn, answered, "connected")):
            if len(counted) > rule["threshold"]:
                text = rule.explanation.format(
                    date=day, who=label, count=len(counted), threshold=rule["threshold"], **figures
                )
                out.append(
                    _draft(
                        rule,
                        catalog,
                        counted,
                        finding_key(rule.id, subject, day),
                        text,
                        party,
                        level=f">{rule['threshold']} {level}",
                    )
                )
    for (number, day), evs in sorted(by_number_day.items()):
        missed = [e for e in evs if e.status in UNANSWERED]
        if len(missed) > unans["threshold"]:
            text = unans.explanation.format(
                date=day, number=number, count=len(missed), threshold=unans["threshold"]
            )
            out.append(
                _draft(
                    unans,
                    catalog,
                    missed,
                    finding_key(unans.id, number, day),
                    text,
                    who.get(number),
                    level=f">{unans['threshold']} unanswered",
                )
            )
    return out


def night_findings(
    inbound: Sequence[EventRecord], who: dict[str, str | None], tz: ZoneInfo, catalog: Catalog
) -> list[FindingDraft]:
    """Category 3: each call or message by a collector outside [08:00:00, 21:00:00] local time."""
    rule = catalog.rule("night-contact")
    bounds = [time.fromisoformat(rule[k]) for k in ("day_start", "day_end", "strict_end")]
    if any(t.microsecond for t in bounds):  # compared below as whole seconds of the local day
        raise CatalogError("night-contact: day_start, day_end and strict_end are whole seconds")
    start, end, strict = (t.hour * 3600 + t.minute * 60 + t.second for t in bounds)
    # One finding per event: a lawyer counts them, and a million events may mean 400,000 of them,
    # so the per-event work is kept to the few fields that differ: the time, the key, the
    # explanation made from a template filled once per sender, kind and strength but for its time.
    strong_instruments = catalog.instrument_names(rule.instruments)
    weak_instruments = catalog.instrument_names(tuple(rule["weak_instruments"]))
    weak_strength = rule["weak_strength"]
    zone = zone_label(tz)
    clock = LocalClock(tz)
    offsets, days = clock.offsets, clock.days
    halves: dict[tuple[bool, str | None, str], tuple[str, str] | None] = {}
    out: list[FindingDraft] = []
    append = out.append
    for e in inbound:
        what = CONTACT_VERBS.get(e.kind)
        if what is None:
            continue
        # clock.place(e.at), spelt out for the hours the clock knows: a call an event
        ts = e.at.timestamp()
        offset = None if e.at.tzinfo is tz else offsets.get(ts // 3600)  # (as in place)
        if offset is None:
            day, t = clock.place(e.at)
            if start <= t <= end:
                continue
        else:
            ts += offset
            n = int(ts // 86400)
            t = ts - n * 86400
            if start <= t <= end:
                continue
            day = days.get(n) or clock.day(n)
        number = e.number
        strong = t >= strict or t < start
        when = day + CLOCK_FACES[int(t) // 60]
        template = rule.explanation if strong else rule["weak_explanation"]
        key = (strong, number, what)
        if key not in halves:
            halves[key] = split_at_when(template, zone=zone, who=named(number or "", who), what=what)
        pair = halves[key]
        explanation = (
            pair[0] + when + pair[1]
            if pair
            else template.format(when=when, zone=zone, who=named(number or "", who), what=what)
        )
        if e.tz_assumed:
            explanation += "（导出文件未注明时区，按本地时区推定）"
        append(
            event_draft(
                rule,
                e,
                explanation,
                who.get(number or ""),
                strong_instruments if strong else weak_instruments,
                strength=rule.strength if strong else weak_strength,
                level="22:00-08:00" if strong else "21:00-22:00",
            )
        )
    return out


_WHEN = "\x00"  # stands for the time while a template is filled


def split_at_when(template: str, **fields: str) -> tuple[str, str] | None:
    """A template filled but for its {when}, as the text before and after it: for a rule that
    makes a finding per event (a night call, a threatening message), filled once per sender and
    kind, each event's time then only goes between the two (`format` took a microsecond or two
    a finding). None where the time cannot be told apart (no {when}, two of them, or a field that
    holds the stand-in): such a template is filled whole for each event."""
    parts = template.format(when=_WHEN, **fields).split(_WHEN)
    return (parts[0], parts[1]) if len(parts) == 2 else None


def event_draft(
    rule: Rule,
    e: EventRecord,
    explanation: str,
    party: str | None,
    instruments: tuple[str, ...],
    strength: str | None = None,
    level: str | None = None,
) -> FindingDraft:
    """A finding about one event (a night call, a threatening message), keyed on rule and event."""
    # The tuple made directly (FindingDraft's own __new__ is a Python function): a microsecond a
    # finding, and there may be a million findings.
    return _new_draft(
        FindingDraft,
        (
            finding_key(rule.id, e.id),
            rule.category,
            rule.id,
            rule.version,
            e.at,
            (e.number,) if e.number else (),
            party,
            (e.id,),
            explanation,
            strength or rule.strength,
            level,
            instruments,
        ),
    )


_new_draft = tuple.__new__

# The zones mainland China keeps on one clock: documents call their time 北京时间.
BEIJING_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"})


def zone_label(tz: ZoneInfo) -> str:
    """How a document names the clock its times are in: 北京时间, or the zone's own name."""
    return "北京时间" if tz.key in BEIJING_ZONES else f"{tz.key}时间"


def minute_text(local: datetime) -> str:
    """ "2026-08-12 23:05": strftime's result, three times faster, for a finding per event."""
    return "%04d-%02d-%02d %02d:%02d" % (local.year, local.month, local.day, local.hour, local.minute)  # noqa: UP031 (twice as fast as the f-string)


CLOCK_FACES = tuple(f" {m // 60:02d}:{m % 60:02d}" for m in range(24 * 60))  # " 23:05" by minute of day
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Where a float POSIX time is exact enough: below 2**32 seconds (the year 2106) a time's
# microseconds are kept to within half a microsecond, so its whole seconds are never misread.
_FLOAT_EXACT = 2**32


class LocalClock:
    """Instants on the local clock of one zone, as `astimezone(tz)` would show them, worked out
    without a datetime per event: a rule pass over a million events took a tenth of its time in
    astimezone and formatting. A zone's offset changes a few times a year at most, so it is
    worked out once per UTC hour, and the hour is known to keep one offset when it has the
    same one at its first and last second (tz data never changes an offset twice in an hour);
    an hour with a change in it, a time outside 1970 to 2106, or a time already in the zone
    takes astimezone as before.

    Rules that place every event read `offsets` and `days` themselves (see night_findings): a
    method call an event was most of what the clock saves."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        # UTC hour (POSIX time // 3600) → the zone's offset in seconds all through it. Only hours
        # known to keep one offset, within 1970 to 2106, are ever here: any other goes by astimezone.
        self.offsets: dict[float, int] = {}
        self.days: dict[int, str] = {}  # local day, counted from 1970-01-01 → "2026-08-12"
        self._seen: set[float] = set()  # the hours looked at, usable or not

    def _learn(self, hour: float) -> int | None:
        if hour in self._seen:
            return None  # looked at before: not usable
        self._seen.add(hour)
        if not (hour >= 0 and (hour + 1) * 3600 <= _FLOAT_EXACT):
            return None
        first, last = (
            datetime.fromtimestamp(hour * 3600 + s, UTC).astimezone(self.tz).utcoffset() for s in (0, 3599)
        )
        if first is None or first != last or first.microseconds:
            return None
        offset = self.offsets[hour] = int(first.total_seconds())
        return offset

    def day(self, n: int) -> str:
        """Local day `n` (counted from 1970-01-01) as "2026-08-12"."""
        text = self.days.get(n)
        if text is None:
            text = self.days[n] = date.fromordinal(_EPOCH_ORDINAL + n).isoformat()
        return text

    def place(self, at: datetime) -> tuple[str, float]:
        """(the local date as "2026-08-12", seconds since local midnight with the microseconds)."""
        ts = at.timestamp()
        # A time already in the zone is shown as it is written, as astimezone shows it: a time in
        # the hour skipped when summer time starts is not moved to the next.
        offset = None
        if at.tzinfo is not self.tz:
            hour = ts // 3600
            offset = self.offsets.get(hour)
            if offset is None:
                offset = self._learn(hour)
        if offset is None:
            local = at.astimezone(self.tz)
            return local.date().isoformat(), (
                local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
            )
        ts += offset
        n = int(ts // 86400)
        return self.day(n), ts - n * 86400

    def minute(self, at: datetime) -> str:
        """ "2026-08-12 23:05", as minute_text(at.astimezone(tz))."""
        day, seconds = self.place(at)
        return day + CLOCK_FACES[int(seconds) // 60]


_BY_TIME = attrgetter("at", "id")


def _groups(events: Sequence[EventRecord], gap_minutes: int, least: int = 1) -> list[list[EventRecord]]:
    """Runs of at least `least` events, each no more than `gap_minutes` after the one before.

    Only the runs asked for are made: among half a million messages nearly every run is one
    message, and a list for each took a burst pass a second."""
    ordered = sorted(events, key=_BY_TIME)
    times = [e.at for e in ordered]
    gap = timedelta(minutes=gap_minutes)  # exact, as the seconds of a timedelta compared were
    runs: list[list[EventRecord]] = []
    start = 0
    for i in compress(range(1, len(times)), map(gt, map(sub, times[1:], times), repeat(gap))):
        if i - start >= least:
            runs.append(ordered[start:i])
        start = i
    if ordered and len(ordered) - start >= least:
        runs.append(ordered[start:])
    return runs


def burst_findings(
    events: Sequence[EventRecord], who: dict[str, str | None], settings: RuleSettings, catalog: Catalog
) -> list[FindingDraft]:
    """Category 9: message floods from many senders (verification codes), and call floods."""
    tz = settings.timezone
    sms_rule, call_rule = catalog.rule("sms-burst"), catalog.rule("call-burst")
    out = []
    messages = [
        e
        for e in events
        if e.direction == "in"
        and e.kind in ("sms", "mms")
        and e.number not in settings.contacts
        and e.number_class != "court"
    ]
    for run in _groups(messages, sms_rule["window_minutes"], sms_rule["min_messages"]):
        senders = {e.number for e in run}
        if len(senders) >= sms_rule["min_senders"]:
            minutes = max(1, round((run[-1].at - run[0].at).total_seconds() / 60))
            when = minute_text(run[0].at.astimezone(tz))
            text = sms_rule.explanation.format(
                when=when, minutes=minutes, senders=len(senders), count=len(run)
            )
            parties = {who.get(e.number or "") for e in run} - {None}
            out.append(
                _draft(
                    sms_rule,
                    catalog,
                    run,
                    finding_key(sms_rule.id, run[0].id),
                    text,
                    parties.pop() if len(parties) == 1 else None,
                )
            )
    calls_by_subject: dict[str, list[EventRecord]] = defaultdict(list)
    for e in events:
        if e.direction == "in" and e.kind == "call" and e.number in who:
            calls_by_subject[who[e.number] or e.number].append(e)  # type: ignore[index]
    for subject, calls in sorted(calls_by_subject.items()):
        for run in _groups(calls, call_rule["window_minutes"], call_rule["min_calls"]):
            minutes = max(1, round((run[-1].at - run[0].at).total_seconds() / 60))
            when = minute_text(run[0].at.astimezone(tz))
            text = call_rule.explanation.format(when=when, minutes=minutes, who=subject, count=len(run))
            out.append(
                _draft(
                    call_rule,
                    catalog,
                    run,
                    finding_key(call_rule.id, run[0].id),
                    text,
                    who.get(run[0].number or ""),
                )
            )
    return out
