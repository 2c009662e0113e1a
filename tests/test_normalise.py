"""Normalisation before judgement: each folding step, the phonetic layer, offset maps, properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.rules.normalise import (
    _SYLLABLES,
    MIN_PHONETIC_SYLLABLES,
    NormalisedText,
    _fold_char,
    _Table,
    find_phonetic,
    normalise,
    phonetic,
    phonetic_syllables,
    variants,
)

# --- normalise: one case per transformation ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("通訊錄", "通讯录"),  # traditional → simplified
        ("請立即還款，否則催收人員將聯繫你的通訊錄", "请立即还款否则催收人员将联系你的通讯录"),
        ("後果自負", "后果自负"),
        ("乾隆", "乾隆"),  # a phrase OpenCC keeps traditional stays so
        ("薴", "苎"),  # the one character t2s needs two steps for
        ("\uf900", "岂"),  # CJK compatibility ideograph → unified 豈 → simplified
        ("⼀⻔", "一门"),  # Kangxi radical (NFKC) and a radical form (our table) → ideograph
    ],
)
def test_traditional_and_compatibility_forms_become_simplified(raw: str, folded: str) -> None:
    assert normalise(raw) == folded


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("ｔｏｎｇ", "tong"),
        ("ＴＯＮＧ ＸＵＮ ＬＵ", "tongxunlu"),
        ("逾期３天", "逾期3天"),
        ("Verification Code", "verificationcode"),
        ("上mén", "上men"),  # tone marks go with every other combining mark
        ("①⑴Ⅻ", "11xii"),
        ("٣天", "3天"),  # any script's digits as 0-9
    ],
)
def test_full_width_case_and_accents_fold(raw: str, folded: str) -> None:
    assert normalise(raw) == folded


@pytest.mark.parametrize(
    "raw",
    [
        "上 门",
        "上　门",  # ideographic space
        "上\n\t门",
        "上.门",
        "上，门",
        "上-门",
        "上·门",
        "上\u200b门",  # zero-width space
        "上\u200c门",  # zero-width non-joiner
        "上\u200d门",  # zero-width joiner
        "上\u2060门",  # word joiner
        "上\ufeff门",  # byte-order mark
        "上\u00ad门",  # soft hyphen
        "上\u202e门",  # right-to-left override
        "上\u3164门",  # Hangul filler: a letter that draws nothing
        "上🙂门",
        "上❤️门",  # emoji with variation selector
        "上👨‍👩‍👧门",  # emoji joined by ZWJ
        "上🇨🇳门",  # flag: regional indicators
        "上\U000e0041门",  # tag character
        "上\u0336门\u0336",  # strike-through combining marks
        "【上】《门》",
    ],
)
def test_spacing_punctuation_emoji_and_invisibles_between_characters_go(raw: str) -> None:
    assert normalise(raw) == "上门"


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("快快快快还钱", "快快还钱"),
        ("还钱！！！！！", "还钱"),
        ("哈哈哈哈哈", "哈哈"),
        ("爸爸妈妈", "爸爸妈妈"),  # doubled words stay
        ("共10000元，尾号8888", "共10000元尾号8888"),  # digits never collapse
        ("上 上 上 门", "上上门"),  # separators first, then repeats
        ("sooooo", "soo"),
    ],
)
def test_long_repeats_shrink_to_two(raw: str, folded: str) -> None:
    assert normalise(raw) == folded


def test_digits_are_kept_and_joined_across_punctuation() -> None:
    assert normalise("逾期3天，共1,000.50元") == "逾期3天共100050元"


def test_empty_and_blank_texts() -> None:
    assert normalise("") == phonetic("") == ""
    assert normalise(" \u200b🙂。") == ""
    assert variants("") == NormalisedText("", "", "", (), ())


# --- phonetic ---------------------------------------------------------------------------------


def test_homophones_and_pinyin_meet() -> None:
    assert phonetic("尚门") == phonetic("上门") == phonetic("shangmen") == phonetic("Shang Men") == "shangmen"
    assert phonetic("上mén") == "shangmen"
    assert phonetic("通讯录") == phonetic("通訊錄") == phonetic("通讯路") == "tongxunlu"
    assert phonetic("tong xun lu") == phonetic("tongxunlu") == phonetic("ＴＯＮＧ ＸＵＮ ＬＵ") == "tongxunlu"
    assert phonetic("通 讯 录") == phonetic("通.讯.录") == phonetic("通\u200b讯🙂录") == "tongxunlu"


def test_phonetic_writes_u_umlaut_as_u_and_keeps_digits() -> None:
    assert phonetic("绿") == phonetic("lü") == phonetic("lv") == phonetic("lu") == "lu"
    assert phonetic("律师函") == phonetic("lvshihan") == "lushihan"
    assert phonetic("逾期3天") == "yuqi3tian"


def test_polyphonic_characters_use_their_common_reading() -> None:
    assert phonetic("还") == "hai"  # 还款 reads huan: find_phonetic hears every reading
    assert phonetic_syllables("还款")[0] >= {"hai", "huan"}


def test_key_phrases_split_into_syllables() -> None:
    assert [sorted(s) for s in phonetic_syllables("上门")] == [["shang"], ["men"]]
    assert len(phonetic_syllables("tong xun lu")) == len(phonetic_syllables("tongxunlu")) == 3
    assert len(phonetic_syllables("xian")) == 1 and len(phonetic_syllables("xi'an")) == 2
    for bad in ("app", "3天", "qqq"):
        with pytest.raises(ValueError):
            phonetic_syllables(bad)


# --- find_phonetic ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("不还就打给你通讯路上所有人", "通讯路"),
        ("不还就打给你通.讯.路上所有人", "通.讯.路"),
        ("不还就打给你tong xun lu上所有人", "tong xun lu"),
        ("不还就打给你TongXunLu上所有人", "TongXunLu"),
        ("不还就打给你通讯lu上所有人", "通讯lu"),
        ("不還就打給你通訊錄上所有人", "通訊錄"),
        ("不还就打给你通\u200b讯🙂录上所有人", "通\u200b讯🙂录"),
    ],
)
def test_a_phrase_is_heard_and_quoted_as_written(text: str, quote: str) -> None:
    found = find_phonetic(text, "通讯录")
    assert found is not None
    assert found.quote == quote
    assert text[found.start : found.end] == quote


def test_every_reading_of_a_polyphonic_character_is_heard() -> None:
    for text in ("明天是还款日", "明天是环款日", "明天是huan kuan ri", "明天是hai kuan ri"):
        assert find_phonetic(text, "还款日") is not None, text


def test_matches_respect_syllable_boundaries() -> None:
    assert find_phonetic("shangmenkou", "杭门口") is None  # s|hang is no split of shang
    assert find_phonetic("shangmenkou", "上门口") is not None
    assert find_phonetic("我们李安喜人", "联系人") is None  # li an ≠ lian
    assert find_phonetic("一起去吃饭吧", "通讯录") is None


def test_phrases_below_the_minimum_are_refused() -> None:
    assert MIN_PHONETIC_SYLLABLES == 3
    with pytest.raises(ValueError, match="too short"):
        find_phonetic("明天尚门", "上门")
    with pytest.raises(ValueError, match="never below"):
        find_phonetic("明天尚门", "门", min_syllables=1)
    found = find_phonetic("明天就上mén", "上门", min_syllables=2)  # a rule's checked exception
    assert found is not None and found.quote == "上mén"


def test_why_two_syllables_are_noise() -> None:
    # 刑事 (criminal) sounds like 形式 (form): an ordinary bank notice would read as a legal threat.
    assert find_phonetic("以短信形式通知您", "刑事", min_syllables=2) is not None
    assert find_phonetic("以短信形式通知您", "刑事案件") is None


def test_find_accepts_prepared_text() -> None:
    v = variants("他说要上门找你家里人")
    found = find_phonetic(v, "家里人")
    assert found is not None and (found.start, found.end, found.quote) == (7, 10, "家里人")


# --- offset maps ------------------------------------------------------------------------------


def test_offsets_quote_the_original_words() -> None:
    v = variants("您的通 訊 錄，全部 上\u200b门！")
    i = v.normalised.index("通讯录")
    assert v.quote(i, i + 3) == "通 訊 錄"
    j = v.phonetic.index("shangmen")
    assert v.quote(j, j + len("shangmen"), "phonetic") == "上\u200b门"
    assert v.original_span(0, 0) == (0, 0)
    assert v.original_span(len(v.normalised), len(v.normalised)) == (len(v.original), len(v.original))
    with pytest.raises(ValueError):
        v.original_span(0, len(v.normalised) + 1)


def test_one_character_may_expand() -> None:
    v = variants("㍿上门")  # one square sign → 株式会社
    assert v.normalised == "株式会社上门"
    assert v.normalised_offsets == (0, 0, 0, 0, 1, 2)
    assert v.quote(0, 4) == "㍿"


# --- properties -------------------------------------------------------------------------------

CJK_HEAVY = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("通訊錄讯录催收上门尚乾隆薴苧苎發发髮后後还款 .，　\u200b\u200d🙂❤️ａＡv1１快")),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(),
    ),
    max_size=40,
)
ANY_TEXT = st.one_of(st.text(), CJK_HEAVY)


@settings(max_examples=300)
@given(ANY_TEXT)
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert phonetic(once) == phonetic(text)


@settings(max_examples=300)
@given(ANY_TEXT)
def test_never_raises_and_layers_agree(text: str) -> None:
    v = variants(text)
    assert v.original == text
    assert v.normalised == normalise(text)
    assert v.phonetic == phonetic(text)
    find_phonetic(text, "通讯录")
    find_phonetic(v, "shang men kou")


@settings(max_examples=300)
@given(ANY_TEXT)
def test_offset_maps_point_inside_the_original(text: str) -> None:
    v = variants(text)
    for form, offsets in ((v.normalised, v.normalised_offsets), (v.phonetic, v.phonetic_offsets)):
        assert len(offsets) == len(form)
        assert all(0 <= o < len(text) for o in offsets)
        assert list(offsets) == sorted(offsets)
        if form:
            a, b = v.original_span(0, len(form), "normalised" if form is v.normalised else "phonetic")
            assert 0 <= a < b <= len(text)


@given(st.text(alphabet="0123456789"))
def test_ascii_digits_are_stable(digits: str) -> None:
    assert normalise(digits) == phonetic(digits) == phonetic(phonetic(digits)) == digits


def test_every_character_folds_to_characters_that_fold_to_themselves() -> None:
    # Planes 0-3 (every script, CJK extensions) and 14 (tags, variation selectors): all of
    # Unicode that is assigned outside private use. Makes idempotence hold character by character.
    fold = _Table(_fold_char)  # not the module's table, which would keep 260,000 entries
    for code in [*range(0x40000), *range(0xE0000, 0xE1000)]:
        folded = fold[code]
        assert folded.translate(fold) == folded, hex(code)


def test_the_syllable_table_is_pypinyins_less_the_interjections() -> None:
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    heard = {to_normal(r).replace("v", "u") for v in pinyin_dict.values() for r in v.split(",")}
    assert heard - _SYLLABLES == {"m", "n", "ng", "hm", "hng", "ê"}
    assert heard >= _SYLLABLES
