"""Facts that phones write into the names of call recordings and screenshots (formats.md §3.2, §4.1).

Each convention is a pattern on the name without its extension plus a reader that turns the
match into NameFacts. Conventions are tried from the most to the least specific; a match whose
date is impossible (month 13) does not count, and the next convention is tried.

Local wall-clock times (every recorder except BCR) are read in the locker's timezone and
flagged ``tz_assumed``; BCR names carry their UTC offset and WeChat's ``mmexport`` an epoch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class NameFacts:
    """What a filename claims: the convention recognised, the other party and the capture time.

    `number` is the number as written in the name, reduced to digits and a leading ``+``;
    `contact` is a name (None when the name only repeats the number).
    """

    convention: str
    number: str | None
    contact: str | None
    captured_at: datetime | None
    tz_assumed: bool
    app: str | None


# A convention's reader: the pattern's match and the locker's timezone → facts, or None (impossible date).
Reader = Callable[[re.Match[str], ZoneInfo], NameFacts | None]

# Patterns are ASCII-only for \d, \s and \w: phones write ASCII digits, and int() would accept others.
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$", re.ASCII)
# Who a recording is with, written as a number: digits with the separators phones put in them.
_NUMBERISH = re.compile(r"\+?[\d\s\-()_*#]*\d[\d\s\-()_*#]*", re.ASCII)


def _number_or_contact(who: str) -> tuple[str | None, str | None]:
    """Split the "who" part of a name into (number, contact): a number when it looks like one."""
    who = who.strip()
    if not who:
        return None, None
    if _NUMBERISH.fullmatch(who):
        return _dial_digits(who), None
    return None, who


def _dial_digits(text: str) -> str | None:
    """Digits and a leading plus, nothing else; None when no digit is left."""
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if not digits:
        return None
    return "+" + digits if text.strip().startswith("+") else digits


def _local(
    tz: tzinfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    micro: int = 0,
) -> datetime | None:
    """A wall-clock time in `tz`, or None when the fields are not a real date."""
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None


def _ints(text: str, *widths: int) -> list[int]:
    """Cut a run of digits into consecutive fields of the given widths."""
    out, pos = [], 0
    for width in widths:
        out.append(int(text[pos : pos + width]))
        pos += width
    return out


# --- Xiaomi MIUI / HyperOS --------------------------------------------------------------------------
# `<localized prefix>@<name>(<number>)[_<name2>(<number2>)…]_yyyyMMddHHmmss`; MIUI writes '+' as
# '00', ',' (pause) as 'p' and '*' as 's' (RecordingNameUtils).
_MIUI = re.compile(r"(?P<prefix>[^@]+)@(?P<parties>.*\))_(?P<ts>\d{14})", re.ASCII)
_MIUI_PARTY = re.compile(r"(?P<name>.*?)\((?P<number>[0-9ps#+ ]*)\)", re.ASCII)


def _miui_number(text: str) -> str | None:
    dialled = text.replace(" ", "").split("p", 1)[0].replace("s", "")
    if dialled.startswith("00"):
        dialled = "+" + dialled[2:]
    return _dial_digits(dialled)


def _read_miui(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    party = _MIUI_PARTY.match(m["parties"])
    at = _local(tz, *_ints(m["ts"], 4, 2, 2, 2, 2, 2))
    if party is None or at is None:
        return None
    number = _miui_number(party["number"])
    name = party["name"].strip()
    # Without a contact MIUI writes the formatted number as the name: that is no contact.
    contact = None if not name or _NUMBERISH.fullmatch(name) else name
    return NameFacts("miui", number, contact, at, True, None)


# --- Huawei / Honor: `[<contact>@]<number>_yyyyMMddHHmmss` ---------------------------------------------
_HUAWEI = re.compile(r"(?:(?P<name>.+)@)?(?P<number>\+?[0-9 ]*[0-9])_(?P<ts>\d{14})", re.ASCII)


def _read_huawei(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    at = _local(tz, *_ints(m["ts"], 4, 2, 2, 2, 2, 2))
    if at is None:
        return None
    contact = m["name"].strip() if m["name"] and m["name"].strip() else None
    return NameFacts("huawei", _dial_digits(m["number"]), contact, at, True, None)


# --- vivo: `<number-or-name> yyyy-MM-dd HH-mm-ss` -----------------------------------------------------
_VIVO = re.compile(r"(?P<who>.+?) (?P<ts>\d{4}-\d{2}-\d{2} \d{2}-\d{2}-\d{2})", re.ASCII)


def _read_vivo(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    at = _local(tz, *_ints(re.sub(r"\D", "", m["ts"]), 4, 2, 2, 2, 2, 2))
    if at is None:
        return None
    number, contact = _number_or_contact(m["who"])
    return NameFacts("vivo", number, contact, at, True, None)


# --- OPPO / realme / OnePlus ColorOS: `<name-or-number>-yyMMddHHmm` (minutes only) -------------------
_COLOROS = re.compile(r"(?P<who>.+)-(?P<ts>\d{10})", re.ASCII)


def _read_coloros(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    year, month, day, hour, minute = _ints(m["ts"], 2, 2, 2, 2, 2)
    at = _local(tz, 2000 + year, month, day, hour, minute)
    if at is None:
        return None
    number, contact = _number_or_contact(m["who"])
    return NameFacts("coloros", number, contact, at, True, None)


# --- Samsung One UI: `Call recording <who>_yyMMdd_HHmmss`; the Chinese-locale prefix is a guess ------
_SAMSUNG = re.compile(r"(?:Call recording|通话录音)\s+(?P<who>.+?)_(?P<date>\d{6})_(?P<time>\d{6})", re.ASCII)


def _read_samsung(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    year, month, day = _ints(m["date"], 2, 2, 2)
    at = _local(tz, 2000 + year, month, day, *_ints(m["time"], 2, 2, 2))
    if at is None:
        return None
    number, contact = _number_or_contact(m["who"])
    return NameFacts("samsung", number, contact, at, True, None)


# --- LineageOS dialer: `<number>_yyMMdd_HHmmssSSS` -----------------------------------------------------
_LINEAGE = re.compile(r"(?P<number>\+?\d+)_(?P<date>\d{6})_(?P<time>\d{9})", re.ASCII)


def _read_lineage(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    year, month, day = _ints(m["date"], 2, 2, 2)
    hour, minute, second, milli = _ints(m["time"], 2, 2, 2, 3)
    at = _local(tz, 2000 + year, month, day, hour, minute, second, milli * 1000)
    if at is None:
        return None
    return NameFacts("lineageos", _dial_digits(m["number"]), None, at, True, None)


# --- GrapheneOS / crDroid: `CallRecord_yyyyMMdd-HHmmss_<phone>` ----------------------------------------
_GRAPHENE = re.compile(r"CallRecord_(?P<date>\d{8})-(?P<time>\d{6})_(?P<who>.+)", re.ASCII)


def _read_graphene(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    at = _local(tz, *_ints(m["date"], 4, 2, 2), *_ints(m["time"], 2, 2, 2))
    if at is None:
        return None
    number, contact = _number_or_contact(m["who"])
    return NameFacts("grapheneos", number, contact, at, True, None)


# --- BCR: `yyyyMMdd_HHmmss.ffffff±hhmm[_direction][_simN][_number][_name]` -----------------------------
_BCR = re.compile(
    r"(?P<date>\d{8})_(?P<time>\d{6})(?:\.(?P<frac>\d{1,9}))?(?P<sign>[+-])(?P<oh>\d{2})(?P<om>\d{2})"
    r"(?:_(?P<rest>.+))?",
    re.ASCII,
)
_BCR_SKIP = re.compile(r"in|out|conference|sim\d+", re.IGNORECASE | re.ASCII)


def _read_bcr(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    hours, minutes = int(m["oh"]), int(m["om"])
    if hours > 23 or minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if m["sign"] == "-" else 1)
    micro = int((m["frac"] or "0").ljust(6, "0")[:6])
    year, month, day, hour, minute, second = _ints(m["date"] + m["time"], 4, 2, 2, 2, 2, 2)
    at = _local(timezone(offset), year, month, day, hour, minute, second, micro)
    if at is None:
        return None
    number: str | None = None
    names: list[str] = []
    for token in (m["rest"] or "").split("_"):
        if not token or (_BCR_SKIP.fullmatch(token) and number is None and not names):
            continue
        if number is None and not names and _NUMBERISH.fullmatch(token):
            number = _dial_digits(token)
        else:
            names.append(token)
    contact = " ".join(names) or None
    return NameFacts("bcr", number, contact, at, False, None)


# --- Screenshots ---------------------------------------------------------------------------------------
# MIUI/HyperOS: `Screenshot_yyyy-MM-dd-HH-mm-ss-SSS_<package>`.
_SHOT_MIUI = re.compile(
    r"Screenshot_(?P<ts>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})-(?P<ms>\d{3})(?:_(?P<app>[\w.]+))?",
    re.ASCII,
)
# AOSP/Pixel: `Screenshot_yyyyMMdd-HHmmss[-display-N]`; Samsung/Huawei: `Screenshot_yyyyMMdd_HHmmss_<app>`.
_SHOT_AOSP = re.compile(
    r"Screenshot_(?P<date>\d{8})-(?P<time>\d{6})(?:-display-\d+)?(?:_(?P<app>[\w.]+))?", re.ASCII
)
_SHOT_APP = re.compile(r"Screenshot_(?P<date>\d{8})_(?P<time>\d{6})(?:_(?P<app>[\w.]+))?", re.ASCII)


def _read_shot_miui(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    year, month, day, hour, minute, second = _ints(re.sub(r"\D", "", m["ts"]), 4, 2, 2, 2, 2, 2)
    at = _local(tz, year, month, day, hour, minute, second, int(m["ms"]) * 1000)
    if at is None:
        return None
    return NameFacts("miui_screenshot", None, None, at, True, m["app"])


def _shot_reader(convention: str) -> Reader:
    def read(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
        at = _local(tz, *_ints(m["date"], 4, 2, 2), *_ints(m["time"], 2, 2, 2))
        if at is None:
            return None
        return NameFacts(convention, None, None, at, True, m["app"])

    return read


# --- WeChat saved images: `mmexport<epoch milliseconds>` -----------------------------------------------
_WECHAT = re.compile(r"mmexport(?P<ms>\d{13})(?:\(\d+\))?", re.ASCII)


def _read_wechat(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(m["ms"]))
    return NameFacts("wechat", None, None, at, False, "com.tencent.mm")


# Most specific first: literal prefixes, then shapes that need an '@' or a fixed timestamp layout,
# and ColorOS (anything ending in -<10 digits>) last.
CONVENTIONS: tuple[tuple[re.Pattern[str], Reader], ...] = (
    (_SHOT_MIUI, _read_shot_miui),
    (_SHOT_AOSP, _shot_reader("aosp_screenshot")),
    (_SHOT_APP, _shot_reader("screenshot")),
    (_WECHAT, _read_wechat),
    (_GRAPHENE, _read_graphene),
    (_SAMSUNG, _read_samsung),
    (_MIUI, _read_miui),
    (_BCR, _read_bcr),
    (_LINEAGE, _read_lineage),
    (_HUAWEI, _read_huawei),
    (_VIVO, _read_vivo),
    (_COLOROS, _read_coloros),
)


def facts_from_filename(name: str, tz: ZoneInfo) -> NameFacts | None:
    """Read the number, contact and time a phone wrote into a file's name; None when no convention fits.

    `name` is a basename; anything up to the last slash is ignored. Never raises.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = _EXTENSION.sub("", base)
    for pattern, read in CONVENTIONS:
        m = pattern.fullmatch(stem)
        if m is None:
            continue
        facts = read(m, tz)
        if facts is not None:
            return facts
    return None
