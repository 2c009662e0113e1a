"""`verify`, `verify --repair` and `gc`: re-derive the custody chain and every record's digest,
decrypt and re-hash every original, check the database's pages, account for every object, and
re-verify every trusted timestamp of the custody head (evidence.timestamps).

A complete object no item points to is evidence (an add killed between rename and commit, or
a database rolled back or lost): it is reported, and `repair_store` adopts it again as a
recovered item. Only temp files of interrupted writes are garbage.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence import age, custody, outputs, timestamps
from evidence.database import integrity_problems
from evidence.schema import CustodyEntry, Event, Item, ItemFact
from evidence.store import Store


@dataclass
class Problem:
    item: int | None  # None for problems of the log or the folder
    problem: str


@dataclass
class VerifyReport:
    ok: bool
    items_checked: int
    problems: list[Problem] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)  # complete objects no item points to: evidence
    leftovers: list[str] = field(default_factory=list)  # temp files of interrupted writes (gc removes)
    damaged: list[str] = field(default_factory=list)  # database pages that fail their checks
    head: str = custody.GENESIS
    recorded: bool = True  # whether this check got its own custody entry
    stamps: int = 0  # trusted timestamps (tokens) re-verified


# --- digests of what is recorded ------------------------------------------------------------

# Every column a document or bundle may state about an item or event. A new column joins a new
# digest version (the custody entry says which), so older entries keep verifying.
ITEM_COLUMNS = tuple(Item.__table__.columns)
FACT_COLUMNS = tuple(c for c in ItemFact.__table__.columns if c.name != "item_id")
EVENT_COLUMNS = tuple(Event.__table__.columns)
# The first lockers' `events_digest` covered only these (kept to check their entries).
V1_EVENT_COLUMNS = (
    Event.dedupe_key,
    Event.kind,
    Event.direction,
    Event.raw_number,
    Event.at,
    Event.duration,
    Event.status,
    Event.text,
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _rows_digest(h: Any, rows: Iterable[Sequence[Any]]) -> None:
    for row in rows:
        h.update(custody.canonical_json([_plain(v) for v in row]))
        h.update(b"\n")


def events_digest(rows: Iterable[Sequence[Any]]) -> str:
    """Digest of version-1 event rows (V1_EVENT_COLUMNS in dedupe-key order)."""
    h = hashlib.sha256()
    _rows_digest(h, rows)
    return h.hexdigest()


def item_events_digest(session: Session, item_id: int) -> str:
    q = select(*V1_EVENT_COLUMNS).where(Event.item_id == item_id).order_by(Event.dedupe_key)
    return events_digest(session.execute(q))


def _raw_rows(
    session: Session, table: str, columns: Sequence[Any], where: str, order: str, item_id: int
) -> Any:
    names = ", ".join(c.name for c in columns)
    # Raw values as stored (text for times, 0/1 for flags, JSON text): no type processing, so
    # the digest of 100,000 events costs a fraction of a second, and it covers the bytes kept.
    return session.connection().exec_driver_sql(
        f"SELECT {names} FROM {table} WHERE {where} = ? ORDER BY {order}", (item_id,)
    )


def item_record_digest(session: Session, item_id: int) -> str:
    """SHA-256 over everything recorded about one item: its row, its facts, its events, as stored."""
    h = hashlib.sha256(b"locker-record/v2\n")
    for label, table, columns, where, order in (
        (b"item\n", "items", ITEM_COLUMNS, "id", "id"),
        (b"facts\n", "item_facts", FACT_COLUMNS, "item_id", "id"),
        (b"events\n", "events", EVENT_COLUMNS, "item_id", "dedupe_key"),
    ):
        h.update(label)
        for row in _raw_rows(session, table, columns, where, order, item_id):
            h.update(repr(tuple(row)).encode("utf-8", "surrogatepass"))
            h.update(b"\n")
    return h.hexdigest()


# --- verify ---------------------------------------------------------------------------------


def verify_store(
    store: Store,
    progress: Callable[[int], None] | None = None,
    trust: timestamps.TrustStore | None = None,
    extra_ca: Sequence[bytes] = (),
) -> VerifyReport:
    """Check everything (module docstring). `trust` holds the roots the trusted timestamps must
    chain to; by default the system's CA bundle, the locker's `stamp-ca` setting and `extra_ca`
    (PEM), loaded only when the log holds a stamp."""
    damaged = integrity_problems(store.engine)
    if damaged:
        return VerifyReport(False, 0, [Problem(None, "the database is damaged")], damaged=damaged)
    with store.transaction() as s:
        entries = list(s.scalars(select(CustodyEntry).order_by(CustodyEntry.seq)))
        items = list(s.scalars(select(Item).order_by(Item.id)))
        latest: dict[int, dict[str, Any]] = {}
        for entry in entries:
            if entry.action == "add" and isinstance(entry.detail.get("item"), int):
                latest[entry.detail["item"]] = entry.detail
        # Each item's digest in the form its custody entry recorded (v2, or the first lockers' v1).
        digests = {item.id: _digest_now(s, item.id, latest.get(item.id)) for item in items}
    problems = [Problem(None, p.problem) for p in custody.check_chain(entries)]
    problems += _check_head(store, entries)
    stamps: list[timestamps.StampCheck] = []
    if any(e.action == timestamps.ACTION for e in entries):
        if trust is None:
            trust = timestamps.default_trust(store, extra_ca)
        stamps = timestamps.check_stamps(entries, trust)
        problems += [Problem(None, p) for check in stamps for p in check.problems]
    present = {i.id for i in items}
    for item_id in sorted(latest):
        if item_id not in present:
            problems.append(
                Problem(item_id, "recorded in the custody log but missing from the database (row deleted)")
            )
    for item in items:
        problems.extend(_check_item(store, item, latest.get(item.id), digests[item.id], progress))
    unrecorded, leftovers, object_problems = _account_for_objects(store)
    problems += object_problems
    problems += [
        Problem(None, f"object {n[:16]}… is a complete original no item records") for n in unrecorded
    ]
    report = VerifyReport(
        not problems,
        len(items),
        problems,
        sorted(unrecorded),
        leftovers,
        head=entries[-1].hash if entries else custody.GENESIS,
        stamps=sum(check.tokens for check in stamps),
    )
    with store.transaction() as s:
        if store.read_only or custody.behind_floor(s):
            report.recorded = False  # nothing may be written here; the check itself still stands
            return report
        entry = custody.append(
            s,
            "verify",
            {
                "ok": report.ok,
                "items_checked": report.items_checked,
                "problems": len(problems),
                "unrecorded": len(unrecorded),
            },
            store.now(),
        )
        report.head = entry.hash
    return report


def _check_head(store: Store, entries: Sequence[CustodyEntry]) -> list[Problem]:
    if store.floor is None:
        return []
    seq, hash_hex = store.floor
    last = entries[-1].seq if entries else 0
    if last < seq:
        return [
            Problem(
                None,
                f"the database was rolled back: its custody log ends at entry {last}, but the head file "
                f"records entry {seq} (an older copy was put back, or it was emptied); "
                "`locker verify --repair` re-adopts the originals",
            )
        ]
    at_floor = next((e for e in entries if e.seq == seq), None)
    if at_floor is None or not hmac.compare_digest(at_floor.hash, hash_hex):
        return [
            Problem(None, f"the custody log was rewritten at or before entry {seq} (the head file disagrees)")
        ]
    return []


def _digest_now(session: Session, item_id: int, added: dict[str, Any] | None) -> str | None:
    if added is None:
        return None
    if "record_digest" in added:
        return item_record_digest(session, item_id)
    if "events_digest" in added:
        return item_events_digest(session, item_id)
    return None


def _check_item(
    store: Store,
    item: Item,
    added: dict[str, Any] | None,
    digest_now: str | None,
    progress: Callable[[int], None] | None,
) -> list[Problem]:
    out: list[Problem] = []
    if added is None:
        out.append(Problem(item.id, "no custody entry records how this item was added"))
    else:
        if added.get("sha256") != item.sha256 or added.get("size") != item.size:
            out.append(
                Problem(item.id, "the database row differs from the custody log (hash or size edited)")
            )
        if "record_digest" in added:
            if not hmac.compare_digest(str(added["record_digest"]), digest_now or ""):
                out.append(
                    Problem(item.id, "what is recorded about this item (row, facts or events) was edited")
                )
        elif "events_digest" in added and added["events_digest"] != digest_now:
            out.append(Problem(item.id, "the item's events differ from what was recorded when it was added"))
    if not hmac.compare_digest(store.keys.object_name(item.sha256), item.object_name):
        out.append(Problem(item.id, "the object name does not match the item's hash"))
    if not store.vault.exists(item.object_name):
        out.append(Problem(item.id, "the sealed original is missing"))
        return out
    try:
        sha, size = store.vault.digest(item.object_name, store.keys.identity, progress)
    except age.AgeError:
        out.append(Problem(item.id, "the sealed original was altered or damaged (it does not decrypt)"))
        return out
    if not hmac.compare_digest(sha, item.sha256) or size != item.size:
        out.append(Problem(item.id, "the original's SHA-256 no longer matches the recorded hash"))
    return out


def _account_for_objects(store: Store) -> tuple[dict[str, tuple[str, int]], list[str], list[Problem]]:
    """(complete originals no item records, with their (SHA-256, size); temp leftovers; problems
    with foreign objects).

    Listed with no write in flight, so an add that is between its rename and its commit is
    never mistaken for an unrecorded original.
    """
    with store.vault.quiescent(), store.transaction() as s:
        referenced = set(s.scalars(select(Item.object_name)))
        names = sorted(store.vault.stored_names())
        leftovers = [p.name for p in store.vault.temp_files()]
    unrecorded: dict[str, tuple[str, int]] = {}
    problems: list[Problem] = []
    for name in names:
        if name in referenced:
            continue
        try:
            store.vault.path_of(name)
        except ValueError:
            problems.append(Problem(None, "a file in objects/ that locker did not write (left untouched)"))
            continue
        try:
            sha, size = store.vault.digest(name, store.keys.identity)
        except age.AgeError:
            sha, size = "", 0
        if sha and hmac.compare_digest(store.keys.object_name(sha), name):
            unrecorded[name] = (sha, size)
        else:
            problems.append(
                Problem(None, f"object {name[:16]}… does not decrypt to what its name says (left untouched)")
            )
    return unrecorded, leftovers, problems


# --- repair and gc --------------------------------------------------------------------------


@dataclass
class RepairReport:
    adopted: list[int] = field(default_factory=list)  # new item ids
    refused: list[str] = field(default_factory=list)  # objects that could not be adopted, and why
    rolled_back_from: int | None = None  # the head file's entry, when the database was behind it


def repair_store(store: Store, ocr: Any = None) -> RepairReport:
    """Adopt every complete unrecorded original as a recovered item and record the repair.

    A database behind its head file is accepted as it is (its later entries are gone); the
    repair entry says from which entry it was rolled back, and the head file moves to it.
    """
    from evidence.errors import LockerError
    from evidence.intake import adopt_object

    report = RepairReport()
    with store.transaction() as s:
        if custody.behind_floor(s) and store.floor is not None:
            report.rolled_back_from = store.floor[0]
    store.floor = None  # this command records the rollback; nothing else may pass the floor
    unrecorded, _leftovers, _problems = _account_for_objects(store)
    for name, (sha, size) in unrecorded.items():
        try:
            report.adopted.append(adopt_object(store, name, sha, size, ocr).id)
        except LockerError as e:
            report.refused.append(f"{name[:16]}…: {e}")
    with store.transaction() as s:
        detail: dict[str, Any] = {"adopted": report.adopted, "refused": len(report.refused)}
        if report.rolled_back_from is not None:
            detail["rolled_back_from"] = report.rolled_back_from
        custody.append(s, "repair", detail, store.now())
    return report


def collect_garbage(store: Store) -> list[str]:
    """Remove temp files of interrupted writes (never a complete object) and shred plaintext
    outputs a killed command left; returns the names removed."""
    removed = store.vault.remove_temp_files()
    shredded = outputs.shred_pending(store.home)
    with store.transaction() as s:
        custody.append(s, "gc", {"removed": len(removed), "shredded": shredded}, store.now())
    return removed
