"""WeChat chat pages and texts: BlueMatthew/WechatExporter's TXT, HTML and data pages, WeChatMsg's HTML,
ppwwyyxx/wechat-dump's TXT.

Files are built here in the shapes the exporters write (see the module docstring of
`evidence.importers.wechat_pages` for the code and templates each was learned from): the
template's markup reduced to what identifies a message, the exporter's escaping, its time format.
"""

from __future__ import annotations

import html
import io
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers import recognise
from evidence.importers.limits import MAX_TEXT_CHARS
from evidence.importers.wechat import MAX_RECORD_CHARS
from evidence.importers.wechat_pages import (
    WechatDumpTxt,
    WechatExporterHtml,
    WechatExporterTxt,
    WeChatMsgHtml,
    looks_like_wechat_page,
)
from evidence.records import ParsedEvent, SkippedRecord
from evidence.sniff import sniff
from tests.test_importers_bounds import SealedStream

TZ = ZoneInfo("Asia/Shanghai")
T0 = 1786410600  # 2026-08-11 09:10:00 +08:00
Output = ParsedEvent | SkippedRecord
Parser = WechatExporterTxt | WechatExporterHtml | WeChatMsgHtml | WechatDumpTxt


def local(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, TZ).strftime("%Y-%m-%d %H:%M:%S")


def run(parser: Parser, data: bytes) -> list[Output]:
    via_bytes = list(parser.parse(io.BytesIO(data), TZ))
    assert via_bytes == list(parser.parse(SealedStream(data, most=977), TZ))
    return via_bytes


def events(outputs: list[Output]) -> list[ParsedEvent]:
    assert all(isinstance(o, ParsedEvent) for o in outputs), outputs
    return outputs  # type: ignore[return-value]


# --- WechatExporter (templates_txt, templates, scripts) ----------


def exporter_txt(title: str, body: list[str], newline: str = "\n") -> bytes:
    """frame.html of templates_txt: title line, blank line, the messages, a final line break."""
    text = f"{title} - 微信聊天记录\n\n" + "".join(body) + "\n"
    return text.replace("\n", newline).encode()


def txt_msg(name: str, t: int, message: str) -> str:
    return f"{name} ({local(t)}):{message}\n"


def test_exporter_txt_one_to_one() -> None:
    body = [
        "你已添加了催收-小王，现在可以开始聊天了。\n",  # notice.html: no name, no time
        txt_msg("催收-小王", T0, "你好，你的借款已逾期😡\n\n今天必须还款"),
        txt_msg("我", T0 + 60, "[图片]"),
        txt_msg("催收-小王", T0 + 61, '[语音 12"]'),
        txt_msg("催收-小王", T0 + 62, "[文件: 律师函.pdf]"),
        txt_msg("催收-小王", T0 + 63, "[视频/语音通话]"),
        txt_msg("我", T0 + 64, "A (x):b"),
    ]
    got = events(run(WechatExporterTxt(), exporter_txt("催收-小王", body)))
    assert [(e.direction, e.contact, e.text) for e in got] == [
        ("in", "催收-小王", "你好，你的借款已逾期😡\n\n今天必须还款"),
        ("out", "催收-小王", "[image]"),
        ("in", "催收-小王", "[voice]"),
        ("in", "催收-小王", "[文件: 律师函.pdf]"),
        ("in", "催收-小王", "[call]"),
        ("out", "催收-小王", "A (x):b"),
    ]
    assert all(e.raw_number is None and e.kind == "chat" and e.tz_assumed for e in got)
    assert got[0].at == datetime(2026, 8, 11, 9, 10, tzinfo=TZ)
    assert got[0].source_ref == "line 4"


def test_exporter_txt_crlf_group_and_own_names() -> None:
    body = [
        txt_msg("张三", T0, "还钱"),
        txt_msg("老李", T0 + 1, "第一行\n第二行"),
        txt_msg("我", T0 + 2, "好"),
    ]
    data = exporter_txt("债务群", body, "\r\n")
    assert [(e.direction, e.contact) for e in events(run(WechatExporterTxt(), data))] == [
        (None, "张三"),
        (None, "老李"),
        (None, "我"),
    ]
    got = events(run(WechatExporterTxt(own_names=["我"]), data))
    assert [(e.direction, e.contact, e.text) for e in got] == [
        ("in", "张三", "还钱"),
        ("in", "老李", "第一行\n第二行"),
        ("out", None, "好"),
    ]


