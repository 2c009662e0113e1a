"""Normalisation before judgement: a folded form for phrase rules and a phonetic form for homophones.

Collectors dodge keyword filters by writing 通訊錄 for 通讯录, ｔｏｎｇ for tong, 上 门 or 上​门 for
上门, 尚门 for 上门 and tongxunlu for 通讯录. Three layers undo that, each mapped back to the
characters of the original message so an explanation can quote the words the collector wrote:

    original    "您的通訊錄 全部 上​门 🙂 催收！！！"
    normalised  "您的通讯录全部上门催收"       normalise(): NFKC, traditional → simplified, lower case,
                                             no spacing, punctuation, emoji or invisible characters
    phonetic    "nindetongxunluquanbushangmencuishou"
                                             phonetic(): toneless pinyin, Latin letters passed through

The normalised form is for matching phrases only: it joins digits across punctuation ("1,000.50"
becomes "100050"), so amounts and dates are read from the original. A pattern meant to run on it
must itself be normalised (``normalise("verification code") == "verificationcode"``).

The phonetic form spells each Chinese character with its most common reading, ü as u (绿, lü, lv
and lu all become "lu"), and leaves digits and other scripts as they are. find_phonetic() is
stricter about what counts as the same sound: it lets a character match any of its readings
(还 is hai or huan), reads Latin letters as pinyin syllables and only matches on syllable
boundaries (杭门口 is not found in "shangmenkou"). A phrase must have MIN_PHONETIC_SYLLABLES
syllables: shorter ones collide with ordinary words (刑事 sounds like 形式 "form", 逮捕 like
代步, 拘留 like 居留), so a rule may lower the minimum to 2 only for a phrase it has checked
has no common homophone, and never to 1.

Everything here is a pure function of its argument and memoised, because collectors send the
same templated message again and again: a rule pass over 1,000,000 events calls these on far
fewer distinct texts.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from itertools import chain, compress
from typing import Literal, TypeVar

__all__ = [
    "MIN_PHONETIC_SYLLABLES",
    "NormalisedText",
    "PhoneticMatch",
    "find_phonetic",
    "heard_span",
    "latin_breaks",
    "mask_digits",
    "masked_key",
    "normalise",
    "phonetic",
    "phonetic_syllables",
    "variants",
]

MIN_PHONETIC_SYLLABLES = 3
PHONETIC_FLOOR = 2  # no phrase of one syllable is ever matched by sound: every text has one
CACHE_SIZE = 1 << 12  # distinct texts remembered by normalise() and phonetic()
VARIANTS_CACHE_SIZE = 1 << 12  # NormalisedText holds offset tuples: about 1 KB for a short message

# Letters that draw nothing although Unicode calls them letters (Hangul fillers), used as spaces.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Radical forms that stand alone as the character they look like (⻔ for 门): Unicode gives them
# no decomposition, and they are symbols, which folding removes.
_RADICALS = dict(
    zip(
        "⺁⺇⺠⺩⻄⻅⻆⻈⻉⻋⻐⻓⻔⻗⻘⻙⻚⻛⻜⻠⻢⻣⻤⻥⻦⻧⻨⻩⻪⻬⻮⻰",
        "厂几民王西见角讠贝车钅长门雨青韦页风飞饣马骨鬼鱼鸟卤麦黄黾齐齿龙",
        strict=True,
    )
)
# Runs of three or more of one character (digits excepted: 1000, 666) shrink to two: 快快快快还钱
# reads 快快还钱 while 爸爸 and 谢谢 stay whole.
_REPEATS = re.compile(r"(\D)\1{2,}")
_TRIPLE = re.compile(r"(.)\1\1", re.DOTALL)  # four times cheaper than _REPEATS when nothing repeats
_LATIN = re.compile(r"[a-z]+")
# Standard toneless pinyin syllables, ü written u (lü → lu, lüe → lue), as listed by pypinyin's
# character dictionary less the interjections m, n, ng, hm, hng and ê, which would let almost any
# run of Latin letters split somewhere. Used to read pinyin that a person typed in Latin letters.
_SYLLABLE_TABLE = """
    a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu ca
    cai can cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu
    chua chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de
    dei den deng di dia dian diao die din ding diu dong dou du duan dui dun duo e ei en eng er fa
    fan fang fei fen feng fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai
    guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui
    hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke
    kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei len leng
    li lia lian liang liao lie lin ling liu lo long lou lu luan lue lun luo ma mai man mang mao me
    mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni
    nia nian niang niao nie nin ning niu nong nou nu nuan nue nun nuo o ou pa pai pan pang pao pei
    pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu
    quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao
    se sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang
    shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te tei teng ti tian tiao
    tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wong wu xi xia xian xiang
    xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan
    yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi
    zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
