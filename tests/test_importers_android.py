"""Raw Android databases (mmssms.db, calllog.db) built here with sqlite3 in the phone's own schemas,
and vmsg SMS backups (MediaTek, IrMC and Samsung layouts): fields, encodings, broken and hostile files."""

from __future__ import annotations

import binascii
import io
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers import vmsg
from evidence.importers.android_codes import message_text
from evidence.importers.android_db import AndroidCalls, AndroidMessages, is_android_calls, is_android_sms
from evidence.importers.limits import MAX_TEXT_CHARS
from evidence.importers.vmsg import Vmsg
from evidence.records import ParsedEvent, SkippedRecord
from evidence.sniff import sniff
from tests.test_importers_bounds import SealedStream

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 8, 11, 13, 20, tzinfo=UTC)
MILLIS = int(AT.timestamp() * 1000)
LOCAL = datetime(2026, 8, 11, 21, 20, tzinfo=TZ)  # AT in Shanghai

# The columns a real phone's tables have (AOSP TelephonyProvider / CallLogProvider), so the parser is
# tested against tables with everything it does not read around what it does.
SMS_TABLE = (
    "CREATE TABLE sms (_id INTEGER PRIMARY KEY, thread_id INTEGER, address TEXT, person INTEGER,"
    " date INTEGER, date_sent INTEGER DEFAULT 0, protocol INTEGER, read INTEGER DEFAULT 0,"
    " status INTEGER DEFAULT -1, type INTEGER, reply_path_present INTEGER, subject TEXT, body TEXT,"
    " service_center TEXT, locked INTEGER DEFAULT 0, sub_id INTEGER DEFAULT -1, error_code INTEGER DEFAULT 0,"
    " creator TEXT, seen INTEGER DEFAULT 0)"
)
MMS_TABLES = (
    "CREATE TABLE pdu (_id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id INTEGER, date INTEGER,"
    " date_sent INTEGER DEFAULT 0, msg_box INTEGER, read INTEGER DEFAULT 0, m_id TEXT, sub TEXT,"
    " sub_cs INTEGER, ct_t TEXT, ct_l TEXT, exp INTEGER, m_cls TEXT, m_type INTEGER, v INTEGER,"
    " m_size INTEGER, pri INTEGER, rr INTEGER, rpt_a INTEGER, resp_st INTEGER, st INTEGER, tr_id TEXT,"
    " retr_st INTEGER, retr_txt TEXT, retr_txt_cs INTEGER, read_status INTEGER, ct_cls INTEGER,"
    " resp_txt TEXT, d_tm INTEGER, d_rpt INTEGER, locked INTEGER DEFAULT 0, sub_id INTEGER DEFAULT -1,"
    " seen INTEGER DEFAULT 0, creator TEXT, text_only INTEGER DEFAULT 0)",
    "CREATE TABLE addr (_id INTEGER PRIMARY KEY, msg_id INTEGER, contact_id INTEGER, address TEXT,"
    " type INTEGER, charset INTEGER)",
    "CREATE TABLE part (_id INTEGER PRIMARY KEY AUTOINCREMENT, mid INTEGER, seq INTEGER DEFAULT 0, ct TEXT,"
    " name TEXT, chset INTEGER, cd TEXT, fn TEXT, cid TEXT, cl TEXT, ctt_s INTEGER, ctt_t TEXT, _data TEXT,"
    " text TEXT)",
    "CREATE TABLE threads (_id INTEGER PRIMARY KEY AUTOINCREMENT, date INTEGER DEFAULT 0,"
    " message_count INTEGER DEFAULT 0, recipient_ids TEXT, snippet TEXT, snippet_cs INTEGER DEFAULT 0,"
    " read INTEGER DEFAULT 1, archived INTEGER DEFAULT 0, type INTEGER DEFAULT 0, error INTEGER DEFAULT 0,"
    " has_attachment INTEGER DEFAULT 0)",
    "CREATE TABLE canonical_addresses (_id INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT)",
    "CREATE INDEX threadIdIndex ON sms (thread_id, date)",
)
CALLS_TABLE = (
    "CREATE TABLE calls (_id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT,"
    " presentation INTEGER NOT NULL DEFAULT 1, post_dial_digits TEXT NOT NULL DEFAULT '',"
    " via_number TEXT NOT NULL DEFAULT '', date INTEGER, duration INTEGER, data_usage INTEGER, type INTEGER,"
    " features INTEGER NOT NULL DEFAULT 0, subscription_component_name TEXT, subscription_id TEXT,"
    " phone_account_address TEXT, phone_account_hidden INTEGER NOT NULL DEFAULT 0, sub_id INTEGER DEFAULT -1,"
    " new INTEGER, name TEXT, numbertype INTEGER, numberlabel TEXT, countryiso TEXT, voicemail_uri TEXT,"
    " is_read INTEGER, geocoded_location TEXT, lookup_uri TEXT, matched_number TEXT, normalized_number TEXT,"
    " photo_id INTEGER NOT NULL DEFAULT 0, photo_uri TEXT, formatted_number TEXT,"
    " add_for_all_users INTEGER NOT NULL DEFAULT 1, last_modified INTEGER DEFAULT 0,"
    " block_reason INTEGER NOT NULL DEFAULT 0, missed_reason INTEGER NOT NULL DEFAULT 0)"
)

