"""Carrier call-detail records (通话详单) and other call tables: the three carriers' layouts, as
CSV, Excel (.xlsx, .xls) and PDF; title rows, year-less times, 主叫/被叫, total rows, no header;
and the same calls giving the same findings whichever format carries them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.errors import BadInputError
from evidence.importers import parser_for
from evidence.records import EventRecord, ParsedEvent, SkippedRecord
from evidence.rules import RuleSettings, apply_rules
from evidence.sniff import sniff
from tests.test_importers_bounds import SealedStream

TZ = ZoneInfo("Asia/Shanghai")
Table = list[list[str]]

# Four calls from a collector in one March evening, and one from the borrower's mother: the
# collector's calls are two connected incoming calls at night, one outgoing, one incoming that
# lasted no time (carriers list it when the network connected it).
CALLS = [
    # (month-day time, direction word, number, seconds)
    ("03-02 21:30:05", "被叫", "17155550001", 83),
    ("03-02 22:40:00", "被叫", "17155550001", 125),
    ("03-02 22:45:10", "主叫", "17155550001", 12),
    ("03-02 23:05:00", "被叫", "17155550001", 0),
    ("03-03 10:00:00", "被叫", "13700137000", 300),
]
EXPECTED = [
    (datetime(2026, 3, 2, 21, 30, 5, tzinfo=TZ), "in", "17155550001", 83.0),
    (datetime(2026, 3, 2, 22, 40, tzinfo=TZ), "in", "17155550001", 125.0),
    (datetime(2026, 3, 2, 22, 45, 10, tzinfo=TZ), "out", "17155550001", 12.0),
    (datetime(2026, 3, 2, 23, 5, tzinfo=TZ), "in", "17155550001", 0.0),
    (datetime(2026, 3, 3, 10, 0, tzinfo=TZ), "in", "13700137000", 300.0),
]


def minutes(seconds: int) -> str:
    return f"{seconds // 60}分{seconds % 60:02d}秒" if seconds >= 60 else f"{seconds}秒"


def china_mobile() -> Table:
    """Five title rows, the year only in the title, 通信方式 for the direction, a total row."""
    rows = [
        ["中国移动通信客户详单"],
        ["客户姓名：张**", "手机号码：138****0000"],
        ["查询月份：2026年03月"],
        ["详单类型：通话详单"],
        [],
        [
            "起始时间",
            "通信地点",
            "通信方式",
            "对方号码",
            "通信时长",
            "通信类型",
            "套餐优惠",
            "实收通信费(元)",
        ],
    ]
    rows += [[t, "深圳", d, n, minutes(s), "本地", "", "0.00"] for t, d, n, s in CALLS]
    rows.append(["合计", "", "", "", "", "", "", "0.00"])
    return rows


def china_unicom() -> Table:
    """Full times, 呼叫类型 for the direction and a 通话类型 of 本地/漫游 that is no direction."""
    rows = [["中国联通 通话详单"], ["账期：202603"]]
    rows.append(
        ["序号", "通话起始时间", "通话时长", "呼叫类型", "对方号码", "本机通话地", "对方归属地", "通话类型"]
    )
    rows += [
        [str(i + 1), f"2026-{t}", f"00:{s // 60:02d}:{s % 60:02d}", d, n, "深圳", "广东", "本地通话"]
        for i, (t, d, n, s) in enumerate(CALLS)
    ]
    return rows


def china_telecom() -> Table:
    """Seconds as numbers, the direction before the time, a 通话类型 column placed first."""
    rows = [["中国电信 语音详单 2026/03/01-2026/03/31"]]
    rows.append(["通话类型", "序号", "对方号码", "呼叫类型", "通话地点", "开始时间", "通话时长(秒)", "费用"])
    rows += [
        ["国内通话", str(i + 1), n, d, "深圳", f"2026/{t[:2]}/{t[3:5]} {t[6:]}", str(s), "0"]
        for i, (t, d, n, s) in enumerate(CALLS)
    ]
    return rows


LAYOUTS = {"mobile": china_mobile, "unicom": china_unicom, "telecom": china_telecom}


def csv_bytes(table: Table, delimiter: str = ",", encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(table)
    return out.getvalue().encode(encoding)


def parse(export_format: str, data: bytes) -> list[ParsedEvent | SkippedRecord]:
    return list(parser_for(export_format).parse(SealedStream(data), TZ))


def calls_of(
    outputs: Sequence[ParsedEvent | SkippedRecord],
) -> list[tuple[datetime, str | None, str | None, float | None]]:
    assert all(isinstance(o, ParsedEvent) for o in outputs), [
        o for o in outputs if isinstance(o, SkippedRecord)
    ]
    return [(o.at, o.direction, o.raw_number, o.duration) for o in outputs if isinstance(o, ParsedEvent)]


@pytest.mark.parametrize("carrier", sorted(LAYOUTS))
@pytest.mark.parametrize(
    ("delimiter", "encoding"), [(",", "utf-8-sig"), (",", "gb18030"), ("\t", "utf-16"), (";", "utf-8")]
)
def test_carrier_csv(carrier: str, delimiter: str, encoding: str) -> None:
    data = csv_bytes(LAYOUTS[carrier](), delimiter, encoding)
    assert sniff(data[:65536], f"{carrier}.csv").export_format == "csv"
    outputs = parse("csv", data)
    assert calls_of(outputs) == EXPECTED
    assert all(isinstance(o, ParsedEvent) and o.kind == "call" and o.tz_assumed for o in outputs)


def test_excel_unicode_text_is_not_audio() -> None:
    """Excel's "Unicode text" is UTF-16 LE with a BOM: FF FE is also an MP3 frame sync."""
    data = csv_bytes(
        [["Type", "Date", "Number", "Duration"], ["Incoming", "2026-03-02 21:30:05", "17155550001", "83"]],
        "\t",
        "utf-16",
    )
    assert data[:2] == b"\xff\xfe"
    found = sniff(data, "calls.txt")
    assert (found.kind, found.export_format) == ("export", "csv")
    (event,) = parse("csv", data)
    assert isinstance(event, ParsedEvent) and (event.direction, event.duration) == ("in", 83.0)


