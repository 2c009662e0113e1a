"""Tests for evidence.media: durations, image sizes, EXIF and container times, and broken files.

Every file is given as a stream without a name or file descriptor, as intake's decrypting reader
is: once as io.BytesIO and once as a raw stream that returns a few bytes per read.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import sys
import wave
import zlib
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from evidence import media
from evidence.media import EMPTY, MediaFacts, amr_duration, media_facts
from evidence.sniff import Sniffed, sniff

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


class Trickle(io.RawIOBase):
    """A seekable raw stream with no name and no file descriptor that returns at most 7 bytes a read,
    like a decrypting reader at a chunk boundary."""

    def __init__(self, data: bytes, fail_at: int | None = None) -> None:
        super().__init__()
        self._data = data
        self._pos = 0
        self._fail_at = fail_at

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._fail_at is not None and self._pos + len(buffer) > self._fail_at:
            raise StreamBroken(f"chunk at {self._fail_at} failed authentication")
        chunk = self._data[self._pos : self._pos + min(len(buffer), 7)]
        buffer[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._data)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


class StreamBroken(Exception):
    """Stands for the vault's integrity error: a failure of the stream, not of the media."""


def facts_of(source: Path | bytes, kind: str, tz: ZoneInfo = SHANGHAI) -> MediaFacts:
    """media_facts over a BytesIO and over a Trickle of the same bytes; both must agree."""
    data = source.read_bytes() if isinstance(source, Path) else source
    facts = media_facts(io.BytesIO(data), kind, tz)
    assert media_facts(Trickle(data), kind, tz) == facts
    return facts


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x01\x00" * round(seconds * rate))
    return buf.getvalue()