Sms = tuple[int, str | None, object, int, str | None]  # _id, address, date, type, body
Mms = tuple[int, object, int, int, Sequence[tuple[int, str]], Sequence[tuple[str, str | None]]]
# _id, date (seconds), msg_box, m_type, addrs (type, address), parts (ct, text)


def build_mmssms(path: Path, sms: Iterable[Sms] = (), mms: Iterable[Mms] = ()) -> Path:
    with sqlite3.connect(path) as db:
        db.execute(SMS_TABLE)
        for statement in MMS_TABLES:
            db.execute(statement)
        db.executemany(
            "INSERT INTO sms (_id, thread_id, address, date, date_sent, type, body, read, seen)"
            " VALUES (?, 1, ?, ?, 0, ?, ?, 1, 1)",
            sms,
        )
        for pdu_id, date, box, m_type, addrs, parts in mms:
            db.execute(
                "INSERT INTO pdu (_id, thread_id, date, msg_box, m_type, ct_t, v) VALUES (?, 2, ?, ?, ?,"
                " 'application/vnd.wap.multipart.related', 18)",
                (pdu_id, date, box, m_type),
            )
            db.executemany(
                "INSERT INTO addr (msg_id, address, type, charset) VALUES (?, ?, ?, 106)",
                [(pdu_id, address, kind) for kind, address in addrs],
            )
            db.executemany(
                "INSERT INTO part (mid, seq, ct, text) VALUES (?, ?, ?, ?)",
                [(pdu_id, -1 if ct == "application/smil" else 0, ct, text) for ct, text in parts],
            )
    db.close()
    return path


Call = tuple[
    int, str | None, object, int, int, str | None, int
]  # _id, number, date, duration, type, name, pres.


def build_calllog(path: Path, calls: Iterable[Call]) -> Path:
    with sqlite3.connect(path) as db:
        db.execute(CALLS_TABLE)
        db.executemany(
            "INSERT INTO calls (_id, number, date, duration, type, name, presentation, countryiso, new,"
            " is_read) VALUES (?, ?, ?, ?, ?, ?, ?, 'CN', 0, 1)",
            calls,
        )
    db.close()
    return path


def streams(data: bytes) -> list[io.RawIOBase | io.BytesIO]:
    """The file as a plain in-memory stream and as intake's sealed reader (short reads)."""
    return [io.BytesIO(data), SealedStream(data, most=4096)]


def parse_messages(data: bytes) -> list[ParsedEvent | SkippedRecord]:
    outputs = [list(AndroidMessages().parse(s, TZ)) for s in streams(data)]
    assert outputs[0] == outputs[1]
    return outputs[0]


def events_of(outputs: Sequence[ParsedEvent | SkippedRecord]) -> list[ParsedEvent]:
    assert all(isinstance(o, ParsedEvent) for o in outputs), outputs
    return [o for o in outputs if isinstance(o, ParsedEvent)]


# --- mmssms.db ------------------------------------------------------------------------------------------


def test_sms_directions_numbers_times_texts_and_drafts(tmp_path: Path) -> None:
    db = build_mmssms(
        tmp_path / "mmssms.db",
        sms=[
            (1, "10690000123", MILLIS, 1, "【好借花】今天还钱\n否则联系你家人"),
            (2, "13800138000", MILLIS + 1500, 2, "我会还"),
            (3, "13800138000", MILLIS, 3, "草稿没有发出"),  # draft: skipped
            (4, "13800138000", MILLIS, 5, "发送失败"),  # failed: the borrower's own attempt
            (5, "+8617155550001", MILLIS, 6, ""),  # queued, empty body
            (6, "17155550002", MILLIS, 99, "ok"),  # an OEM code: no direction
        ],
    )
    events = events_of(parse_messages(db.read_bytes()))
    assert [(e.kind, e.direction, e.raw_number, e.text) for e in events] == [
        ("sms", "in", "10690000123", "【好借花】今天还钱\n否则联系你家人"),
        ("sms", "out", "13800138000", "我会还"),
        ("sms", "out", "13800138000", "发送失败"),
        ("sms", "out", "+8617155550001", None),
        ("sms", None, "17155550002", "ok"),
    ]
    assert events[0].at == AT and events[0].at.astimezone(TZ) == LOCAL and not events[0].tz_assumed
    assert events[1].at == AT + timedelta(milliseconds=1500)
    assert [e.source_ref for e in events] == ["sms 1", "sms 2", "sms 4", "sms 5", "sms 6"]


