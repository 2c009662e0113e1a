"""Suggestions and doubts: what a statistical model reads in a text beside the rules.

The phrase rules (texts.py) are precise on the wording they were written from but literal: they
miss veiled threats ("一把火的事", "希望它能一直好好的"), threats told as a story
("你每天早上七点半出门…明天我们在垃圾站旁边等你") and dialect, and their guards miss many an
innocent look-alike (a group's rules naming 催收, a notice, a report). A small linear model over
the character 1-, 2- and 3-grams of the normalised text (digits masked) and the word classes it
contains (any word of words.toml's <kin>, <venue>, … is one feature, so a kinship word the corpus
never paired with a threat still counts), trained on the development part of the labelled corpus
(scripts/train_suggestions.py), does two things:

- it suggests a category the rules did not raise when its score reaches the category's threshold;
- it doubts a category the rules did raise when its score stays under the category's keep level.

It is a statistical guess, not a reading of the act, so neither is ever decided by it: a
suggestion is offered to the user to confirm with the words that weighed most ("依据：…"), and a
doubted finding is offered the same way with the rule's own words instead of being filed.

The model is a JSON file, templates/rules/judgement/suggestions.json: the word classes' lists as
trained (so editing words.toml never changes what a shipped model reads), per category a bias,
the two levels (set on corpus files no rule was written from) and a weight for each feature
kept, all integers in 1/scale of a log-odds unit so that scores are exact. Applying it is one
dictionary look-up per feature, a few tens of microseconds for a short message. Official
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

import ahocorasick

from evidence.resources import template_path
from evidence.rules.normalise import mask_digits, normalise

__all__ = [
    "MODEL_VERSION",
    "Suggester",
    "Suggestion",
    "WordClasses",
    "judged",
    "load_suggester",
    "ngrams",
    "read",
]

MODEL_VERSION = 3
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
    """The distinct character 1-, 2- and 3-grams of a normalised text."""
    pairs = list(map(add, normalised, normalised[1:]))
    return {*normalised, *pairs, *map(add, pairs, normalised[2:])}


class WordClasses:
    """Named word lists, each one feature: "<kin>" is present when any of its words is in the text.
    A feature's name is longer than three characters and starts with "<", so it is never an n-gram
    of a normalised text (normalise drops punctuation)."""

    def __init__(self, classes: dict[str, list[str]]) -> None:
        self._automaton: Any = None
        by_word: dict[str, list[str]] = {}
        for name in sorted(classes):
            for word in classes[name]:
                by_word.setdefault(word, []).append(f"<{name}>")
        if by_word:
            automaton = ahocorasick.Automaton()
            for word, names in by_word.items():
                automaton.add_word(word, tuple(names))
            automaton.make_automaton()
            self._automaton = automaton

    def present(self, normalised: str) -> set[str]:
        """The classes with a word in the text, as feature names ("<kin>")."""
        if self._automaton is None:
            return set()
        return {name for _, names in self._automaton.iter(normalised) for name in names}

    def features(self, normalised: str) -> set[str]:
        """The model's features of a normalised text: its n-grams and its word classes."""
        return ngrams(normalised) | self.present(normalised)


@dataclass(frozen=True)
class Suggester:
    """A loaded model: per category a bias, two levels and a table of feature weights.

    `thresholds`: where the rules did not raise the category, a score reaching it is suggested.
    `keeps`: where they did, a score under it makes the rules' finding doubtful: the model reads
    the whole message as unlike the violations it learnt (a report, a denial, a warning the cue's
    guards did not know), so the finding is offered to the user to confirm instead of filed.
    Both are chosen on corpus files no rule was written from (scripts/train_suggestions.py).

    Weights, biases and levels are integers in 1/scale of a log-odds unit, so a score is an exact
    integer sum: the same whatever order the features are met in."""

    words: WordClasses
    categories: tuple[int, ...]
    scale: int
    biases: tuple[int, ...]  # by index into categories
    thresholds: tuple[float, ...]  # a score must reach it; inf for a category never suggested
    keeps: tuple[float, ...]  # a rule's finding is filed when the score reaches it; -inf: always
    tables: tuple[dict[str, int], ...]  # feature → weight, by index into categories
    # The tables of the categories the model ever acts on merged for speed: feature → their
    # weights, in the order of `active` (0 where a table lacks it); one look-up per feature for all.
    active: tuple[int, ...] = field(init=False)
    merged: dict[str, tuple[int, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        active = tuple(
            k
            for k in range(len(self.categories))
            if self.thresholds[k] != math.inf or self.keeps[k] != -math.inf
        )
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
            WordClasses({name: list(words) for name, words in data["classes"].items()}),
            categories,
            int(header["scale"]),
            tuple(int(s["bias"]) for s in settings),
            tuple(math.inf if s["threshold"] is None else float(s["threshold"]) for s in settings),
            tuple(-math.inf if s["keep"] is None else float(s["keep"]) for s in settings),
            tuple({g: int(w) for g, w in data["weights"][str(c)].items()} for c in categories),
        )

    def scores(self, text: str) -> list[int]:
        """Each category's scaled log-odds for a text, in the order of self.categories."""
        grams = self.words.features(read(text))
        return [b + sum(map(t.get, grams, repeat(0))) for b, t in zip(self.biases, self.tables, strict=True)]

    def judge(self, text: str, raised: Collection[int]) -> tuple[list[Suggestion], frozenset[int]]:
        """What the model makes of a text the rules raised `raised` for: its suggestions of other
        categories, and the categories of `raised` it doubts."""
        if not self.active:
            return [], frozenset()
        normalised = read(text)
        grams = self.words.features(normalised)
        found = [w for w in map(self.merged.get, grams) if w is not None]
        sums = map(sum, zip(*found, strict=True)) if found else repeat(0)
        out = []
        doubted = []
        for k, total in zip(self.active, sums, strict=False):  # repeat(0) never ends
            category = self.categories[k]
            score = self.biases[k] + total
            if category in raised:
                if score < self.keeps[k]:
                    doubted.append(category)
            elif score >= self.thresholds[k]:
                reasons = self._reasons(normalised, grams, k)
                out.append(Suggestion(category, _probability(score / self.scale), reasons))
        return out, frozenset(doubted)

    def _reasons(self, normalised: str, grams: set[str], k: int) -> str:
        """The words that pushed category index k up most: the MAX_WORDS n-grams of largest
        positive weight (pairs and triples first: a single character explains little), where
        they overlap in the text merged into one phrase ("一把" and "把火" as "一把火"); none with
        a masked digit, which would quote "00天" for "15天". `normalised` is the text as the
        model read it (`read`), `grams` its n-grams (`ngrams`)."""
        table = self.tables[k]
        # a word class is not words of the text: quoted are only the n-grams
        weighed = [g for g in grams if table.get(g, 0) > 0 and "0" not in g and not g.startswith("<")]
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


def judged(text: str, raised: Collection[int]) -> tuple[list[Suggestion], frozenset[int]]:
    """The shipped model's suggestions beyond `raised` (what the rules raised for a text), and the
    categories of `raised` it doubts. Never call it for an official sender's message."""
    return load_suggester().judge(text, raised)
