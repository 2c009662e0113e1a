"""Facts read from inside media files: audio length, image size, and the capture time the file records.

Only headers and metadata are read: images are never decoded, audio never decoded. Everything is
read from a stream (the decrypting reader over the sealed original), never from the path the user
gave: that file could be replaced between sealing and extraction, and the facts must describe the
sealed bytes. Broken or hostile files give empty facts, never an exception, because a damaged
recording is still evidence and intake must go on. An error raised by the stream itself (a failed
read, a chunk that fails authentication) says nothing about the media and is raised to the caller.
"""

from __future__ import annotations

import io
import math
import re
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, BinaryIO, Protocol, TypeVar
from zoneinfo import ZoneInfo

import mutagen
from mutagen.aac import AAC
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggtheora import OggTheora
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from PIL import Image
from pillow_heif import register_heif_opener

# iPhones save photos and screenshots as HEIC, which Pillow reads only through this plugin.
register_heif_opener()

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

_T = TypeVar("_T")


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


class SeekableStream(Protocol):
    """What media_facts needs of a stream: any BinaryIO, or a raw stream such as a decrypting reader
    (whose reads may return fewer bytes than asked, or None)."""

    def read(self, size: int = -1, /) -> bytes | None: ...

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int: ...

    def tell(self) -> int: ...


# Pillow plugins allowed to parse what sniffing called an image (evidence.sniff's image types; the
# JPEG plugin also opens camera JPEGs with a multi-picture index, as format "MPO"). Pillow tries
# every plugin it has otherwise: each is attack surface for a file the collector chose, and none
# adds a fact here.
IMAGE_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "GIF", "WEBP", "AVIF", "HEIF")
# mutagen formats for what sniffing calls audio or video, for the same reason.
_AUDIO_FORMATS = [MP3, MP4, FLAC, WAVE, AAC, OggVorbis, OggOpus, OggSpeex, OggFLAC, OggTheora]
_BUFFER = 64 * 1024
# Pillow's WebP, AVIF and HEIF plugins read the whole file into memory to parse its header. A screenshot
# or photo is a few MiB; a larger "WebP" is not opened, so a file cannot cost its size in memory.
_WHOLE_READ_FORMATS = ("WEBP", "AVIF", "HEIF")
MAX_WHOLE_READ = 64 * 1024 * 1024


def media_facts(stream: SeekableStream, kind: str, tz: ZoneInfo) -> MediaFacts:
    """Read what the media says about itself; `kind` is `Sniffed.kind`.

    `stream` is seekable; it needs no name or file descriptor (intake passes the decrypting reader
    over the sealed original). It is read from offset 0 and left open at an unspecified position.
    Never raises on bad media; re-raises whatever the stream itself raised.
    """
    if kind not in ("image", "audio", "video"):
        return EMPTY
    view = StreamView(stream)
    # Buffered: full reads for the parsers below and for Pillow's and mutagen's (a raw stream may
    # return fewer bytes than asked, which they take for the end of the file), and few calls into
    # the decrypting reader for the many small reads of a box walk.
    reader = io.BufferedReader(view, buffer_size=_BUFFER)
    if kind == "image":
        facts = image_facts(reader, tz)
    else:
        at = container_time(reader)
        source = "container" if at is not None else None
        facts = MediaFacts(duration=audio_duration(reader), captured_at=at, captured_at_source=source)
    if view.failure is not None:
        # Pillow and mutagen catch broad exception types while parsing, so a stream failure may have
        # been swallowed and reported as a damaged file: it is the locker's failure, not the file's.
        raise view.failure
    return facts


class StreamView(io.RawIOBase):
    """A raw, read-only view of the caller's stream that never closes it and records its failure.

    `io.BufferedReader` closes its raw stream when it is closed or collected; closing this view
    leaves the caller's stream open.
    """

    def __init__(self, stream: SeekableStream) -> None:
        super().__init__()
        self._stream = stream
        self.failure: Exception | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        target = memoryview(buffer).cast("B")
        data = self._call(self._stream.read, len(target)) or b""
        n = min(len(data), len(target))
        target[:n] = data[:n]
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._call(self._stream.seek, offset, whence)

    def tell(self) -> int:
        return self._call(self._stream.tell)

    def _call(self, method: Callable[..., _T], *args: int) -> _T:
        try:
            return method(*args)
        except Exception as e:
            if self.failure is None:
                self.failure = e
            raise


