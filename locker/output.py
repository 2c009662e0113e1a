"""Rendering for people (text on stdout) and scripts (one JSON document on stdout)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click


def iso_local(at: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the offset, in the locker's timezone (the contract's time form)."""
    return None if at is None else at.astimezone(tz).isoformat()


def emit_json(doc: Any) -> None:
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=str))


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    """A plain aligned table; CJK characters count double so columns line up in a terminal."""
    cells = [[("" if c is None else str(c)) for c in r] for r in [headers, *rows]]
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(headers))]
    for n, r in enumerate(cells):
        click.echo("  ".join(c + " " * (widths[i] - display_width(c)) for i, c in enumerate(r)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))


def display_width(text: str) -> int:
    return sum(2 if ord(ch) >= 0x1100 and _wide(ch) else 1 for ch in text)


def _wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")


def status(message: str) -> None:
    """Progress and status go to stderr so stdout stays clean for --json."""
    click.echo(message, err=True)
