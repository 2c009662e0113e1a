"""Attribution: which party each number belongs to, and why, so a document can say why.

    attribute(events, parties) → [Link]

A number is linked to a party by the user (declared with `locker party add`: source "user")
or by its own incoming messages (source "messages"): messages that carry the party's SMS
signature (a declared one, or 【party name】), name the party, or quote a loan reference the
user recorded for it. Every link keeps its reasons: what kind, which text, which events.

Caution, in the rules' manner: the user's declaration always wins; a number whose messages
point at two parties is not linked (ambiguous), nor is a saved contact or an official or
service line (the rules never treat those as collectors unless the user says so). Those
candidates are kept, not linked, with the reason they were held back. A phrase such as
“我们这边” or “我司” names nobody: it only supports a link made by something else.

Links are derived data: `refresh` recomputes them from the declarations and the events
whenever either changes, and nothing about them goes into the custody log.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from evidence.events import event_records
from evidence.parties import MIN_LOAN_REF, record_of
from evidence.records import MESSAGE_KINDS, EventRecord, PartyRecord
from evidence.resources import template_path
from evidence.schema import Event, Party, PartyLink
from evidence.store import Store

# Never linked from their messages alone (evidence.rules.NEVER_COLLECTORS: never collectors
# unless the user puts them in a party); a test keeps the two in step.
OFFICIAL_CLASSES = ("court", "service", "tollfree", "withheld")
MIN_NAME = 2  # a one-character party name would be found in too many unrelated texts
# The reason kinds, strongest first (the order reasons are listed in).
KINDS = ("declared", "signature", "loan_ref", "name", "speaks_for")
HOLDS = ("ambiguous", "declared-elsewhere", "contact", "official")


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str  # one of KINDS
    value: str | None = None  # the signature, name, reference or phrase found in the messages
    events: tuple[int, ...] = ()  # the messages that carry it (event ids, oldest first)


@dataclass(frozen=True, slots=True)
class Link:
    number: str
    party: str
    source: str  # "user" or "messages"
    linked: bool  # False: a candidate held back (see `hold`)
    hold: str | None  # one of HOLDS when not linked
    reasons: tuple[Reason, ...]


@cache
def speaks_for_phrases() -> tuple[str, ...]:
    with template_path("parties.toml").open("rb") as f:
        return tuple(tomllib.load(f)["speaks_for"])


def party_marks(p: PartyRecord) -> list[tuple[str, str]]:
    """(kind, text) pairs that, found in a message, point at `p`."""
    marks = [("signature", s) for s in p.signatures]
    implicit = f"【{p.name}】"
    if "【" not in p.name and "】" not in p.name and implicit not in p.signatures:
        marks.append(("signature", implicit))
    marks += [("loan_ref", r) for r in p.loan_refs if len(r) >= MIN_LOAN_REF]
    if len(p.name) >= MIN_NAME:
        marks.append(("name", p.name))
    return marks


def message_hits(text: str, marks: Sequence[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """(party, kind, value) for every mark found in `text`, except a mark found only inside a
    longer one (好借花 inside 【好借花】, or a party named 借花 inside 【好借花】)."""
    spans: list[tuple[int, int, str, str, str]] = []
    for party, kind, value in marks:
        at = text.find(value)
        while at != -1:
            spans.append((at, at + len(value), party, kind, value))
            at = text.find(value, at + 1)
    kept: set[tuple[str, str, str]] = set()
    for s in spans:
        inside = any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0] for o in spans)
        if not inside:
            kept.add((s[2], s[3], s[4]))
    return kept


def _reasons(found: dict[tuple[str, str], list[int]]) -> tuple[Reason, ...]:
    ordered = sorted(found.items(), key=lambda kv: (KINDS.index(kv[0][0]), -len(kv[1]), kv[0][1]))
    return tuple(Reason(kind, value, tuple(ids)) for (kind, value), ids in ordered)


def attribute(
    events: Iterable[EventRecord],
    parties: Sequence[PartyRecord],
    speaks_for: Sequence[str] | None = None,
) -> list[Link]:
    """Every number's links to parties, with their reasons (pure: records in, links out).

    At most one link per number is `linked`: the user's declaration, else the one party its
    own incoming messages point at. Sorted by number, then party.
    """
    phrases = speaks_for_phrases() if speaks_for is None else tuple(speaks_for)
    declared = {n: p.name for p in parties for n in p.numbers}
    marks = [(p.name, kind, value) for p in parties for kind, value in party_marks(p)]
    pointed: dict[str, dict[str, dict[tuple[str, str], list[int]]]] = {}
    support: dict[str, dict[tuple[str, str], list[int]]] = {}
    contacts: set[str] = set()
    classes: dict[str, str] = {}
    for e in sorted(events, key=lambda e: (e.at, e.id)):
        if e.number is None:
            continue
        classes.setdefault(e.number, e.number_class)
        if e.contact:
            contacts.add(e.number)
        if e.direction != "in" or not e.text or e.kind not in MESSAGE_KINDS:
            continue
        for party, kind, value in message_hits(e.text, marks):
            ids = pointed.setdefault(e.number, {}).setdefault(party, {}).setdefault((kind, value), [])
            ids.append(e.id)
        for phrase in phrases:
            if phrase in e.text:
                support.setdefault(e.number, {}).setdefault(("speaks_for", phrase), []).append(e.id)
    links: list[Link] = []
    for number in sorted(set(declared) | set(pointed)):
        by_party = pointed.get(number, {})
        backing = support.get(number, {})
        own = declared.get(number)
        if own is not None:
            reasons = (Reason("declared"), *_reasons({**by_party.get(own, {}), **backing}))
            links.append(Link(number, own, "user", True, None, reasons))
            for party in sorted(set(by_party) - {own}):
                links.append(
                    Link(number, party, "messages", False, "declared-elsewhere", _reasons(by_party[party]))
                )
            continue
        hold = None
        if len(by_party) > 1:
            hold = "ambiguous"
        elif number in contacts:
            hold = "contact"
        elif classes.get(number) in OFFICIAL_CLASSES:
            hold = "official"
        for party in sorted(by_party):
            found = by_party[party] if hold else {**by_party[party], **backing}
            links.append(Link(number, party, "messages", hold is None, hold, _reasons(found)))
    return links


# --- stored links ---------------------------------------------------------------------------


def _message_events(store: Store) -> list[EventRecord]:
    """The events attribution reads: incoming messages with text, and any event naming a contact."""
    with store.transaction() as s:
        return event_records(
            s,
            {},
            Event.number.is_not(None),
            or_(
                Event.contact.is_not(None),
                and_(Event.direction == "in", Event.text.is_not(None), Event.kind.in_(MESSAGE_KINDS)),
            ),
        )


def refresh(store: Store) -> bool:
    """Recompute every link and store them when they changed (derived data: nothing goes into
    the custody log). Returns whether they changed."""
    records = _message_events(store)
    with store.transaction() as s:
        parties = list(s.scalars(select(Party).order_by(Party.id)))
        ids = {p.name: p.id for p in parties}
        links = attribute(records, [record_of(p) for p in parties])
        if sorted(links, key=_order) == _read(s):
            return False
        s.execute(delete(PartyLink))
        s.add_all(
            PartyLink(
                number=link.number,
                party_id=ids[link.party],
                source=link.source,
                linked=link.linked,
                hold=link.hold,
                reasons=[{"kind": r.kind, "value": r.value, "events": list(r.events)} for r in link.reasons],
            )
            for link in links
        )
    return True


def bring_up_to_date(store: Store) -> None:
    """Before links are read for a listing or a document: refresh them, and the findings with
    them when they changed (a locker upgraded from before links). Nothing on a read-only copy."""
    if store.read_only:
        return
    if refresh(store):
        from evidence import findings

        findings.refresh(store)


def _order(link: Link) -> tuple[bool, str, str]:
    return (not link.linked, link.number, link.party)


def _read(session: Session, party: str | None = None) -> list[Link]:
    q = select(PartyLink, Party.name).join(Party, Party.id == PartyLink.party_id)
    if party is not None:
        q = q.where(Party.name == party)
    out = [
        Link(
            row.number,
            name,
            row.source,
            row.linked,
            row.hold,
            tuple(Reason(r["kind"], r.get("value"), tuple(r.get("events", ()))) for r in row.reasons),
        )
        for row, name in session.execute(q)
    ]
    return sorted(out, key=_order)


def stored_links(store: Store, party: str | None = None) -> list[Link]:
    """The links as last refreshed, linked first, then by number; only `party`'s when given."""
    with store.transaction() as s:
        return _read(s, party)


