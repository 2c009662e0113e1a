"""Tests for evidence.media: durations, image sizes, EXIF and container times, and broken files."""

from __future__ import annotations

import shutil
import struct
import subprocess
import wave
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from evidence.media import EMPTY, MediaFacts, amr_duration, media_facts

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "demo"
DEMO_M4A = DEMO / "075512345678_20260814090000.m4a"
DEMO_MP3 = DEMO / "通话录音@171 5555 0001(17155550001)_20260811091000.mp3"
DEMO_JPG = DEMO / "Screenshot_2026-08-12-22-48-30-517_com.tencent.mm.jpg"
FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")

# AMR storage-format frames: header byte (frame type << 3 | quality bit) + speech bytes.
NB_122 = b"\x3c" + b"\x00" * 31  # AMR-NB 12.2 kbit/s, 32 bytes
NB_475 = b"\x04" + b"\x00" * 12  # AMR-NB 4.75 kbit/s, 13 bytes
NB_SID = b"\x44" + b"\x00" * 5  # comfort noise, 6 bytes
NB_NO_DATA = b"\x7c"  # frame type 15, header only
WB_2385 = b"\x44" + b"\x00" * 60  # AMR-WB 23.85 kbit/s, 61 bytes


def write_wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x01\x00" * round(seconds * rate))
    return path


def write_jpeg(
    path: Path,
    original: str | None,
    offset: str | None = None,
    subsec: str | None = None,
    size: tuple[int, int] = (64, 48),
) -> Path:
    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    if original is not None:
        ifd[0x9003] = original
    if offset is not None:
        ifd[0x9011] = offset
    if subsec is not None:
        ifd[0x9291] = subsec
    Image.new("RGB", size, "white").save(path, "JPEG", exif=exif.tobytes())
    return path


