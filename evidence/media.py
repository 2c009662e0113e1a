"""Facts read from inside media files: audio length, image size, and the capture time the file records.

Only headers and metadata are read: images are never decoded, audio never decoded. Broken or
hostile files give empty facts, never an exception, because a damaged recording is still
evidence and intake must go on.
"""

from __future__ import annotations

import math
import re
import struct
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import mutagen
from PIL import Image


@dataclass(frozen=True, slots=True)
class MediaFacts:
    """Duration (seconds), pixel size and the capture time a file states about itself.

    `captured_at_source` says where the time came from ("exif" or "container"); `tz_assumed` is
    True when the file gave a wall-clock time without offset and the locker's timezone was applied.
    """

    duration: float | None = None
    width: int | None = None
    height: int | None = None
    captured_at: datetime | None = None
    captured_at_source: str | None = None
    tz_assumed: bool = False


EMPTY = MediaFacts()


def media_facts(path: Path, sniffed_kind: str, tz: ZoneInfo) -> MediaFacts:
    """Read what the file says about itself; `sniffed_kind` is `Sniffed.kind`. Never raises on bad media."""
    try:
        if sniffed_kind == "image":
            return image_facts(path, tz)
        if sniffed_kind in ("audio", "video"):
            at = container_time(path)
            source = "container" if at is not None else None
            return MediaFacts(duration=audio_duration(path), captured_at=at, captured_at_source=source)
    except OSError:
        # Unreadable file (vanished, permissions): no facts; intake reports the read error itself.
        return EMPTY
    return EMPTY


# --- audio ---------------------------------------------------------------------------------------------
AMR_NB_MAGIC = b"#!AMR\n"
AMR_WB_MAGIC = b"#!AMR-WB\n"
# Bytes per storage-format frame including its one-byte header, by frame type (RFC 4867 §5.3):
# speech modes, then comfort noise (SID) frames; 15 is NO_DATA (header only); others are reserved.
_AMR_NB_FRAME = {0: 13, 1: 14, 2: 16, 3: 18, 4: 20, 5: 21, 6: 27, 7: 32, 8: 6, 9: 7, 10: 6, 11: 6, 15: 1}
_AMR_WB_FRAME = {0: 18, 1: 24, 2: 33, 3: 37, 4: 41, 5: 47, 6: 51, 7: 59, 8: 61, 9: 6, 14: 1, 15: 1}
AMR_FRAME_SECONDS = 0.020


def amr_duration(data: bytes) -> float | None:
    """Length of an AMR-NB or AMR-WB file (storage format): 20 ms per complete frame."""
    if data.startswith(AMR_WB_MAGIC):
        sizes, pos = _AMR_WB_FRAME, len(AMR_WB_MAGIC)
    elif data.startswith(AMR_NB_MAGIC):
        sizes, pos = _AMR_NB_FRAME, len(AMR_NB_MAGIC)
    else:
        return None
    frames = 0
    while pos < len(data):
        size = sizes.get((data[pos] >> 3) & 0x0F)
        if size is None or pos + size > len(data):
            break  # reserved frame type or a truncated last frame: count what is whole
        frames += 1
        pos += size
    return frames * AMR_FRAME_SECONDS if frames else None


def audio_duration(path: Path) -> float | None:
    """Seconds of audio (or video) in the file, from its headers; None when it cannot be told."""
    with path.open("rb") as f:
        magic = f.read(len(AMR_WB_MAGIC))
        if magic.startswith(AMR_NB_MAGIC) or magic == AMR_WB_MAGIC:
            f.seek(0)
            return amr_duration(f.read())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = mutagen.File(path)
    except Exception:
        # mutagen raises many exception types on damaged input (struct, index, its own errors);
        # any of them means the same here: no length claim.
        return None
    length = getattr(getattr(parsed, "info", None), "length", None)
    if not isinstance(length, int | float) or not math.isfinite(length) or length <= 0:
        return None
    return float(length)


# --- MP4 / 3GP container time ----------------------------------------------------------------------------
_MP4_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
_MAX_BOXES = 4096


