"""Complaints, checked with real tools: pdffonts, pdftotext, pdfimages (the bundle: test_bundle.py)."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from complaints import render
from complaints.assembly import IMPERSONATION_ACT, citable
from complaints.channels import channel as channel_of
from evidence.records import FindingRecord, PartyRecord
from evidence.rules import load_catalog
from tests.conftest import DEMO, DEMO_PARTY, DEMO_PROFILE, run_cli

PARTY = [*DEMO_PARTY, "--signature", "【好借花】"]
PROFILE = DEMO_PROFILE
LEGAL_NAME = "深圳市好借花网络科技有限公司"
CREDIT_CODE = "91500000MA5U00000W"  # its last character is the GB 32100 check character
IDENTITY = [
    "party", "set", "好借花", "--legal-name", LEGAL_NAME, "--address", "深圳市南山区某路1号",
    "--credit-code", CREDIT_CODE, "--app", "好借花",
]  # fmt: skip
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


@pytest.fixture
def case_home(cli_home: Path, tmp_path: Path) -> Path:
    assert run_cli(cli_home, *PARTY).exit_code == 0
    assert (
        run_cli(
            cli_home, "add", *map(str, sorted(p for p in DEMO.iterdir() if p.name != "case.json"))
        ).exit_code
        == 0
    )
    # A second lender whose evidence must never leak into 好借花's documents.
    other = tmp_path / "sms-other.xml"
    other.write_text(
        '<?xml version="1.0"?><smses count="1"><sms address="17088889999" date="1786500000000" type="1" '
        'body="【速借宝】你欠款逾期了，再不还就上门找你" contact_name="(Unknown)" /></smses>',
        encoding="utf-8",
    )
    assert run_cli(cli_home, "party", "add", "速借宝", "--number", "17088889999").exit_code == 0
    assert run_cli(cli_home, "add", str(other)).exit_code == 0
    return cli_home


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return out.replace(" ", "").replace("\n", "")


def test_report_refuses_without_the_channels_profile_fields(case_home: Path, tmp_path: Path) -> None:
    r = run_cli(case_home, "report", "--to", "police", "--party", "好借花", "-o", str(tmp_path / "x.pdf"))
    assert r.exit_code == 4 and "身份证号" in r.stderr and "--id-number" in r.stderr
    assert not (tmp_path / "x.pdf").exists()


@needs_poppler
@pytest.mark.parametrize("channel", ["12321", "12315", "nifa", "police", "12378"])
def test_every_channel_renders_chinese_with_an_embedded_font(
    case_home: Path, tmp_path: Path, channel: str
) -> None:
    assert run_cli(case_home, *PROFILE).exit_code == 0
    assert run_cli(case_home, *IDENTITY).exit_code == 0
    out = tmp_path / f"{channel}.pdf"
    r = run_cli(case_home, "report", "--to", channel, "--party", "好借花", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]  # after the header and its rule
    embedded = all(line.split()[-5] == "yes" for line in rows)
    assert rows and embedded and all("UMing" in line or "WenQuanYi" in line for line in rows), fonts
    if Path("/usr/share/fonts/truetype/arphic/uming.ttc").is_file():  # Song-style where installed
        assert all("UMing" in line for line in rows) and "宋体" not in r.stderr, fonts
    else:
        assert "fonts-arphic-uming" in r.stderr
    text = pdf_text(out)
    pages = int(
        subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True)
        .stdout.split("Pages:")[1]
        .split()[0]
    )
    assert all(f"第{n}页共{pages}页" in text for n in range(1, pages + 1))
    assert "北京时间" in text and "当地时间" not in text and "Asia/Shanghai" not in text
    for needle in ("证据清单", "好借花", "王五", "此致", "SHA-256", "不能证明"):
        assert needle in text, needle
    items = json.loads(run_cli(case_home, "ls", "--json").stdout)
    sms = next(i for i in items if i["name"] == "sms-20260817.xml")
    assert sms["sha256"] in text  # full hash in the evidence list
    # the 证据目录's columns; an export formed over the span of its records, not when sealed
    for column in ("序号", "证据名称", "形成时间", "原件/复制件", "页数/时长", "证明目的", "电子数据复制件"):
        assert column in text, column
    assert "2026-08-11至2026-08-16" in text and "34条记录" in text
    assert "速借宝" not in text and "17088889999" not in text  # --party scoping
    if channel == "12321":
        assert "17155550002*你同事的电话我们都有" in text  # ready 号码*原文 forwarding strings
    # Only verified instruments, where they fit: no popular list, no crime of collecting an
    # illegal debt without a loan finding showing one, no impersonation offence for the lender's
    # own signed message, no industry guideline in a police filing, no bank rules for a lender
    # of unknown kind.
    sections = channel_of(channel).sections
    headings = [f"{n}、{h}" for n, (h, _) in zip("一二三四五六七八", sections, strict=False)]
    at = [text.index(h) for h in headings]
    assert at == sorted(at), headings  # the authority's parts, in its order
    ends = [*at[1:], text.index("此致")]
    parts = {part: text[a:b] for (_, part), a, b in zip(sections, at, ends, strict=True)}
    basis = parts.get("basis", "")

    for never in (
        "十不准",
        "第二百九十三条之一",
        "招摇撞骗",
        "第六十二条",
        "银行保险机构消费者权益保护管理办法",
    ):
        assert never not in basis, never
    if channel == "police":
        assert "指引" not in basis and "GB/T" not in basis
        # a 报案材料: who reports whom, a truthfulness statement, signature with fingerprint
        parts = ("报案人王五", "被报案人", "如有虚报、假报，愿承担相应的法律责任", "签名并捺印", "受案回执")
        for part in parts:
            assert part in text, part
    else:
        assert channel_of(channel).respondent_label in text
    # Each authority's own frame: what it judges by, what it is asked, what is attached.
    own = {
        "12321": ("按号码填写的12321举报内容", "举报类型：骚扰电话、垃圾短信"),
        "12315": ("被举报经营者", "《中华人民共和国消费者权益保护法》第二十九条", "删除"),
        "nifa": ("被举报从业机构", "详细地址：深圳市南山区某路1号", "逾期债务催收自律公约"),
        "police": ("借贷背景", "造成的后果", "由报案人如实补充", "禁止接触本人", "存有原始证据的手机"),
        "12378": ("被投诉机构", "请将处理结果书面告知本人"),
    }[channel]
    for needle in own:
        assert needle in text, needle
    if channel in ("12315", "nifa", "police", "12378"):
        assert "附件：" in text and ("本人承诺" in text or "本人保证" in text)
    if channel == "12321":
        assert not basis  # 12321 weighs numbers, not legal argument
    assert '"' not in text  # Chinese quotes only
    # Counts in the letter equal the appendix: each message category's "N条消息" is the number
    # of its entries in 附录一 (one finding a message and category).
    details = text.split("违规事项明细")[1]
    counted = re.findall(r"\d+\.([^：。]{2,30})：(\d+)条消息。", text.split("违规事项明细")[0])
    assert len(counted) >= 4, counted
    for name, n in counted:
        assert details.count(f"［{name}］") == int(n), (name, n)
    raw = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    assert not [line for line in lines if line[0] in render.CANNOT_START_LINE]  # 避头尾, as printed
    assert not [line for line in lines if line[-1] in render.CANNOT_END_LINE]
    assert not re.search(r"[。！？]”。", text)  # no doubled stop
    assert not re.search(r"［\d+］", text)  # no internal category codes
    numerals = "一二三四五六七八"
    found = re.findall(r"附录([一二三四五六七八])：", text)
    assert found == list(numerals[: len(found)]), found  # appendices numbered as they occur
    # The respondent by its legal name, the brand the borrower knows after it, its code.
    assert f"{LEGAL_NAME}（“好借花”）" in text and CREDIT_CODE in text


@pytest.mark.parametrize("channel", ["12315", "nifa"])
def test_a_report_that_must_name_a_company_refuses_without_one(
    case_home: Path, tmp_path: Path, channel: str
) -> None:
    """12315 rejects a 举报 without an identified 经营者, NIFA wants the company's name and
    address: the report is refused (exit 2) naming what is missing and how to record it."""
    assert run_cli(case_home, *PROFILE).exit_code == 0
    out = tmp_path / "x.pdf"
    r = run_cli(case_home, "report", "--to", channel, "--party", "好借花", "-o", str(out))
    assert r.exit_code == 2 and "公司名称" in r.stderr and "住所地址" in r.stderr, r.stderr
    assert "locker party set 好借花 --legal-name" in r.stderr and "--address" in r.stderr
    r = run_cli(case_home, "report", "--to", channel, "-o", str(out))  # no respondent at all
    assert r.exit_code == 2 and "--party" in r.stderr
    assert not out.exists()
    # The name alone is not enough; with the address it renders.
    assert run_cli(case_home, "party", "set", "好借花", "--legal-name", LEGAL_NAME).exit_code == 0
    r = run_cli(case_home, "report", "--to", channel, "--party", "好借花", "-o", str(out))
    assert r.exit_code == 2 and "住所地址" in r.stderr and "公司名称" not in r.stderr
    assert run_cli(case_home, "party", "set", "好借花", "--address", "深圳市南山区某路1号").exit_code == 0
    assert run_cli(case_home, "report", "--to", channel, "--party", "好借花", "-o", str(out)).exit_code == 0


def test_12378_is_only_for_banks_and_consumer_finance(case_home: Path, tmp_path: Path) -> None:
    assert run_cli(case_home, *PROFILE).exit_code == 0
    out = tmp_path / "x.pdf"
    assert run_cli(case_home, "party", "set", "好借花", "--lender-type", "microloan").exit_code == 0
    r = run_cli(case_home, "report", "--to", "12378", "--party", "好借花", "-o", str(out))
    assert r.exit_code == 2 and "地方金融管理局" in r.stderr and not out.exists()
    assert run_cli(case_home, "party", "set", "好借花", "--lender-type", "consumer-finance").exit_code == 0
    assert run_cli(case_home, "report", "--to", "12378", "--party", "好借花", "-o", str(out)).exit_code == 0


def test_party_details_are_checked_and_shown(case_home: Path) -> None:
    bad = run_cli(case_home, "party", "set", "好借花", "--credit-code", CREDIT_CODE[:-1] + "X")
    assert bad.exit_code == 2 and "does not check out" in bad.stderr
    assert run_cli(case_home, "party", "set", "无此方", "--app", "x").exit_code == 2
    assert run_cli(case_home, "party", "set", "好借花").exit_code == 2  # nothing to set
    assert run_cli(case_home, *IDENTITY).exit_code == 0
    shown = json.loads(run_cli(case_home, "party", "show", "好借花", "--json").stdout)
    assert shown["legal_name"] == LEGAL_NAME and shown["credit_code"] == CREDIT_CODE
    assert run_cli(case_home, "party", "set", "好借花", "--app", "").exit_code == 0  # "" clears
    shown = json.loads(run_cli(case_home, "party", "show", "好借花", "--json").stdout)
    assert shown["app_name"] is None and shown["legal_name"] == LEGAL_NAME


@needs_poppler
def test_thumbnails_carry_no_exif(cli_home: Path, tmp_path: Path) -> None:
    from PIL import ImageDraw, ImageFont

    img = Image.new("RGB", (600, 300), "white")
    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 28)
    ImageDraw.Draw(img).text((20, 100), "好借花客服：不还钱就把你身份证照片发到群里", font=font, fill="black")
    exif = Image.Exif()
    exif[0x010F] = "SECRETPHONEMAKER"  # Make
    shot = tmp_path / "Screenshot_2026-08-12-22-48-30-517_com.tencent.mm.jpg"
    img.save(shot, "JPEG", exif=exif)
    run_cli(cli_home, *PARTY)
    run_cli(cli_home, *PROFILE)
    assert run_cli(cli_home, "add", str(shot)).exit_code == 0
    findings = json.loads(run_cli(cli_home, "findings", "--json").stdout)
    if not findings:
        pytest.skip("needs the ocr extra to read the screenshot")
    out = tmp_path / "r.pdf"
    assert run_cli(cli_home, "report", "--to", "12321", "-o", str(out)).exit_code == 0
    assert b"SECRETPHONEMAKER" not in out.read_bytes()
    subprocess.run(["pdfimages", "-all", str(out), str(tmp_path / "img")], check=True)
    extracted = [p for p in tmp_path.glob("img-*")]
    assert extracted
    for p in extracted:
        with Image.open(p) as im:
            assert not im.getexif()


def test_no_line_begins_with_a_closing_mark_or_ends_with_an_opening_one() -> None:
    """避头尾 at every width, in every paragraph style; the text is kept whole, and a hash too long for
    its column is still cut."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph

    font, _ = render.register_font(None)
    text = (
        "催收人员称，如不还款将联系你的家人；并称：“我们会去你单位！”你同意吗？《治安管理处罚法》第五十条。”。"
        * 2
    )
    text += "a3f9" * 16
    for name, style in render._styles(font).items():
        for width in range(60, 480, 7):
            para = Paragraph(render.escape(text), style)
            para.wrap(width, 10_000)
            lines = ["".join(line[1]) for line in para.blPara.lines]
            assert "".join(lines) == text, (name, width)
            for before, line in itertools.pairwise(lines):
                assert line[0] not in render.CANNOT_START_LINE, (name, width, line)
                assert before[-1] not in render.CANNOT_END_LINE, (name, width, before)
            for line in lines:  # only closing marks may hang past the edge (悬挂标点)
                body = line.rstrip(render.CANNOT_START_LINE) or line
                too_wide = stringWidth(body, style.fontName, style.fontSize) > width + 0.01
                assert not too_wide or len(body) == 1 or body.isascii(), (name, width, line)