def test_mms_text_sender_recipients_and_drafts(tmp_path: Path) -> None:
    seconds = MILLIS // 1000
    db = build_mmssms(
        tmp_path / "mmssms.db",
        mms=[
            (  # received: from the 137 address; a lone 151 is the borrower's own number
                1,
                seconds,
                1,
                132,
                [(137, "17155550001"), (151, "13700137000")],
                [("application/smil", "<smil/>"), ("image/jpeg", None), ("text/plain", "看看你家门口")],
            ),
            (  # sent to two: the first is the number, the other `other_numbers`; own token left out
                2,
                seconds,
                2,
                128,
                [(137, "insert-address-token"), (151, "17155550001"), (151, "17155550002")],
                [("text/plain", "第一段"), ("text/plain", "第二段")],
            ),
            (3, seconds, 3, 128, [(151, "17155550001")], [("text/plain", "draft")]),  # draft: skipped
            (  # received in a group: the other To and Cc addresses are other participants
                4,
                seconds,
                1,
                132,
                [(137, "17155550001"), (151, "13700137000"), (151, "17155550003"), (130, "17155550004")],
                [("TEXT/PLAIN", "群发")],
            ),
            (5, seconds, 0, 132, [(137, "17155550005")], []),  # unknown box: the PDU type says received
        ],
    )
    events = events_of(parse_messages(db.read_bytes()))
    assert [(e.kind, e.direction, e.raw_number, e.other_numbers, e.text) for e in events] == [
        ("mms", "in", "17155550001", (), "[image/jpeg]\n看看你家门口"),
        ("mms", "out", "17155550001", ("17155550002",), "第一段\n第二段"),
        ("mms", "in", "17155550001", ("13700137000", "17155550003", "17155550004"), "群发"),
        ("mms", "in", "17155550005", (), None),
    ]
    assert all(e.at == AT and not e.tz_assumed for e in events)  # MMS dates are in seconds
    assert [e.source_ref for e in events] == ["mms 1", "mms 2", "mms 4", "mms 5"]