"""
_SYLLABLES = frozenset(_SYLLABLE_TABLE.split())
_LONGEST_SYLLABLE = max(map(len, _SYLLABLES))


# ---------------------------------------------------------------------------------------------
# Folding one character at a time


def _fold_once(ch: str) -> str:
    """One step of folding a single character; _fold_char repeats it until nothing changes."""
    if ch in _RADICALS:
        return _RADICALS[ch]
    nfkc = unicodedata.normalize("NFKC", ch)
    if nfkc != ch:  # first, so that full-width letters, ① and Kangxi radicals (⼀ → 一) survive
        return nfkc
    if ch in _INVISIBLE_LETTERS:
        return ""
    category = unicodedata.category(ch)
    # Z: spacing; P: punctuation; S: symbols and emoji; C: controls, zero-width and bidi
    # formatting, private use, surrogates, unassigned; M: combining marks (accents, variation
    # selectors, keycaps, strike-through added to dodge filters).
    if category[0] in "ZPSCM":
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(ch))  # every script's digits as 0-9
    lower = ch.lower()
    if lower != ch:
        return lower
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) > 1 and any(unicodedata.category(c)[0] == "M" for c in decomposed):
        return "".join(c for c in decomposed if unicodedata.category(c)[0] != "M")  # mén → men
    return ch


def _fold_char(ch: str) -> str:
    """A character's folded form, itself made of characters that fold to themselves."""
    out = ch
    for _ in range(8):
        step = "".join(_fold_once(c) for c in out)
        if step == out:
            return out
        out = step
    return "".join(c for c in out if _fold_once(c) == c)  # never reached by Unicode 15; stay safe


V = TypeVar("V")


class _Table(dict[int, V]):
    """A table by code point filled on first sight of each: for str.translate, C speed once warm."""

    def __init__(self, convert: Callable[[str], V]) -> None:
        super().__init__()
        self._convert = convert

    def __missing__(self, code: int) -> V:
        value = self[code] = self._convert(chr(code))
        return value


_FOLD = _Table(_fold_char)


# ---------------------------------------------------------------------------------------------
# Traditional → simplified


@cache
def _t2s() -> Callable[[str], str]:
    import opencc  # loaded on first use: 40 ms

    return opencc.OpenCC("t2s").convert  # type: ignore[no-any-return]


def _simplified(text: str) -> str:
    """OpenCC's t2s, repeated until stable (one character, 薴 → 苧 → 苎, takes two steps)."""
    if text.isascii():
        return text
    convert = _t2s()
    for _ in range(3):
        step = convert(text)
        if step == text:
            break
        text = step
    return text


# ---------------------------------------------------------------------------------------------
# Pinyin


# pypinyin reads two flags once, when it is first imported: one leaves out its dictionary of
# 47,000 phrases (and the segmenter built from it), the other the copy it makes of each table.
# Only single characters are ever read here, and no phrase is one character (each character's
# readings were compared with and without them, all 68,000 identical): without them the
# judgement takes 46 MB less memory, a sixth of a 100,000-message import's peak.
_PYPINYIN_FLAGS = {"PYPINYIN_NO_PHRASES": "1", "PYPINYIN_NO_DICT_COPY": "1"}


@cache
def _pinyin() -> Callable[..., list[list[str]]]:
    """pypinyin's `pinyin` in NORMAL style, loaded on first use (0.1 s) without its phrases."""
    saved = {name: os.environ.get(name) for name in _PYPINYIN_FLAGS}
    os.environ.update(_PYPINYIN_FLAGS)
    try:
        from pypinyin import Style, pinyin
    finally:  # the process's environment as it was: the flags matter only at that import
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return partial(pinyin, style=Style.NORMAL, heteronym=True, errors="ignore")


