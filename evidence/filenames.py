"""Facts that phones write into the names of call recordings and screenshots (formats.md §3.2, §4.1).

Each convention is a pattern on the name without its extension plus a reader that turns the
match into NameFacts. Conventions are tried from the most to the least specific; a match whose
date is impossible (month 13) does not count, and the next convention is tried.

Local wall-clock times (every recorder except BCR) are read in the locker's timezone and
flagged ``tz_assumed``; BCR names carry their UTC offset and WeChat's ``mmexport`` an epoch.
"""

from __future__ import annotations

import hashlib
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
# '00', ',' (pause) as 'p' and '*' as 's' (RecordingNameUtils). Some MIUI builds leave the prefix
# out: `13800138000(13800138000)_yyyyMMddHHmmss` (observed on Xiaomi; formats.md §3.2).
_MIUI = re.compile(r"(?:(?P<prefix>[^@]+)@)?(?P<parties>.*\))_(?P<ts>\d{14})", re.ASCII)
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
# Older EMUI and the OPPO/vivo recorders write the same digits with a space instead of the underscore
# (`13800138000 20260811132000`), and some EMUI builds put the contact before the number with a space
# (`张三 13800138000_20260811132000`): observed on Huawei/Honor and OPPO; formats.md §3.2.
_HUAWEI = re.compile(r"(?:(?P<name>.+)@)?(?P<number>\+?[0-9 ]*[0-9])[ _](?P<ts>\d{14})", re.ASCII)
# The contact-before-number form: the contact must hold something other than digits, or a spaced
# number ("134 1096 1780_…") would be cut into a "contact" and a shorter number.
_HUAWEI_SPACED = re.compile(
    r"(?P<name>[^@]*?[^\d\s+@()][^@]*?)\s+(?P<number>\+?[0-9][0-9 ]*[0-9])[ _](?P<ts>\d{14})", re.ASCII
)


def _read_huawei(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    at = _local(tz, *_ints(m["ts"], 4, 2, 2, 2, 2, 2))
    if at is None:
        return None
    contact = m["name"].strip() if m["name"] and m["name"].strip() else None
    return NameFacts("huawei", _dial_digits(m["number"]), contact, at, True, None)


# --- vivo: `<number-or-name> yyyy-MM-dd HH-mm-ss` -----------------------------------------------------
# OPPO and later vivo builds put a localized "call recording" word first (`通话录音 13800138000
# 2026-08-11 13-20-00`, observed on OPPO/vivo): it is not part of who was called.
_VIVO = re.compile(
    r"(?:(?:通话录音|录音|Call recording)\s+)?(?P<who>.+?) (?P<ts>\d{4}-\d{2}-\d{2} \d{2}-\d{2}-\d{2})",
    re.ASCII,
)


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


# --- Cube ACR: `yyyy-MM-dd HH-mm-ss (<app>) <who>[ (<number>)][ <arrow>]` ------------------------------
# `<app>` is "phone" for carrier calls, else the VoIP app ("whatsapp", "telegram"…); `<who>` is the
# contact, "Unknown contact" or the number; ↗ marks an outgoing and ↙ an incoming call. Sources:
# public Cube ACR filename parsers ("2025-10-03 16-54-44 (phone) Contact Name (0486300265) ↙.m4a",
# "2026-04-06 15-23-37 (phone) Paul Bichler (+1 701-226-5861) ↗.amr"), found with the code search.
_CUBE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2}) (?P<time>\d{2}-\d{2}-\d{2})"
    r" \((?P<app>[A-Za-z][\w ]{0,20})\)(?: (?P<rest>.*))?",
    re.ASCII,
)
_CUBE_TAIL = re.compile(r"(?P<name>.*?)\s*\((?P<number>[^()]*)\)", re.ASCII)
_ARROWS = "↗↙↘↖→←⇗⇙"
_NO_CONTACT = frozenset({"unknown contact", "unknown", "未知联系人", "未知"})


