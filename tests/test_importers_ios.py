"""iOS sms.db and CallHistory.storedata, built here with sqlite3 in minimal schemas; hostile databases
(recursive views, slow queries, lying schemas) and records skipped one at a time."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers import apple_db, parse_export, parser_for
from evidence.importers.ios_sms import decode_attributed_body
from evidence.importers.limits import MAX_TEXT_CHARS
from evidence.records import ParsedEvent, SkippedRecord
from tests.test_importers_bounds import SealedStream

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 8, 11, 13, 20, tzinfo=UTC)
APPLE_SECONDS = int((AT - datetime(2001, 1, 1, tzinfo=UTC)).total_seconds())


def typedstream(text: str) -> bytes:
    """An attributedBody blob shaped like the ones iOS writes (header, NSString, length, UTF-8)."""
    body = text.encode("utf-8")
    if len(body) < 0x80:
        length = bytes([len(body)])
    elif len(body) < 1 << 16:
        length = b"\x81" + len(body).to_bytes(2, "little")
    else:
        length = b"\x82" + len(body).to_bytes(4, "little")
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


def read_all(export_format: str, data: bytes) -> list[ParsedEvent | SkippedRecord]:
    return list(parser_for(export_format).parse(SealedStream(data), TZ))


def test_ios_calls_bad_date_skips_one_call(tmp_path: Path) -> None:
    db = build_call_db(
        tmp_path / "c.db",
        [
            (1, APPLE_SECONDS, 1.0, "1", 0, 1),
            (2, "soon", 1.0, "17155550002", 0, 1),
            (3, APPLE_SECONDS, 2.0, "3", 1, 1),
        ],
    )
    first, skipped, last = read_all("ios-calls", db.read_bytes())
    assert skipped == SkippedRecord("call 2", "the record's date is not a readable Apple time")
    assert isinstance(first, ParsedEvent) and isinstance(last, ParsedEvent) and last.source_ref == "call 3"


def test_ios_messages_bad_date_skips_one_message(tmp_path: Path) -> None:
    db = build_sms_db(
        tmp_path / "sms.db",
        [
            (1, "前", None, 1, APPLE_SECONDS, 0, 0, 0),
            (2, "秘密", None, 1, "x", 0, 0, 0),
            (3, "后", None, 1, APPLE_SECONDS, 0, 0, 0),
        ],
    )
    first, skipped, last = read_all("ios-sms", db.read_bytes())
    assert skipped == SkippedRecord("message 2", "the record's date is not a readable Apple time")
    assert (getattr(first, "text", None), getattr(last, "text", None)) == ("前", "后")


def test_position_is_never_a_key_a_crafted_file_chose(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE ZCALLRECORD (Z_PK TEXT PRIMARY KEY, ZDATE, ZADDRESS) WITHOUT ROWID")
        db.execute("INSERT INTO ZCALLRECORD VALUES ('17155550009', 'soon', '1')")
    db.close()
    (skipped,) = read_all("ios-calls", path.read_bytes())
    assert skipped == SkippedRecord("call #1", "the record's date is not a readable Apple time")


def test_long_texts_are_cut_and_reported(tmp_path: Path) -> None:
    long = "长" * (MAX_TEXT_CHARS + 5)
    db = build_sms_db(
        tmp_path / "sms.db",
        [
            (1, long, None, 1, APPLE_SECONDS, 0, 0, 0),
            (2, None, typedstream("a" * 5_000_000), 1, APPLE_SECONDS, 0, 0, 0),  # past what is read of a blob
        ],
    )
    text_event, text_cut, body_event, body_cut = read_all("ios-sms", db.read_bytes())
    reason = f"the text was cut at {MAX_TEXT_CHARS:,} characters (the sealed original keeps it whole)"
    assert text_event == ParsedEvent(
        kind="sms",
        direction="in",
        raw_number="+8617155550001",
        at=AT,
        text="长" * MAX_TEXT_CHARS,
        source_ref="message 1",
    )
    assert text_cut == SkippedRecord("message 1", reason)
    assert isinstance(body_event, ParsedEvent) and body_event.text == "a" * MAX_TEXT_CHARS
    assert body_cut == SkippedRecord("message 2", reason)


def test_ios_parsed_from_memory_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plaintext database never touches the disk: no temporary copy, no file for SQLite."""
    db = build_sms_db(tmp_path / "sms.db", [(1, "x", None, 1, APPLE_SECONDS, 0, 0, 0)])
    data = db.read_bytes()

    def no_disk(*args: object, **kwargs: object) -> None:
        raise AssertionError("plaintext evidence written to a temporary file")

    for name in (
        "TemporaryDirectory",
        "NamedTemporaryFile",
        "TemporaryFile",
        "SpooledTemporaryFile",
        "mkstemp",
        "mkdtemp",
    ):
        monkeypatch.setattr(tempfile, name, no_disk)
    opened: list[object] = []
    real_connect = sqlite3.connect

    def connect(database: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        opened.append(database)
        return real_connect(database, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(sqlite3, "connect", connect)
    (event,) = read_all("ios-sms", data)
    assert isinstance(event, ParsedEvent) and event.text == "x"
    assert opened == [":memory:"]


def test_wal_mode_database_is_read(tmp_path: Path) -> None:
    path = tmp_path / "sms.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(
            "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT, date INTEGER, is_from_me INTEGER)"
        )
        db.execute("INSERT INTO message VALUES (1, '还钱', ?, 0)", (APPLE_SECONDS,))
    db.close()
    data = path.read_bytes()
    assert data[18:20] == b"\x02\x02"  # WAL mode, which SQLite cannot open from memory as it is
    (event,) = read_all("ios-sms", data)
    assert isinstance(event, ParsedEvent) and event.text == "还钱"


RECURSIVE = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)"
HOSTILE_CHILD = textwrap.dedent(
    """
    import io, json, sys, time
    from zoneinfo import ZoneInfo
    from evidence.importers import parser_for

    class Sealed(io.RawIOBase):
        def __init__(self, data):
            self._stream = io.BytesIO(data)
        def readable(self):
            return True
        def seekable(self):
            return True
        def readinto(self, buffer):
            return self._stream.readinto(buffer)
        def seek(self, offset, whence=0):
            return self._stream.seek(offset, whence)
        def tell(self):
            return self._stream.tell()

    started = time.monotonic()
    try:
        outputs = list(parser_for(sys.argv[2]).parse(Sealed(open(sys.argv[1], "rb").read()), ZoneInfo("UTC")))
        result = {"outputs": len(outputs)}
    except Exception as e:
        result = {"error": [type(e).__name__, str(e)]}
    result["seconds"] = time.monotonic() - started
    print(json.dumps(result))
    """
)