@cache
def _readings(ch: str) -> tuple[str, ...]:
    """A Chinese character's toneless readings, most common first, ü as u; () for anything else."""
    if ch.isascii():
        return ()
    found = _pinyin()(ch)
    if not found:
        return ()
    out: list[str] = []
    for reading in found[0]:
        reading = reading.replace("v", "u").replace("ü", "u").replace("ê", "e")
        if reading.isascii() and reading.isalpha() and reading not in out:
            out.append(reading)
    return tuple(out)


def _sound_of(ch: str) -> str:
    if ch == "v":
        return "u"  # typed for ü: lv, nv
    readings = _readings(ch)
    return readings[0] if readings else ch


_SOUND = _Table(_sound_of)
# A character's readings to match by sound: None for a Latin letter (read as typed pinyin).
_HEARD = _Table(lambda ch: None if "a" <= ch <= "z" else _readings(ch))


# ---------------------------------------------------------------------------------------------
# The three forms


@lru_cache(maxsize=CACHE_SIZE)
def normalise(text: str) -> str:
    """The text folded for phrase matching: NFKC, simplified Chinese, lower case, digits kept,
    spacing, punctuation, symbols, emoji and invisible characters removed, long repeats shortened.

    >>> normalise("您的通訊錄 全部 上\u200b门🙂！！")
    '您的通讯录全部上门'
    """
    folded = _simplified(text.translate(_FOLD))
    return _REPEATS.sub(r"\1\1", folded) if _TRIPLE.search(folded) else folded


_DIGIT_MASK = str.maketrans("123456789", "000000000")


def mask_digits(text: str) -> str:
    """Every ASCII digit as 0: texts that differ only in amounts, dates or case numbers become
    one, so what never reads a digit's value is worked out once for all of them."""
    return text.translate(_DIGIT_MASK)


_BYTE_DIGIT_MASK = bytes.maketrans(b"123456789", b"000000000")


def masked_key(text: str) -> bytes:
    """A key that is the same for two texts exactly when mask_digits makes them the same, ten
    times cheaper to make (str.translate looks each Chinese character up in a dict). In UTF-8
    the bytes of an ASCII digit never occur inside another character's."""
    return text.encode("utf-8", "surrogatepass").translate(_BYTE_DIGIT_MASK)


@lru_cache(maxsize=CACHE_SIZE)
def phonetic(text: str) -> str:
    """The normalised text spoken: toneless pinyin, syllables joined, Latin letters and digits kept.

    >>> phonetic("尚门") == phonetic("上门") == phonetic("Shang Men") == "shangmen"
    True
    """
    return normalise(text).translate(_SOUND)


Layer = Literal["normalised", "phonetic"]


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """A message in its three forms; offsets[i] is the index in the original of the character
    that the i-th character of that form came from (non-decreasing, always inside the original).
    """

    original: str
    normalised: str
    phonetic: str
    normalised_offsets: tuple[int, ...]
    phonetic_offsets: tuple[int, ...]

    def original_span(self, start: int, end: int, layer: Layer = "normalised") -> tuple[int, int]:
        """The span of the original that characters start:end of a form came from."""
        offsets = self.normalised_offsets if layer == "normalised" else self.phonetic_offsets
        if not 0 <= start <= end <= len(offsets):
            raise ValueError(f"span {start}:{end} outside the {layer} text of {len(offsets)} characters")
        if start == end:
            at = offsets[start] if start < len(offsets) else len(self.original)
            return at, at
        return offsets[start], offsets[end - 1] + 1

    def quote(self, start: int, end: int, layer: Layer = "normalised") -> str:
        """The original words behind characters start:end of a form, as the sender wrote them."""
        a, b = self.original_span(start, end, layer)
        return self.original[a:b]


@lru_cache(maxsize=VARIANTS_CACHE_SIZE)
def variants(text: str) -> NormalisedText:
    """The text normalised and spoken, with maps from both back to the original characters."""
    folded = list(map(_FOLD.__getitem__, map(ord, text)))
    joined = "".join(folded)
    if len(joined) == len(text) - folded.count(""):  # no character grew (㍿ → 株式会社 is rare)
        offsets = list(compress(range(len(text)), folded))
    else:
        offsets = _spread(range(len(text)), folded)
    simple = _simplified(joined)
    if len(simple) != len(joined):  # OpenCC's t2s tables keep lengths; convert alone if one did not
        pieces = [_simplified(ch) for ch in joined]
        simple = "".join(pieces)
        offsets = _spread(offsets, pieces)
    if _TRIPLE.search(simple) and _REPEATS.search(simple):
        keep: list[int] = []
        last = 0
        for m in _REPEATS.finditer(simple):
            keep.extend(range(last, m.start() + 2))
            last = m.end()
        keep.extend(range(last, len(simple)))
        simple = "".join(simple[k] for k in keep)
        offsets = [offsets[k] for k in keep]
    sounds = list(map(_SOUND.__getitem__, map(ord, simple)))
    return NormalisedText(text, simple, "".join(sounds), tuple(offsets), tuple(_spread(offsets, sounds)))