def _read_cube(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    at = _local(tz, *_ints(m["date"].replace("-", "") + m["time"].replace("-", ""), 4, 2, 2, 2, 2, 2))
    if at is None:
        return None
    rest = (m["rest"] or "").strip().rstrip(_ARROWS).strip()
    tail = _CUBE_TAIL.fullmatch(rest)
    if tail is not None and _NUMBERISH.fullmatch(tail["number"].strip()):
        number, name = _dial_digits(tail["number"]), tail["name"].strip()
        contact = None if not name or _NUMBERISH.fullmatch(name) else name
    else:
        number, contact = _number_or_contact(rest)
    if contact is not None and contact.casefold() in _NO_CONTACT:
        contact = None
    app = m["app"].strip().lower()
    return NameFacts("cube_acr", number, contact, at, True, None if app == "phone" else app)


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
# The app after the time is a package (`com.tencent.mm`), or on Samsung the app's label, which may be
# Chinese (`微信`): anything without spaces or brackets (copy suffixes are cut before matching).
_APP = r"(?:_(?P<app>[^\s()]+))?"
# MIUI/HyperOS: `Screenshot_yyyy-MM-dd-HH-mm-ss-SSS_<package>` (SSS milliseconds; demo corpus).
# OPPO/realme/OnePlus ColorOS: `Screenshot_yyyy-MM-dd-HH-mm-ss-NN_<md5 of the package>`, e.g.
# `Screenshot_2023-07-31-10-35-49-14_e39d2c7de19156b0683cd93e8735f348.jpg` (observed in many public
# repositories; the hash is md5("com.tencent.mm")). NN is not documented: the time is read to the second.
# Without a fraction (older MIUI, Flyme): `Screenshot_yyyy-MM-dd-HH-mm-ss[_<package>]`.
_SHOT_DASHED = re.compile(r"Screenshot_(?P<ts>\d{4}(?:-\d{2}){5})(?:-(?P<frac>\d{2,3}))?" + _APP, re.ASCII)
# AOSP/Pixel/Samsung: `Screenshot_yyyyMMdd-HHmmss[-display-N][_<app>]`; vivo/Huawei/Honor EMUI/Samsung:
# `Screenshot_yyyyMMdd_HHmmss[_<package>]` (e.g. `Screenshot_20230308_162904_com.tencent.mobileqq.jpg`,
# observed in public repositories).
_SHOT_AOSP = re.compile(r"Screenshot_(?P<date>\d{8})-(?P<time>\d{6})(?:-display-\d+)?" + _APP, re.ASCII)
_SHOT_APP = re.compile(r"Screenshot_(?P<date>\d{8})_(?P<time>\d{6})" + _APP, re.ASCII)

# ColorOS writes md5(package) instead of the package: the packages that matter here, named back.
_KNOWN_PACKAGES = (
    "com.tencent.mm",
    "com.tencent.mobileqq",
    "com.tencent.tim",
    "com.eg.android.AlipayGphone",
    "com.android.mms",
    "com.android.messaging",
    "com.google.android.apps.messaging",
    "com.android.contacts",
    "com.android.dialer",
    "com.android.incallui",
    "com.ss.android.ugc.aweme",
    "com.sina.weibo",
)
_PACKAGE_OF_HASH = {hashlib.md5(p.encode()).hexdigest(): p for p in _KNOWN_PACKAGES}


def _read_shot_dashed(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    year, month, day, hour, minute, second = _ints(m["ts"].replace("-", ""), 4, 2, 2, 2, 2, 2)
    frac, app = m["frac"], m["app"]
    if frac is not None and len(frac) == 3:
        at = _local(tz, year, month, day, hour, minute, second, int(frac) * 1000)
        convention = "miui_screenshot"
    else:
        at = _local(tz, year, month, day, hour, minute, second)
        convention = "coloros_screenshot" if frac is not None else "screenshot"
        if app is not None:
            app = _PACKAGE_OF_HASH.get(app.lower(), app)
    if at is None:
        return None
    return NameFacts(convention, None, None, at, True, app)


def _shot_reader(convention: str) -> Reader:
    def read(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
        at = _local(tz, *_ints(m["date"], 4, 2, 2), *_ints(m["time"], 2, 2, 2))
        if at is None:
            return None
        return NameFacts(convention, None, None, at, True, m["app"])

    return read


# --- WeChat and QQ ----------------------------------------------------------------------------------------
# Epoch milliseconds (UTC instants, tz not assumed): images saved from a chat on Android
# `mmexport<ms>` and `mmexport<32 hex>_<ms>`, the WeChat camera `wx_camera_<ms>` (both listed in
# github.com/YelloooBlue/WechatExif README.md). The time is when WeChat wrote the file.
_WECHAT = re.compile(r"mmexport(?:[0-9a-f]{32}_)?(?P<ms>\d{13})(?:\(\d+\))?", re.ASCII)
_WECHAT_CAMERA = re.compile(r"wx_camera_(?P<ms>\d{13})", re.ASCII)
# Wall-clock local time, by the desktop clients: WeChat PC "save as" `微信图片_yyyyMMddHHmmss[_n[_m]]`
# (e.g. `微信图片_20260929171551_484.dat`, `微信图片_20260512152744_63_4.png`), WeChat 4
# `微信图片_yyyy-MM-dd_HHmmss_NNN` (e.g. `微信图片_2025-08-27_111006_038.jpg`; NNN undocumented, the
# time is read to the second), WeChat PC screenshots `微信截图_yyyyMMddHHmmss`, QQ/TIM screenshots and
# saved images `QQ截图yyyyMMddHHmmss`, `QQ图片yyyyMMddHHmmss`: all observed in public repositories
# (file names in READMEs and code found with the code search).
_WECHAT_IMAGE = re.compile(r"微信图片_(?P<ts>\d{14})(?:_\d{1,6}){0,2}", re.ASCII)
_WECHAT4_IMAGE = re.compile(
    r"微信图片_(?P<date>\d{4}-\d{2}-\d{2})_(?P<time>\d{6})(?:_\d{1,6}){0,2}", re.ASCII
)
_WECHAT_SHOT = re.compile(r"微信截图_(?P<ts>\d{14})(?:_\d{1,6})?", re.ASCII)
_QQ = re.compile(r"(?P<client>QQ|TIM)(?P<kind>截图|图片)(?P<ts>\d{14})(?:_\d{1,6})?", re.ASCII)


def _epoch_reader(convention: str) -> Reader:
    def read(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
        at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(m["ms"]))
        return NameFacts(convention, None, None, at, False, "com.tencent.mm")

    return read


def _stamp_reader(convention: str, app: str) -> Reader:
    """A reader for `<prefix><yyyyMMddHHmmss>` or `<prefix><yyyy-MM-dd>_<HHmmss>` (local time)."""

    def read(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
        groups = m.groupdict()
        digits = groups["ts"] if "ts" in groups else m["date"].replace("-", "") + m["time"]
        at = _local(tz, *_ints(digits, 4, 2, 2, 2, 2, 2))
        if at is None:
            return None
        return NameFacts(convention, None, None, at, True, app)

    return read


def _read_qq(m: re.Match[str], tz: ZoneInfo) -> NameFacts | None:
    at = _local(tz, *_ints(m["ts"], 4, 2, 2, 2, 2, 2))
    if at is None:
        return None
    convention = "qq_screenshot" if m["kind"] == "截图" else "qq_image"
    return NameFacts(
        convention,
        None,
        None,
        at,
        True,
        "com.tencent.tim" if m["client"] == "TIM" else "com.tencent.mobileqq",
    )


# Most specific first: literal prefixes, then shapes that need an '@' or a fixed timestamp layout,
# and ColorOS (anything ending in -<10 digits>) last.
CONVENTIONS: tuple[tuple[re.Pattern[str], Reader], ...] = (
    (_SHOT_DASHED, _read_shot_dashed),
    (_SHOT_AOSP, _shot_reader("aosp_screenshot")),
    (_SHOT_APP, _shot_reader("screenshot")),
    (_WECHAT, _epoch_reader("wechat")),
    (_WECHAT_CAMERA, _epoch_reader("wechat_camera")),
    (_WECHAT_IMAGE, _stamp_reader("wechat_image", "com.tencent.mm")),
    (_WECHAT4_IMAGE, _stamp_reader("wechat_image", "com.tencent.mm")),
    (_WECHAT_SHOT, _stamp_reader("wechat_screenshot", "com.tencent.mm")),
    (_QQ, _read_qq),
    (_GRAPHENE, _read_graphene),
    (_SAMSUNG, _read_samsung),
    (_CUBE, _read_cube),
    (_MIUI, _read_miui),
    (_BCR, _read_bcr),
    (_LINEAGE, _read_lineage),
    (_HUAWEI, _read_huawei),
    (_HUAWEI_SPACED, _read_huawei),
    (_VIVO, _read_vivo),
    (_COLOROS, _read_coloros),
)


# Full-width forms Chinese input methods type into names (Windows "（1）" copies, ２０２６…): read as ASCII.
# Only digits, brackets and the separators of the conventions: other full-width text (a contact's
# name) is kept as written.
_FULL_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + d): str(d) for d in range(10)},
        "（": "(",
        "）": ")",
        "＿": "_",
        "－": "-",
        "＠": "@",
        "＋": "+",
        "．": ".",
        "\u3000": " ",
    }
)
# Copies made by file managers and desktops, after the name and before the extension, possibly
# several: Windows/Android " (1)" and "(2)", Chinese Windows " - 副本" (and " - 副本 (2)"), MIUI/ColorOS
# "副本", English Windows " - Copy", macOS " copy" / " copy 2", "_copy". Counters have at most two
# digits so that a number in brackets ("(10086)", a Cube ACR name) is never taken for one.
_COPY_SUFFIX = re.compile(
    r"(?:\s*(?:[-_]\s*)?(?:副本|[Cc]opy|COPY)(?:\s*\(\d{1,2}\)|\s+\d{1,2})?|\s*\(\d{1,2}\))+\Z",
    re.ASCII,
)
# Earliest plausible capture year (no phone wrote these names before), and how far after "now" a
# capture may be dated (time zones and a phone clock a little ahead): later is a wrong clock or a
# crafted name, and no time is better than an invented one.
_EARLIEST_YEAR = 2000
_FUTURE_MARGIN = timedelta(days=1)


