"""Tests for evidence.numbers: canonical forms and classes of Chinese and foreign numbers."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evidence.numbers import NUMBER_CLASSES, PhoneNumber, canonical, labelled, listed, parse_number, shown

SAME_MOBILE = [
    "17155550001",
    "+86 171 5555 0001",
    "8617155550001",
    "008617155550001",
    "+8617155550001",
    "171-5555-0001",
    "171 5555 0001",
    "(+86) 171-5555-0001",
    "１７１５５５５０００１",  # full-width digits from a Chinese input method
]

SAME_LANDLINE = [
    "075512345678",
    "(0755) 1234 5678",
    "0755-12345678",
    "+86 755 1234 5678",
    "+86 0755 1234 5678",
    "+8675512345678",
    "008675512345678",
]


@pytest.mark.parametrize("raw", SAME_MOBILE)
def test_mobile_variants_share_one_national_form(raw: str) -> None:
    assert parse_number(raw) == PhoneNumber(raw, "17155550001", "virtual")


@pytest.mark.parametrize("raw", SAME_LANDLINE)
def test_landline_variants_keep_trunk_zero_and_area_code(raw: str) -> None:
    assert parse_number(raw) == PhoneNumber(raw, "075512345678", "landline")


@pytest.mark.parametrize(
    ("raw", "expected", "number_class"),
    [
        ("01088888888", "01088888888", "landline"),
        ("010-8888-8888", "01088888888", "landline"),
        ("13800138000", "13800138000", "mobile"),
        ("+86 138 0013 8000", "13800138000", "mobile"),
        ("19212345678", "19212345678", "mobile"),
        ("17001234567", "17001234567", "virtual"),
        ("16212345678", "16212345678", "virtual"),
        ("16512345678", "16512345678", "virtual"),
        ("16712345678", "16712345678", "virtual"),
        ("12368", "12368", "court"),
        ("+8612368", "12368", "court"),
        ("075512368", "075512368", "court"),
        ("12345", "12345", "service"),
        ("12321", "12321", "service"),
        ("12306", "12306", "service"),
        ("10086", "10086", "service"),
        ("10010", "10010", "service"),
        ("10000", "10000", "service"),
        ("95588", "95588", "service"),
        ("95555", "95555", "service"),
        ("96110", "96110", "service"),
        ("110", "110", "service"),
        ("10691110001", "10691110001", "gateway"),
        ("1065712345678", "1065712345678", "gateway"),
        ("106550000123456789", "106550000123456789", "gateway"),
        ("+8610690000123", "10690000123", "gateway"),
        ("8610690000123", "10690000123", "gateway"),
        ("4001234567", "4001234567", "service"),
        ("400-123-4567", "4001234567", "service"),
        ("+86 400 123 4567", "4001234567", "service"),
        ("8001234567", "8001234567", "tollfree"),
        ("+15550000001", "+15550000001", "unknown"),
        ("+1 202-555-0123", "+12025550123", "mobile"),
        ("0012025550123", "+12025550123", "mobile"),
        ("+48123456789", "+48123456789", "landline"),
        ("+447911123456", "+447911123456", "mobile"),
        ("0078462018955", "+78462018955", "landline"),
        ("13800138000p123", "13800138000", "mobile"),
        ("13800138000,,9", "13800138000", "mobile"),
    ],
)
def test_canonical_form_and_class(raw: str, expected: str, number_class: str) -> None:
    got = parse_number(raw)
    assert (got.canonical, got.number_class) == (expected, number_class)
    assert got.raw == raw
    assert canonical(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "-2", "-3", "null", "NULL", "Unknown", "private", "私人号码", " -2 "])
def test_withheld_markers_have_no_number(raw: str) -> None:
    assert parse_number(raw) == PhoneNumber(raw, None, "withheld")


@pytest.mark.parametrize("raw", [None, "", "   ", "abc", "——", "+"])
def test_empty_and_garbage_are_unknown_without_number(raw: str | None) -> None:
    got = parse_number(raw)
    assert (got.canonical, got.number_class) == (None, "unknown")
    assert got.raw == (raw or "")


def test_alphanumeric_sender_is_unknown_but_keeps_digits() -> None:
    assert parse_number("ALIPAY95188") == PhoneNumber("ALIPAY95188", "95188", "unknown")


def test_unknown_digits_are_kept_as_digits() -> None:
    assert parse_number("1234567") == PhoneNumber("1234567", "1234567", "unknown")


def test_result_is_cached() -> None:
    assert parse_number("+86 171 5555 0002") is parse_number("+86 171 5555 0002")


# Hypothesis (deadline off: phonenumbers loads its metadata lazily, so a first example can be slow):
# valid mainland mobiles, written every way people and exporters write them.
_MOBILE_PREFIXES = ["130", "135", "138", "139", "150", "158", "170", "171", "176", "177", "186", "188", "199"]

valid_mobiles = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(_MOBILE_PREFIXES),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
).filter(lambda n: phonenumbers.is_valid_number(phonenumbers.parse(n, "CN")))

_VARIANTS = [
    "{n}",
    "+86{n}",
    "86{n}",
    "0086{n}",
    "+86 {a} {b} {c}",
    "{a}-{b}-{c}",
    "{a} {b} {c}",
    "+86-{a}-{b}-{c}",
    "(+86){n}",
    "0086 {a} {b} {c}",
]


@settings(deadline=None)
@given(valid_mobiles, st.sampled_from(_VARIANTS))
def test_every_variant_of_a_mobile_maps_to_the_same_canonical(number: str, variant: str) -> None:
    written = variant.format(n=number, a=number[:3], b=number[3:7], c=number[7:])
    got = parse_number(written)
    assert got.canonical == number
    assert got.number_class == ("virtual" if number.startswith(("170", "171")) else "mobile")


@settings(deadline=None)
@given(st.text())
def test_parse_number_never_raises_and_class_is_known(raw: str) -> None:
    got = parse_number(raw)
    assert got.number_class in NUMBER_CLASSES
    assert got.canonical is None or got.canonical.lstrip("+").isdigit()


_numberish = st.text(alphabet="0123456789+- ()pw", max_size=24)


@settings(deadline=None)
@given(st.one_of(st.text(), _numberish))
def test_canonical_is_idempotent(raw: str) -> None:
    once = canonical(raw)
    assert canonical(once) == once


@settings(deadline=None)
@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_canonical_of_digit_strings_keeps_class_stable(digits: str) -> None:
    first = parse_number(digits)
    assume(first.canonical is not None)
    assert parse_number(first.canonical).number_class == first.number_class


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"1[0-9]{10}", fullmatch=True))
def test_mobile_block_fast_path_agrees_with_the_library(number: str) -> None:
    """The 7-digit-block cache gives the class the library gives for the whole number."""
    from evidence.numbers import _classify_with_library, _short_code_class

    if _short_code_class(number) is None:
        assert parse_number(number).number_class == _classify_with_library(number)[1]


@pytest.mark.parametrize(
    ("raw", "canonical_form", "number_class"),
    [
        ("wechat:wxid_abc123", "wechat:wxid_abc123", "wechat"),
        ("wechat: my-alias_9 ", "wechat:my-alias_9", "wechat"),
        ("wechat:12345678@chatroom", "wechat:12345678@chatroom", "wechat"),
        ("wechat:bad id with spaces", None, "unknown"),
        ("wechat:", None, "unknown"),
    ],
)
def test_wechat_accounts_are_addresses_not_numbers(
    raw: str, canonical_form: str | None, number_class: str
) -> None:
    got = parse_number(raw)
    assert (got.canonical, got.number_class) == (canonical_form, number_class)
    if canonical_form is not None:
        assert canonical(canonical_form) == canonical_form  # idempotent


def test_documents_list_phone_numbers_and_wechat_accounts_apart() -> None:
    assert (
        listed(["17155550001", "075512345678", "wechat:wxid_a"])
        == "号码17155550001、075512345678及微信号wxid_a"
    )
    assert listed(["wechat:wxid_a"]) == "微信号wxid_a" and listed([]) == ""
    assert (shown("wechat:wxid_a"), labelled("17155550001")) == ("微信号wxid_a", "号码17155550001")