def _spread(offsets: Iterable[int], pieces: Iterable[str]) -> list[int]:
    """Each piece's offset once per character of the piece (none for an empty piece)."""
    return [at for at, piece in zip(offsets, pieces, strict=True) for _ in piece]


# ---------------------------------------------------------------------------------------------
# Finding a phrase by sound


@dataclass(frozen=True, slots=True)
class PhoneticMatch:
    """Where a phrase was heard: start:end in the original and the words found there."""

    phrase: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True, slots=True)
class _Sounds:
    """A normalised text prepared for matching by sound."""

    text: str  # the normalised text with v read as u
    readings: list[tuple[str, ...] | None]  # per character; None for a Latin letter
    boundary: list[bool]  # per position 0..len: may a syllable start or end here?
    present: frozenset[str]  # every syllable that can be heard somewhere in the text
    latin_starts: dict[str, list[int]]  # syllable → positions in Latin runs where it can start


def _reachable(run: str, order: Iterable[int], forward: bool) -> set[int]:
    """Positions of a Latin run that a chain of pinyin syllables reaches from one of its ends."""
    n = len(run)
    reached = {0 if forward else n}
    for p in order:
        if p not in reached:
            continue
        for size in range(1, _LONGEST_SYLLABLE + 1):
            q = p + size if forward else p - size
            if not 0 <= q <= n:
                break
            if (run[p:q] if forward else run[q:p]) in _SYLLABLES:
                reached.add(q)
    return reached


def _latin_boundaries(run: str) -> set[int]:
    """Where a run of Latin letters may split into syllables (shang|men, not s|hangmen)."""
    n = len(run)
    ahead = _reachable(run, range(n), forward=True)
    behind = _reachable(run, range(n, 0, -1), forward=False)
    if n in ahead:  # all pinyin: only the splits of some full reading
        return ahead & behind
    return ahead | behind | {0, n}  # pinyin among other letters: any split either end allows


@lru_cache(maxsize=VARIANTS_CACHE_SIZE)
def _sounds(normalised: str) -> _Sounds:
    text = normalised.replace("v", "u")
    n = len(text)
    readings = list(map(_HEARD.__getitem__, map(ord, text)))
    boundary = [True] * (n + 1)
    starts: dict[str, list[int]] = {}
    for m in _LATIN.finditer(text):
        a, b = m.span()
        splits = _latin_boundaries(m.group())
        for p in range(a + 1, b):
            boundary[p] = p - a in splits
        for p in range(a, b):
            if not boundary[p]:
                continue
            for size in range(1, _LONGEST_SYLLABLE + 1):
                if p + size > b:
                    break
                if text[p : p + size] in _SYLLABLES and boundary[p + size]:
                    starts.setdefault(text[p : p + size], []).append(p)
    present = frozenset(chain(chain.from_iterable(filter(None, readings)), starts))
    return _Sounds(text, readings, boundary, present, starts)


@lru_cache(maxsize=CACHE_SIZE)
def latin_breaks(run: str) -> frozenset[int] | None:
    """Where a run of Latin letters typed as pinyin breaks between syllables, read as the fewest
    syllables ("lianxi" is lian|xi, not li|an|xi), ends included; None if it is not pinyin."""
    syllables = _split_latin(run)
    if syllables is None:
        return None
    breaks, at = {0}, 0
    for syllable in syllables:
        at += len(syllable)
        breaks.add(at)
    return frozenset(breaks)


