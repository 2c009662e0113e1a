"""Text from screenshots, with the optional `ocr` extra (rapidocr ships its models in its wheel)."""

from __future__ import annotations

from pathlib import Path


def available() -> bool:
    return False


def image_text(path: Path) -> str | None:
    return None
