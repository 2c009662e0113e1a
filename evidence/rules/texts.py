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

import re
import re._compiler as _sre_compiler  # compiles a parsed pattern: each cue is parsed once
import re._constants as _sre  # the parsed form of a pattern, to find the words it requires
import re._parser as _sre_parser
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

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
from evidence.rules.suggest import Suggestion, suggested

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


@dataclass(frozen=True)
class Cue:
    id: str
    category: int
    act: str
    pattern: re.Pattern[str]
    source: str  # the pattern with its word lists written out
    context: re.Pattern[str] | None  # must occur somewhere in the message
    unless: re.Pattern[str] | None  # cancels the cue when it occurs in the same sentence
    gate: re.Pattern[str] | None  # words every match holds one of (a fast first look), if known
    starts: re.Pattern[str] | None = None  # how every match starts, if known
    # Only for a sender already known to collect (a party's number, or one whose other messages
    # are collection): "新家挺不错啊" is menace from a collector and small talk from a friend.
    collector_only: bool = False
    # A question does not set it aside: veiled menace is put as one (车胎最近还好吗？).
    rhetorical: bool = False

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
    cues: dict[int, tuple[Cue, ...]]
    stance: Stance
    sounds: tuple[Sound, ...]
    gate: re.Pattern[str] | None  # words any cue's match holds: one pass rules out most messages


def _expand(pattern: str, words: dict[str, str], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in words:
            raise JudgementError(f"{where}: unknown word list <{name}>")
        return f"(?:{words[name]})"

    return _PLACEHOLDER.sub(sub, pattern)


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


@cache
def load_judgement() -> Judgement:
    """The judgement the repository ships (templates/rules/judgement/)."""
    return read_judgement(template_path("rules", "judgement"))


def read_judgement(folder: Path) -> Judgement:
    """A judgement from a folder of words, stance, sounds and category-N files; JudgementError if
    any of them is inconsistent."""
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
    required: list[frozenset[str] | None] = []  # each cue's, for the judgement's own gate
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
            pattern, anchors, starts = _compile_with_anchors(source, where)
            required.append(anchors)
            cues[category].append(
                Cue(
                    raw["id"],
                    category,
                    raw["act"],
                    pattern,
                    source,
                    _compile(_alternatives(raw["context"]), local, where) if "context" in raw else None,
                    _compile(_alternatives(raw["unless"]), local, where) if "unless" in raw else None,
                    _literal_pattern(anchors) if anchors else None,
                    starts,
                    raw.get("speaker") == "collector",
                    raw.get("rhetorical") is True,
                )
            )
    known = [a for a in required if a is not None]
    gate = _literal_pattern(frozenset().union(*known)) if len(known) == len(required) else None
    return Judgement({c: tuple(v) for c, v in cues.items()}, stance, tuple(sounds), gate)


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


def _literal_pattern(words: frozenset[str]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, sorted(words, key=lambda w: (-len(w), w)))))


def _compile_with_anchors(
    source: str, where: str
) -> tuple[re.Pattern[str], frozenset[str] | None, re.Pattern[str] | None]:
    """A cue's pattern, its required words and a pattern for how its matches start, from one
    parse: parsing is most of compiling, and the cues' patterns, their word lists
    written out, take seconds to parse."""
    try:
        parsed = _sre_parser.parse(source)
    except re.error as e:
        raise JudgementError(f"{where}: {e}") from None
    return _sre_compiler.compile(parsed), _anchors(parsed), _start_pattern(parsed)


_SMALL_RANGE = 256  # a class range wider than this is not spelled out
START_CHARS = 2  # how much of a match's start is worked out: a pair is rarer than a character
_Prefixes = frozenset[tuple[str, bool]]  # (how a match starts, whether that is the whole match)
_UNKNOWN: _Prefixes = frozenset({("", False)})  # could start with anything
_EMPTY: _Prefixes = frozenset({("", True)})  # matches the empty string only


def _start_pattern(parsed: Any) -> re.Pattern[str] | None:
    """A pattern for the first START_CHARS characters of every match (fewer where a match is
    shorter or its next character could be anything), or None when a match could start anywhere."""
    try:
        starts = _prefixes(parsed, START_CHARS)
    except RecursionError:
        return None
    if any(not start for start, _whole in starts):
        return None
    return re.compile(trie_pattern({start for start, _whole in starts}))


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
        chars: set[str] = set()
        for o, a in av:
            if o is _sre.LITERAL:
                chars.add(chr(a))
            elif o is _sre.RANGE and a[1] - a[0] < _SMALL_RANGE:
                chars.update(map(chr, range(a[0], a[1] + 1)))
            else:  # a negated class, a category or a wide range
                return _UNKNOWN
        return frozenset((ch, True) for ch in chars)
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


def _repeat(once: _Prefixes, low: int, high: int, k: int) -> _Prefixes:
    if high == 0:
        return _EMPTY
    if ("", True) in once:  # an item that can match nothing: do not unroll it
        return _UNKNOWN
    more = high if high == _sre.MAXREPEAT else high - 1
    rest = _then(once, lambda left: _repeat(once, max(low - 1, 0), more, left), k)
    return rest | _EMPTY if low == 0 else rest


def _anchors(parsed: Any) -> frozenset[str] | None:
    try:
        found = _required(parsed)
    except RecursionError:
        return None
    return frozenset(found) if found and all(found) else None


def required_words(pattern: str) -> frozenset[str] | None:
    """Words one of which every match of the pattern holds, or None when none are found.

    Python's re tries a long alternation at every position of the text; a pattern that opens
    with an optional group cannot even skip ahead by its first character. A plain list of
    words is fast, so each cue is first looked for by the words it cannot match without.
    """
    try:
        return _anchors(_sre_parser.parse(pattern))
    except re.error:
        return None


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


