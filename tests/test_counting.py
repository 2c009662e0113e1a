"""Counting that a lawyer accepts (issue 9, point 4): one act is counted once however many
categories it is in; call attempts and connected calls are stated apart, each against its own
threshold; night contact at 22:00–08:00 and at 21:00–22:00 is counted apart, never summed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.assembly import Tally, call_limits, count_acts
from complaints.channels import category_names
from evidence.records import EventRecord, FindingDraft, FindingRecord, PartyRecord
from evidence.rules import RuleSettings, apply_rules
from tests.conftest import DEMO_PROFILE, run_cli

TZ = ZoneInfo("Asia/Shanghai")
COLLECTOR = "17155550001"
PARTY = PartyRecord("好借花", (COLLECTOR,))
# One message in three text categories: contacts (1), disclosure (4), threat (5).
THREE_CATEGORIES = "再不还钱，我们就打电话给你的家人和同事，把你欠钱不还的事发到小区群，打断你的腿"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


def event(
    id: int,
    at: str,
    kind: str = "call",
    status: str | None = "missed",
    duration: float | None = None,
    text: str | None = None,
) -> EventRecord:
    return EventRecord(
        id=id,
        item=id,
        kind=kind,
        direction="in",
        number=COLLECTOR,
        number_class="virtual",
        contact=None,
        at=datetime.fromisoformat(at).replace(tzinfo=TZ),
        duration=duration,
        status=status if kind == "call" else None,
        text=text,
        party="好借花",
    )


def records(drafts: Sequence[FindingDraft]) -> list[FindingRecord]:
    return [
        FindingRecord(
            id=n,
            key=d.key,
            category=d.category,
            rule=d.rule,
            rule_version=d.rule_version,
            at=d.at,
            numbers=d.numbers,
            party=d.party,
            events=d.events,
            items=d.events,
            explanation=d.explanation,
            strength=d.strength,
            status="auto",
            level=d.level,
            instruments=d.instruments,
        )
        for n, d in enumerate(drafts, 1)
    ]


def tally(events: list[EventRecord]) -> tuple[list[FindingRecord], Tally]:
    found = records(apply_rules(events, [PARTY], RuleSettings(TZ)))
    return found, count_acts(found, events, TZ, category_names(), call_limits())


def seven_calls_two_connected(day: str = "2026-08-12") -> list[EventRecord]:
    missed = [event(i, f"{day}T{9 + i:02d}:00") for i in range(5)]
    return missed + [event(5 + i, f"{day}T{14 + i}:00", "call", "answered", 60) for i in range(2)]


# --- rules: each call figure against its own threshold ---------------------------------------


def test_seven_attempts_with_two_connected_meet_only_the_attempts_figure() -> None:
    found, t = tally(seven_calls_two_connected())
    calls = [f for f in found if f.category == 2]
    assert [f.rule for f in calls] == ["calls-per-day-attempts"]  # no connected-limit finding
    text = calls[0].explanation
    assert "呼叫本人7次（含未接通、被拒接的呼叫），其中接通2次" in text
    assert "网络流传清单" in text and "只计接通的电话" in text
    assert "来电7次" not in text and not re.search(r"7次[^。]*接通上限", text)
    (day,) = t.call_days
    assert (day.attempts, day.connected, day.over_attempts, day.over_connected) == (7, 2, True, False)


def test_connected_calls_are_counted_without_the_unanswered_ones() -> None:
    answered = [event(i, f"2026-08-12T{9 + i:02d}:00", "call", "answered", 30) for i in range(4)]
    missed = [event(10 + i, f"2026-08-12T{15 + i}:00") for i in range(3)]
    found, t = tally(answered + missed)
    by_rule = {f.rule: f for f in found if f.category == 2}
    assert set(by_rule) == {"calls-per-day-attempts", "calls-per-day-connected"}
    assert "接通的催收电话达4次（未接通的3次呼叫不计入）" in by_rule["calls-per-day-connected"].explanation
    assert len(by_rule["calls-per-day-connected"].events) == 4
    assert "呼叫本人7次" in by_rule["calls-per-day-attempts"].explanation
    assert "其中接通4次" in by_rule["calls-per-day-attempts"].explanation
    (day,) = t.call_days
    assert (day.attempts, day.connected, day.over_connected) == (7, 4, True)


def test_unanswered_attempts_from_one_number_are_against_the_bank_guideline_figure() -> None:
    found, t = tally([event(i, f"2026-08-12T{9 + i:02d}:00") for i in range(7)])
    (per_number,) = [f for f in found if f.rule == "unanswered-attempts-per-number"]
    assert "未接通7次" in per_number.explanation and "不宜超过6次" in per_number.explanation
    assert "银行" in per_number.explanation and "接通上限" not in per_number.explanation
    assert t.call_days[0].unanswered == ((COLLECTOR, 7),)
    assert t.call_days[0].connected == 0


# --- the tally: acts once, night levels apart -------------------------------------------------


def test_one_message_in_three_categories_is_one_message() -> None:
    # Built by hand, not by the phrase rules: what is counted must not hang on what is matched.
    sms = event(1, "2026-08-11T10:00", "sms", text=THREE_CATEGORIES)
    drafts = [
        FindingDraft(f"k{cat}", cat, rule, 1, sms.at, (COLLECTOR,), "好借花", (1,), "…", "strong")
        for cat, rule in ((1, "text-contacts"), (4, "text-disclosure"), (5, "text-threat"))
    ]
    t = count_acts(records(drafts), [sms], TZ, category_names(), call_limits())
    assert t.messages == 1 and t.message_kinds == (("sms", 1),) and t.only_messages
    assert t.message_categories == tuple(category_names()[c] for c in (1, 4, 5))


def test_night_calls_at_21_30_and_23_00_are_weak_and_strong_apart() -> None:
    found, t = tally([event(1, "2026-08-13T21:30"), event(2, "2026-08-13T23:00")])
    assert sorted((f.level, f.strength) for f in found if f.category == 3) == [
        ("21:00-22:00", "weak"),
        ("22:00-08:00", "strong"),
    ]
    assert (t.night_strong, t.night_weak) == (1, 1)
    assert t.night_level == {1: "weak", 2: "strong"}


TEXTS = st.sampled_from([None, "明天还款", THREE_CATEGORIES, "明天我们的人就去你公司楼下等你", "后果自负"])


@st.composite
def days_of_contact(draw: st.DrawFn) -> list[EventRecord]:
    start = datetime(2026, 8, 11, tzinfo=TZ)
    out = []
    for n in range(draw(st.integers(0, 40))):
        at = start + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
        kind = draw(st.sampled_from(["call", "call", "sms"]))
        status = draw(st.sampled_from(["answered", "missed", "rejected", None]))
        duration = draw(st.sampled_from([None, 0.0, 45.0]))
        text = draw(TEXTS) if kind == "sms" else None
        out.append(event(n + 1, at.isoformat(), kind, status, duration, text))
    return out


@settings(max_examples=60, deadline=None)
@given(days_of_contact())
def test_counts_never_exceed_the_distinct_acts_behind_them(events: list[EventRecord]) -> None:
    found, t = tally(events)
    behind = {e for f in found for e in f.events}
    text_events = {e for f in found if f.rule.startswith("text-") for e in f.events}
    assert t.messages == len(text_events) <= len(behind)
    for cat in {f.category for f in found if f.rule.startswith("text-")}:
        assert len({e for f in found if f.category == cat for e in f.events}) <= t.messages
    night = {e for f in found if f.category == 3 for e in f.events}
    assert t.night_strong + t.night_weak == len(night)  # each act at one level, never both
    by_id = {e.id: e for e in events}
    for eid, level in t.night_level.items():
        hour = by_id[eid].at.astimezone(TZ).hour
        assert (hour == 21) == (level == "weak")
    limits = t.limits
    for day in t.call_days:
        assert day.attempts is not None and day.connected is not None
        assert day.connected <= day.attempts
        assert day.over_attempts == (day.attempts > limits["attempts"])
        assert day.over_connected == (day.connected > limits["connected"])
        assert all(n > limits["unanswered"] for _, n in day.unanswered)


# --- the document: what a rendered complaint states --------------------------------------------


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return out.replace(" ", "").replace("\n", "")


@needs_poppler
def test_the_complaint_counts_acts_once_and_calls_and_night_levels_apart(
    cli_home: Path, tmp_path: Path
) -> None:
    assert run_cli(cli_home, "party", "add", "好借花", "--number", COLLECTOR).exit_code == 0
    assert run_cli(cli_home, *DEMO_PROFILE).exit_code == 0
    log = ["log", "call", "--number", COLLECTOR, "--at"]
    sms = ["log", "sms", "--number", COLLECTOR, "--at", "2026-08-11T10:00", "--text", THREE_CATEGORIES]
    assert run_cli(cli_home, *sms).exit_code == 0
    for h in ("09", "10", "11", "12", "13"):
        assert run_cli(cli_home, *log, f"2026-08-12T{h}:00", "--status", "missed").exit_code == 0
    for h in ("14", "15"):
        r = run_cli(cli_home, *log, f"2026-08-12T{h}:00", "--status", "answered", "--duration", "60")
        assert r.exit_code == 0, r.stderr
    for at in ("2026-08-13T21:30", "2026-08-13T23:00"):
        assert run_cli(cli_home, *log, at, "--status", "missed").exit_code == 0
    found = json.loads(run_cli(cli_home, "findings", "--json").stdout)
    on_sms = sorted(f["category"] for f in found if f["rule"].startswith("text-"))
    assert len(on_sms) >= 2, on_sms  # the phrase rules put the one message in several categories
    r = run_cli(cli_home, "findings")
    assert f"{len(found)} findings on 10 distinct events" in r.stderr

    out = tmp_path / "12321.pdf"
    r = run_cli(cli_home, "report", "--to", "12321", "--party", "好借花", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    text = pdf_text(out)
    # One message in several categories: one message in the total, one in each category.
    assert "含违规内容的消息共1条（短信1条）" in text
    assert "一条消息涉及多类行为时只计一次）1条" in text  # the statistics table's total row
    assert text.count("：1条消息。") == len(on_sms)  # each category's own line, in the letter
    assert f"{len(on_sms)}条消息" not in text and f"共{len(on_sms)}条" not in text
    # Seven attempts, two connected: the attempts figure only, never against the connected limit.
    assert "呼叫本人7次（含未接通、被拒接），其中接通2次" in text
    assert "来电7次" not in text
    assert not re.search(r"7次[^。]*接通上限", text)
    assert "接通次数超过" not in text
    # 21:30 and 23:00: one at each level, stated apart and never summed.
    assert "22:00至次日08:00之间1次；21:00至22:00之间1次" in text
    assert "之间2次" not in text