def test_orphan_addresses_and_parts_do_not_shift_other_messages(tmp_path: Path) -> None:
    db = build_mmssms(
        tmp_path / "mmssms.db",
        mms=[(5, MILLIS // 1000, 1, 132, [(137, "17155550005")], [("text/plain", "五")])],
    )
    with sqlite3.connect(db) as c:
        c.execute("INSERT INTO addr (msg_id, address, type) VALUES (2, '17100000000', 137)")
        c.execute("INSERT INTO addr (msg_id, address, type) VALUES (9, '17100000009', 137)")
        c.execute("INSERT INTO part (mid, ct, text) VALUES (3, 'text/plain', 'orphan')")
        c.execute("INSERT INTO part (mid, ct, text) VALUES ('x', 'text/plain', 'crafted key')")
    c.close()
    (event,) = events_of(parse_messages(db.read_bytes()))
    assert (event.raw_number, event.text) == ("17155550005", "五")


def test_sms_and_mms_read_from_sealed_stream_with_short_reads(tmp_path: Path) -> None:
    db = build_mmssms(
        tmp_path / "mmssms.db",
        sms=[(i, "17155550001", MILLIS + i, 1, f"第{i}条" * 50) for i in range(1, 300)],
    )
    outputs = list(AndroidMessages().parse(SealedStream(db.read_bytes(), most=1000), TZ))
    assert len(events_of(outputs)) == 299


def test_unreadable_sms_is_skipped_alone(tmp_path: Path) -> None:
    db = build_mmssms(
        tmp_path / "mmssms.db",
        sms=[
            (1, "1", MILLIS, 1, "前"),
            (2, "17155550002", "soon", 1, "秘密"),
            (3, "17155550002", None, 1, "秘密"),
            (4, "3", MILLIS, 1, "后"),
        ],
    )
    first, bad_date, no_date, last = parse_messages(db.read_bytes())
    assert bad_date == SkippedRecord("sms 2", "the record's date is not a readable epoch time")
    assert no_date == SkippedRecord("sms 3", "the record has no date")
    assert isinstance(first, ParsedEvent) and isinstance(last, ParsedEvent) and last.text == "后"


def test_long_sms_text_is_cut_and_reported(tmp_path: Path) -> None:
    db = build_mmssms(tmp_path / "mmssms.db", sms=[(1, "1", MILLIS, 1, "长" * (MAX_TEXT_CHARS + 5))])
    event, cut = parse_messages(db.read_bytes())
    assert isinstance(event, ParsedEvent) and event.text == "长" * MAX_TEXT_CHARS
    assert cut == SkippedRecord(
        "sms 1", f"the text was cut at {MAX_TEXT_CHARS:,} characters (the sealed original keeps it whole)"
    )


def test_minimal_sms_table_without_mms_tables(tmp_path: Path) -> None:
    path = tmp_path / "mmssms.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sms (_id INTEGER PRIMARY KEY, address TEXT, date INTEGER)")
        db.execute("INSERT INTO sms VALUES (1, '17155550001', ?)", (MILLIS,))
    db.close()
    (event,) = events_of(parse_messages(path.read_bytes()))
    assert (event.direction, event.raw_number, event.text, event.at) == (None, "17155550001", None, AT)


# --- calllog.db -----------------------------------------------------------------------------------------


def test_calls_types_durations_names_and_withheld_numbers(tmp_path: Path) -> None:
    db = build_calllog(
        tmp_path / "calllog.db",
        [
            (1, "17155550001", MILLIS, 62, 1, "催收", 1),
            (2, "13800138000", MILLIS, 0, 2, None, 1),
            (3, "17155550001", MILLIS, 0, 3, None, 1),
            (4, "17155550001", MILLIS, 30, 4, None, 1),
            (5, "17155550001", MILLIS, 0, 5, None, 1),
            (6, "17155550001", MILLIS, 0, 6, "(Unknown)", 1),
            (7, "17155550001", MILLIS, 12, 7, None, 1),
            (8, "", MILLIS, 0, 3, None, 2),  # restricted: a hidden caller id
            (9, "17155550009", MILLIS, 5, 1, None, 2),  # restricted, whatever number the ROM kept
            (10, "", MILLIS, 0, 3, None, 3),  # unknown
            (11, None, MILLIS, 0, 1, None, 4),  # payphone
            (12, "17155550001", MILLIS, 0, 42, None, 1),  # an OEM code: no guess
        ],
    )
    outputs = [list(AndroidCalls().parse(s, TZ)) for s in streams(db.read_bytes())]
    assert outputs[0] == outputs[1]
    events = events_of(outputs[0])
    assert [(e.direction, e.status, e.duration, e.raw_number, e.contact) for e in events] == [
        ("in", "answered", 62.0, "17155550001", "催收"),
        ("out", None, 0.0, "13800138000", None),
        ("in", "missed", 0.0, "17155550001", None),
        ("in", "voicemail", 30.0, "17155550001", None),
        ("in", "rejected", 0.0, "17155550001", None),
        ("in", "blocked", 0.0, "17155550001", None),
        ("in", "answered", 12.0, "17155550001", None),
        ("in", "missed", 0.0, "-2", None),
        ("in", "answered", 5.0, "-2", None),
        ("in", "missed", 0.0, "-1", None),
        ("in", "answered", 0.0, "-3", None),
        (None, None, 0.0, "17155550001", None),
    ]
    assert all(e.kind == "call" and e.at == AT and not e.tz_assumed for e in events)
    assert events[0].at.astimezone(TZ) == LOCAL and events[0].source_ref == "call 1"


def test_withheld_call_is_classed_withheld() -> None:
    from evidence.numbers import parse_number

    assert parse_number("-2").number_class == "withheld"


def test_unreadable_call_is_skipped_alone(tmp_path: Path) -> None:
    db = build_calllog(
        tmp_path / "calllog.db",
        [
            (1, "1", MILLIS, 1, 1, None, 1),
            (2, "2", "yesterday", 1, 1, None, 1),
            (3, "3", MILLIS, 1, 2, None, 1),
        ],
    )
    first, skipped, last = AndroidCalls().parse(SealedStream(db.read_bytes()), TZ)
    assert skipped == SkippedRecord("call 2", "the record's date is not a readable epoch time")
    assert isinstance(first, ParsedEvent) and isinstance(last, ParsedEvent) and last.direction == "out"


# --- hostile and wrong databases ------------------------------------------------------------------------

RECURSIVE = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)"


def test_a_view_named_sms_is_a_missing_table(tmp_path: Path) -> None:
    path = tmp_path / "mmssms.db"
    with sqlite3.connect(path) as db:
        db.execute(
            f"CREATE VIEW sms AS {RECURSIVE} SELECT n AS _id, '1' AS address, 1786454400000 AS date,"
            " 1 AS type, 'x' AS body FROM r"
        )
    db.close()
    with pytest.raises(BadInputError, match=r"is this mmssms\.db"):
        list(AndroidMessages().parse(SealedStream(path.read_bytes()), TZ))


