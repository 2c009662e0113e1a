"""Text judgement: normalisation before the cues, stance, explanations, the memo and the gate.

The wording here is written for these tests, apart from the labelled corpus and the cue files:
it checks the mechanisms (a denial is not an act, a homophone is the word), not one phrasing.
The corpus score is checked at the end, on the held-out fifth, at the issue's thresholds.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from dataclasses import replace
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.records import EventRecord, PartyRecord
from evidence.resources import template_path
from evidence.rules import RuleSettings, apply_rules, load_catalog
from evidence.rules.texts import (
    Cue,
    JudgementError,
    TextJudge,
    _compile_with_anchors,
    _sentences,
    load_judgement,
    read_judgement,
    required_words,
    text_hits,
    trie_pattern,
)

TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[1]


def cats(text: str, official: bool = False) -> set[int]:
    return {h.category for h in text_hits(text, load_judgement(), official)}


# --- normalisation: the same words however they are written -----------------------------------

PLAIN = "这周再拖着不还，我们就把欠款的事告诉你通讯录里每一个人"


@pytest.mark.parametrize(
    "written",
    [
        PLAIN,
        "這週再拖著不還，我們就把欠款的事告訴你通訊錄裡每一個人",  # traditional
        "这周再拖着不还，我们就把欠款的事告诉你通 讯 录里每一个人",  # spaced out
        "这周再拖着不还，我们就把欠款的事告诉你通\u200b讯\u200b录里每一个人",  # zero-width
        "这周再拖着不还，我们就把欠款的事告诉你通讯路里每一个人",  # homophone
        "这周再拖着不还，我们就把欠款的事告诉你tong xun lu里每一个人",  # pinyin
        "这周再拖着不还，我们就把欠款的事告诉你ＴＯＮＧ ＸＵＮ ＬＵ里每一个人",  # full-width pinyin
    ],
)
def test_evasions_of_one_message_are_judged_alike(written: str) -> None:
    assert 1 in cats(written)
    assert cats(written) == cats(PLAIN)


def test_a_two_syllable_homophone_needs_the_sender_to_spell_it_out() -> None:
    judgement = load_judgement()
    (hit,) = [h for h in text_hits("你不出面，明早上mén找你", judgement, False) if h.category == 6]
    assert hit.words == "上mén"  # the quote is the sender's own spelling
    # 加人 sounds like 家人, but nobody writes 家人 that way to dodge a filter
    assert 1 not in cats("群满了，明天再加人，你先别急")


# --- stance: asserting the act, not mentioning it ------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "周五前不处理，我们安排同事去你公司当面谈",  # the act, after a condition with 不
        "再不还钱，你单位领导那边我们会逐个打电话",
        "你是想让我们去你老家走一趟吗？",  # a threat put as a question
    ],
)
def test_asserted_acts_are_found(text: str) -> None:
    assert cats(text) & {1, 6}


@pytest.mark.parametrize(
    "text",
    [
        "我们公司从来不会去客户家里或单位催收，请放心",  # denied
        "催收那边打电话说明天要去我单位，我该怎么办？",  # reported, and asked about
        "他们真的会去我老家吗？",  # asked
        "我的家人都被催收打过电话了，好崩溃",  # done to the speaker
        "去年有记者报道过，某催收公司员工跑到借款人老家张贴欠款告示",  # news
    ],
)
def test_denied_reported_asked_and_news_are_not_acts(text: str) -> None:
    assert not cats(text)


def test_official_senders_never_raise_legal_process_claims() -> None:
    notice = "您与某小额贷款公司借款合同纠纷一案已立案，请按传票时间到庭。"
    assert 7 in cats(notice, official=False)
    assert 7 not in cats(notice, official=True)


def test_pinyin_is_read_the_shortest_way_before_a_longer_reading() -> None:
    # "lianxi" is lian|xi (联系), not li|an|xi (立案 + xi); spaced "li an" is still 立案
    assert cats("不还就lianxi你家里人和同shi") == cats("不还就联系你家里人和同事") == {1}
    assert 7 in cats("你的案子已经li an了，等着收传票")


def test_a_question_about_what_someone_said_of_the_reader_does_not_deny_asking_them() -> None:
    # the question mark taunts about the borrower, the neighbours were asked all the same
    assert 1 in cats("刚去过你家了，邻居说你们很少回来？别以为躲得掉。")
    assert 1 not in cats("你们会去问我邻居吗？")


def test_veiled_menace_is_read_as_menace_only_from_a_known_collector() -> None:
    judgement = load_judgement()
    veiled = "你那辆新买的电动车挺好看的，希望它一直好好的"
    assert 5 in {h.category for h in text_hits(veiled, judgement, False, known_collector=True)}
    assert not text_hits(veiled, judgement, False)  # a friend's small talk, on the words alone
    # put as a question, it is still the menace: the question is how it is made
    asked = "你的车还停在小区地下车库吧，车胎最近还好吗？"
    assert 5 in {h.category for h in text_hits(asked, judgement, False, known_collector=True)}
    party = [PartyRecord("好借花", ("17155550099",))]
    linked = replace(sms(veiled), party="好借花")
    assert 5 in {f.category for f in apply_rules([linked], party, RuleSettings(TZ))}
    # a number whose only message is this is not made a collector by it
    assert not [f for f in apply_rules([sms(veiled)], [], RuleSettings(TZ)) if f.category == 5]


# --- findings say which words and which rule --------------------------------------------------


def sms(text: str, number: str = "17155550099", number_class: str = "mobile") -> EventRecord:
    return EventRecord(
        1, 1, "sms", "in", number, number_class, None, datetime(2026, 9, 3, 14, tzinfo=TZ), None, None, text
    )


def test_a_finding_quotes_the_senders_words_and_names_the_act() -> None:
    text = "明早九点外访组到你单 位门口等你"
    (f,) = [f for f in apply_rules([sms(text)], [], RuleSettings(TZ)) if f.category == 6]
    hit = next(h for h in text_hits(text, load_judgement(), False) if h.category == 6)
    assert hit.words and hit.words in text and text[hit.start : hit.end] == hit.words
    assert f"判断依据：“{hit.words}”（{hit.act}）" in f.explanation


def test_a_lone_legal_threat_makes_its_number_a_collector() -> None:
    # nothing else from this number: the claim itself is the collector's act
    found = apply_rules([sms("你已被起诉，明天法院来人拘传你")], [], RuleSettings(TZ))
    assert 7 in {f.category for f in found}
    # the same words from a court's official number are not impersonation
    official = apply_rules([sms("你已被起诉，明天法院来人拘传你", "12368", "court")], [], RuleSettings(TZ))
    assert 7 not in {f.category for f in official}


# --- the memo and the gate --------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_messages_differing_only_in_digits_share_a_judgement_but_quote_their_own_words(
    a: int, b: int
) -> None:
    judge = TextJudge()
    first = judge.hits(f"欠款{a}元，{a % 7 + 1}号前不还就上门找你", False)
    second = judge.hits(f"欠款{b}元，{b % 7 + 1}号前不还就上门找你", False)
    assert [h.category for h in first] == [h.category for h in second] == [6]
    text = f"欠款{b}元，{b % 7 + 1}号前不还就上门找你"
    assert all(text[h.start : h.end] == h.words and h.excerpt in text for h in second)


_CUES = [c for cues in load_judgement().cues.values() for c in cues]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_cue_never_matches_where_its_gate_does_not(data: st.DataObject) -> None:
    """The gate is a shortcut: it may let through what the cue then rejects, never the reverse."""
    cue = data.draw(st.sampled_from(_CUES))
    assert cue.gate is not None, f"{cue.id}: no required words found, every message pays for it"
    alphabet = sorted(set(re.sub(r"[\\()?:|\[\]{}^.*+0-9,]", "", cue.source)) | {"，", "你"})
    text = data.draw(st.text(st.sampled_from(alphabet), max_size=40))
    if cue.pattern.search(text):
        assert cue.may_match(text)


# Patterns of the shapes the cue files use, over a small alphabet so that random texts match them.
START_PATTERNS = [
    "(?<!不)上门",
    "(?:你|您)?的?(?:家人|同事)",
    "a(?:b|c){0,2}d",
    "(?:x|y)?z[^q]{0,2}w",
    "(?:ab)*c",
    "(?=a)ab|b(?!a)",
    "(?:a|)b",
    "[a-c]{2,3}(?:d|上)",
    "(?:上|a)+门?",
    "a*b",
]
START_ALPHABET = "abcdqwxyz上门不你您的家人同事"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(START_PATTERNS), st.text(st.sampled_from(START_ALPHABET), max_size=30))
def test_looking_only_where_a_match_can_start_finds_what_finditer_finds(pattern: str, text: str) -> None:
    compiled, _words, starts = _compile_with_anchors(pattern, "test")
    cue = Cue("test", 1, "", compiled, pattern, None, None, None, starts)
    assert [m.span() for m in cue.finditer(text)] == [m.span() for m in compiled.finditer(text)]


def test_every_shipped_cue_knows_how_its_matches_start_and_finds_what_finditer_finds() -> None:
    """The start patterns are what make judgement affordable (a cue that opens with a word list
    is otherwise tried at every position); on the corpus's own sentences they change nothing."""
    judgement = load_judgement()
    assert sum(c.starts is None for c in _CUES) <= 2
    bench = _bench()
    messages, _problems, _ = bench.load_corpus(bench.CORPUS)
    texts = [m.text for m in messages][::7]
    for text in texts:
        for sentence in _sentences(text, judgement.sounds):
            for cue in _CUES:
                found = [m.span() for m in cue.finditer(sentence.text)]
                assert found == [m.span() for m in cue.pattern.finditer(sentence.text)], cue.id


