"""Rules on when and how often: calls per day (2), night contact (3), bursts (9)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from evidence.numbers import labelled, shown
from evidence.records import EventRecord, FindingDraft
from evidence.rules.catalog import Catalog, Rule, finding_key

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
    for e in calls:
        day = e.at.astimezone(tz).date().isoformat()
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
    start, end, strict = (time.fromisoformat(rule[k]) for k in ("day_start", "day_end", "strict_end"))
    # One finding per event: a lawyer counts them, and a million events may mean 400,000 of them,
    # so the per-event work is kept to the few fields that differ.
    strong_instruments = catalog.instrument_names(rule.instruments)
    weak_instruments = catalog.instrument_names(tuple(rule["weak_instruments"]))
    names: dict[str | None, str] = {}
    zone = zone_label(tz)
    out = []
    for e in inbound:
        what = CONTACT_VERBS.get(e.kind)
        if what is None:
            continue
        local = e.at.astimezone(tz)
        t = local.time()  # naive wall-clock time
        if start <= t <= end:
            continue
        when = minute_text(local)
        name = names.get(e.number)
        if name is None:
            name = names[e.number] = named(e.number or "", who)  # inbound: always a number
        assumed = "（导出文件未注明时区，按本地时区推定）" if e.tz_assumed else ""
        strong = t >= strict or t < start
        template = rule.explanation if strong else rule["weak_explanation"]
        out.append(
            event_draft(
                rule,
                e,
                template.format(when=when, zone=zone, who=name, what=what) + assumed,
                who.get(e.number or ""),
                strong_instruments if strong else weak_instruments,
                strength=rule.strength if strong else rule["weak_strength"],
                level="22:00-08:00" if strong else "21:00-22:00",
            )
        )
    return out


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
    # Positional: keywords cost a microsecond a finding, and there may be a million findings.
    return FindingDraft(
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
    )


# The zones mainland China keeps on one clock: documents call their time 北京时间.
BEIJING_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"})


def zone_label(tz: ZoneInfo) -> str:
    """How a document names the clock its times are in: 北京时间, or the zone's own name."""
    return "北京时间" if tz.key in BEIJING_ZONES else f"{tz.key}时间"


def minute_text(local: datetime) -> str:
    """ "2026-08-12 23:05": strftime's result, three times faster, for a finding per event."""
    return "%04d-%02d-%02d %02d:%02d" % (local.year, local.month, local.day, local.hour, local.minute)  # noqa: UP031 (twice as fast as the f-string)


def _groups(events: Sequence[EventRecord], gap_minutes: int) -> list[list[EventRecord]]:
    """Runs of events each no more than `gap_minutes` after the one before."""
    runs: list[list[EventRecord]] = []
    for e in sorted(events, key=lambda e: (e.at, e.id)):
        if runs and (e.at - runs[-1][-1].at).total_seconds() <= gap_minutes * 60:
            runs[-1].append(e)
        else:
            runs.append([e])
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
    for run in _groups(messages, sms_rule["window_minutes"]):
        senders = {e.number for e in run}
        if len(run) >= sms_rule["min_messages"] and len(senders) >= sms_rule["min_senders"]:
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
        for run in _groups(calls, call_rule["window_minutes"]):
            if len(run) >= call_rule["min_calls"]:
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