def test_csv_without_a_header_is_read_by_the_shape_of_its_cells() -> None:
    data = csv_bytes([[n, f"2026-{t}", d, str(s)] for t, d, n, s in CALLS])
    assert sniff(data, "export.csv").export_format == "csv"
    assert calls_of(parse("csv", data)) == EXPECTED


def test_year_less_times_without_a_year_in_the_title_are_reported_not_guessed() -> None:
    table = china_mobile()
    table[2] = ["查询月份：本月"]
    outputs = parse("csv", csv_bytes(table))
    skipped = [o for o in outputs if isinstance(o, SkippedRecord)]
    assert len(skipped) == len(CALLS) and not [o for o in outputs if isinstance(o, ParsedEvent)]
    assert "no year" in skipped[0].reason


def test_statement_over_new_year_dates_each_month_in_its_year() -> None:
    rows = [["查询时间：2025年12月01日至2026年01月31日"], ["起始时间", "通信方式", "对方号码", "通信时长"]]
    rows += [
        ["12-31 23:59:00", "被叫", "17155550001", "10秒"],
        ["01-01 00:01:00", "被叫", "17155550001", "10秒"],
    ]
    (a, b) = calls_of(parse("csv", csv_bytes(rows)))
    assert a[0].year == 2025 and b[0].year == 2026