def _split_latin(run: str) -> list[str] | None:
    """Latin letters read as the fewest pinyin syllables, or None if they are not pinyin."""
    best: list[list[str] | None] = [None] * (len(run) + 1)
    best[0] = []
    for p in range(len(run)):
        here = best[p]
        if here is None:
            continue
        for size in range(1, _LONGEST_SYLLABLE + 1):
            q = p + size
            if q > len(run):
                break
            if run[p:q] in _SYLLABLES:
                there = best[q]
                if there is None or len(there) > len(here) + 1:
                    best[q] = [*here, run[p:q]]
    return best[len(run)]


@cache
def phonetic_syllables(phrase: str) -> tuple[frozenset[str], ...]:
    """A key phrase as syllables, each the set of readings it may be heard as.

    Chinese characters bring every reading (还 → {hai, huan, fu}); Latin letters are read as
    pinyin, split at spaces or apostrophes first ("xi'an" is two syllables, "xian" one). Raises
    ValueError for a phrase with anything that is not Chinese or pinyin (digits, English).
    """
    out: list[frozenset[str]] = []
    for part in re.split(r"[\s'’]+", phrase):
        text = normalise(part).replace("v", "u")
        for m in re.finditer(r"[a-z]+|[^a-z]", text):
            piece = m.group()
            if "a" <= piece[0] <= "z":
                split = _split_latin(piece)
                if split is None:
                    raise ValueError(f"{phrase!r}: {piece!r} is not pinyin")
                out.extend(frozenset([s]) for s in split)
            elif readings := _readings(piece):
                out.append(frozenset(readings))
            else:
                raise ValueError(f"{phrase!r}: {piece!r} has no pinyin reading")
    return tuple(out)


def _heard_at(sounds: _Sounds, key: tuple[frozenset[str], ...], i: int, k: int) -> int:
    """The end of the key heard from position i (syllable k on), or -1."""
    n = len(sounds.text)
    while k < len(key):
        if i >= n:
            return -1
        rs = sounds.readings[i]
        if rs is None:  # Latin letters: try each reading as a whole syllable, longest first
            for syllable in sorted(key[k], key=len, reverse=True):
                j = i + len(syllable)
                if j <= n and sounds.boundary[j] and sounds.text.startswith(syllable, i):
                    end = _heard_at(sounds, key, j, k + 1)
                    if end >= 0:
                        return end
            return -1
        if key[k].isdisjoint(rs):
            return -1
        i += 1
        k += 1
    return i if sounds.boundary[i] else -1


def find_phonetic(
    text: str | NormalisedText, phrase: str, *, min_syllables: int = MIN_PHONETIC_SYLLABLES
) -> PhoneticMatch | None:
    """The first place where the text sounds like the phrase, quoted from the original.

    >>> find_phonetic("加你通.讯.路的人", "通讯录").quote
    '通.讯.路'

    Raises ValueError when the phrase has fewer than min_syllables syllables (default
    MIN_PHONETIC_SYLLABLES) or min_syllables is below PHONETIC_FLOOR: short phrases match by
    chance, so a rule lowers the minimum only for a phrase it has checked.
    """
    if min_syllables < PHONETIC_FLOOR:
        raise ValueError(f"min_syllables {min_syllables}: never below {PHONETIC_FLOOR}")
    key = phonetic_syllables(phrase)
    if len(key) < min_syllables:
        raise ValueError(f"{phrase!r} has {len(key)} syllables: too short to match by sound")
    nt = text if isinstance(text, NormalisedText) else variants(text)
    span = heard_span(nt.normalised, phrase)
    if span is None:
        return None
    a, b = nt.original_span(*span)
    return PhoneticMatch(phrase, a, b, nt.original[a:b])


@lru_cache(maxsize=CACHE_SIZE)
def heard_span(normalised: str, phrase: str) -> tuple[int, int] | None:
    """Where in a normalised text the phrase is first heard (start, end in that text), or None.

    Memoised: templated texts ask again and again."""
    key = phonetic_syllables(phrase)
    sounds = _sounds(normalised)
    present = sounds.present
    for syllables in key:  # most texts lack some syllable of the phrase altogether
        if present.isdisjoint(syllables):
            return None
    first = key[0]
    candidates = {i for i, rs in enumerate(sounds.readings) if rs and not first.isdisjoint(rs)}
    candidates.update(i for s in first for i in sounds.latin_starts.get(s, ()))
    for i in sorted(candidates):
        end = _heard_at(sounds, key, i, 0)
        if end >= 0:
            return i, end
    return None
