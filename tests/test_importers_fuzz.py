"""Any input gives events, skipped records or BadInputError: random bytes and mutated real exports fed to
every parser."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.errors import BadInputError
from evidence.importers import export_formats, parser_for
from evidence.records import ParsedEvent, SkippedRecord
from tests.test_importers_bounds import SealedStream
from tests.test_importers_carrier import china_mobile, pdf_bytes, xls_bytes, xlsx_bytes
from tests.test_importers_huawei import calllog_db, sms_db
from tests.test_importers_wechat import COLLECTOR, ME, pc_row, wechatmsg_csv
from tests.test_importers_wechat_pages import (
    div,
    dump_msg,
    exporter_js,
    exporter_page,
    exporter_txt,
    text_span,
    txt_msg,
    wechat_dump,
    wechatmsg_html,
    wm_text,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = Path(__file__).resolve().parent / "data" / "exports"
TZ = ZoneInfo("Asia/Shanghai")
XML_FORMATS = ["sbr-sms", "sbr-calls", "superbackup-calls"]
FORMATS = list(export_formats())  # every registered format: a new importer is fuzzed from its first day
CSV_SEED = "号码,联系人,类型,时间,通话时长\n17155550001,,来电,2026-08-11 09:10:00,2分05秒\n".encode("gb18030")
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def ios_seeds() -> tuple[bytes, bytes]:
    """Small real-schema databases, as bytes (built once)."""
    memory = sqlite3.connect(":memory:")
    memory.execute("CREATE TABLE handle (ROWID INTEGER PRIMARY KEY, id TEXT)")
    memory.execute(
        "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT, attributedBody BLOB, handle_id INTEGER,"
        " date INTEGER, is_from_me INTEGER)"
    )
    memory.execute("INSERT INTO handle VALUES (1, '+8617155550001')")
    memory.executemany(
        "INSERT INTO message VALUES (?, ?, ?, 1, ?, ?)",
        [
            (i, f"第{i}条", b"NSString\x01\x94\x84\x01+\x03abc", 808_000_000 * 10**9 + i, i % 2)
            for i in range(1, 30)
        ],
    )
    sms = memory.serialize()
    memory.close()
    calls = sqlite3.connect(":memory:")
    calls.execute(
        "CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, ZDATE TIMESTAMP, ZDURATION FLOAT, ZADDRESS,"
        " ZORIGINATED INTEGER, ZANSWERED INTEGER)"
    )
    calls.executemany(
        "INSERT INTO ZCALLRECORD VALUES (?, ?, ?, ?, ?, ?)",
        [(i, 808_000_000.5 + i, float(i), b"17155550001", i % 2, i % 3 == 0) for i in range(1, 30)],
    )
    call_db = calls.serialize()
    calls.close()
    return bytes(sms), bytes(call_db)


@cache
def text_seeds() -> tuple[bytes, ...]:
    files = [
        SHARED / "corpus" / "demo" / "sms-20260817.xml",
        SHARED / "corpus" / "demo" / "calls-20260817.xml",
        SHARED / "corpus" / "public" / "sbr_mms_minimal__shruggietech.xml",
        SHARED / "corpus" / "public" / "sbr_sms_and_mms__devadvance_sms-backup-reader-2.xml",
        DATA / "superbackup-calls.xml",
    ]
    return (*(f.read_bytes() for f in files), CSV_SEED)


def outcome(export_format: str, data: bytes) -> None:
    """Parse to the end; only ParsedEvents (aware times), SkippedRecords or a BadInputError may come out."""
    try:
        for event in parser_for(export_format).parse(SealedStream(data), TZ):
            if isinstance(event, SkippedRecord):
                assert event.position and event.reason
                assert "17155550001" not in event.reason and "第" not in event.reason
                continue
            assert isinstance(event, ParsedEvent)
            assert event.at.tzinfo is not None and event.at.utcoffset() is not None
            assert event.direction in ("in", "out", None)
            assert isinstance(event.at - datetime(1970, 1, 1, tzinfo=UTC), object)
    except BadInputError:
        pass


@st.composite
def mutated(draw: st.DrawFn, seeds: tuple[bytes, ...]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        operation = draw(st.sampled_from(["truncate", "delete", "insert", "replace"]))
        if operation == "truncate":
            del data[at:]
        elif operation == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[at : at + 1] = draw(
                st.sampled_from(
                    [b"<", b">", b'"', b"&", b"\x00", b"\xff", b"9", b"-", b",", b"\n", b"a", b"."]
                )
            )
    return bytes(data)


@FUZZ
@given(st.sampled_from(FORMATS), st.binary(max_size=512))
def test_random_bytes(export_format: str, data: bytes) -> None:
    outcome(export_format, data)


@FUZZ
@given(st.sampled_from(FORMATS), st.data())
def test_mutated_text_exports(export_format: str, data: st.DataObject) -> None:
    outcome(export_format, data.draw(mutated(text_seeds())))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(
        [
            "ios-sms",
            "ios-calls",
            "android-sms",
            "android-calls",
            "huawei-sms",
            "huawei-calls",
            "csv",
            "sbr-sms",
        ]
    ),
    st.data(),
)
def test_mutated_databases(export_format: str, data: st.DataObject) -> None:
    outcome(export_format, data.draw(mutated((*ios_seeds(), android_seed(), *huawei_seeds()))))


@cache
def huawei_seeds() -> tuple[bytes, bytes]:
    """A Huawei backup's sms.db and calllog.db, decrypted (tests.test_importers_huawei builds them; imported
    at the top, as importing a test module inside a running @given trips the nested-@given check)."""
    return sms_db(), calllog_db()


@cache
def android_seed() -> bytes:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE sms (_id INTEGER PRIMARY KEY, address TEXT, date INTEGER, type INTEGER, body TEXT)"
    )
    db.execute(
        "CREATE TABLE calls (_id INTEGER PRIMARY KEY, number TEXT, date INTEGER,"
        " duration INTEGER, type INTEGER)"
    )
    db.executemany(
        "INSERT INTO sms VALUES (?, '17155550001', ?, ?, ?)",
        [(i, 1786518000000 + i, 1 + i % 2, f"第{i}条") for i in range(1, 20)],
    )
    db.executemany(
        "INSERT INTO calls VALUES (?, '17155550001', ?, ?, ?)",
        [(i, 1786518000000 + i, i, 1 + i % 3) for i in range(1, 20)],
    )
    data = db.serialize()
    db.close()
    return data


@cache
def table_seeds() -> tuple[bytes, ...]:
    """A carrier statement as .xlsx, .xls and PDF, a .vmsg and a WeChat export (built once)."""
    table = china_mobile()
    vmsg = (
        "BEGIN:VMSG\r\nVERSION:1.1\r\nBEGIN:VCARD\r\nTEL:17155550001\r\nEND:VCARD\r\nBEGIN:VBENV\r\n"
        "BEGIN:VBODY\r\nX-BOX:INBOX\r\nDate:2026/08/12 15:00:00\r\n还钱\r\n"
        "END:VBODY\r\nEND:VBENV\r\nEND:VMSG\r\n"
    ).encode()
    wechat = wechatmsg_csv(
        [pc_row(1, 1, 0, 0, 1786518000, "还钱", COLLECTOR), pc_row(2, 1, 0, 1, 1786518060, "好", ME)]
    )
    t = 1786518000
    pages = (
        exporter_txt("催收", [txt_msg("催收", t, "还钱\n今天"), txt_msg("我", t + 60, "[图片]")]),
        exporter_page("催收", [div("left", "1", "催收", "wxid_c", t, text_span("还钱 &amp; <b>x</b>"))]),
        exporter_js([div("right", "49", "我", "wxid_me", t, text_span("[红包]"))]),
        wechatmsg_html("催收", [wm_text(t, "还钱'\n", 0, "催收"), wm_text(t + 60, "好", 1, "我")]),
        wechat_dump(
            [
                dump_msg(1, "催收", t * 1000 + 5, "还钱\n今天"),
                dump_msg(3, "me", t * 1000 + 60_000, "Image", "THUMBNAIL_DIRPATH://th_1"),
                dump_msg(419430449, "催收", t * 1000 + 61_000, "[Money Transfer]\n0.01"),
            ]
        ),
    )
    return xlsx_bytes(table), xls_bytes(table), pdf_bytes(table), vmsg, wechat, *pages


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(
        [
            *("xlsx", "xls", "pdf-table", "vmsg", "wechat-csv", "wechat-txt", "csv"),
            *("wechat-exporter-txt", "wechat-exporter-html", "wechat-html", "wechat-dump-txt"),
        ]
    ),
    st.data(),
)
def test_mutated_tables_statements_and_chats(export_format: str, data: st.DataObject) -> None:
    outcome(export_format, data.draw(mutated(table_seeds())))


@FUZZ
@given(st.sampled_from(XML_FORMATS), st.text(alphabet="<>/=\"'&#;x0123456789 abcdeflmnopstu\n", max_size=300))
def test_xml_shaped_noise(export_format: str, text: str) -> None:
    outcome(export_format, text.encode("utf-8"))