def jpeg_bytes(
    original: str | None,
    offset: str | None = None,
    subsec: str | None = None,
    size: tuple[int, int] = (64, 48),
) -> bytes:
    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    if original is not None:
        ifd[0x9003] = original
    if offset is not None:
        ifd[0x9011] = offset
    if subsec is not None:
        ifd[0x9291] = subsec
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def one_colour_png(width: int, height: int) -> bytes:
    """A real, decodable 1-bit PNG, built row by row: a 13000×13000 one is 21 KB and never in memory
    whole (Pillow would hold 169 MB to save it)."""
    row = b"\x00" * (1 + (width + 7) // 8)
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


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
def test_wav_duration() -> None:
    facts = facts_of(wav_bytes(1.5), "audio")
    assert facts.duration == pytest.approx(1.5, abs=0.001)
    assert (facts.width, facts.height, facts.captured_at) == (None, None, None)


@pytest.mark.parametrize("path", [DEMO_M4A, DEMO_MP3], ids=["m4a", "mp3"])
def test_demo_recordings_have_plausible_durations(path: Path) -> None:
    facts = facts_of(path, "audio")
    assert facts.duration is not None and 1.0 < facts.duration < 60.0
    if FFPROBE:
        assert facts.duration == pytest.approx(ffprobe_duration(path), abs=0.1)


def test_amr_nb_frame_walk(tmp_path: Path) -> None:
    data = b"#!AMR\n" + NB_122 * 50 + NB_475 * 25 + NB_SID * 10 + NB_NO_DATA * 15
    assert amr_duration(io.BytesIO(data)) == pytest.approx(2.0)
    assert facts_of(data, "audio").duration == pytest.approx(2.0)
    if FFPROBE:
        # ffprobe's duration for AMR is a bitrate estimate; its frame count is exact.
        path = tmp_path / "call.amr"
        path.write_bytes(data)
        assert ffprobe_packets(path) * 0.020 == pytest.approx(2.0)


def test_amr_wb_frame_walk() -> None:
    assert facts_of(b"#!AMR-WB\n" + WB_2385 * 75, "audio").duration == pytest.approx(1.5)


def test_amr_truncated_last_frame_and_reserved_type_stop_the_count() -> None:
    def walk(data: bytes) -> float | None:
        return amr_duration(io.BytesIO(data))

    assert walk(b"#!AMR\n" + NB_122 * 10 + NB_122[:7]) == pytest.approx(0.2)
    assert walk(b"#!AMR\n" + NB_122 * 10 + b"\x64" + NB_122 * 10) == pytest.approx(0.2)  # type 12
    assert walk(b"#!AMR\n") is None
    assert walk(b"not amr") is None


def test_amr_frames_across_read_chunks() -> None:
    # 32- and 13-byte frames never line up with the 64 KiB chunks the walk reads: 9000 frames, 180 s.
    data = b"#!AMR\n" + (NB_122 + NB_475) * 4500
    assert len(data) > 2 * 64 * 1024
    assert facts_of(data, "audio").duration == pytest.approx(180.0)
    assert facts_of(data[:-5], "audio").duration == pytest.approx(179.98)  # last frame cut


def test_amr_longer_than_a_day_makes_no_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    # The cap keeps a file of millions of 1-byte frames from costing minutes; past it, no claim.
    monkeypatch.setattr(media, "AMR_MAX_FRAMES", 100)
    assert facts_of(b"#!AMR\n" + NB_NO_DATA * 100, "audio").duration == pytest.approx(2.0)
    assert facts_of(b"#!AMR\n" + NB_NO_DATA * 101, "audio").duration is None


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
    assert facts_of(path, "audio").duration == pytest.approx(2.0, abs=0.05)


def ffmpeg_sine(path: Path, *args: str) -> Path:
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    subprocess.run(
        [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "sine=d=1.5", *args, str(path)], check=True, timeout=60
    )
    return path


@pytest.mark.parametrize(
    ("name", "args"),
    [("adts.aac", ["-c:a", "aac", "-f", "adts"]), ("layer2.mp2", ["-c:a", "mp2", "-f", "mp2"])],
    ids=["adts", "mpeg-layer2"],
)
def test_bare_frame_streams_without_a_name(tmp_path: Path, name: str, args: list[str]) -> None:
    # mutagen tells these by the file name's extension, which a stream does not have.
    path = ffmpeg_sine(tmp_path / name, *args)
    assert path.read_bytes()[:1] == b"\xff"
    assert facts_of(path, "audio").duration == pytest.approx(1.5, abs=0.1)


def test_mp4_container_creation_time(tmp_path: Path) -> None:
    path = ffmpeg_sine(tmp_path / "rec.m4a", "-c:a", "aac", "-metadata", "creation_time=2026-08-14T01:00:00Z")
    facts = facts_of(path, "audio")
    assert facts.captured_at == datetime(2026, 8, 14, 1, 0, tzinfo=UTC)
    assert (facts.captured_at_source, facts.tz_assumed) == ("container", False)
    assert facts.duration == pytest.approx(1.5, abs=0.1)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


MP4_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
MP4_SECONDS = int((datetime(2026, 8, 11, 1, 10, tzinfo=UTC) - MP4_EPOCH).total_seconds())
FTYP = box(b"ftyp", b"M4A \x00\x00\x00\x00M4A isom")
MVHD_V0 = b"\x00\x00\x00\x00" + struct.pack(">II", MP4_SECONDS, MP4_SECONDS) + b"\x00" * 88
MVHD_V1 = b"\x01\x00\x00\x00" + struct.pack(">QQ", MP4_SECONDS, MP4_SECONDS) + b"\x00" * 88
MOOV_V0 = box(b"moov", box(b"mvhd", MVHD_V0))
MOOV_V1 = box(b"moov", box(b"mvhd", MVHD_V1))


def test_mp4_creation_time_by_hand_v0_v1_and_zero() -> None:
    zero = box(b"moov", box(b"mvhd", b"\x00" * 100))
    expected = datetime(2026, 8, 11, 1, 10, tzinfo=UTC)
    for moov, at in ((MOOV_V0, expected), (MOOV_V1, expected), (zero, None)):
        for kind in ("audio", "video"):
            assert facts_of(FTYP + box(b"free", b"\x00" * 4) + moov, kind).captured_at == at


# --- images --------------------------------------------------------------------------------------------
def test_demo_screenshot_size() -> None:
    facts = facts_of(DEMO_JPG, "image")
    with Image.open(DEMO_JPG) as im:
        assert (facts.width, facts.height) == im.size
    assert facts.duration is None


def test_exif_with_offset() -> None:
    data = jpeg_bytes("2026:08:12 22:48:30", "+08:00", "517", size=(30, 20))
    assert facts_of(data, "image", ZoneInfo("Europe/Berlin")) == MediaFacts(
        duration=None,
        width=30,
        height=20,
        captured_at=datetime(2026, 8, 12, 22, 48, 30, 517000, tzinfo=timezone(timedelta(hours=8))),
        captured_at_source="exif",
        tz_assumed=False,
    )


def test_exif_negative_offset() -> None:
    facts = facts_of(jpeg_bytes("2024:01:02 03:04:05", "-04:30"), "image")
    assert facts.captured_at is not None
    assert facts.captured_at.utcoffset() == -timedelta(hours=4, minutes=30)


def test_exif_without_offset_uses_locker_timezone() -> None:
    facts = facts_of(jpeg_bytes("2026:08:12 22:48:30"), "image")
    assert facts.captured_at == datetime(2026, 8, 12, 22, 48, 30, tzinfo=SHANGHAI)
    assert facts.captured_at is not None and facts.captured_at.utcoffset() == timedelta(hours=8)
    assert (facts.captured_at_source, facts.tz_assumed) == ("exif", True)


@pytest.mark.parametrize("original", [None, "    :  :     :  :  ", "2026:13:12 22:48:30", "yesterday"])
def test_unusable_exif_time_gives_size_only(original: str | None) -> None:
    assert facts_of(jpeg_bytes(original, "+08:00"), "image") == MediaFacts(width=64, height=48)


def test_png_exif_chunk() -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2024:05:06 22:54:06"
    exif.get_ifd(0x8769)[0x9011] = "+08:00"
    buf = io.BytesIO()
    Image.new("RGB", (12, 10)).save(buf, "PNG", exif=exif.tobytes())
    facts = facts_of(buf.getvalue(), "image")
    assert (facts.width, facts.height, facts.tz_assumed) == (12, 10, False)
    assert facts.captured_at == datetime(2024, 5, 6, 22, 54, 6, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_other_sniffed_image_formats(fmt: str) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (33, 21), "red").save(buf, fmt)
    assert facts_of(buf.getvalue(), "image") == MediaFacts(width=33, height=21)


@pytest.mark.parametrize("fmt", ["TIFF", "BMP", "PPM"])
def test_formats_sniffing_never_calls_an_image_are_not_parsed(fmt: str) -> None:
    # Each Pillow plugin is attack surface; only those for evidence.sniff's image types are used.
    buf = io.BytesIO()
    Image.new("RGB", (33, 21), "red").save(buf, fmt)
    assert facts_of(buf.getvalue(), "image") == EMPTY


def test_webp_bigger_than_the_whole_read_limit_is_not_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow's WebP plugin reads the whole file to parse its header.
    buf = io.BytesIO()
    Image.new("RGB", (33, 21), "red").save(buf, "WEBP")
    monkeypatch.setattr(media, "MAX_WHOLE_READ", len(buf.getvalue()) - 1)
    assert facts_of(buf.getvalue(), "image") == EMPTY


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size and has no pixel data: decoding it would fail loudly."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", b"") + png_chunk(b"IEND", b"")


