"""Exports through intake: one item, one event per record, dedupe across backups, broken and hostile files."""

from __future__ import annotations

import json
from pathlib import Path

from evidence import events, intake
from evidence.store import Store
from evidence.verification import verify_store
from tests.conftest import DEMO, SHARED, run_cli

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n<smses count="{n}">\n'
SMS = (
    '<sms protocol="0" address="{addr}" date="{ms}" type="1" subject="null" body="{body}" toa="null" '
    'sc_toa="null" service_center="null" read="1" status="-1" locked="0" readable_date="x" '
    'contact_name="(Unknown)" />\n'
)


def backup(path: Path, messages: list[tuple[str, int, str]]) -> Path:
    path.write_text(
        HEAD.format(n=len(messages))
        + "".join(SMS.format(addr=a, ms=m, body=b) for a, m, b in messages)
        + "</smses>\n",
        encoding="utf-8",
    )
    return path


def test_demo_exports_become_events(store: Store) -> None:
    sms = intake.add_file(store, DEMO / "sms-20260817.xml")
    calls = intake.add_file(store, DEMO / "calls-20260817.xml")
    assert (sms.kind, sms.events, calls.events) == ("export", 34, 13)
    evs = events.list_events(store)
    assert {e.item for e in evs} == {sms.id, calls.id}
    assert verify_store(store).ok


def test_a_newer_backup_adds_only_the_new_messages(store: Store, tmp_path: Path) -> None:
    old = [("+8617155550001", 1786406400000 + i * 60_000, f"第{i}条催收短信") for i in range(5)]
    new = [("17155550001", 1786406400000 + i * 60_000, f"第{i}条催收短信") for i in range(5, 8)]
    first = intake.add_file(store, backup(tmp_path / "sms-1.xml", old))
    second = intake.add_file(store, backup(tmp_path / "sms-2.xml", old + new))
    assert (first.events, second.events) == (5, 3)
    again = intake.add_file(store, backup(tmp_path / "sms-3.xml", list(reversed(old + new))))
    assert again.events == 0 and not again.duplicate  # different bytes, same messages
    assert len(events.list_events(store)) == 8
    assert verify_store(store).ok


def test_truncated_export_keeps_what_was_complete_and_says_where(cli_home: Path) -> None:
    broken = SHARED / "corpus" / "public" / "sbr_sms_and_mms__devadvance_sms-backup-reader-2.xml"
    r = run_cli(cli_home, "add", "--json", str(broken))
    assert r.exit_code == 4
    [added] = json.loads(r.stdout)
    assert added["events"] > 0 and "line" in added["warning"]
    assert run_cli(cli_home, "verify").exit_code == 0


def test_entity_expansion_is_refused_and_only_sealed(cli_home: Path) -> None:
    bomb = Path(__file__).parent / "data" / "exports" / "billion_laughs.xml"
    r = run_cli(cli_home, "add", str(bomb))
    assert r.exit_code == 4
    assert "entity" in r.stderr and "Traceback" not in r.stderr
    # Sealed all the same (it is evidence of what was sent), but nothing is read from it.
    listed = json.loads(run_cli(cli_home, "ls", "--json").stdout)
    assert len(listed) == 1 and listed[0]["events"] == 0
    assert run_cli(cli_home, "verify").exit_code == 0


def test_events_filters(cli_home: Path) -> None:
    run_cli(cli_home, "add", str(DEMO / "sms-20260817.xml"), str(DEMO / "calls-20260817.xml"))
    one = json.loads(run_cli(cli_home, "events", "--number", "+86 171 5555 0001", "--json").stdout)
    assert one and {e["number"] for e in one} == {"17155550001"}
    calls = json.loads(
        run_cli(
            cli_home, "events", "--kind", "call", "--since", "2026-08-11", "--until", "2026-08-11", "--json"
        ).stdout
    )
    assert calls and all(e["kind"] == "call" and e["at"].startswith("2026-08-11") for e in calls)
    court = [e for e in json.loads(run_cli(cli_home, "events", "--number", "12368", "--json").stdout)]
    assert court and all(e["number_class"] == "court" for e in court)
    days = json.loads(run_cli(cli_home, "events", "--per-day", "--json").stdout)
    assert sum(d.get("sms", 0) for d in days) == 34
