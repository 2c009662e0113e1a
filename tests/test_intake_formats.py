"""Formats through intake: content decides (a database is asked for its tables, a PDF for a table),
and a file that looks like an export but is not read is never silent."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from evidence import events, intake
from evidence.store import Store
from evidence.verification import verify_store
from tests.conftest import run_cli
from tests.test_importers_carrier import EXPECTED, china_telecom, pdf_bytes, xlsx_bytes

AT_MS = 1772460000000  # 2026-03-02 22:00 in Shanghai


def android_sms(path: Path, filler_tables: int = 0) -> Path:
    """An mmssms.db; with filler tables first, its `sms` table is described past the first 64 KiB."""
    with sqlite3.connect(path) as db:
        for i in range(filler_tables):
            columns = ", ".join(f"c{j} TEXT" for j in range(40))
            db.execute(f"CREATE TABLE filler_{i} (id INTEGER PRIMARY KEY, {columns})")
        db.execute(
            "CREATE TABLE sms (_id INTEGER PRIMARY KEY, address TEXT, date INTEGER, type INTEGER, body TEXT)"
        )
        db.execute(
            "INSERT INTO sms (address, date, type, body) VALUES ('17155550001', ?, 1, '还钱')", (AT_MS,)
        )
    return path


@pytest.mark.parametrize("filler", [0, 200])
def test_an_android_database_is_recognised_by_asking_it(store: Store, tmp_path: Path, filler: int) -> None:
    path = android_sms(tmp_path / "mmssms.db", filler)
    if filler:
        assert b"CREATE TABLE sms" not in path.read_bytes()[:65536]
    added = intake.add_file(store, path)
    assert (added.kind, added.events, added.warning) == ("export", 1, None)
    (event,) = events.list_events(store)
    assert (event.kind, event.direction, event.number, event.text) == ("sms", "in", "17155550001", "还钱")


def test_a_carrier_pdf_is_an_export_and_a_letter_stays_a_document(store: Store, tmp_path: Path) -> None:
    statement = tmp_path / "详单.pdf"
    statement.write_bytes(pdf_bytes(china_telecom()))
    added = intake.add_file(store, statement)
    assert (added.kind, added.events, added.media_type) == ("export", len(EXPECTED), "application/pdf")
    letter = tmp_path / "律师函.pdf"
    letter.write_bytes(pdf_bytes([["关于您逾期欠款的通知"], ["请于三日内联系我司处理。"]]))
    other = intake.add_file(store, letter)
    assert (other.kind, other.events, other.warning) == ("document", 0, None)
    assert verify_store(store).ok


def test_a_workbook_without_a_call_table_warns(cli_home: Path, tmp_path: Path) -> None:
    book = tmp_path / "还款计划.xlsx"
    book.write_bytes(xlsx_bytes([["期数", "应还金额"], ["1", "1000"], ["2", "1000"]]))
    r = run_cli(cli_home, "add", "--json", str(book))
    assert r.exit_code == 4
    [added] = json.loads(r.stdout)
    assert added["events"] == 0 and "no header row naming a time column" in added["warning"]
    assert run_cli(cli_home, "verify").exit_code == 0


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("20260301_backup.bak", b"MIUI BACKUP\n2\ncom.android.mms\n" + bytes(512), "Xiaomi backup"),
        (
            "info.xml",
            b'<?xml version="1.0"?><info><row checkMsgV3="ab" encMsgV3="cd"/></info>',
            "Huawei/Honor",
        ),
        ("通话记录.txt", "这不是一个可读取的表格\n".encode(), "looks like a message or call export"),
    ],
)
def test_unread_exports_are_sealed_with_a_warning(
    cli_home: Path, tmp_path: Path, name: str, content: bytes, says: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    r = run_cli(cli_home, "add", "--json", str(path))
    assert r.exit_code == 4, r.output
    [added] = json.loads(r.stdout)
    assert says in added["warning"] and "locker formats" in added["warning"]
    assert run_cli(cli_home, "get", str(added["id"]), "-o", str(tmp_path / "back")).exit_code == 0
    assert (tmp_path / "back").read_bytes() == content


def test_formats_lists_what_is_read_in_both_languages(cli_home: Path) -> None:
    en = run_cli(cli_home, "formats")
    zh = run_cli(cli_home, "formats", "--lang", "zh")
    assert en.exit_code == zh.exit_code == 0
    assert "Carrier call-detail records" in en.stdout and "not read yet" in en.stdout
    assert "通话详单" in zh.stdout and "暂不能读取" in zh.stdout
    listed = json.loads(run_cli(cli_home, "formats", "--json").stdout)
    assert {f["id"] for f in listed} >= {"carrier", "vmsg", "android-db", "huawei-backup", "xiaomi-backup"}


def test_a_wechat_export_becomes_chat_events_and_findings(cli_home: Path, tmp_path: Path) -> None:
    from tests.test_importers_wechat import COLLECTOR, ME, pc_row, wechatmsg_csv

    t0 = 1786460400  # 2026-08-11 23:00 in Shanghai
    path = tmp_path / "小王.csv"
    path.write_bytes(
        wechatmsg_csv(
            [
                pc_row(1, 1, 0, 0, t0, "再不还钱明天就去你单位找你领导", COLLECTOR),
                pc_row(2, 1, 0, 1, t0 + 60, "我会还的", ME),
            ]
        )
    )
    r = run_cli(cli_home, "add", "--json", str(path))
    assert r.exit_code == 0, r.output
    [added] = json.loads(r.stdout)
    assert (added["kind"], added["events"]) == ("export", 2)
    listed = json.loads(run_cli(cli_home, "events", "--json").stdout)
    assert [(e["kind"], e["direction"], e["number"]) for e in listed] == [
        ("chat", "in", "wechat:wxid_collector01"),
        ("chat", "out", "wechat:wxid_collector01"),
    ]
    found = json.loads(run_cli(cli_home, "findings", "--json").stdout)
    assert {f["category"] for f in found} >= {3, 6}
    assert all("微信号wxid_collector01" in f["explanation"] for f in found)


def test_wechat_pages_through_add(cli_home: Path, tmp_path: Path) -> None:
    """A WechatExporter HTML page and a wechat-dump TXT, added together: their messages become events."""
    from tests.test_importers_wechat_pages import div, dump_msg, exporter_page, text_span, wechat_dump

    t0 = 1786460400  # 2026-08-11 23:00 in Shanghai
    page = tmp_path / "index.html"
    page.write_bytes(
        exporter_page(
            "催收-小王",
            [
                div(
                    "left",
                    "1",
                    "催收-小王",
                    "wxid_collector01",
                    t0,
                    text_span("再不还钱明天就去你单位找你领导"),
                ),
                div("right", "1", "我", "my_alias", t0 + 60, text_span("我会还的")),
            ],
        )
    )
    dump = tmp_path / "催收小李.txt"
    dump.write_bytes(
        wechat_dump(
            [
                dump_msg(1, "催收-小李", (t0 + 120) * 1000, "今天不还就通知你所有联系人"),
                dump_msg(3, "me", (t0 + 180) * 1000, "Image", "THUMBNAIL_DIRPATH://th_1"),
            ]
        )
    )
    r = run_cli(cli_home, "add", "--json", str(page), str(dump))
    assert r.exit_code == 0, r.output
    assert [(a["kind"], a["events"]) for a in json.loads(r.stdout)] == [("export", 2), ("export", 2)]
    listed = json.loads(run_cli(cli_home, "events", "--json").stdout)
    assert [(e["kind"], e["direction"], e["number"]) for e in listed] == [
        ("chat", "in", "wechat:wxid_collector01"),
        ("chat", "out", "wechat:wxid_collector01"),
        ("chat", "in", None),
        ("chat", "out", None),
    ]
    assert [(e["contact"], e["at"], e["text"]) for e in listed[2:]] == [
        ("催收-小李", "2026-08-11T23:02:00+08:00", "今天不还就通知你所有联系人"),
        ("催收-小李", "2026-08-11T23:03:00+08:00", "[image]"),
    ]
    assert run_cli(cli_home, "verify").exit_code == 0