def parse_in_child(path: Path, export_format: str) -> dict[str, object]:
    """In a child process: on a hang the test fails at the timeout instead of hanging the run."""
    done = subprocess.run(
        [sys.executable, "-c", HOSTILE_CHILD, str(path), export_format],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_p15_ios_recursive_view_refused_quickly(tmp_path: Path) -> None:
    """A 20 KB sms.db whose `message` is a recursive view (it never ends) is refused at once."""
    path = tmp_path / "sms.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT)")
        db.execute(
            f"CREATE VIEW message AS {RECURSIVE} SELECT n AS ROWID, 'x' AS text, 1 AS handle_id,"
            " 808000000 AS date, 0 AS is_from_me FROM r"
        )
        db.execute("CREATE TABLE padding (x)")
        db.executemany("INSERT INTO padding VALUES (?)", [("p" * 100,)] * 150)
    db.close()
    assert 8_000 < path.stat().st_size < 40_000
    result = parse_in_child(path, "ios-sms")
    assert result["error"] == [
        "BadInputError",
        "the iOS messages database has no message table with dates; is this sms.db?",
    ]
    assert isinstance(result["seconds"], float) and result["seconds"] < 5


def test_ios_recursive_views_elsewhere_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "sms.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT, handle_id INTEGER, date INTEGER)"
        )
        db.execute("INSERT INTO message VALUES (1, '还钱', 1, ?)", (APPLE_SECONDS,))
        db.execute(f"CREATE VIEW handle AS {RECURSIVE} SELECT n AS ROWID, 'x' AS id FROM r")
        db.execute(f"CREATE VIEW chat AS {RECURSIVE} SELECT n AS ROWID, 'x' AS chat_identifier FROM r")
        db.execute("CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER)")
        db.execute("CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER)")
    db.close()
    result = parse_in_child(path, "ios-sms")
    assert result.get("outputs") == 1, result
    calls = tmp_path / "CallHistory.storedata"
    with sqlite3.connect(calls) as db:
        db.execute(f"CREATE VIEW ZCALLRECORD AS {RECURSIVE} SELECT n AS Z_PK, 808000000 AS ZDATE FROM r")
    db.close()
    result = parse_in_child(calls, "ios-calls")
    assert isinstance(result["error"], list) and result["error"][0] == "BadInputError"


