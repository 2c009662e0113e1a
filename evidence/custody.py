"""The custody log: an append-only hash chain of everything done to the locker (DESIGN decision 5).

Format locker/v2 (every locker created since the redactable bundle):

    body(n)   = canonical_json({seq, at, action, detail})
    digest(n) = SHA-256(body(n))
    hash(n)   = SHA-256( bytes(prev_hash) || bytes(digest(n)) )

with prev_hash of the first entry all zeros. Canonical JSON: sorted keys, no spaces, UTF-8.
Hashing the body's digest rather than the body lets a scoped bundle replace an entry that
concerns somebody else by its digest alone (`redact`) while every link still re-derives.
Format locker/v1 (the first lockers) hashed `prev || body` directly; its init entry says so
and its chain is checked with that rule, so no existing locker stops verifying.

The head hash is printed on every report and bundle, so a printout can later show the log
was not rewritten. Appends run inside the caller's transaction, which starts IMMEDIATE, so
two writers cannot interleave links. Each append leaves the new head in `session.info` for
the store to copy into the authenticated head file once the transaction commits
(`evidence.store`), and refuses to extend a log older than that file (a rolled-back database).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.errors import DamagedError
from evidence.schema import CustodyEntry

if TYPE_CHECKING:  # evidence.store writes the first entry at init: importing it here would be a cycle
    from evidence.store import Store

GENESIS = "0" * 64
FORMAT = "locker/v2"
FORMAT_V1 = "locker/v1"
# session.info keys shared with evidence.store
INFO_HEAD = "locker_custody_head"  # (seq, hash) appended in this transaction
INFO_FLOOR = "locker_custody_floor"  # (seq, hash) from the head file: the log may not be behind it


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _body(seq: int, at: datetime, action: str, detail: Mapping[str, Any]) -> bytes:
    return canonical_json(
        {"seq": seq, "at": at.astimezone(UTC).isoformat(), "action": action, "detail": detail}
    )


def body_digest(seq: int, at: datetime, action: str, detail: Mapping[str, Any]) -> str:
    return hashlib.sha256(_body(seq, at, action, detail)).hexdigest()


def link(prev_hash: str, digest: str) -> str:
    """hash(n) from the previous hash and the entry's body digest (format v2)."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + bytes.fromhex(digest)).hexdigest()


def entry_hash(
    prev_hash: str, seq: int, at: datetime, action: str, detail: Mapping[str, Any], fmt: str = FORMAT
) -> str:
    if fmt == FORMAT_V1:
        return hashlib.sha256(bytes.fromhex(prev_hash) + _body(seq, at, action, detail)).hexdigest()
    return link(prev_hash, body_digest(seq, at, action, detail))


def link_data(
    prev_hash: str, seq: int, at: datetime, action: str, detail: Mapping[str, Any], fmt: str
) -> bytes:
    """The bytes whose SHA-256 is the entry's hash: what a trusted timestamp of the head stamps
    (evidence.timestamps), so the token's imprint is the head hash itself."""
    body = _body(seq, at, action, detail)
    if fmt == FORMAT_V1:
        return bytes.fromhex(prev_hash) + body
    return bytes.fromhex(prev_hash) + hashlib.sha256(body).digest()


def chain_format(session: Session) -> str:
    """The format named by the init entry; a locker being created is v2."""
    first = session.get(CustodyEntry, 1)
    if first is None:
        return FORMAT
    return FORMAT_V1 if first.detail.get("format") == FORMAT_V1 else FORMAT


def head(session: Session) -> CustodyEntry | None:
    return session.scalars(select(CustodyEntry).order_by(CustodyEntry.seq.desc()).limit(1)).first()


def head_hash(session: Session) -> str:
    last = head(session)
    return last.hash if last else GENESIS


