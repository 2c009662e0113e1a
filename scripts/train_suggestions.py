"""Train the suggestion model (evidence/rules/suggest.py) from the judgement corpus, reproducibly.

The phrase rules miss veiled threats, threats told as stories and dialect. This script fits one
binary L2 logistic regression per text category (1, 4, 5, 6, 7, 8) over the distinct character
1-, 2- and 3-grams of suggest.read(text) and the word classes of words.toml present in it (each
plain-word list, its <references> expanded; a list written as patterns is left out), and
writes templates/rules/judgement/suggestions.json, which suggest.py applies in pure Python.

    .venv/bin/python scripts/train_suggestions.py            # rewrite the model file
    .venv/bin/python scripts/train_suggestions.py --check    # exit 1 if the file is stale

What it learns from, and what it never sees:

- Only the development four fifths of tests/data/judgement/*.jsonl. The held-out fifth is
  selected exactly as bench/judgement.py selects it (that module is imported, not copied), so
  the benchmark's held-out score stays a measure of wording nobody trained on.
- Messages from official senders (court, police, regulator) are left out: the caller never asks
  about them, and a real court's notice would teach category 7 the wrong lesson.

Each category has two levels, both set from the model's own out-of-fold scores (5-fold
cross-validation over the development set) on the CALIBRATION files only: corpus files no rule
was ever written from, so that what the rules catch and miss there is what they catch and miss on
wording nobody here wrote. (On the other files the rules were written from those very messages and
miss almost none of them: levels set there suggested nearly nothing on unseen wording.)

- threshold: among calibration messages the rules did not raise the category for, the lowest
  score at which the model's calls are still SUGGESTION_PRECISION right (with MIN_RIGHT right);
  null (never suggested) where none is.
- keep: among calibration messages the rules did raise it for, the level under which their
  finding is doubted and only offered to the user: where the wrong findings doubted less
  RIGHT_DOUBTED_COST times the right ones doubted is greatest (with MIN_WRONG wrong, at most
  MAX_DOUBTED of them doubted); null (always filed) where doubting gains nothing.

Messages the rules missed are weighted RESIDUAL_WEIGHT times in training, since those are the
ones the model is for.

Deterministic: folds come from a hash of the message id, the optimiser is plain full-batch
Nesterov gradient descent from zero for a fixed number of steps, features are indexed in sorted
order, and weights are rounded to integers in 1/SCALE of a log-odds unit (so scores are exact
integer sums, the same in any order) and written with sorted keys: re-running the script
reproduces the file byte for byte. Needs numpy (already installed with
the OCR extras); the runtime does not.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import re
import sys
import tomllib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: import the checkout's packages
    sys.path.insert(0, str(ROOT))

from evidence.rules import load_catalog  # noqa: E402
from evidence.rules.suggest import MODEL_VERSION, WordClasses, read  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "judgement"
OUTPUT = ROOT / "templates" / "rules" / "judgement" / "suggestions.json"
WORDS = ROOT / "templates" / "rules" / "judgement" / "words.toml"
CATEGORIES = (1, 4, 5, 6, 7, 8)

MIN_DOCUMENT_FREQUENCY = 2  # an n-gram seen in one message only is that message, not a pattern
L2 = 1e-4  # on the mean log-loss
STEPS = 400
STEP_SIZE = 1.0
MOMENTUM = 0.9
RESIDUAL_WEIGHT = 3.0  # weight of a positive message the rules missed, relative to the others
KEEP = 6000  # n-grams kept per category, largest |weight| first (3,000 cost category 1 its recall)
SCALE = 10_000  # weights, bias and threshold are written as integers, in 1/SCALE of a log-odds unit
FOLDS = 5
# Files no rule or guard was written from (tests/data/judgement/README.md): they set the levels.
CALIBRATION = tuple(f"corpus-{x}.jsonl" for x in "fghijklm")
SUGGESTION_PRECISION = 0.85  # of the model's calls where the rules were silent
# A right finding doubted (the user must confirm it) costs this many wrong ones filed: a wrong
# finding in a complaint costs the borrower's credibility, a doubted right one a click.
RIGHT_DOUBTED_COST = 2.0
MAX_DOUBTED = 0.25  # of the rules' findings in a category, at most
MIN_WRONG = 3  # wrong findings among those doubted, at least, before a keep level is trusted
MIN_RIGHT = 3  # right out-of-fold suggestions needed before a threshold is trusted


def load_bench() -> ModuleType:
    """bench/judgement.py, for its corpus reader and its held-out selection (not a package)."""
    spec = importlib.util.spec_from_file_location("bench_judgement", ROOT / "bench" / "judgement.py")
    if spec is None or spec.loader is None:
        raise ImportError("bench/judgement.py not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_judgement", module)
    spec.loader.exec_module(module)
    return module


def fold_of(message_id: str) -> int:
    """The cross-validation fold of a development message: from the same hash as the held-out
    selection, but its quotient by 5, so folds are independent of being held out."""
    return (int(hashlib.sha256(message_id.encode()).hexdigest(), 16) // 5) % FOLDS


_PLAIN_WORD = re.compile(r"[0-9a-z\u3400-\u9fff]+")
_REFERENCE = re.compile(r"<([a-z_]+)>")


def word_classes(path: Path = WORDS) -> dict[str, list[str]]:
    """words.toml's plain-word lists, references to earlier lists expanded, as sorted unique words.
    An alternative that is a pattern rather than a word ((?<!…), [^…]) is left out of its list."""
    lists = tomllib.loads(path.read_text(encoding="utf-8"))["words"]
    classes: dict[str, list[str]] = {}
    for name, value in lists.items():
        if not isinstance(value, str):
            continue
        words: set[str] = set()
        for alternative in value.split("|"):
            reference = _REFERENCE.fullmatch(alternative)
            if reference:
                words.update(classes.get(reference.group(1), ()))
            elif _PLAIN_WORD.fullmatch(alternative):
                words.add(alternative)
        if words:
            classes[name] = sorted(words)
    return classes


class Data:
    """The training messages, as their feature sets, as a sparse binary matrix over a sorted
    feature vocabulary."""

    def __init__(self, grams: Sequence[set[str]]) -> None:
        df: Counter[str] = Counter()
        for g in grams:
            df.update(g)
        self.vocabulary = sorted(f for f, n in df.items() if n >= MIN_DOCUMENT_FREQUENCY)
        index = {f: i for i, f in enumerate(self.vocabulary)}
        self.rows = [np.array(sorted(index[f] for f in g if f in index), dtype=np.int64) for g in grams]

    def matrix(self, select: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and row numbers of the non-zero entries of the selected rows."""
        rows = [self.rows[i] for i in select]
        columns = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        row_of = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
        return columns, row_of