def test_large_image_size_is_read_without_decoding_or_warning() -> None:
    # 100 Mpx: above Pillow's warning threshold (warnings are errors here), below its hard limit.
    assert facts_of(png_header_only(10000, 10000), "image") == MediaFacts(width=10000, height=10000)


def test_huge_png_facts_read_header_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # The 13000×13000 screenshot that OCR refuses: its facts come from the header, never the pixels.
    def no_decoding(self: object) -> None:
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr(Image.Image, "load", no_decoding)
    assert facts_of(one_colour_png(13000, 13000), "image") == MediaFacts(width=13000, height=13000)


def test_decompression_bomb_gives_empty_facts() -> None:
    assert facts_of(png_header_only(30000, 30000), "image") == EMPTY


# --- streams ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (jpeg_bytes("2026:08:12 22:48:30"), "image"),
        (b"#!AMR\n" + NB_122 * 500, "audio"),
        (FTYP + MOOV_V0, "video"),
    ],
    ids=["jpeg", "amr", "mp4"],
)
@pytest.mark.parametrize("fail_at", [0, 10, 100])
def test_a_failing_stream_is_raised_not_taken_for_damage(data: bytes, kind: str, fail_at: int) -> None:
    # Pillow and mutagen swallow exceptions while parsing; an integrity failure of the sealed object
    # must still reach intake instead of becoming "no facts".
    with pytest.raises(StreamBroken):
        media_facts(Trickle(data, fail_at=fail_at), kind, SHANGHAI)


