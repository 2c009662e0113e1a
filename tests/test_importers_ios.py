"""iOS sms.db and CallHistory.storedata, built here with sqlite3 in minimal schemas."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from evidence.errors import BadInputError
from evidence.importers import parse_export, parser_for
from evidence.importers.ios_sms import decode_attributed_body

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 8, 11, 13, 20, tzinfo=UTC)
APPLE_SECONDS = int((AT - datetime(2001, 1, 1, tzinfo=UTC)).total_seconds())


def typedstream(text: str) -> bytes:
    """An attributedBody blob shaped like the ones iOS writes (header, NSString, length, UTF-8)."""
    body = text.encode("utf-8")
    length = bytes([len(body)]) if len(body) < 0x80 else b"\x81" + len(body).to_bytes(2, "little")
    head = (
        b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject"
    )
    return head + b"\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+" + length + body + b"\x86\x84\x02iI"


def build_sms_db(path: Path, messages: Iterable[tuple[object, ...]], chats: bool = False) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT, service TEXT)")
        db.execute(
            "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT, attributedBody BLOB,"
            " handle_id INTEGER, date INTEGER, is_from_me INTEGER, service TEXT, item_type INTEGER DEFAULT 0,"
            " associated_message_type INTEGER DEFAULT 0)"
        )
        db.executemany(
            "INSERT INTO handle VALUES (?, ?, 'SMS')", [(1, "+8617155550001"), (2, "+8617155550002")]
        )
        db.executemany(
            "INSERT INTO message (ROWID, text, attributedBody, handle_id, date, is_from_me, service,"
            " item_type, associated_message_type) VALUES (?, ?, ?, ?, ?, ?, 'SMS', ?, ?)",
            messages,
        )
        if chats:
            db.execute("CREATE TABLE chat (ROWID INTEGER PRIMARY KEY, chat_identifier TEXT)")
            db.execute("CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER)")
            db.execute("CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER)")
            db.execute("INSERT INTO chat VALUES (1, 'chat123456')")
            db.executemany("INSERT INTO chat_handle_join VALUES (1, ?)", [(1,), (2,)])
            db.executemany("INSERT INTO chat_message_join VALUES (1, ?)", [(m[0],) for m in messages])
    db.close()
    return path


def build_call_db(path: Path, calls: Iterable[tuple[object, ...]]) -> Path:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, ZDATE TIMESTAMP, ZDURATION FLOAT,"
            " ZADDRESS, ZORIGINATED INTEGER, ZANSWERED INTEGER, ZCALLTYPE INTEGER)"
        )
        db.executemany("INSERT INTO ZCALLRECORD VALUES (?, ?, ?, ?, ?, ?, 1)", calls)
    db.close()
    return path


def test_messages_with_seconds_nanoseconds_and_attributed_body(tmp_path: Path) -> None:
    db = build_sms_db(
        tmp_path / "sms.db",
        [
            (1, "今天还钱", None, 1, APPLE_SECONDS, 0, 0, 0),  # old database: seconds
            (
                2,
                None,
                typedstream("不还就去你单位"),
                1,
                APPLE_SECONDS * 10**9 + 5_000_000,
                0,
                0,
                0,
            ),  # ns, iOS 16
            (3, "我会还", None, 1, APPLE_SECONDS * 10**9, 1, 0, 0),
            (
                4,
                None,
                typedstream("长" * 100),
                2,
                APPLE_SECONDS * 10**9,
                0,
                0,
                0,
            ),  # 300-byte body: 0x81 length
            (5, "Liked “今天还钱”", None, 1, APPLE_SECONDS, 0, 0, 2000),  # tapback: skipped
            (6, None, None, 1, APPLE_SECONDS, 0, 1, 0),  # member joined: skipped
        ],
    )
    events = list(parse_export("ios-sms", db, TZ))
    assert [(e.direction, e.raw_number, e.text) for e in events] == [
        ("in", "+8617155550001", "今天还钱"),
        ("in", "+8617155550001", "不还就去你单位"),
        ("out", "+8617155550001", "我会还"),
        ("in", "+8617155550002", "长" * 100),
    ]
    assert events[0].at == AT and events[2].at == AT
    assert events[1].at == datetime(2026, 8, 11, 13, 20, 0, 5000, tzinfo=UTC)
    assert {e.kind for e in events} == {"sms"} and not any(e.tz_assumed for e in events)
    assert events[0].source_ref == "message 1"


def test_group_message_sent_without_handle_uses_the_chat(tmp_path: Path) -> None:
    db = build_sms_db(tmp_path / "sms.db", [(1, "大家好", None, 0, APPLE_SECONDS, 1, 0, 0)], chats=True)
    (event,) = parse_export("ios-sms", db, TZ)
    assert event.raw_number == "chat123456"
    assert event.other_numbers == ("+8617155550001", "+8617155550002")


def test_database_from_a_stream_without_a_file(tmp_path: Path) -> None:
    db = build_sms_db(tmp_path / "sms.db", [(1, "x", None, 1, APPLE_SECONDS, 0, 0, 0)])
    (event,) = parser_for("ios-sms").parse(io.BytesIO(db.read_bytes()), TZ)
    assert event.text == "x"


def test_database_is_opened_read_only(tmp_path: Path) -> None:
    db = build_sms_db(tmp_path / "sms.db", [(1, "x", None, 1, APPLE_SECONDS, 0, 0, 0)])
    before = db.read_bytes()
    list(parse_export("ios-sms", db, TZ))
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sms.db"]  # no journal or WAL beside it


def test_attributed_body_decoding_edge_cases() -> None:
    assert decode_attributed_body(typedstream("hi")) == "hi"
    assert decode_attributed_body(b"no string here") is None
    assert decode_attributed_body(b"NSString\x01\x94\x84\x01+\x50short") is None  # length past the end
    assert decode_attributed_body(b"NSString") is None


def test_calls(tmp_path: Path) -> None:
    db = build_call_db(
        tmp_path / "CallHistory.storedata",
        [
            (1, APPLE_SECONDS + 0.5, 62.0, "+8617155550001", 0, 1),
            (2, APPLE_SECONDS, 0.0, b"17155550002", 0, 0),  # ZADDRESS stored as a BLOB
            (3, APPLE_SECONDS, 30.0, "13700137000", 1, 1),
            (4, APPLE_SECONDS, 0.0, "13700137000", 1, 0),
        ],
    )
    events = list(parse_export("ios-calls", db, TZ))
    assert [(e.direction, e.status, e.duration, e.raw_number) for e in events] == [
        ("in", "answered", 62.0, "+8617155550001"),
        ("in", "missed", 0.0, "17155550002"),
        ("out", "answered", 30.0, "13700137000"),
        ("out", None, 0.0, "13700137000"),
    ]
    assert events[0].at == datetime(2026, 8, 11, 13, 20, 0, 500000, tzinfo=UTC)
    assert events[0].kind == "call"


@pytest.mark.parametrize("export_format", ["ios-sms", "ios-calls"])
@pytest.mark.parametrize("data", [b"", b"SQLite format 3\x00" + b"\x00" * 100, b"garbage" * 50])
def test_empty_and_garbage_databases_are_bad_input(export_format: str, data: bytes) -> None:
    with pytest.raises(BadInputError):
        list(parser_for(export_format).parse(io.BytesIO(data), TZ))


def test_database_without_the_tables_is_bad_input(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (x)")
    db.close()
    for export_format in ("ios-sms", "ios-calls"):
        with pytest.raises(BadInputError, match="is this"):
            list(parse_export(export_format, other, TZ))


def test_truncated_database_is_bad_input(tmp_path: Path) -> None:
    db = build_sms_db(
        tmp_path / "sms.db", [(i, "x" * 500, None, 1, APPLE_SECONDS, 0, 0, 0) for i in range(1, 200)]
    )
    data = db.read_bytes()
    with pytest.raises(BadInputError):
        list(parser_for("ios-sms").parse(io.BytesIO(data[: len(data) // 2]), TZ))


def test_unreadable_date_is_bad_input(tmp_path: Path) -> None:
    db = build_call_db(tmp_path / "c.db", [(1, "soon", 1.0, "1", 0, 1)])
    with pytest.raises(BadInputError, match="date"):
        list(parse_export("ios-calls", db, TZ))