def test_the_gates_only_save_work_they_never_change_a_judgement() -> None:
    """The first look (each cue tried only on sentences holding its gate's words, each sound
    looked for only where its reading occurs, unless and context searched only where they can
    match) against the same judgement with no first look at all, on every corpus message: the
    same hits, in the same order."""
    judgement = load_judgement()
    reference = replace(judgement, first_look=False)
    assert any(cue.gate is not None for v in judgement.cues.values() for cue in v)
    bench = _bench()
    messages, _problems, _ = bench.load_corpus(bench.CORPUS)
    for m in messages:
        assert text_hits(m.text, judgement, False) == text_hits(m.text, reference, False), m.id


@cache
def _corpus_texts() -> list[str]:
    bench = _bench()
    return [m.text for m in bench.load_corpus(bench.CORPUS)[0]]


# What collectors do to a message: split or join its sentences, space or spell its words out,
# deny, ask, report, and every one of these in the middle of a word.
_EDITS = [
    "，",
    "。",
    "？",
    " ",
    "\u200b",
    "\n",
    "不会",
    "吗",
    "催收说",
    "就",
    "我们",
    "tong xun lu",
    "shang men",
    "li案",
    "通讯路",
    "上門",
    "通訊錄",
    "👍",
    "…",
]


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_the_first_look_never_changes_a_judgement_of_edited_corpus_messages(data: st.DataObject) -> None:
    judgement = load_judgement()
    reference = replace(judgement, first_look=False)
    corpus = _corpus_texts()
    text = data.draw(st.sampled_from(corpus))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        edit = data.draw(st.sampled_from(["insert", "delete", "join"]))
        if edit == "insert":
            text = text[:at] + data.draw(st.sampled_from(_EDITS)) + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 3)) :]
        else:
            text = text[:at] + "。" + data.draw(st.sampled_from(corpus))
    assert text_hits(text, judgement, False) == text_hits(text, reference, False)


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("上门|登门", {"上门", "登门"}),
        ("(?:你|您)?的?(?:家人|同事)", {"家人", "同事"}),
        ("(?:去|到)(?:你|您)(?:的)?(?:家|单位)", {"去", "到"}),
        ("a?b*", None),
    ],
)
def test_required_words(pattern: str, words: set[str] | None) -> None:
    found = required_words(pattern)
    assert (set(found) if found is not None else None) == words


