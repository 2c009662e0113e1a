"""The importer registry, `parse_export` and the dedupe key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.errors import BadInputError
from evidence.importers import event_key, parse_export, parser_for
from evidence.records import ParsedEvent

TZ = ZoneInfo("Asia/Shanghai")
FORMATS = ["sbr-sms", "sbr-calls", "superbackup-calls", "ios-sms", "ios-calls", "csv"]
EVENT = ParsedEvent(
    kind="sms",
    direction="in",
    raw_number="17155550001",
    at=datetime(2026, 8, 11, 13, 20, tzinfo=UTC),
    text="还钱",
    contact="催收",
    source_ref="sms 3",
)


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_is_registered(name: str) -> None:
    assert parser_for(name).name == name


def test_unknown_format_is_bad_input_at_once(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="unsupported export format"):
        parser_for("vcard")
    with pytest.raises(BadInputError):
        parse_export("vcard", tmp_path / "missing", TZ)  # raised before the file is touched


def test_parse_export_is_lazy_and_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "calls.xml"
    path.write_text('<calls><call number="1" date="1786402200000" type="1" duration="1"/></calls>')
    events = parse_export("sbr-calls", path, TZ)
    path.unlink()  # not opened yet
    with pytest.raises(FileNotFoundError):
        next(events)


def test_key_is_hex_sha256_and_stable() -> None:
    key = event_key(EVENT, "+8617155550001")
    assert len(key) == 64 and int(key, 16) >= 0
    assert key == event_key(EVENT, "+8617155550001")


def test_key_ignores_what_changes_between_backups() -> None:
    key = event_key(EVENT, "+8617155550001")
    assert event_key(replace(EVENT, contact=None, source_ref="sms 9"), "+8617155550001") == key
    # The same instant in another timezone is the same message.
    assert event_key(replace(EVENT, at=EVENT.at.astimezone(TZ)), "+8617155550001") == key
    # The canonical number unites the ways a number is written.
    assert event_key(replace(EVENT, raw_number="+86 171 5555 0001"), "+8617155550001") == key
    assert event_key(replace(EVENT, duration=62), None) == event_key(replace(EVENT, duration=62.0), None)


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "mms"},
        {"direction": "out"},
        {"text": "还钱!"},
        {"at": EVENT.at + timedelta(milliseconds=1)},
        {"duration": 1.0},
        {"status": "missed"},
        {"other_numbers": ("13700137000",)},
    ],
)
def test_key_changes_with_what_makes_a_different_event(change: dict[str, object]) -> None:
    assert event_key(replace(EVENT, **change), "+8617155550001") != event_key(EVENT, "+8617155550001")  # type: ignore[arg-type]


def test_key_uses_the_raw_number_when_there_is_no_canonical_one() -> None:
    assert event_key(EVENT, None) != event_key(replace(EVENT, raw_number="-2"), None)


@given(st.text(), st.text(), st.integers(min_value=-(10**12), max_value=10**12))
def test_key_fields_cannot_run_into_each_other(number: str, text: str, millis: int) -> None:
    at = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
    a = replace(EVENT, raw_number=number, text=text, at=at)
    b = replace(EVENT, raw_number=number + "|", text=text, at=at)
    assert event_key(a, None) != event_key(b, None)
