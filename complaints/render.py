"""Rendering a complaint as a PDF (reportlab platypus) in Simplified Chinese with an embedded CJK font."""

from __future__ import annotations

import hashlib
import io
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from reportlab.graphics import shapes as _shapes
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib import textsplit as _textsplit
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as _paragraph

from complaints.assembly import EVENT_NAMES, WRITTEN_KINDS, Complaint, EvidenceRow, day, one_line
from complaints.columns import columns
from evidence.errors import UsageError
from evidence.numbers import shown
from evidence.outputs import check_output_path, private_output
from evidence.records import EventRecord
from evidence.resources import resource_dir
from evidence.rules.timing import connected, zone_label

# Chinese line breaking (避头尾): a closing mark never begins a line, an opening one never ends
# one. A plain paragraph is wrapped by `_kinsoku_split` (put in place of ReportLab's character-
# by-character split); a paragraph of several fragments by ReportLab's CJK wrapping, which hangs
# one character that may not begin a line, from its Japanese list, to which the Chinese marks
# are added.
CANNOT_START_LINE = "，。、；：？！）》〉」』】〕”’…～%"
CANNOT_END_LINE = "（《〈「『【〔“‘"
_paragraph.ALL_CANNOT_START += "".join(c for c in CANNOT_START_LINE if c not in _paragraph.ALL_CANNOT_START)


def _units(word: str) -> list[tuple[int, int]]:
    """(start, end) of the pieces a line may not be broken inside: an ASCII word or one other
    character, with the opening marks before it and the closing marks after it."""
    units: list[tuple[int, int]] = []
    i, n = 0, len(word)
    while i < n:
        start = i
        while i < n - 1 and word[i] in CANNOT_END_LINE:
            i += 1
        if word[i].isascii() and word[i].isalnum():
            while i < n and word[i].isascii() and word[i].isalnum():
                i += 1
        else:
            i += 1
        while i < n and word[i] in CANNOT_START_LINE:
            i += 1
        units.append((start, i))
    return units


_EPSILON = 1e-6  # points: widths are sums of floats


def _kinsoku_split(word: str, widths: list[float], max_widths: Any) -> list[list[Any]]:
    """`textsplit.dumbSplit` with 避头尾: lines of whole units (see `_units`); a unit wider than a
    line (a hash in a narrow column) is cut between characters as ReportLab would."""
    limits = list(max_widths) if isinstance(max_widths, list | tuple) else [max_widths]
    lines: list[list[Any]] = []
    line_start, used = 0, 0.0

    def limit() -> float:
        return float(limits[min(len(lines), len(limits) - 1)])

    for start, end in _units(word):
        width = sum(widths[start:end])
        if used + width > limit() + _EPSILON and start > line_start:
            lines.append([limit() - used, word[line_start:start]])
            line_start, used = start, 0.0
        if width <= limit() + _EPSILON:
            used += width
            continue
        for k in range(start, end):  # wider than a line (a hash in a narrow column): cut it,
            # hanging a closing mark past the edge (悬挂) rather than starting a line with it
            movable = word[k] not in CANNOT_START_LINE and word[k - 1] not in CANNOT_END_LINE
            if used + widths[k] > limit() + _EPSILON and k > line_start and movable:
                lines.append([limit() - used, word[line_start:k]])
                line_start, used = k, 0.0
            used += widths[k]
    if line_start < len(word):
        lines.append([limit() - used, word[line_start:]])
    return lines


_textsplit.dumbSplit = _kinsoku_split  # type: ignore[assignment]

# A Song-style (明体/宋体) face first, as Chinese filings are set; then the sans (黑体) faces
# Debian ships, with a warning. Noto CJK is CFF-outlined, which ReportLab cannot embed.
SONG_FONTS = (Path("/usr/share/fonts/truetype/arphic/uming.ttc"),)  # fonts-arphic-uming: AR PL UMing CN
FONT_CANDIDATES = (
    *SONG_FONTS,
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)
NOT_SONG = (
    "no Song-style Chinese font found (install fonts-arphic-uming): the text is set in a sans-serif "
    "(黑体) face, which authorities accept but is not the customary 宋体"
)
FONT = "LockerCJK"
FALLBACK_FONT = "STSong-Light"
THUMB_PX = 360
PAGE_W, PAGE_H = A4
MARGIN = 18 * mm


