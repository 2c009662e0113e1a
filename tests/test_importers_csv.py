"""CSV call logs and SMS lists: header mapping (English and Chinese), type words, times, durations,
encodings, broken files, junk and summary rows, bounds."""

from __future__ import annotations

import csv
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers import parser_for
from evidence.importers.csv_log import MAX_ROW_CHARS
from evidence.importers.limits import MAX_TEXT_CHARS, UnreadableRecordError
from evidence.importers.tables import column_role, parse_duration, parse_time
from evidence.records import ParsedEvent, SkippedRecord
from tests.test_importers_bounds import SealedStream

TZ = ZoneInfo("Asia/Shanghai")
LOCAL = datetime(2026, 8, 11, 9, 10, tzinfo=TZ)


def parse(data: str | bytes) -> list[ParsedEvent]:
    """The events of a CSV that has no row to skip."""
    outputs = parse_all(data)
    assert all(isinstance(o, ParsedEvent) for o in outputs), outputs
    return outputs  # type: ignore[return-value]


def parse_all(data: str | bytes) -> list[ParsedEvent | SkippedRecord]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return list(parser_for("csv").parse(SealedStream(raw), TZ))


CHINESE_CALLS = """号码,联系人,类型,时间,通话时长
17155550001,,来电,2026-08-11 09:10:00,2分05秒
17155550001,,未接来电,2026/8/11 9:10,0
17155550002,催收,拒接,2026/8/11 9:10,
17155550002,,拦截,2026-08-11 09:10:00,00:00:00
13700137000,老婆,呼出,1786410600000,00:02:05
075512345678,,呼出未接通,2026年8月11日 9:10,0秒
"""


def test_chinese_call_log() -> None:
    events = parse(CHINESE_CALLS)
    assert [(e.kind, e.direction, e.status, e.duration) for e in events] == [
        ("call", "in", "answered", 125),
        ("call", "in", "missed", 0),
        ("call", "in", "rejected", None),
        ("call", "in", "blocked", 0),
        ("call", "out", None, 125),
        ("call", "out", None, 0),
    ]
    assert all(e.at == LOCAL for e in events)
    assert [e.tz_assumed for e in events] == [True, True, True, True, False, True]
    assert events[2].contact == "催收" and events[0].contact is None
    assert events[0].raw_number == "17155550001" and events[0].source_ref == "row 2"


def test_chinese_sms_list_with_gb18030_encoding() -> None:
    text = "手机号,短信内容,类型,日期\n10691110001,【好借花】请今日内还款,接收,2026-08-11 09:10\n"
    text += "10691110001,我会还,发送,2026-08-11 09:11\n10691110001,没发出去的,草稿,2026-08-11 09:12\n"
    events = parse(text.encode("gb18030"))
    assert [(e.kind, e.direction, e.text) for e in events] == [
        ("sms", "in", "【好借花】请今日内还款"),
        ("sms", "out", "我会还"),
    ]
    assert events[1].at == LOCAL + timedelta(minutes=1)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_encodings(encoding: str) -> None:
    (event,) = parse("号码,时间,内容\n17155550001,2026-08-11 09:10:00,还钱\n".encode(encoding))
    assert (event.raw_number, event.text, event.at) == ("17155550001", "还钱", LOCAL)


def test_android_provider_columns() -> None:
    calls = parse("number,date,duration,type,name\n17155550001,1786410600000,62,1,\n-2,1786410600000,0,6,x\n")
    assert [(c.direction, c.status, c.duration, c.tz_assumed) for c in calls] == [
        ("in", "answered", 62, False),
        ("in", "blocked", 0, False),
    ]
    assert calls[0].at == datetime(2026, 8, 11, 1, 10, tzinfo=UTC)
    sms = parse("address,date,type,body\n10691110001,1786410600000,2,hi\n10691110001,1786410600000,3,draft\n")
    assert [(s.kind, s.direction) for s in sms] == [("sms", "out")]


def test_tab_separated_with_split_date_and_time_and_direction_column() -> None:
    events = parse("日期\t时间\t对方号码\t方向\t时长\n2026-08-11\t09:10:00\t17155550001\t呼入\t30\n")
    (event,) = events
    assert (event.at, event.direction, event.duration) == (LOCAL, "in", 30)


def test_number_location_column_is_not_the_number() -> None:
    assert column_role("号码归属地") is None
    assert column_role("联系人电话") == "number"
    assert column_role("通话时长") == "duration"
    assert column_role("通话时间") == "time"
    assert column_role("Date") == "time"