TRIE_CHARS = "打给电话通知联系人.[a"


@settings(max_examples=300, deadline=None)
@given(
    st.sets(st.text(st.sampled_from(TRIE_CHARS), min_size=1, max_size=4), min_size=1, max_size=8),
    st.text(st.sampled_from(TRIE_CHARS + "你"), max_size=20),
)
def test_a_word_trie_matches_exactly_what_the_words_match(words: set[str], text: str) -> None:
    plain = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    trie = re.compile(trie_pattern(words))
    assert [m.group() for m in trie.finditer(text)] == [m.group() for m in plain.finditer(text)]


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=300))
def test_judgement_never_crashes_and_quotes_only_the_message(text: str) -> None:
    for official in (False, True):
        for h in text_hits(text, load_judgement(), official):
            assert text[h.start : h.end] == h.words
            assert h.category in (1, 4, 5, 6, 7, 8) and h.act


# --- the judgement files ------------------------------------------------------------------------


def test_an_inconsistent_judgement_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "judgement"
    shutil.copytree(template_path("rules", "judgement"), folder)
    read_judgement(folder)  # the copy as shipped is fine
    cues = folder / "category-6.toml"
    cues.write_text(
        cues.read_text(encoding="utf-8") + '\n[[cue]]\nid = "x"\nact = "x"\npattern = \'<nowhere>\'\n'
    )
    with pytest.raises(JudgementError, match="unknown word list <nowhere>"):
        read_judgement(folder)