@dataclass
class RenderResult:
    path: Path
    pages: int
    font: str
    warnings: list[str] = field(default_factory=list)
    sha256: str = ""  # of the PDF as written: the report's custody entry records it


def register_font(font_path: Path | None) -> tuple[str, list[str]]:
    """Register an embeddable TrueType CJK font; fall back to a non-embedded CID font with a warning."""
    if font_path is not None and not font_path.is_file():
        raise UsageError(f"no font file at {font_path}")
    for path in [font_path] if font_path else list(FONT_CANDIDATES):
        if path is not None and path.is_file():
            try:
                if FONT not in pdfmetrics.getRegisteredFontNames():
                    kwargs = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
                    pdfmetrics.registerFont(TTFont(FONT, str(path), **kwargs))
                return FONT, [] if font_path is not None or path in SONG_FONTS else [NOT_SONG]
            except Exception as e:  # a font reportlab cannot embed (e.g. CFF outlines)
                if font_path is not None:
                    raise UsageError(
                        f"cannot embed {font_path.name} ({type(e).__name__}): give a TrueType font"
                    ) from e
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT, [
        "no embeddable Chinese TrueType font found (install fonts-wqy-zenhei or use --font): "
        "the PDF uses a built-in font that some viewers may not show"
    ]


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle(
            "title", parent=base, fontSize=17, leading=24, alignment=TA_CENTER, spaceAfter=8
        ),
        # keepWithNext: a heading never ends a page away from what it heads
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=12.5, leading=19, spaceBefore=10, spaceAfter=4, keepWithNext=1
        ),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11.5),
        # Hashes in the embedded font as well (Courier would be a non-embedded built-in).
        "hash": ParagraphStyle("hash", parent=base, fontSize=7, leading=9, wordWrap="CJK"),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


TABLE_CHUNK = 60  # rows per Table: ReportLab re-measures what is left of a table at every page


def _long_table(rows: list[list[object]], widths: list[float], font: str) -> list[Table]:
    """A table of any length as tables of TABLE_CHUNK rows, each with the header: one table of
    10,000 rows costs time quadratic in its pages, these cost time linear in them."""
    header, body = rows[:1], rows[1:]
    return [
        _table(header + body[i : i + TABLE_CHUNK], widths, font)
        for i in range(0, max(len(body), 1), TABLE_CHUNK)
    ]


def _table(rows: list[list[object]], widths: list[float], font: str) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return t


@cache
def count_labels() -> dict[str, Any]:
    """How the PDF labels its counts (templates/letters/counts.toml)."""
    with (resource_dir("templates") / "letters" / "counts.toml").open("rb") as f:
        return tomllib.load(f)


