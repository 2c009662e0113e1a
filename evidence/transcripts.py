"""Transcripts of recordings: what was said, at which moment of the recording, by whom.

Today the user types or pastes them (`locker transcribe ITEM --from-file t.txt`). A transcript
is sealed as a declaration (canonical JSON naming the recording's SHA-256 and who transcribed
it), so every quotation from it points at hashed evidence and is marked as the user's own
transcript wherever it shows. Each line becomes an event of kind `transcript` at the
recording's start plus the line's offset, from the recording's number: the other side's
lines are judged like messages; the borrower's own are kept as what they said.

A machine transcriber can later be another `Transcriber`: it returns the same `Segment`s,
and `record_transcript` seals them with its name in place of "user".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select

from evidence.declarations import seal_declaration
from evidence.errors import UsageError
from evidence.records import ParsedEvent
from evidence.schema import Item
from evidence.store import Store

MEDIA_TYPE = "application/vnd.locker.transcript+json"
MAX_SEGMENTS = 5000
MAX_SEGMENT_CHARS = 4000
SLACK_SECONDS = 2.0  # a typed time may round past the recording's end

# Who speaks, as people label lines: the other side (对方, the collector) or the borrower.
THEM = ("对方", "催收", "催收员", "他", "她", "对面", "them", "caller", "collector")
ME = ("我", "本人", "自己", "me", "I")
_SPEAKERS = {w.casefold(): "in" for w in THEM} | {w.casefold(): "out" for w in ME}
_LINE = re.compile(
    r"^\s*[\[【(（]?\s*(?:(?P<h>\d{1,2})[:：])?(?P<m>\d{1,3})[:：](?P<s>[0-5]\d)\s*[\]】)）]?"
    r"\s*(?:(?P<who>[^\s:：]{1,10})\s*[:：])?\s*(?P<text>.*)$"
)


@dataclass(frozen=True)
class Segment:
    offset: float  # seconds from the start of the recording
    direction: str | None  # "in": the other side; "out": the borrower; None: not labelled
    text: str


class Transcriber(Protocol):
    """What turns a recording into segments: the user today, an engine perhaps later."""

    name: str

    def segments(self, source: str) -> list[Segment]: ...


def parse_transcript(text: str) -> list[Segment]:
    """Lines "00:35 对方：……" (also [01:02:03], 1:05 我: …); a line without a time continues the
    one before. Pure; every problem is a usage error naming its line."""
    segments: list[Segment] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        m = _LINE.match(line)
        if m is None:
            if not segments:
                raise UsageError(
                    f"transcript line {n}: start each passage with its time in the recording, "
                    "e.g. 00:35 对方：……"
                )
            last = segments[-1]
            segments[-1] = Segment(last.offset, last.direction, f"{last.text}\n{line}")
            continue
        offset = int(m["h"] or 0) * 3600 + int(m["m"]) * 60 + int(m["s"])
        who, said = m["who"], m["text"].strip()
        direction = _SPEAKERS.get(who.casefold()) if who else None
        if who and direction is None:  # "12:30 记得还款" has no speaker: the colon was the text's
            said = line[m.start("who") :].strip()
        segments.append(Segment(float(offset), direction, said))
        if len(segments) > MAX_SEGMENTS:
            raise UsageError(f"the transcript has more than {MAX_SEGMENTS} passages: split it")
    for n, s in enumerate(segments, 1):
        if not s.text:
            raise UsageError(f"transcript passage {n} has a time but no words")
        if len(s.text) > MAX_SEGMENT_CHARS:
            raise UsageError(f"transcript passage {n} is over {MAX_SEGMENT_CHARS} characters: split it")
    if not segments:
        raise UsageError("the transcript is empty: give lines such as 00:35 对方：……")
    return segments


@dataclass(frozen=True)
class TypedTranscript:
    """The user's own transcript, typed or pasted."""

    name: str = "user"

    def segments(self, source: str) -> list[Segment]:
        return parse_transcript(source)


def record_transcript(
    store: Store, item_id: int, segments: list[Segment], by: str = "user", number: str | None = None
) -> tuple[int, list[int]]:
    """Seal a transcript of recording `item_id` and add its events; returns (item id, event ids).

    The recording's number is the speaker's unless `number` names the other side (a recording
    whose file name carries none). A recording is transcribed once: its transcript is evidence
    like the rest and is never replaced.
    """
    with store.transaction() as s:
        rec = s.get(Item, item_id)
        if rec is None:
            raise UsageError(f"no item {item_id}: `locker ls` lists them")
        if rec.kind != "audio":
            raise UsageError(f"item {item_id} is a {rec.kind}, not a recording")
        start, assumed, duration = rec.captured_at, rec.captured_tz_assumed, rec.duration
        recording_sha, recording_name = rec.sha256, rec.name
        other = number or rec.number
        taken = s.scalar(
            select(Item.id).where(Item.media_type == MEDIA_TYPE, Item.name == transcript_name(item_id))
        )
    if taken is not None:
        raise UsageError(
            f"recording {item_id} already has a transcript (item {taken}); transcripts are kept as "
            "evidence and never replaced: `locker show` it, or log a correction with `locker log`"
        )
    if start is None:
        raise UsageError(f"recording {item_id} has no known start time, so its passages cannot be dated")
    if duration is not None:
        late = next((s for s in segments if s.offset > duration + SLACK_SECONDS), None)
        if late is not None:
            raise UsageError(
                f"a passage at {clock(late.offset)} is past the recording's end ({clock(duration)}): "
                "check its time"
            )
    body: dict[str, Any] = {
        "declared_by": by,
        "declared_at": store.now().isoformat(),
        "kind": "transcript",
        "recording_sha256": recording_sha,
        "recording_name": recording_name,
        "number": other,
        "segments": [{"offset": s.offset, "direction": s.direction, "text": s.text} for s in segments],
    }
    events = [
        ParsedEvent(
            kind="transcript",
            direction=seg.direction,
            raw_number=other,
            at=start + timedelta(seconds=seg.offset),
            tz_assumed=assumed,
            text=seg.text,
            source_ref=f"{recording_sha}@{clock(seg.offset)}",
        )
        for seg in segments
    ]
    return seal_declaration(
        store, body, transcript_name(item_id), MEDIA_TYPE, start, assumed, other, None, lambda _sha: events
    )


def transcript_name(recording_id: int) -> str:
    return f"transcript-of-item-{recording_id}.json"


def recording_of(name: str) -> int | None:
    """The recording a transcript item (by the name `transcript_name` gave it) transcribes."""
    m = re.fullmatch(r"transcript-of-item-(\d+)\.json", name)
    return int(m[1]) if m else None


def clock(seconds: float) -> str:
    """Seconds as the recording's clock: 02:35, or 1:02:35 past the hour."""
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