def test_stream_is_left_open() -> None:
    stream = Trickle(wav_bytes(0.5))
    media_facts(stream, "audio", SHANGHAI)
    assert not stream.closed


def test_other_kinds_read_nothing() -> None:
    for kind in ("document", "export"):
        assert media_facts(Trickle(jpeg_bytes(None), fail_at=0), kind, SHANGHAI) == EMPTY


_NO_FILES_SCRIPT = """
import io, json, sys
from zoneinfo import ZoneInfo
from evidence.media import media_facts

cases = json.loads(sys.stdin.read())
samples = [(bytes.fromhex(data), kind) for data, kind in cases]
tz = ZoneInfo("Asia/Shanghai")
for data, kind in samples:  # imports every plugin this needs before the hook
    media_facts(io.BytesIO(data), kind, tz)
opened = []
sys.addaudithook(lambda event, args: opened.append([event, repr(args)[:200]]) if event in (
    "open", "os.mkdir", "os.rename", "os.remove", "tempfile.mkstemp", "tempfile.mkdtemp", "socket.connect"
) else None)
for data, kind in samples:
    media_facts(io.BytesIO(data), kind, tz)
print(json.dumps(opened))
"""


def test_media_facts_open_no_files() -> None:
    """From a stream, not a path, and no temp files: no file is opened at all while facts are read."""
    cases = [
        (wav_bytes(0.5), "audio"),
        (b"#!AMR\n" + NB_122 * 50, "audio"),
        (DEMO_M4A.read_bytes(), "audio"),
        (DEMO_MP3.read_bytes(), "audio"),
        (FTYP + MOOV_V1, "video"),
        (DEMO_JPG.read_bytes(), "image"),
        (jpeg_bytes("2026:08:12 22:48:30", "+08:00"), "image"),
        (one_colour_png(300, 200), "image"),
    ]
    out = subprocess.run(
        [sys.executable, "-c", _NO_FILES_SCRIPT],
        input=json.dumps([(d.hex(), k) for d, k in cases]),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(out.stdout) == []


# --- broken files --------------------------------------------------------------------------------------
def broken_variants() -> dict[str, tuple[bytes, str]]:
    wav = wav_bytes(0.5)
    jpg = jpeg_bytes("2026:08:12 22:48:30")
    return {
        "empty.mp3": (b"", "audio"),
        "garbage.m4a": (b"\x00\x01garbage" * 50, "audio"),
        "truncated.wav": (wav[:30], "audio"),
        "truncated.mp3": (DEMO_MP3.read_bytes()[:20], "audio"),
        "truncated.m4a": (DEMO_M4A.read_bytes()[:40], "audio"),
        "truncated.jpg": (jpg[:20], "image"),
        "garbage.png": (b"\x89PNG\r\n\x1a\n" + b"\xff" * 64, "image"),
        "text.jpg": (b"not an image at all", "image"),
        "badbox.mp4": (b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00\xff\xff\xff\xffmoov", "video"),
        "empty.jpg": (b"", "image"),
        "empty.mp4": (b"", "video"),
    }


@pytest.mark.parametrize("name", list(broken_variants()))
def test_broken_files_give_empty_facts(name: str) -> None:
    data, kind = broken_variants()[name]
    assert facts_of(data, kind) == EMPTY


def assert_sane(facts: MediaFacts) -> None:
    assert facts.duration is None or (facts.duration > 0 and facts.duration < 1e9)
    assert facts.captured_at is None or facts.captured_at.tzinfo is not None
    assert (facts.width is None) == (facts.height is None)
    assert facts.width is None or (facts.width > 0 and facts.height is not None and facts.height > 0)


MAGIC = [
    b"#!AMR\n",
    b"#!AMR-WB\n",
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF8",
    b"ID3",
    b"\x00\x00\x00\x18ftypM4A ",
    b"RIFF\x00\x00\x00\x00WAVE",
    b"RIFF\x00\x00\x00\x00WEBP",
    b"OggS",
    b"fLaC",
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([b"", *MAGIC]), st.binary(max_size=600), st.sampled_from(["audio", "image", "video"]))
def test_arbitrary_bytes_never_raise(prefix: bytes, rest: bytes, kind: str) -> None:
    assert_sane(facts_of(prefix + rest, kind))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["audio", "image", "video"]))