def test_a_view_named_calls_is_a_missing_table(tmp_path: Path) -> None:
    path = tmp_path / "calllog.db"
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE VIEW calls AS {RECURSIVE} SELECT n AS _id, 1786454400000 AS date FROM r")
    db.close()
    with pytest.raises(BadInputError, match=r"is this calllog\.db"):
        list(AndroidCalls().parse(SealedStream(path.read_bytes()), TZ))


def test_views_in_place_of_addr_and_part_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "mmssms.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE pdu (_id INTEGER PRIMARY KEY, date INTEGER, msg_box INTEGER)")
        db.execute("INSERT INTO pdu VALUES (1, ?, 1)", (MILLIS // 1000,))
        db.execute(f"CREATE VIEW addr AS {RECURSIVE} SELECT 1 AS msg_id, '1' AS address, 137 AS type FROM r")
        db.execute(f"CREATE VIEW part AS {RECURSIVE} SELECT 1 AS mid, 'text/plain' AS ct, 'x' AS text FROM r")
    db.close()
    (event,) = events_of(parse_messages(path.read_bytes()))
    assert (event.kind, event.direction, event.raw_number, event.text) == ("mms", "in", None, None)


def test_wrong_database_for_each_importer(tmp_path: Path) -> None:
    messages = build_mmssms(tmp_path / "mmssms.db", sms=[(1, "1", MILLIS, 1, "x")])
    calls = build_calllog(tmp_path / "calllog.db", [(1, "1", MILLIS, 1, 1, None, 1)])
    with pytest.raises(BadInputError, match=r"is this calllog\.db"):
        list(AndroidCalls().parse(io.BytesIO(messages.read_bytes()), TZ))
    with pytest.raises(BadInputError, match=r"is this mmssms\.db"):
        list(AndroidMessages().parse(io.BytesIO(calls.read_bytes()), TZ))


@pytest.mark.parametrize("data", [b"", b"SQLite format 3\x00" + b"\x00" * 100, b"BEGIN:VMSG\r\n" * 50])
def test_not_a_database_is_bad_input(data: bytes) -> None:
    for parser in (AndroidMessages(), AndroidCalls()):
        with pytest.raises(BadInputError):
            list(parser.parse(io.BytesIO(data), TZ))


def test_table_sniffing_helpers() -> None:
    assert is_android_sms({"sms", "pdu", "addr", "part", "threads", "android_metadata"})
    assert is_android_sms({"SMS"}) and is_android_sms({"pdu", "addr", "part"})
    assert not is_android_sms({"message", "handle", "chat"})  # iOS sms.db
    assert is_android_calls({"calls", "android_metadata"}) and is_android_calls({"Calls", "raw_contacts"})
    assert not is_android_calls({"ZCALLRECORD"}) and not is_android_calls({"sms"})


# --- vmsg -----------------------------------------------------------------------------------------------


def mtk_record(box: str, number: str, date: str, subject_line: str, eol: str = "\r\n") -> str:
    """One record as the MediaTek backup apps (OPPO, vivo, ZTE…) write it."""
    lines = [
        "BEGIN:VMSG",
        "VERSION:1.1",
        "BEGIN:VCARD",
        f"TEL:{number}",
        "END:VCARD",
        "BEGIN:VBODY",
        f"X-BOX:{box}",
        "X-READ:READ",
        "X-SIMID:1",
        "X-LOCKED:UNLOCKED",
        "X-TYPE:SMS",
        f"Date:{date}",
        subject_line,
        "END:VBODY",
        "END:VMSG",
    ]
    return eol.join(lines) + eol


def qp(text: str, eol: str = "\r\n") -> str:
    """The text quoted-printable as a MediaTek exporter writes it: every line break encoded, soft breaks."""
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=False).decode("ascii")
    return encoded.replace("=\n", "=" + eol)


def qp_subject(text: str, eol: str = "\r\n") -> str:
    return "Subject;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:" + qp(text, eol)


def read_vmsg(data: bytes) -> list[ParsedEvent | SkippedRecord]:
    outputs = [list(Vmsg().parse(s, TZ)) for s in streams(data)]
    assert outputs[0] == outputs[1]
    return outputs[0]


def test_mediatek_records_with_quoted_printable_text() -> None:
    long_text = "您好，您在【好借花】的借款已逾期，请于今日18:00前还款=否则后果自负。\n" * 6
    data = (
        mtk_record("INBOX", "10690000123", "2026/08/11 21:20:00", qp_subject(long_text))
        + mtk_record("SENDBOX", "+8613800138000", "2026/08/11 21:21:05", qp_subject("我会还"))
        + mtk_record("DRAFT", "13800138000", "2026/08/11 21:22:00", qp_subject("草稿"))
        + mtk_record("OUTBOX", "13800138000", "2026-08-11 21:23", "Subject:plain text")
    ).encode("utf-8")
    assert qp(long_text).count("=\r\n") > 3  # soft breaks are exercised
    events = events_of(read_vmsg(data))
    assert [(e.kind, e.direction, e.raw_number, e.text) for e in events] == [
        ("sms", "in", "10690000123", long_text),
        ("sms", "out", "+8613800138000", "我会还"),
        ("sms", "out", "13800138000", "plain text"),
    ]
    assert [e.at for e in events] == [
        LOCAL,
        LOCAL + timedelta(minutes=1, seconds=5),
        LOCAL + timedelta(minutes=3),
    ]
    assert all(e.tz_assumed for e in events)
    assert [e.source_ref for e in events] == ["message 1", "message 2", "message 4"]


def test_irmc_record_with_raw_multiline_body_and_envelope() -> None:
    data = (
        "BEGIN:VMSG\r\nVERSION:1.1\r\nX-IRMC-STATUS:SENT\r\nX-IRMC-BOX:SENTBOX\r\n"
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN:\r\nTEL:\r\nEND:VCARD\r\n"  # the sender: the phone's owner
        "BEGIN:VENV\r\nBEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0;=E4=B8=89\r\n"
        "TEL;CELL:17155550001\r\nEND:VCARD\r\n"
        "BEGIN:VENV\r\nBEGIN:VBODY\r\nDate:2013.4.3.23.5.9\r\n"
        "第一行\r\nNote: 第二行\r\n\r\n第四行\r\nEND:VBODY\r\nEND:VENV\r\nEND:VENV\r\nEND:VMSG\r\n"
        "BEGIN:VMSG\r\nVERSION:1.1\r\nX-IRMC-BOX:INBOX\r\n"
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:催收\r\nTEL;CELL; HOME; VOICE:17155550002\r\nEND:VCARD\r\n"
        "BEGIN:VENV\r\nBEGIN:VCARD\r\nTEL:13700137000\r\nEND:VCARD\r\n"
        "BEGIN:VENV\r\nBEGIN:VBODY\r\nDate:20260811T132000Z\r\nTEXT;ENCODING=QUOTED-PRINTABLE:ok\r\n"
        "END:VBODY\r\nEND:VENV\r\nEND:VENV\r\nEND:VMSG\r\n"
    ).encode()
    sent, received = events_of(read_vmsg(data))
    assert (sent.direction, sent.raw_number, sent.contact) == ("out", "17155550001", "张 三")
    assert sent.text == "第一行\r\nNote: 第二行\r\n\r\n第四行"
    assert sent.at == datetime(2013, 4, 3, 23, 5, 9, tzinfo=TZ) and sent.tz_assumed
    assert (received.direction, received.raw_number, received.contact, received.text) == (
        "in",
        "17155550002",
        "催收",
        "ok",
    )
    assert received.at == AT and not received.tz_assumed


def test_samsung_base64_body_and_zte_mms_parts() -> None:
    data = (
        b"BEGIN:VMSG\nX-MESSAGE-TYPE:SMS\nX-IRMC-BOX:INBOX\nX-SS-DT:20260811T132000Z\n"
        b"BEGIN:VBODY\nX-BODY-SUBJECT:x\nX-BODY-CONTENTS;ENCODING=BASE64:5LuK5aSp6L+Y6ZKx\nEND:VBODY\n"
        b"BEGIN:VCARD\nVERSION:2.1\nTEL:01736510664\nEND:VCARD\nEND:VMSG\n"
        b"BEGIN:VMSG\nDate:2026/08/11 21:20:00\nBEGIN:VPART\n"
        b"X-MMS-PART-CONTENT-TYPE:image/jpeg\nX-MMS-PART-NAME:IMG_6020.jpg\nX-MMS-PART-DATA:aGVsbG8=\nEND:VPART\n"
        b"BEGIN:VPART\nX-MMS-PART-CONTENT-TYPE:text/plain\nX-MMS-PART-DATA:5Yiw5L2g5a626Zeo5Y+j5LqG\n"
        b"END:VPART\nEND:VMSG\n"
    )
    sms, mms = events_of(read_vmsg(data))
    assert (sms.kind, sms.direction, sms.raw_number, sms.text, sms.at) == (
        "sms",
        "in",
        "01736510664",
        "今天还钱",
        AT,
    )
    assert (mms.kind, mms.direction, mms.raw_number, mms.text, mms.at) == (
        "mms",
        None,
        None,
        "[image/jpeg]\n到你家门口了",
        LOCAL,
    )


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b""), ("utf-16-le", b"\xff\xfe")],
)
def test_file_encodings(encoding: str, bom: bytes) -> None:
    text = mtk_record("INBOX", "17155550001", "2026/08/11 21:20:00", "Subject:逾期了，请还款")
    text += mtk_record(
        "INBOX",
        "17155550001",
        "2026/08/11 21:20:00",
        "Subject;ENCODING=QUOTED-PRINTABLE;CHARSET=GBK:=C4=E3=BA=C3",
    )
    events = events_of(read_vmsg(bom + text.encode(encoding)))
    assert [e.text for e in events] == ["逾期了，请还款", "你好"]


