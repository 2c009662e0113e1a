"""Text from screenshots, with the optional `ocr` extra.

rapidocr-onnxruntime carries its detection and recognition models inside its wheel, so
nothing is downloaded at run time. Without the extra, screenshots are still sealed and
dated; they just carry no text for the rules.

The image is the collector's choice, so OCR works from the sealed bytes (never a path) and is
bounded before anything is decoded: the pixel count is read from the header and checked against
`MAX_PIXELS`; the decoded image is read in tiles whose shape keeps rapidocr's internal rescaling
small (a 16×2000 PNG of 379 bytes used to cost 8.6 GB and three minutes); the number of tiles and
the time spent are capped. Whatever is not read is reported in `OcrResult.skipped`, never silently.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from PIL import Image

from evidence.media import IMAGE_FORMATS

MIN_CONFIDENCE = 0.5
# Largest image decoded for OCR, in pixels: long scrolling phone captures reach about 4000×10000,
# and 40 Mpx decodes to at most 160 MB (4 bytes a pixel). A larger JPEG is decoded at 1/2, 1/4 or
# 1/8 scale instead (libjpeg does that cheaply, and rapidocr would shrink it anyway); any other
# larger image is not read.
MAX_PIXELS = 40_000_000
# rapidocr shrinks an image whose longer side exceeds TILE_SIDE, and its detector enlarges one whose
# shorter side is under DETECT_MIN_SIDE, both keeping proportions: read whole, a long screenshot
# becomes too small to read, and a thin strip is enlarged to gigapixels. An image at most MAX_ASPECT
# times as long as wide, and not much longer than a tile, is read whole as rapidocr would; any other
# is read in tiles TILE_SIDE long (square if the image is wider); a tile with a side under
# DETECT_MIN_SIDE is laid on a white canvas at least that big, so that it is read at its own scale
# instead of enlarged. No detector input exceeds 4 Mpx.
TILE_SIDE = 2000
DETECT_MIN_SIDE = 736
MAX_ASPECT = 4
# Neighbouring tiles overlap so that a text line cut by one tile is whole in the other; each tile
# reports only the lines whose centre lies in its half of the overlaps, so none is read twice.
TILE_OVERLAP = 256
# An image only up to this much longer than a tile is read in one pass, as rapidocr would.
SINGLE_PASS_STRETCH = 1.5
# 40 tiles cover any image within MAX_PIXELS that is at least 600 px wide.
MAX_TILES = 40
# Narrower than this, an image holds no readable text, only up to MAX_TILES wasted engine calls.
MIN_SIDE = 8
# Checked between tiles; a tile itself is bounded by its size and rapidocr's 1000 boxes per image.
TIME_BUDGET_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class OcrResult:
    """The text read (None when there is none) and, when all or part of the image was not read, why.

    A result object rather than an exception: an image too large to read is an ordinary outcome
    for a batch, to be recorded next to the item, and any text read before a limit is kept.
    """

    text: str | None
    skipped: str | None = None


@dataclass(frozen=True, slots=True)
class Tile:
    """A region of the image (left, upper, right, lower), the band along the image's long side
    (start, end) whose text lines it reports, and the (width, height) of the white canvas it is
    laid on, when it is narrower than the detector would otherwise enlarge."""

    box: tuple[int, int, int, int]
    keep: tuple[int, int]
    canvas: tuple[int, int] | None = None


def available() -> bool:
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


@cache
def _engine() -> Any:
    # onnxruntime writes a device id and a telemetry database (python's path, OS, CPU, container
    # type) under $XDG_CACHE_HOME/Microsoft/DeveloperTools/.onnxruntime as soon as it is imported,
    # and queues the events for upload to Microsoft. A harassment victim's locker must leave no
    # trace outside itself and report to no one. The variable is read when the native environment
    # is created, at the first import, so it is set before; the call at least stops the events of
    # an onnxruntime that something else imported first (its files are written by then).
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    import onnxruntime

    onnxruntime.disable_telemetry_events()
    from rapidocr_onnxruntime import RapidOCR

    # rapidocr logs each call at INFO; keep recognised text out of any log handler.
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return RapidOCR()


def image_text(
    data: bytes,
    *,
    max_pixels: int = MAX_PIXELS,
    time_budget: float = TIME_BUDGET_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> OcrResult:
    """The text of an image in reading order (top to bottom, then left to right), from its bytes.

    Never raises on a bad image: a broken or oversized image, or one only partly read within the
    tile and time limits, gives `skipped` saying so.
    """
    with warnings.catch_warnings():
        # Pillow warns about images above its own bomb threshold when it reads the header; the
        # size is checked here, and the warning would be an error under strict filters.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image, problem = _open_bounded(data, max_pixels)
        if image is None:
            return OcrResult(None, problem)
        try:
            image.load()
        except Exception:
            image.close()
            return OcrResult(None, "the image could not be decoded")
        try:
            return _read_tiles(image, time_budget, clock)
        finally:
            image.close()  # frees the decoded pixels now, not when the collector next runs


def _open_bounded(data: bytes, max_pixels: int) -> tuple[Image.Image | None, str | None]:
    """The image with its header read and its decoded size within `max_pixels`, or why not."""
    try:
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except Image.DecompressionBombError:
        return None, "the image is too large to read (Pillow refuses its size)"
    except Exception:
        return None, "not a readable image"
    width, height = image.size
    if width * height > max_pixels and image.format in ("JPEG", "MPO"):
        # Ask for the power-of-two reduction that brings it under the limit; draft picks a scale
        # of at most 8 from the ratio of the sizes, so the floor division keeps the ratio whole.
        scale = 2
        while scale < 8 and (width // scale) * (height // scale) > max_pixels:
            scale *= 2
        image.draft(image.mode, (max(1, width // scale), max(1, height // scale)))
    if image.width * image.height > max_pixels:
        image.close()
        return None, f"{width}×{height} pixels is above the OCR limit of {max_pixels / 1e6:g} megapixels"
    if min(image.size) < MIN_SIDE:
        image.close()
        return None, f"{width}×{height} pixels is too thin to hold text"
    return image, None


def plan_tiles(width: int, height: int) -> tuple[list[Tile], int]:
    """The first `MAX_TILES` tiles covering the image along its long side, and how many it needs."""
    vertical = height >= width
    long, short = (height, width) if vertical else (width, height)
    length = max(short, TILE_SIDE)
    if long <= MAX_ASPECT * short and long <= length * SINGLE_PASS_STRETCH:
        return [Tile((0, 0, width, height), (0, long))], 1
    length = min(length, long)
    step = length - min(TILE_OVERLAP, length // 4)
    total = -(-(long - length) // step) + 1  # ceil; the last tile is aligned with the far edge
    # Padded on both sides: a short strip padded only across would be a flat canvas, enlarged again.
    across, along = max(short, DETECT_MIN_SIDE), max(length, DETECT_MIN_SIDE)
    canvas: tuple[int, int] | None = (across, along) if vertical else (along, across)
    if (across, along) == (short, length):
        canvas = None

    def start(i: int) -> int:
        return min(i * step, long - length)

    def boundary(i: int) -> int:
        """Between tile i and the next: the middle of their overlap."""
        return long if i == total - 1 else (start(i + 1) + start(i) + length) // 2

    tiles = []
    for i in range(min(total, MAX_TILES)):
        s = start(i)
        box = (0, s, width, s + length) if vertical else (s, 0, s + length, height)
        tiles.append(Tile(box, (0 if i == 0 else boundary(i - 1), boundary(i)), canvas))
    return tiles, total


def _read_tiles(image: Image.Image, time_budget: float, clock: Callable[[], float]) -> OcrResult:
    tiles, total = plan_tiles(*image.size)
    vertical = image.height >= image.width
    engine = _engine()
    deadline = clock() + time_budget
    lines: list[tuple[float, float, str]] = []
    skipped = None
    for done, tile in enumerate(tiles):
        if done and clock() >= deadline:
            skipped = f"read {done} of {total} parts of the image: the {time_budget:g} s OCR time ran out"
            break
        try:
            piece = _flat_rgb(image.crop(tile.box))
            if tile.canvas is not None:
                canvas = Image.new("RGB", tile.canvas, "white")
                canvas.paste(piece)
                piece = canvas
            result, _elapsed = engine(piece)
        except Exception:  # an exotic image is still evidence; it just has no text
            skipped = f"OCR failed on part {done + 1} of {total} of the image"
            break
        lines.extend(_kept_lines(result or [], tile, vertical))
    else:
        if total > len(tiles):
            skipped = f"read {len(tiles)} of {total} parts of the image: the limit is {MAX_TILES}"
    lines.sort(key=lambda t: (round(t[0] / 12), t[1]))  # same visual row within ~12 px
    return OcrResult("\n".join(text.strip() for _, _, text in lines) or None, skipped)


def _kept_lines(
    result: Sequence[Sequence[Any]], tile: Tile, vertical: bool
) -> list[tuple[float, float, str]]:
    """(top, left, text) in image coordinates of the confident lines centred in the tile's band."""
    left, upper = tile.box[0], tile.box[1]
    kept = []
    for box, text, score in result:
        if score < MIN_CONFIDENCE or not text.strip():
            continue
        along = [p[1] + upper if vertical else p[0] + left for p in box]
        if tile.keep[0] <= sum(along) / len(along) < tile.keep[1]:
            kept.append((box[0][1] + upper, box[0][0] + left, text))
    return kept


def _flat_rgb(tile: Image.Image) -> Image.Image:
    """RGB with any transparency laid on white, as a screenshot viewer shows it.

    rapidocr would otherwise turn RGBA into inverted colours and drop palette transparency.
    """
    if tile.mode in ("RGBA", "LA", "PA") or "transparency" in tile.info:
        rgba = tile.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return tile.convert("RGB")