def test_garbage_without_a_format_gives_empty_facts(data: bytes, kind: str) -> None:
    assume(not any(data.startswith(m[: len(data)] or b"-") for m in MAGIC) and data[:1] != b"\xff")
    assert facts_of(data, kind) == EMPTY


@cache
def valid_samples() -> dict[str, tuple[bytes, str]]:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2024:05:06 22:54:06"
    png = io.BytesIO()
    Image.new("RGB", (12, 10)).save(png, "PNG", exif=exif.tobytes())
    return {
        "wav": (wav_bytes(0.5), "audio"),
        "amr": (b"#!AMR\n" + NB_122 * 20 + NB_SID * 5, "audio"),
        "amr-wb": (b"#!AMR-WB\n" + WB_2385 * 20, "audio"),
        "m4a": (DEMO_M4A.read_bytes(), "audio"),
        "mp3": (DEMO_MP3.read_bytes(), "audio"),
        "mp4": (FTYP + box(b"free", b"\x00" * 4) + MOOV_V1, "video"),
        "jpeg": (jpeg_bytes("2026:08:12 22:48:30", "+08:00", "517"), "image"),
        "demo-jpeg": (DEMO_JPG.read_bytes(), "image"),
        "png": (png.getvalue(), "image"),
    }


def damaged(data: bytes, cut: int, flip: int | None, value: int) -> bytes:
    out = bytearray(data[: cut % (len(data) + 1)])
    if flip is not None and out:
        out[flip % len(out)] = value
    return bytes(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(valid_samples())),
    st.integers(min_value=0, max_value=1 << 20),
    st.none() | st.integers(min_value=0, max_value=1 << 20),
    st.integers(min_value=0, max_value=255),
)
def test_truncated_or_damaged_files_never_raise(name: str, cut: int, flip: int | None, value: int) -> None:
    data, kind = valid_samples()[name]
    assert_sane(facts_of(damaged(data, cut, flip, value), kind))


def test_truncation_to_nothing_is_empty_for_every_kind() -> None:
    for name, (data, kind) in valid_samples().items():
        assert facts_of(data[:0], kind) == EMPTY, name
        assert facts_of(data[:4], kind) == EMPTY, name


def test_heic_photo_gives_size_and_exif_time() -> None:
    """iPhones save HEIC: its size and EXIF capture time are read like a JPEG's, and sniffing agrees."""
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:08:12 22:48:30"
    exif.get_ifd(0x8769)[0x9011] = "+08:00"
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, "HEIF", exif=exif.tobytes())
    data = buf.getvalue()
    assert sniff(data[:65536], "IMG_0001.HEIC") == Sniffed("image", "image/heic")
    facts = facts_of(data, "image")
    assert (facts.width, facts.height) == (40, 30)
    assert facts.captured_at == datetime(2026, 8, 12, 22, 48, 30, tzinfo=timezone(timedelta(hours=8)))
    assert facts.captured_at_source == "exif" and not facts.tz_assumed