def _size(f: BinaryIO) -> int:
    return f.seek(0, io.SEEK_END)


# --- audio ---------------------------------------------------------------------------------------------
AMR_NB_MAGIC = b"#!AMR\n"
AMR_WB_MAGIC = b"#!AMR-WB\n"
# Bytes per storage-format frame including its one-byte header, by frame type (RFC 4867 §5.3):
# speech modes, then comfort noise (SID) frames; 15 is NO_DATA (header only); others are reserved.
_AMR_NB_FRAME = {0: 13, 1: 14, 2: 16, 3: 18, 4: 20, 5: 21, 6: 27, 7: 32, 8: 6, 9: 7, 10: 6, 11: 6, 15: 1}
_AMR_WB_FRAME = {0: 18, 1: 24, 2: 33, 3: 37, 4: 41, 5: 47, 6: 51, 7: 59, 8: 61, 9: 6, 14: 1, 15: 1}
AMR_FRAME_SECONDS = 0.020
# A day of 20 ms frames. A phone call is far shorter; a file claiming more makes no length claim,
# and the frame walk (one Python step per frame, 1-byte NO_DATA frames included) stays near a second.
AMR_MAX_FRAMES = 24 * 3600 * 50


def amr_duration(f: BinaryIO) -> float | None:
    """Length of an AMR-NB or AMR-WB stream (storage format): 20 ms per complete frame.

    Read in chunks, so a long recording is never held in memory whole.
    """
    f.seek(0)
    head = f.read(len(AMR_WB_MAGIC))
    if head == AMR_WB_MAGIC:
        sizes, start = _AMR_WB_FRAME, len(AMR_WB_MAGIC)
    elif head.startswith(AMR_NB_MAGIC):
        sizes, start = _AMR_NB_FRAME, len(AMR_NB_MAGIC)
    else:
        return None
    f.seek(start)
    data, pos, frames = b"", 0, 0
    while frames <= AMR_MAX_FRAMES:
        if pos >= len(data):
            data, pos = f.read(_BUFFER), 0
            if not data:
                break
        size = sizes.get((data[pos] >> 3) & 0x0F)
        if size is None:
            break  # reserved frame type: count what came before
        if pos + size > len(data):
            more = f.read(_BUFFER)
            if not more:
                break  # a truncated last frame is not counted
            data, pos = data[pos:] + more, 0
            continue
        frames += 1
        pos += size
    if frames > AMR_MAX_FRAMES:
        return None
    return frames * AMR_FRAME_SECONDS if frames else None


def audio_duration(f: BinaryIO) -> float | None:
    """Seconds of audio (or video) in the stream, from its headers; None when it cannot be told."""
    f.seek(0)
    head = f.read(len(AMR_WB_MAGIC))
    if head.startswith(AMR_NB_MAGIC) or head == AMR_WB_MAGIC:
        return amr_duration(f)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f.seek(0)
            parsed = mutagen.File(f, options=_AUDIO_FORMATS)
            if parsed is None and len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
                # A bare MPEG or ADTS frame stream: mutagen recognises these by the file name's
                # extension, and a stream has none. Layer bits 00 mean ADTS (AAC).
                f.seek(0)
                parsed = AAC(f) if head[1] & 0x06 == 0 else MP3(f)
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


def container_time(f: BinaryIO) -> datetime | None:
    """Creation time an MP4/3GP/M4A container records; None for other containers."""
    f.seek(0)
    if f.read(8)[4:8] != b"ftyp":
        return None
    return mp4_creation_time(f, _size(f))


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


def image_facts(f: BinaryIO, tz: ZoneInfo) -> MediaFacts:
    """Pixel size and EXIF capture time; the pixels themselves are never decoded."""
    try:
        with warnings.catch_warnings():
            # The bomb check only guards decoding, which never happens here; its warning would be
            # an error under strict warning filters.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            formats = IMAGE_FORMATS
            if _size(f) > MAX_WHOLE_READ:
                formats = tuple(x for x in IMAGE_FORMATS if x not in _WHOLE_READ_FORMATS)
            f.seek(0)
            with Image.open(f, formats=formats) as im:
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
