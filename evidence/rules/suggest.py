"""Suggestions: categories a statistical model reads in a text that the rules did not raise.

The phrase rules (texts.py) are precise but literal: they miss veiled threats ("一把火的事",
"希望它能一直好好的"), threats told as a story ("你每天早上七点半出门…明天我们在垃圾站旁边等你")
and dialect. A small linear model over the character 1-, 2- and 3-grams of the normalised text
(digits masked), trained on the development part of the labelled corpus
(scripts/train_suggestions.py), catches some of them. It is a statistical guess, not a reading
of the act, so what it alone raises is only ever a suggestion for the user to confirm, never
filed automatically: the caller shows it with the words that weighed most ("依据：…") and
leaves the decision to the user.

The model is a JSON file, templates/rules/judgement/suggestions.json: per category a bias, a
decision threshold chosen by cross-validation on the development set, and a weight for each
n-gram kept, all integers in 1/scale of a log-odds unit so that scores are exact. Applying it
is one dictionary look-up per n-gram, a few tens of microseconds for a short message. Official
senders' messages are never passed in (the caller drops them).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from itertools import repeat
from operator import add
from pathlib import Path
from typing import Any

from evidence.resources import template_path
from evidence.rules.normalise import mask_digits, normalise

__all__ = ["MODEL_VERSION", "Suggester", "Suggestion", "load_suggester", "ngrams", "read", "suggested"]

MODEL_VERSION = 2
NGRAM_SIZES = (1, 2, 3)
MAX_WORDS = 5  # n-grams quoted as the reason for a suggestion
WORDS_SEPARATOR = "、"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A category the model reads in a text: score is its probability-like confidence (0–1),
    words the n-grams of the normalised text that weighed most for it, joined by "、"."""

    category: int
    score: float
    words: str


def read(text: str) -> str:
    """The text as the model reads it: normalised, its digits masked (a 0 for each). An amount's
    value says nothing about the act, and texts that differ only in digits get one answer."""
    return normalise(mask_digits(text))


def ngrams(normalised: str) -> set[str]:
    """The distinct character 1-, 2- and 3-grams of a normalised text: the model's features."""
    pairs = list(map(add, normalised, normalised[1:]))
    return {*normalised, *pairs, *map(add, pairs, normalised[2:])}


@dataclass(frozen=True)
class Suggester:
    """A loaded model: per category a bias, a threshold and a table of n-gram weights.

    Weights, biases and thresholds are integers in 1/scale of a log-odds unit, so a score is an
    exact integer sum: the same whatever order the n-grams are met in."""

    categories: tuple[int, ...]
    scale: int
    biases: tuple[int, ...]  # by index into categories
    thresholds: tuple[float, ...]  # a score must reach it; inf for a category never suggested
    tables: tuple[dict[str, int], ...]  # n-gram → weight, by index into categories
    # The tables of the categories ever suggested merged for speed: n-gram → their weights, in the
    # order of `active` (0 where a table lacks the n-gram); one look-up per n-gram for them all.
    active: tuple[int, ...] = field(init=False)
    merged: dict[str, tuple[int, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        active = tuple(k for k, t in enumerate(self.thresholds) if t != math.inf)
        grams = sorted({g for k in active for g in self.tables[k]})
        merged = {g: tuple(self.tables[k].get(g, 0) for k in active) for g in grams}
        object.__setattr__(self, "active", active)
        object.__setattr__(self, "merged", merged)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Suggester:
        header = data["header"]
        if header.get("version") != MODEL_VERSION:
            raise ValueError(
                f"suggestions model: version {header.get('version')!r}, expected {MODEL_VERSION}"
            )
        per_category = header["categories"]
        categories = tuple(sorted(int(c) for c in per_category))
        settings = [per_category[str(c)] for c in categories]
        return cls(
            categories,
            int(header["scale"]),
            tuple(int(s["bias"]) for s in settings),
            tuple(math.inf if s["threshold"] is None else float(s["threshold"]) for s in settings),
            tuple({g: int(w) for g, w in data["weights"][str(c)].items()} for c in categories),
        )

    def scores(self, text: str) -> list[int]:
        """Each category's scaled log-odds for a text, in the order of self.categories."""
        grams = ngrams(read(text))
        return [b + sum(map(t.get, grams, repeat(0))) for b, t in zip(self.biases, self.tables, strict=True)]

    def suggest(self, text: str, already: Collection[int]) -> list[Suggestion]:
        if not self.active:
            return []
        normalised = read(text)
        grams = ngrams(normalised)
        found = [w for w in map(self.merged.get, grams) if w is not None]
        sums = map(sum, zip(*found, strict=True)) if found else repeat(0)
        out = []
        for k, total in zip(self.active, sums, strict=False):  # repeat(0) never ends
            category = self.categories[k]
            score = self.biases[k] + total
            if score >= self.thresholds[k] and category not in already:
                reasons = self._reasons(normalised, grams, k)
                out.append(Suggestion(category, _probability(score / self.scale), reasons))
        return out

    def _reasons(self, normalised: str, grams: set[str], k: int) -> str:
        """The words that pushed category index k up most: the MAX_WORDS n-grams of largest
        positive weight (pairs and triples first: a single character explains little), where
        they overlap in the text merged into one phrase ("一把" and "把火" as "一把火"); none with
        a masked digit, which would quote "00天" for "15天". `normalised` is the text as the
        model read it (`read`), `grams` its n-grams (`ngrams`)."""
        table = self.tables[k]
        weighed = [g for g in grams if table.get(g, 0) > 0 and "0" not in g]
        ranked = sorted((-table[g], g) for g in weighed if len(g) > 1)
        if not ranked:
            ranked = sorted((-table[g], g) for g in weighed)
        top = [g for _, g in ranked[:MAX_WORDS]]
        covered = [-1] * len(normalised)  # which of top first covers each character
        for rank, gram in enumerate(top):
            at = normalised.find(gram)
            for i in range(at, at + len(gram)):
                if covered[i] < 0 or covered[i] > rank:
                    covered[i] = rank
        phrases: list[tuple[int, str]] = []  # (best rank in the phrase, phrase), in text order
        start = None
        for i in range(len(normalised) + 1):
            inside = i < len(normalised) and covered[i] >= 0
            if inside and start is None:
                start = i
            elif not inside and start is not None:
                phrases.append((min(covered[start:i]), normalised[start:i]))
                start = None
        return WORDS_SEPARATOR.join(dict.fromkeys(p for _, p in sorted(phrases)))


def _probability(log_odds: float) -> float:
    if log_odds >= 0:
        return 1.0 / (1.0 + math.exp(-log_odds))
    e = math.exp(log_odds)
    return e / (1.0 + e)


def read_suggester(path: Path) -> Suggester:
    return Suggester.from_json(json.loads(path.read_text(encoding="utf-8")))


@cache
def load_suggester() -> Suggester:
    """The shipped model (templates/rules/judgement/suggestions.json), read once."""
    return read_suggester(template_path("rules", "judgement", "suggestions.json"))


def suggested(text: str, already: Collection[int]) -> list[Suggestion]:
    """The categories the model reads in a text beyond `already` (what the rules raised for it),
    each with its confidence and the words that weighed most. Never call it for an official
    sender's message: a court's own notice is what it says."""
    return load_suggester().suggest(text, already)
