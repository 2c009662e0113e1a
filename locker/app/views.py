"""Records and results as JSON-able dicts: the `--json` contract (field names stay stable), and
what the web page renders. Times are ISO 8601 with their offset in the locker's timezone.

The bundle's CSV tables are not here: they name columns and values in Chinese from
templates/bundle/columns.toml, and `complaints` may not import `locker` (dependencies run
locker → complaints → evidence).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from evidence import attribution, timestamps
from evidence.finding_pages import CategoryCount, ListedFinding
from evidence.intake import AddResult
from evidence.items import ItemDetail, ItemSummary
from evidence.parties import IDENTITY_FIELDS, Suggestion
from evidence.records import EventRecord, FindingRecord, PartyRecord
from evidence.verification import VerifyReport
from locker.app.intake import Declared, Transcribed
from locker.app.stamps import Setting


def iso_local(at: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the offset, in the locker's timezone (the contract's time form)."""
    return None if at is None else at.astimezone(tz).isoformat()


def plain(value: Any) -> Any:
    """A result dataclass as JSON-able values: amounts and dates as their exact strings."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value)
    return value


# --- originals ------------------------------------------------------------------------------


def added(r: AddResult, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "name": r.name,
        "size": r.size,
        "sha256": r.sha256,
        "captured_at": iso_local(r.captured_at, tz),
        "number": r.number,
        "duplicate": r.duplicate,
        "events": r.events,
        "media_type": r.media_type,
        "warning": r.warning,
    }


def item(r: ItemSummary, tz: ZoneInfo) -> dict[str, Any]:
    """An item in a listing: the shape of `added`, without the warning."""
    return {
        "id": r.item.id,
        "kind": r.item.kind,
        "name": r.item.name,
        "size": r.item.size,
        "sha256": r.item.sha256,
        "captured_at": iso_local(r.item.captured_at, tz),
        "number": r.item.number,
        "duplicate": False,
        "events": r.events,
        "media_type": r.item.media_type,
    }


def item_detail(d: ItemDetail, tz: ZoneInfo) -> dict[str, Any]:
    i = d.item
    return {
        "id": i.id,
        "name": i.name,
        "kind": i.kind,
        "media_type": i.media_type,
        "export_format": i.export_format,
        "size": i.size,
        "sha256": i.sha256,
        "added_at": iso_local(i.added_at, tz),
        "captured_at": iso_local(i.captured_at, tz),
        "captured_tz_assumed": i.captured_tz_assumed,
        "number": i.number,
        "contact": i.contact,
        "duration": i.duration,
        "events": d.events,
        "facts": [
            {"fact": f.fact, "value": f.value, "source": f.source, "detail": f.detail} for f in d.facts
        ],
    }


def verified(report: VerifyReport, adopted: list[int]) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "items_checked": report.items_checked,
        "problems": [{"item": p.item, "problem": p.problem} for p in report.problems],
        "unrecorded": report.unrecorded,
        "leftovers": report.leftovers,
        "damaged": report.damaged,
        "adopted": adopted,
        "custody_head": report.head,
        "recorded": report.recorded,
        "stamps_checked": report.stamps,
    }


def file_format(f: Any) -> dict[str, Any]:
    """One entry of `locker formats`."""
    return dataclasses.asdict(f)


def declared(d: Declared) -> dict[str, Any]:
    """What `log` recorded: the declaration's item and its event."""
    return {"item": d.item, "event": d.event}


def transcribed(t: Transcribed) -> dict[str, Any]:
    """What `transcribe` recorded: the transcript's item and an event per passage."""
    return {"item": t.item, "events": t.events}


# --- events and findings ----------------------------------------------------------------------


def event(e: EventRecord, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": e.id,
        "item": e.item,
        "kind": e.kind,
        "direction": e.direction,
        "number": e.number,
        "number_class": e.number_class,
        "contact": e.contact,
        "at": iso_local(e.at, tz),
        "tz_assumed": e.tz_assumed,
        "duration": e.duration,
        "status": e.status,
        "text": e.text,
        "party": e.party,
        "declared": e.declared,
    }


def day_counts(day: str, counts: Counter[str]) -> dict[str, Any]:
    """One local day's events, counted by kind."""
    return {"date": day, **dict(counts)}


def finding(f: FindingRecord, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": f.id,
        "key": f.key,
        "category": f.category,
        "rule": f.rule,
        "rule_version": f.rule_version,
        "at": iso_local(f.at, tz),
        "numbers": list(f.numbers),
        "party": f.party,
        "events": list(f.events),
        "items": list(f.items),
        "explanation": f.explanation,
        "strength": f.strength,
        "level": f.level,
        "instruments": list(f.instruments),
        "status": f.status,
        "why": f.why,
    }


def listed_finding(f: ListedFinding, tz: ZoneInfo) -> dict[str, Any]:
    """A finding on a page of findings: the shape of `finding`, with how many events it rests
    on in place of their ids (its first few come as events of their own)."""
    return {
        "id": f.id,
        "key": f.key,
        "category": f.category,
        "rule": f.rule,
        "at": iso_local(f.at, tz),
        "numbers": list(f.numbers),
        "party": f.party,
        "explanation": f.explanation,
        "strength": f.strength,
        "level": f.level,
        "status": f.status,
        "why": f.why,
        "events": f.events,
    }


def category_count(c: CategoryCount) -> dict[str, Any]:
    return dataclasses.asdict(c)


# --- parties --------------------------------------------------------------------------------


def party(p: PartyRecord) -> dict[str, Any]:
    """A party in a listing."""
    return {"name": p.name, "numbers": list(p.numbers), "signatures": list(p.signatures)}


def identity(p: PartyRecord) -> dict[str, str | None]:
    """Who a party is in law, field by field (None: not recorded)."""
    return {name: getattr(p, name) for name in IDENTITY_FIELDS}


def reason_text(r: attribution.Reason) -> str:
    return attribution.reason_text(r)


def link_text(link: attribution.Link) -> str:
    return attribution.link_text(link)


def link(x: attribution.Link) -> dict[str, Any]:
    return {
        "number": x.number,
        "source": x.source,
        "linked": x.linked,
        "hold": x.hold,
        "reasons": [
            {"kind": r.kind, "value": r.value, "events": list(r.events), "text": reason_text(r)}
            for r in x.reasons
        ],
    }


def party_detail(p: PartyRecord, links: list[attribution.Link]) -> dict[str, Any]:
    return {
        "name": p.name,
        "numbers": list(p.numbers),
        "signatures": list(p.signatures),
        "loan_refs": list(p.loan_refs),
        **identity(p),
        "links": [link(x) for x in links],
    }


def suggestion(s: Suggestion) -> dict[str, Any]:
    return {"number": s.number, "party": s.party, "messages": s.messages, "reason": s.reason}


# --- stamps ---------------------------------------------------------------------------------


def token(t: timestamps.Token, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "tsa": t.tsa,
        "tsa_name": t.tsa_name,
        "gen_time": iso_local(t.gen_time, tz),
        "serial": str(t.serial),
    }


def stamped(outcome: timestamps.StampOutcome, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "entry": outcome.entry,
        "head_seq": outcome.head_seq,
        "head": outcome.head,
        "tokens": [token(t, tz) for t in outcome.tokens],
        "failed": list(outcome.failures),
    }


def settings(rows: list[Setting]) -> dict[str, str]:
    """Each setting's value as shown (stamp-ca as subjects and fingerprints)."""
    return {s.key: s.shown for s in rows}
