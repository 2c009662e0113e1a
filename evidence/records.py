"""Plain, immutable records passed between stages: what parsers yield, what rules read and write.

The ORM models in `evidence.schema` are the stored form; these records are what the pure
stages (importers, rules, complaint assembly) take and return, so those stages never touch
a database session and are trivial to test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

# Event kinds, directions and call statuses (the `events --json` contract).
EVENT_KINDS = ("call", "sms", "mms", "chat", "recording", "transcript", "image", "visit", "post", "letter")
# The kinds that are a message someone sent from an address (a number, a WeChat account).
MESSAGE_KINDS = ("sms", "mms", "chat")
DIRECTIONS = ("in", "out")
CALL_STATUSES = ("answered", "missed", "rejected", "blocked", "voicemail")
# The ten categories of violation; every rule in the catalog belongs to one.
CATEGORIES = tuple(range(1, 11))


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    """One act of contact as a parser read it from an item, before numbers are canonicalised.

    `at` is always timezone-aware. When the source gave no offset the parser applies the
    locker's timezone and sets `tz_assumed`, so documents can say so.
    """

    kind: str
    direction: str | None
    raw_number: str | None
    at: datetime
    tz_assumed: bool = False
    duration: float | None = None
    status: str | None = None
    text: str | None = None
    contact: str | None = None
    # Other parties of a group message (raw numbers), and the source's own record id if any.
    other_numbers: tuple[str, ...] = ()
    source_ref: str | None = None


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """A record an importer could not read (or read only in part), yielded in place of an event.

    `position` says where it is ("line 12, column 4", "row 7", "message 3"); `reason` says why,
    in English, without any of the record's content (no number, no text): it is shown to the
    user and may end up in a bug report.
    """

    position: str
    reason: str


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A stored event as the rules and complaints see it."""

    id: int
    item: int
    kind: str
    direction: str | None
    number: str | None  # canonical form (evidence.numbers)
    number_class: str
    contact: str | None
    at: datetime  # aware, UTC or local; rules convert with settings.timezone
    duration: float | None
    status: str | None
    text: str | None
    tz_assumed: bool = False
    party: str | None = None  # name of the declared party the number belongs to, if any
    declared: bool = False  # entered by the user (`locker log`), not read from an export


@dataclass(frozen=True, slots=True)
class PartyRecord:
    name: str
    numbers: tuple[str, ...] = ()  # canonical
    signatures: tuple[str, ...] = ()  # e.g. "【好借花】"
    apps: tuple[str, ...] = ()
    loan_refs: tuple[str, ...] = ()  # loan or contract references the user recorded
    # Who the party is in law, as the user recorded it (evidence.parties.set_identity).
    lender_type: str | None = None  # a key of evidence.parties.LENDER_TYPES
    legal_name: str | None = None
    credit_code: str | None = None  # 统一社会信用代码
    address: str | None = None
    app_name: str | None = None
    contract: str | None = None


class FindingDraft(NamedTuple):
    """A violation a rule found. `key` is stable across re-runs (rule id + sorted event ids).

    A named tuple, not a frozen dataclass: a rule pass over a million events may make several
    hundred thousand of these, and a tuple is built five times faster."""

    key: str
    category: int  # 1..10
    rule: str
    rule_version: int
    at: datetime  # first event
    numbers: tuple[str, ...]
    party: str | None
    events: tuple[int, ...]
    explanation: str  # Simplified Chinese
    strength: str  # "strong" | "moderate" | "weak"
    level: str | None = None  # which threshold level was breached, e.g. "21:00" or "22:00"
    instruments: tuple[str, ...] = ()  # names of the instruments engaged (catalog, verified only)


@dataclass(frozen=True, slots=True)
class FindingRecord:
    """A stored finding, with the user's decision."""

    id: int
    key: str
    category: int
    rule: str
    rule_version: int
    at: datetime
    numbers: tuple[str, ...]
    party: str | None
    events: tuple[int, ...]
    items: tuple[int, ...]
    explanation: str
    strength: str
    status: str  # "auto" | "confirmed" | "dismissed"
    level: str | None = None
    instruments: tuple[str, ...] = ()
    why: str | None = None  # the user's reason when dismissed


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """A sealed original as documents and listings see it."""

    id: int
    name: str
    kind: str  # audio, image, video, export, document
    size: int
    sha256: str
    added_at: datetime
    captured_at: datetime | None
    number: str | None
    media_type: str | None = None
    facts: tuple[tuple[str, str, str], ...] = field(default=())  # (fact, value, source)