def test_exporter_txt_lone_speaker_in_a_group_gets_no_direction() -> None:
    """A name other than the title's, with the title's name never writing: not taken as the user."""
    got = events(run(WechatExporterTxt(), exporter_txt("曝光群", [txt_msg("催收", T0, "还钱")])))
    assert [(e.direction, e.contact) for e in got] == [(None, "催收")]


@pytest.mark.parametrize(
    "data",
    [b"", b"hello\n\nworld\n", "小王 - 微信聊天记录\n\nnot a message\n".encode(), b"\x00\x01\x02"],
)
def test_exporter_txt_not_one(data: bytes) -> None:
    with pytest.raises(BadInputError):
        list(WechatExporterTxt().parse(io.BytesIO(data), TZ))


def test_exporter_txt_message_too_long_stops() -> None:
    body = [txt_msg("催收", T0, "一"), txt_msg("催收", T0 + 1, "x\n" * (MAX_RECORD_CHARS // 2 + 10))]
    out: list[Output] = []
    with pytest.raises(TruncatedInputError, match="line 4"):
        out.extend(WechatExporterTxt().parse(SealedStream(exporter_txt("催收", body)), TZ))
    assert len(out) == 1


def div(
    side: str,
    msgtype: str,
    name: str,
    wxid: str | None,
    t: int,
    inner: str,
    template: str = "chat",
    extra: str = "",
) -> str:
    """A message element as msg.html (2025: wxId attribute, <pre>) and its media siblings write it."""
    wx = f' wxId="{wxid}"' if wxid is not None else ""
    return (
        f'\t\t\t\t<div class="msg {template} {side} {extra}" msgid="{t}" msgtype="{msgtype}">\n'
        f'\t\t\t\t\t<div class="avatar-box">\n\t\t\t\t\t\t<img src="Files/Portrait/a.jpg" class="avatar">\n'
        f"\t\t\t\t\t</div>\n"
        f'\t\t\t\t\t<div class="nt-box"><span class="dspname {side}"{wx}>{html.escape(name, quote=False)}'
        f"</span> {local(t)}</div>\n"
        f'\t\t\t\t\t<div class="content-box">\n\t\t\t\t\t\t<div class="triangle"></div>\n'
        f"\t\t\t\t\t\t{inner}\n\t\t\t\t\t</div>\n\t\t\t\t</div>\n"
    )


def text_span(text: str) -> str:
    return f'<span class="dont-break-out msg-text"><pre>{text}</pre></span>'


def notice(message: str, extra: str = "") -> str:
    return (
        f'\t\t\t\t<div class="msg chat-notice {extra}" msgid="1">\n\t\t\t\t\t<div class="content-box">\n'
        f"\t\t\t\t\t\t{text_span(message)}\n\t\t\t\t\t</div>\n\t\t\t\t</div>\n"
    )


FRAME_HEAD = (
    '<!doctype html>\n<html>\n\t<head>\n\t\t<meta charset="utf-8">\n'
    "\t\t<title>{title} - 微信聊天记录</title>\n"
    "\t\t<style>span.msg-text pre {{ white-space: pre-wrap; }}</style>\n"
    "\t\t<script>\n\t\t\tfunction more() {{ if (typeof window.moreWechatMsgs === 'undefined') "
    "{{ window.moreWechatMsgs = []; }} var s = '<div class=\"msg\">'; }}\n"
    "\t\t\tinitPageData({pages});\n\t\t</script>\n\t</head>\n"
    '\t<body uid="" sid="">\n\t\t<div class="main">\n\t\t\t<div class="header">\n'
    '\t\t\t\t<span class="sname">{title}</span>\n\t\t\t</div>\n\t\t\t<div class="msgs" id="msgs-div">\n'
)
FRAME_TAIL = (
    '\t\t\t</div>\n\t\t\t<br />\n\t\t\t<div id="footer" class="footer"></div>\n\t\t</div>\n'
    "\t</body>\n</html>\n"
)


def exporter_page(title: str, body: list[str], pages: str = "[]") -> bytes:
    return (FRAME_HEAD.format(title=title, pages=pages) + "".join(body) + FRAME_TAIL).encode()


def exporter_js(messages: list[str]) -> bytes:
    """scripts.html with jsoncpp's release output: no indentation, non-ASCII as \\uXXXX."""
    array = json.dumps(messages, ensure_ascii=True, separators=(",", ":"))
    return (
        "    (function() {\n        var msgArray = " + array + ";\n"
        "        for (var idx = 0; idx < msgArray.length; idx++)\n        {\n"
        "          window.moreWechatMsgs.push(msgArray[idx]);\n        }\n    })();\n"
    ).encode()


def test_exporter_html_one_to_one() -> None:
    peer, me = "wxid_collector01", "my_alias"
    body = [
        notice("你已添加了催收-小王"),
        div("left", "1", "催收-<小王>", peer, T0, text_span("你好 <b>还钱</b>\n明天 &amp; 后天")),
        div(
            "right",
            "1",
            "我",
            me,
            T0 + 1,
            text_span('好<img src="x.png" rawemoji="[微笑]" class="wxemoji" />'),
        ),
        div("left", "image", "催收-<小王>", peer, T0 + 2, '<img data-src="a.jpg" class="image" />', "media"),
        div(
            "left",
            "34",
            "催收-<小王>",
            peer,
            T0 + 3,
            '<div class="voicebox"><div class="voicetime">3"</div></div>',
        ),
        div(
            "left",
            "49",
            "催收-<小王>",
            peer,
            T0 + 4,
            '<span class="dont-break-out refermsg msg-text"><pre>「我：好」</pre></span><br />'
            "<span>- - - - -</span><br />" + text_span("好什么"),
        ),
        div(
            "left",
            "49",
            "催收-<小王>",
            peer,
            T0 + 5,
            text_span("转账 ￥500") + '<img class="transfer-icon" />',
        ),
        div("left", "49", "催收-<小王>", peer, T0 + 6, text_span("[红包]")),
        div("left", "49", "催收-<小王>", peer, T0 + 7, text_span("聊天记录")),
        notice("<< 聊天记录", "fmsgtag"),
        div("left", "1", "别人", None, T0 - 999, text_span("转发的内容"), extra="fmsg"),
        notice("聊天记录 结束 >>", "fmsgtag"),
        div("left", "50", "催收-<小王>", peer, T0 + 8, text_span("[视频/语音通话]")),
        notice("System Message: 拍了拍我"),
    ]
    got = events(run(WechatExporterHtml(), exporter_page("催收-小王", body)))
    assert [(e.direction, e.raw_number, e.contact, e.text) for e in got] == [
        ("in", "wechat:" + peer, "催收-<小王>", "你好 还钱\n明天 & 后天"),
        ("out", "wechat:" + peer, "催收-<小王>", "好[微笑]"),
        ("in", "wechat:" + peer, "催收-<小王>", "[image]"),
        ("in", "wechat:" + peer, "催收-<小王>", "[voice]"),
        ("in", "wechat:" + peer, "催收-<小王>", "好什么"),
        ("in", "wechat:" + peer, "催收-<小王>", "[transfer]"),
        ("in", "wechat:" + peer, "催收-<小王>", "[red packet]"),
        ("in", "wechat:" + peer, "催收-<小王>", "[chat history]"),
        ("in", "wechat:" + peer, "催收-<小王>", "[call]"),
    ]
    assert all(e.tz_assumed and e.kind == "chat" for e in got)
    assert got[0].at == datetime(2026, 8, 11, 9, 10, tzinfo=TZ)
    assert got[0].source_ref.startswith("line ")


def test_exporter_html_old_escaped_group() -> None:
    """2021 templates: no wxId attribute, texts HTML-escaped with <br/> for line breaks; a group."""
    old = [
        div(
            "left",
            "1",
            "张三",
            None,
            T0,
            '<span class="dont-break-out msg-text">第一行<br/>&lt;二&gt;</span>',
        ),
        div("left", "1", "老李", None, T0 + 1, '<span class="dont-break-out msg-text">还钱</span>'),
        div("right", "1", "我", None, T0 + 2, '<span class="dont-break-out msg-text">好</span>'),
    ]
    got = events(run(WechatExporterHtml(), exporter_page("债务群", old)))
    assert [(e.direction, e.raw_number, e.contact, e.text) for e in got] == [
        ("in", None, "张三", "第一行\n<二>"),
        ("in", None, "老李", "还钱"),
        ("out", None, None, "好"),
    ]


def test_exporter_js_data_page() -> None:
    messages = [
        div("left", "1", "催收", "wxid_c", T0, text_span("还钱\n今天")),
        div("right", "3", "我", "wxid_me", T0 + 1, '<img class="image" />', "media"),
        div("left", "47", "催收", "wxid_c", T0 + 2, '<img src="e.gif" />', "media"),
    ]
    got = events(run(WechatExporterHtml(), exporter_js(messages)))
    assert [(e.direction, e.raw_number, e.text, e.source_ref) for e in got] == [
        ("in", "wechat:wxid_c", "还钱\n今天", "message 1"),
        ("out", "wechat:wxid_c", "[image]", "message 2"),
        ("in", "wechat:wxid_c", "[sticker]", "message 3"),
    ]


def test_exporter_page_without_messages_says_where_they_are() -> None:
    page = exporter_page("催收", [], pages='[{"numnberOfMsgs":12,"text":"1","page":1}]')
    with pytest.raises(BadInputError, match=r"Files/Data/msg-N\.js"):
        list(WechatExporterHtml().parse(io.BytesIO(page), TZ))


def test_exporter_html_bad_records_are_skipped() -> None:
    body = [
        div("left", "1", "催收", "wxid_c", T0, text_span("ok")),
        div("middle", "1", "催收", "wxid_c", T0, text_span("no side")),
        div("left", "1", "催收", "wxid_c", T0, text_span("bad time")).replace(
            local(T0), "2026-13-45 99:00:00"
        ),
    ]
    out = run(WechatExporterHtml(), exporter_page("催收", body))
    assert isinstance(out[0], ParsedEvent)
    assert [type(o) for o in out[1:]] == [SkippedRecord, SkippedRecord]
    assert all(
        "no side" not in o.reason and "bad time" not in o.reason
        for o in out[1:]
        if isinstance(o, SkippedRecord)
    )


def test_exporter_html_message_too_long_stops() -> None:
    body = [
        div("left", "1", "催收", "wxid_c", T0, text_span("一")),
        div("left", "1", "催收", "wxid_c", T0, text_span("x" * (MAX_RECORD_CHARS + 10))),
    ]
    out: list[Output] = []
    with pytest.raises(TruncatedInputError):
        out.extend(WechatExporterHtml().parse(SealedStream(exporter_page("催收", body)), TZ))
    assert len(out) == 1


@pytest.mark.parametrize(
    "data",
    [
        b'    (function() {\n        var msgArray = ["<div',
        b"    (function() {\n        var msgArray = [12, 13];",
        b'    (function() {\n        var msgArray = ["\\x"];',
        b"<html><body><p>hello</p></body></html>",
    ],
)
def test_exporter_html_broken(data: bytes) -> None:
    with pytest.raises(BadInputError):
        list(WechatExporterHtml().parse(io.BytesIO(data), TZ))


# --- WeChatMsg / MemoTrace HTML ----------


def js_escape(value: str) -> str:
    """escape_js_and_html: html.escape without quotes, then backslash, quotes and line breaks."""
    escaped = html.escape(value, quote=False)
    for a, b in (("\\", "\\\\"), ("'", "\\'"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = escaped.replace(a, b)
    return escaped


def wm_text(t: int, text: str, sent: int, name: str, chatroom: int = 0) -> str:
    return (
        f"{{ type:1, text: '{js_escape(text)}',is_send:{sent},avatar_path:'./avatar/a.png',timestamp:{t},"
        f"is_chatroom:{chatroom},displayname:'{js_escape(name)}'}},"
    )


def wechatmsg_html(title: str, records: list[str]) -> bytes:
    head = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n    <meta charset="UTF-8">\n'
        "    <style>\n* { padding: 0; margin: 0; }\n</style>\n"
        f"    <title>{title}</title>\n</head>\n<body>\n"
        f'<div class="container">\n        <div class="title-bar"><p id="title">{title}</p></div>\n</div>\n'
        "<script>\nconst chatMessages = [\n"
    )
    tail = (
        "\n];\n\n</script>\n<script>\n"
        "const chatContainer = document.getElementById('chat-container');\n</script>"
    )
    return (head + "".join(records) + tail + "\n</body>\n</html>\n").encode("utf-8")


def test_wechatmsg_html_one_to_one() -> None:
    records = [
        f"{{ type:0, text: '你已添加了小王',is_send:0,avatar_path:'',timestamp:{T0},is_chatroom:0,"
        "displayname:''},",
        wm_text(T0 + 1, "你好 <b>'还钱'</b>\n\"今天\" & 明天 \\ 结束", 0, "催收-小王"),
        wm_text(T0 + 2, "好", 1, "我"),
        f"{{ type:3, text: './image/a.jpg',is_send:0,avatar_path:'',timestamp:{T0 + 3},is_chatroom:0,"
        "displayname:'催收-小王'},",
        f"{{ type:3, text: 'http://emoji.qpic.cn/x',is_send:0,avatar_path:'',timestamp:{T0 + 4},"
        "is_chatroom:0,displayname:'催收-小王'},",
        f"{{ type:34, text:'./voice/1.mp3',is_send:0,avatar_path:'',voice_to_text:'不还就上门',"
        f"timestamp:{T0 + 5},is_chatroom:0,displayname:'催收-小王'}},",
        f"{{ type:49, text: '那你说',is_send:0,sub_type:57,refer_text: '我：好',avatar_path:'',"
        f"timestamp:{T0 + 6},is_chatroom:0,displayname:'催收-小王'}},",
        f"{{ type:49,sub_type:2000,text:'发起转账',is_send:1,avatar_path:'',timestamp:{T0 + 7},"
        "is_chatroom:0,displayname:'我',paysubtype:1,pay_memo:'',feedesc:'￥500.00',},\n",
        f"{{ type:50, text:'通话时长 00:12',call_type:0,avatar_path:'',timestamp:{T0 + 8},"
        "is_chatroom:0,displayname:'催收-小王',},\n",
    ]
    got = events(run(WeChatMsgHtml(), wechatmsg_html("催收-小王", records)))
    assert [(e.direction, e.contact, e.text) for e in got] == [
        ("in", "催收-小王", "你好 <b>'还钱'</b>\n\"今天\" & 明天 \\ 结束"),
        ("out", "催收-小王", "好"),
        ("in", "催收-小王", "[image]"),
        ("in", "催收-小王", "[sticker]"),
        ("in", "催收-小王", "[voice] 不还就上门"),
        ("in", "催收-小王", "那你说"),
        ("out", "催收-小王", "[transfer]"),
        (None, "催收-小王", "通话时长 00:12"),
    ]
    assert all(e.raw_number is None and not e.tz_assumed for e in got)
    assert got[0].at == datetime.fromtimestamp(T0 + 1, UTC)
    assert [e.source_ref for e in got][:2] == ["message 2", "message 3"]


def test_wechatmsg_html_group_and_broken_record() -> None:
    """A link card's title is written unescaped: a quote in it breaks its record, not the rest."""
    records = [
        wm_text(T0, "还钱", 0, "张三", 1),
        f"{{ type:49,sub_type:5, text:'',is_send:0,avatar_path:'',url:'http://x',timestamp:{T0 + 1},"
        "is_chatroom:1,displayname:'老李',title:'催收'公告',description:'',thumbnail:'',app_logo:'',"
        "app_name:''},\n",
        wm_text(T0 + 2, "好", 1, "我", 1),
    ]
    out = run(WeChatMsgHtml(), wechatmsg_html("债务群", records))
    assert isinstance(out[1], SkippedRecord) and "公告" not in out[1].reason
    got = [o for o in out if isinstance(o, ParsedEvent)]
    assert [(e.direction, e.contact, e.text) for e in got] == [("in", "张三", "还钱"), ("out", None, "好")]


def test_wechatmsg_html_record_too_long_and_cut_texts() -> None:
    long_text = wm_text(T0, "z" * (MAX_TEXT_CHARS + 3), 0, "催收")
    out = run(WeChatMsgHtml(), wechatmsg_html("催收", [long_text]))
    assert isinstance(out[0], ParsedEvent) and len(out[0].text or "") == MAX_TEXT_CHARS
    assert isinstance(out[1], SkippedRecord)
    huge = wm_text(T0, "z" * (MAX_RECORD_CHARS * 2), 0, "催收")
    got: list[Output] = []
    with pytest.raises(TruncatedInputError):
        got.extend(
            WeChatMsgHtml().parse(
                SealedStream(wechatmsg_html("催收", [wm_text(T0, "一", 0, "催收"), huge])), TZ
            )
        )
    assert len(got) == 1


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body>hello</body></html>",
        wechatmsg_html("x", ["{ type:1, text: 'never closed"])[:-60],
        b"<p id=\"title\">x</p>\nconst chatMessages = [\n{ type:1, text: 'a'",
    ],
)
def test_wechatmsg_html_broken(data: bytes) -> None:
    with pytest.raises(BadInputError):
        list(WeChatMsgHtml().parse(io.BytesIO(data), TZ))


# --- ppwwyyxx/wechat-dump (dump-msg.py) ----------


def dump_msg(kind: int, who: str, ms: int, text: str, img: str = "") -> str:
    """`str(WeChatMsg)` and the line break dump-msg.py writes after it: the time is `str()` of the
    naive local datetime from `createTime` (epoch milliseconds); `|img:` follows when imgPath is set."""
    created = datetime.fromtimestamp(ms / 1000, TZ).replace(tzinfo=None)
    line = f"{kind}|{who}:{created}:{text}"
    if img:
        line = f"{line.strip()}|img:{img}"
    return line + "\n"


def wechat_dump(lines: list[str], newline: str = "\n", encoding: str = "utf-8") -> bytes:
    return "".join(lines).replace("\n", newline).encode(encoding)


MS0 = T0 * 1000


def test_wechat_dump_one_to_one() -> None:
    card = '<?xml version="1.0"?>\n<msg bigheadimgurl="" nickname="法务-陈&amp;律师" username="wxid_l" />'
    lines = [
        dump_msg(
            1, "催收-小王", MS0 + 123, "你好，你的借款已逾期😡\n\n1|me:2020-01-01 00:00:00:今天必须还款"
        ),
        dump_msg(3, "me", MS0 + 60_000, "Image", "THUMBNAIL_DIRPATH://th_1a2b"),
        dump_msg(34, "催收-小王", MS0 + 61_000, "Voice", "0815a9c3e2"),
        dump_msg(43, "催收-小王", MS0 + 62_000, "VIDEO FILE", "1517v"),
        dump_msg(47, "催收-小王", MS0 + 63_000, "Emoji", "9e5f"),
        dump_msg(48, "催收-小王", MS0 + 64_000, "LOCATION:你家小区 (31.2,121.4)"),
        dump_msg(49, "催收-小王", MS0 + 65_000, "URL:https://example.cn/曝光"),
        dump_msg(1090519089, "催收-小王", MS0 + 66_000, "FILE:律师函.pdf"),
        dump_msg(419430449, "me", MS0 + 67_000, "[Money Transfer]\n转账0.01元"),
        dump_msg(436207665, "催收-小王", MS0 + 68_000, "[RED ENVELOPE]\n恭喜发财"),
        dump_msg(50, "催收-小王", MS0 + 69_000, "REQUEST VIDEO CHAT"),
        dump_msg(42, "催收-小王", MS0 + 70_000, "NAMECARD: " + card),
        dump_msg(822083633, "催收-小王", MS0 + 71_000, "看清楚了吗"),
        dump_msg(
            10002, "催收-小王", MS0 + 72_000, '<sysmsg type="revokemsg"><revokemsg>撤回</revokemsg></sysmsg>'
        ),
        dump_msg(570425393, "催收-小王", MS0 + 73_000, "<msg>?</msg>"),
        dump_msg(1, "me", MS0 + 74_000, "A|b:c"),
    ]
    got = events(run(WechatDumpTxt(), wechat_dump(lines)))
    assert [(e.direction, e.contact, e.text) for e in got] == [
        ("in", "催收-小王", "你好，你的借款已逾期😡\n\n1|me:2020-01-01 00:00:00:今天必须还款"),
        ("out", "催收-小王", "[image]"),
        ("in", "催收-小王", "[voice]"),
        ("in", "催收-小王", "[video]"),
        ("in", "催收-小王", "[sticker]"),
        ("in", "催收-小王", "[location] 你家小区 (31.2,121.4)"),
        ("in", "催收-小王", "[link] https://example.cn/曝光"),
        ("in", "催收-小王", "[file] 律师函.pdf"),
        ("out", "催收-小王", "[transfer] 转账0.01元"),
        ("in", "催收-小王", "[red packet] 恭喜发财"),
        ("in", "催收-小王", "[call]"),
        ("in", "催收-小王", "[contact card] 法务-陈&律师"),
        ("in", "催收-小王", "看清楚了吗"),
        ("in", "催收-小王", "[message type 570425393]"),
        ("out", "催收-小王", "A|b:c"),
    ]
    assert all(e.raw_number is None and e.tz_assumed and e.kind == "chat" for e in got)
    assert got[0].at == datetime(2026, 8, 11, 9, 10, 0, 123_000, tzinfo=TZ)
    assert got[1].at == datetime(2026, 8, 11, 9, 11, tzinfo=TZ)
    assert [e.source_ref for e in got[:2]] == ["line 1", "line 4"]


def test_wechat_dump_group_windows_gbk() -> None:
    lines = [
        dump_msg(1, "张三", MS0, "还钱"),
        dump_msg(1, "wxid_9x8y7z", MS0 + 1, "第一行\n第二行"),
        dump_msg(1, "me", MS0 + 2, "好"),
    ]
    data = wechat_dump(lines, "\r\n", "gb18030")
    got = events(run(WechatDumpTxt(), data))
    assert [(e.direction, e.contact, e.text) for e in got] == [
        ("in", "张三", "还钱"),
        ("in", "wxid_9x8y7z", "第一行\n第二行"),
        ("out", None, "好"),
    ]
    assert got[1].at == datetime(2026, 8, 11, 9, 10, 0, 1000, tzinfo=TZ)


def test_wechat_dump_bad_record_is_skipped() -> None:
    data = wechat_dump(
        [
            dump_msg(1, "催收", MS0, "一"),
            "1|催收:2026-08-11 09:10:60:二\n",
            dump_msg(1, "催收", MS0 + 61_000, "三"),
        ]
    )
    out = run(WechatDumpTxt(), data)
    assert [(type(o).__name__, o.source_ref if isinstance(o, ParsedEvent) else o.position) for o in out] == [
        ("ParsedEvent", "line 1"),
        ("SkippedRecord", "line 2"),
        ("ParsedEvent", "line 3"),
    ]
    assert "二" not in str(out[1])


@pytest.mark.parametrize(
    "data",
    [b"", b"hello\n1|me:2026-08-11 09:10:00:x\n", b"\x00\x01\x02", "1|我 2026-08-11 09:10:00 好\n".encode()],
)
def test_wechat_dump_not_one(data: bytes) -> None:
    with pytest.raises(BadInputError):
        list(WechatDumpTxt().parse(io.BytesIO(data), TZ))


def test_wechat_dump_message_too_long_stops() -> None:
    lines = [
        dump_msg(1, "催收", MS0, "一"),
        dump_msg(1, "催收", MS0 + 1, "x\n" * (MAX_RECORD_CHARS // 2 + 10)),
    ]
    out: list[Output] = []
    with pytest.raises(TruncatedInputError, match="line 2"):
        out.extend(WechatDumpTxt().parse(SealedStream(wechat_dump(lines)), TZ))
    assert len(out) == 1


# --- recognising the formats ----------


def recognised(data: bytes, name: str) -> str | None:
    head = data[: 1 << 16]
    return recognise(sniff(head, name), io.BytesIO(data), head, name).export_format


def test_recognition_by_content() -> None:
    assert recognised(wechatmsg_html("催收", [wm_text(T0, "hi", 0, "催收")]), "催收.html") == "wechat-html"
    page = exporter_page("催收", [div("left", "1", "催收", "wxid_c", T0, text_span("hi"))])
    assert recognised(page, "index.html") == "wechat-exporter-html"
    assert recognised(exporter_js([]), "msg-2.js") == "wechat-exporter-html"
    txt = exporter_txt("催收", [txt_msg("催收", T0, "hi")])
    assert recognised(txt, "index.txt") == "wechat-exporter-txt"
    assert recognised(txt.replace(b"\n", b"\r\n"), "x") == "wechat-exporter-txt"
    dump = wechat_dump([dump_msg(1, "催收", MS0, "hi"), dump_msg(3, "me", MS0 + 1, "Image", "th_1")])
    assert recognised(dump, "催收.txt") == "wechat-dump-txt"
    assert (
        recognised(wechat_dump([dump_msg(1, "催收", MS0, "hi")], "\r\n", "gb18030"), "x") == "wechat-dump-txt"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html>\n<html><head><title>Bank</title></head><body>"
        b'<div class="msg chat left">hi</div></body></html>',
        b"<!doctype html><html><body><script>const chatMessages = [];</script></body></html>",
        "我的笔记 - 微信聊天记录\n\n今天很好\n".encode(),
        b"12|note: 2026-08-11 09:10:00 meeting\n",
        b"a|b:2026-08-11 09:10:00:c\n",
    ],
)
def test_ordinary_pages_are_not_exports(data: bytes) -> None:
    assert recognised(data, "page.html") is None
    assert looks_like_wechat_page(data.decode()) is None