def fit(data: Data, select: np.ndarray, y: np.ndarray, sample_weight: np.ndarray) -> tuple[np.ndarray, float]:
    """L2 logistic regression by full-batch Nesterov gradient descent, STEPS steps from zero."""
    columns, row_of = data.matrix(select)
    n, v = len(select), len(data.vocabulary)
    sw = sample_weight / sample_weight.sum()
    w, b = np.zeros(v), 0.0
    vw, vb = np.zeros(v), 0.0
    for _ in range(STEPS):
        wl, bl = w + MOMENTUM * vw, b + MOMENTUM * vb
        z = np.bincount(row_of, weights=wl[columns], minlength=n) + bl
        residual = (1.0 / (1.0 + np.exp(-z)) - y) * sw
        gw = np.bincount(columns, weights=residual[row_of], minlength=v) + L2 * wl
        gb = float(residual.sum())
        vw, vb = MOMENTUM * vw - STEP_SIZE * gw, MOMENTUM * vb - STEP_SIZE * gb
        w, b = w + vw, b + vb
    return w, b


def prune(vocabulary: Sequence[str], w: np.ndarray, b: float) -> tuple[dict[str, int], int]:
    """The KEEP n-grams of largest |weight|, as the integers written (ties broken by n-gram)."""
    scaled = [(round(float(x) * SCALE), f) for f, x in zip(vocabulary, w, strict=True)]
    kept = sorted((p for p in scaled if p[0]), key=lambda p: (-abs(p[0]), p[1]))[:KEEP]
    return {f: x for x, f in kept}, round(b * SCALE)


