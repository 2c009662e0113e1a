"""WeChat chat exports: WeChatMsg/MemoTrace CSV and TXT, 12425/wechat-exporter's iOS CSV.

Files are built here as the exporters write them (see the module docstring of
`evidence.importers.wechat` for where each layout was learned): BOMs, CRLF from `csv.writer`,
quoting of multi-line texts, emoji, GB18030 for a CSV re-saved by Excel on a Chinese Windows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers.csv_log import MAX_ROW_CHARS
from evidence.importers.limits import MAX_TEXT_CHARS
from evidence.importers.wechat import (
    MAX_RECORD_CHARS,
    WechatExporterIosCsv,
    WeChatMsgCsv,
    WeChatMsgTxt,
    looks_like_wechat,
)
from evidence.records import ParsedEvent, SkippedRecord
from tests.test_importers_bounds import SealedStream

TZ = ZoneInfo("Asia/Shanghai")
T0 = 1786410600  # 2026-08-11 09:10:00 +08:00

Output = ParsedEvent | SkippedRecord


def local(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, TZ).strftime("%Y-%m-%d %H:%M:%S")


def run(parser: WeChatMsgCsv | WeChatMsgTxt | WechatExporterIosCsv, data: bytes) -> list[Output]:
    """Parse from a BytesIO and from a sealed stream with short reads: both must agree."""
    via_bytes = list(parser.parse(io.BytesIO(data), TZ))
    via_sealed = list(parser.parse(SealedStream(data, most=977), TZ))
    assert via_bytes == via_sealed
    return via_bytes


def events(outputs: list[Output]) -> list[ParsedEvent]:
    assert all(isinstance(o, ParsedEvent) for o in outputs), outputs
    return outputs  # type: ignore[return-value]


# --- writers, as the exporters write ----------

WECHATMSG_HEADER = [
    "localId",
    "TalkerId",
    "Type",
    "SubType",
    "IsSender",
    "CreateTime",
    "Status",
    "StrContent",
    "StrTime",
    "Remark",
    "NickName",
    "Sender",
]


def wechatmsg_csv(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)  # CRLF, minimal quoting, as the exporter's csv.writer
    writer.writerow(WECHATMSG_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def pc_row(
    local_id: int, kind: int, sub: int, sender: int, t: int, content: str, who: tuple[str, str, str]
) -> list[object]:
    """A row as WeChatMsg writes it: msg[:9] and the sender's remark, nickname and wxid."""
    return [local_id, 7, kind, sub, sender, t, 2, content, local(t), *who]


ME = ("", "我的昵称", "wxid_me000001")
COLLECTOR = ("催收-好借花", "小王", "wxid_collector01")


IOS_HEADER = ["时刻", "消息类型", "消息方向", "ID", "微信号", "昵称", "显示名称", "内容"]