def test_carrier_sms_record_has_direction_and_no_text() -> None:
    rows = [["中国移动通信客户详单"], ["查询月份：2026年03月"], ["详单类型：短彩信详单"]]
    rows.append(["起始时间", "通信地点", "对方号码", "通信方式", "信息类型", "业务名称", "实收通信费(元)"])
    rows += [
        ["03-02 22:01:00", "深圳", "10690000123", "接收", "短信", "国内短信", "0.00"],
        ["03-02 22:02:00", "深圳", "17155550001", "发送", "短信", "国内短信", "0.10"],
        ["03-02 22:03:00", "深圳", "17155550001", "接收", "彩信", "彩信", "0.00"],
    ]
    events = parse("csv", csv_bytes(rows))
    assert [(e.kind, e.direction, e.raw_number, e.text) for e in events if isinstance(e, ParsedEvent)] == [
        ("sms", "in", "10690000123", None),
        ("sms", "out", "17155550001", None),
        ("mms", "in", "17155550001", None),
    ]


def test_a_table_with_no_header_and_no_records_says_so() -> None:
    rows = [["客户详单说明"]] * 40
    with pytest.raises(BadInputError, match="no header row naming a time column"):
        parse("csv", csv_bytes(rows))


def _sbr_calls() -> bytes:
    """The same calls as an SMS Backup & Restore call log (type 1 incoming, 2 outgoing)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<calls count="{len(CALLS)}">']
    for at, direction, number, seconds in EXPECTED:
        millis = int(at.timestamp() * 1000)
        kind = 1 if direction == "in" else 2
        lines.append(
            f'<call number="{number}" duration="{int(seconds or 0)}" date="{millis}" type="{kind}" />'
        )
    lines.append("</calls>")
    return "\n".join(lines).encode()


def findings_of(events: Sequence[ParsedEvent]) -> set[tuple[str, tuple[str, ...], str]]:
    """The findings the rules make of these events, by rule, numbers and local day."""
    records = [
        EventRecord(
            id=i + 1,
            item=1,
            kind=e.kind,
            direction=e.direction,
            number=e.raw_number,
            number_class="mobile",
            contact=None,
            at=e.at,
            duration=e.duration,
            status=e.status,
            text=e.text,
            party="闪电贷" if e.raw_number == "17155550001" else None,
        )
        for i, e in enumerate(sorted(events, key=lambda e: e.at))
    ]
    from evidence.records import PartyRecord

    drafts = apply_rules(records, [PartyRecord("闪电贷", ("17155550001",))], RuleSettings(TZ))
    return {(f.rule, f.numbers, f.at.astimezone(TZ).date().isoformat()) for f in drafts}


@pytest.mark.parametrize("carrier", sorted(LAYOUTS))
def test_same_calls_same_findings_as_from_the_phone(carrier: str) -> None:
    phone = [o for o in parse("sbr-calls", _sbr_calls()) if isinstance(o, ParsedEvent)]
    statement = [o for o in parse("csv", csv_bytes(LAYOUTS[carrier]())) if isinstance(o, ParsedEvent)]
    assert findings_of(statement) == findings_of(phone)
    assert any(rule == "night-contact" for rule, _, _ in findings_of(statement))


# --- spreadsheets and PDF ---------------------------------------------------------------------------


def xlsx_bytes(table: Table) -> bytes:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in table:
        sheet.append([int(c) if c.isdigit() and len(c) >= 7 else c for c in row])  # numbers saved as numbers
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls_bytes(table: Table) -> bytes:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("详单")
    for r, row in enumerate(table):
        for c, cell in enumerate(row):
            sheet.write(r, c, int(cell) if cell.isdigit() and len(cell) >= 7 else cell)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf_bytes(table: Table) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas

    from complaints.render import FALLBACK_FONT, register_font  # the font the reports embed

    font, _ = register_font(None)
    if font == FALLBACK_FONT:
        pytest.skip("no embeddable CJK font installed")
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=landscape(A4))
    y = 560.0
    for row in table:
        for c, cell in enumerate(row):
            page.setFont(font, 9)
            page.drawString(30 + c * 105, y, cell)
        y -= 16
    page.save()
    return out.getvalue()


WRITERS: dict[str, Callable[[Table], bytes]] = {"xlsx": xlsx_bytes, "xls": xls_bytes}


@pytest.mark.parametrize("carrier", sorted(LAYOUTS))
@pytest.mark.parametrize("export_format", sorted(WRITERS))
def test_carrier_spreadsheets(carrier: str, export_format: str) -> None:
    data = WRITERS[export_format](LAYOUTS[carrier]())
    found = sniff(data[:65536], f"详单.{export_format}")
    assert (found.kind, found.export_format) == ("export", export_format)
    assert calls_of(parse(export_format, data)) == EXPECTED


@pytest.mark.parametrize("carrier", sorted(LAYOUTS))
def test_carrier_pdf(carrier: str) -> None:
    data = pdf_bytes(LAYOUTS[carrier]())
    assert calls_of(parse("pdf-table", data)) == EXPECTED


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
            st.sampled_from(["主叫", "被叫"]),
            st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
            st.integers(0, 7200),
        ),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from(sorted(LAYOUTS)),
)
def test_any_calls_round_trip_through_a_carrier_csv(
    calls: list[tuple[datetime, str, str, int]], carrier: str
) -> None:
    header = {
        "mobile": ["起始时间", "通信地点", "通信方式", "对方号码", "通信时长", "通信类型"],
        "unicom": ["通话起始时间", "通话时长", "呼叫类型", "对方号码", "本机通话地", "通话类型"],
        "telecom": ["通话类型", "对方号码", "呼叫类型", "开始时间", "通话时长(秒)"],
    }[carrier]
    rows = [["详单"], header]
    for at, direction, number, seconds in calls:
        when = at.replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S")
        cells = {
            "time": when,
            "dir": direction,
            "num": number,
            "dur": minutes(seconds) if carrier == "mobile" else str(seconds),
        }
        order = {
            "mobile": ["time", "", "dir", "num", "dur", ""],
            "unicom": ["time", "dur", "dir", "num", "", ""],
            "telecom": ["", "num", "dir", "time", "dur"],
        }[carrier]
        rows.append([cells.get(k, "本地") for k in order])
    got = calls_of(parse("csv", csv_bytes(rows)))
    want = [
        (at.replace(microsecond=0, tzinfo=TZ), "out" if d == "主叫" else "in", n, float(s))
        for at, d, n, s in calls
    ]
    assert got == want
    assert all(when.tzinfo is not None and when.astimezone(UTC) for when, *_ in got)


def test_english_exporter_headers_and_dates() -> None:
    """Message lists from English-language exporters: several date columns, words around the role
    ("Message Date", "Sender ID"), month names and AM/PM."""
    data = csv_bytes(
        [
            [
                "Chat Session",
                "Message Date",
                "Delivered Date",
                "Service",
                "Type",
                "Sender ID",
                "Sender Name",
                "Text",
            ],
            [
                "闪电贷",
                "Mar 2, 2026 10:05:09 PM",
                "Mar 2, 2026 10:05:10 PM",
                "SMS",
                "Incoming",
                "17155550001",
                "",
                "还钱",
            ],
            ["闪电贷", "Mar 2, 2026 10:06:00 PM", "", "SMS", "Outgoing", "", "", "别再打了"],
        ]
    )
    a, b = parse("csv", data)
    assert isinstance(a, ParsedEvent) and isinstance(b, ParsedEvent)
    assert (a.kind, a.direction, a.raw_number, a.text) == ("sms", "in", "17155550001", "还钱")
    assert a.at == datetime(2026, 3, 2, 22, 5, 9, tzinfo=TZ) and a.contact == "闪电贷"
    assert (b.direction, b.text) == ("out", "别再打了")


def test_a_headerless_table_of_amounts_is_not_taken_for_calls() -> None:
    """Dates beside 6-digit amounts are a bank statement, not a call log: no phone number in sight."""
    statement = csv_bytes(
        [["2026-03-01 10:00:00", "100000", "转账", "500"], ["2026-03-02 11:00:00", "200000", "消费", "30"]]
    )
    assert sniff(statement, "bank.csv").export_format is None
    with pytest.raises(BadInputError, match="no header row"):
        parse("csv", statement)
