"""Phone numbers: one canonical form and a class for every address a phone export or filename gives.

Canonical forms (binding across the project, and what the acceptance check compares):

* mainland mobiles: the 11 national digits, ``17155550001``;
* mainland landlines: trunk ``0`` + area code + subscriber, ``075512345678``;
* short and special numbers (12368, 95xxx/96xxx, 100xx, 123xx, 400/800, 106 gateways): the digits
  as dialled, ``10691110001``;
* foreign numbers: E.164, ``+15550000001``.

DESIGN.md decision 7 first wrote mainland numbers as +86; the project settled on the national
form above because Chinese users, complaint forms and the acceptance check write them that way.

Short codes are classified before `phonenumbers` sees them: it treats them as invalid E.164 and
would turn ``12368`` into a bogus ``+8612368`` (formats.md §5.1).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

NUMBER_CLASSES = (
    "mobile",
    "landline",
    "virtual",
    "gateway",
    "court",
    "service",
    "tollfree",
    "withheld",
    "unknown",
    "wechat",
)
# A WeChat account as chat exports name it (wxid_…, a chosen WeChat ID, …@chatroom, gh_…): not a
# phone number, but the address a collector writes from, so it is kept and compared the same way.
WECHAT_PREFIX = "wechat:"
_WECHAT_ID = re.compile(r"[A-Za-z0-9_\-.@]{1,64}")

# Android writes these for calls without caller id (CallLog.PRESENTATION_*: -1 unknown, -2 private,
# -3 payphone); exporters and ROMs write the words.
_WITHHELD_MARKERS = frozenset(
    {
        "-1",
        "-2",
        "-3",
        "null",
        "unknown",
        "private",
        "private number",
        "withheld",
        "restricted",
        "anonymous",
        "payphone",
        "未知",
        "未知号码",
        "私人号码",
        "隐藏号码",
        "匿名",
    }
)

# Mobile virtual network operators (formats.md §5.2): collectors favour them; a heuristic tag, not proof.
_VIRTUAL_PREFIXES = ("170", "171", "162", "165", "167")

# Checked in order on the national digits; the first match wins.
_SHORT_CODES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:0\d{2,3})?12368"), "court"),  # court litigation service, optionally behind an area code
    (re.compile(r"106\d{2,17}"), "gateway"),  # bulk-SMS ports: 1065x per carrier, 1069 cross-network
    (re.compile(r"9[56]\d{3,6}"), "service"),  # banks, insurers and other national service lines
    (re.compile(r"1[0-2]\d{3}"), "service"),  # carriers (10086/10010/10000), post, 123xx hotlines
    (re.compile(r"1[12]\d"), "service"),  # emergency and information: 110, 114, 119, 120, 122
    (re.compile(r"400\d{7}"), "service"),
    (re.compile(r"800\d{7}"), "tollfree"),
)

# A MIUI/Android dial string continues after a pause or wait with digits sent as tones, not dialled.
_PAUSE = re.compile(r"[,;pPwW].*$")
_DIAL_STRING = re.compile(r"\+?[0-9*#]+(?:[,;pPwW].*)?")
_SEPARATORS = re.compile(r"[\s\-().\[\]/·]")


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A number as received (`raw`), its canonical form (None when there is no number) and its class."""

    raw: str
    canonical: str | None
    number_class: str


def _short_code_class(digits: str) -> str | None:
    for pattern, number_class in _SHORT_CODES:
        if pattern.fullmatch(digits):
            return number_class
    return None


def _strip_country_code(digits: str, international: bool) -> tuple[str, bool]:
    """Drop +86/0086 (and a bare 86 where nothing else can be meant); say whether the rest is foreign."""
    if international:
        if digits.startswith("86"):
            rest = digits[2:]
            # "+86 0755…" keeps its trunk 0; runs of zeros after +86 are noise, not a second prefix.
            return ("0" + rest.lstrip("0") if rest.startswith("0") else rest), False
        return digits, True
    if digits.startswith("86"):
        rest = digits[2:]
        # A bare leading 86 is a country code only where the rest is unmistakably Chinese.
        if re.fullmatch(r"1[3-9]\d{9}|0[1-9]\d{8,10}|106\d{5,17}|[48]00\d{7}", rest):
            return rest, False
    return digits, False


def _classify_mainland(national: str) -> tuple[str, str]:
    """Canonical form and class of a number without country code, as dialled inside China."""
    short = _short_code_class(national)
    if short is not None:
        return national, short
    if len(national) == 11 and national[0] == "1" and national.isascii() and national.isdigit():
        # Mainland mobile ranges are allocated in 7-digit blocks (号段 + HLR code): classify the
        # block once, so a 100,000-message export does not pay phonenumbers per distinct number.
        return national, _mobile_block_class(national[:7])
    return _classify_with_library(national)


