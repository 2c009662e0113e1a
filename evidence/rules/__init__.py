"""The violation engine: pure functions from events, parties and settings to findings.

    apply_rules(events, parties, settings) → [FindingDraft]   (sorted by time)
    iter_rules(events, parties, settings) → FindingDraft, ...  (as made: to write in batches)

Who counts as a collector: every number of a declared party, and any other number whose own
incoming messages are about collecting a debt (or engage a text rule) — except the
borrower's known contacts, official court numbers and bank or service lines, which are never
collectors unless the user put them in a party. Nothing the borrower sent is ever a finding.

Finding keys are stable across re-runs, so the user's confirm/dismiss decisions survive a
newer backup: per-day rules key on (rule, who, local date), per-event rules on (rule, event),
bursts on (rule, first event).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from zoneinfo import ZoneInfo

from evidence.records import EventRecord, FindingDraft, PartyRecord
from evidence.rules.catalog import Catalog, finding_key, load_catalog
from evidence.rules.fees import loan_findings
from evidence.rules.texts import TextHit, TextJudge, excerpt, is_collection_text
from evidence.rules.timing import (
    CLOCK_FACES,
    LocalClock,
    burst_findings,
    day_count_findings,
    event_draft,
    named,
    night_findings,
)

__all__ = [
    "Catalog",
    "RuleSettings",
    "apply_rules",
    "finding_key",
    "iter_rules",
    "load_catalog",
    "paused_gc",
]

SENTENCE_STOPS = "。！？!?…"
NEVER_COLLECTORS = ("court", "service", "tollfree", "withheld")  # unless declared in a party


@dataclass(frozen=True)
class RuleSettings:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    owner_numbers: frozenset[str] = frozenset()
    contacts: frozenset[str] = frozenset()  # known personal contacts: never collectors unless in a party


def collectors(
    events: Sequence[EventRecord], settings: RuleSettings, catalog: Catalog, judge: TextJudge | None = None
) -> dict[str, str | None]:
    """number → party name (None for an undeclared collector)."""
    judge = judge or TextJudge()
    found: dict[str, str | None] = {}
    for e in events:
        if e.number is None or e.number in settings.owner_numbers:
            continue
        if e.party is not None:
            found[e.number] = e.party
            continue
        if e.number in found or e.number in settings.contacts or e.number_class in NEVER_COLLECTORS:
            continue
        if (
            e.direction == "in"
            and e.text
            and (is_collection_text(e.text, catalog.collection) or judge.hits(e.text, False))
        ):
            found[e.number] = None
    return found


def apply_rules(
    events: Sequence[EventRecord],
    parties: Sequence[PartyRecord],
    settings: RuleSettings,
    catalog: Catalog | None = None,
    loans: Sequence[object] = (),
) -> list[FindingDraft]:
    """Every finding, in time order (then category and key)."""
    with paused_gc():
        out = list(iter_rules(events, parties, settings, catalog, loans))
    out.sort(key=_BY_TIME)
    return out


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while a rule pass runs, as it was before after it.

    A pass makes a finding or two per event, each a few tuples, and every so many of them the
    collector walks all the objects that live long: the events (a million of them), the findings
    made so far: up to a third of a million-event pass on a busy machine. A pass makes no cyclic garbage once
    the judgement is loaded (`gc.collect()` after one finds none), so nothing waits on the
    collector; reference counting frees all the rest as before.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def iter_rules(
    events: Sequence[EventRecord],
    parties: Sequence[PartyRecord],
    settings: RuleSettings,
    catalog: Catalog | None = None,
    loans: Sequence[object] = (),
) -> Iterator[FindingDraft]:
    """apply_rules' findings in the order the rules make them: 100,000 collection messages make
    nearly twice as many findings, about 170 MB as drafts, so a caller that writes them in
    batches never holds them all."""
    catalog = catalog or load_catalog()
    judge = TextJudge()
    who = collectors(events, settings, catalog, judge)
    inbound = [e for e in events if e.direction == "in" and e.number in who]
    yield from day_count_findings(inbound, who, settings.timezone, catalog)
    yield from night_findings(inbound, who, settings.timezone, catalog)
    yield from burst_findings(events, who, settings, catalog)
    yield from text_findings(events, who, settings, judge, catalog, parties)
    yield from loan_findings(loans, catalog)


# How an explanation says the words reached the borrower: written, or said in a call the user
# recorded and transcribed (evidence.transcripts), which it names as the user's transcript.
SAID_DEFAULT = "发来的内容"
SAID = {"transcript": "在通话中所说的内容（据本人整理的通话录音文字稿）"}


def describe(e: EventRecord, who: dict[str, str | None]) -> str:
    return named(e.number, who) if e.number else "截图中的对方"


def screenshot_party(text: str, parties: Sequence[PartyRecord]) -> str | None:
    """A chat screenshot has no number: its party is the one whose name or signature it shows."""
    named = [p.name for p in parties if p.name in text or any(sig in text for sig in p.signatures)]
    return named[0] if len(named) == 1 else None


def hit_explanation(template: str, hit: TextHit, when: str, who: str, said: str) -> str:
    explanation = template.format(
        when=when, who=who, said=said, excerpt=hit.excerpt, words=hit.words, act=hit.act
    )
    if hit.excerpt[-1:] in SENTENCE_STOPS:  # a quotation ending its own sentence: no second stop
        explanation = explanation.replace(f"{hit.excerpt}”。", f"{hit.excerpt}”", 1)
    return explanation


def text_findings(
    events: Sequence[EventRecord],
    who: dict[str, str | None],
    settings: RuleSettings,
    judge: TextJudge,
    catalog: Catalog,
    parties: Sequence[PartyRecord] = (),
) -> Iterator[FindingDraft]:
    by_category = {r.category: r for r in catalog.rules.values() if r.id.startswith("text-")}
    by_suggestion = {r.category: r for r in catalog.rules.values() if r.id.startswith("suggested-")}
    instruments = {r.id: catalog.instrument_names(r.instruments) for r in catalog.rules.values()}
    tz = settings.timezone
    clock = LocalClock(tz)
    offsets, days = clock.offsets, clock.days
    names: dict[str | None, str] = {}  # a few hundred numbers send hundreds of thousands of messages
    for e in events:
        if not e.text:
            continue
        # Collectors' own messages, and screenshots (chat captures whose sender has no number).
        if e.kind == "image":
            pass
        elif not (e.direction == "in" and e.number in who):
            continue
        party = who.get(e.number) if e.number else screenshot_party(e.text, parties)
        # A number here is a collector's (`who`); a screenshot's sender is one when it shows a
        # party's name or signature. Veiled menace is read as menace only from them.
        collector = e.number in who if e.number else party is not None
        hits, doubted, suggestions = judge.judged(e.text, e.number_class == "court", collector)
        if not hits and not doubted and not suggestions:
            continue
        # clock.minute(e.at), spelt out for the hours the clock knows (as in night_findings)
        at = e.at
        ts = at.timestamp()
        offset = None if at.tzinfo is tz else offsets.get(ts // 3600)
        if offset is None:
            when = clock.minute(at)
        else:
            ts += offset
            n = int(ts // 86400)
            when = (days.get(n) or clock.day(n)) + CLOCK_FACES[int(ts - n * 86400) // 60]
        name = names.get(e.number)
        if name is None:
            name = names[e.number] = describe(e, who)
        said = SAID.get(e.kind, SAID_DEFAULT)
        for hit in hits:
            rule = by_category[hit.category]
            explanation = hit_explanation(rule.explanation, hit, when, name, said)
            yield event_draft(rule, e, explanation, party, instruments[rule.id])
        for hit in doubted:  # a cue's words in a message the model reads as unlike a violation
            rule = by_suggestion[hit.category]
            explanation = hit_explanation(rule["doubted"], hit, when, name, said)
            yield event_draft(rule, e, explanation, party, instruments[rule.id])
        for suggestion in suggestions:
            rule = by_suggestion[suggestion.category]
            explanation = rule.explanation.format(
                when=when, who=name, said=said, excerpt=excerpt(e.text, 0), words=suggestion.words
            )
            yield event_draft(rule, e, explanation, party, instruments[rule.id])


_BY_TIME = itemgetter(4, 1, 0)  # (at, category, key) of a FindingDraft, at C speed
