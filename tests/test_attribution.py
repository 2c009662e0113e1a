"""Issue 9 point 5: a number is linked to a party by its own messages or by the user; the link
and its reason are stored, shown by `locker party show`, and stated in the complaint."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect

from evidence import attribution, declarations, events, findings, parties
from evidence.attribution import Link, Reason, attribute
from evidence.database import alembic_config, head_revision
from evidence.errors import UsageError
from evidence.records import EventRecord, PartyRecord
from evidence.store import Store, open_store
from evidence.verification import verify_store
from tests.conftest import DEMO_PROFILE, PASSPHRASE, run_cli

T0 = datetime(2026, 8, 15, 2, 0, tzinfo=UTC)
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


def sms(store: Store, number: str, text: str, minutes: int = 0) -> int:
    _, event_id = declarations.declare(
        store,
        declarations.Declaration(kind="sms", number=number, text=text, at=T0 + timedelta(minutes=minutes)),
    )
    return event_id


def refreshed(store: Store) -> dict[str, list[Link]]:
    attribution.refresh(store)
    findings.refresh(store)
    out: dict[str, list[Link]] = {}
    for link in attribution.stored_links(store):
        out.setdefault(link.number, []).append(link)
    return out


def record(
    id: int, number: str | None, text: str | None, direction: str = "in", kind: str = "sms", **kw: object
) -> EventRecord:
    fields: dict[str, object] = {"number_class": "mobile", "contact": None, "duration": None, "status": None}
    fields.update(kw)
    return EventRecord(
        id=id,
        item=1,
        kind=kind,
        direction=direction,
        number=number,
        at=T0 + timedelta(minutes=id),
        text=text,
        **fields,  # type: ignore[arg-type]
    )


def test_point5_signature_link_keeps_its_reason_and_event_ids(store: Store) -> None:
    parties.add_party(store, "好借花", ["17155550001"], ["【好借花】"])
    ids = [sms(store, "10690000123", f"【好借花】您的账单已逾期{n}天", n) for n in range(3)]
    sms(store, "10690000123", "请今日还款", 9)  # no mark: not cited
    [link] = refreshed(store)["10690000123"]
    assert (link.party, link.source, link.linked, link.hold) == ("好借花", "messages", True, None)
    assert link.reasons == (Reason("signature", "【好借花】", tuple(ids)),)
    assert attribution.reason_text(link.reasons[0]) == (
        f"3 messages from this number carry the signature 【好借花】 (events {ids[0]}, {ids[1]}, {ids[2]})"
    )
    # The rules and listings now see the number as the party's.
    listed = events.list_events(store, events.EventFilter(party="好借花"))
    assert {e.number for e in listed} == {"10690000123"}
    assert verify_store(store).ok  # derived rows: no record digest covers them


def test_point5_the_party_name_in_the_messages_links_by_name(store: Store) -> None:
    parties.add_party(store, "好借花", [], [])
    eid = sms(store, "13900000000", "好借花让我通知你今天还款")
    [link] = refreshed(store)["13900000000"]
    assert link.linked and link.reasons == (Reason("name", "好借花", (eid,)),)
    # A bare 【好借花】 with no declared signature is still the party's signature, not a name.
    sig = sms(store, "10690000999", "【好借花】逾期提醒", 1)
    [link] = refreshed(store)["10690000999"]
    assert link.reasons == (Reason("signature", "【好借花】", (sig,)),)


def test_point5_a_number_pointing_at_two_parties_is_not_linked(store: Store) -> None:
    parties.add_party(store, "好借花", [], ["【好借花】"])
    parties.add_party(store, "速借宝", [], [])
    sms(store, "17000000001", "【好借花】请还款")
    sms(store, "17000000001", "速借宝也在找你", 1)
    links = refreshed(store)["17000000001"]
    assert {(x.party, x.linked, x.hold) for x in links} == {
        ("好借花", False, "ambiguous"),
        ("速借宝", False, "ambiguous"),
    }
    assert all(e.party is None for e in events.list_events(store, events.EventFilter(number="17000000001")))


def test_point5_the_users_declaration_wins_and_says_user(store: Store) -> None:
    parties.add_party(store, "好借花", [], ["【好借花】"])
    parties.add_party(store, "速借宝", ["17155550001"], [])
    eid = sms(store, "17155550001", "【好借花】最后通知你")
    links = {x.party: x for x in refreshed(store)["17155550001"]}
    mine = links["速借宝"]
    assert (mine.source, mine.linked, mine.reasons) == ("user", True, (Reason("declared"),))
    other = links["好借花"]
    assert (other.linked, other.hold) == (False, "declared-elsewhere")
    assert other.reasons == (Reason("signature", "【好借花】", (eid,)),)
    assert attribution.reason_text(mine.reasons[0]) == "declared by the user with `locker party add`"
    assert events.list_events(store, events.EventFilter(number="17155550001"))[0].party == "速借宝"


def test_point5_we_phrases_support_a_link_and_never_make_one(store: Store) -> None:
    parties.add_party(store, "好借花", ["17155550001"], [])
    bare = sms(store, "17000000002", "我们这边是催收部，我司将上报")
    declared = sms(store, "17155550001", "先把我们这边结清", 1)
    linked = refreshed(store)
    assert "17000000002" not in linked  # speaks for some lender, names none
    [link] = linked["17155550001"]
    assert link.reasons == (Reason("declared"), Reason("speaks_for", "我们这边", (declared,)))
    assert bare not in {e for r in link.reasons for e in r.events}


def test_point5_a_recorded_loan_reference_links(store: Store) -> None:
    parties.add_party(store, "好借花", [], [], ["HJH20260301"])
    eid = sms(store, "17000000003", "您的借款HJH20260301已逾期，我司将上报")
    [link] = refreshed(store)["17000000003"]
    assert link.linked and link.reasons == (
        Reason("loan_ref", "HJH20260301", (eid,)),
        Reason("speaks_for", "我司", (eid,)),
    )
    with pytest.raises(UsageError, match="at least 4"):
        parties.add_party(store, "好借花", [], [], ["HJ"])


def test_point5_contacts_official_lines_and_outgoing_messages_are_not_linked() -> None:
    party = PartyRecord("好借花", signatures=("【好借花】",))
    links = attribute(
        [
            record(1, "13700137000", "好借花的人打电话给我了", contact="老婆"),
            record(2, "95588", "【好借花】提醒", number_class="service"),
            record(3, "12368", "好借花起诉你", number_class="court"),
            record(4, "13800000000", "我欠好借花的钱", direction="out"),
            record(5, "13800000001", "好借花", kind="call"),
            record(6, None, "【好借花】截图"),
        ],
        [party],
    )
    assert {(x.number, x.linked, x.hold) for x in links} == {
        ("13700137000", False, "contact"),
        ("95588", False, "official"),
        ("12368", False, "official"),
    }


def test_point5_a_name_inside_a_longer_mark_points_only_at_the_longer_one() -> None:
    links = attribute(
        [record(1, "17000000001", "【好借花】请还款")],
        [PartyRecord("借花"), PartyRecord("好借花")],
    )
    assert [(x.party, x.linked) for x in links] == [("好借花", True)]


def test_point5_official_classes_mirror_the_rules() -> None:
    from evidence.rules import NEVER_COLLECTORS

    assert set(attribution.OFFICIAL_CLASSES) == set(NEVER_COLLECTORS)


NAMES = ["好借花", "借花", "速借宝", "快来钱"]
FRAGMENTS = [*NAMES, *(f"【{n}】" for n in NAMES), "我们这边", "我司", "请还款", "HJH20260301", "，", "x"]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[EventRecord], list[PartyRecord]]:
    numbers = ["17000000001", "17000000002", "17000000003", "95588"]
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    free = list(numbers)
    ps = []
    for name in names:
        mine = draw(st.lists(st.sampled_from(free), max_size=1, unique=True)) if free else []
        free = [n for n in free if n not in mine]
        sigs = tuple(draw(st.lists(st.sampled_from([f"【{n}】" for n in NAMES]), max_size=2, unique=True)))
        refs = ("HJH20260301",) if draw(st.booleans()) else ()
        ps.append(PartyRecord(name, tuple(mine), sigs, loan_refs=refs))
    evs = []
    for i in range(draw(st.integers(0, 12))):
        text = "".join(draw(st.lists(st.sampled_from(FRAGMENTS), max_size=5)))
        number = draw(st.sampled_from(numbers))
        evs.append(
            record(
                i + 1,
                number,
                text or None,
                direction=draw(st.sampled_from(["in", "out"])),
                kind=draw(st.sampled_from(["sms", "call"])),
                number_class="service" if number == "95588" else "mobile",
            )
        )
    return evs, ps


@settings(max_examples=300, deadline=None)
@given(cases())
def test_point5_every_cited_event_is_the_numbers_own_and_carries_what_is_cited(
    case: tuple[list[EventRecord], list[PartyRecord]],
) -> None:
    evs, ps = case
    by_id = {e.id: e for e in evs}
    declared = {n: p.name for p in ps for n in p.numbers}
    links = attribute(evs, ps)
    for link in links:
        for r in link.reasons:
            if r.kind == "declared":
                assert link.source == "user" and not r.events
                continue
            assert r.events and r.value
            for eid in r.events:
                e = by_id[eid]
                assert e.number == link.number and e.direction == "in" and e.kind in ("sms", "mms")
                assert e.text is not None and r.value in e.text
    for number in {x.number for x in links}:
        linked = [x for x in links if x.number == number and x.linked]
        assert len(linked) <= 1
        if number in declared:
            assert [(x.party, x.source) for x in linked] == [(declared[number], "user")]
        elif linked:
            assert len({x.party for x in links if x.number == number}) == 1  # never ambiguous
            assert any(r.kind != "speaks_for" for r in linked[0].reasons)  # never on 我们这边 alone


def test_point5_upgrade_from_0001_keeps_the_data_and_links_on_first_use(store: Store) -> None:
    parties.add_party(store, "好借花", ["17155550001"], ["【好借花】"])
    eid = sms(store, "10690000123", "【好借花】请还款")
    # Back to the previous head, as a locker made before the links were: its data stays.
    cfg = alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
        assert "party_links" not in inspect(conn).get_table_names()
    home = store.home
    store.close()
    again = open_store(home, PASSPHRASE)
    try:
        assert (home / f"locker.db.before-{head_revision()}").exists()  # backed up first
        with again.engine.connect() as conn:
            assert {"party_links", "party_loan_refs"} <= set(inspect(conn).get_table_names())
        assert [p.numbers for p in parties.list_parties(again)] == [("17155550001",)]
        assert attribution.stored_links(again) == []
        attribution.bring_up_to_date(again)
        [link] = [x for x in attribution.stored_links(again) if x.number == "10690000123"]
        assert link.reasons == (Reason("signature", "【好借花】", (eid,)),)
        assert verify_store(again).ok
    finally:
        again.close()


def test_point5_party_show_lists_each_number_with_source_and_reason(cli_home: Path) -> None:
    r = run_cli(cli_home, "party", "add", "好借花", "--number", "17155550001", "--signature", "好借花")
    assert r.exit_code == 0, r.stderr
    for n, text in (("10690000123", "【好借花】您的账单已逾期"), ("17155550001", "还钱")):
        r = run_cli(cli_home, "log", "sms", "--number", n, "--at", "2026-08-15T10:00", "--text", text)
        assert r.exit_code == 0, r.stderr
    r = run_cli(cli_home, "party", "show", "好借花")
    assert r.exit_code == 0, r.stderr
    lines = {line.split()[0]: line for line in r.stdout.splitlines()[2:]}
    assert "user" in lines["17155550001"] and "declared by the user" in lines["17155550001"]
    assert "messages" in lines["10690000123"]
    assert "1 message from this number carries the signature 【好借花】 (event 1)" in lines["10690000123"]
    got = json.loads(run_cli(cli_home, "party", "show", "好借花", "--json").stdout)
    assert [(x["number"], x["source"], x["linked"]) for x in got["links"]] == [
        ("10690000123", "messages", True),
        ("17155550001", "user", True),
    ]
    assert got["links"][0]["reasons"][0] == {
        "kind": "signature",
        "value": "【好借花】",
        "events": [1],
        "text": "1 message from this number carries the signature 【好借花】 (event 1)",
    }
    listed = run_cli(cli_home, "party", "ls").stdout
    assert "10690000123" in listed and "linked by messages" in listed
    assert run_cli(cli_home, "party", "show", "无此方").exit_code == 2
    assert run_cli(cli_home, "party", "add", "好借花", "--loan-ref", "1 2").exit_code == 2


@needs_poppler
def test_point5_the_complaint_says_why_each_number_is_the_partys(cli_home: Path, tmp_path: Path) -> None:
    run_cli(cli_home, "party", "add", "好借花", "--number", "17155550001", "--signature", "【好借花】")
    run_cli(cli_home, *DEMO_PROFILE)
    for n, at, text in (
        ("10690000123", "2026-08-15T10:00", "【好借花】再不还钱就去你单位找你"),
        ("10690000123", "2026-08-15T10:05", "【好借花】通知你全部联系人"),
        ("17155550001", "2026-08-15T23:30", "明天我们的人就去你公司楼下等你"),
    ):
        assert run_cli(cli_home, "log", "sms", "--number", n, "--at", at, "--text", text).exit_code == 0
    out = tmp_path / "r.pdf"
    r = run_cli(cli_home, "report", "--to", "12321", "--party", "好借花", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    flat = text.replace(" ", "").replace("\n", "")
    assert "号码10690000123归属于“好借花”：该号码发送的2条短信带有签名【好借花】（证据见事件#1、#2）" in flat
    assert "号码17155550001归属于“好借花”：由本人确认" in flat
    assert "#1" in flat and "【好借花】再不还钱就去你单位找你" in flat  # the cited message itself
