"""Benchmark: the text judgement against the labelled corpus: precision, recall, false alarms, speed.

The corpus is tests/data/judgement/*.jsonl; its README gives the format and the labelling rules.
By default only the held-out fifth is judged (a message is held out when
int(sha256(id), 16) % 5 == 0): patterns are written from the other four fifths, so this is the
score on messages nobody tuned a pattern on. A measurement, not a test: it always exits 0.

    .venv/bin/python bench/judgement.py                    # the held-out fifth
    .venv/bin/python bench/judgement.py --all              # every message
    .venv/bin/python bench/judgement.py --dev --show-misses 6   # misses a pattern may learn from
    .venv/bin/python bench/judgement.py --fold a --show-misses 6  # learn from half a ...
    .venv/bin/python bench/judgement.py --fold b                  # ... and see if it holds on half b
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evidence.rules import Catalog, load_catalog
from evidence.rules.normalise import heard_span, normalise, phonetic, variants
from evidence.rules.suggest import judged as model_judged
from evidence.rules.texts import text_hits

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "judgement"
CATEGORIES = (1, 4, 5, 6, 7, 8)
OFFICIAL_SENDERS = frozenset({"court", "police", "regulator"})  # legal-process claims count from others
# Senders the findings know to collect: only a collector's number reaches the text findings (its
# party link, or its other messages are collection), so veiled menace is read with that known.
COLLECTING_SENDERS = frozenset({"collector", "lender"})
KEYS = ("id", "text", "sender", "categories", "note", "source")
TIMING_SECONDS = 0.5  # time spent measuring the cost per message


@dataclass(frozen=True)
class Message:
    id: str
    text: str
    sender: str
    categories: frozenset[int]
    note: str
    source: str
    file: str

    @property
    def official(self) -> bool:
        return self.sender.strip().lower() in OFFICIAL_SENDERS

    @property
    def collecting(self) -> bool:
        return self.sender.strip().lower() in COLLECTING_SENDERS


def is_held_out(message_id: str) -> bool:
    """The fixed held-out fifth: never write a pattern from these messages."""
    return int(hashlib.sha256(message_id.encode()).hexdigest(), 16) % 5 == 0


def fold(message_id: str) -> str:
    """Which half of the development set a message is in, "a" or "b": write patterns from one
    half's misses and measure on the other, to see whether they hold on wording not read."""
    return "ab"[(int(hashlib.sha256(message_id.encode()).hexdigest(), 16) // 5) % 2]


def parse_message(raw: object, file: str) -> Message:
    """One corpus line as a Message; ValueError says what is wrong with it."""
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    missing = [k for k in KEYS if k not in raw]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    if not isinstance(raw["id"], str) or not raw["id"]:
        raise ValueError("id is not a non-empty string")
    if not isinstance(raw["text"], str):
        raise ValueError("text is not a string")
    cats = raw["categories"]
    if not isinstance(cats, list) or any(type(c) is not int or c not in CATEGORIES for c in cats):
        raise ValueError(f"categories {cats!r}: a list of {', '.join(map(str, CATEGORIES))}")
    return Message(
        raw["id"],
        raw["text"],
        str(raw["sender"] or ""),
        frozenset(cats),
        str(raw["note"] or ""),
        str(raw["source"] or ""),
        file,
    )


def load_corpus(folder: Path) -> tuple[list[Message], list[str], Counter[str]]:
    """Every message of every *.jsonl file, the problems met (line by line) and counts per file."""
    messages: list[Message] = []
    problems: list[str] = []
    per_file: Counter[str] = Counter()
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                message = parse_message(json.loads(line), path.name)
            except ValueError as e:  # json.JSONDecodeError is one
                problems.append(f"{where}: {e}")
                continue
            if message.id in seen:
                problems.append(f"{where}: id {message.id!r} already used at {seen[message.id]}")
                continue
            seen[message.id] = where
            messages.append(message)
            per_file[path.name] += 1
    return messages, problems, per_file


def judge(
    messages: Iterable[Message], catalog: Catalog, speaker_known: bool = True
) -> dict[str, frozenset[int]]:
    """What today's rules raise for each message (by id): as the text findings judge it, with a
    collector's or lender's number known to collect; or, speaker_known False, on the words alone,
    as when a number is first met."""
    return {
        m.id: frozenset(
            h.category
            for h in text_hits(m.text, catalog.judgement, m.official, speaker_known and m.collecting)
        )
        for m in messages
    }


def with_model(
    messages: Iterable[Message], raised: dict[str, frozenset[int]]
) -> tuple[dict[str, frozenset[int]], dict[str, frozenset[int]]]:
    """Given what the rules raise (`judge`), by message id: what is filed, the categories the model
    does not doubt; and everything raised or suggested, the doubted findings and the model's
    suggestions included (offered to the user, never filed), as evidence.rules.text_findings does.
    An official sender's message is not read by the model."""
    filed, offered = {}, {}
    for m in messages:
        suggestions, doubted = ((), frozenset()) if m.official else model_judged(m.text, raised[m.id])
        filed[m.id] = raised[m.id] - doubted
        offered[m.id] = raised[m.id] | {s.category for s in suggestions}
    return filed, offered


@dataclass(frozen=True)
class Score:
    labelled: int
    raised: int
    right: int

    @property
    def missed(self) -> int:
        return self.labelled - self.right

    @property
    def false(self) -> int:
        return self.raised - self.right


def score(messages: Sequence[Message], raised: dict[str, frozenset[int]], category: int) -> Score:
    labelled = sum(category in m.categories for m in messages)
    hits = sum(category in raised[m.id] for m in messages)
    right = sum(category in m.categories and category in raised[m.id] for m in messages)
    return Score(labelled, hits, right)


def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "–"


def per_message_seconds(messages: Sequence[Message], work: Callable[[Message], object]) -> tuple[float, int]:
    """Median seconds per message of work(message) over rounds lasting TIMING_SECONDS in all,
    after one round untimed (loading OpenCC and pypinyin, filling per-character tables)."""
    for m in messages:
        work(m)
    rounds: list[float] = []
    start = time.perf_counter()
    while not rounds or (time.perf_counter() - start < TIMING_SECONDS and len(rounds) < 1000):
        t = time.perf_counter()
        for m in messages:
            work(m)
        rounds.append((time.perf_counter() - t) / len(messages))
    return statistics.median(rounds), len(rounds)


def print_table(
    messages: Sequence[Message], raised: dict[str, frozenset[int]], names: dict[int, str]
) -> None:
    print(
        f"{'cat':>3}  {'rule':<20} {'labelled':>8} {'raised':>6} {'right':>5} {'missed':>6} {'false':>5}"
        f"  {'precision':>9} {'recall':>6}"
    )
    total = Score(0, 0, 0)
    for c in CATEGORIES:
        s = score(messages, raised, c)
        total = Score(total.labelled + s.labelled, total.raised + s.raised, total.right + s.right)
        print(
            f"{c:>3}  {names.get(c, '?'):<20} {s.labelled:>8} {s.raised:>6} {s.right:>5} {s.missed:>6}"
            f" {s.false:>5}  {ratio(s.right, s.raised):>9} {ratio(s.right, s.labelled):>6}"
        )
    t = total
    print(
        f"{'all':>3}  {'(every category)':<20} {t.labelled:>8} {t.raised:>6} {t.right:>5} {t.missed:>6}"
        f" {t.false:>5}  {ratio(t.right, t.raised):>9} {ratio(t.right, t.labelled):>6}"
    )
    innocent = [m for m in messages if not m.categories]
    alarmed = sum(bool(raised[m.id]) for m in innocent)
    rate = f"{100 * alarmed / len(innocent):.1f}%" if innocent else "–"
    print(f"innocent messages: {len(innocent)}, raising any category: {alarmed} (false-alarm rate {rate})")
    exact = sum(raised[m.id] == m.categories for m in messages)
    print(f"exactly right (all labelled categories and no other): {exact} of {len(messages)}")


def flat(text: str) -> str:
    return " ".join(text.split())


def show_misses(
    messages: Sequence[Message], raised: dict[str, frozenset[int]], category: int, name: str, which: str
) -> None:
    print()
    print(f"category {category} ({name}), {which}:")
    if not which.startswith("development"):
        print("  (held-out messages among these: read to understand, never write a pattern from them)")
    missed = [m for m in messages if category in m.categories and category not in raised[m.id]]
    false = [m for m in messages if category in raised[m.id] and category not in m.categories]
    for title, group in (
        ("missed (labelled, not raised)", missed),
        ("false alarms (raised, not labelled)", false),
    ):
        print(f"  {title}: {len(group)}")
        for m in group:
            note = f"  # {flat(m.note)}" if m.note else ""
            print(f"    {m.id}  [{m.sender}]  {flat(m.text)}")
            print(f"        labelled {sorted(m.categories)}  raised {sorted(raised[m.id])}{note}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="judge every message, not only the held-out fifth")
    which.add_argument("--dev", action="store_true", help="judge the four fifths that patterns come from")
    which.add_argument(
        "--fold",
        choices=("a", "b"),
        help="judge one half of the development set (learn from one half's misses, measure on the other)",
    )
    ap.add_argument(
        "--show-misses", type=int, choices=CATEGORIES, metavar="CAT", help="list misses and false alarms"
    )
    ap.add_argument("--corpus", type=Path, default=CORPUS, help=f"folder of *.jsonl files (default {CORPUS})")
    a = ap.parse_args(argv)

    messages, problems, per_file = load_corpus(a.corpus)
    files = ", ".join(f"{name} {n}" for name, n in sorted(per_file.items()))
    print(f"corpus: {a.corpus} ({files or 'no *.jsonl files'}): {len(messages)} messages")
    for p in problems:
        print(f"  skipped {p}", file=sys.stderr)
    if problems:
        print(f"  {len(problems)} lines skipped (listed on stderr)")
    if a.all:
        chosen, label = messages, "every message"
    elif a.dev:
        chosen, label = [m for m in messages if not is_held_out(m.id)], "development four fifths"
    elif a.fold:
        chosen = [m for m in messages if not is_held_out(m.id) and fold(m.id) == a.fold]
        label = f"development half {a.fold}"
    else:
        chosen, label = [m for m in messages if is_held_out(m.id)], "held-out fifth"
    senders = Counter(m.sender or "(none)" for m in chosen)
    by_sender = ", ".join(f"{s} {n}" for s, n in senders.most_common())
    print(f"judged: {label}, {len(chosen)} messages; senders: {by_sender}")
    if not chosen:
        print("nothing to judge")
        return 0

    catalog = load_catalog()
    names = {r.category: r.id for r in catalog.rules.values() if r.id.startswith("text-")}
    raised = judge(chosen, catalog)
    filed, suggested_too = with_model(chosen, raised)
    print()
    print("filed (the rules' findings the model does not doubt):")
    print_table(chosen, filed, names)
    print()
    print("the rules alone (before the model's doubt):")
    print_table(chosen, raised, names)
    # Counted as raised, the doubted findings and the suggestions show what a user who confirms
    # the right ones and dismisses the rest would end with, and what it costs them.
    print()
    print(
        "with everything offered to the user counted as raised (the doubted findings and the model's"
        " suggestions, never filed: the user confirms or dismisses each):"
    )
    print_table(chosen, suggested_too, names)
    print()
    print("on the words alone (the sender's role unknown, as when a number is first met), the rules alone:")
    print_table(chosen, judge(chosen, catalog, speaker_known=False), names)

    seconds, rounds = per_message_seconds(
        chosen, lambda m: text_hits(m.text, catalog.judgement, m.official, m.collecting)
    )

    def cold(m: Message) -> None:  # a text never seen before: normalisation and sounds from scratch
        for memo in (normalise, phonetic, variants, heard_span):
            memo.cache_clear()
        text_hits(m.text, catalog.judgement, m.official, m.collecting)

    cold_seconds, _ = per_message_seconds(chosen, cold)
    print(
        f"time: {seconds * 1e6:.1f} µs per message for text_hits (median of {rounds} rounds),"
        f" {cold_seconds * 1e6:.1f} µs for a text never seen before"
    )
    if a.show_misses is not None:
        show_misses(chosen, raised, a.show_misses, names.get(a.show_misses, "?"), label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