def _readable(base: str) -> str:
    """The name with lone surrogates resolved.

    A zip made on Chinese Windows stores names in GBK; extracted on Linux, Python shows each byte
    that is not UTF-8 as a lone surrogate ('\\udcce'). The bytes are rebuilt (as os.fsencode does on
    a UTF-8 system) and read as GB18030, a superset of GBK; failing that the surrogates are dropped.
    """
    if not any("\ud800" <= ch <= "\udfff" for ch in base):
        return base
    try:
        return base.encode("utf-8", "surrogateescape").decode("gb18030")
    except UnicodeError:
        return "".join(ch for ch in base if not "\ud800" <= ch <= "\udfff")


def _plausible(facts: NameFacts, now: datetime) -> bool:
    at = facts.captured_at
    return at is None or (at.year >= _EARLIEST_YEAR and at <= now + _FUTURE_MARGIN)


def facts_from_filename(name: str, tz: ZoneInfo) -> NameFacts | None:
    """Read the number, contact and time a phone wrote into a file's name; None when no convention fits.

    `name` is a basename; anything up to the last slash is ignored. Full-width digits and brackets
    are read as ASCII and copy suffixes ("(1)", " - 副本") are ignored. A time before 2000 or in the
    future (beyond a day) does not count. Never raises.
    """
    base = _readable(name.replace("\\", "/").rsplit("/", 1)[-1]).translate(_FULL_WIDTH)
    stem = _EXTENSION.sub("", base)
    plain = _COPY_SUFFIX.sub("", stem) if _COPY_SUFFIX.search(stem) else stem
    now = datetime.now(UTC)
    # The name without its copy suffix first, then as it is (in case the "suffix" was part of it).
    for candidate in (plain, stem) if plain != stem else (stem,):
        for pattern, read in CONVENTIONS:
            m = pattern.fullmatch(candidate)
            if m is None:
                continue
            facts = read(m, tz)
            if facts is not None and _plausible(facts, now):
                return facts
    return None