def test_generated_columns_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "sms.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, date INTEGER,"
            " text TEXT GENERATED ALWAYS AS (printf('%.*c', 50000000, 'x')) VIRTUAL)"
        )
        db.execute("INSERT INTO message (ROWID, date) VALUES (1, ?)", (APPLE_SECONDS,))
    db.close()
    (event,) = read_all("ios-sms", path.read_bytes())
    assert isinstance(event, ParsedEvent) and event.text is None


def test_ios_slow_query_stops_at_the_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real tables, but no index: each message scans every join row. Stopped by the time budget."""
    path = tmp_path / "sms.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT)")
        db.execute(
            "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT, handle_id INTEGER, date INTEGER)"
        )
        db.execute("CREATE TABLE chat (ROWID INTEGER PRIMARY KEY, chat_identifier TEXT)")
        db.execute("CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER)")
        db.execute("CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER)")
        db.execute("INSERT INTO handle VALUES (1, '+8617155550001')")
        db.execute("INSERT INTO chat VALUES (1, 'c')")
        db.executemany(
            "INSERT INTO message VALUES (?, 'x', 1, ?)", [(i, APPLE_SECONDS) for i in range(1, 8001)]
        )
        db.executemany("INSERT INTO chat_message_join VALUES (1, ?)", [(i,) for i in range(8000, 0, -1)])
        db.executemany("INSERT INTO chat_handle_join VALUES (1, 1)", [()] * 2000)
    db.close()
    monkeypatch.setattr(apple_db, "QUERY_SECONDS", 0.5)
    started = time.monotonic()
    outputs: list[ParsedEvent | SkippedRecord] = []
    with pytest.raises(BadInputError, match=r"takes longer than 0\.5 s") as caught:
        outputs.extend(parser_for("ios-sms").parse(SealedStream(path.read_bytes()), TZ))
    assert time.monotonic() - started < 5
    if outputs:  # the rows read before the deadline are kept
        assert isinstance(caught.value, TruncatedInputError) and caught.value.records_read == len(outputs)


def test_database_over_the_size_limit_is_refused_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apple_db, "MAX_DATABASE_BYTES", 1024)
    stream = SealedStream(b"SQLite format 3\x00" + b"\x00" * 4096)
    with pytest.raises(BadInputError, match="larger than"):
        list(parser_for("ios-sms").parse(stream, TZ))
    assert stream.tell() == 0


def test_schema_past_the_first_64_kib_is_read() -> None:
    """The importer asks the database itself, whatever a sniffer saw in the first 64 KiB."""
    db = sqlite3.connect(":memory:")
    for i in range(300):
        db.execute(f"CREATE TABLE padding_{i} ({', '.join(f'column_{j} TEXT' for j in range(12))})")
    db.execute(
        "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT, date INTEGER, is_from_me INTEGER)"
    )
    db.execute("INSERT INTO message VALUES (1, '还钱', ?, 0)", (APPLE_SECONDS,))
    data = bytes(db.serialize())
    db.close()
    assert data.index(b"CREATE TABLE message") > 64 << 10
    (event,) = read_all("ios-sms", data)
    assert isinstance(event, ParsedEvent) and event.text == "还钱"
