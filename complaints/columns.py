"""How the bundle's tables and the PDFs name things in Chinese (templates/bundle/columns.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from evidence.resources import resource_dir


@dataclass(frozen=True)
class Columns:
    """The bundle's tables in Chinese (templates/bundle/columns.toml): headers with their English
    meaning, and the names of coded values."""

    events: tuple[tuple[str, str], ...]
    findings: tuple[tuple[str, str], ...]
    values: dict[str, dict[str, str]]

    def name(self, kind: str, value: object) -> object:
        """A stored code as the tables write it: its Chinese name, or itself."""
        if isinstance(value, bool):
            return self.values["bool"]["true" if value else "false"]
        return self.values[kind].get(value, value) if isinstance(value, str) else value


@cache
def columns() -> Columns:
    with (resource_dir("templates") / "bundle" / "columns.toml").open("rb") as f:
        raw = tomllib.load(f)
    return Columns(
        tuple(map(tuple, raw["events"])),  # type: ignore[arg-type]
        tuple(map(tuple, raw["findings"])),  # type: ignore[arg-type]
        raw["values"],
    )