@pytest.mark.parametrize(
    ("value", "expected", "assumed"),
    [
        ("2026-08-11 09:10:00", LOCAL, True),
        ("2026/8/11 9:10", LOCAL, True),
        ("2026年8月11日 9:10", LOCAL, True),
        ("2026-08-11T09:10:00+08:00", LOCAL, False),
        ("2026-08-11T01:10:00Z", LOCAL, False),
        ("2026-08-11 01:10:00 -00:00", datetime(2026, 8, 11, 1, 10, tzinfo=timezone(timedelta(0))), False),
        ("2026/8/11 9:10 PM", LOCAL + timedelta(hours=12), True),
        ("2026/8/11 下午9:10", LOCAL + timedelta(hours=12), True),
        ("1786410600000", LOCAL, False),
        ("1786410600", LOCAL, False),
    ],
)
def test_time_formats(value: str, expected: datetime, assumed: bool) -> None:
    at, tz_assumed = parse_time(value, TZ)
    assert at == expected and tz_assumed is assumed
    assert at.tzinfo is not None


@pytest.mark.parametrize("value", ["yesterday", "2026-13-40 09:10", "12345", "", "2026-08-11 25:00"])
def test_unreadable_times_are_unreadable_records(value: str) -> None:
    with pytest.raises(UnreadableRecordError) as caught:
        parse_time(value, TZ)
    assert isinstance(caught.value, BadInputError)  # still bad input, should one ever escape


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("125", 125),
        ("2分05秒", 125),
        ("1小时2分5秒", 3725),
        ("00:02:05", 125),
        ("2:05", 125),
        ("0秒", 0),
        ("125s", 125),
        ("", None),
        ("很久", None),
        (None, None),
    ],
)
def test_durations(value: str | None, seconds: float | None) -> None:
    assert parse_duration(value) == seconds


def test_row_with_a_bad_time_is_skipped_and_named_by_its_row_only() -> None:
    first, skipped, last = parse_all(
        "号码,时间\n17155550001,2026-08-11 09:10\n17155550002,明天\n17155550003,2026-08-11 09:11\n"
    )
    assert skipped == SkippedRecord(
        "row 3", "the time is not understood (write it e.g. as 2026-08-11 09:10:00 or 2026/8/11 9:10)"
    )
    assert isinstance(first, ParsedEvent) and isinstance(last, ParsedEvent)
    assert (first.raw_number, last.raw_number, last.source_ref) == ("17155550001", "17155550003", "row 4")


def test_p14_csv_total_row_does_not_refuse() -> None:
    # Spreadsheet exports end with a total; some put subtotals between days. Not records: skipped
    # without a report, so an ordinary export does not end in a warning.
    data = (
        "号码,类型,时间,通话时长\n"
        "17155550001,来电,2026-08-11 09:10,62\n"
        "小计,,,62\n"
        "17155550002,未接,2026-08-12 09:10,0\n"
        "合计,2通,,62秒\n"
        "总计：2,,,\n"
        "Total,2,,62\n"
    )
    events = parse(data)
    assert [(e.raw_number, e.status) for e in events] == [
        ("17155550001", "answered"),
        ("17155550002", "missed"),
    ]


def test_csv_junk_rows_reported() -> None:
    data = (
        "号码,时间,内容\n"
        "17155550001,2026-08-11 09:10,还钱\n"
        "共2条记录\n"
        "17155550002,,秘密\n"
        "导出人: 13700137000,未知\n"
        "17155550003,2026-08-11 09:11,再不还就上门\n"
    )
    outputs = parse_all(data)
    # "共2条记录", one cell in a table of three, is a note, not a record: passed over unreported.
    assert [type(o).__name__ for o in outputs] == [
        "ParsedEvent",
        "SkippedRecord",
        "SkippedRecord",
        "ParsedEvent",
    ]
    skipped = [o for o in outputs if isinstance(o, SkippedRecord)]
    assert [s.position for s in skipped] == ["row 4", "row 5"]
    assert [s.reason for s in skipped][:1] == ["the row has no time"]
    for s in skipped:  # never the row's content
        assert not any(secret in s.reason for secret in ("17155550002", "秘密", "13700137000", "共2条"))


