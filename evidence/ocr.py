"""Text from screenshots, with the optional `ocr` extra.

rapidocr-onnxruntime carries its detection and recognition models inside its wheel, so
nothing is downloaded at run time. Without the extra, screenshots are still sealed and
dated; they just carry no text for the rules.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import cache
from pathlib import Path
from typing import Any

MIN_CONFIDENCE = 0.5


def available() -> bool:
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


@cache
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    # rapidocr logs each call at INFO; keep recognised text out of any log handler.
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return RapidOCR()


def image_text(path: Path) -> str | None:
    """The text of an image in reading order (top to bottom, then left to right), or None."""
    try:
        result, _elapsed = _engine()(str(path))
    except Exception:  # a broken or exotic image is still evidence; it just has no text
        return None
    if not result:
        return None
    lines = [
        (box[0][1], box[0][0], text)
        for box, text, score in result
        if score >= MIN_CONFIDENCE and text.strip()
    ]
    lines.sort(key=lambda t: (round(t[0] / 12), t[1]))  # same visual row within ~12 px
    return "\n".join(text.strip() for _, _, text in lines) or None
