"""Text judgement (categories 1, 4, 5, 6, 7, 8): which act a message commits, and whether it commits it.

A word is not an act. "明天上门" from a collector announces a visit; a gas company's
"上门安检", a mother's "明天上门看你", a borrower's "催收说要上门，怎么办？" and a lender's
"我们不会上门" share the word and commit nothing. So a message is judged in three steps:

1. Normalise (normalise.py): traditional → simplified, full-width → half-width, spacing, emoji
   and punctuation inside words dropped; then words spelled by sound (通讯路, tong xun lu,
   上mén, li案) are restored to the word they sound like, for the phrases judgement/sounds lists.
2. Find acts: each category's file in templates/rules/judgement/ lists cues, each one act
   (contacting third parties, publishing, threatening, announcing a visit, claiming a legal step,
   urging a new loan) as a pattern, with words the message must also hold and words that cancel it.
3. Stance (judgement/stance.toml): a cue counts only where the message asserts the act. Denied
   ("我们不会上门"), warned against ("请勿以贷养贷"), asked about ("会不会上门？"), told of by
   someone else ("催收说…", "我被…") or framed as news, it is set aside.

Every hit names its cue and quotes the sender's own words, so a finding says which words and
which rule made it. Pure functions of the text; TextJudge memoises them per distinct text.
"""

from __future__ import annotations

import hashlib
import json
import re
import re._compiler as _sre_compiler  # compiles a parsed pattern: each cue is parsed once
import re._constants as _sre  # the parsed form of a pattern, to find the words it requires
import re._parser as _sre_parser
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

import ahocorasick

from evidence.resources import template_path
from evidence.rules.normalise import (
    heard_span,
    latin_breaks,
    masked_key,
    normalise,
    phonetic,
    phonetic_syllables,
    variants,
)
from evidence.rules.suggest import Suggestion
from evidence.rules.suggest import judged as model_judged

EXCERPT_CHARS = 60
TEXT_CATEGORIES = (1, 4, 5, 6, 7, 8)

# Sentences end at these; clauses inside a sentence at the second set. Normalising drops both,
# so the judgement marks them again: "。" between sentences is never crossed, "，" may be. A line
# break only ends a clause: in a screenshot's text it is as often a wrapped line as a new thought.
_SENTENCE = re.compile(r"[。！？!?；;…]+|\.(?=\s|$)")
_CLAUSE = re.compile(
    r"[，,、：:“”\"「」『』（）()【】\[\]\n\r]+"
    # a space between runs of three or more Chinese characters separates phrases, as a comma
    # would; between single characters (通 讯 录) it is an evasion and is dropped
    r"|(?<=[\u4e00-\u9fff]{3})\s+(?=[\u4e00-\u9fff]{3})"
)
_QUESTION = re.compile(r"[？?]")
_PLACEHOLDER = re.compile(r"(?<!\?P)<([a-z0-9_]+)>")
_LATIN = re.compile(r"[a-z]")


class JudgementError(ValueError):
    """A judgement file is inconsistent: a bug in the repository, not in the user's evidence."""


@dataclass(frozen=True)
class TextHit:
    category: int
    excerpt: str  # the message around the words, as the sender wrote them
    cue: str = ""  # which cue made it, e.g. "visit-announced"
    act: str = ""  # the act in Chinese, for the explanation
    words: str = ""  # the words themselves, as the sender wrote them
    start: int = 0  # where the words are in the message
    end: int = 0

    def moved_to(self, text: str) -> TextHit:
        """The same hit in a message that differs only in its digits (same length)."""
        return TextHit(
            self.category,
            excerpt(text, self.start),
            self.cue,
            self.act,
            text[self.start : self.end],
            self.start,
            self.end,
        )


# What a text must hold for a pattern to match in it: any one of these conjunctions, each a word
# of every one of its sets (see _gate).
Gate = tuple[tuple[frozenset[str], ...], ...]


@dataclass(frozen=True)
class Cue:
    id: str
    category: int
    act: str
    pattern: re.Pattern[str]
    source: str  # the pattern with its word lists written out
    context: re.Pattern[str] | None  # must occur somewhere in the message
    unless: re.Pattern[str] | None  # cancels the cue when it occurs in the same sentence
    # What every match holds (a fast first look), if known: conjunctions of word sets; the cue is
    # tried only on a sentence holding a word of each set of one of them.
    gate: Gate | None
    starts: re.Pattern[str] | None = None  # how every match starts, if known
    context_gate: Gate | None = None  # what a text holds where context matches, if known
    unless_gate: Gate | None = None  # ... where unless matches
    # Only for a sender already known to collect (a party's number, or one whose other messages
    # are collection): "新家挺不错啊" is menace from a collector and small talk from a friend.
    collector_only: bool = False
    # A question does not set it aside: veiled menace is put as one (车胎最近还好吗？).
    rhetorical: bool = False

    def may_match(self, text: str) -> bool:
        """False only where no match can be: for each conjunction of the gate, the text lacks
        every word of one of its sets."""
        if self.gate is None:
            return True
        return any(all(any(w in text for w in words) for words in c) for c in self.gate)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """pattern.finditer(text), the same matches in the same order, tried only where a match
        can start: Python's re tries a pattern that opens with a group at every position."""
        if self.starts is None:
            yield from self.pattern.finditer(text)
            return
        match, next_start = self.pattern.match, self.starts.search
        pos = 0
        while (candidate := next_start(text, pos)) is not None:
            at = candidate.start()
            m = match(text, at)  # what search would find at this position: lookbehinds see before it
            if m is None:
                pos = at + 1
                continue
            yield m
            pos = m.end() if m.end() > at else at + 1