def _restore_sounds(text: str, sounds: tuple[Sound, ...], offsets: list[int] | None = None) -> str:
    """Words written by sound (通讯路, tong xun lu, 上mén) replaced by the word they sound like;
    offsets, when given, are kept in step."""
    spoken = phonetic(text)
    heard = [s for s in sounds if s.spoken in spoken]
    # First the phrases that pinyin read the shortest way holds syllable for syllable, then the
    # rest: "lianxi" is 联系 before li + an can make it 立案; "li an", its space normalised away,
    # is still 立案 when nothing else is heard there.
    for exact in (True, False):
        for sound in heard:
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


def _sentences(text: str, sounds: tuple[Sound, ...]) -> list[_Sentence]:
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
                joined = _restore_sounds("，".join(parts), sounds)
                out.append(_Sentence(joined, tuple(clauses), bool(_QUESTION.search(text, end, after))))
        start = after
    return out


def _offsets(original: str, s: _Sentence, sounds: tuple[Sound, ...]) -> list[int]:
    """For each character of the sentence's text, its index in the original message: for quoting."""
    offsets: list[int] = []
    for a, b in s.clauses:
        if offsets:
            offsets.append(a)
        offsets.extend(a + o for o in variants(original[a:b]).normalised_offsets)
    joined = "，".join(normalise(original[a:b]) for a, b in s.clauses)
    _restore_sounds(joined, sounds, offsets)
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


def _may_hold(j: Judgement, text: str) -> bool:
    if j.gate is None or j.gate.search(normalise(text)):
        return True
    spoken = phonetic(text)
    return any(s.spoken in spoken for s in j.sounds)


def text_hits(
    text: str, judgement: Judgement, official_sender: bool, known_collector: bool = False
) -> list[TextHit]:
    """The categories a message commits, one hit each; nothing from an official sender (a court's,
    police station's or regulator's own number), whose legal-process notices are what they say.
    known_collector: the sender is known to collect (linked to a party, or its other messages are
    collection), so veiled menace and insult read as what they are (cues with speaker =
    "collector"); without it those cues are not tried."""
    if official_sender or not _may_hold(judgement, text):
        return []  # a court's own number does not impersonate one, nor harass on its own behalf
    sentences = _sentences(text, judgement.sounds)
    whole = "。".join(s.text for s in sentences)
    if judgement.stance.framing.search(whole):
        return []
    hits = []
    for cues in judgement.cues.values():
        hit = _first_hit(judgement, cues, sentences, whole, text, known_collector)
        if hit is not None:
            hits.append(hit)
    return hits


def _first_hit(
    j: Judgement,
    cues: tuple[Cue, ...],
    sentences: list[_Sentence],
    whole: str,
    original: str,
    known_collector: bool,
) -> TextHit | None:
    for s in sentences:
        for cue in cues:
            if cue.collector_only and not known_collector:
                continue
            if cue.gate is not None and cue.gate.search(s.text) is None:
                continue
            for m in cue.finditer(s.text):
                if cue.unless is not None and cue.unless.search(s.text):
                    break
                if cue.context is not None and not cue.context.search(whole):
                    break
                if not _asserted(j.stance, s, m.start(), m.end(), cue.rhetorical):
                    continue
                offsets = _offsets(original, s, j.sounds)
                a = offsets[m.start()] if m.start() < len(offsets) else len(original)
                b = offsets[m.end() - 1] + 1 if m.end() > m.start() else a
                return TextHit(cue.category, excerpt(original, a), cue.id, cue.act, original[a:b], a, b)
    return None


def is_collection_text(text: str, collection: re.Pattern[str]) -> bool:
    """Whether a message is about collecting a debt (catalog.collection), evasions undone."""
    return collection.search(normalise(text)) is not None


class TextJudge:
    """text_hits with a memo by the text with its digits masked. One judgement per key is kept,
    with the text it was made for, not one per text: 100,000 messages' hits, each with its own
    quotation, would be 75 MB. Hits returned are shared: never change them."""

    def __init__(self, judgement: Judgement | None = None) -> None:
        self._judgement = judgement  # loaded on the first text: pypinyin's tables cost ~30 MB
        self._masked: dict[tuple[bytes, bool, bool], tuple[str, list[TextHit]]] = {}
        self._suggested: dict[bytes, tuple[Suggestion, ...]] = {}

    def suggestions(self, text: str, hits: list[TextHit]) -> tuple[Suggestion, ...]:
        """The categories the statistical model suggests for a collector's text beyond `hits`
        (evidence.rules.suggest): never filed, only offered to the user to confirm."""
        key = masked_key(text)  # the model reads digits masked; hits are alike for a key too
        found = self._suggested.get(key)
        if found is None:
            found = self._suggested[key] = tuple(suggested(text, {h.category for h in hits}))
        return found

    def hits(self, text: str, official_sender: bool, known_collector: bool = False) -> list[TextHit]:
        # Cues never read digits' values, so messages that differ only in amounts, dates or case
        # numbers share one judgement: a collector's template is judged once however often sent.
        key = (masked_key(text), official_sender, known_collector)
        known = self._masked.get(key)
        if known is None:
            if self._judgement is None:
                self._judgement = load_judgement()
            found = text_hits(text, self._judgement, official_sender, known_collector)
            self._masked[key] = (text, found)
            return found
        template, found = known
        return found if text == template or not found else [h.moved_to(text) for h in found]