def _boxes(f: BinaryIO, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO-BMFF boxes between two offsets."""
    found: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end and len(found) < _MAX_BOXES:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header[:8])
        payload = pos + 8
        if size == 1 and len(header) == 16:
            size = struct.unpack(">Q", header[8:16])[0]
            payload = pos + 16
        elif size == 0:
            size = end - pos
        if size < payload - pos:
            break
        found.append((kind, payload, min(pos + size, end)))
        pos += size
    return found


def mp4_creation_time(f: BinaryIO, file_size: int) -> datetime | None:
    """The movie header's creation time (UTC by the ISO-BMFF spec); None when absent or zero."""
    moov = next((b for b in _boxes(f, 0, file_size) if b[0] == b"moov"), None)
    if moov is None:
        return None
    mvhd = next((b for b in _boxes(f, moov[1], moov[2]) if b[0] == b"mvhd"), None)
    if mvhd is None:
        return None
    f.seek(mvhd[1])
    head = f.read(12)
    if len(head) < 8:
        return None
    seconds = (
        struct.unpack(">Q", head[4:12])[0]
        if head[0] == 1 and len(head) == 12
        else struct.unpack(">I", head[4:8])[0]
    )
    if seconds == 0:
        return None
    try:
        return _MP4_EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None


def container_time(path: Path) -> datetime | None:
    """Creation time an MP4/3GP/M4A container records; None for other containers."""
    with path.open("rb") as f:
        if f.read(8)[4:8] != b"ftyp":
            return None
        return mp4_creation_time(f, path.stat().st_size)


# --- images ----------------------------------------------------------------------------------------------
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_SUBSEC_TIME_ORIGINAL = 0x9291
_EXIF_TIME = re.compile(r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})", re.ASCII)
_EXIF_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})", re.ASCII)


def exif_capture_time(
    original: object, offset: object, subsec: object, tz: ZoneInfo
) -> tuple[datetime, bool] | None:
    """DateTimeOriginal with its offset (tz_assumed False) or read in `tz` (True); None when unusable."""
    m = _EXIF_TIME.match(str(original).strip("\x00 ")) if isinstance(original, str | bytes) else None
    if m is None:
        return None
    micro = 0
    if isinstance(subsec, str) and subsec.strip("\x00 ").isdigit():
        micro = int(subsec.strip("\x00 ")[:6].ljust(6, "0"))
    o = _EXIF_OFFSET.fullmatch(offset.strip("\x00 ")) if isinstance(offset, str) else None
    zone: timezone | ZoneInfo = tz
    if o is not None and int(o[2]) < 24 and int(o[3]) < 60:
        delta = timedelta(hours=int(o[2]), minutes=int(o[3]))
        zone = timezone(-delta if o[1] == "-" else delta)
    try:
        year, month, day, hour, minute, second = (int(g) for g in m.groups())
        at = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    except ValueError:
        return None
    return at, zone is tz


def image_facts(path: Path, tz: ZoneInfo) -> MediaFacts:
    """Pixel size and EXIF capture time; the pixels themselves are never decoded."""
    try:
        with warnings.catch_warnings():
            # The bomb check only guards decoding, which never happens here; its warning would be
            # an error under strict warning filters.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
                # A PNG's eXIf chunk after the pixel data is only found by decoding: skip it.
                exif = im.getexif() if im.format != "PNG" or "exif" in im.info else Image.Exif()
                ifd = exif.get_ifd(_EXIF_IFD)
    except Exception:
        # Pillow's plugins fail on damaged input with many types (OSError, SyntaxError, struct.error,
        # DecompressionBombError for absurd sizes …); each means the same here: no facts.
        return EMPTY
    found = exif_capture_time(
        ifd.get(_DATETIME_ORIGINAL), ifd.get(_OFFSET_TIME_ORIGINAL), ifd.get(_SUBSEC_TIME_ORIGINAL), tz
    )
    if found is None:
        return MediaFacts(width=width, height=height)
    at, assumed = found
    return MediaFacts(
        width=width, height=height, captured_at=at, captured_at_source="exif", tz_assumed=assumed
    )
