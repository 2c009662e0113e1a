"""Tests for evidence.filenames: every example name from formats.md §3.2/§4.1, the demo files, round-trips."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.filenames import NameFacts, facts_from_filename

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "demo"


def sh(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=SHANGHAI)


# (name, convention, number, contact, captured_at, tz_assumed, app): the example names of formats.md.
EXAMPLES = [
    (
        "/storage/emulated/0/MIUI/sound_recorder/call_rec/"
        "通话录音@176 8831 4515(17688314515)_20180814153840.mp3",
        "miui",
        "17688314515",
        None,
        sh(2018, 8, 14, 15, 38, 40),
        True,
        None,
    ),
    (
        "通话录音@博彦面试1(18757143260)_20171222200305.mp3",
        "miui",
        "18757143260",
        "博彦面试1",
        sh(2017, 12, 22, 20, 3, 5),
        True,
        None,
    ),
    (
        "通话录音@10086(10086)_20191104110052.mp3",
        "miui",
        "10086",
        None,
        sh(2019, 11, 4, 11, 0, 52),
        True,
        None,
    ),
    (
        "Вызов@007846201-89(0078462018955)_20230215113029.mp3",
        "miui",
        "+78462018955",
        None,
        sh(2023, 2, 15, 11, 30, 29),
        True,
        None,
    ),
    (
        "联系人@13800138000_20230828123000.mp3",
        "huawei",
        "13800138000",
        "联系人",
        sh(2023, 8, 28, 12, 30),
        True,
        None,
    ),
    (
        "134 1096 1780_20220425103455.m4a",
        "huawei",
        "13410961780",
        None,
        sh(2022, 4, 25, 10, 34, 55),
        True,
        None,
    ),
    (
        "/storage/emulated/0/Record/Call/19145520861 2019-05-16 10-06-40.amr",
        "vivo",
        "19145520861",
        None,
        sh(2019, 5, 16, 10, 6, 40),
        True,
        None,
    ),
    (
        "/storage/emulated/0/Record/Call/16621092548 2022-07-12 16-40-50.m4a",
        "vivo",
        "16621092548",
        None,
        sh(2022, 7, 12, 16, 40, 50),
        True,
        None,
    ),
    (
        "/storage/emulated/0/Music/Recordings/Call Recordings/Papa-2512232146.mp3",
        "coloros",
        None,
        "Papa",
        sh(2025, 12, 23, 21, 46),
        True,
        None,
    ),
    (
        "Call recording +15551234567_200605_114902.m4a",
        "samsung",
        "+15551234567",
        None,
        sh(2020, 6, 5, 11, 49, 2),
        True,
        None,
    ),
    (
        "Call recording _6900_190317_190817.m4a",
        "samsung",
        "6900",
        None,
        sh(2019, 3, 17, 19, 8, 17),
        True,
        None,
    ),
    (
        "+48123456789_240506_225406577.amr",
        "lineageos",
        "+48123456789",
        None,
        sh(2024, 5, 6, 22, 54, 6, 577000),
        True,
        None,
    ),
    (
        "20220522_122802.881926-0400_+12345678900.flac",
        "bcr",
        "+12345678900",
        None,
        datetime(2022, 5, 22, 12, 28, 2, 881926, tzinfo=timezone(timedelta(hours=-4))),
        False,
        None,
    ),
    (
        "Screenshot_2025-10-28-19-07-16-918_com.tencent.mm.jpg",
        "miui_screenshot",
        None,
        None,
        sh(2025, 10, 28, 19, 7, 16, 918000),
        True,
        "com.tencent.mm",
    ),
    (
        "Screenshot_20201114_170057_com.tencent.mm.jpg",
        "screenshot",
        None,
        None,
        sh(2020, 11, 14, 17, 0, 57),
        True,
        "com.tencent.mm",
    ),
    (
        "mmexport1760603131640.jpg",
        "wechat",
        None,
        None,
        datetime(2025, 10, 16, 8, 25, 31, 640000, tzinfo=UTC),
        False,
        "com.tencent.mm",
    ),
    # Shapes formats.md gives as templates, filled in.
    (
        "CallRecord_20240506-225406_+48123456789.m4a",
        "grapheneos",
        "+48123456789",
        None,
        sh(2024, 5, 6, 22, 54, 6),
        True,
        None,
    ),
    ("Screenshot_20240506-225406.png", "aosp_screenshot", None, None, sh(2024, 5, 6, 22, 54, 6), True, None),
    (
        "Screenshot_20240506-225406-display-1.png",
        "aosp_screenshot",
        None,
        None,
        sh(2024, 5, 6, 22, 54, 6),
        True,
        None,
    ),
    (
        "通话录音 13800138000_240506_120000.m4a",
        "samsung",
        "13800138000",
        None,
        sh(2024, 5, 6, 12),
        True,
        None,
    ),
    (
        "EMUI张三@138 1234 5678_20230828123000.amr",
        "huawei",
        "13812345678",
        "EMUI张三",
        sh(2023, 8, 28, 12, 30),
        True,
        None,
    ),
    ("13800138000-2512232146.amr", "coloros", "13800138000", None, sh(2025, 12, 23, 21, 46), True, None),
    ("王经理 2019-05-16 10-06-40.amr", "vivo", None, "王经理", sh(2019, 5, 16, 10, 6, 40), True, None),
    (
        "20230414_215701.088-0400_out_sim1_+11234567890_John_Doe.oga",
        "bcr",
        "+11234567890",
        "John Doe",
        datetime(2023, 4, 14, 21, 57, 1, 88000, tzinfo=timezone(timedelta(hours=-4))),
        False,
        None,
    ),
    (
        "通话录音@A(13800138000)_B(13900139000)_20260811091000.mp3",
        "miui",
        "13800138000",
        "A",
        sh(2026, 8, 11, 9, 10),
        True,
        None,
    ),
    (
        "通话录音@转接(10086p1)_20191104110052.mp3",
        "miui",
        "10086",
        "转接",
        sh(2019, 11, 4, 11, 0, 52),
        True,
        None,
    ),
]


@pytest.mark.parametrize(("name", "convention", "number", "contact", "at", "assumed", "app"), EXAMPLES)
def test_reference_examples(
    name: str,
    convention: str,
    number: str | None,
    contact: str | None,
    at: datetime,
    assumed: bool,
    app: str | None,
) -> None:
    got = facts_from_filename(name, SHANGHAI)
    assert got == NameFacts(convention, number, contact, at, assumed, app)
    assert got is not None and got.captured_at is not None
    assert got.captured_at.utcoffset() == at.utcoffset()


def test_demo_recordings() -> None:
    names = {p.name for p in DEMO.iterdir()}
    mp3 = "通话录音@171 5555 0001(17155550001)_20260811091000.mp3"
    m4a = "075512345678_20260814090000.m4a"
    shot = "Screenshot_2026-08-12-22-48-30-517_com.tencent.mm.jpg"
    assert {mp3, m4a, shot} <= names
    assert facts_from_filename(mp3, SHANGHAI) == NameFacts(
        "miui", "17155550001", None, sh(2026, 8, 11, 9, 10), True, None
    )
    assert facts_from_filename(m4a, SHANGHAI) == NameFacts(
        "huawei", "075512345678", None, sh(2026, 8, 14, 9), True, None
    )
    assert facts_from_filename(shot, SHANGHAI) == NameFacts(
        "miui_screenshot", None, None, sh(2026, 8, 12, 22, 48, 30, 517000), True, "com.tencent.mm"
    )


def test_local_time_is_read_in_the_given_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    got = facts_from_filename("13800138000_20230828123000.mp3", berlin)
    assert got is not None and got.captured_at is not None
    assert got.captured_at.utcoffset() == timedelta(hours=2)
    assert got.captured_at.astimezone(UTC) == datetime(2023, 8, 28, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "name",
    [
        "random.txt",
        "sms-20260817.xml",
        "IMG_20240506_225406.jpg",
        "Screenshot_20241306-225406.png",  # month 13
        "Screenshot_2024-02-30-10-00-00-000_com.tencent.mm.jpg",  # 30 February
        "13800138000_20231340123000.mp3",
        "通话录音@x(13800138000)_20239999999999.mp3",
        "Call recording +15551234567_201305_114902.m4a",
        "+48123456789_240506_256406577.amr",
        "20220522_122802.881926-2500_+12345678900.flac",  # offset hour 25
    ],
)
def test_names_without_a_convention_or_with_impossible_dates(name: str) -> None:
    assert facts_from_filename(name, SHANGHAI) is None


def test_bcr_without_number_still_gives_time() -> None:
    got = facts_from_filename("20220522_122802.881926-0400.flac", SHANGHAI)
    assert got is not None and (got.number, got.contact, got.tz_assumed) == (None, None, False)


@given(st.text())
def test_arbitrary_names_never_raise(name: str) -> None:
    got = facts_from_filename(name, SHANGHAI)
    assert got is None or got.captured_at is None or got.captured_at.tzinfo is not None


@given(st.from_regex(r"\A(Screenshot_|CallRecord_|mmexport|通话录音@|Call recording )?[\d_\-. +()@]{0,40}\Z"))
def test_near_miss_names_never_raise(name: str) -> None:
    facts_from_filename(name, SHANGHAI)


# Round-trips: any (number or contact, time) written per a convention reads back as written.
numbers = st.one_of(
    st.from_regex(r"\A\+?[1-9][0-9]{4,14}\Z"),
    st.from_regex(r"\A0[1-9][0-9]{9,10}\Z"),
)
contacts = st.text(alphabet=st.sampled_from(list("张三李四王五催收经理abcXYZ")), min_size=1, max_size=10)
# Names dated after "now" (beyond a day) are refused: generated times stay in the past.
LATEST = datetime.now() - timedelta(days=2)
seconds = st.datetimes(min_value=datetime(2000, 1, 1), max_value=LATEST).map(
    lambda d: d.replace(microsecond=0)
)
millis = st.datetimes(min_value=datetime(2000, 1, 1), max_value=LATEST).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
)


def miui_number(n: str) -> str:
    return "00" + n[1:] if n.startswith("+") else n


Writer = Callable[[str | None, str | None, datetime], str]

RECORDERS: dict[str, tuple[Writer, bool]] = {
    # convention: (writer(number, contact, local time), whether the convention can carry a bare contact)
    "miui": (lambda n, c, d: f"通话录音@{c or n}({miui_number(n or '')})_{d:%Y%m%d%H%M%S}.mp3", False),
    "huawei": (lambda n, c, d: f"{c + '@' if c else ''}{n}_{d:%Y%m%d%H%M%S}.m4a", False),
    "vivo": (lambda n, c, d: f"{n or c} {d:%Y-%m-%d %H-%M-%S}.amr", True),
    "samsung": (lambda n, c, d: f"Call recording {n or c}_{d:%y%m%d}_{d:%H%M%S}.m4a", True),
    "grapheneos": (lambda n, c, d: f"CallRecord_{d:%Y%m%d}-{d:%H%M%S}_{n or c}.m4a", True),
}


@given(st.sampled_from(sorted(RECORDERS)), numbers, st.one_of(st.none(), contacts), seconds, st.booleans())
def test_recorder_names_round_trip(
    convention: str, number: str, contact: str | None, at: datetime, bare_contact: bool
) -> None:
    write, carries_bare_contact = RECORDERS[convention]
    expected_number: str | None
    expected_contact: str | None
    if bare_contact and carries_bare_contact and contact:
        expected_number, expected_contact = None, contact
        name = write(None, contact, at)
    else:
        expected_number, expected_contact = number, (contact if not carries_bare_contact else None)
        name = write(number, expected_contact, at)
    got = facts_from_filename(name, SHANGHAI)
    assert got == NameFacts(
        convention, expected_number, expected_contact, at.replace(tzinfo=SHANGHAI), True, None
    )


@given(st.one_of(numbers, contacts), seconds)
def test_coloros_round_trip_at_minute_resolution(who: str, at: datetime) -> None:
    at = at.replace(second=0)
    got = facts_from_filename(f"{who}-{at:%y%m%d%H%M}.mp3", SHANGHAI)
    is_number = who.lstrip("+").isdigit()
    expected = NameFacts(
        "coloros",
        who if is_number else None,
        None if is_number else who,
        at.replace(tzinfo=SHANGHAI),
        True,
        None,
    )
    assert got == expected


@given(numbers, millis)
def test_lineageos_round_trip(number: str, at: datetime) -> None:
    name = f"{number}_{at:%y%m%d}_{at:%H%M%S}{at.microsecond // 1000:03d}.amr"
    assert facts_from_filename(name, SHANGHAI) == NameFacts(
        "lineageos", number, None, at.replace(tzinfo=SHANGHAI), True, None
    )


@given(
    numbers,
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=LATEST),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_bcr_round_trip_keeps_explicit_offset(number: str, at: datetime, offset_minutes: int) -> None:
    sign = "-" if offset_minutes < 0 else "+"
    hh, mm = divmod(abs(offset_minutes), 60)
    name = f"{at:%Y%m%d_%H%M%S}.{at.microsecond:06d}{sign}{hh:02d}{mm:02d}_{number}.flac"
    expected_at = at.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    got = facts_from_filename(name, SHANGHAI)
    assert got == NameFacts("bcr", number, None, expected_at, False, None)
    assert got.captured_at is not None and got.captured_at.utcoffset() == timedelta(minutes=offset_minutes)


packages = st.from_regex(r"\A[a-z][a-z0-9]{0,8}(\.[a-z][a-z0-9_]{0,8}){1,3}\Z")


@given(millis, packages)
def test_miui_screenshot_round_trip(at: datetime, app: str) -> None:
    name = f"Screenshot_{at:%Y-%m-%d-%H-%M-%S}-{at.microsecond // 1000:03d}_{app}.jpg"
    assert facts_from_filename(name, SHANGHAI) == NameFacts(
        "miui_screenshot", None, None, at.replace(tzinfo=SHANGHAI), True, app
    )


@given(seconds, st.one_of(st.none(), packages), st.booleans())
def test_other_screenshot_round_trips(at: datetime, app: str | None, aosp: bool) -> None:
    suffix = f"_{app}" if app else ""
    if aosp:
        name, convention = f"Screenshot_{at:%Y%m%d-%H%M%S}{suffix}.png", "aosp_screenshot"
    else:
        name, convention = f"Screenshot_{at:%Y%m%d_%H%M%S}{suffix}.jpg", "screenshot"
    assert facts_from_filename(name, SHANGHAI) == NameFacts(
        convention, None, None, at.replace(tzinfo=SHANGHAI), True, app
    )


@given(st.integers(min_value=10**12, max_value=int(LATEST.replace(tzinfo=UTC).timestamp() * 1000)))
def test_wechat_epoch_round_trip(epoch_ms: int) -> None:
    got = facts_from_filename(f"mmexport{epoch_ms}.jpg", SHANGHAI)
    assert got is not None and got.captured_at is not None and not got.tz_assumed
    assert round(got.captured_at.timestamp() * 1000) == epoch_ms


# --- Copies, full-width names, more phones and apps (issue: names that fell back to the copy time) ----


AT = sh(2026, 8, 11, 13, 20)
AT_UTC = datetime(2025, 8, 11, 5, 20, tzinfo=UTC)  # 1754889600000 ms


@pytest.mark.parametrize(
    "name",
    [
        "Screenshot_20260811-132000 (1).png",
        "Screenshot_20260811-132000(2).jpg",
        "Screenshot_20260811-132000 - 副本.png",
        "Screenshot_20260811-132000副本.png",
        "Screenshot_20260811-132000 - Copy.png",
        "Screenshot_20260811-132000_copy.png",
        "Screenshot_20260811-132000 copy 2.png",
        "Screenshot_20260811-132000 (1) - 副本 (2).png",
        "Screenshot_20260811-132000 - 副本 - 副本.png",
        "Screenshot_２０２６０８１１-１３２０００（1）.png",
        "Screenshot_２０２６０８１１-１３２０００.png",
    ],
)
def test_copies_and_full_width_names_keep_their_time(name: str) -> None:
    assert facts_from_filename(name, SHANGHAI) == NameFacts("aosp_screenshot", None, None, AT, True, None)


def test_copy_suffix_does_not_leak_into_the_app() -> None:
    for name in (
        "Screenshot_20260811_132000_com.tencent.mm (1).jpg",
        "Screenshot_20260811_132000_com.tencent.mm副本.jpg",
        "Screenshot_20260811_132000_com.tencent.mm_copy.jpg",
    ):
        assert facts_from_filename(name, SHANGHAI) == NameFacts(
            "screenshot", None, None, AT, True, "com.tencent.mm"
        ), name


# (name, convention, number, contact, captured_at, tz_assumed, app): one per convention added.
MORE_EXAMPLES = [
    # ColorOS (OPPO/realme/OnePlus): the package, or its md5 as ColorOS writes it.
    (
        "Screenshot_2026-08-11-13-20-00-12_com.tencent.mm.jpg",
        "coloros_screenshot",
        None,
        None,
        AT,
        True,
        "com.tencent.mm",
    ),
    (
        "Screenshot_2026-08-11-13-20-00-12_e39d2c7de19156b0683cd93e8735f348.jpg",
        "coloros_screenshot",
        None,
        None,
        AT,
        True,
        "com.tencent.mm",
    ),
    ("Screenshot_2026-08-11-13-20-00.png", "screenshot", None, None, AT, True, None),
    # vivo, Huawei/Honor EMUI, Samsung.
    ("Screenshot_20260811_132000.jpg", "screenshot", None, None, AT, True, None),
    ("Screenshot_20260811_132000_com.tencent.mm.jpg", "screenshot", None, None, AT, True, "com.tencent.mm"),
    ("Screenshot_20260811-132000_微信.jpg", "aosp_screenshot", None, None, AT, True, "微信"),
    # Xiaomi MIUI.
    (
        "Screenshot_2026-08-11-13-20-00-123_com.tencent.mm.jpg",
        "miui_screenshot",
        None,
        None,
        sh(2026, 8, 11, 13, 20, 0, 123000),
        True,
        "com.tencent.mm",
    ),
    # WeChat and QQ.
    ("微信图片_20260811132000.jpg", "wechat_image", None, None, AT, True, "com.tencent.mm"),
    ("微信图片_20260811132000_1.jpg", "wechat_image", None, None, AT, True, "com.tencent.mm"),
    ("微信图片_20260811132000_63_4.png", "wechat_image", None, None, AT, True, "com.tencent.mm"),
    ("微信图片_2026-08-11_132000_123.png", "wechat_image", None, None, AT, True, "com.tencent.mm"),
    ("微信截图_20260811132000.png", "wechat_screenshot", None, None, AT, True, "com.tencent.mm"),
    ("wx_camera_1754889600000.jpg", "wechat_camera", None, None, AT_UTC, False, "com.tencent.mm"),
    ("mmexport1754889600000.jpg", "wechat", None, None, AT_UTC, False, "com.tencent.mm"),
    (
        "mmexporteb7b2a858123a721c3c4bc5636c90756_1754889600000.jpeg",
        "wechat",
        None,
        None,
        AT_UTC,
        False,
        "com.tencent.mm",
    ),
    ("QQ截图20260811132000.png", "qq_screenshot", None, None, AT, True, "com.tencent.mobileqq"),
    ("QQ图片20260811132000.jpg", "qq_image", None, None, AT, True, "com.tencent.mobileqq"),
    ("TIM截图20260811132000.png", "qq_screenshot", None, None, AT, True, "com.tencent.tim"),
    (
        "Screenshot_20260811_132000_com.tencent.mobileqq.jpg",
        "screenshot",
        None,
        None,
        AT,
        True,
        "com.tencent.mobileqq",
    ),
    # Cube ACR.
    ("2026-08-11 13-20-00 (phone) 13800138000.amr", "cube_acr", "13800138000", None, AT, True, None),
    (
        "2026-08-11 13-20-00 (phone) 张三 (13800138000) ↗.m4a",
        "cube_acr",
        "13800138000",
        "张三",
        AT,
        True,
        None,
    ),
    (
        "2026-08-11 13-20-00 (phone) Unknown contact (+86 138 0013 8000) ↙.m4a",
        "cube_acr",
        "+8613800138000",
        None,
        AT,
        True,
        None,
    ),
    ("2026-08-11 13-20-00 (phone) 客服 (10086).m4a", "cube_acr", "10086", "客服", AT, True, None),
    ("2026-08-11 13-20-00 (whatsapp) 张三.m4a", "cube_acr", None, "张三", AT, True, "whatsapp"),
    # Call recorders: Huawei/Honor, Xiaomi, OPPO/vivo.
    ("13800138000 20260811132000.amr", "huawei", "13800138000", None, AT, True, None),
    ("张三 13800138000_20260811132000.m4a", "huawei", "13800138000", "张三", AT, True, None),
    ("13800138000(13800138000)_20260811132000.mp3", "miui", "13800138000", None, AT, True, None),
    ("通话录音@13800138000(13800138000)_20260811132000.mp3", "miui", "13800138000", None, AT, True, None),
    ("Call@13800138000(13800138000)_20260811132000.m4a", "miui", "13800138000", None, AT, True, None),
    ("13800138000_20260811132000.m4a", "huawei", "13800138000", None, AT, True, None),
    ("通话录音 13800138000 2026-08-11 13-20-00.m4a", "vivo", "13800138000", None, AT, True, None),
    ("通话录音 13800138000 2026-08-11 13-20-00 (1).m4a", "vivo", "13800138000", None, AT, True, None),
]


@pytest.mark.parametrize(("name", "convention", "number", "contact", "at", "assumed", "app"), MORE_EXAMPLES)
def test_more_conventions(
    name: str,
    convention: str,
    number: str | None,
    contact: str | None,
    at: datetime,
    assumed: bool,
    app: str | None,
) -> None:
    assert facts_from_filename(name, SHANGHAI) == NameFacts(convention, number, contact, at, assumed, app)


@pytest.mark.parametrize(
    "name",
    [
        "微信图片_20261311132000.jpg",  # month 13
        "QQ截图20260230132000.png",  # 30 February
        "Screenshot_19700101-000000.png",  # before any phone
        "Screenshot_1999-12-31-23-59-59-999_com.tencent.mm.jpg",
        "mmexport0000000000001.jpg",  # 1970
        "wx_camera_0000000000001.jpg",
        "2026-13-11 13-20-00 (phone) 13800138000.amr",
        "13800138000 20261311132000.amr",
    ],
)
def test_impossible_dates_give_no_time(name: str) -> None:
    assert facts_from_filename(name, SHANGHAI) is None


def test_far_future_dates_give_no_time() -> None:
    soon = datetime.now(SHANGHAI) + timedelta(days=30)
    assert facts_from_filename(f"Screenshot_{soon:%Y%m%d-%H%M%S}.png", SHANGHAI) is None
    assert facts_from_filename(f"wx_camera_{int(soon.timestamp() * 1000)}.jpg", SHANGHAI) is None
    assert facts_from_filename("Screenshot_20991231-000000.png", SHANGHAI) is None
    today = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(hours=1)
    got = facts_from_filename(f"Screenshot_{today:%Y%m%d-%H%M%S}.png", SHANGHAI)
    assert got is not None and got.captured_at == today


def test_gbk_names_from_a_linux_unzip() -> None:
    # "微信图片_…" written in GBK by Windows, extracted on Linux: not UTF-8, so Python shows lone surrogates.
    raw = "微信图片_20260811132000.jpg".encode("gbk")
    name = raw.decode("utf-8", "surrogateescape")
    assert any("\udc80" <= ch <= "\udcff" for ch in name)
    got = facts_from_filename(name, SHANGHAI)
    assert got == NameFacts("wechat_image", None, None, AT, True, "com.tencent.mm")
    contact = "张三 13800138000_20260811132000.m4a".encode("gbk").decode("utf-8", "surrogateescape")
    assert facts_from_filename(contact, SHANGHAI) == NameFacts(
        "huawei", "13800138000", "张三", AT, True, None
    )
    # Surrogates that are no bytes at all (not from surrogateescape) are dropped, not fatal.
    assert facts_from_filename("\ud800Screenshot_20260811-132000\udfff.png", SHANGHAI) is not None
    assert facts_from_filename("\udcff\ud800", SHANGHAI) is None


# Any code point, lone surrogates among them (st.characters leaves those out unless asked).
@given(st.text(st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from("_-()（）０９"))))
def test_names_with_any_code_point_never_raise(name: str) -> None:
    got = facts_from_filename(name, SHANGHAI)
    assert got is None or got.captured_at is None or got.captured_at.tzinfo is not None


# Every convention that carries a time: a writer from a local (naive) time to a name.
TIME_WRITERS: dict[str, Callable[[datetime], str]] = {
    "aosp_screenshot": lambda d: f"Screenshot_{d:%Y%m%d-%H%M%S}.png",
    "screenshot": lambda d: f"Screenshot_{d:%Y%m%d_%H%M%S}_com.tencent.mm.jpg",
    "miui_screenshot": lambda d: (
        f"Screenshot_{d:%Y-%m-%d-%H-%M-%S}-{d.microsecond // 1000:03d}_com.tencent.mm.jpg"
    ),
    "coloros_screenshot": lambda d: (
        f"Screenshot_{d:%Y-%m-%d-%H-%M-%S}-37_e39d2c7de19156b0683cd93e8735f348.jpg"
    ),
    "wechat_image": lambda d: f"微信图片_{d:%Y%m%d%H%M%S}_2.jpg",
    "wechat_image_4": lambda d: f"微信图片_{d:%Y-%m-%d_%H%M%S}_{d.microsecond // 1000:03d}.png",
    "wechat_screenshot": lambda d: f"微信截图_{d:%Y%m%d%H%M%S}.png",
    "qq_screenshot": lambda d: f"QQ截图{d:%Y%m%d%H%M%S}.png",
    "qq_image": lambda d: f"QQ图片{d:%Y%m%d%H%M%S}.jpg",
    "cube_acr": lambda d: f"{d:%Y-%m-%d %H-%M-%S} (phone) 张三 (13800138000) ↗.m4a",
    "miui": lambda d: f"通话录音@张三(13800138000)_{d:%Y%m%d%H%M%S}.mp3",
    "miui_bare": lambda d: f"13800138000(13800138000)_{d:%Y%m%d%H%M%S}.mp3",
    "huawei": lambda d: f"张三@13800138000_{d:%Y%m%d%H%M%S}.amr",
    "huawei_spaced": lambda d: f"张三 13800138000_{d:%Y%m%d%H%M%S}.m4a",
    "huawei_space": lambda d: f"13800138000 {d:%Y%m%d%H%M%S}.amr",
    "vivo": lambda d: f"通话录音 13800138000 {d:%Y-%m-%d %H-%M-%S}.m4a",
    "samsung": lambda d: f"Call recording 13800138000_{d:%y%m%d}_{d:%H%M%S}.m4a",
    "lineageos": lambda d: f"13800138000_{d:%y%m%d}_{d:%H%M%S}{d.microsecond // 1000:03d}.amr",
    "grapheneos": lambda d: f"CallRecord_{d:%Y%m%d}-{d:%H%M%S}_13800138000.m4a",
    "coloros": lambda d: f"13800138000-{d:%y%m%d%H%M}.amr",
}
# Conventions that keep less than the second, and what they keep of a time.
RESOLUTION: dict[str, Callable[[datetime], datetime]] = {
    "miui_screenshot": lambda d: d,
    "lineageos": lambda d: d,
    "coloros": lambda d: d.replace(second=0, microsecond=0),
}
COPY_SUFFIXES = [
    "",
    " (1)",
    "(2)",
    " - 副本",
    "副本",
    " - Copy",
    "_copy",
    " copy 3",
    " (1) - 副本 (2)",
    "（3）",
]
FULL_WIDTH = str.maketrans({**{str(d): chr(0xFF10 + d) for d in range(10)}, "(": "（", ")": "）"})


@given(st.sampled_from(sorted(TIME_WRITERS)), millis, st.sampled_from(COPY_SUFFIXES), st.booleans())
def test_every_convention_reads_back_its_time(convention: str, at: datetime, suffix: str, wide: bool) -> None:
    name = TIME_WRITERS[convention](at)
    stem, dot, ext = name.rpartition(".")
    name = f"{stem}{suffix}{dot}{ext}"
    if wide:
        name = name.translate(FULL_WIDTH)
    got = facts_from_filename(name, SHANGHAI)
    expected = RESOLUTION.get(convention, lambda d: d.replace(microsecond=0))(at)
    assert got is not None and got.captured_at == expected.replace(tzinfo=SHANGHAI), name


# 13-digit epoch milliseconds start in September 2001.
epoch_millis = st.datetimes(min_value=datetime(2001, 9, 10), max_value=LATEST).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
)


@given(
    epoch_millis, st.sampled_from(["mmexport", "wx_camera_"]), st.sampled_from(COPY_SUFFIXES), st.booleans()
)
def test_epoch_names_read_back_their_instant(at: datetime, prefix: str, suffix: str, wide: bool) -> None:
    instant = at.replace(tzinfo=UTC)
    epoch_ms = (instant - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    name = f"{prefix}{epoch_ms}{suffix}.jpg"
    if wide:
        name = name.translate(FULL_WIDTH)
    got = facts_from_filename(name, SHANGHAI)
    assert got is not None and got.captured_at == instant and not got.tz_assumed, name
