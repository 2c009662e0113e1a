"""`locker log`: what has no export becomes a declared event backed by a sealed declaration."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from evidence import declarations, events, parties
from evidence.errors import UsageError
from evidence.store import Store
from evidence.verification import verify_store
from tests.conftest import run_cli


def test_declared_visit_is_an_event_marked_declared(store: Store) -> None:
    at = datetime.fromisoformat("2026-08-15T19:30:00+08:00")
    item_id, event_id = declarations.declare(
        store, declarations.Declaration(kind="visit", at=at, text="两人到家门口")
    )
    [e] = events.list_events(store)
    assert (e.id, e.item, e.kind, e.declared, e.at) == (event_id, item_id, "visit", True, at)
    assert verify_store(store).ok  # the declaration is a sealed, hashed original too


def test_declared_call_needs_a_number(store: Store) -> None:
    with pytest.raises(UsageError, match="--number"):
        declarations.declare(
            store,
            declarations.Declaration(kind="call", at=datetime.fromisoformat("2026-08-15T23:30:00+08:00")),
        )


def test_log_with_attachment_and_local_time(cli_home: Path, tmp_path: Path) -> None:
    photo = tmp_path / "door.png"
    from PIL import Image

    Image.new("RGB", (10, 10), "blue").save(photo)
    r = run_cli(
        cli_home,
        "log",
        "call",
        "--number",
        "+86 171 5555 0001",
        "--at",
        "2026-08-15T23:05",
        "--duration",
        "42",
        "--status",
        "answered",
        "--attach",
        str(photo),
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    r = run_cli(cli_home, "events", "--json")
    [call] = [e for e in json.loads(r.stdout) if e["kind"] == "call"]
    assert call["number"] == "17155550001" and call["at"] == "2026-08-15T23:05:00+08:00"
    assert call["declared"] is True and call["duration"] == 42
    listed = json.loads(run_cli(cli_home, "ls", "--json").stdout)
    assert {i["kind"] for i in listed} == {"image", "declaration"}


def test_party_numbers_are_canonical_and_owned_once(store: Store) -> None:
    p = parties.add_party(store, "好借花", ["+86 171 5555 0001", "0755-1234 5678"], ["好借花"])
    assert p.numbers == ("17155550001", "075512345678") and p.signatures == ("【好借花】",)
    again = parties.add_party(store, "好借花", ["17155550001"], [])
    assert again.numbers == p.numbers
    with pytest.raises(UsageError, match="already belongs"):
        parties.add_party(store, "另一家", ["8617155550001"], [])


def test_party_events_listed_together(store: Store) -> None:
    parties.add_party(store, "好借花", ["17155550001", "17155550002"], [])
    for n, t in (("17155550001", "20:00"), ("17155550002", "21:00"), ("13700137000", "22:00")):
        declarations.declare(
            store,
            declarations.Declaration(
                kind="sms", number=n, text="还款", at=datetime.fromisoformat(f"2026-08-15T{t}+08:00")
            ),
        )
    got = events.list_events(store, events.EventFilter(party="好借花"))
    assert [e.number for e in got] == ["17155550001", "17155550002"]
    assert all(e.party == "好借花" for e in got)


def test_party_suggest_proposes_and_never_merges(cli_home: Path) -> None:
    run_cli(cli_home, "party", "add", "好借花", "--number", "17155550001", "--signature", "【好借花】")
    for n, text in (
        ("10690000123", "【好借花】您的账单已逾期"),
        ("13900000000", "好借花让我联系你"),
        ("13800000000", "周末吃饭吗"),
    ):
        run_cli(cli_home, "log", "sms", "--number", n, "--at", "2026-08-15T10:00", "--text", text)
    got = json.loads(run_cli(cli_home, "party", "suggest", "--json").stdout)
    assert [(s["number"], s["reason"]) for s in got] == [
        ("10690000123", "signature"),
        ("13900000000", "name"),
    ]
    parties_now = json.loads(run_cli(cli_home, "party", "ls", "--json").stdout)
    assert parties_now == [{"name": "好借花", "numbers": ["17155550001"], "signatures": ["【好借花】"]}]
