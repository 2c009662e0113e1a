"""Findings through the store: refreshed after add, decisions kept across re-runs, the demo case."""

from __future__ import annotations

import json
from pathlib import Path

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