def test_a_total_word_does_not_hide_a_record_with_a_time() -> None:
    (event,) = parse("联系人,号码,时间\nTotal Credit,17155550001,2026-08-11 09:10\n")
    assert event.contact == "Total Credit"


def test_long_text_is_cut_and_reported() -> None:
    event, cut = parse_all(f"号码,时间,内容\n17155550001,2026-08-11 09:10,{'长' * (MAX_TEXT_CHARS + 10)}\n")
    assert isinstance(event, ParsedEvent) and event.text == "长" * MAX_TEXT_CHARS
    assert cut == SkippedRecord(
        "row 2", f"the text was cut at {MAX_TEXT_CHARS:,} characters (the sealed original keeps it whole)"
    )


def test_row_longer_than_the_bound_stops_after_the_rows_before() -> None:
    # Not skipped: reading on from inside what may be an open quoted field could turn a message's
    # text into rows. Memory stays bounded: the line is read no further than the bound.
    huge = "x" * (MAX_ROW_CHARS + 10)
    data = f"号码,时间,内容\n17155550001,2026-08-11 09:10,a\n17155550002,2026-08-11 09:10,{huge}\n"
    outputs: list[ParsedEvent | SkippedRecord] = []
    with pytest.raises(TruncatedInputError, match=r"row 3 is longer than 4,000,000 characters") as caught:
        outputs.extend(parser_for("csv").parse(SealedStream(data.encode()), TZ))
    assert len(outputs) == caught.value.records_read == 1


def test_quoted_field_running_over_many_lines_is_bounded_too() -> None:
    lines = "\n".join(["y" * 1000] * (MAX_ROW_CHARS // 1000 + 10))
    data = f'号码,时间,内容\n17155550001,2026-08-11 09:10,a\n17155550002,2026-08-11 09:10,"{lines}"\n'
    with pytest.raises(TruncatedInputError, match="row 3 is longer than"):
        parse_all(data)


def test_a_message_of_csv_lines_inside_quotes_stays_one_message() -> None:
    forged = "好的\n13700137000,2026-08-12 03:00,我欠你钱我认了\n"
    data = f'号码,时间,内容\n17155550001,2026-08-11 09:10,"{forged}"\n'
    (event,) = parse(data)
    assert event.text == forged.strip()  # cells are stripped


def test_csv_field_limit_is_left_as_it_was() -> None:
    before = csv.field_size_limit()
    parse("号码,时间,内容\n17155550001,2026-08-11 09:10,还钱\n")
    assert csv.field_size_limit() == before


def test_stream_that_cannot_seek_is_read_in_memory_never_on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    class Unseekable(SealedStream):
        def seekable(self) -> bool:
            return False

    def no_disk(*args: object, **kwargs: object) -> None:
        raise AssertionError("plaintext evidence written to a temporary file")

    for name in (
        "SpooledTemporaryFile",
        "TemporaryFile",
        "NamedTemporaryFile",
        "mkstemp",
        "TemporaryDirectory",
    ):
        monkeypatch.setattr(tempfile, name, no_disk)
    data = "号码,时间,内容\n17155550001,2026-08-11 09:10,还钱\n".encode("gb18030")
    (event,) = parser_for("csv").parse(Unseekable(data), TZ)
    assert isinstance(event, ParsedEvent) and event.text == "还钱"


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n", "号码,联系人\n1,2\n".encode(), b"\xff\xfe\x00garbage\x00", b"\x81\x30" * 3 + b"\xff"],
)
def test_empty_garbage_and_timeless_csv_are_bad_input(data: bytes) -> None:
    with pytest.raises(BadInputError):
        parse(data)


def test_blank_rows_are_skipped_and_unknown_types_kept_without_direction() -> None:
    events = parse("号码,时间,类型\n\n17155550001,2026-08-11 09:10,嗯？\n,,\n")
    assert [(e.direction, e.status) for e in events] == [(None, None)]


def test_cut_quoted_field_keeps_the_rows_before() -> None:
    data = '号码,时间,内容\n1,2026-08-11 09:10,"a"\n2,2026-08-11 09:11,"b\n'
    events: list[ParsedEvent | SkippedRecord] = []
    # A quoted field left open runs to the end of the file: the export was cut there.
    with pytest.raises(TruncatedInputError, match="breaks at row 3") as caught:
        events.extend(parser_for("csv").parse(SealedStream(data.encode() + b"x" * 140000), TZ))
    assert len(events) == caught.value.records_read == 1