def ios_csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(IOS_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def txt_name(name: str) -> str:
    """WeChatMsg's escape_js_and_html of a display name."""
    name = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for raw, escaped in (
        ("\\", "\\\\"),
        ("'", "\\'"),
        ('"', '\\"'),
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\t", "\\t"),
    ):
        name = name.replace(raw, escaped)
    return name


def txt_message(t: int, name: str, content: str) -> str:
    return f"{local(t)} {txt_name(name)}\n{content}\n\n"


# --- WeChatMsg CSV ----------

CALL_XML = (
    '<voipmsg type="VoIPBubbleMsg"><VoIPBubbleMsg><msg><![CDATA[通话时长 00:42]]></msg>'
    "<room_type>1</room_type></VoIPBubbleMsg></voipmsg>"
)


def test_wechatmsg_csv_one_to_one() -> None:
    data = wechatmsg_csv(
        [
            pc_row(1, 10000, 0, 0, T0 - 60, "你已添加了小王，现在可以开始聊天了。", COLLECTOR),
            pc_row(2, 1, 0, 0, T0, "你好，你的借款已逾期😡\n今天必须还款，否则联系你家人", COLLECTOR),
            pc_row(3, 1, 0, 1, T0 + 30, '我说过"下周"会还', ME),
            pc_row(4, 3, 0, 0, T0 + 60, "", COLLECTOR),
            pc_row(5, 34, 0, 0, T0 + 61, "", COLLECTOR),
            pc_row(6, 43, 0, 1, T0 + 62, "", ME),
            pc_row(7, 49, 6, 0, T0 + 63, "", COLLECTOR),
            pc_row(8, 49, 2000, 1, T0 + 64, "", ME),
            pc_row(9, 50, 0, 0, T0 + 65, CALL_XML, COLLECTOR),
            pc_row(10, 50, 0, 0, T0 + 66, "", COLLECTOR),
            pc_row(11, 10000, 0, 0, T0 + 67, '"小王"撤回了一条消息', COLLECTOR),
            pc_row(12, 47, 0, 0, T0 + 68, "", COLLECTOR),
        ]
    )
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    got = events(run(WeChatMsgCsv(), data))
    assert len(got) == 10
    assert [e.direction for e in got] == ["in", "out", "in", "in", "out", "in", "out", "in", "in", "in"]
    assert {e.raw_number for e in got} == {"wechat:wxid_collector01"}
    assert {e.contact for e in got} == {"催收-好借花"}  # the other party's, also on the user's messages
    assert {e.kind for e in got} == {"chat"}
    assert got[0].text == "你好，你的借款已逾期😡\n今天必须还款，否则联系你家人"
    assert got[0].at == datetime(2026, 8, 11, 9, 10, tzinfo=TZ) and got[0].tz_assumed is False
    assert got[0].at.utcoffset() == timedelta(0)  # an epoch instant, given in UTC
    assert got[1].text == '我说过"下周"会还'
    assert [e.text for e in got[2:]] == [
        "[image]",
        "[voice]",
        "[video]",
        "[file]",
        "[transfer]",
        "通话时长 00:42",
        "[call]",
        "[sticker]",
    ]
    assert got[0].source_ref == "row 3" and got[0].other_numbers == ()


def test_wechatmsg_csv_group() -> None:
    member_a = ("", "张三", "wxid_member_a")
    member_b = ("老李", "李四", "wxid_member_b")
    data = wechatmsg_csv(
        [
            pc_row(1, 1, 0, 0, T0, "群里的人都知道你欠钱了", member_a),
            pc_row(2, 1, 0, 1, T0 + 1, "请不要在群里说", ME),
            pc_row(3, 3, 0, 0, T0 + 2, "", member_b),
        ]
    )
    got = events(run(WeChatMsgCsv(), data))
    assert [(e.direction, e.raw_number, e.contact) for e in got] == [
        ("in", "wechat:wxid_member_a", "张三"),
        ("out", None, None),  # the group's own id is not in this export
        ("in", "wechat:wxid_member_b", "老李"),
    ]
    assert all(e.other_numbers == () for e in got)


def test_wechatmsg_csv_old_layout_has_no_ids() -> None:
    """Older WeChatMsg wrote the sender's columns only for group chats: 9 cells, no id."""
    data = wechatmsg_csv(
        [pc_row(1, 1, 0, 0, T0, "还钱", COLLECTOR)[:9], pc_row(2, 1, 0, 1, T0 + 5, "好", ME)[:9]]
    )
    got = events(run(WeChatMsgCsv(), data))
    assert [(e.direction, e.raw_number, e.contact, e.text) for e in got] == [
        ("in", None, None, "还钱"),
        ("out", None, None, "好"),
    ]


def test_wechatmsg_csv_time_falls_back_to_strtime() -> None:
    row = pc_row(1, 1, 0, 0, T0, "hi", COLLECTOR)
    row[5] = ""
    got = events(run(WeChatMsgCsv(), wechatmsg_csv([row])))
    assert got[0].at == datetime(2026, 8, 11, 9, 10, tzinfo=TZ) and got[0].tz_assumed is True


def test_wechatmsg_csv_bad_rows_are_skipped() -> None:
    bad_flag = pc_row(2, 1, 0, 0, T0, "x", COLLECTOR)
    bad_flag[4] = "yes"
    no_time = pc_row(3, 1, 0, 0, T0, "x", COLLECTOR)
    no_time[5] = no_time[8] = ""
    data = wechatmsg_csv(
        [pc_row(1, 1, 0, 0, T0, "a", COLLECTOR), bad_flag, no_time, pc_row(4, 1, 0, 0, T0, "b", COLLECTOR)]
    )
    out = run(WeChatMsgCsv(), data)
    assert [type(o).__name__ for o in out] == ["ParsedEvent", "SkippedRecord", "SkippedRecord", "ParsedEvent"]
    assert out[1] == SkippedRecord("row 3", "the message's sender flag (IsSender) is not 0 or 1")
    assert isinstance(out[2], SkippedRecord) and out[2].position == "row 4"


def test_wechatmsg_all_chats_csv_is_refused() -> None:
    """The all-chats CSV writes more cells than its header and no wxid."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(WECHATMSG_HEADER)
    writer.writerow([1, 7, 1, 0, 0, T0, 2, "hi", local(T0), 123456789, "b''", "备注", "昵称"])
    with pytest.raises(BadInputError, match="all-chats"):
        list(WeChatMsgCsv().parse(io.BytesIO(out.getvalue().encode("utf-8-sig")), TZ))


@pytest.mark.parametrize(
    "data",
    [
        "号码,时间,类型,时长\r\n17155550001,2026-08-11 09:10:00,来电,60\r\n".encode(),
        b"localId,TalkerId,Type\r\n1,2,1\r\n",
        b"",
    ],
)
def test_wechatmsg_csv_wrong_columns(data: bytes) -> None:
    with pytest.raises(BadInputError):
        list(WeChatMsgCsv().parse(io.BytesIO(data), TZ))


def test_wechatmsg_csv_truncated_inside_a_quoted_text() -> None:
    data = wechatmsg_csv(
        [pc_row(1, 1, 0, 0, T0, "one", COLLECTOR), pc_row(2, 1, 0, 0, T0, "two\nlines", COLLECTOR)]
    )
    cut = data[: data.index(b"two\n") + 4]
    stream = WeChatMsgCsv().parse(SealedStream(cut), TZ)
    first = next(stream)
    assert isinstance(first, ParsedEvent) and first.text == "one"
    with pytest.raises(TruncatedInputError, match="row 3"):
        next(stream)


def test_wechatmsg_csv_row_too_long_stops() -> None:
    huge = "x" * (MAX_ROW_CHARS + 10)
    data = wechatmsg_csv([pc_row(1, 1, 0, 0, T0, "ok", COLLECTOR), pc_row(2, 1, 0, 0, T0, huge, COLLECTOR)])
    seen: list[Output] = []
    with pytest.raises(TruncatedInputError, match="longer than"):
        for o in WeChatMsgCsv().parse(SealedStream(data), TZ):
            seen.append(o)
    assert len(seen) == 1 and isinstance(seen[0], ParsedEvent) and seen[0].text == "ok"


def test_wechatmsg_csv_long_text_is_cut() -> None:
    data = wechatmsg_csv([pc_row(1, 1, 0, 0, T0, "y" * (MAX_TEXT_CHARS + 5), COLLECTOR)])
    event, cut = WeChatMsgCsv().parse(io.BytesIO(data), TZ)
    assert isinstance(event, ParsedEvent) and event.text == "y" * MAX_TEXT_CHARS
    assert isinstance(cut, SkippedRecord) and cut.position == "row 2"


# --- 12425/wechat-exporter iOS CSV -------------------------------------------------------------------------


def test_ios_csv_one_to_one_crlf_and_bom() -> None:
    rows = [
        [
            local(T0),
            "文本",
            "接收",
            "wxid_collector01",
            "haojiehua88",
            "小王",
            "催收-好借花",
            "逾期了，马上还钱",
        ],
        [
            local(T0 + 5),
            "文本",
            "发送",
            "wxid_collector01",
            "haojiehua88",
            "小王",
            "催收-好借花",
            "别再打了\n我在上班",
        ],
        [
            local(T0 + 6),
            "图片",
            "接收",
            "wxid_collector01",
            "haojiehua88",
            "小王",
            "催收-好借花",
            '<msg><img length="1"/></msg>',
        ],
        [
            local(T0 + 7),
            "链接",
            "接收",
            "wxid_collector01",
            "",
            "小王",
            "",
            "<msg><appmsg appid=''><title>微信转账</title><type>2000</type></appmsg></msg>",
        ],
        [
            local(T0 + 8),
            "链接",
            "接收",
            "wxid_collector01",
            "",
            "小王",
            "",
            "<msg><appmsg><title>红包</title><type>2001</type></appmsg></msg>",
        ],
        [local(T0 + 9), "语音通话", "接收", "wxid_collector01", "", "小王", "", "voip_content_voice"],
        [local(T0 + 10), "视频通话", "接收", "wxid_collector01", "", "小王", "", "voip_content_video"],
        [local(T0 + 11), "系统消息", "接收", "wxid_collector01", "", "小王", "", "你已添加了小王"],
        [local(T0 + 12), "位置", "接收", "wxid_collector01", "", "小王", "", "<msg><location/></msg>"],
    ]
    data = b"\xef\xbb\xbf" + ios_csv(rows)
    got = events(run(WechatExporterIosCsv(), data))
    assert len(got) == 8
    assert [e.direction for e in got] == ["in", "out", "in", "in", "in", "in", "in", "in"]
    assert {e.raw_number for e in got} == {"wechat:wxid_collector01"}
    assert got[0].contact == "催收-好借花" and got[3].contact == "小王"
    assert got[0].at == datetime(2026, 8, 11, 9, 10, tzinfo=TZ) and got[0].tz_assumed
    assert got[1].text == "别再打了\n我在上班"
    assert [e.text for e in got[2:]] == [
        "[image]",
        "[transfer]",
        "[red packet]",
        "[call]",
        "[video call]",
        "[location]",
    ]
    assert all(e.other_numbers == () for e in got)
    assert got[0].source_ref == "row 2"


def test_ios_csv_group_and_gb18030() -> None:
    """A group chat, re-saved by Excel as GB18030: members' ids and the group's id."""
    group = "20770000001@chatroom"
    rows = [
        [local(T0), "文本", "接收", "wxid_member_a", "zs001", "张三", "", "大家看看这个老赖"],
        [local(T0 + 1), "文本", "发送", group, "", "", "债务群", "请删除"],
        [local(T0 + 2), "通话", "接收", "wxid_member_b", "", "李四", "老李", CALL_XML],
    ]
    got = events(run(WechatExporterIosCsv(), ios_csv(rows, "gb18030")))
    assert [(e.direction, e.raw_number, e.contact) for e in got] == [
        ("in", "wechat:wxid_member_a", "张三"),
        ("out", "wechat:" + group, "债务群"),
        ("in", "wechat:wxid_member_b", "老李"),
    ]
    assert all(e.other_numbers == ("wechat:" + group,) for e in got)
    assert got[2].text == "通话时长 00:42"


def test_ios_csv_bad_direction_skipped_and_wrong_columns() -> None:
    rows = [
        [local(T0), "文本", "未知", "wxid_a", "", "", "", "x"],
        [local(T0), "文本", "接收", "wxid_a", "", "", "", "y"],
    ]
    out = run(WechatExporterIosCsv(), ios_csv(rows))
    assert isinstance(out[0], SkippedRecord) and out[0].position == "row 2"
    assert isinstance(out[1], ParsedEvent) and out[1].text == "y"
    with pytest.raises(BadInputError):
        list(WechatExporterIosCsv().parse(io.BytesIO("ID,微信号,昵称,备注\r\nwxid_a,a,b,c\r\n".encode()), TZ))


def test_ios_csv_truncated() -> None:
    rows = [
        [local(T0), "文本", "接收", "wxid_a", "", "", "", "one"],
        [local(T0), "文本", "接收", "wxid_a", "", "", "", "a\nb"],
    ]
    data = ios_csv(rows)
    cut = data[: data.index(b'"a\n') + 3]
    out: list[Output] = []
    with pytest.raises(TruncatedInputError):
        out.extend(WechatExporterIosCsv().parse(SealedStream(cut), TZ))
    assert len(out) == 1


# --- WeChatMsg TXT ----------


def test_wechatmsg_txt() -> None:
    text = (
        f"{local(T0 - 60)} 你已添加了小王，现在可以开始聊天了。\n\n"
        + txt_message(T0, "催收-好借花", "你好，你的借款已逾期😡\n\n今天必须还款")
        + txt_message(T0 + 1, "我", "[图片]")
        + txt_message(T0 + 2, "催收-好借花", "[语音]")
        + txt_message(T0 + 3, "催收-好借花", "[文件]")
        + f'{local(T0 + 4)} "催收-好借花"撤回了一条消息\n\n'
        + txt_message(T0 + 5, 'A&B <Co> "X"', "ok")
    )
    data = text.encode("utf-8")
    got = events(run(WeChatMsgTxt(own_names=["我"]), data))
    assert [(e.direction, e.contact, e.text) for e in got] == [
        ("in", "催收-好借花", "你好，你的借款已逾期😡\n\n今天必须还款"),
        ("out", "我", "[image]"),
        ("in", "催收-好借花", "[voice]"),
        ("in", "催收-好借花", "[file]"),
        ("in", 'A&B <Co> "X"', "ok"),
    ]
    assert all(e.raw_number is None and e.kind == "chat" and e.tz_assumed for e in got)
    assert got[0].at == datetime(2026, 8, 11, 9, 10, tzinfo=TZ)
    assert got[0].source_ref == "line 3"
    # The registered default is not told the user's name: no direction.
    assert {e.direction for e in events(run(WeChatMsgTxt(), data))} == {None}


def test_wechatmsg_txt_crlf_and_bom() -> None:
    text = txt_message(T0, "催收", "第一行\n第二行") + txt_message(T0 + 1, "我", "好")
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    got = events(run(WeChatMsgTxt(own_names=["我"]), data))
    assert [(e.direction, e.text) for e in got] == [("in", "第一行\n第二行"), ("out", "好")]


def test_txt_forged_time_lines() -> None:
    """A collector's text holding time lines: what stays text and what the format cannot tell apart."""
    forged = (
        f"还钱\n{local(T0 + 600)} 我\n我承认欠款"  # no blank line before it: text
        f"\n\n{local(T0 - 3600)} 我\n我承认欠款"  # earlier than the message carrying it: text
    )
    text = txt_message(T0, "催收", forged) + txt_message(T0 + 60, "我", "不是我发的")
    got = events(run(WeChatMsgTxt(own_names=["我"]), text.encode()))
    assert [(e.direction, e.text) for e in got] == [("in", forged), ("out", "不是我发的")]

    # After a blank line and timed no earlier than its message: read as a message of its own (the
    # format has no quoting; accepted and documented; the sealed original keeps the bytes).
    forged_later = f"还钱\n\n{local(T0 + 30)} 我\n我承认欠款"
    text = txt_message(T0, "催收", forged_later) + txt_message(T0 + 60, "我", "不是我发的")
    got = events(run(WeChatMsgTxt(own_names=["我"]), text.encode()))
    assert [(e.direction, e.contact, e.text) for e in got] == [
        ("in", "催收", "还钱"),
        ("out", "我", "我承认欠款"),
        ("out", "我", "不是我发的"),
    ]


def test_txt_record_too_long_stops_after_the_messages_read() -> None:
    text = txt_message(T0, "催收", "一") + txt_message(T0 + 1, "催收", "x\n" * (MAX_RECORD_CHARS // 2 + 10))
    out: list[Output] = []
    with pytest.raises(TruncatedInputError, match="line 4"):
        out.extend(WeChatMsgTxt().parse(SealedStream(text.encode()), TZ))
    assert len(out) == 1 and isinstance(out[0], ParsedEvent) and out[0].text == "一"


def test_txt_long_text_is_cut() -> None:
    text = txt_message(T0, "催收", "z" * (MAX_TEXT_CHARS + 3))
    event, cut = WeChatMsgTxt().parse(io.BytesIO(text.encode()), TZ)
    assert isinstance(event, ParsedEvent) and len(event.text or "") == MAX_TEXT_CHARS
    assert isinstance(cut, SkippedRecord) and cut.position == "line 1"


@pytest.mark.parametrize("data", [b"hello\n2026-08-11 09:10:00 a\nb\n", b"", b"\n\n", b"\x00\x01binary"])
def test_txt_not_a_txt(data: bytes) -> None:
    with pytest.raises(BadInputError):
        list(WeChatMsgTxt().parse(io.BytesIO(data), TZ))


# --- recognising the formats ----------


def test_looks_like_wechat() -> None:
    pc = wechatmsg_csv([pc_row(1, 1, 0, 0, T0, "hi", COLLECTOR)]).decode("utf-8-sig")
    assert looks_like_wechat("\ufeff" + pc, "小王_utf8.csv") == "wechat-csv"
    ios = ios_csv([[local(T0), "文本", "接收", "wxid_a", "", "", "", "x"]]).decode()
    assert looks_like_wechat(ios, "小王.csv") == "wechat-ios-csv"
    two = txt_message(T0, "催收", "还钱") + txt_message(T0 + 1, "我", "好")
    assert looks_like_wechat(two, "export") == "wechat-txt"
    one = txt_message(T0, "催收", "还钱")
    assert looks_like_wechat(one, "小王.txt") == "wechat-txt"
    assert looks_like_wechat(one, "notes") is None
    assert looks_like_wechat(two, "calls.csv") is None


@pytest.mark.parametrize(
    ("head", "name"),
    [
        ("号码,时间,类型,时长\n17155550001,2026-08-11 09:10:00,来电,60\n", "calls.csv"),
        ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"1\">\n", "sms.xml"),
        ("今天去银行问了贷款的事。\n\n2026-08-11 09:10:00 张三\n说明天再来\n", "notes.txt"),
        ("", "empty.txt"),
        ("ID,微信号,昵称,备注,国,省,市,签名\nwxid_a,a,b,c,,,,\n", "contacts.csv"),
    ],
)
def test_looks_like_wechat_refuses(head: str, name: str) -> None:
    assert looks_like_wechat(head, name) is None


# --- property: what is written is read back ----------


@dataclass(frozen=True)
class Msg:
    out: bool
    t: int
    text: str
    who: int  # which collector


_IDS = ("wxid_collector01", "wxid_kf_9x")
_NAMES = ("催收-好借花", 'A&B "客服" <1>')
_alphabet = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\x85"
)
_line = st.text(_alphabet, min_size=1, max_size=20).filter(lambda s: s.strip() == s and s != "")
_text = st.lists(_line, min_size=1, max_size=3).map("\n".join)
_msgs = st.lists(
    st.builds(Msg, st.booleans(), st.integers(0, 10**6), _text, st.just(0)),
    min_size=1,
    max_size=8,
).map(lambda ms: sorted(ms, key=lambda m: m.t))

_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _plain(text: str) -> bool:
    """Texts the formats keep as they are (not a marker word, not a system type)."""
    return text.strip() not in ("[图片]", "[语音]", "[视频]", "[表情包]", "[文件]", "[音乐分享]")


@_SETTINGS
@given(_msgs)
def test_property_wechatmsg_csv(msgs: list[Msg]) -> None:
    rows = [
        pc_row(i, 1, 0, int(m.out), T0 + m.t, m.text, ME if m.out else COLLECTOR) for i, m in enumerate(msgs)
    ]
    got = events(run(WeChatMsgCsv(), wechatmsg_csv(rows)))
    has_in = any(not m.out for m in msgs)
    assert [(e.direction, e.text, e.at, e.raw_number) for e in got] == [
        (
            "out" if m.out else "in",
            m.text,
            datetime.fromtimestamp(T0 + m.t, UTC),
            "wechat:wxid_collector01" if has_in else None,
        )
        for m in msgs
    ]


@_SETTINGS
@given(_msgs)
def test_property_ios_csv(msgs: list[Msg]) -> None:
    rows = [
        [local(T0 + m.t), "文本", "发送" if m.out else "接收", _IDS[0], "", "", _NAMES[0], m.text]
        for m in msgs
    ]
    got = events(run(WechatExporterIosCsv(), ios_csv(rows)))
    assert [(e.direction, e.text, e.at, e.raw_number, e.contact) for e in got] == [
        (
            "out" if m.out else "in",
            m.text,
            datetime.fromtimestamp(T0 + m.t, TZ),
            "wechat:" + _IDS[0],
            _NAMES[0],
        )
        for m in msgs
    ]


@_SETTINGS
@given(_msgs, st.sampled_from(_NAMES))
def test_property_wechatmsg_txt(msgs: list[Msg], other: str) -> None:
    text = "".join(txt_message(T0 + m.t, "我" if m.out else other, m.text) for m in msgs)
    got = events(run(WeChatMsgTxt(own_names=["我"]), text.encode()))
    expected = [
        ("out" if m.out else "in", m.text, datetime.fromtimestamp(T0 + m.t, TZ), "我" if m.out else other)
        for m in msgs
    ]
    assert [(e.direction, e.text, e.at, e.contact) for e in got] == [
        x if _plain(x[1]) else (x[0], got[i].text, x[2], x[3]) for i, x in enumerate(expected)
    ]
