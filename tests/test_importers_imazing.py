"""iMazing's iPhone message CSV (evidence/importers/imazing.py) and its call-log CSV (a plain table)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.importers import parser_for, recognise
from evidence.records import ParsedEvent, SkippedRecord
from evidence.sniff import sniff
from tests.test_importers_carrier import findings_of

TZ = ZoneInfo("Asia/Shanghai")
# The two header versions the sources describe: newer exports add Deleted Date and Reactions.
OLD = [
    "Chat Session", "Message Date", "Delivered Date", "Read Date", "Edited Date", "Service", "Type",
    "Sender ID", "Sender Name", "Status", "Replying to", "Subject", "Text", "Attachment", "Attachment type",
]  # fmt: skip
NEW = [*OLD[:5], "Deleted Date", *OLD[5:14], "Reactions", *OLD[14:]]
COLLECTOR = "+8617155550001"
THREAT = "【好借花】今晚不还，明天就去你家找你父母，\n后果自负"


def row(header: list[str], **values: str) -> list[str]:
    names = {k.replace("_", " ").lower(): v for k, v in values.items()}
    return [names.get(h.lower(), "") for h in header]


def export(header: list[str], rows: list[list[str]], bom: bool = True) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + buf.getvalue().encode("utf-8")


def read(
    data: bytes, name: str = "Messages - 好借花.csv"
) -> tuple[str | None, list[ParsedEvent | SkippedRecord]]:
    head = data[:65536]
    found = recognise(sniff(head, name), io.BytesIO(data), head, name)
    if found.export_format is None:
        return None, []
    return found.export_format, list(parser_for(found.export_format).parse(io.BytesIO(data), TZ))


def messages(header: list[str]) -> list[list[str]]:
    return [
        row(header, chat_session=COLLECTOR, message_date="2026-08-11 22:40:05", service="SMS",
            type="Incoming", sender_id=COLLECTOR, text=THREAT),
        row(header, chat_session=COLLECTOR, message_date="2026-08-11 22:45:00", service="SMS",
            type="Outgoing", status="Delivered", text="请不要再打扰我"),
        row(header, chat_session=COLLECTOR, message_date="2026-08-12 09:00:00", type="Notification",
            text="…"),
        # a thread named by the address book: the outgoing number comes from its incoming rows
        row(header, chat_session="王经理", message_date="2026-08-12 10:00:00", service="iMessage",
            type="Incoming", sender_id="+8613900000000", sender_name="王经理", text="明天见"),
        row(header, chat_session="王经理", message_date="2026-08-12 10:01:00", service="iMessage",
            type="Outgoing", text="好的"),
        row(header, chat_session=COLLECTOR, message_date="2026-08-12 11:00:00", service="SMS",
            type="Incoming", sender_id=COLLECTOR, attachment="IMG_0001.jpeg", attachment_type="image/jpeg"),
    ]  # fmt: skip


@pytest.mark.parametrize("header", [OLD, NEW], ids=["15 columns", "17 columns"])
def test_messages_are_read_with_direction_number_time_and_text(header: list[str]) -> None:
    fmt, out = read(export(header, messages(header)))
    assert fmt == "imazing-messages"
    events = [o for o in out if isinstance(o, ParsedEvent)]
    assert not [o for o in out if isinstance(o, SkippedRecord)]  # a notification is no message
    assert [(e.direction, e.raw_number, e.text) for e in events] == [
        ("in", COLLECTOR, THREAT),
        ("out", COLLECTOR, "请不要再打扰我"),
        ("in", "+8613900000000", "明天见"),
        ("out", "+8613900000000", "好的"),
        ("in", COLLECTOR, "[attachment]"),
    ]
    assert events[0].at == datetime(2026, 8, 11, 22, 40, 5, tzinfo=TZ) and events[0].tz_assumed
    assert all(e.kind == "sms" for e in events)
    # the address-book name is the sender's own, never the thread's: a number is no contact
    assert [e.contact for e in events] == [None, None, "王经理", None, None]


def test_a_group_thread_gives_its_own_messages_no_number() -> None:
    group = [
        row(OLD, chat_session="催收群", message_date="2026-08-12 10:00:00", type="Incoming",
            sender_id=COLLECTOR, text="还钱"),
        row(OLD, chat_session="催收群", message_date="2026-08-12 10:00:30", type="Incoming",
            sender_id="+8617155550002", text="还钱"),
        row(OLD, chat_session="催收群", message_date="2026-08-12 10:01:00", type="Outgoing", text="别发了"),
    ]  # fmt: skip
    _, out = read(export(OLD, group))
    assert [e.raw_number for e in out if isinstance(e, ParsedEvent)] == [COLLECTOR, "+8617155550002", None]


def test_a_bad_row_is_skipped_with_its_position_and_the_rest_read() -> None:
    rows = messages(OLD)
    rows.insert(1, row(OLD, chat_session=COLLECTOR, message_date="yesterday", type="Incoming", text="x"))
    rows.insert(
        2, row(OLD, chat_session=COLLECTOR, message_date="2026-08-11 22:41:00", type="Sent", text="x")
    )
    _, out = read(export(OLD, rows, bom=False))
    skipped = [o for o in out if isinstance(o, SkippedRecord)]
    assert [s.position for s in skipped] == ["row 3", "row 4"]
    assert all("x" not in s.reason for s in skipped)  # the reason names no content
    assert len([o for o in out if isinstance(o, ParsedEvent)]) == 5


def test_the_same_messages_give_the_same_findings_as_from_android() -> None:
    _, out = read(export(NEW, messages(NEW)))
    # the same messages as SMS Backup & Restore writes them on an Android phone
    sms = "".join(
        f'<sms address="{e.raw_number}" date="{int(e.at.timestamp() * 1000)}" '
        f'type="{1 if e.direction == "in" else 2}" body="{escape(e.text or "", {chr(10): "&#10;"})}" />'
        for e in out
        if isinstance(e, ParsedEvent)
    )
    android = list(parser_for("sbr-sms").parse(io.BytesIO(f"<smses>{sms}</smses>".encode()), TZ))

    def local(events: object) -> list[ParsedEvent]:  # as from one phone: numbers without +86
        return [
            replace(e, raw_number=(e.raw_number or "").removeprefix("+86") or None)
            for e in events  # type: ignore[attr-defined]
            if isinstance(e, ParsedEvent)
        ]

    iphone_findings = findings_of(local(out))
    assert iphone_findings and iphone_findings == findings_of(local(android))


@given(st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=200))
def test_any_text_comes_back_as_written(text: str) -> None:
    data = export(OLD, [row(OLD, chat_session=COLLECTOR, message_date="2026-08-11 22:40:05",
                            type="Incoming", sender_id=COLLECTOR, text=text)])  # fmt: skip
    _, out = read(data)
    (event,) = out
    assert isinstance(event, ParsedEvent) and event.text == text


def test_the_call_log_csv_is_read_as_a_table() -> None:
    calls = (
        "Call Type,Date,Duration,Number,Contact,Location,Service\r\n"
        f"Incoming,2026-08-11 23:05:00,00:01:02,{COLLECTOR},,China,Phone\r\n"
        f"Missed,2026-08-11 23:10:00,00:00:00,{COLLECTOR},,China,Phone\r\n"
        f"Outgoing,2026-08-12 09:00:00,00:00:30,{COLLECTOR},,,Phone\r\n"
    ).encode()
    fmt, out = read(calls, "Call History.csv")
    assert fmt == "csv"
    events = [o for o in out if isinstance(o, ParsedEvent)]
    assert [(e.kind, e.direction, e.status, e.duration) for e in events] == [
        ("call", "in", "answered", 62.0),
        ("call", "in", "missed", 0.0),
        ("call", "out", None, 30.0),
    ]
    assert {e.raw_number for e in events} == {COLLECTOR}