def test_a_cut_file_keeps_the_records_before_the_cut() -> None:
    data = "".join(
        mtk_record("INBOX", "17155550001", "2026/08/11 21:20:00", qp_subject(f"第{i}条")) for i in range(1, 4)
    ).encode("utf-8")
    cut = data[: data.index(b"END:VBODY", len(data) - 60)]
    outputs: list[ParsedEvent | SkippedRecord] = []
    with pytest.raises(TruncatedInputError, match="ends inside message 3") as caught:
        outputs.extend(Vmsg().parse(SealedStream(cut), TZ))
    assert caught.value.records_read == 2
    assert [e.text for e in events_of(outputs)] == ["第1条", "第2条"]
    with pytest.raises(BadInputError, match="ends inside message 1"):
        list(Vmsg().parse(SealedStream(data[:100]), TZ))


def test_a_record_too_long_stops_the_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vmsg, "MAX_RECORD_CHARS", 2000)
    data = (
        mtk_record("INBOX", "1", "2026/08/11 21:20:00", "Subject:short")
        + mtk_record("INBOX", "2", "2026/08/11 21:20:00", qp_subject("长" * 1000))
        + mtk_record("INBOX", "3", "2026/08/11 21:20:00", "Subject:never read")
    ).encode("utf-8")
    outputs: list[ParsedEvent | SkippedRecord] = []
    with pytest.raises(TruncatedInputError, match="message 2 is longer than 2,000 characters") as caught:
        outputs.extend(Vmsg().parse(SealedStream(data), TZ))
    assert caught.value.records_read == 1 and [e.text for e in events_of(outputs)] == ["short"]
    one_line = b"BEGIN:VMSG\n" + b"x" * 5000  # a single line longer than the bound is never held whole
    with pytest.raises(BadInputError, match="longer than"):
        list(Vmsg().parse(SealedStream(one_line), TZ))