def apply(weights: dict[str, int], bias: int, features: set[str]) -> int:
    """The scaled log-odds suggest.py computes for a text's features: integers, so exact in any order."""
    return bias + sum(weights.get(g, 0) for g in features)


def choose_threshold(scores: Sequence[int], right: Sequence[bool]) -> dict[str, Any]:
    """The lowest threshold keeping out-of-fold precision ≥ SUGGESTION_PRECISION (with MIN_RIGHT
    right) over calibration messages the rules were silent on, halfway between the last score
    suggested and the next; threshold None when none does."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    best, hits = None, 0
    for k, i in enumerate(order, 1):
        hits += right[i]
        if hits >= MIN_RIGHT and hits >= SUGGESTION_PRECISION * k:
            best = (k, hits)
    labelled = sum(right)
    if best is None:
        return {"threshold": None, "suggested": 0, "suggested_right": 0, "missed_by_rules": labelled}
    k, hits = best
    last = scores[order[k - 1]]
    after = scores[order[k]] if k < len(order) else last - SCALE
    return {
        "threshold": (last + after + 1) // 2,  # suggested when the scaled log-odds reach it
        "suggested": k,
        "suggested_right": hits,
        "missed_by_rules": labelled,
    }


def choose_keep(scores: Sequence[int], right: Sequence[bool]) -> dict[str, Any]:
    """The level under which a rule's finding is doubted: doubting the rules' findings least alike
    first, where the wrong ones doubted less RIGHT_DOUBTED_COST times the right ones is greatest
    (with at least MIN_WRONG wrong, at most MAX_DOUBTED of all), halfway between the last score
    doubted and the next; keep None when doubting gains nothing."""
    order = sorted(range(len(scores)), key=lambda i: (scores[i], i))  # the least alike first
    n = len(order)
    found, best, gain, wrong = 0, 0.0, 0.0, 0
    for d in range(1, int(MAX_DOUBTED * n) + 1):
        is_right = right[order[d - 1]]
        wrong += not is_right
        gain += -RIGHT_DOUBTED_COST if is_right else 1.0
        if gain > best and wrong >= MIN_WRONG:
            found, best = d, gain
    summary = {"raised_by_rules": n, "raised_right": sum(right)}
    if not found:
        return {"keep": None, **summary, "doubted": 0, "doubted_right": 0}
    last = scores[order[found - 1]]
    after = scores[order[found]] if found < n else last + SCALE
    return {
        "keep": (last + after + 1) // 2,  # filed when the scaled log-odds reach it
        **summary,
        "doubted": found,
        "doubted_right": sum(right[i] for i in order[:found]),
    }


def corpus_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.jsonl"))}


def build(corpus: Path = CORPUS, log: bool = False) -> bytes:
    """The model file's bytes, trained on the development four fifths of the corpus."""
    bench = load_bench()
    messages, problems, _ = bench.load_corpus(corpus)
    if problems:
        raise ValueError(f"corpus lines skipped: {problems[:3]}")
    dev = [m for m in messages if not bench.is_held_out(m.id) and not m.official]
    judgement = load_catalog().judgement
    # as the text findings judge it: a collector's or lender's number is known to collect
    raised = [{h.category for h in bench.text_hits(m.text, judgement, False, m.collecting)} for m in dev]
    classes = word_classes()
    words = WordClasses(classes)
    features = [words.features(read(m.text)) for m in dev]
    data = Data(features)
    folds = np.array([fold_of(m.id) for m in dev])
    everyone = np.arange(len(dev))
    calibration = [i for i, m in enumerate(dev) if m.file in CALIBRATION]
    if not calibration:
        raise ValueError(f"no development message from the calibration files {', '.join(CALIBRATION)}")

    per_category: dict[str, dict[str, Any]] = {}
    tables: dict[str, dict[str, int]] = {}
    for c in CATEGORIES:
        y = np.array([c in m.categories for m in dev], dtype=float)
        unflagged = np.array([c not in r for r in raised])
        sample_weight = np.where(unflagged & (y == 1), RESIDUAL_WEIGHT, 1.0)
        scores = [0] * len(dev)
        for k in range(FOLDS):
            train = everyone[folds != k]
            weights, bias = prune(data.vocabulary, *fit(data, train, y[train], sample_weight[train]))
            for i in everyone[folds == k]:
                scores[i] = apply(weights, bias, features[i])
        silent = [i for i in calibration if unflagged[i]]
        loud = [i for i in calibration if not unflagged[i]]
        chosen = {
            **choose_threshold([scores[i] for i in silent], [bool(y[i]) for i in silent]),
            **choose_keep([scores[i] for i in loud], [bool(y[i]) for i in loud]),
        }
        weights, bias = prune(data.vocabulary, *fit(data, everyone, y, sample_weight))
        per_category[str(c)] = {"bias": bias, **chosen}
        tables[str(c)] = weights
        if log:
            print(f"category {c}: {chosen}", file=sys.stderr)

    header = {
        "version": MODEL_VERSION,
        "corpus": corpus_hashes(corpus),
        "trained_on": (
            f"development four fifths of the corpus (held-out fifth as in bench/judgement.py excluded),"
            f" official senders excluded: {len(dev)} messages"
        ),
        "features": (
            "distinct character 1-, 2- and 3-grams of evidence.rules.suggest.read(text)"
            " (normalised, digits masked), and <name> for each word class in `classes` with a word in it"
        ),
        "model": (
            "per category, L2 logistic regression: log-odds = (bias + sum of the weights of the n-grams"
            " present) / scale; suggested when bias + sum >= threshold (null: never)"
        ),
        "scale": SCALE,
        "training": {
            "l2": L2,
            "steps": STEPS,
            "step_size": STEP_SIZE,
            "momentum": MOMENTUM,
            "min_document_frequency": MIN_DOCUMENT_FREQUENCY,
            "residual_weight": RESIDUAL_WEIGHT,
            "kept_per_category": KEEP,
            "folds": FOLDS,
            "calibration_files": list(CALIBRATION),
            "calibrated_on": (
                f"out-of-fold scores of the development messages of {', '.join(CALIBRATION)}"
                f" (no rule written from them): {len(calibration)} messages"
            ),
            "suggestion_precision": SUGGESTION_PRECISION,
            "right_doubted_cost": RIGHT_DOUBTED_COST,
            "min_wrong": MIN_WRONG,
            "max_doubted": MAX_DOUBTED,
            "min_right": MIN_RIGHT,
        },
        "categories": per_category,
    }
    model = {"header": header, "classes": classes, "weights": tables}
    text = json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--check", action="store_true", help="exit 1 if the model file differs from a fresh build"
    )
    ap.add_argument("--out", type=Path, default=OUTPUT, help=f"where to write (default {OUTPUT})")
    a = ap.parse_args(argv)
    built = build(log=True)
    if a.check:
        same = a.out.is_file() and a.out.read_bytes() == built
        print(f"{a.out}: {'up to date' if same else 'stale: re-run scripts/train_suggestions.py'}")
        return 0 if same else 1
    a.out.write_bytes(built)
    print(f"wrote {a.out} ({len(built):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