@needs_poppler
def test_a_report_holds_the_respondents_whole_evidence_not_only_what_findings_rest_on(
    case_home: Path, tmp_path: Path
) -> None:
    """The borrower's own reply to the lender (an express objection) and a neutral call from its
    number raise no finding, yet belong in the report; another lender's evidence never does."""
    assert run_cli(case_home, *PROFILE).exit_code == 0
    reply = ["log", "sms", "--number", "17155550001", "--at", "2026-08-13T12:07", "--direction", "out"]
    assert run_cli(case_home, *reply, "--text", "请不要再打扰我，也不要联系我的家人").exit_code == 0
    call = ["log", "call", "--number", "075512345678", "--at", "2026-08-13T14:03", "--status", "answered"]
    assert run_cli(case_home, *call, "--duration", "40").exit_code == 0
    findings = json.loads(run_cli(case_home, "findings", "--json").stdout)
    events = {e["id"]: e for e in json.loads(run_cli(case_home, "events", "--json").stdout)}
    behind = {e for f in findings for e in f["events"]}
    new = [e for e in events.values() if e["at"][:16] in ("2026-08-13T12:07", "2026-08-13T14:03")]
    assert len(new) == 2 and not {e["id"] for e in new} & behind  # neither is behind a finding
    out = tmp_path / "r.pdf"
    r = run_cli(case_home, "report", "--to", "police", "--party", "好借花", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    text = pdf_text(out)
    assert "请不要再打扰我，也不要联系我的家人" in text and "短信（本人发出）" in text
    assert "2026-08-1314:03" in text  # the call without a finding, in the call records
    assert "该方号码的其他来电、短信、录音及本人的回复" in text  # its purpose in the 证据清单
    assert "速借宝" not in text and "17088889999" not in text


@needs_poppler
def test_how_to_submit_is_on_the_users_cover_sheet_never_in_the_filing(
    case_home: Path, tmp_path: Path
) -> None:
    assert run_cli(case_home, *PROFILE).exit_code == 0
    out, cover = tmp_path / "r.pdf", tmp_path / "cover.pdf"
    r = run_cli(
        case_home, "report", "--to", "police", "--party", "好借花", "-o", str(out), "--cover", str(cover)
    )
    assert r.exit_code == 0, r.stderr
    filing, sheet = pdf_text(out), pdf_text(cover)
    for advice in ("提交方式", "请通过12368", "核实", "请勿一并提交"):
        assert advice not in filing, advice
    assert "不属于报案材料" in sheet and "提交方式" in sheet and "受案回执" in sheet
    assert "12368" in sheet  # the demo holds a fake legal-process message: how to check it
    same = run_cli(
        case_home, "report", "--to", "police", "--party", "好借花", "-o", str(out), "--cover", str(out)
    )
    assert same.exit_code == 2
    plain = run_cli(case_home, "report", "--to", "12321", "--party", "好借花", "-o", str(tmp_path / "x.pdf"))
    assert plain.exit_code == 0 and "to submit:" in plain.stderr


def _finding(category: int, rule: str, explanation: str = "", level: str | None = None) -> FindingRecord:
    return FindingRecord(
        1, "k", category, rule, 1, datetime(2026, 8, 1, tzinfo=UTC), (), "好借花", (), (), explanation,
        "strong", "auto", level,
    )  # fmt: skip


def test_an_instrument_is_cited_only_where_the_facts_and_the_respondent_fit() -> None:
    names = {k: v["name"] for k, v in load_catalog().instruments.items()}
    police, nfra = channel_of("police"), channel_of("12378")
    microloan = PartyRecord("好借花", lender_type="microloan")
    consumer = PartyRecord("好借花", lender_type="consumer-finance")
    plain = [_finding(5, "text-threat")]
    usury = [*plain, _finding(10, "loan-rate", level="0.4120")]
    fair = [*plain, _finding(10, "loan-rate", level="0.3000")]
    lender_sms = [_finding(7, "text-impersonation", "判断依据：“提交至仲裁委”（声称已立案、起诉）")]
    fake_police = [_finding(7, "text-impersonation", f"判断依据：“公安局”（{IMPERSONATION_ACT}）")]
    assert not citable(nfra, microloan, plain)(names["criminal_293_1"])
    assert not citable(nfra, microloan, fair)(names["criminal_293_1"])
    assert citable(nfra, microloan, usury)(names["criminal_293_1"])
    assert not citable(nfra, microloan, lender_sms)(names["psapl_62"])
    assert citable(nfra, microloan, fake_police)(names["psapl_62"])
    assert citable(nfra, microloan, fake_police)(names["criminal_279"])
    assert not citable(nfra, None, plain)(names["consumer_protection_41"])  # kind unknown
    assert not citable(nfra, microloan, plain)(names["consumer_protection_41"])
    assert citable(nfra, consumer, plain)(names["consumer_protection_41"])
    assert not citable(nfra, microloan, plain)(names["private_lending_25"])  # a licensed 小贷
    assert citable(nfra, PartyRecord("x", lender_type="individual"), plain)(names["private_lending_25"])
    assert citable(nfra, consumer, plain)(names["nifa_2024"]) and not citable(police, consumer, plain)(
        names["nifa_2024"]
    )
    assert not citable(nfra, consumer, plain)(names["popular_list"])
    assert not citable(nfra, consumer, plain)("《某某规定》第一条")  # not in the catalog: never


@needs_poppler
def test_a_genuine_court_message_about_the_respondent_is_stated_not_passed_over(
    case_home: Path, tmp_path: Path
) -> None:
    assert run_cli(case_home, *PROFILE).exit_code == 0
    court = "【某某区人民法院】王五，好借花诉你借款纠纷一案已进入诉前调解，案号（2026）粤0305诉前调1234号。"
    r = run_cli(case_home, "log", "sms", "--number", "12368", "--at", "2026-08-15T10:00", "--text", court)
    assert r.exit_code == 0, r.stderr
    events = json.loads(run_cli(case_home, "events", "--json").stdout)
    assert {e["number_class"] for e in events if e["number"] == "12368"} == {"court"}
    out = tmp_path / "r.pdf"
    assert run_cli(case_home, "report", "--to", "12321", "--party", "好借花", "-o", str(out)).exit_code == 0
    text = pdf_text(out)
    assert "法院官方号码发来的涉及好借花的短信1条" in text and "诉前调1234号" in text
    assert "并不否认或回避该程序" in text
    # 12321's per-number reports: the collectors' numbers, each with its description; never the court's
    per_number = text.split("按号码填写的12321举报内容")[-1]
    assert "被举报号码：12368" not in per_number and "被举报号码：17155550001" in per_number
    assert "情况说明：该号码为“好借花”的催收号码" in per_number


@needs_poppler
def test_the_police_filing_states_the_loan_the_station_and_only_requests_its_facts_support(
    case_home: Path, tmp_path: Path
) -> None:
    assert run_cli(case_home, *PROFILE).exit_code == 0
    loan = [
        "--principal",
        "5000",
        "--received",
        "3500",
        "--start",
        "2026-06-01",
        "--schedule",
        "2026-06-08=5000",
    ]
    assert run_cli(case_home, "loan", "add", "--party", "好借花", *loan).exit_code == 0
    station = "深圳市公安局南山分局粤海派出所"
    out = tmp_path / "police.pdf"
    r = run_cli(
        case_home, "report", "--to", "police", "--party", "好借花", "--addressee", station, "-o", str(out)
    )
    assert r.exit_code == 0, r.stderr
    text = pdf_text(out)
    background = text.split("二、借贷背景")[1].split("三、事实经过")[0]
    # the loan as declared, marked as the user's account, with the deduction it shows
    for needle in ("2026-06-01", "合同金额5000", "实际到账3500", "预先扣除1500", "本人陈述"):
        assert needle in background, needle
    assert f"致：{station}" in text and f"此致{station}" in text and "__________" not in text.split("一、")[0]
    # one date format: no 年月日 dates anywhere in the filing
    assert not re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text)
    # the other lender's filing: only a visit threat, so nothing about deleting the address book
    r = run_cli(case_home, "report", "--to", "police", "--party", "速借宝", "-o", str(tmp_path / "b.pdf"))
    assert r.exit_code == 0, r.stderr
    other = pdf_text(tmp_path / "b.pdf")
    assert "禁止接触本人" in other  # a visit threat is 滋扰
    assert "借款合同及还款记录为准" in other and "合同金额" not in other  # no loan declared for it
    bad = run_cli(
        case_home, "report", "--to", "police", "--party", "好借花", "--addressee", "x\n" * 3, "-o", str(out)
    )
    assert bad.exit_code == 2 and "--addressee" in bad.stderr


@needs_poppler
def test_the_cover_sheet_says_what_to_attach_and_what_happens_after(case_home: Path, tmp_path: Path) -> None:
    assert run_cli(case_home, *PROFILE).exit_code == 0
    assert run_cli(case_home, *IDENTITY).exit_code == 0
    out, cover = tmp_path / "r.pdf", tmp_path / "cover.pdf"
    r = run_cli(
        case_home, "report", "--to", "12315", "--party", "好借花", "-o", str(out), "--cover", str(cover)
    )
    assert r.exit_code == 0, r.stderr
    text = pdf_text(cover)
    for needle in ("随附材料", "举报人身份证复印件", "提交之后", "七个工作日内", "第三十一条"):
        assert needle in text, needle
    assert "提交之后" not in pdf_text(out) and "七个工作日" not in pdf_text(out)