FORGED = (
    "END:VBODY\r\nEND:VMSG\r\nBEGIN:VMSG\r\nVERSION:1.1\r\nBEGIN:VCARD\r\nTEL:95588\r\nEND:VCARD\r\n"
    "BEGIN:VBODY\r\nX-BOX:SENDBOX\r\nDate:2026/08/11 03:00:00\r\nSubject:我承认欠款并同意加倍还款"
)


def test_a_quoted_printable_text_cannot_forge_a_record() -> None:
    text = "你已逾期\r\n" + FORGED
    # An encoder that leaves printable ASCII as it is, with soft breaks right before each forged line.
    encoded = "=\r\n".join(qp(line).replace("=\r\n", "") for line in text.split("\r\n"))
    encoded = encoded.replace("=\r\n", "=0D=0A=\r\n")
    data = (
        mtk_record(
            "INBOX", "17155550001", "2026/08/11 21:20:00", "Subject;ENCODING=QUOTED-PRINTABLE:" + encoded
        )
        + mtk_record("INBOX", "17155550001", "2026/08/11 21:21:00", qp_subject("next"))
    ).encode("utf-8")
    for forged in (b"END:VBODY", b"END:VMSG", b"BEGIN:VMSG", b"BEGIN:VBODY"):
        assert b"=\r\n" + forged + b"=0D=0A=\r\n" in data  # each forged line stands at a line start
    first, second = events_of(read_vmsg(data))
    assert (first.direction, first.raw_number, first.text) == ("in", "17155550001", text)
    assert second.text == "next" and second.source_ref == "message 2"