@dataclass(frozen=True)
class Stance:
    negators: re.Pattern[str]  # between the scope's start and the act: 不会, 没有, 禁止
    near_negators: re.Pattern[str]  # one character right before the act: 不上门, 没曝光
    conditions: re.Pattern[str]  # negations that belong to a condition (再不还), not to the act
    breaks: re.Pattern[str]  # the act's scope starts after the last of these (就, 否则, 我们)
    denied_after: re.Pattern[str]  # just after the act in its clause: 是不可能的, 是违法的
    reporting: re.Pattern[str]  # before the act in its sentence: someone else's words or deeds
    asking: re.Pattern[str]  # the sentence asks (also without a question mark)
    rhetorical: re.Pattern[str]  # ... unless the question is a threat
    framing: re.Pattern[str]  # anywhere in the message: news, warnings, a court's account


@dataclass(frozen=True)
class Sound:
    phrase: str
    spoken: str  # its most common reading, for a cheap first look
    syllables: int


@dataclass(frozen=True)
class Judgement:
    """The cues by category, the stance and the sounds; and, worked out from them, the first look
    that picks which cues to try on a sentence. With first_look False every cue is tried on every
    sentence and every sound looked for one by one: slow, and the reference the first look is
    tested against (it must never change a hit)."""

    cues: dict[int, tuple[Cue, ...]]
    stance: Stance
    sounds: tuple[Sound, ...]
    first_look: bool = True
    # per category, the numbers of its first and after its last cue; cues by number
    ranges: dict[int, tuple[int, int]] = field(init=False, repr=False, compare=False)
    numbered: tuple[Cue, ...] = field(init=False, repr=False, compare=False)
    always: frozenset[int] = field(init=False, repr=False, compare=False)  # cues with no gate
    # by cue number, the conjunctions' bits of its unless and context gates (None: no gate, search)
    unless_bits: tuple[tuple[int, ...] | None, ...] = field(init=False, repr=False, compare=False)
    context_bits: tuple[tuple[int, ...] | None, ...] = field(init=False, repr=False, compare=False)
    # the gates' words, each with the bits of the word sets it is in and the conjunctions (bits,
    # cue number) that wait for it: a cue is tried on a sentence where one of its conjunctions
    # has all its bits found
    gate_words: WordFinder = field(init=False, repr=False, compare=False)
    sound_words: WordFinder | None = field(init=False, repr=False, compare=False)  # spoken → bit

    def __post_init__(self) -> None:
        set_bits: dict[frozenset[str], int] = {}
        waiting: dict[frozenset[str], list[tuple[int, int]]] = {}  # conjunctions by one of their sets
        ranges: dict[int, tuple[int, int]] = {}
        numbered: list[Cue] = []
        always: set[int] = set()
        for category, cues in self.cues.items():
            ranges[category] = (len(numbered), len(numbered) + len(cues))
            for cue in cues:
                number = len(numbered)
                numbered.append(cue)
                if not self.first_look or not cue.gate:
                    always.add(number)
                    continue
                for conjunction in cue.gate:
                    if not conjunction:
                        always.add(number)
                        continue
                    bits = 0
                    for word_set in conjunction:
                        bits |= set_bits.setdefault(word_set, 1 << len(set_bits))
                    waiting.setdefault(_best_set(conjunction), []).append((bits, number))

        def gate_bits(gate: Gate | None, whole: bool) -> tuple[int, ...] | None:
            # A context is looked for in the sentences joined by "。": a word found there but in
            # no sentence would have to hold "。"; such a gate is not used.
            if not self.first_look or not gate or any(not c for c in gate):
                return None
            if whole and any("。" in w for c in gate for word_set in c for w in word_set):
                return None
            out = []
            for conjunction in gate:
                bits = 0
                for word_set in conjunction:
                    bits |= set_bits.setdefault(word_set, 1 << len(set_bits))
                out.append(bits)
            return tuple(out)

        unless_bits = tuple(gate_bits(cue.unless_gate, False) for cue in numbered)
        context_bits = tuple(gate_bits(cue.context_gate, True) for cue in numbered)
        words: dict[str, tuple[int, list[tuple[int, int]]]] = {}
        for word_set, bit in set_bits.items():
            for word in word_set:
                known, wait = words.get(word, (0, []))
                words[word] = (known | bit, wait + waiting.get(word_set, []))
        spoken: dict[str, int] = {}
        for i, sound in enumerate(self.sounds):
            spoken[sound.spoken] = spoken.get(sound.spoken, 0) | 1 << i
        object.__setattr__(self, "ranges", ranges)
        object.__setattr__(self, "numbered", tuple(numbered))
        object.__setattr__(self, "always", frozenset(always))
        object.__setattr__(self, "unless_bits", unless_bits)
        object.__setattr__(self, "context_bits", context_bits)
        object.__setattr__(self, "gate_words", WordFinder({w: (b, tuple(c)) for w, (b, c) in words.items()}))
        object.__setattr__(self, "sound_words", WordFinder(spoken) if self.first_look else None)

    def cues_to_try(self, sentence: str) -> tuple[list[int], int]:
        """The numbers of the cues that may match in a sentence, in order, and the bits of the
        gates' word sets it holds (for may_find)."""
        found = 0
        waiting = []
        for _end, (bits, wait) in self.gate_words.iter(sentence):
            found |= bits
            if wait:
                waiting.append(wait)
        ok = set(self.always)
        for wait in waiting:
            ok.update(number for bits, number in wait if found & bits == bits)
        return sorted(ok), found


