"""The lawyer's bundle (`locker export`): a valid BagIt bag whose scope, custody log and tables hold.

One locker is built for the module through the real CLI: the demo case (好借花), a second
lender (速借宝) with a recording and a declaration, and an SMS export that mixes both
lenders with a bank, a verification code and family, where 好借花's messages begin with
spreadsheet formulas. Each test exports its own bundle from it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tracemalloc
import wave
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import bagit
import pytest

from complaints.assembly import CaseFile, Profile
from complaints.bundle import BundleResult, csv_table, export_bundle, spreadsheet_cell
from evidence import custody
from evidence.records import EventRecord, ItemRecord, PartyRecord
from evidence.schema import CustodyEntry
from tests.conftest import DEMO, DEMO_PARTY, DEMO_PROFILE, run_cli, run_locker

PARTY = "好借花"
OTHER = "速借宝"
OTHER_NUMBER = "17088889999"
# 好借花's messages that a spreadsheet would run as formulas (XML escapes: &#9; tab, &#13; CR).
FORMULAS = {
    '=HYPERLINK("http://evil.example/","点此还款")': "=HYPERLINK(&quot;http://evil.example/&quot;,&quot;点此还款&quot;)",
    "+86 请今天还款": "+86 请今天还款",
    "-1天后上门": "-1天后上门",
    "@所有人 王五欠钱不还": "@所有人 王五欠钱不还",
    "\t=1+2 发到你们群里": "&#9;=1+2 发到你们群里",
    "\r=cmd|' /C calc'!A0": "&#13;=cmd|' /C calc'!A0",
}
# What must never reach a bundle scoped to 好借花.
OTHER_TEXT = "【速借宝】你欠款逾期了，再不还就上门找你"
OTHER_DECLARED = "速借宝的人打电话说明天去我单位"
BANK_TEXT = "【工商银行】您尾号6666的账户余额为88,888.00元"
CODE_TEXT = "【支付宝】验证码482913，请勿泄露"
FAMILY_TEXT = "家里给你凑了两万块，别着急"
THIRD_NUMBERS = ["95588", "10690000123", "13900139000", "13700137000", "95533"]
X_REASON = "这条是我自己让他们早上打来的-REASON-X"
OTHER_REASON = "速借宝这条已经和解了-REASON-OTHER"
MIXED_NAME = "sms-mixed-速借宝.xml"
OTHER_RECORDING = f"通话录音@{OTHER}({OTHER_NUMBER})_20260815100000.wav"

MIXED_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><smses count="{n}">'
    + "".join(
        f'<sms address="{number}" date="{1786600000000 + 60000 * i}" type="1" body="{body}" '
        f'contact_name="{contact}" />'
        for i, (number, body, contact) in enumerate(
            [
                (OTHER_NUMBER, OTHER_TEXT, "(Unknown)"),
                ("95588", BANK_TEXT, "(Unknown)"),
                ("10690000123", CODE_TEXT, "(Unknown)"),
                ("13900139000", FAMILY_TEXT, "妈妈"),
                *(
                    (n, xml, "(Unknown)")
                    for n, xml in zip(["17155550001", "17155550002"] * 3, FORMULAS.values(), strict=True)
                ),
            ]
        )
    )
    + "</smses>"
)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("bundle")
    home = root / "locker"
    assert run_locker(home, "init").returncode == 0

    def ok(*args: str) -> str:
        r = run_cli(home, *args)
        assert r.exit_code == 0, (args, r.stderr)
        return r.stdout

    ok(*DEMO_PARTY)
    ok("add", *map(str, sorted(p for p in DEMO.iterdir() if p.name != "case.json")))
    ok("party", "add", OTHER, "--number", OTHER_NUMBER)
    mixed = root / MIXED_NAME
    mixed.write_text(MIXED_XML.replace("{n}", str(4 + len(FORMULAS))), encoding="utf-8")
    recording = root / OTHER_RECORDING
    with wave.open(str(recording), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * 8000)
    ok("add", str(mixed), str(recording))
    ok("log", "call", "--number", OTHER_NUMBER, "--at", "2026-08-15T10:30", "--text", OTHER_DECLARED)
    ok(
        "log",
        "sms",
        "--number",
        "17155550001",
        "--at",
        "2026-08-15T12:00",
        "--text",
        "你再不还我们就去你老家",
    )
    findings = json.loads(ok("findings", "--json"))
    mine = [f for f in findings if f["party"] == PARTY]
    others = [f for f in findings if f["party"] == OTHER]
    assert mine and others, "both lenders need findings"
    ok("dismiss", str(mine[-1]["id"]), "--why", X_REASON)
    if len(others) > 1:
        ok("dismiss", str(others[-1]["id"]), "--why", OTHER_REASON)
    else:
        ok("dismiss", str(others[0]["id"]), "--why", OTHER_REASON)
        ok("confirm", str(others[0]["id"]))  # the decision changes, the reason stays in the log
    ok(*DEMO_PROFILE)
    report = root / "12321-haojiehua.pdf"
    ok("report", "--to", "12321", "--party", PARTY, "-o", str(report))
    ok("report", "--to", "12321", "--party", OTHER, "-o", str(root / "12321-other.pdf"))
    ok("verify")
    return {
        "home": home,
        "root": root,
        "report": report,
        "items": json.loads(ok("ls", "--json")),
        "events": json.loads(ok("events", "--json")),
        "findings": json.loads(ok("findings", "--json")),
    }


def export(case: dict[str, Any], out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_locker(case["home"], "export", *args, "-o", str(out))


def unpack(bundle: Path, dest: Path) -> Path:
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        assert not any(n.startswith("/") or ".." in n for n in names)
        z.extractall(dest)
    bag_dir = dest / "locker-bundle"
    bagit.Bag(str(bag_dir)).validate()
    check = subprocess.run(["sha256sum", "-c", "manifest-sha256.txt"], cwd=bag_dir, capture_output=True)
    assert check.returncode == 0, check.stdout
    return bag_dir


def csv_text(path: Path) -> str:
    """A CSV as written: no newline translation (a carriage return inside a cell is data)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return f.read()


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text(path), newline="")))


