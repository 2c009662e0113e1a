"""SuperBackup call logs (`<alllogs>`): codes, the `date` (not `time`) instant, broken and hostile files,
one unreadable log skipped."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers import parse_export, parser_for
from evidence.records import ParsedEvent, SkippedRecord
from tests.test_importers_bounds import SealedStream

FIXTURE = Path(__file__).resolve().parent / "data" / "exports" / "superbackup-calls.xml"
TZ = ZoneInfo("Asia/Shanghai")


def test_fixture_gives_one_call_per_log() -> None:
    events = list(parse_export("superbackup-calls", FIXTURE, TZ))
    assert [(e.direction, e.status, e.duration) for e in events] == [
        ("in", "missed", 0),
        ("in", "answered", 62),
        ("in", "rejected", 0),
        ("out", None, 60),
        ("in", "blocked", 0),
        ("in", "voicemail", 21),
    ]
    assert {e.kind for e in events} == {"call"}
    # `date` (UTC ms) is the instant; the human `time` is never read.
    assert events[0].at == datetime(2026, 8, 10, 22, 50, tzinfo=UTC)
    assert not events[0].tz_assumed
    assert events[3].contact == "老婆"
    assert events[4].raw_number == "-2"
    assert events[0].contact is None and events[5].contact is None  # "" and "null"


def test_sbr_root_is_not_superbackup() -> None:
    with pytest.raises(BadInputError, match="not a SuperBackup"):
        list(parser_for("superbackup-calls").parse(io.BytesIO(b"<calls><call date='1'/></calls>"), TZ))


def test_truncated_superbackup_keeps_the_complete_logs() -> None:
    data = FIXTURE.read_bytes()
    cut = data[: data.index(b"<log", data.index(b"13700137000")) + 20]
    events: list[ParsedEvent] = []
    with pytest.raises(TruncatedInputError) as caught:
        events.extend(parser_for("superbackup-calls").parse(io.BytesIO(cut), TZ))
    assert len(events) == caught.value.records_read == 4


def test_entities_are_refused() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE alllogs [<!ENTITY x "y">]>' + b'<alllogs><log name="&x;"/></alllogs>'
    )
    with pytest.raises(BadInputError, match="refuses XML with entity declarations"):
        list(parser_for("superbackup-calls").parse(io.BytesIO(hostile), TZ))


def test_superbackup_bad_date_skips_one_log() -> None:
    data = FIXTURE.read_bytes()
    at = data.index(b'date="', data.index(b"13700137000"))
    end = data.index(b'"', at + len(b'date="'))
    damaged = data[:at] + b'date=""' + data[end + 1 :]
    outputs = list(parser_for("superbackup-calls").parse(SealedStream(damaged), TZ))
    skipped = [o for o in outputs if isinstance(o, SkippedRecord)]
    events = [o for o in outputs if isinstance(o, ParsedEvent)]
    assert len(events) == 5 and len(skipped) == 1
    (record,) = skipped
    assert record == SkippedRecord("line 6, column 3", "the record has no date")
    assert outputs.index(record) == 3  # in its place, between the calls before and after it


def test_superbackup_name_is_the_contact() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><alllogs count="2">'
        '<log number="13800138000" time="x" date="1786402200000" type="1" name="催收 王经理" dur="30" />'
        '<log number="13800138000" time="x" date="1786402200000" type="1" name="(Unknown)" dur="30" />'
        "</alllogs>"
    )
    first, second = parser_for("superbackup-calls").parse(SealedStream(xml.encode()), TZ)
    assert isinstance(first, ParsedEvent) and isinstance(second, ParsedEvent)
    assert (first.contact, second.contact) == ("催收 王经理", None)