def behind_floor(session: Session, last: CustodyEntry | None = None) -> bool:
    """Whether the log ends before the head file's entry (an older database was put back)."""
    floor = session.info.get(INFO_FLOOR)
    if floor is None:
        return False
    last = last if last is not None else head(session)
    return (last.seq if last else 0) < floor[0]


def check_can_append(session: Session, last: CustodyEntry | None = None) -> None:
    if behind_floor(session, last):
        raise DamagedError(
            "the database is older than the locker's head file (an old copy was put back, or it was "
            "emptied): nothing was changed; run `locker verify`"
        )


def append(session: Session, action: str, detail: dict[str, Any], now: datetime) -> CustodyEntry:
    """Append one entry after the current head, in the caller's transaction."""
    last = head(session)
    check_can_append(session, last)
    seq = last.seq + 1 if last else 1
    prev = last.hash if last else GENESIS
    # Stored at microsecond precision, hashed as stored: re-deriving must see the same instant.
    at = now.astimezone(UTC)
    entry = CustodyEntry(
        seq=seq,
        at=at,
        action=action,
        detail=detail,
        prev_hash=prev,
        hash=entry_hash(prev, seq, at, action, detail, chain_format(session) if last else FORMAT),
    )
    session.add(entry)
    session.flush()
    session.info[INFO_HEAD] = (entry.seq, entry.hash)
    return entry


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


def check_chain(entries: Iterable[CustodyEntry]) -> list[ChainProblem]:
    """Re-derive every link; report each entry whose hash or back-link does not hold."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_seq = 1
    fmt = FORMAT
    for e in entries:
        if e.seq == 1 and isinstance(e.detail, dict) and e.detail.get("format") == FORMAT_V1:
            fmt = FORMAT_V1
        if e.seq != expected_seq:
            problems.append(ChainProblem(e.seq, f"custody entry {expected_seq} is missing"))
            expected_seq = e.seq
        if not hmac.compare_digest(e.prev_hash, prev):
            problems.append(
                ChainProblem(e.seq, f"custody entry {e.seq} does not link to the entry before it")
            )
        if not hmac.compare_digest(entry_hash(e.prev_hash, e.seq, e.at, e.action, e.detail, fmt), e.hash):
            problems.append(
                ChainProblem(e.seq, f"custody entry {e.seq} was altered (its hash does not match)")
            )
        prev = e.hash
        expected_seq += 1
    return problems


def as_dict(e: CustodyEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at.isoformat(),
        "action": e.action,
        "detail": e.detail,
        "body_sha256": body_digest(e.seq, e.at, e.action, e.detail),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def exported_log(store: Store) -> list[dict[str, Any]]:
    """The whole custody log as exported (`as_dict` per entry), oldest first."""
    with store.transaction() as s:
        return [as_dict(e) for e in s.scalars(select(CustodyEntry).order_by(CustodyEntry.seq))]


def redact(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An exported entry (`as_dict`) reduced to its links: what it did stays private, the chain
    still re-derives (v2: hash = SHA-256(prev_hash || body_sha256))."""
    return {
        "seq": entry["seq"],
        "redacted": True,
        "body_sha256": entry["body_sha256"],
        "prev_hash": entry["prev_hash"],
        "hash": entry["hash"],
    }


def check_exported_chain(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """Check an exported log (`as_dict` entries, some `redact`ed) the way VERIFY.txt tells a lawyer to."""
    problems: list[str] = []
    prev = GENESIS
    for e in entries:
        if e["prev_hash"] != prev:
            problems.append(f"entry {e['seq']} does not link to the entry before it")
        if not e.get("redacted"):
            body = canonical_json({k: e[k] for k in ("seq", "at", "action", "detail")})
            if hashlib.sha256(body).hexdigest() != e["body_sha256"]:
                problems.append(f"entry {e['seq']} does not match its body digest")
        if link(e["prev_hash"], e["body_sha256"]) != e["hash"]:
            problems.append(f"entry {e['seq']} does not match its hash")
        prev = e["hash"]
    return problems