def test_a_raw_text_with_structure_lines_never_starts_a_record() -> None:
    """Written raw, a text line END:VBODY ends the text (the format cannot say otherwise); what follows
    must then be the record's end: anything else stops the import, it is never read as records."""
    good = mtk_record("INBOX", "17155550001", "2026/08/11 21:20:00", "Subject:before")
    half_forged = mtk_record(
        "INBOX", "17155550001", "2026/08/11 21:21:00", "Subject:逾期\r\nEND:VBODY\r\n我承认欠款\r\nBEGIN:VMSG"
    )
    outputs: list[ParsedEvent | SkippedRecord] = []
    with pytest.raises(TruncatedInputError, match="message 2 breaks at line") as caught:
        outputs.extend(Vmsg().parse(SealedStream((good + half_forged + good).encode("utf-8")), TZ))
    assert caught.value.records_read == 1 and [e.text for e in events_of(outputs)] == ["before"]
    nested = "BEGIN:VMSG\r\nBEGIN:VBODY\r\nX-BOX:INBOX\r\nEND:VBODY\r\nBEGIN:VMSG\r\n"
    with pytest.raises(TruncatedInputError, match="a message begins inside another"):
        list(Vmsg().parse(io.BytesIO((good + nested + good).encode("utf-8")), TZ))
    stray = good + "Subject:not in a record\r\n" + good
    with pytest.raises(TruncatedInputError, match="outside any message"):
        list(Vmsg().parse(io.BytesIO(stray.encode("utf-8")), TZ))


def test_a_record_without_a_readable_date_is_skipped_alone() -> None:
    data = (
        mtk_record("INBOX", "1", "2026/08/11 21:20:00", "Subject:前")
        + mtk_record("INBOX", "2", "yesterday", "Subject:秘密 17155550002")
        + mtk_record("INBOX", "3", "21-12-2005 11:24:50", "Subject:day first")
        + mtk_record("INBOX", "4", "2026/08/11 21:20:00", "Subject:后").replace(
            "Date:2026/08/11 21:20:00\r\n", ""
        )
        + mtk_record("INBOX", "5", "2026/08/11 21:20:00", "Subject:最后")
    ).encode("utf-8")
    outputs = read_vmsg(data)
    assert outputs[1:4] == [
        SkippedRecord("message 2", "the message's date is not understood"),
        SkippedRecord("message 3", "the message's date is not understood"),
        SkippedRecord("message 4", "the message has no date"),
    ]
    assert [getattr(o, "text", None) for o in (outputs[0], outputs[4])] == ["前", "最后"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\r\n\r\n",
        b"<?xml version='1.0'?><smses/>",
        b"BEGIN:VCARD\r\nEND:VCARD\r\n",
        b"\x00\x01\x02" * 10,
    ],
)
def test_not_a_vmsg_file_is_bad_input(data: bytes) -> None:
    with pytest.raises(BadInputError):
        list(Vmsg().parse(io.BytesIO(data), TZ))


def test_sniffing_finds_vmsg_by_content() -> None:
    assert sniff("\ufeff\r\n  BEGIN:VMSG\r\nVERSION:1.1".encode()).export_format == "vmsg"
    assert sniff("begin:vmsg\n".encode("utf-16")).export_format == "vmsg"
    assert sniff(b"BEGIN:VCARD\nBEGIN:VMSG\n").export_format is None
    assert sniff(b"\n\n").export_format is None


# --- property: a message list written both ways reads back the same -------------------------------------

MESSAGES = st.lists(
    st.tuples(
        st.sampled_from([(1, "INBOX", "in"), (2, "SENDBOX", "out"), (4, "OUTBOX", "out")]),
        st.from_regex(r"1[3-9]\d{9}|106\d{5,10}|\+861[3-9]\d{9}", fullmatch=True),
        st.datetimes(datetime(2000, 1, 1), datetime(2037, 12, 31)).map(lambda d: d.replace(microsecond=0)),
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=300),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(MESSAGES)
def test_messages_read_back_the_same_from_vmsg_and_mmssms(tmp_path: Path, messages: list[tuple]) -> None:
    expected = [
        (direction, number, local.replace(tzinfo=TZ), message_text(text))
        for (_, _, direction), number, local, text in messages
    ]
    data = "".join(
        mtk_record(box, number, local.strftime("%Y/%m/%d %H:%M:%S"), qp_subject(text))
        for (_, box, _), number, local, text in messages
    ).encode("utf-8")
    from_vmsg = events_of(list(Vmsg().parse(SealedStream(data, most=512), TZ)))
    assert [(e.direction, e.raw_number, e.at, e.text) for e in from_vmsg] == expected

    path = tmp_path / "mmssms.db"
    path.unlink(missing_ok=True)
    rows = [
        (i, number, int(local.replace(tzinfo=TZ).timestamp() * 1000), code, text)
        for i, ((code, _, _), number, local, text) in enumerate(messages, 1)
    ]
    build_mmssms(path, sms=rows)
    from_db = events_of(list(AndroidMessages().parse(SealedStream(path.read_bytes()), TZ)))
    assert [(e.direction, e.raw_number, e.at, e.text) for e in from_db] == expected