def test_the_catalog_uses_the_shipped_judgement() -> None:
    assert load_catalog().judgement is load_judgement()


def test_the_shipped_derivation_is_current() -> None:
    # derived.json only saves load time (a pattern it lacks is worked out at load), but a stale
    # file after an edit to the analysis would be wrong: it must equal a fresh run of the script
    spec = importlib.util.spec_from_file_location(
        "derive_judgement", ROOT / "scripts" / "derive_judgement.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = template_path("rules", "judgement") / "derived.json"
    assert module.build() == shipped.read_text(encoding="utf-8"), "re-run scripts/derive_judgement.py"


def test_a_pattern_missing_from_the_derivation_is_worked_out_at_load(tmp_path: Path) -> None:
    folder = tmp_path / "judgement"
    shutil.copytree(template_path("rules", "judgement"), folder)
    (folder / "derived.json").write_text('{"version": 1, "patterns": {}}', encoding="utf-8")
    fresh = read_judgement(folder)
    text = "再不还钱，明天就去你公司找你领导"
    assert [h.cue for h in text_hits(text, fresh, False)] == [
        h.cue for h in text_hits(text, load_judgement(), False)
    ]


# --- the corpus: the held-out fifth at the thresholds -----------------------------------


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_judgement", ROOT / "bench" / "judgement.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_judgement"] = module
    spec.loader.exec_module(module)
    return module


# Issue 9 asks for precision >= 0.95 and recall >= 0.90 in every category and <= 2 % false alarms.
# Not met yet (the closing note of issue 9 has the table); these floors are what the filed
# judgement (the rules' findings the model does not doubt) reached when it landed, on the held-out
# fifth of the files the rules were written from (a–e) and of the calibration files no rule was
# written from (f–m, far harder), so a change that loses ground on either fails here.
FLOORS = {
    # files: (precision by category, recall by category, false-alarm rate at most)
    "abcde": (
        {1: 0.88, 4: 0.89, 5: 0.85, 6: 0.91, 7: 0.96, 8: 0.94},
        {1: 0.57, 4: 0.59, 5: 0.53, 6: 0.68, 7: 0.88, 8: 0.77},
        0.075,
    ),
    "fghijklm": (
        {1: 0.90, 4: 0.93, 5: 0.88, 6: 0.87, 7: 0.94, 8: 0.94},
        {1: 0.45, 4: 0.39, 5: 0.33, 6: 0.54, 7: 0.74, 8: 0.57},
        0.07,
    ),
}


@pytest.mark.parametrize("files", sorted(FLOORS))
def test_held_out_score_does_not_fall_below_the_floor(files: str) -> None:
    bench = _bench()
    messages, problems, _ = bench.load_corpus(bench.CORPUS)
    assert not problems
    held = [m for m in messages if bench.is_held_out(m.id) and m.id[0] in files]
    assert len(held) >= 500
    raised = bench.judge(held, load_catalog())
    filed, _offered = bench.with_model(held, raised)
    floor_precision, floor_recall, floor_false_alarms = FLOORS[files]
    report = {}
    for c in bench.CATEGORIES:
        s = bench.score(held, filed, c)
        report[c] = (round(s.right / max(s.raised, 1), 3), round(s.right / max(s.labelled, 1), 3))
    innocent = [m for m in held if not m.categories]
    false_alarms = sum(bool(filed[m.id]) for m in innocent) / len(innocent)
    assert all(p >= floor_precision[c] and r >= floor_recall[c] for c, (p, r) in report.items()), report
    assert false_alarms <= floor_false_alarms, false_alarms
