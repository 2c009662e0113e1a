"""The custody log: an append-only hash chain of everything done to the locker (DESIGN decision 5).

    hash(n) = SHA-256( bytes(prev_hash) || canonical_json({seq, at, action, detail}) )

with prev_hash of the first entry all zeros. Canonical JSON: sorted keys, no spaces, UTF-8.
The head hash is printed on every report and bundle, so a printout can later show the log
was not rewritten. Appends run inside the caller's transaction, which starts IMMEDIATE, so
two writers cannot interleave links.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.schema import CustodyEntry

GENESIS = "0" * 64


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(prev_hash: str, seq: int, at: datetime, action: str, detail: dict[str, Any]) -> str:
    body = {"seq": seq, "at": at.astimezone(UTC).isoformat(), "action": action, "detail": detail}
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_json(body)).hexdigest()


def head(session: Session) -> CustodyEntry | None:
    return session.scalars(select(CustodyEntry).order_by(CustodyEntry.seq.desc()).limit(1)).first()


def head_hash(session: Session) -> str:
    last = head(session)
    return last.hash if last else GENESIS


def append(session: Session, action: str, detail: dict[str, Any], now: datetime) -> CustodyEntry:
    """Append one entry after the current head, in the caller's transaction."""
    last = head(session)
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
        hash=entry_hash(prev, seq, at, action, detail),
    )
    session.add(entry)
    session.flush()
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
    for e in entries:
        if e.seq != expected_seq:
            problems.append(ChainProblem(e.seq, f"custody entry {expected_seq} is missing"))
            expected_seq = e.seq
        if not hmac.compare_digest(e.prev_hash, prev):
            problems.append(
                ChainProblem(e.seq, f"custody entry {e.seq} does not link to the entry before it")
            )
        if not hmac.compare_digest(entry_hash(e.prev_hash, e.seq, e.at, e.action, e.detail), e.hash):
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
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }
