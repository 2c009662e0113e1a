"""Findings through the store: refreshed after add, decisions kept across re-runs, the demo case."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import evidence.rules
from evidence import findings as core
from evidence.records import FindingDraft
from evidence.schema import Finding
from evidence.store import Store
from tests.conftest import DEMO, run_cli
from tests.conftest import DEMO_PARTY as PARTY


def findings(home: Path, *args: str) -> list[dict]:  # type: ignore[type-arg]
    r = run_cli(home, "findings", "--json", *args)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_demo_case_findings_and_decisions_survive_new_evidence(cli_home: Path) -> None:
    assert run_cli(cli_home, *PARTY).exit_code == 0
    assert run_cli(cli_home, "add", str(DEMO / "calls-20260817.xml")).exit_code == 0
    first = findings(cli_home)
    night = [f for f in first if f["category"] == 3]
    assert night and all(f["at"].startswith("2026-08-11") for f in night)
    assert all(f["items"] and f["events"] and f["explanation"] for f in first)
    keep, drop = night[0]["id"], night[1]["id"]
    assert run_cli(cli_home, "confirm", str(keep)).exit_code == 0
    assert run_cli(cli_home, "dismiss", str(drop)).exit_code == 2  # a reason is required
    assert run_cli(cli_home, "dismiss", str(drop), "--why", "约定的时间").exit_code == 0
    assert run_cli(cli_home, "add", str(DEMO / "sms-20260817.xml")).exit_code == 0  # refresh with more events
    after = {f["id"]: f for f in findings(cli_home)}
    assert after[keep]["status"] == "confirmed" and after[drop]["status"] == "dismissed"
    assert after[drop]["why"] == "约定的时间"
    assert {f["category"] for f in after.values()} >= {1, 2, 3, 4, 6, 7, 8, 9}
    assert [f["category"] for f in findings(cli_home, "--category", "9")] == [9]


def test_loan_add_flags_upfront_deduction(cli_home: Path) -> None:
    r = run_cli(
        cli_home,
        "loan",
        "add",
        "--party",
        "好借花",
        "--principal",
        "5000",
        "--received",
        "3500",
        "--start",
        "2026-06-01",
        "--schedule",
        "2026-06-08=5000",
        "--lender-type",
        "unlicensed",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["deducted_up_front"] == "1500"
    assert {f["rule"] for f in findings(cli_home, "--category", "10")} == {
        "loan-rate",
        "loan-upfront-deduction",
    }
    bad = run_cli(
        cli_home,
        "loan",
        "add",
        "--party",
        "x",
        "--principal",
        "1",
        "--received",
        "1",
        "--start",
        "2026-06-01",
        "--schedule",
        "junk",
    )
    assert bad.exit_code == 2 and "DATE=AMOUNT" in bad.stderr


def _draft(n: int, explanation: str | None = None) -> FindingDraft:
    at = datetime(2026, 8, 11, 21, 30, tzinfo=ZoneInfo("Asia/Shanghai")) + timedelta(minutes=n)
    return FindingDraft(
        key=f"key-{n:03d}",
        category=5,
        rule="text-threat",
        rule_version=1,
        at=at,
        numbers=("17155550001",),
        party="好借花" if n % 2 else None,
        events=(n, n + 1000),
        explanation=explanation or f"第{n}条：威胁“小心你的腿”",
        strength="strong",
        level="22:00" if n % 3 == 0 else None,
        instruments=("《中华人民共和国治安管理处罚法》第四十二条",),
    )


def test_refresh_in_bulk_keeps_decisions_and_retires_vanished_findings(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over several write batches: decisions survive, vanished findings stop being current
    (their decisions kept), a finding produced again comes back with its id and decision."""
    monkeypatch.setattr(core, "FINDING_BATCH", 3)
    produced: list[FindingDraft] = []
    monkeypatch.setattr(evidence.rules, "iter_rules", lambda *_args, **_kwargs: iter(list(produced)))
    now = [datetime(2026, 9, 1, tzinfo=UTC)]
    monkeypatch.setattr(store, "clock", lambda: now[0])

    def stored() -> dict[str, Finding]:
        with store.transaction() as s:
            return {f.key: f for f in s.scalars(select(Finding))}

    produced[:] = [_draft(n) for n in range(1, 11)]
    assert core.refresh(store) == 10
    first = {f.key: f for f in core.list_findings(store)}
    assert [f.key for f in core.list_findings(store)] == [d.key for d in produced]
    for d in produced:  # stored as the ORM reads it back
        f = first[d.key]
        assert (f.at, f.numbers, f.party, f.events, f.explanation, f.level, f.instruments) == (
            d.at,
            d.numbers,
            d.party,
            d.events,
            d.explanation,
            d.level,
            d.instruments,
        )
        assert (f.status, f.why) == ("auto", None)
    core.decide(store, first["key-001"].id, "confirmed")
    core.decide(store, first["key-002"].id, "dismissed", "约定的时间")
    core.decide(store, first["key-009"].id, "dismissed", "已还清")

    # A newer run: 1 and 7 to 10 vanish, 6 is reworded, 11 to 14 are new.
    produced[:] = [*(_draft(n) for n in (2, 3, 4, 5)), _draft(6, "改写"), *(_draft(n) for n in range(11, 15))]
    now[0] += timedelta(days=1)
    assert core.refresh(store) == 9
    rows = stored()
    assert all(f.updated_at == now[0] for f in rows.values())
    assert {k for k, f in rows.items() if f.current} == {d.key for d in produced}
    vanished = {"key-001", "key-007", "key-008", "key-009", "key-010"}
    assert {k for k, f in rows.items() if not f.current} == vanished
    assert (rows["key-001"].status, rows["key-001"].why) == ("confirmed", None)
    assert (rows["key-002"].status, rows["key-002"].why) == ("dismissed", "约定的时间")
    assert (rows["key-009"].status, rows["key-009"].why) == ("dismissed", "已还清")
    assert rows["key-006"].explanation == "改写" and rows["key-006"].id == first["key-006"].id
    assert [rows[f"key-{n:03d}"].status for n in range(11, 15)] == ["auto"] * 4
    assert [f.key for f in core.list_findings(store)] == [d.key for d in produced]
    now[0] += timedelta(days=1)
    core.refresh(store)  # the same run again: what had vanished is not touched
    assert {k: f.updated_at for k, f in stored().items() if not f.current} == {
        k: now[0] - timedelta(days=1) for k in vanished
    }

    # Produced again: the same rows, current, with the decisions they had.
    produced[:] = [_draft(n) for n in range(1, 15)]
    assert core.refresh(store) == 14
    rows = stored()
    assert all(f.current for f in rows.values()) and len(rows) == 14
    assert {k: rows[k].id for k in first} == {k: f.id for k, f in first.items()}
    assert (rows["key-001"].status, rows["key-009"].why) == ("confirmed", "已还清")
    assert rows["key-006"].explanation == _draft(6).explanation