# --- in words (English, for the command line; documents use templates/letters) -------------


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def reason_text(r: Reason) -> str:
    """One reason in English: what the messages show, and which events show it."""
    if r.kind == "declared":
        return "declared by the user with `locker party add`"
    n = len(r.events)
    msgs = _count(n, "message", "messages") + " from this number"
    what = {
        "signature": f"{'carries' if n == 1 else 'carry'} the signature {r.value}",
        "name": f"{'names' if n == 1 else 'name'} {r.value}",
        "loan_ref": f"{'quotes' if n == 1 else 'quote'} the loan reference {r.value}",
        "speaks_for": f"{'speaks' if n == 1 else 'speak'} for a lender ({r.value!s}; names nobody by itself)",
    }[r.kind]
    cited = ", ".join(map(str, r.events))
    return f"{msgs} {what} ({'event' if n == 1 else 'events'} {cited})"


HOLD_TEXT = {
    "ambiguous": "not linked: its messages point at more than one party",
    "declared-elsewhere": "not linked: the user declared this number for another party",
    "contact": "not linked: a saved contact (if it is the lender's, say so with `locker party add`)",
    "official": "not linked: an official or service line (if it is the lender's: `locker party add`)",
}


def link_text(link: Link) -> str:
    """All of a link's reasons in English, led by why it is held back when it is."""
    parts = [reason_text(r) for r in link.reasons]
    if link.hold:
        parts.insert(0, HOLD_TEXT[link.hold])
    return "; ".join(parts)