def ffprobe_duration(path: Path) -> float:
    out = subprocess.run(
        [str(FFPROBE), "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return float(out.stdout.strip())


def ffprobe_packets(path: Path) -> int:
    out = subprocess.run(
        [
            str(FFPROBE),
            "-v",
            "error",
            "-count_packets",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=nb_read_packets",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return int(out.stdout.strip())


# --- audio ---------------------------------------------------------------------------------------------
def test_wav_duration(tmp_path: Path) -> None:
    facts = media_facts(write_wav(tmp_path / "a.wav", 1.5), "audio", SHANGHAI)
    assert facts.duration == pytest.approx(1.5, abs=0.001)
    assert (facts.width, facts.height, facts.captured_at) == (None, None, None)


@pytest.mark.parametrize("path", [DEMO_M4A, DEMO_MP3], ids=["m4a", "mp3"])
def test_demo_recordings_have_plausible_durations(path: Path) -> None:
    facts = media_facts(path, "audio", SHANGHAI)
    assert facts.duration is not None and 1.0 < facts.duration < 60.0
    if FFPROBE:
        assert facts.duration == pytest.approx(ffprobe_duration(path), abs=0.1)


def test_amr_nb_frame_walk(tmp_path: Path) -> None:
    data = b"#!AMR\n" + NB_122 * 50 + NB_475 * 25 + NB_SID * 10 + NB_NO_DATA * 15
    path = tmp_path / "call.amr"
    path.write_bytes(data)
    assert amr_duration(data) == pytest.approx(2.0)
    assert media_facts(path, "audio", SHANGHAI).duration == pytest.approx(2.0)
    if FFPROBE:
        # ffprobe's duration for AMR is a bitrate estimate; its frame count is exact.
        assert ffprobe_packets(path) * 0.020 == pytest.approx(2.0)


def test_amr_wb_frame_walk(tmp_path: Path) -> None:
    path = tmp_path / "call.awb"
    path.write_bytes(b"#!AMR-WB\n" + WB_2385 * 75)
    assert media_facts(path, "audio", SHANGHAI).duration == pytest.approx(1.5)


def test_amr_truncated_last_frame_and_reserved_type_stop_the_count() -> None:
    assert amr_duration(b"#!AMR\n" + NB_122 * 10 + NB_122[:7]) == pytest.approx(0.2)
    assert amr_duration(b"#!AMR\n" + NB_122 * 10 + b"\x64" + NB_122 * 10) == pytest.approx(0.2)  # type 12
    assert amr_duration(b"#!AMR\n") is None
    assert amr_duration(b"not amr") is None


def test_amr_from_ffmpeg(tmp_path: Path) -> None:
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    encoders = subprocess.run(
        [FFMPEG, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=30
    )
    if "amr_nb" not in encoders.stdout and "libopencore_amrnb" not in encoders.stdout:
        pytest.skip("this ffmpeg has no AMR-NB encoder (libopencore_amrnb); frames are built by hand above")
    path = tmp_path / "x.amr"
    subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=d=2",
            "-ar",
            "8000",
            "-ac",
            "1",
            "-c:a",
            "libopencore_amrnb",
            str(path),
        ],
        check=True,
        timeout=60,
    )
    assert media_facts(path, "audio", SHANGHAI).duration == pytest.approx(2.0, abs=0.05)


def test_mp4_container_creation_time(tmp_path: Path) -> None:
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    path = tmp_path / "rec.m4a"
    subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=d=1.5",
            "-c:a",
            "aac",
            "-metadata",
            "creation_time=2026-08-14T01:00:00Z",
            str(path),
        ],
        check=True,
        timeout=60,
    )
    facts = media_facts(path, "audio", SHANGHAI)
    assert facts.captured_at == datetime(2026, 8, 14, 1, 0, tzinfo=UTC)
    assert (facts.captured_at_source, facts.tz_assumed) == ("container", False)
    assert facts.duration == pytest.approx(1.5, abs=0.1)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_mp4_creation_time_by_hand_v0_v1_and_zero(tmp_path: Path) -> None:
    seconds = int(
        (datetime(2026, 8, 11, 1, 10, tzinfo=UTC) - datetime(1904, 1, 1, tzinfo=UTC)).total_seconds()
    )
    ftyp = box(b"ftyp", b"M4A \x00\x00\x00\x00M4A isom")
    v0 = box(b"moov", box(b"mvhd", b"\x00\x00\x00\x00" + struct.pack(">II", seconds, seconds) + b"\x00" * 88))
    v1 = box(b"moov", box(b"mvhd", b"\x01\x00\x00\x00" + struct.pack(">QQ", seconds, seconds) + b"\x00" * 88))
    zero = box(b"moov", box(b"mvhd", b"\x00" * 100))
    expected = datetime(2026, 8, 11, 1, 10, tzinfo=UTC)
    for name, moov, at in (("v0", v0, expected), ("v1", v1, expected), ("zero", zero, None)):
        path = tmp_path / f"{name}.m4a"
        path.write_bytes(ftyp + box(b"free", b"\x00" * 4) + moov)
        assert media_facts(path, "audio", SHANGHAI).captured_at == at


# --- images --------------------------------------------------------------------------------------------
def test_demo_screenshot_size() -> None:
    facts = media_facts(DEMO_JPG, "image", SHANGHAI)
    with Image.open(DEMO_JPG) as im:
        assert (facts.width, facts.height) == im.size
    assert facts.duration is None


def test_exif_with_offset(tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "a.jpg", "2026:08:12 22:48:30", "+08:00", "517", size=(30, 20))
    facts = media_facts(path, "image", ZoneInfo("Europe/Berlin"))
    assert facts == MediaFacts(
        duration=None,
        width=30,
        height=20,
        captured_at=datetime(2026, 8, 12, 22, 48, 30, 517000, tzinfo=timezone(timedelta(hours=8))),
        captured_at_source="exif",
        tz_assumed=False,
    )


def test_exif_negative_offset(tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "a.jpg", "2024:01:02 03:04:05", "-04:30")
    facts = media_facts(path, "image", SHANGHAI)
    assert facts.captured_at is not None
    assert facts.captured_at.utcoffset() == -timedelta(hours=4, minutes=30)


def test_exif_without_offset_uses_locker_timezone(tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "a.jpg", "2026:08:12 22:48:30")
    facts = media_facts(path, "image", SHANGHAI)
    assert facts.captured_at == datetime(2026, 8, 12, 22, 48, 30, tzinfo=SHANGHAI)
    assert facts.captured_at is not None and facts.captured_at.utcoffset() == timedelta(hours=8)
    assert (facts.captured_at_source, facts.tz_assumed) == ("exif", True)


@pytest.mark.parametrize("original", [None, "    :  :     :  :  ", "2026:13:12 22:48:30", "yesterday"])
def test_unusable_exif_time_gives_size_only(tmp_path: Path, original: str | None) -> None:
    path = write_jpeg(tmp_path / "a.jpg", original, "+08:00")
    assert media_facts(path, "image", SHANGHAI) == MediaFacts(width=64, height=48)


def test_png_exif_chunk(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2024:05:06 22:54:06"
    exif.get_ifd(0x8769)[0x9011] = "+08:00"
    path = tmp_path / "Screenshot_20240506-225406.png"
    Image.new("RGB", (12, 10)).save(path, "PNG", exif=exif.tobytes())
    facts = media_facts(path, "image", SHANGHAI)
    assert (facts.width, facts.height, facts.tz_assumed) == (12, 10, False)
    assert facts.captured_at == datetime(2024, 5, 6, 22, 54, 6, tzinfo=timezone(timedelta(hours=8)))


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG that declares its size and has no pixel data: decoding it would fail loudly."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b""))
    return path


def test_large_image_size_is_read_without_decoding_or_warning(tmp_path: Path) -> None:
    # 100 Mpx: above Pillow's warning threshold (warnings are errors here), below its hard limit.
    path = png_header_only(tmp_path / "large.png", 10000, 10000)
    assert media_facts(path, "image", SHANGHAI) == MediaFacts(width=10000, height=10000)


def test_decompression_bomb_gives_empty_facts(tmp_path: Path) -> None:
    path = png_header_only(tmp_path / "bomb.png", 30000, 30000)
    assert media_facts(path, "image", SHANGHAI) == EMPTY


# --- broken files --------------------------------------------------------------------------------------
def broken_variants(tmp_path: Path) -> list[tuple[Path, str]]:
    wav = write_wav(tmp_path / "ok.wav", 0.5).read_bytes()
    jpg = write_jpeg(tmp_path / "ok.jpg", "2026:08:12 22:48:30").read_bytes()
    cases = {
        "empty.mp3": (b"", "audio"),
        "garbage.m4a": (b"\x00\x01garbage" * 50, "audio"),
        "truncated.wav": (wav[:30], "audio"),
        "truncated.mp3": (DEMO_MP3.read_bytes()[:20], "audio"),
        "truncated.m4a": (DEMO_M4A.read_bytes()[:40], "audio"),
        "truncated.jpg": (jpg[:20], "image"),
        "garbage.png": (b"\x89PNG\r\n\x1a\n" + b"\xff" * 64, "image"),
        "text.jpg": (b"not an image at all", "image"),
        "badbox.mp4": (b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00\xff\xff\xff\xffmoov", "video"),
    }
    out = []
    for name, (data, kind) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        out.append((path, kind))
    return out


def test_broken_files_give_empty_facts(tmp_path: Path) -> None:
    for path, kind in broken_variants(tmp_path):
        facts = media_facts(path, kind, SHANGHAI)
        assert facts.captured_at is None, path.name
        assert facts.duration is None, path.name
        assert facts.width is None, path.name


def test_missing_file_and_other_kinds(tmp_path: Path) -> None:
    assert media_facts(tmp_path / "gone.mp3", "audio", SHANGHAI) == EMPTY
    assert media_facts(DEMO_M4A, "document", SHANGHAI) == EMPTY
    assert media_facts(DEMO_JPG, "export", SHANGHAI) == EMPTY


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(
        [
            b"",
            b"#!AMR\n",
            b"#!AMR-WB\n",
            b"\xff\xd8\xff",
            b"\x89PNG\r\n\x1a\n",
            b"ID3",
            b"\x00\x00\x00\x18ftypM4A ",
            b"RIFF\x00\x00\x00\x00WAVE",
            b"OggS",
        ]
    ),
    st.binary(max_size=600),
    st.sampled_from(["audio", "image", "video"]),
)
def test_arbitrary_bytes_never_raise(tmp_path: Path, prefix: bytes, rest: bytes, kind: str) -> None:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(prefix + rest)
    facts = media_facts(path, kind, SHANGHAI)
    assert facts.duration is None or facts.duration > 0
    assert facts.captured_at is None or facts.captured_at.tzinfo is not None