def _may_find(conjunctions: tuple[int, ...] | None, found: int) -> bool:
    """Whether a text whose gate bits are found may hold a match of a pattern with this gate."""
    return conjunctions is None or any(found & bits == bits for bits in conjunctions)


class WordFinder:
    """Which of a fixed set of words occur in a text, all of them in one pass (Aho-Corasick: so
    overlapping words are all found), each with the value it was given."""

    def __init__(self, words: dict[str, Any]) -> None:
        self._automaton: Any = None
        if words:
            self._automaton = ahocorasick.Automaton()
            for word, value in words.items():
                if not word:
                    raise ValueError("an empty word occurs everywhere")
                self._automaton.add_word(word, value)
            self._automaton.make_automaton()

    def iter(self, text: str) -> Iterator[tuple[int, Any]]:
        """(where the word ends, its value) for every occurrence of every word."""
        return self._automaton.iter(text) if self._automaton is not None else iter(())

    def found(self, text: str) -> int:
        """The values (bits) of the words that occur, OR'ed."""
        bits = 0
        for _end, word_bits in self.iter(text):
            bits |= word_bits
        return bits


def _expand(pattern: str, words: dict[str, str], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in words:
            raise JudgementError(f"{where}: unknown word list <{name}>")
        return f"(?:{words[name]})"

    return _PLACEHOLDER.sub(sub, pattern)


def _compile_gated(
    pattern: str, words: dict[str, str], where: str, derived: Derivation
) -> tuple[re.Pattern[str], Gate | None]:
    """A pattern and its gate, from one parse (how its matches start is not needed)."""
    compiled, gate, _starts = _compile_with_anchors(
        _expand(pattern, words, where), where, derived, starts=False
    )
    return compiled, gate


def _compile(pattern: str, words: dict[str, str], where: str) -> re.Pattern[str]:
    try:
        return re.compile(_expand(pattern, words, where))
    except re.error as e:
        raise JudgementError(f"{where}: {e}") from None


def _alternatives(value: str | list[str]) -> str:
    """A pattern written as one string or as a list of alternatives (easier to review)."""
    if isinstance(value, str):
        return value
    return "|".join(f"(?:{v})" for v in value)


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


# What is worked out of each pattern at load (its gate, how its matches start) is a pure function
# of the pattern's text; working it out for every cue takes seconds, and every `locker` command
# that judges loads the judgement. So the repository ships it, worked out once, in derived.json
# (scripts/derive_judgement.py writes it), keyed by a hash of each pattern's text and of
# DERIVATION_VERSION: a pattern changed since is worked out at load as before, never misread.
# Bump DERIVATION_VERSION when the analysis changes; a test compares the file with a fresh run.
DERIVED_FILE = "derived.json"
DERIVATION_VERSION = 1


class Derivation:
    """Gates and start words by pattern, shipped (derived.json) or worked out now."""

    def __init__(self, shipped: dict[str, Any] | None = None) -> None:
        self.shipped = shipped or {}
        self.used: dict[str, Any] = {}  # everything this load needed, for the script to write
        # One object for each distinct word set: the cues share word lists, and 85,000 gate words
        # kept once per pattern cost the judgement 30 MB.
        self._sets: dict[tuple[str, ...], frozenset[str]] = {}

    @classmethod
    def read(cls, folder: Path) -> Derivation:
        try:
            data = json.loads((folder / DERIVED_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()  # none shipped, or unreadable: everything is worked out at load
        if not isinstance(data, dict) or data.get("version") != DERIVATION_VERSION:
            return cls()
        patterns = data.get("patterns")
        return cls(patterns if isinstance(patterns, dict) else None)

    @staticmethod
    def key(source: str) -> str:
        return hashlib.sha256(f"{DERIVATION_VERSION}\0{source}".encode()).hexdigest()

    def of(self, source: str, parsed: Any, starts: bool = True) -> tuple[Gate | None, frozenset[str] | None]:
        """A pattern's gate and, if `starts`, how its matches start (None where unknown)."""
        key = self.key(source)
        entry = self.shipped.get(key)
        if entry is None:
            if parsed.state.flags & _sre.SRE_FLAG_IGNORECASE or _folds_case(parsed):
                entry = {"gate": None, "starts": None}  # its literals are not the words it matches
            else:
                gate, start_words = _gate(parsed), _start_words(parsed) if starts else None
                entry = {
                    "gate": None if gate is None else [[sorted(ws) for ws in c] for c in gate],
                    "starts": None if start_words is None else sorted(start_words),
                }
        self.used[key] = entry
        gate, start_words = entry["gate"], entry["starts"]
        return (
            None if gate is None else tuple(tuple(self._shared(ws) for ws in c) for c in gate),
            None if start_words is None else frozenset(start_words),
        )

    def _shared(self, words: list[str]) -> frozenset[str]:
        key = tuple(words)
        found = self._sets.get(key)
        if found is None:
            found = self._sets[key] = frozenset(map(sys.intern, words))
        return found

    def to_json(self) -> str:
        data = {"version": DERIVATION_VERSION, "patterns": dict(sorted(self.used.items()))}
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


@cache
def load_judgement() -> Judgement:
    """The judgement the repository ships (templates/rules/judgement/)."""
    return read_judgement(template_path("rules", "judgement"))


def read_judgement(folder: Path, derived: Derivation | None = None) -> Judgement:
    """A judgement from a folder of words, stance, sounds and category-N files; JudgementError if
    any of them is inconsistent. `derived`: what is already worked out of its patterns (by
    default the folder's derived.json, if any)."""
    derived = derived if derived is not None else Derivation.read(folder)
    words: dict[str, str] = {}
    plain: dict[str, frozenset[str]] = {}  # lists that are only words, for trie_pattern
    _add_words(_load(folder / "words.toml")["words"], words, plain, "words.toml")
    st = _load(folder / "stance.toml")
    stance = Stance(
        **{
            key: _compile(_alternatives(st[key]), words, f"stance.{key}")
            for key in Stance.__dataclass_fields__
        }
    )
    sounds = []
    for phrase in _load(folder / "sounds.toml")["phrases"]:
        phrase = normalise(phrase)
        n = len(phonetic_syllables(phrase))
        if n < 2:
            raise JudgementError(f"sounds: {phrase!r} is one syllable: every text has one")
        sounds.append(Sound(phrase, phonetic(phrase), n))
    cues: dict[int, list[Cue]] = {c: [] for c in TEXT_CATEGORIES}
    seen: set[str] = set()
    for category in TEXT_CATEGORIES:
        data = _load(folder / f"category-{category}.toml")
        local, local_plain = dict(words), dict(plain)  # a category file's own lists, for its cues only
        clash = set(data.get("words", {})) & set(words)
        if clash:
            raise JudgementError(f"category-{category}.toml: lists {sorted(clash)} clash with words.toml")
        _add_words(data.get("words", {}), local, local_plain, f"category-{category}.toml")
        for raw in data["cue"]:
            where = f"category-{category}.toml cue {raw.get('id')}"
            unknown = set(raw) - {"id", "act", "pattern", "context", "unless", "speaker", "rhetorical"}
            if raw.get("speaker", "any") not in ("any", "collector"):
                raise JudgementError(f'{where}: speaker is "any" or "collector"')
            if unknown or not {"id", "act", "pattern"} <= set(raw):
                raise JudgementError(f"{where}: needs id, act, pattern; unknown keys {sorted(unknown)}")
            if raw["id"] in seen:
                raise JudgementError(f"{where}: id used twice")
            seen.add(raw["id"])
            source = _expand(_alternatives(raw["pattern"]), local, where)
            pattern, anchors, starts = _compile_with_anchors(source, where, derived)
            context, context_gate = (
                _compile_gated(_alternatives(raw["context"]), local, where, derived)
                if "context" in raw
                else (None, None)
            )
            unless, unless_gate = (
                _compile_gated(_alternatives(raw["unless"]), local, where, derived)
                if "unless" in raw
                else (None, None)
            )
            cues[category].append(
                Cue(
                    raw["id"],
                    category,
                    raw["act"],
                    pattern,
                    source,
                    context,
                    unless,
                    anchors,
                    starts,
                    context_gate,
                    unless_gate,
                    raw.get("speaker") == "collector",
                    raw.get("rhetorical") is True,
                )
            )
    return Judgement({c: tuple(v) for c, v in cues.items()}, stance, tuple(sounds))


_PLAIN_WORD = re.compile(r"[^\\.^$*+?{}\[\]()|<>]+")
_REFERENCE = re.compile(r"<([a-z0-9_]+)>")


def _add_words(
    raw: dict[str, str | list[str]], words: dict[str, str], plain: dict[str, frozenset[str]], where: str
) -> None:
    """Word lists in file order (a list may use those before it). A list of plain words, or of
    other such lists, becomes a trie: Python's re tries each alternative of an alternation at
    every position, so 通知|通报|联系 runs twice as fast written 通(?:知|报)|联系."""
    for name, value in raw.items():
        text = _alternatives(value)
        found: set[str] = set()
        for alternative in text.split("|") if "(" not in text else ["("]:
            ref = _REFERENCE.fullmatch(alternative)
            if ref and ref.group(1) in plain:
                found |= plain[ref.group(1)]
            elif _PLAIN_WORD.fullmatch(alternative):
                found.add(alternative)
            else:
                break
        else:
            plain[name] = frozenset(found)
            words[name] = trie_pattern(found)
            continue
        words[name] = _expand(text, words, f"{where} words.{name}")


def trie_pattern(words: set[str] | frozenset[str]) -> str:
    """An alternation of words as a regular expression that shares their prefixes; matches
    exactly the same strings as the words joined by |."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + emit(node[ch]) for ch in sorted(k for k in node if k)]
        if not branches:
            return ""
        if all(len(b) == 1 for b in branches):
            body = branches[0] if len(branches) == 1 else "[" + "".join(branches) + "]"
        else:
            body = "(?:" + "|".join(branches) + ")"
        return body + "?" if "" in node else body

    return emit(tree)


def _compile_with_anchors(
    source: str, where: str, derived: Derivation | None = None, starts: bool = True
) -> tuple[re.Pattern[str], Gate | None, re.Pattern[str] | None]:
    """A cue's pattern, the word sets every match holds a word of each (its gate) and a pattern
    for how its matches start, from one parse: parsing is most of compiling, and the cues'
    patterns, their word lists written out, take seconds to parse."""
    try:
        parsed = _sre_parser.parse(source)
    except re.error as e:
        raise JudgementError(f"{where}: {e}") from None
    compiled = _sre_compiler.compile(parsed)
    gate, start_words = (derived or Derivation()).of(source, parsed, starts)
    return compiled, gate, None if start_words is None else re.compile(trie_pattern(start_words))


def _folds_case(items: Any) -> bool:
    """Whether part of a parsed pattern ignores case, (?i:...)."""
    for op, av in items:
        if op is _sre.SUBPATTERN and av[1] & _sre.SRE_FLAG_IGNORECASE:
            return True
        for part in av if isinstance(av, tuple | list) else ():
            for sub in part if isinstance(part, list) else [part]:
                if isinstance(sub, _sre_parser.SubPattern) and _folds_case(sub):
                    return True
    return False


_SMALL_RANGE = 256  # a class range wider than this is not spelled out
START_CHARS = 2  # how much of a match's start is worked out: a pair is rarer than a character
_Prefixes = frozenset[tuple[str, bool]]  # (how a match starts, whether that is the whole match)
_UNKNOWN: _Prefixes = frozenset({("", False)})  # could start with anything
_EMPTY: _Prefixes = frozenset({("", True)})  # matches the empty string only


def _start_words(parsed: Any) -> frozenset[str] | None:
    """The first START_CHARS characters of every match (fewer where a match is shorter or its
    next character could be anything), or None when a match could start anywhere."""
    try:
        starts = _prefixes(parsed, START_CHARS)
    except RecursionError:
        return None
    if any(not start for start, _whole in starts):
        return None
    return frozenset(start for start, _whole in starts)


def _then(first: _Prefixes, rest: Callable[[int], _Prefixes], k: int) -> _Prefixes:
    """How a match of A then B starts, from A's starts and B's (asked for the characters left)."""
    out = set()
    for a, whole in first:
        if len(a) >= k or not whole:
            out.add((a[:k], False))
        else:
            out.update((a + b, whole_b) for b, whole_b in rest(k - len(a)))
    return frozenset(out)


def _prefixes(items: Any, k: int) -> _Prefixes:
    """How the matches of a parsed sequence start, up to k characters each."""
    out = _EMPTY
    for op, av in items:
        out = _then(out, partial(_item_prefixes, op, av), k)
        if all(len(a) >= k or not whole for a, whole in out):
            break
    return out


def _item_prefixes(op: Any, av: Any, k: int) -> _Prefixes:
    if op is _sre.LITERAL:
        return frozenset({(chr(av), True)})
    if op is _sre.IN:
        chars = _class_chars(av)
        return _UNKNOWN if chars is None else frozenset((ch, True) for ch in chars)
    if op is _sre.BRANCH:
        return frozenset().union(*(_prefixes(branch, k) for branch in av[1]))
    if op is _sre.SUBPATTERN:
        return _prefixes(av[-1], k)
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
        low, high, item = av
        return _repeat(_prefixes(item, k), low, high, k)
    if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        return _EMPTY  # zero-width: the match starts with what follows
    return _UNKNOWN


def _class_chars(av: Any) -> frozenset[str] | None:
    """The characters a parsed class [...] matches, or None for a negated class, a category
    (\\d, \\w) or a range wider than _SMALL_RANGE: those are not spelled out."""
    chars: set[str] = set()
    for o, a in av:
        if o is _sre.LITERAL:
            chars.add(chr(a))
        elif o is _sre.RANGE and a[1] - a[0] < _SMALL_RANGE:
            chars.update(map(chr, range(a[0], a[1] + 1)))
        else:
            return None
    return frozenset(chars)


def _repeat(once: _Prefixes, low: int, high: int, k: int) -> _Prefixes:
    if high == 0:
        return _EMPTY
    if ("", True) in once:  # an item that can match nothing: do not unroll it
        return _UNKNOWN
    more = high if high == _sre.MAXREPEAT else high - 1
    rest = _then(once, lambda left: _repeat(once, max(low - 1, 0), more, left), k)
    return rest | _EMPTY if low == 0 else rest


# A cue's gate: what a sentence must hold for the cue to match there, as words. It is worked out
# from the parsed pattern the way code search works out a regular expression's trigram query:
# each part of the pattern gives the exact strings it can match when they are few (a word list,
# 你|您, an optional 的), neighbouring parts' strings are joined (你的家人, 您同事), and the rest is
# combined with AND and OR. The answer is kept as OR of ANDs of word sets: "(家人 or 同事) and
# (打电话) — or — (通讯录)"; a sentence holding none of one conjunction's sets is not tried.
EXACT_STRINGS = 256  # the most strings a part of a pattern is spelled out as
GATE_TERMS = 16  # the most conjunctions a gate keeps before it is weakened to one

_WordSet = frozenset[str]  # the text holds one of these words
_Conjunction = frozenset[_WordSet]  # ... one of each of these sets
_Query = frozenset[_Conjunction]  # ... all the sets of one of these conjunctions
_ANYTHING: _Query = frozenset({frozenset()})
_ZERO_WIDTH: frozenset[str] = frozenset({""})


def _gate(parsed: Any) -> tuple[tuple[frozenset[str], ...], ...] | None:
    """What every match holds, as conjunctions of word sets; None if it could be anything."""
    try:
        _exact, query = _analyse(parsed)
    except RecursionError:
        return None
    if query == _ANYTHING:
        return None
    return tuple(tuple(sorted(c, key=sorted)) for c in sorted(query, key=lambda c: sorted(map(sorted, c))))


def _as_query(exact: frozenset[str]) -> _Query:
    return _ANYTHING if "" in exact else frozenset({frozenset({exact})})


def _both(a: _Query, b: _Query) -> _Query:
    return _simplified_query(frozenset(x | y for x in a for y in b))


def _either(a: _Query, b: _Query) -> _Query:
    return _simplified_query(a | b)


def _simplified_query(q: _Query) -> _Query:
    """Without conjunctions implied by others; weakened to one word set when too many are left."""
    if frozenset() in q:
        return _ANYTHING
    kept = [c for c in q if not any(other < c for other in q)]  # c implies other: other suffices
    if len(kept) <= GATE_TERMS:
        return frozenset(kept)
    # (A and B) or (C and D) implies (A or C): one set from each conjunction, joined
    return frozenset({frozenset({frozenset().union(*(_best_set(c) for c in kept))})})


def _best_set(c: Iterable[_WordSet]) -> _WordSet:
    """The set that rules out most: longest shortest word, then fewest words."""
    return max(c, key=lambda w: (min(map(len, w)), -len(w), sorted(w)))


def _product(a: frozenset[str], b: frozenset[str]) -> frozenset[str] | None:
    if len(a) * len(b) > EXACT_STRINGS:
        return None
    return frozenset(x + y for x in a for y in b)


def _analyse(items: Any) -> tuple[frozenset[str] | None, _Query]:
    """A parsed sequence's exact strings (None when too many or unbounded) and its query."""
    query = _ANYTHING
    run: frozenset[str] = _ZERO_WIDTH  # the exact strings of the items since the last break
    whole = True  # whether run is still the exact strings of the whole sequence
    for op, av in items:
        exact, item_query = _analyse_item(op, av)
        if exact is not None:
            joined = _product(run, exact)
            if joined is not None:
                run = joined
                continue
            query = _both(query, _as_query(run))  # too many strings: the run so far, then anew
            run = exact
        else:
            query = _both(_both(query, _as_query(run)), item_query)
            run = _ZERO_WIDTH
        whole = False
    if whole:
        return run, _as_query(run)
    return None, _both(query, _as_query(run))


def _analyse_item(op: Any, av: Any) -> tuple[frozenset[str] | None, _Query]:
    if op is _sre.LITERAL:
        exact: frozenset[str] | None = frozenset({chr(av)})
        return exact, _as_query(exact)  # type: ignore[arg-type]
    if op is _sre.IN:
        chars = _class_chars(av)
        if chars is None or len(chars) > EXACT_STRINGS:
            return None, _ANYTHING
        return chars, _as_query(chars)
    if op is _sre.SUBPATTERN:
        return _analyse(av[-1])
    if op is _sre.BRANCH:
        branches = [_analyse(b) for b in av[1]]
        query = frozenset().union(*(q for _e, q in branches))
        query = _simplified_query(query)
        exacts = [e for e, _q in branches if e is not None]
        if len(exacts) == len(branches):
            exact = frozenset().union(*exacts)
            if len(exact) <= EXACT_STRINGS:
                return exact, _as_query(exact)
        return None, query
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
        low, high, item = av
        once, once_query = _analyse(item)
        if once is not None and high != _sre.MAXREPEAT and high <= 4:
            exact, power = (_ZERO_WIDTH if low == 0 else None), _ZERO_WIDTH
            for times in range(1, high + 1):
                power = _product(power, once)  # type: ignore[assignment]
                if power is None:
                    break
                if times >= low:
                    exact = power if exact is None else exact | power
            else:
                if exact is not None and len(exact) <= EXACT_STRINGS:
                    return exact, _as_query(exact)
        return None, once_query if low >= 1 else _ANYTHING
    if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        return _ZERO_WIDTH, _ANYTHING  # zero-width: no part of the match
    return None, _ANYTHING  # any character, a back reference: could be anything


def required_words(pattern: str) -> frozenset[str] | None:
    """Words one of which every match of the pattern holds, or None when none are found.

    Python's re tries a long alternation at every position of the text; a pattern that opens
    with an optional group cannot even skip ahead by its first character. A plain list of
    words is fast, so each cue is first looked for by the words it cannot match without.
    """
    try:
        found = _required(_sre_parser.parse(pattern))
    except (re.error, RecursionError):
        return None
    return frozenset(found) if found and all(found) else None


def _required(items: Any) -> set[str] | None:
    """The best required-word set of a sequence: its longest shortest word wins."""
    best: set[str] | None = None
    run: list[str] = []

    def consider(found: set[str] | None) -> None:
        nonlocal best
        if found and all(found) and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    for op, av in items:
        if op is _sre.LITERAL:
            run.append(chr(av))
            continue
        if run:
            consider({"".join(run)})
            run = []
        if op is _sre.SUBPATTERN:
            consider(_required(av[-1]))
        elif op is _sre.BRANCH:
            branches = [_required(b) for b in av[1]]
            if all(b is not None for b in branches):
                consider(set().union(*branches))  # type: ignore[arg-type]
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            consider(_required(av[2]))
        elif op is _sre.IN and all(o is _sre.LITERAL for o, _ in av):  # (?:去|到) parses as [去到]
            consider({chr(c) for _, c in av})
    if run:
        consider({"".join(run)})
    return best


@dataclass(frozen=True)
class _Sentence:
    text: str  # normalised, sounds restored; "，" between clauses
    clauses: tuple[tuple[int, int], ...]  # where each clause is in the original message
    question: bool


def _restore_sounds(
    text: str, sounds: tuple[Sound, ...], offsets: list[int] | None = None, heard: WordFinder | None = None
) -> str:
    """Words written by sound (通讯路, tong xun lu, 上mén) replaced by the word they sound like;
    offsets, when given, are kept in step. heard (Judgement.sound_words) finds which sounds'
    common readings occur in one pass; without it each is looked for in turn."""
    spoken = phonetic(text)
    if heard is not None:
        bits = heard.found(spoken)
        if not bits:
            return text
        candidates: list[Sound] = [sounds[i] for i in range(bits.bit_length()) if bits >> i & 1]
    else:
        candidates = [s for s in sounds if s.spoken in spoken]
    # First the phrases that pinyin read the shortest way holds syllable for syllable, then the
    # rest: "lianxi" is 联系 before li + an can make it 立案; "li an", its space normalised away,
    # is still 立案 when nothing else is heard there.
    for exact in (True, False):
        for sound in candidates:  # each one's common reading occurs in `spoken`
            if sound.phrase in text:
                continue
            span = heard_span(text, sound.phrase)
            if span is None:
                continue
            a, b = span
            # Two syllables collide with everyday words (加人 for 家人): heard only where Latin
            # letters show the sender spelled it out (上men, li案).
            if sound.syllables < 3 and not _LATIN.search(text, a, b):
                continue
            if not _on_syllable_breaks(text, a, b, sound.syllables if exact else None):
                continue
            text = text[:a] + sound.phrase + text[b:]
            if offsets is not None:
                offsets[a:b] = [offsets[a]] * (len(sound.phrase) - 1) + [offsets[b - 1]]
    return text


_LATIN_RUN = re.compile(r"[a-z]+")


def _on_syllable_breaks(text: str, a: int, b: int, syllables: int | None) -> bool:
    """Whether a heard span starts and ends between syllables of any pinyin it cuts through, and,
    when `syllables` is given, holds that many read the shortest way: "lianxi" (联系) holds no
    立案, though li + an can be heard in it; nor does "lian" alone, one syllable."""
    heard = b - a - sum(len(run.group()) for run in _LATIN_RUN.finditer(text, a, b))  # characters
    for run in _LATIN_RUN.finditer(text):
        if run.end() <= a or run.start() >= b:
            continue
        breaks = latin_breaks(run.group())
        if breaks is None:
            return False
        for edge in (a, b):
            if run.start() < edge < run.end() and edge - run.start() not in breaks:
                return False
        lo, hi = max(a, run.start()) - run.start(), min(b, run.end()) - run.start()
        heard += sum(1 for k in breaks if lo < k <= hi)
    return syllables is None or heard == syllables


def _sentences(text: str, sounds: tuple[Sound, ...], heard: WordFinder | None = None) -> list[_Sentence]:
    out = []
    start = 0
    ends = [(m.start(), m.end()) for m in _SENTENCE.finditer(text)] + [(len(text), len(text))]
    for end, after in ends:
        if end > start:
            clauses, parts = [], []
            clause_start = start
            for m in [*_CLAUSE.finditer(text, start, end), None]:
                clause_end = m.start() if m else end
                part = normalise(text[clause_start:clause_end])
                if part:
                    clauses.append((clause_start, clause_end))
                    parts.append(part)
                if m:
                    clause_start = m.end()
            if clauses:
                joined = _restore_sounds("，".join(parts), sounds, heard=heard)
                out.append(_Sentence(joined, tuple(clauses), bool(_QUESTION.search(text, end, after))))
        start = after
    return out


def _offsets(
    original: str, s: _Sentence, sounds: tuple[Sound, ...], heard: WordFinder | None = None
) -> list[int]:
    """For each character of the sentence's text, its index in the original message: for quoting."""
    offsets: list[int] = []
    for a, b in s.clauses:
        if offsets:
            offsets.append(a)
        offsets.extend(a + o for o in variants(original[a:b]).normalised_offsets)
    joined = "，".join(normalise(original[a:b]) for a, b in s.clauses)
    _restore_sounds(joined, sounds, offsets, heard)
    return offsets


def _asserted(stance: Stance, s: _Sentence, a: int, b: int, rhetorical: bool = False) -> bool:
    """Whether the sentence asserts the act at a:b, rather than denying, asking or reporting it;
    rhetorical: a question still asserts it."""
    text = s.text
    clause = text.rfind("，", 0, a) + 1
    scope = text[clause:a]
    cut = 0
    for m in stance.breaks.finditer(scope):
        cut = m.end()  # only the part after the last break belongs to the act
    scope = scope[cut:]
    scope = stance.conditions.sub("", scope)
    if stance.negators.search(scope) or stance.near_negators.search(scope[-2:]):
        return False
    end = text.find("，", b)
    if stance.denied_after.match(text, b, end if end >= 0 else len(text)):
        return False
    if stance.reporting.search(text, 0, a):
        return False
    if rhetorical:
        return True
    asking = (s.question and _questioned(text, b)) or stance.asking.search(text)
    return not asking or bool(stance.rhetorical.search(text))


QUESTION_TAG_CHARS = 5  # 是吗, 对吗, 是真的吗: a last clause this short asks about what came before


def _questioned(text: str, b: int) -> bool:
    """Whether a question mark ending the sentence asks about the act ending at b: it does when
    the act is in the last clause, or the last clause is a tag. "上午去了你家，邻居说你跑了？"
    states the visit and taunts after it; "你们明天上门，是真的吗？" asks about it. An act that
    tells what was said of the reader ("邻居说你们很少回来？", "你同事说你请假了？") is not asked
    about: the question is the taunt about what follows it."""
    last = text.rfind("，") + 1
    if b > last and text.startswith(("你", "您"), b) and len(text) - b > QUESTION_TAG_CHARS:
        return False
    return b > last or len(text) - last <= QUESTION_TAG_CHARS


def excerpt(text: str, at: int) -> str:
    """The message around original index `at`, at most EXCERPT_CHARS characters."""
    if len(text) <= EXCERPT_CHARS:
        return text
    start = max(0, at - EXCERPT_CHARS // 3)
    piece = text[start : start + EXCERPT_CHARS]
    return ("…" if start else "") + piece + ("…" if start + EXCERPT_CHARS < len(text) else "")


def text_hits(
    text: str, judgement: Judgement, official_sender: bool, known_collector: bool = False
) -> list[TextHit]:
    """The categories a message commits, one hit each; nothing from an official sender (a court's,
    police station's or regulator's own number), whose legal-process notices are what they say.
    known_collector: the sender is known to collect (linked to a party, or its other messages are
    collection), so veiled menace and insult read as what they are (cues with speaker =
    "collector"); without it those cues are not tried."""
    if official_sender:
        return []  # a court's own number does not impersonate one, nor harass on its own behalf
    j = judgement
    sentences = _sentences(text, j.sounds, j.sound_words)
    looked = [j.cues_to_try(s.text) for s in sentences]
    if not any(numbers for numbers, _found in looked):
        return []  # no cue can match: most messages
    whole = "。".join(s.text for s in sentences)
    if j.stance.framing.search(whole):
        return []
    found = [bits for _numbers, bits in looked]
    look = _Look(j, sentences, found, whole, text)
    hits = []
    for lo, hi in j.ranges.values():
        tried = [[n for n in numbers if lo <= n < hi] for numbers, _found in looked]
        if not known_collector:
            tried = [[n for n in numbers if not j.numbered[n].collector_only] for numbers in tried]
        hit = look.first_hit(tried)
        if hit is not None:
            hits.append(hit)
    return hits


class _Look:
    """One message being judged: its sentences, the gate bits each holds, and what has been
    worked out about it once for all categories."""

    def __init__(self, j: Judgement, sentences: list[_Sentence], found: list[int], whole: str, original: str):
        self.j, self.sentences, self.found, self.whole, self.original = j, sentences, found, whole, original
        self.found_whole = 0
        for bits in found:
            self.found_whole |= bits
        self.context: dict[int, bool] = {}  # by cue number: whether its context occurs
        self.offsets: dict[int, list[int]] = {}  # by sentence: for quoting

    def first_hit(self, tried: list[list[int]]) -> TextHit | None:
        """The first asserted match of a category's cues: sentence by sentence, cue by cue in
        file order; tried[i] is the numbers of the category's cues that may match sentence i."""
        j = self.j
        for i, s in enumerate(self.sentences):
            for n in tried[i]:
                cue = j.numbered[n]
                for m in cue.finditer(s.text):
                    if (
                        cue.unless is not None
                        and _may_find(j.unless_bits[n], self.found[i])
                        and cue.unless.search(s.text)
                    ):
                        break
                    if cue.context is not None and not self._context(n, cue.context):
                        break
                    if not _asserted(j.stance, s, m.start(), m.end(), cue.rhetorical):
                        continue
                    return self._hit(cue, i, m.start(), m.end())
        return None

    def _context(self, n: int, context: re.Pattern[str]) -> bool:
        known = self.context.get(n)
        if known is None:
            known = self.context[n] = _may_find(self.j.context_bits[n], self.found_whole) and bool(
                context.search(self.whole)
            )
        return known

    def _hit(self, cue: Cue, i: int, start: int, end: int) -> TextHit:
        offsets = self.offsets.get(i)
        if offsets is None:
            offsets = self.offsets[i] = _offsets(
                self.original, self.sentences[i], self.j.sounds, self.j.sound_words
            )
        original = self.original
        a = offsets[start] if start < len(offsets) else len(original)
        b = offsets[end - 1] + 1 if end > start else a
        return TextHit(cue.category, excerpt(original, a), cue.id, cue.act, original[a:b], a, b)


def is_collection_text(text: str, collection: re.Pattern[str]) -> bool:
    """Whether a message is about collecting a debt (catalog.collection), evasions undone."""
    return collection.search(normalise(text)) is not None


class TextJudge:
    """text_hits with a memo by the text with its digits masked. One judgement per key is kept,
    with the text it was made for, not one per text: 100,000 messages' hits, each with its own
    quotation, would be 75 MB. The model's suggestions are kept in the same entry, made when
    first asked for. Hits returned are shared: never change them."""

    def __init__(self, judgement: Judgement | None = None) -> None:
        self._judgement = judgement  # loaded on the first text: 47 MB with pypinyin's table
        # (masked text, official, known collector) → [the text judged, its hits, its suggestions
        # or None until asked]: one entry a key, since 100,000 keys of a second memo cost 25 MB
        self._masked: dict[tuple[bytes, bool, bool], list[Any]] = {}

    def hits(self, text: str, official_sender: bool, known_collector: bool = False) -> list[TextHit]:
        return self._entry(text, official_sender, known_collector)[0]

    def judged(
        self, text: str, official_sender: bool, known_collector: bool = False
    ) -> tuple[list[TextHit], list[TextHit], tuple[Suggestion, ...]]:
        """The hits to file, the hits the statistical model doubts (evidence.rules.suggest: offered
        to the user to confirm, never filed) and, for a sender that is not official, the
        categories the model suggests beyond the hits (likewise only offered)."""
        hits, entry = self._entry(text, official_sender, known_collector)
        if official_sender:
            return hits, [], ()
        found = entry[2]
        if found is None:  # the model reads digits masked: alike for every text of the key
            suggestions, doubted = model_judged(text, {h.category for h in entry[1]})
            found = entry[2] = (tuple(suggestions), doubted)
        suggestions, doubted = found
        if not doubted:
            return hits, [], suggestions
        return (
            [h for h in hits if h.category not in doubted],
            [h for h in hits if h.category in doubted],
            suggestions,
        )

    def _entry(
        self, text: str, official_sender: bool, known_collector: bool
    ) -> tuple[list[TextHit], list[Any]]:
        # Cues never read digits' values, so messages that differ only in amounts, dates or case
        # numbers share one judgement: a collector's template is judged once however often sent.
        key = (masked_key(text), official_sender, known_collector)
        entry = self._masked.get(key)
        if entry is None:
            if self._judgement is None:
                self._judgement = load_judgement()
            found = text_hits(text, self._judgement, official_sender, known_collector)
            self._masked[key] = entry = [text, found, None]
            return found, entry
        template, found = entry[0], entry[1]
        return (found if text == template or not found else [h.moved_to(text) for h in found]), entry
