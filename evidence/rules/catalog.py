"""The rule catalog (templates/rules/catalog.toml), its patterns and the text judgement, loaded."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from evidence.records import CATEGORIES
from evidence.resources import template_path
from evidence.rules.texts import Judgement, load_judgement

RULE_KEYS = {
    "id",
    "category",
    "version",
    "strength",
    "instruments",
    "explanation",
    "threshold",
    "day_start",
    "day_end",
    "strict_end",
    "weak_strength",
    "weak_instruments",
    "weak_explanation",
    "doubted",  # a suggestion rule: a cue's finding the model doubts
    "window_minutes",
    "min_messages",
    "min_senders",
    "min_calls",
    "caps",
}


def finding_key(rule: str, *parts: object) -> str:
    """A finding's stable identity: the rule and what it is about, never its current wording."""
    if len(parts) == 1:  # one finding per event: the common case, spared the list and the join
        return hashlib.sha256(f"{rule}|{parts[0]}".encode()).hexdigest()
    return hashlib.sha256("|".join([rule, *map(str, parts)]).encode()).hexdigest()


NEEDS = ("illegal-debt", "impersonation")  # what a filing's findings must show to cite an instrument


class CatalogError(ValueError):
    """The catalog file is inconsistent: a bug in the repository, not in the user's evidence."""


@dataclass(frozen=True)
class Rule:
    id: str
    category: int
    version: int
    strength: str
    instruments: tuple[str, ...]
    explanation: str
    params: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.params[key]


@dataclass(frozen=True)
class Catalog:
    rules: dict[str, Rule]
    instruments: dict[str, dict[str, str]]
    collection: re.Pattern[str]
    verification: re.Pattern[str]
    _names: dict[tuple[str, ...], tuple[str, ...]]

    @property
    def judgement(self) -> Judgement:
        """The text judgement, loaded on first use: a locker of recordings never needs it."""
        return load_judgement()

    def rule(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def instrument_names(self, keys: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        key = tuple(keys)
        names = self._names.get(key)
        if names is None:
            names = self._names[key] = tuple(self.instruments[k]["name"] for k in key)
        return names


def _rule(raw: dict[str, Any], instruments: dict[str, Any]) -> Rule:
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise CatalogError(f"rule {raw.get('id')}: unknown keys {sorted(unknown)}")
    for key in ("id", "category", "version", "strength", "instruments", "explanation"):
        if key not in raw:
            raise CatalogError(f"rule {raw.get('id')}: missing {key}")
    if raw["category"] not in CATEGORIES:
        raise CatalogError(f"rule {raw['id']}: category out of range")
    for name in [*raw["instruments"], *raw.get("weak_instruments", [])]:
        if name not in instruments:
            raise CatalogError(f"rule {raw['id']}: unknown instrument {name}")
    params = {
        k: v for k, v in raw.items() if k not in ("id", "category", "version", "strength", "explanation")
    }
    return Rule(
        raw["id"],
        raw["category"],
        raw["version"],
        raw["strength"],
        tuple(raw["instruments"]),
        raw["explanation"],
        params,
    )


@cache
def load_catalog() -> Catalog:
    with template_path("rules", "catalog.toml").open("rb") as f:
        data = tomllib.load(f)
    with template_path("rules", "patterns.toml").open("rb") as f:
        pats = tomllib.load(f)
    instruments = data["instruments"]
    for key, inst in instruments.items():
        if inst.get("mark") not in ("V1", "V2", "U"):
            raise CatalogError(f"instrument {key} lacks a verification mark")
        if inst.get("kind", "law") not in ("law", "guideline") or inst.get("needs") not in (None, *NEEDS):
            raise CatalogError(f"instrument {key}: kind is law or guideline, needs one of {NEEDS}")
    rules = {r["id"]: _rule(r, instruments) for r in data["rule"]}
    return Catalog(
        rules,
        instruments,
        re.compile(pats["collection"]),
        re.compile(pats["verification"], re.IGNORECASE),
        {},
    )
