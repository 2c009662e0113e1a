"""The local web page's listings and forms (issue 12): the timeline and the findings a page at a
time, a picked folder uploaded file by file (a Huawei backup read as `locker add FOLDER` reads
it), and the report form's options reaching the report."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from evidence import findings, intake
from evidence.store import init_store
from locker.app import documents
from locker.web.guard import CSRF_HEADER, Guard, Secrets
from locker.web.pages import FINDINGS_PER_PAGE, make_app
from locker.web.unlocked import Unlocked
from tests.conftest import FAST_LOG_N, PASSPHRASE
from tests.test_event_pages import every, sbr_export
from tests.test_importers_huawei import COLLECTOR, PASSWORD, calllog_db, make_backup, sms_db

PORT = 48766
BASE = f"http://127.0.0.1:{PORT}"


def serve(home: Path) -> Iterator[tuple[TestClient, Secrets, Unlocked]]:
    keys = Secrets()
    session = Unlocked(home)
    app = Guard(make_app(session, keys, None), keys, PORT)
    with TestClient(app, base_url=BASE, follow_redirects=False) as client:
        client.get(f"/start?token={keys.url_token}")
        r = client.post("/unlock", data={"passphrase": PASSPHRASE, "csrf": keys.csrf})
        assert r.status_code == 303
        yield client, keys, session


@pytest.fixture
def busy(tmp_path: Path) -> Iterator[tuple[TestClient, Secrets, Unlocked]]:
    """A locker of 330 collection messages over ten local days: a few hundred findings."""
    store, _ = init_store(tmp_path / "locker", PASSPHRASE, FAST_LOG_N)
    times = every(datetime(2026, 8, 11, 1, tzinfo=UTC), timedelta(minutes=39), 330)
    intake.add_paths(store, [sbr_export(tmp_path / "sms.xml", times)])
    findings.refresh(store)
    store.close()
    yield from serve(tmp_path / "locker")


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[tuple[TestClient, Secrets, Unlocked]]:
    init_store(tmp_path / "locker", PASSPHRASE, FAST_LOG_N)[0].close()
    yield from serve(tmp_path / "locker")


def ids(html: str) -> list[str]:
    return re.findall(r'<section class="finding [a-z]+" id="(f\d+)"', html)


def test_the_findings_come_a_category_and_a_page_at_a_time(
    busy: tuple[TestClient, Secrets, Unlocked],
) -> None:
    client, keys, _ = busy
    html = client.get("/findings").text
    tabs = dict(
        re.findall(r'href="/findings\?category=(\d+)"[^>]*>\s*\d+[^<]*<span class="n">(\d+)</span>', html)
    )
    category, count = max(tabs.items(), key=lambda kv: int(kv[1]))
    assert int(count) > FINDINGS_PER_PAGE
    first = ids(client.get(f"/findings?category={category}").text)
    second_html = client.get(f"/findings?category={category}&page=2").text
    second = ids(second_html)
    assert len(first) == FINDINGS_PER_PAGE and 0 < len(second) <= FINDINGS_PER_PAGE
    assert not set(first) & set(second)
    assert "第 2 页" in second_html and 'rel="prev"' in second_html
    # A decision on page 2 comes back to page 2, the finding counted as dismissed.
    finding = second[0][1:]
    r = client.post(
        f"/findings/{finding}/dismiss",
        data={"csrf": keys.csrf, "reason": "不是催收", "category": category, "page": "2"},
    )
    assert (
        r.status_code == 303 and r.headers["location"] == f"/findings?category={category}&page=2#f{finding}"
    )
    again = client.get(f"/findings?category={category}&page=2").text
    assert f'class="finding dismissed" id="f{finding}"' in again and "已排除 1" in again
    for bad in ("category=x", "page=-1", "page=99999999999"):
        assert client.get(f"/findings?{bad}").status_code == 400


def test_the_timeline_counts_days_and_a_day_lists_its_events_a_page_at_a_time(
    busy: tuple[TestClient, Secrets, Unlocked],
) -> None:
    client, _, _ = busy
    html = client.get("/timeline").text
    rows = re.findall(r'<td><a href="/timeline\?day=([\d-]+)">[\d-]+</a></td>\s*<td>(\d+)</td>', html)
    assert sum(int(n) for _, n in rows) == 330 and len(rows) == 10
    assert html.count("<rect ") == 10  # the chart: a bar per day
    day, n = max(rows, key=lambda r: int(r[1]))
    page = client.get(f"/timeline?day={day}").text
    assert page.count('<li class="event">') == int(n) and f"当天共 {n} 条记录" in page


def test_a_picked_folder_is_uploaded_file_by_file_and_read_as_add_reads_it(
    empty: tuple[TestClient, Secrets, Unlocked], tmp_path: Path
) -> None:
    client, keys, session = empty
    backup = make_backup(
        tmp_path / "picked" / "backupFiles1" / "2026-03-05", {"sms": sms_db(), "calllog": calllog_db()}
    )
    headers = {CSRF_HEADER: keys.csrf, "x-backup-password": quote(PASSWORD)}
    results = {}
    # The page's order: info.xml first in its folder, as `add` walks a folder.
    for name in ("info.xml", "calllog.db", "sms.db", ".hidden"):
        path = backup.folder / name
        body = path.read_bytes() if path.exists() else b"x"
        r = client.post(
            f"/upload?batch=b1&name={quote('backupFiles1/2026-03-05/' + name)}", content=body, headers=headers
        )
        assert r.status_code == 200
        results[name] = r.json()
    assert {n: r["added"][0]["events"] for n, r in results.items() if r["added"]} == {
        "info.xml": 0,
        "calllog.db": 5,
        "sms.db": 3,
    }
    assert results[".hidden"]["skipped"] and not results[".hidden"]["added"]
    assert client.post("/upload/finish?batch=b1", headers={CSRF_HEADER: keys.csrf}).status_code == 200
    timeline = client.get("/timeline").text
    assert sum(map(int, re.findall(r"</a></td>\s*<td>(\d+)</td>", timeline))) == 8
    day = re.findall(r'href="/timeline\?day=([\d-]+)"', timeline)[0]
    assert COLLECTOR in client.get(f"/timeline?day={day}").text
    # The password went nowhere: not in a response, not on disk.
    for f in tmp_path.rglob("*"):
        if f.is_file() and "picked" not in f.parts:
            assert PASSWORD.encode() not in f.read_bytes()
    assert session.uploads._folders  # forgotten on lock
    session.lock()
    assert not session.uploads._folders


def test_the_same_folder_without_its_batch_or_password_is_only_sealed(
    empty: tuple[TestClient, Secrets, Unlocked], tmp_path: Path
) -> None:
    client, keys, _ = empty
    backup = make_backup(tmp_path / "b", {"sms": sms_db()})
    for name in ("info.xml", "sms.db"):
        r = client.post(
            f"/upload?batch=b2&name=b/{name}",
            content=(backup.folder / name).read_bytes(),
            headers={CSRF_HEADER: keys.csrf},
        ).json()
        assert r["added"][0]["events"] == 0
    assert "password" in r["added"][0]["warning"]
    assert (
        client.post("/upload?batch=../x&name=a", content=b"a", headers={CSRF_HEADER: keys.csrf}).status_code
        == 400
    )


def test_the_report_form_gives_the_period_addressee_and_cover_sheet(
    empty: tuple[TestClient, Secrets, Unlocked], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, keys, session = empty
    asked: list[documents.ReportRequest] = []

    def report(open_store: Any, req: documents.ReportRequest) -> None:
        asked.append(req)
        req.out.write_bytes(b"%PDF-complaint")
        if req.cover is not None:
            req.cover.write_bytes(b"%PDF-cover")

    monkeypatch.setattr(documents, "report", report)
    form = {
        "csrf": keys.csrf,
        "channel": "12321",
        "party": "",
        "since": "2026-08-01",
        "until": "2026-08-31",
        "addressee": "深圳市公安局南山分局",
        "cover": "1",
    }
    r = client.post("/report", data=form)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert {n: z.read(n) for n in z.namelist()} == {
            "complaint-12321.pdf": b"%PDF-complaint",
            "cover-12321.pdf": b"%PDF-cover",
        }
    req = asked[0]
    assert (req.channel, req.party, req.since, req.until, req.addressee) == (
        "12321",
        None,
        "2026-08-01",
        "2026-08-31",
        "深圳市公安局南山分局",
    )
    r = client.post("/report", data={**form, "cover": "", "since": "", "addressee": ""})
    assert r.headers["content-type"] == "application/pdf" and r.content == b"%PDF-complaint"
    assert (asked[1].cover, asked[1].since, asked[1].addressee) == (None, None, None)
    downloads = session.home / documents.DOWNLOADS_DIR
    assert not any(downloads.iterdir())  # each sent file is removed


def test_the_parties_page_reads_messages_for_suggestions_only_when_asked(
    empty: tuple[TestClient, Secrets, Unlocked], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _, _ = empty
    from locker.app import parties

    calls: list[bool] = []
    monkeypatch.setattr(parties, "suggest_numbers", lambda _open: calls.append(True) or [])
    assert 'id="suggest"' in client.get("/parties").text and calls == []
    assert "没有找到可以归入的号码" in client.get("/parties?suggest=1").text and calls == [True]