def calls_chart(c: Complaint, width: float) -> Drawing | None:
    """Incoming calls per local day, two bars a day: attempts (answered or not), stacked by the
    night level the findings give (day, 21:00–22:00, 22:00–08:00, never merged), and connected
    calls; the dashed line is the daily limit, which the instruments set for connected calls."""
    tz = c.case.timezone
    calls = [e for e in c.events if e.kind == "call" and e.direction == "in"]
    if not calls:
        return None
    tried: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    by_level: dict[str, Counter[str]] = {"weak": Counter(), "strong": Counter()}
    for e in calls:
        d = e.at.astimezone(tz).strftime("%m-%d")
        tried[d] += 1
        answered[d] += connected(e)
        level = c.tally.night_level.get(e.id)
        if level in by_level:
            by_level[level][d] += 1
    days = sorted(tried)
    limit = c.tally.limits["connected"]
    labels = count_labels()
    legend = [line.format(**c.tally.limits) for line in labels["chart_legend"]]
    height, left, bottom = 150.0 + 11 * len(legend), 28.0, 30.0
    top = max(max(tried.values()), limit + 1)
    scale = (height - bottom - 12 * len(legend) - 8) / top
    step = (width - left - 10) / max(len(days), 1)
    bar_w = min(16.0, step * 0.35)
    # Digits in the embedded Chinese font too: a built-in Helvetica is not embedded in the PDF.
    font = FONT if FONT in pdfmetrics.getRegisteredFontNames() else FALLBACK_FONT
    g = Drawing(width, height)
    g.add(Line(left, bottom, width - 5, bottom, strokeColor=colors.black))
    for n in range(0, top + 1, max(1, top // 5)):
        g.add(String(left - 14, bottom + n * scale - 3, str(n), fontName=font, fontSize=7))
    colours = {
        "day": colors.HexColor("#4a78b5"),
        "weak": colors.HexColor("#f1c40f"),
        "strong": colors.HexColor("#c0392b"),
        "connected": colors.HexColor("#1b2f5b"),
    }
    for i, d in enumerate(days):
        x = left + i * step + (step - 2 * bar_w - 2) / 2
        y = float(bottom)
        strong, weak = by_level["strong"][d], by_level["weak"][d]
        for part, n in (("day", tried[d] - strong - weak), ("weak", weak), ("strong", strong)):
            if n:
                g.add(Rect(x, y, bar_w, n * scale, fillColor=colours[part], strokeWidth=0))
                y += n * scale
        g.add(String(x + bar_w / 2 - 3, y + 3, str(tried[d]), fontName=font, fontSize=7))
        x2 = x + bar_w + 2
        g.add(Rect(x2, bottom, bar_w, answered[d] * scale, fillColor=colours["connected"], strokeWidth=0))
        top_of = bottom + answered[d] * scale + 3
        g.add(String(x2 + bar_w / 2 - 3, top_of, str(answered[d]), fontName=font, fontSize=7))
        g.add(String(x, bottom - 12, d, fontName=font, fontSize=7))
    g.add(
        Line(
            left,
            bottom + limit * scale,
            width - 5,
            bottom + limit * scale,
            strokeColor=colors.HexColor("#e67e22"),
            strokeDashArray=[4, 3],
        )
    )
    for n, line in enumerate(legend, 1):
        g.add(String(left, height - 11 * n, line, fontName=font, fontSize=7.5))
    return g


def thumbnail(c: Complaint, item_id: int) -> Image | None:
    """A small re-encoded copy of a screenshot: pixels only, no EXIF or other metadata."""
    if c.case.originals is None:
        return None
    try:
        with c.case.originals(item_id) as f, PILImage.open(f) as img:
            img.thumbnail((THUMB_PX, THUMB_PX))
            clean = PILImage.new("RGB", img.size, "white")
            clean.paste(img.convert("RGB"))
    except Exception:  # an image Pillow cannot read is listed, just not shown
        return None
    buf = io.BytesIO()
    clean.save(buf, "PNG")  # a fresh PNG carries no EXIF, GPS or device tags
    buf.seek(0)
    w, h = clean.size
    ratio = min(60 * mm / w, 80 * mm / h)
    return Image(buf, width=w * ratio, height=h * ratio)


NUMERALS = "一二三四五六七八九十"  # a filing's parts: 一、二、…


def own_words(e: EventRecord) -> str:
    """How the message appendix marks the borrower's own words: sent, or said in a recorded call."""
    if e.direction != "out":
        return ""
    return "（本人所说）" if e.kind == "transcript" else "（本人发出）"


def _attribution(c: Complaint, st: dict[str, ParagraphStyle], font: str, usable: float) -> list[object]:
    """Why each number is the respondent's, with the messages it cites."""
    if not c.attribution:
        return []
    s: list[object] = [Spacer(1, 4), *(_p(x, st["base"]) for x in c.attribution.splitlines() if x.strip())]
    if c.cited:
        cited: list[list[object]] = [[_p(h, st["cell"]) for h in ("事件编号", "时间", "号码", "原文")]]
        cited += [
            [
                f"#{e.id}",
                c.local(e.at) + ("*" if e.tz_assumed else ""),
                shown(e.number) if e.number else "—",
                _p(e.text or "", st["cell"]),
            ]
            for e in c.cited
        ]
        s += [_table(cited, [18 * mm, 31 * mm, 27 * mm, usable - 76 * mm], font)]
    return s


def _tally(c: Complaint, st: dict[str, ParagraphStyle], font: str, usable: float) -> list[object]:
    """The counts, each category apart, and the messages counted once in total."""
    labels = count_labels()
    rows: list[list[object]] = [[_p(h, st["cell"]) for h in labels["table_header"]]]
    rows += [
        [_p(str(n), st["cell"]), _p(x.name, st["cell"]), _p(x.tally, st["cell"])]
        for n, x in enumerate(c.categories, 1)  # 序号, not locker's internal category numbers
    ]
    if c.tally.messages:
        total = labels["table_total_value"].format(n=c.tally.messages)
        rows.append([_p("", st["cell"]), _p(labels["table_total"], st["cell"]), _p(total, st["cell"])])
    return [_table(rows, [14 * mm, usable - 94 * mm, 80 * mm], font), _p(labels["table_note"], st["small"])]


CATALOGUE = ("序号", "证据名称", "类型", "形成时间", "原件/复制件", "页数/时长", "证明目的")


def _catalogue(
    evidence: Sequence[EvidenceRow],
    st: dict[str, ParagraphStyle],
    font: str,
    usable: float,
    where: Mapping[int, str] | None = None,
) -> Table:
    """The 证据目录: an entry per item, its source and hash (and, in a bundle, its path there) on a
    line of their own under it, since a 64-character hash in a narrow column breaks in four."""
    rows: list[list[object]] = [[_p(h, st["cell"]) for h in CATALOGUE]]
    spans = []
    for r in evidence:
        cells = (str(r.no), r.item.name, r.kind, r.time, r.copy, r.extent, r.proves)
        rows.append([_p(v, st["cell"]) for v in cells])
        line = f"来源：{r.source}　SHA-256：{r.item.sha256}"
        if where and r.item.id in where:
            line += f"　证据包内位置：{where[r.item.id]}"
        rows.append([_p(line, st["hash"]), "", "", "", "", "", ""])
        spans.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
    widths = [9 * mm, 36 * mm, 14 * mm, 25 * mm, 25 * mm, 16 * mm]
    table = _table(rows, [*widths, usable - sum(widths)], font)
    table.setStyle(TableStyle(spans))
    return table


def catalogue_pdf(
    evidence: Sequence[EvidenceRow], where: Mapping[int, str], head: str, generated: str, note: str
) -> bytes:
    """证据目录.pdf for a bundle: every item it carries, where, and how to check it (`note`)."""
    font, _ = register_font(None)
    st = _styles(font)
    story: list[object] = [
        _p("证据目录", st["title"]),
        _catalogue(evidence, st, font, PAGE_W - 2 * MARGIN, where),
        Spacer(1, 8),
        _p(note, st["small"]),
    ]
    footer = f"生成时间 {generated}　保管日志链首哈希 {head}"
    pdf, _pages = _pdf(story, font, "证据目录", "证据目录", footer)
    return pdf


def number_summary(c: Complaint, number: str, evs: Sequence[EventRecord]) -> str:
    """12321's one-line description of a number: whose it is, what it sent, when, and what the
    findings from it are about (legal-zh.md §3.1, 情况说明)."""
    texts = sum(1 for e in evs if e.kind in ("sms", "mms"))
    calls = [e for e in evs if e.kind == "call"]
    night = sum(1 for e in calls if c.tally.night_level.get(e.id) == "strong")
    what = [f"发送短信{texts}条"] if texts else []
    if calls:
        what.append(f"呼叫本人{len(calls)}次" + (f"（其中22:00至次日08:00之间{night}次）" if night else ""))
    names = {x.category: x.name for x in c.categories}
    about = list(
        dict.fromkeys(names[f.category] for f in c.findings if number in f.numbers and f.category in names)
    )
    whose = f"“{c.case.party.name}”的催收号码，" if c.case.party else "网贷催收号码，"
    first, last = day(evs[0].at, c.case.timezone), day(evs[-1].at, c.case.timezone)
    return (
        f"该号码为{whose}{first if first == last else f'{first}至{last}期间'}"
        f"向本人{'、'.join(what)}" + (f"，涉及{'、'.join(about)}" if about else "") + "。"
    )


def _story(c: Complaint, font: str) -> list[object]:
    st = _styles(font)
    profile = c.case.profile
    usable = PAGE_W - 2 * MARGIN
    s: list[object] = [
        _p(c.channel.title, st["title"]),
        _p(f"致：{c.channel.addressee}", st["base"]),
        Spacer(1, 6),
    ]
    who = [[_p(c.channel.complainant_label, st["cell"]), _p(profile.name or "", st["cell"])]]
    for label, value in (
        ("身份证号", profile.id_number),
        ("联系电话", profile.phone),
        ("地址", profile.address),
    ):
        if value:
            who.append([_p(label, st["cell"]), _p(value, st["cell"])])
    if c.channel.respondent_text:  # the police: a person not known by name, for an institution
        brand = c.case.party.name if c.case.party else c.respondent
        who.append(
            [
                _p(c.channel.respondent_label, st["cell"]),
                _p(c.channel.respondent_text.format(brand=brand), st["cell"]),
            ]
        )
        who.append([_p("涉及机构", st["cell"]), _p(c.respondent, st["cell"])])
    else:
        who.append([_p(c.channel.respondent_label, st["cell"]), _p(c.respondent, st["cell"])])
    for label, value in c.respondent_details:
        who.append([_p(label, st["cell"]), _p(value, st["cell"])])
    facts = next(n for n, (_, part) in enumerate(c.channel.sections) if part == "facts")
    numbers = "、".join(map(shown, c.respondent_numbers)) + (
        f"（归属依据见第{NUMERALS[facts]}部分）" if c.attribution else ""
    )
    who.append([_p("相关号码", st["cell"]), _p(numbers or "（见下文）", st["cell"])])
    s += [_table(who, [32 * mm, usable - 32 * mm], font), Spacer(1, 8)]
    numerals = iter(NUMERALS)
    for heading, part in c.channel.sections:  # the authority's own parts, in its order
        s += [_p(f"{next(numerals)}、{heading}", st["h2"])]
        if part == "tally":
            s += _tally(c, st, font, usable)
        elif part == "basis":
            for x in c.categories:
                if x.instruments:  # a category no verified instrument fits here is stated as fact only
                    s.append(_p(f"{x.name}：" + "；".join(x.instruments), st["base"]))
        elif part == "requests":
            s += [_p(f"{n}. {r}", st["base"]) for n, r in enumerate(c.requests, 1)]
        else:  # a paragraph a line, so a heading keeps with its first line, not with pages of text
            s += [_p(line, st["base"]) for line in c.parts[part].splitlines() if line.strip()]
            if part == "facts":
                s += _attribution(c, st, font, usable)
                if c.court:  # a genuine proceeding, after the numbers' attribution and its table
                    s += [Spacer(1, 4), _p(c.court, st["base"])]
    if c.channel.statement:
        s += [Spacer(1, 8), _p(c.channel.statement, st["base"])]
    if c.attachments:
        s += [Spacer(1, 6), _p("附件：", st["base"])]
        s += [_p(f"{n}. {a}", st["base"]) for n, a in enumerate(c.attachments, 1)]
    s += [
        Spacer(1, 14),
        _p("此致", st["base"]),
        _p(c.channel.addressee, st["base"]),
        Spacer(1, 18),
        _p(f"{c.channel.sign or c.channel.form + '人（签名）'}：____________________", st["base"]),
        _p(f"日期：{day(c.case.generated_at, c.case.timezone)}", st["base"]),
    ]  # how to submit is the cover sheet's (render_cover_pdf), never the filing's
    s += [PageBreak(), _p("证据清单", st["title"])]
    s += [_catalogue(c.evidence, st, font, usable)]
    s += [Spacer(1, 8), _p(c.hash_statement, st["small"])]
    appendix = iter("一二三四五六七八")  # numbered as they occur: no 附录五 after 附录三
    names = {x.category: x.name for x in c.categories}
    s += [PageBreak(), _p(f"附录{next(appendix)}：违规事项明细", st["title"])]
    for f in c.findings:
        mark = "（已由本人确认）" if f.status == "confirmed" else ""
        s.append(_p(f"［{names.get(f.category, '')}］{one_line(f.explanation)}{mark}", st["small"]))
    messages = [e for e in c.events if e.kind in WRITTEN_KINDS and e.text]
    if messages:
        heard = any(e.kind == "transcript" for e in messages)
        title = "短信、截图文字及录音文字稿（本人整理）原文" if heard else "短信及截图文字原文"
        s += [_p(f"附录{next(appendix)}：{title}", st["h2"])]
        rows = [[_p(h, st["cell"]) for h in ("时间", "号码", "类型", "原文")]]
        rows += [
            [
                c.local(e.at) + ("*" if e.tz_assumed else ""),
                shown(e.number) if e.number else "—",
                _p(EVENT_NAMES.get(e.kind, e.kind) + own_words(e), st["cell"]),
                _p(e.text or "", st["cell"]),
            ]
            for e in messages
        ]
        s += _long_table(rows, [31 * mm, 27 * mm, 16 * mm, usable - 74 * mm], font)
    calls = [e for e in c.events if e.kind == "call"]
    if calls:
        s += [_p(f"附录{next(appendix)}：通话记录", st["h2"])]
        chart = calls_chart(c, usable)
        if chart is not None:
            s += [chart, Spacer(1, 6)]
        labels = count_labels()
        period = {"strong": labels["period_strong"], "weak": labels["period_weak"]}
        heads = ("时间", "号码", "状态", "时长（秒）", labels["period_header"])
        rows = [[_p(h, st["cell"]) for h in heads]]
        status = columns().values["status"]  # one naming of call statuses, the bundle's too
        rows += [
            [
                c.local(e.at) + ("*" if e.tz_assumed else ""),
                shown(e.number) if e.number else "—",
                ("本人去电·" if e.direction == "out" else "") + status.get(e.status or "", "—"),
                f"{e.duration:.0f}" if e.duration is not None else "—",
                _p(period.get(c.tally.night_level.get(e.id, ""), ""), st["cell"]),
            ]
            for e in calls
        ]
        s += _long_table(rows, [36 * mm, 34 * mm, 24 * mm, 22 * mm, usable - 116 * mm], font)
    shots = [r for r in c.evidence if r.item.kind == "image"]
    if shots:
        s += [_p(f"附录{next(appendix)}：截图（缩略图，已去除元数据）", st["h2"])]
        for r in shots:
            img = thumbnail(c, r.item.id)
            if img is not None:
                s.append(KeepTogether([_p(f"证据{r.no}：{r.item.name}", st["small"]), img, Spacer(1, 6)]))
    if c.channel.per_number:
        s += [PageBreak(), _p(f"附录{next(appendix)}：按号码填写的12321举报内容", st["title"])]
        by_number: dict[str, list] = {}  # type: ignore[type-arg]
        for e in c.events:
            # a genuine court number is a proceeding, never a number to report
            reportable = e.number_class != "court" and e.kind in ("call", "sms", "mms")
            if e.number and reportable and e.direction == "in":
                by_number.setdefault(e.number, []).append(e)
        for number, evs in by_number.items():
            s.append(_p(f"被举报号码：{number}", st["h2"]))
            s.append(_p(f"情况说明：{number_summary(c, number, evs)}", st["base"]))
            rows = [[_p(h, st["cell"]) for h in ("号码", "时间", "类型", "时长", "原文")]]
            for e in evs:
                rows.append(
                    [
                        number,
                        c.local(e.at),
                        "短信" if e.kind in ("sms", "mms") else "来电",
                        f"{e.duration:.0f}秒" if e.duration else "—",
                        _p(e.text or "", st["cell"]),
                    ]
                )
            s += _long_table(rows, [27 * mm, 29 * mm, 11 * mm, 14 * mm, usable - 81 * mm], font)
            texts = [e.text for e in evs if e.text and e.kind in ("sms", "mms")]
            if texts:
                s.append(_p("转发短信（发送至12321）：", st["small"]))
                s += [_p(f"{number}*{t}", st["cell"]) for t in texts]
    return s


def _counted_canvas(font: str) -> type[Canvas]:
    """A canvas that holds its pages back until the last, so each can say 第 N 页 共 M 页."""

    class CountedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                self.setFont(font, 7)
                self.drawRightString(PAGE_W - MARGIN, 6 * mm, f"第 {self._pageNumber} 页 共 {total} 页")
                super().showPage()
            super().save()

    return CountedCanvas


def render_complaint_pdf(
    complaint: Complaint, out: Path, font_path: Path | None = None, home: Path | None = None
) -> RenderResult:
    """Render and write atomically, never leaving plaintext behind (evidence.outputs); every page
    carries the custody head hash and generation time. `home` is the locker, for clean-up."""
    check_output_path(out)
    font, warnings = register_font(font_path)
    tz = complaint.case.timezone
    generated = f"{complaint.case.generated_at.astimezone(tz).strftime('%Y-%m-%d %H:%M')}（{zone_label(tz)}）"
    footer = f"生成时间 {generated}　保管日志链首哈希 {complaint.case.custody_head}"
    pdf, pages = _pdf(_story(complaint, font), font, complaint.channel.title, complaint.channel.name, footer)
    return _written(pdf, pages, out, home, font, warnings)


def render_cover_pdf(
    text: str, out: Path, font_path: Path | None = None, home: Path | None = None
) -> RenderResult:
    """The user's cover sheet (assembly.cover_text): how to submit, what to attach, what to
    expect. Kept apart from the filing, which must hold nothing addressed to the user."""
    check_output_path(out)
    font, warnings = register_font(font_path)
    st = _styles(font)
    title, *lines = text.strip().splitlines()
    story: list[object] = [_p(title, st["title"])]
    for line in lines:
        if line.startswith("## "):
            story.append(_p(line[3:], st["h2"]))
        elif line.strip():
            story.append(_p(line, st["base"]))
    pdf, pages = _pdf(story, font, title, title, "")
    return _written(pdf, pages, out, home, font, warnings)


def _written(
    pdf: bytes, pages: int, out: Path, home: Path | None, font: str, warnings: list[str]
) -> RenderResult:
    """Write a rendered PDF atomically and privately (evidence.outputs), with its hash."""
    with private_output(home, out) as f:
        f.write(pdf)
    return RenderResult(out, pages, font, warnings, hashlib.sha256(pdf).hexdigest())


def _pdf(story: list[object], font: str, title: str, subject: str, footer_text: str) -> tuple[bytes, int]:
    """A4 PDF bytes of a story, every page footed with `footer_text` and 第 N 页 共 M 页."""

    def footer(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.drawString(MARGIN, 10 * mm, footer_text)
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=title,
        author="",
        creator="locker",
        subject=subject,
        initialFontName=font,  # else every page names Helvetica, a font the PDF does not embed
    )
    # A chart opens with ReportLab's default graphics state, which names Helvetica even when
    # every string in it says otherwise: the default is this document's font instead.
    _shapes.STATE_DEFAULTS["fontName"] = font
    doc.build(story, onFirstPage=footer, onLaterPages=footer, canvasmaker=_counted_canvas(font))
    return buf.getvalue(), doc.page
