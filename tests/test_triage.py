"""Is this message real? Genuine court notices against collectors' bluffs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence.triage import triage_message
from tests.conftest import run_cli

GENUINE = [
    ("12368", "【深圳市南山区人民法院】您有一条诉讼服务信息，请登录人民法院在线服务平台查看。"),
    (
        "12368",
        "【北京市朝阳区人民法院】王五，您与某小额贷款公司借款合同纠纷一案已进入诉前调解，请登录人民法院调解平台查看。",
    ),
    (
        "12368",
        "【杭州互联网法院】您有一份电子送达文书，案号（2026）浙0192民初1234号，请通过人民法院在线服务小程序查收。",
    ),
    (
        "12368",
        "【上海市浦东新区人民法院】您的案件定于2026年9月3日开庭，请按时到庭，详情请登录诉讼服务平台查询。",
    ),
    ("075512368", "【深圳市福田区人民法院】诉前调解通知：请于七日内登录人民法院调解平台确认调解意愿。"),
    ("12368", "【广州市天河区人民法院】您申请的立案已受理，请登录广东法院诉讼服务网查看。"),
]
FAKE = [
    (
        "17155550009",
        "【法院调解中心】你的欠款已进入诉前调解，请2小时内添加调解员微信tj2026并缴纳保证金3000元。",
    ),
    ("10691110001", "【好借花法务部】您的案件已提交仲裁委，三日内将强制冻结名下银行卡，请立即转账结清。"),
    ("16212345678", "你已被起诉，法院传票明天送达，今天之内不还款直接上门抓人拘留。"),
    ("13812345678", "我是XX法院的法官，你的案子到我这里了，扫码缴纳调解费可以撤诉。"),
    ("17012345678", "公安局通知：你涉嫌恶意逃废债已刑事立案，请马上联系专员处理，否则逮捕。"),
    ("10690000123", "【调解中心】您已被列入失信名单，立即打款到指定账户可申请解除。"),
]


@pytest.mark.parametrize(("sender", "text"), GENUINE)
def test_genuine_court_messages(sender: str, text: str) -> None:
    r = triage_message(text, sender)
    assert r.claims_legal_process and r.sender_official and r.verdict == "likely_genuine" and not r.red_flags
    assert any("12368" in a for a in r.advice)


@pytest.mark.parametrize(("sender", "text"), FAKE)
def test_collectors_bluffs(sender: str, text: str) -> None:
    r = triage_message(text, sender)
    assert r.claims_legal_process and not r.sender_official
    assert r.verdict == "likely_fake" and r.red_flags


def test_ordinary_message_claims_nothing() -> None:
    r = triage_message("周末一起吃饭吗", "13800138000")
    assert (r.verdict, r.claims, r.advice) == ("not_legal", [], [])


def test_triage_cli_reads_stdin_and_needs_no_locker(tmp_path: Path) -> None:
    r = run_cli(
        tmp_path / "none", "triage", "--from", "17155550009", "--json", input=FAKE[0][1], passphrase=None
    )
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["verdict"] == "likely_fake" and doc["sender_class"] == "virtual"
    assert run_cli(tmp_path / "none", "triage", input="", passphrase=None).exit_code == 2
