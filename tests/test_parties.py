"""A party's identity as a respondent: recorded, checked, kept across the schema upgrade."""

from __future__ import annotations

import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect

from evidence import parties
from evidence.database import alembic_config
from evidence.errors import UsageError
from evidence.store import Store, open_store
from evidence.verification import verify_store
from tests.conftest import PASSPHRASE

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015


def check_character(first17: str) -> str:
    """The one character that completes 17 into a valid code, found by trying them all."""
    found = [c for c in ALPHABET if parties.credit_code_problem(first17 + c) is None]
    assert len(found) == 1, found
    return found[0]


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from(ALPHABET), min_size=17, max_size=17), st.data())
def test_a_credit_code_with_one_character_changed_never_checks_out(first17: str, data: st.DataObject) -> None:
    code = first17 + check_character(first17)
    at = data.draw(st.integers(0, 17))
    other = data.draw(st.sampled_from([c for c in ALPHABET if c != code[at]]))
    assert parties.credit_code_problem(code[:at] + other + code[at + 1 :]) is not None


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91350100M000100Y43", None),  # published examples
        ("91110000802100433B", None),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100Y4I", "capitals"),
        ("91350100M000100Y44", "does not check out"),
    ],
)
def test_credit_codes(code: str, problem: str | None) -> None:
    found = parties.credit_code_problem(code)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_identity_is_recorded_cleared_and_in_the_custody_log(store: Store) -> None:
    parties.add_party(store, "好借花", ["17155550001"], [])
    given_identity = {"legal_name": " 深圳市 好借花 有限公司 ", "credit_code": "91110000802100433b"}
    p = parties.set_identity(store, "好借花", given_identity)
    assert (p.legal_name, p.credit_code) == ("深圳市 好借花 有限公司", "91110000802100433B")
    p = parties.set_identity(store, "好借花", {"legal_name": ""})
    assert p.legal_name is None and p.credit_code == "91110000802100433B"
    bad_ones = ({"lender_type": "x"}, {"address": "x" * 201}, {"app_name": "a\x00b"}, {"colour": "red"})
    for bad in bad_ones:
        with pytest.raises(UsageError):
            parties.set_identity(store, "好借花", bad)
    with pytest.raises(UsageError):
        parties.set_identity(store, "无此方", {"app_name": "x"})
    assert verify_store(store).ok


def test_upgrade_from_0002_keeps_the_parties_without_an_identity(store: Store) -> None:
    parties.add_party(store, "好借花", ["17155550001"], ["【好借花】"])
    cfg = alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
        assert "legal_name" not in {c["name"] for c in inspect(conn).get_columns("parties")}
    home = store.home
    store.close()
    again = open_store(home, PASSPHRASE)
    try:
        [p] = parties.list_parties(again)
        assert (p.name, p.numbers, p.legal_name) == ("好借花", ("17155550001",), None)
        assert parties.set_identity(again, "好借花", {"app_name": "好借花"}).app_name == "好借花"
        assert verify_store(again).ok
    finally:
        again.close()
