"""The local web page in a real browser (issue 12, point 4): Debian's chromium driven by
Playwright, on the demo case, through what a person does: open the printed address, unlock,
add a screenshot, drop a file, pick a phone backup's folder, read the timeline, confirm a
finding and dismiss one, link a number to the lender, correct the profile, download a complaint
for a period with its cover sheet and the bundle, verify, judge a pasted message, switch to
English and lock."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DEMO, DEMO_PARTY, DEMO_PROFILE, PASSPHRASE, cli_env, run_locker
from tests.test_importers_huawei import PASSWORD, calllog_db, make_backup, sms_db

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"),
    pytest.mark.skipif(not DEMO.is_dir(), reason="no demo case in ../shared/corpus/demo"),
]
SCREENSHOT = "Screenshot_2026-08-12-22-48-30-517_com.tencent.mm.jpg"
FAKE_COURT = (  # scripts/demo.sh's fake "mediation" message
    "【法院调解中心】王五你好，你的欠款已进入诉前调解程序，请2小时内添加调解员微信tj2026并缴纳保证金3000元，"
    "否则立即冻结名下银行卡并列入失信名单。"
)
SHOTS = os.environ.get("LOCKER_WEB_SHOTS")  # a folder to keep screenshots of each page in


@pytest.fixture
def demo_home(home: Path) -> Path:
    for args in (["init"], DEMO_PARTY, DEMO_PROFILE):
        assert run_locker(home, *args).returncode == 0
    exports = sorted(str(p) for p in DEMO.iterdir() if p.suffix in (".xml", ".m4a"))
    assert run_locker(home, "add", *exports).returncode == 0
    return home


@pytest.fixture
def served(demo_home: Path, tmp_path: Path) -> Iterator[str]:
    """`locker serve` as a person starts it (no passphrase in the environment); its address."""
    exe = Path(sys.executable).parent / "locker"
    log = tmp_path / "serve.err"
    with (
        log.open("w") as err,
        subprocess.Popen(
            [str(exe), "serve", "--no-browser"],
            env=cli_env(demo_home, passphrase=None),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        ) as proc,
    ):
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:") and "token=" in url, url
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    # What the server said: no request line, no number, no message (issue 12: nothing in logs).
    said = log.read_text()
    assert "GET " not in said and "POST " not in said and "17155550" not in said and "好借花" not in said
    downloads = demo_home / "web-downloads"  # each download is removed once sent
    assert not downloads.exists() or not any(downloads.iterdir())


def shot(page: object, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_the_whole_flow_in_a_browser(served: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(accept_downloads=True)
        # A CSP violation or a failed request would show here: the page must need nothing else.
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        # (A download is a navigation the browser aborts once it becomes a file: not a failure.)
        page.on(
            "requestfailed",
            lambda r: problems.append(f"failed: {r.url}") if r.resource_type != "document" else None,
        )
        page.goto(served)
        assert "token=" not in page.url  # the secret leaves the address bar at once
        shot(page, "1-unlock")
        page.fill("#passphrase", PASSPHRASE)
        page.click("button[type=submit]")
        page.wait_for_selector("#files", state="attached")

        page.set_input_files("#files", str(DEMO / SCREENSHOT))
        page.wait_for_selector("#uploads li.good")
        assert "已加入" in page.inner_text("#uploads")
        shot(page, "2-added")
        # Dropped files take the same way (a drop event as the browser makes it).
        page.evaluate(
            """() => {
                const dt = new DataTransfer();
                dt.items.add(new File(["催收记录 dropped note"], "note.txt", {type: "text/plain"}));
                document.getElementById("drop").dispatchEvent(
                    new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
            }"""
        )
        page.wait_for_selector("#uploads li:nth-child(2).good")
        assert "note.txt" in page.inner_text("#uploads li:nth-child(2)")
        # A phone backup's folder, picked whole: its files keep their places, info.xml goes first,
        # and the password typed on the page opens its messages and calls.
        make_backup(
            tmp_path / "phone" / "backupFiles1" / "2026-03-05", {"sms": sms_db(), "calllog": calllog_db()}
        )
        page.fill("#backup-password", PASSWORD)
        page.set_input_files("#folder", str(tmp_path / "phone"))
        page.wait_for_selector("#finished:has-text('全部完成')", timeout=60_000)
        rows = page.locator("#uploads li").all_inner_texts()
        assert any("phone/backupFiles1/2026-03-05/info.xml" in r for r in rows[2:3]), rows
        assert any("sms.db" in r and "3 条记录" in r for r in rows), rows
        assert any("calllog.db" in r and "5 条记录" in r for r in rows), rows

        page.click("text=时间线")
        page.wait_for_selector("table.days")
        assert "2026-08-12" in page.inner_text("table.days")
        shot(page, "3-timeline")
        page.click("table.days >> text=2026-08-12")
        page.wait_for_selector(".events")
        assert page.locator("img.shot").count() >= 1  # the screenshot just added, served by id
        assert page.evaluate("document.querySelector('img.shot').naturalWidth") > 0

        page.click("text=违规行为")
        first = page.locator("section.finding").first
        assert "类别" in first.inner_text()
        finding_id = first.get_attribute("id")
        first.locator("button.confirm").click()
        page.wait_for_selector(f"#{finding_id} .status")
        assert page.inner_text(f"#{finding_id} .status") == "已确认"
        shot(page, "4-findings")
        second = page.locator("section.finding.auto").first
        second_id = second.get_attribute("id")
        second.locator("input[name=reason]").fill("这是我自己打的电话")
        second.locator("button.dismiss").click()
        page.wait_for_selector(f"#{second_id}.dismissed")
        assert "这是我自己打的电话" in page.inner_text(f"#{second_id} .why")

        page.click("text=催收方")
        assert "好借花" in page.inner_text("ul.parties")
        page.fill("#party-name", "好借花")
        page.fill("#party-numbers", "17155550003")
        page.click("#save-party")
        page.wait_for_selector("ul.parties")
        assert "17155550003" in page.inner_text("ul.parties")

        page.click("text=本人信息")
        assert page.input_value("#profile-name") == "王五"
        page.fill("#profile-address", "深圳市南山区科技园一路2号")
        page.click("#save-profile")
        page.wait_for_selector("#saved")
        assert page.input_value("#profile-address") == "深圳市南山区科技园一路2号"

        page.click("text=投诉材料")
        page.select_option("#channel", "12321")
        page.select_option("#party", "好借花")
        page.fill("#since", "2026-08-11")
        page.fill("#until", "2026-08-17")
        page.fill("#addressee", "深圳市公安局南山分局")
        page.check("#cover")
        with page.expect_download() as download:
            page.click("#make-report")
        pair = tmp_path / "12321.zip"
        download.value.save_as(pair)
        with zipfile.ZipFile(pair) as z:
            assert sorted(z.namelist()) == ["complaint-12321.pdf", "cover-12321.pdf"]
            assert all(z.read(n)[:5] == b"%PDF-" for n in z.namelist())
        shot(page, "5-reports")
        with page.expect_download() as download:
            page.click("#make-bundle")
        bundle = tmp_path / "bundle.zip"
        download.value.save_as(bundle)
        assert bundle.read_bytes()[:2] == b"PK"

        page.click("text=核验")
        page.click("#verify")
        page.wait_for_selector("#verify-result")
        assert "核验通过" in page.inner_text("#verify-result")

        page.click("text=辨别短信真假")
        page.fill("#sender", "17155550009")
        page.fill("#text", FAKE_COURT)
        page.click("#judge")
        page.wait_for_selector("#triage-result")
        assert page.locator("#triage-result.bad").count() == 1
        shot(page, "6-triage")

        page.goto(served.split("/start")[0] + "/findings?lang=en")
        assert "Violations" in page.inner_text("h1")
        page.click("#lock")
        page.wait_for_selector("#passphrase")
        browser.close()
    assert problems == []


def test_a_dropped_folder_is_walked_as_a_picked_one(served: str, tmp_path: Path) -> None:
    # A real drop of a folder from the file manager, as Chromium's input layer makes it (DevTools'
    # Input.dispatchDragEvent with the folder's path): its files go in with their paths, info.xml
    # first, as when the folder is picked.
    sync_api = pytest.importorskip("playwright.sync_api")
    make_backup(
        tmp_path / "phone" / "backupFiles1" / "2026-03-05", {"sms": sms_db(), "calllog": calllog_db()}
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page()
        page.goto(served)
        page.fill("#passphrase", PASSPHRASE)
        page.click("button[type=submit]")
        page.wait_for_selector("#drop")
        page.fill("#backup-password", PASSWORD)
        box = page.locator("#drop").bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        cdp = page.context.new_cdp_session(page)
        data = {"items": [], "files": [str(tmp_path / "phone")], "dragOperationsMask": 1}
        for kind in ("dragEnter", "dragOver", "drop"):
            cdp.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})
        page.wait_for_selector("#finished:has-text('全部完成')", timeout=60_000)
        rows = page.locator("#uploads li").all_inner_texts()
        assert "phone/backupFiles1/2026-03-05/info.xml" in rows[0], rows
        assert any("sms.db" in r and "3 条记录" in r for r in rows), rows
        assert any("calllog.db" in r and "5 条记录" in r for r in rows), rows
        browser.close()