def read_log(bag_dir: Path) -> list[dict[str, Any]]:
    lines = (bag_dir / "data" / "custody-log.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def bag_info(bag_dir: Path) -> dict[str, str]:
    lines = (bag_dir / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines)


@pytest.fixture(scope="module")
def scoped(case: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The bundle for 好借花, with its report: (zip, unpacked bag)."""
    root = tmp_path_factory.mktemp("scoped")
    bundle = root / "bundle.zip"
    r = export(case, bundle, "--party", PARTY, "--report", str(case["report"]))
    assert r.returncode == 0, r.stderr
    (root / "stderr.txt").write_text(r.stderr, encoding="utf-8")
    return bundle, unpack(bundle, root / "x")


def own_events(case: dict[str, Any]) -> set[int]:
    behind = {e for f in case["findings"] if f["party"] == PARTY for e in f["events"]}
    return {e["id"] for e in case["events"] if e["party"] == PARTY or e["id"] in behind}


# --- scope -----------------------------------------------------------------------------------


def test_p08_scoped_bundle_names_nobody_else(case: dict[str, Any], scoped: tuple[Path, Path]) -> None:
    bundle, _ = scoped
    needles = [
        OTHER,
        OTHER_NUMBER,
        OTHER_TEXT,
        OTHER_TEXT[4:],  # without the signature
        OTHER_DECLARED,
        BANK_TEXT,
        "88,888.00",
        CODE_TEXT,
        "482913",
        FAMILY_TEXT,
        "妈妈",
        "吓死我了",  # the demo's wife
        "尾号8888",  # the demo's bank
        "老婆",
        *THIRD_NUMBERS,
        X_REASON,
        OTHER_REASON,
        "REASON",
        # file names, the user's and the phone's
        "sms-mixed",
        "通话录音",
        "Screenshot_",
        "sms-20260817",
        "calls-20260817",
        "075512345678_20260814",
        "declaration-",
        "haojiehua",
        str(case["root"]),
    ]
    with zipfile.ZipFile(bundle) as z:
        files = {name: z.read(name) for name in z.namelist()}
    for needle in needles:
        # a number must not match inside a hex hash by chance
        pattern = re.escape(needle.encode())
        if needle.isdigit():
            pattern = rb"(?<![0-9a-fA-F])" + pattern + rb"(?![0-9a-fA-F])"
        hits = [name for name, data in files.items() if re.search(pattern, name.encode() + b"\n" + data)]
        assert not hits, f"{needle!r} in {hits}"
    # while 好借花's own evidence is all there
    assert any("今天不把钱打过来".encode() in data for data in files.values())


def test_scoped_bundle_holds_every_event_and_finding_of_the_party(
    case: dict[str, Any], scoped: tuple[Path, Path]
) -> None:
    _, bag_dir = scoped
    events = read_csv(bag_dir / "data" / "events.csv")
    assert {int(e["事件编号"]) for e in events} == own_events(case)
    # not only the events behind findings: the respondent's whole evidence
    behind = {e for f in case["findings"] if f["party"] == PARTY for e in f["events"]}
    assert own_events(case) - behind
    findings = read_csv(bag_dir / "data" / "findings.csv")
    assert {int(f["编号"]) for f in findings} == {f["id"] for f in case["findings"] if f["party"] == PARTY}
    assert {f["归属方"] for f in findings} == {PARTY}
    # A lawyer's tables: Chinese headers and values, the category by name
    assert "违规类别" in findings[0] and all(f["违规类别"] and f["处理状态"] for f in findings)
    assert {e["方向"] for e in events} <= {"来", "去", ""}  # a screenshot has none


def test_originals_go_whole_only_when_every_record_is_the_partys(
    case: dict[str, Any], scoped: tuple[Path, Path]
) -> None:
    bundle, bag_dir = scoped
    summary = (bundle.parent / "stderr.txt").read_text(encoding="utf-8")
    assert "warning" not in summary and "extracts" in summary
    mine = own_events(case)
    by_item: dict[int, list[dict[str, Any]]] = {}
    for e in case["events"]:
        by_item.setdefault(e["item"], []).append(e)
    items = {i["id"]: i for i in case["items"]}
    whole = {int(p.name.split("_item-")[1].split(".")[0]): p for p in (bag_dir / "data/originals").iterdir()}
    extracts = {int(p.stem.split("_item-")[1]): p for p in (bag_dir / "data/extracts").iterdir()}
    expected_whole = {
        i for i, evs in by_item.items() if items[i]["kind"] != "export" and all(e["id"] in mine for e in evs)
    }
    expected_extracts = {
        i for i, evs in by_item.items() if any(e["id"] in mine for e in evs) and i not in expected_whole
    }
    assert set(whole) == expected_whole
    assert set(extracts) == expected_extracts
    kinds = {items[i]["kind"] for i in whole}
    assert {"audio", "image", "declaration"} <= kinds  # recordings, the screenshot, a declaration
    assert {items[i]["kind"] for i in extracts} == {"export"}
    for i, path in whole.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == items[i]["sha256"]
    for i, path in extracts.items():
        rows = read_csv(path)
        assert {r["原件编号"] for r in rows} == {str(i)}
        assert {r["原件SHA-256"] for r in rows} == {items[i]["sha256"]}
        assert {int(r["事件编号"]) for r in rows} == {e["id"] for e in by_item[i] if e["id"] in mine}
        for r in rows:
            event = next(e for e in case["events"] if e["id"] == int(r["事件编号"]))
            assert r["号码"] == event["number"] and r["类型"] == event["kind"]
            assert r["时间"] == event["at"]
            assert r["内容"].removeprefix("'") == (event["text"] or "")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_the_bundle_carries_an_evidence_catalogue(case: dict[str, Any], scoped: tuple[Path, Path]) -> None:
    _, bag_dir = scoped
    pdf = bag_dir / "data/证据目录.pdf"
    manifest = (bag_dir / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert f"{hashlib.sha256(pdf.read_bytes()).hexdigest()}  data/证据目录.pdf" in manifest
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = text.replace("\n", "").replace(" ", "")
    for column in ("序号", "证据名称", "形成时间", "来源", "原件/复制件", "页数/时长", "证明目的", "SHA-256"):
        assert column in flat, column
    items = {i["id"]: i for i in case["items"]}
    held = [*(bag_dir / "data/originals").iterdir(), *(bag_dir / "data/extracts").iterdir()]
    assert held
    for path in held:  # every item the bag carries: its hash, and where it is
        item = items[int(path.name.split("_item-")[1].split(".")[0])]
        assert item["sha256"] in flat and f"data/{path.parent.name}/{path.name}".replace(" ", "") in flat
        if path.parent.name == "extracts":
            assert "摘录：原件中与本方有关的" in flat
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # embedded


def test_with_whole_originals_warns_with_counts_only(case: dict[str, Any], tmp_path: Path) -> None:
    bundle = tmp_path / "whole.zip"
    r = export(case, bundle, "--party", PARTY, "--with-whole-originals")
    assert r.returncode == 0, r.stderr
    bag_dir = unpack(bundle, tmp_path / "x")
    assert not (bag_dir / "data" / "extracts").exists()
    mine = own_events(case)
    exposed = [
        [e for e in case["events"] if e["item"] == item and e["id"] not in mine]
        for item in {e["item"] for e in case["events"] if e["id"] in mine}
    ]
    exposed = [others for others in exposed if others]
    records = sum(len(o) for o in exposed)
    numbers = sum(len({e["number"] for e in o if e["number"]}) for o in exposed)
    warning = next(line for line in r.stderr.splitlines() if line.startswith("warning"))
    assert f"{len(exposed)} whole originals" in warning
    assert f"{records} records" in warning and f"({numbers} numbers" in warning
    for secret in [OTHER, OTHER_NUMBER, OTHER_TEXT, BANK_TEXT, FAMILY_TEXT, *THIRD_NUMBERS]:
        assert secret not in r.stderr
    shas = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (bag_dir / "data/originals").iterdir()}
    mixed = next(i for i in case["items"] if i["name"] == MIXED_NAME)
    assert mixed["sha256"] in shas  # the whole export, as asked
    verify = (bag_dir / "VERIFY.txt").read_text(encoding="utf-8")
    assert "--with-whole-originals" in verify and f"{records} records of other people" in verify


def test_with_whole_originals_needs_a_party(case: dict[str, Any], tmp_path: Path) -> None:
    r = run_cli(case["home"], "export", "--with-whole-originals", "-o", str(tmp_path / "b.zip"))
    assert r.exit_code == 2 and "--party" in r.stderr
    assert not (tmp_path / "b.zip").exists()


def test_unscoped_bundle_holds_everything_whole(case: dict[str, Any], tmp_path: Path) -> None:
    bundle = tmp_path / "all.zip"
    r = export(case, bundle)
    assert r.returncode == 0, r.stderr
    bag_dir = unpack(bundle, tmp_path / "x")
    shas = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in (bag_dir / "data/originals").iterdir())
    assert shas == sorted(i["sha256"] for i in case["items"])
    assert not (bag_dir / "data" / "extracts").exists()
    log = read_log(bag_dir)
    assert not any(e.get("redacted") for e in log) and not custody.check_exported_chain(log)
    assert {int(e["事件编号"]) for e in read_csv(bag_dir / "data" / "events.csv")} == {
        e["id"] for e in case["events"]
    }


# --- the custody log -------------------------------------------------------------------------


def test_p08_scoped_custody_log_is_a_verifiable_subset(
    case: dict[str, Any], scoped: tuple[Path, Path]
) -> None:
    _, bag_dir = scoped
    log = read_log(bag_dir)
    assert custody.check_exported_chain(log) == []
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
    assert log[-1]["hash"] == bag_info(bag_dir)["Locker-Custody-Head"]
    redacted = [e for e in log if e.get("redacted")]
    assert redacted
    for e in redacted:
        assert set(e) == {"seq", "redacted", "body_sha256", "prev_hash", "hash"}
    kept = [e for e in log if not e.get("redacted")]
    included = {int(p.name.split("_item-")[1].split(".")[0]) for p in (bag_dir / "data/originals").iterdir()}
    included |= {int(p.stem.split("_item-")[1]) for p in (bag_dir / "data/extracts").iterdir()}
    assert {e["detail"]["item"] for e in kept if e["action"] == "add"} == included
    actions = {e["action"] for e in kept}
    assert {"init", "add", "party", "report", "verify"} <= actions
    assert not actions & {"dismiss", "confirm"}
    for e in kept:
        if e["action"] in ("party", "report", "export", "loan"):
            assert e["detail"]["party"] == PARTY


def test_verify_recipe_reproduces_the_head(scoped: tuple[Path, Path]) -> None:
    """VERIFY.txt's recipe, followed literally with nothing but hashlib and json."""
    _, bag_dir = scoped
    verify = (bag_dir / "VERIFY.txt").read_text(encoding="utf-8")
    for phrase in (
        "sorted",
        'separators "," and ":"',
        "non-ASCII characters kept",
        "UTF-8",
        "seq, at, action and\n     detail",
        "SHA-256(bytes.fromhex(prev_hash) + bytes.fromhex(body_sha256))",
        '64 characters "0"',
        "only seq, body_sha256, prev_hash and hash",
        "键按字母顺序排列",
    ):
        assert phrase in verify, phrase
    prev, reached = "0" * 64, []
    for line in (bag_dir / "data" / "custody-log.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        assert e["prev_hash"] == prev
        if not e.get("redacted"):
            body = json.dumps(
                {k: e[k] for k in ("seq", "at", "action", "detail")},
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
            ).encode("utf-8")
            assert hashlib.sha256(body).hexdigest() == e["body_sha256"]
        else:
            assert set(e) - {"redacted"} == {"seq", "body_sha256", "prev_hash", "hash"}
        prev = hashlib.sha256(bytes.fromhex(e["prev_hash"]) + bytes.fromhex(e["body_sha256"])).hexdigest()
        assert prev == e["hash"]
        reached.append((e.get("action"), e["prev_hash"]))
    head = bag_info(bag_dir)["Locker-Custody-Head"]
    assert prev == head and head in verify
    # The head printed in the report's footers is the one reached just before its report entry.
    if shutil.which("pdftotext"):
        (pdf,) = (bag_dir / "data" / "reports").iterdir()
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        footer = text.replace(" ", "").split("保管日志链首哈希")[1][:64]
        assert ("report", footer) in reached
    # The script printed in VERIFY.txt does the same.
    script = verify[verify.index("import hashlib, json") : verify.index("print(prev)") + len("print(prev)")]
    out = subprocess.run([sys.executable, "-c", script], cwd=bag_dir, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == head


def test_verify_names_the_hash_in_the_reports_footer(case: dict[str, Any], scoped: tuple[Path, Path]) -> None:
    _, bag_dir = scoped
    (report_entry,) = [e for e in read_log(bag_dir) if e.get("action") == "report"]
    footer = report_entry["prev_hash"]
    verify = (bag_dir / "VERIFY.txt").read_text(encoding="utf-8")
    assert f"seq {report_entry['seq']} (12321): {footer}" in verify
    # The entry names the PDF it is about: the one in the bundle, as sha256sum sees it.
    (pdf,) = (bag_dir / "data" / "reports").iterdir()
    digest = subprocess.run(
        ["sha256sum", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    assert report_entry["detail"]["pdf_sha256"] == digest
    assert (
        f"the PDF's SHA-256: {digest}" in verify and f"sha256sum data/reports/{pdf.name} gives it" in verify
    )
    if shutil.which("pdftotext"):
        assert pdf.name == "001_report.pdf"
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert footer in text.replace(" ", "").replace("\n", "")


# --- CSV formula injection -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+8613800000000", "'+8613800000000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\n=1", "'\n=1"),
        ("【好借花】=1", "【好借花】=1"),
        ("a=1", "a=1"),
        (" =1", " =1"),
        ("'=1", "'=1"),
        ("", ""),
        (None, ""),
        (12, "12"),
        (False, "False"),
    ],
)
def test_spreadsheet_cell_follows_owasp(value: object, cell: str) -> None:
    assert spreadsheet_cell(value) == cell


def test_csv_table_quotes_every_cell_and_lists_what_it_prefixed() -> None:
    table = csv_table(["a", "b"], [["x;=cmd", "=2"], ["line\n=3", None]])
    text = table.data.decode("utf-8-sig")
    assert text.startswith('"a","b"\r\n"x;=cmd","\'=2"\r\n')
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["a", "b"],
        ["x;=cmd", "'=2"],
        ["line\n=3", ""],
    ]
    assert table.prefixed == ((2, "b"),)


def test_p09_bundle_tables_neutralise_formulas(case: dict[str, Any], scoped: tuple[Path, Path]) -> None:
    _, bag_dir = scoped
    texts = {r["内容"] for r in read_csv(bag_dir / "data" / "events.csv")}
    extract_texts = {r["内容"] for p in (bag_dir / "data/extracts").iterdir() for r in read_csv(p)}
    for formula in FORMULAS:
        stored = next(e["text"] for e in case["events"] if e["text"] and e["text"].endswith(formula[1:]))
        assert stored[0] in "=+-@\t\r"  # the locker keeps the message as sent
        assert "'" + stored in texts and "'" + stored in extract_texts
        assert stored not in texts and stored not in extract_texts
    for path in [bag_dir / "data" / "events.csv", *(bag_dir / "data/extracts").iterdir()]:
        for row in csv.reader(io.StringIO(csv_text(path), newline="")):
            assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") for cell in row if cell)
    verify = (bag_dir / "VERIFY.txt").read_text(encoding="utf-8")
    assert "OWASP" in verify and "单引号" in verify and "single quote" in verify
    assert (
        "originals\n(data/originals/) and the custody log (custody-log.jsonl, JSON) are untouched" in verify
    )
    for n, event_row in enumerate(read_csv(bag_dir / "data" / "events.csv"), 2):
        if event_row["内容"].startswith("'"):
            assert f"data/events.csv 第 {n} 行 / row {n}, 内容" in verify
    # the JSON log is not touched: no quote was added to anything in it
    assert "'=" not in (bag_dir / "data" / "custody-log.jsonl").read_text(encoding="utf-8")


# --- integrity and memory --------------------------------------------------------------------


@pytest.mark.parametrize("scope", [[], ["--party", PARTY]])
def test_bundle_refuses_an_original_that_changed(cli_home: Path, tmp_path: Path, scope: list[str]) -> None:
    """Whole or extracted, an original is re-hashed on the way into the bag."""
    assert run_cli(cli_home, *DEMO_PARTY).exit_code == 0
    assert run_cli(cli_home, "add", str(DEMO / "sms-20260817.xml")).exit_code == 0
    (obj,) = (cli_home / "objects").iterdir()
    data = bytearray(obj.read_bytes())
    data[-3] ^= 1
    obj.write_bytes(bytes(data))
    r = run_cli(cli_home, "export", *scope, "-o", str(tmp_path / "b.zip"))
    assert r.exit_code not in (0, 2) and not (tmp_path / "b.zip").exists()
    assert "Traceback" not in r.stderr


class _Pattern(io.RawIOBase):
    """`size` bytes made up as they are read; notes the largest read asked for."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.largest = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        self.largest = max(self.largest, len(buf))
        n = min(len(buf), self.left)
        buf[:n] = bytes(range(256)) * (n // 256) + bytes(range(n % 256))
        self.left -= n
        return n


def one_item_case(size: int, opened: list[_Pattern] | None = None) -> CaseFile:
    """A case of one recording of 好借花's number, `size` bytes made up as they are read."""
    digest = hashlib.sha256()
    src = _Pattern(size)
    while chunk := src.read(1 << 20):
        digest.update(chunk)
    at = datetime(2026, 8, 11, tzinfo=UTC)
    item = ItemRecord(1, "big.wav", "audio", size, digest.hexdigest(), at, at, "17155550001")
    event = EventRecord(
        1, 1, "recording", None, "17155550001", "virtual", None, at, 1.0, None, None, party=PARTY
    )

    @contextmanager
    def originals(item_id: int) -> Iterator[BinaryIO]:
        stream = _Pattern(size)
        if opened is not None:
            opened.append(stream)
        yield stream  # type: ignore[misc]

    return CaseFile(
        Profile(None, None, None, None),
        PartyRecord(PARTY, ("17155550001",)),
        [item],
        [event],
        [],
        custody.GENESIS,
        at,
        ZoneInfo("Asia/Shanghai"),
        originals,
    )


def _export_peak(case: CaseFile, out: Path) -> tuple[int, BundleResult]:
    tracemalloc.start()
    try:
        result = export_bundle(case, out, [], [])
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_originals_are_streamed_in_bounded_memory(tmp_path: Path) -> None:
    size = 48 << 20
    opened: list[_Pattern] = []
    case = one_item_case(size, opened)
    # The 证据目录.pdf costs the same few MiB (its font's tables) whatever the originals' size:
    # what is bounded is the growth from a 1 MiB original to a 48 MiB one.
    small, _ = _export_peak(one_item_case(1 << 20), tmp_path / "small.zip")
    peak, result = _export_peak(case, tmp_path / "b.zip")
    assert result.originals == 1 and opened and opened[0].largest <= 1 << 20
    assert peak - small < 2 << 20, f"peak {peak >> 20} MiB for {size >> 20} MiB, {small >> 20} MiB for 1 MiB"
    assert peak < 32 << 20, f"peak {peak >> 20} MiB for a {size >> 20} MiB original"  # less than it
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        assert z.getinfo("locker-bundle/data/originals/001_item-1.wav").file_size == size


def test_verify_gives_the_v1_recipe_for_a_first_locker(tmp_path: Path) -> None:
    """A locker from before format v2 (hash = SHA-256(prev || body)): VERIFY.txt says so, and
    its script still reproduces the head, checking a redacted entry by its links alone."""
    case = one_item_case(4096)
    item = case.items[0]
    at = datetime(2026, 8, 10, tzinfo=UTC)
    prev, log = custody.GENESIS, []
    steps = [
        ("init", {"timezone": "Asia/Shanghai", "format": custody.FORMAT_V1, "scrypt_log_n": 10}),
        ("party", {"party": OTHER, "numbers": 1, "signatures": 0}),
        ("add", {"item": 1, "sha256": item.sha256, "size": item.size, "kind": "audio", "events": 1}),
    ]
    for seq, (action, detail) in enumerate(steps, 1):
        hash_ = custody.entry_hash(prev, seq, at, action, detail, custody.FORMAT_V1)
        entry = CustodyEntry(seq=seq, at=at, action=action, detail=detail, prev_hash=prev, hash=hash_)
        log.append(custody.as_dict(entry))
        prev = hash_
    export_bundle(case, tmp_path / "b.zip", [], log)
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        z.extractall(tmp_path / "x")
    bag_dir = tmp_path / "x" / "locker-bundle"
    bagit.Bag(str(bag_dir)).validate()
    assert [e.get("action") for e in read_log(bag_dir)] == ["init", None, "add"]
    assert OTHER not in (bag_dir / "data" / "custody-log.jsonl").read_text(encoding="utf-8")
    verify = (bag_dir / "VERIFY.txt").read_text(encoding="utf-8")
    assert "locker/v1" in verify and "SHA-256(bytes.fromhex(prev_hash) + body)" in verify
    assert bag_info(bag_dir)["Locker-Custody-Format"] == "locker/v1"
    script = verify[verify.index("import hashlib, json") : verify.index("print(prev)") + len("print(prev)")]
    out = subprocess.run([sys.executable, "-c", script], cwd=bag_dir, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == prev == bag_info(bag_dir)["Locker-Custody-Head"]


def test_zip_entries_carry_real_times(case: dict[str, Any], scoped: tuple[Path, Path]) -> None:
    """Not the ZIP default of 1980-01-01: an original carries its own time (captured, else
    sealed), the documents the time of the export."""
    bundle, _ = scoped
    items = {i["sha256"]: i for i in json.loads(run_cli(case["home"], "ls", "--json").stdout)}
    with zipfile.ZipFile(bundle) as z:
        infos = z.infolist()
        assert infos and all(i.date_time[0] >= 2026 for i in infos), [i.date_time for i in infos]
        assert all((i.external_attr >> 16) & 0o777 == 0o600 for i in infos)
        originals = [i for i in infos if "/data/originals/" in i.filename]
        assert originals
        for info in originals:
            item = items[hashlib.sha256(z.read(info)).hexdigest()]
            when = item.get("captured_at") or item["added_at"]
            local = datetime.fromisoformat(when).astimezone(ZoneInfo("Asia/Shanghai"))
            stored = datetime(*info.date_time)  # ZIP keeps even seconds
            assert timedelta(0) <= local.replace(tzinfo=None, microsecond=0) - stored < timedelta(seconds=2)