@lru_cache(maxsize=65536)
def _mobile_block_class(block: str) -> str:
    return _classify_with_library(block + "0000")[1]


def _classify_with_library(national: str) -> tuple[str, str]:
    try:
        parsed = phonenumbers.parse(national, "CN")
    except NumberParseException:
        return national, "unknown"
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        return national, "unknown"
    nsn = phonenumbers.national_significant_number(parsed)
    kind = phonenumbers.number_type(parsed)
    if kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE) and nsn.startswith("1"):
        return nsn, "virtual" if nsn.startswith(_VIRTUAL_PREFIXES) else "mobile"
    if kind == PhoneNumberType.FIXED_LINE:
        return "0" + nsn, "landline"
    if kind == PhoneNumberType.TOLL_FREE:
        return nsn, "tollfree"
    return nsn, "service"


_FOREIGN_CLASSES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile",
    PhoneNumberType.PAGER: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.VOIP: "virtual",
    PhoneNumberType.PERSONAL_NUMBER: "virtual",
    PhoneNumberType.TOLL_FREE: "tollfree",
    PhoneNumberType.SHARED_COST: "service",
    PhoneNumberType.PREMIUM_RATE: "service",
    PhoneNumberType.UAN: "service",
}


def _classify_foreign(digits: str) -> tuple[str, str]:
    """E.164 and class of a number that carries a country code other than 86."""
    e164 = "+" + digits
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164, "unknown"
    if not phonenumbers.is_valid_number(parsed):
        return e164, "unknown"
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return formatted, _FOREIGN_CLASSES.get(phonenumbers.number_type(parsed), "unknown")


@lru_cache(maxsize=65536)
def parse_number(raw: str | None) -> PhoneNumber:
    """Classify and canonicalise one number as found in an export, a filename or typed by the user.

    Pure and total: any text gives a PhoneNumber, never an exception. Cached because importers
    call it once per message.
    """
    text = "" if raw is None else raw
    if text.startswith(WECHAT_PREFIX):
        account = text[len(WECHAT_PREFIX) :].strip()
        if _WECHAT_ID.fullmatch(account):
            return PhoneNumber(text, WECHAT_PREFIX + account, "wechat")
        return PhoneNumber(text, None, "unknown")
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        return PhoneNumber(text, None, "unknown")
    if cleaned.casefold() in _WITHHELD_MARKERS:
        return PhoneNumber(text, None, "withheld")
    dial = _SEPARATORS.sub("", cleaned)
    digits = "".join(ch for ch in dial if "0" <= ch <= "9")
    if not digits:
        return PhoneNumber(text, None, "unknown")
    if not _DIAL_STRING.fullmatch(dial):
        # Alphanumeric senders ("ALIPAY") and free text: claim no class, but keep the digits (in
        # their own canonical form, so that canonical() stays idempotent) for search.
        return PhoneNumber(text, parse_number(digits).canonical, "unknown")
    dial = _PAUSE.sub("", dial)
    international = dial.startswith("+")
    digits = "".join(ch for ch in dial if "0" <= ch <= "9")
    if not digits:
        return PhoneNumber(text, None, "unknown")
    if not international and digits.startswith("00") and len(digits) > 4:
        international, digits = True, digits[2:]  # the international prefix dialled from China
    digits = digits.lstrip("0") if international else digits
    if not digits:
        return PhoneNumber(text, None, "unknown")
    national, foreign = _strip_country_code(digits, international)
    if foreign:
        canonical_form, number_class = _classify_foreign(national)
    elif national:
        canonical_form, number_class = _classify_mainland(national)
    else:
        return PhoneNumber(text, None, "unknown")
    return PhoneNumber(text, canonical_form, number_class)


def shown(number: str) -> str:
    """A canonical address as a Chinese document writes it after 号码 or a party's name: the
    number itself, or 微信号 and the account."""
    if number.startswith(WECHAT_PREFIX):
        return "微信号" + number[len(WECHAT_PREFIX) :]
    return number


def labelled(number: str) -> str:
    """ "号码17155550001", "微信号wxid_abc": an address named on its own."""
    return shown(number) if number.startswith(WECHAT_PREFIX) else "号码" + number


def listed(numbers: list[str] | tuple[str, ...]) -> str:
    """ "号码A、B及微信号X": addresses as a Chinese document lists them, phone numbers first."""
    phones = [n for n in numbers if not n.startswith(WECHAT_PREFIX)]
    accounts = [n[len(WECHAT_PREFIX) :] for n in numbers if n.startswith(WECHAT_PREFIX)]
    parts = (["号码" + "、".join(phones)] if phones else []) + (
        ["微信号" + "、".join(accounts)] if accounts else []
    )
    return "及".join(parts)


def canonical(raw: str | None) -> str | None:
    """The canonical form of a number, or None when there is none (withheld, empty, no digits)."""
    return parse_number(raw).canonical
