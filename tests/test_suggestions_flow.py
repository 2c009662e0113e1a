"""The model's suggestions through the locker: raised where no rule found the category, never
listed as findings, never in a document until the user confirms one."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from evidence.records import EventRecord, PartyRecord
from evidence.rules import RuleSettings, apply_rules, load_catalog
from evidence.rules.texts import text_hits
from tests.conftest import DEMO_PROFILE, run_cli
from tests.test_intake_exports import backup

TZ = ZoneInfo("Asia/Shanghai")
# A veiled arson threat no cue reads as a threat, and a plain new-loan push the model knows.
VEILED = "你那个小破店生意挺好，哪天着了火可就可惜了"


def event(text: str, direction: str = "in", number_class: str = "mobile") -> EventRecord:
    return EventRecord(
        1,
        1,
        "sms",
        direction,
        "17155550001",
        number_class,
        None,
        datetime(2026, 8, 12, 15, 0, tzinfo=TZ),
        None,
        None,
        text,
        party="好借花",
    )


def test_a_suggestion_is_raised_only_where_the_rules_found_nothing_and_only_from_a_collector() -> None:
    party = [PartyRecord("好借花", ("17155550001",))]
    found = apply_rules([event(VEILED)], party, RuleSettings(TZ))
    assert [(f.category, f.rule, f.strength) for f in found] == [(5, "suggested-threat", "suggestion")]
    assert "统计模型的提示" in found[0].explanation and "须由本人确认" in found[0].explanation
    assert apply_rules([event(VEILED, direction="out")], party, RuleSettings(TZ)) == []
    assert apply_rules([event(VEILED, number_class="court")], party, RuleSettings(TZ)) == []
    plain = apply_rules([event("再不还钱就打断你的腿")], party, RuleSettings(TZ))
    assert {f.strength for f in plain} == {"strong"}  # a rule found it: no suggestion beside it


def test_a_finding_the_model_doubts_is_offered_as_a_suggestion_quoting_the_rules_words() -> None:
    """A group rule naming 催收 in a work group: the address-book cue reads the group, the model
    reads a notice. The finding is not filed: it waits for the user, with the cue's own words."""
    text = "公司工作群仅用于工作沟通，严禁在群内讨论网贷、催收等私事"
    hits = text_hits(text, load_catalog().judgement, False, True)
    assert {h.category for h in hits} == {1}
    party = [PartyRecord("好借花", ("17155550001",))]
    found = apply_rules([event(text)], party, RuleSettings(TZ))
    assert [(f.category, f.rule, f.strength) for f in found] == [(1, "suggested-contacts", "suggestion")]
    assert hits[0].words in found[0].explanation
    assert "统计模型判断整条消息与违规消息不相近" in found[0].explanation
    assert "须由本人确认" in found[0].explanation


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_suggestions_stay_out_of_findings_and_reports_until_confirmed(cli_home: Path, tmp_path: Path) -> None:
    sms = backup(
        tmp_path / "sms-1.xml", [("17155550001", 1786518000000, VEILED)]
    )  # 2026-08-12 15:00 in Shanghai
    assert run_cli(cli_home, "add", str(sms)).exit_code == 0
    run_cli(cli_home, "party", "add", "好借花", "--number", "17155550001")
    run_cli(cli_home, *DEMO_PROFILE)
    listed = run_cli(cli_home, "findings", "--json")
    assert json.loads(listed.stdout) == []
    assert "1 suggestions to review" in run_cli(cli_home, "findings").stderr
    [suggestion] = json.loads(run_cli(cli_home, "findings", "--suggestions", "--json").stdout)
    assert (suggestion["category"], suggestion["strength"], suggestion["status"]) == (5, "suggestion", "auto")
    out = tmp_path / "r.pdf"
    refused = run_cli(cli_home, "report", "--to", "police", "--party", "好借花", "-o", str(out))
    assert refused.exit_code != 0 and "no findings" in refused.stderr  # nothing filed yet
    assert run_cli(cli_home, "confirm", str(suggestion["id"])).exit_code == 0
    assert [f["id"] for f in json.loads(run_cli(cli_home, "findings", "--json").stdout)] == [suggestion["id"]]
    assert json.loads(run_cli(cli_home, "findings", "--suggestions", "--json").stdout) == []
    assert run_cli(cli_home, "report", "--to", "police", "--party", "好借花", "-o", str(out)).exit_code == 0
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    flat = text.replace("\n", "")  # lines wrap anywhere in Chinese
    assert "着了火" in flat and "已由本人确认" in flat and "统计模型的提示" in flat
