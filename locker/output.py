"""Rendering for people (text on stdout) and scripts (one JSON document on stdout).

Text for people goes through `printable`: file names and message texts come from debt
collectors, and a raw escape sequence or newline in them could repaint the terminal or
forge lines of our output. JSON stays exact (its own escaping already covers this).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import click

from locker.app.views import iso_local  # the one time form of --json and of the tables

__all__ = ["display_width", "emit_json", "iso_local", "printable", "status", "table"]


def emit_json(doc: Any) -> None:
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=str))


# What a terminal would act on instead of show: C0 and C1 controls and DEL (escape sequences,
# newlines, carriage returns), Unicode line and paragraph separators, the bidirectional
# controls (U+202E can make "gpj.exe" read as "exe.jpg"), and lone surrogates (bytes of a
# file name that are not UTF-8, which would otherwise fail to print at all).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` safe to print on a terminal: control characters shown as escapes (\\x1b, \\n, \\u202e).

    Backslashes are left alone so ordinary text reads as it is; `--json` is the exact form.
    """
    return _UNSAFE.sub(_escape, text)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    """A plain aligned table; CJK characters count double so columns line up in a terminal.

    Every cell goes through `printable`, so a hostile name cannot break the layout.
    """
    cells = [[printable("" if c is None else str(c)) for c in r] for r in [headers, *rows]]
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
    """Progress and status go to stderr so stdout stays clean for --json; one line, made printable."""
    click.echo(printable(message), err=True)
