"""Transcripts of recordings: typed by the user, sealed as declarations, judged, quoted as theirs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.errors import UsageError
from evidence.transcripts import Segment, clock, parse_transcript
from tests.conftest import DEMO, DEMO_PARTY, DEMO_PROFILE, run_cli

RECORDING = "通话录音@171 5555 0001(17155550001)_20260811091000.mp3"  # 10 s, 2026-08-11 09:10
TRANSCRIPT = """00:02 对方：你是王五吧？你欠好借花的钱什么时候还？
00:05 我：请不要再打扰我。
00:08 对方：今天不还，明天我们就去你单位找你，
让你同事都知道。
"""

words = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp", "Zs")), min_size=1, max_size=30
).filter(lambda t: t.strip() == t and not t[0].isdigit() and t[0] not in "[【(（")


@given(st.lists(st.tuples(st.integers(0, 3 * 3600), st.sampled_from(["对方", "我"]), words), min_size=1))
def test_a_transcript_reads_back_what_was_written(passages: list[tuple[int, str, str]]) -> None:
    text = "\n".join(f"{clock(t)} {who}：{said}" for t, who, said in passages)
    assert parse_transcript(text) == [
        Segment(float(t), "in" if who == "对方" else "out", said) for t, who, said in passages
    ]


def test_continuation_lines_unlabelled_speakers_and_bad_lines() -> None:
    segments = parse_transcript("[1:02:03] 对方: 第一句\n第二句\n\n12:30 记得还款：今天")
    assert segments == [
        Segment(3723.0, "in", "第一句\n第二句"),
        Segment(750.0, None, "记得还款：今天"),  # no known speaker: kept, never judged as theirs
    ]
    for bad, says in (("你好\n00:01 对方：在吗", "line 1"), ("", "empty"), ("00:03 对方：", "no words")):
        with pytest.raises(UsageError, match=says):
            parse_transcript(bad)


@pytest.fixture
def case(cli_home: Path) -> Path:
    assert run_cli(cli_home, *DEMO_PARTY).exit_code == 0
    assert run_cli(cli_home, *DEMO_PROFILE).exit_code == 0
    files = [str(DEMO / RECORDING), str(DEMO / "sms-20260817.xml")]
    assert run_cli(cli_home, "add", *files).exit_code == 0
    return cli_home


def _item(home: Path, name: str) -> int:
    items = json.loads(run_cli(home, "ls", "--json").stdout)
    return next(i["id"] for i in items if i["name"] == name)


def test_a_transcript_is_sealed_judged_and_quoted_as_the_users(case: Path, tmp_path: Path) -> None:
    source = tmp_path / "t.txt"
    source.write_text(TRANSCRIPT, encoding="utf-8")
    recording = _item(case, RECORDING)
    before = json.loads(run_cli(case, "findings", "--json").stdout)
    r = run_cli(case, "transcribe", str(recording), "--from-file", str(source), "--json")
    assert r.exit_code == 0, r.stderr
    made = json.loads(r.stdout)
    assert len(made["events"]) == 3
    # sealed: the original is the canonical declaration naming the recording by its hash
    out = tmp_path / "declaration.json"
    assert run_cli(case, "get", str(made["item"]), "-o", str(out)).exit_code == 0
    body = json.loads(out.read_text(encoding="utf-8"))
    sha = next(i["sha256"] for i in json.loads(run_cli(case, "ls", "--json").stdout) if i["id"] == recording)
    assert body["recording_sha256"] == sha and body["declared_by"] == "user"
    assert [s["offset"] for s in body["segments"]] == [2.0, 5.0, 8.0]
    # judged: the collector's words raise findings that say they come from the user's transcript
    after = json.loads(run_cli(case, "findings", "--json").stdout)
    new = [f for f in after if f["id"] not in {b["id"] for b in before}]
    assert new and all("据本人整理的通话录音文字稿" in f["explanation"] for f in new)
    assert {f["category"] for f in new} >= {6}  # 去你单位找你
    assert not any("请不要再打扰我" in f["explanation"] for f in new)  # the borrower's own words
    events = json.loads(run_cli(case, "events", "--json", "--kind", "transcript").stdout)
    assert [e["at"][:19] for e in events] == [
        "2026-08-11T09:10:02",
        "2026-08-11T09:10:05",
        "2026-08-11T09:10:08",
    ]
    # once only, and nothing is half-written when refused
    again = run_cli(case, "transcribe", str(recording), "--from-file", str(source))
    assert again.exit_code == 2 and "already has a transcript" in again.stderr
    assert run_cli(case, "verify").exit_code == 0


def test_a_transcript_is_refused_past_the_recordings_end_or_for_a_non_recording(
    case: Path, tmp_path: Path
) -> None:
    source = tmp_path / "t.txt"
    source.write_text("00:02 对方：在吗\n05:00 对方：明天去你家\n", encoding="utf-8")
    count = len(json.loads(run_cli(case, "ls", "--json").stdout))
    r = run_cli(case, "transcribe", str(_item(case, RECORDING)), "--from-file", str(source))
    assert r.exit_code == 2 and "05:00" in r.stderr and "past the recording's end" in r.stderr
    r = run_cli(case, "transcribe", str(_item(case, "sms-20260817.xml")), "--from-file", str(source))
    assert r.exit_code == 2 and "not a recording" in r.stderr
    assert len(json.loads(run_cli(case, "ls", "--json").stdout)) == count  # nothing added


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_a_report_quotes_the_transcript_and_lists_it_as_the_users(case: Path, tmp_path: Path) -> None:
    source = tmp_path / "t.txt"
    source.write_text(TRANSCRIPT, encoding="utf-8")
    assert run_cli(case, "transcribe", str(_item(case, RECORDING)), "--from-file", str(source)).exit_code == 0
    out = tmp_path / "r.pdf"
    r = run_cli(case, "report", "--to", "12321", "--party", "好借花", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    flat = text.replace("\n", "").replace(" ", "")
    for needle in ("录音文字稿（本人整理）", "明天我们就去你单位找你", "请不要再打扰我", "本人所说"):
        assert needle in flat, needle
    # the recording itself proves what its transcript shows (its row in the 证据清单)
    row = flat.split(RECORDING.replace(" ", "")[-12:])[1].split("SHA-256")[0]
    assert "威胁上门或到单位催收" in row, row
