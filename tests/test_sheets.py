"""The spreadsheet and PDF readers of evidence/importers/sheets.py: real files built here, read back."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from complaints.render import FONT_CANDIDATES
from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers import sheets
from evidence.importers.sheets import (
    Row,
    cell_text,
    pdf_rows,
    xls_rows,
    xlsx_rows,
)
from evidence.sniff import sniff
from tests.test_importers_bounds import SealedStream

HEADER = ["起始时间", "通信地点", "通信方式", "对方号码", "通信时长", "通信类型"]
TITLE = "中国移动通信客户详单"
PERIOD = "查询时间：2026年08月01日至2026年08月31日"
N_CALLS = 40


def call(i: int) -> tuple[datetime, str, str, int, str, str]:
    """The i-th call of the test list; every ninth has no place (an empty cell mid-row)."""
    at = datetime(2026, 8, 1 + i // 2, 8 + i % 12, (i * 7) % 60, (i * 13) % 60)
    place = "" if i % 9 == 4 else ("广东深圳" if i % 3 else "北京")
    return (
        at,
        place,
        "主叫" if i % 2 else "被叫",
        13800138000 + i,
        f"{i % 5}分{(i * 11) % 60:02d}秒",
        "本地通话",
    )


def call_cells(i: int) -> list[str]:
    at, place, mode, number, duration, kind = call(i)
    return [at.strftime("%Y-%m-%d %H:%M:%S"), place, mode, str(number), duration, kind]


TOTAL = ["合计", "", "", "", f"共{N_CALLS}次"]


def rows_of(reader: Callable[[io.BytesIO], Iterator[Row]], data: bytes) -> list[Row]:
    return list(reader(io.BytesIO(data)))


# --- xlsx ------------------------------------------------------------------------------------------------


def carrier_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "通话详单"
    sheet.append([TITLE])
    sheet.merge_cells("A1:F1")
    sheet.append([PERIOD])
    sheet.merge_cells("A2:F2")
    sheet.append([])
    sheet.append(HEADER)
    for i in range(N_CALLS):
        at, place, mode, number, duration, kind = call(i)
        sheet.append([at, place or None, mode, number, duration, kind])
        sheet.cell(sheet.max_row, 1).number_format = "yyyy-mm-dd hh:mm:ss"
    sheet.append(["合计", None, None, None, f"共{N_CALLS}次", None])
    other = book.create_sheet("其他")
    other.append(["项目", "值"])
    other.append(["整数浮点", 13800138000.0])
    other.append(["小数", 0.1 + 0.2])
    other.append(["时长", timedelta(hours=25, minutes=1, seconds=2)])
    other["B4"].number_format = "[h]:mm:ss"
    other.append(["时刻", time(9, 10, 11)])
    other.append(["日期", date(2026, 8, 11)])
    other.append(["布尔", True])
    other.append(["  空格  ", None, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


EXPECTED_SHEET_1 = [
    ("sheet 1, row 1", [TITLE]),
    ("sheet 1, row 2", [PERIOD]),
    ("sheet 1, row 4", HEADER),
    *((f"sheet 1, row {5 + i}", call_cells(i)) for i in range(N_CALLS)),
    (f"sheet 1, row {5 + N_CALLS}", TOTAL),
]


def test_xlsx_rows_cell_for_cell() -> None:
    rows = rows_of(xlsx_rows, carrier_xlsx())
    assert rows[: len(EXPECTED_SHEET_1)] == EXPECTED_SHEET_1
    assert rows[len(EXPECTED_SHEET_1) :] == [
        ("sheet 2, row 1", ["项目", "值"]),
        ("sheet 2, row 2", ["整数浮点", "13800138000"]),
        ("sheet 2, row 3", ["小数", "0.3"]),
        ("sheet 2, row 4", ["时长", "25:01:02"]),
        ("sheet 2, row 5", ["时刻", "09:10:11"]),
        # A date format without a time of day shows the date alone.
        ("sheet 2, row 6", ["日期", "2026-08-11"]),
        ("sheet 2, row 7", ["布尔", "TRUE"]),
        ("sheet 2, row 8", ["空格"]),
    ]


def test_xlsx_from_a_sealed_stream_with_short_reads() -> None:
    data = carrier_xlsx()
    assert list(xlsx_rows(SealedStream(data, most=7))) == rows_of(xlsx_rows, data)


def test_xlsx_wrong_dimension_and_far_cells() -> None:
    """A cell at column XFD and a jump to the last row (the sheet claims A1:XFD1048576) stay within bounds."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["a", "b", "c"])
    sheet.cell(2, 16384, "far")
    sheet.cell(3, 1, "x")
    sheet.cell(3, 16384, None)
    sheet.cell(1_048_576, 2, "last")
    out = io.BytesIO()
    book.save(out)
    rows = rows_of(xlsx_rows, out.getvalue())
    assert rows == [
        ("sheet 1, row 1", ["a", "b", "c"]),
        ("sheet 1, row 3", ["x"]),
        ("sheet 1, row 1048576", ["", "last"]),
    ]


def test_xlsx_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([f"c{n}" for n in range(250)])
    sheet.append(["x" * 50])
    for n in range(20):
        sheet.append([n])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    rows = rows_of(xlsx_rows, data)
    assert len(rows[0][1]) == sheets.MAX_CELLS == 200

    monkeypatch.setattr(sheets, "MAX_TEXT_CHARS", 10)
    assert rows_of(xlsx_rows, data)[1] == ("sheet 1, row 2", ["x" * 10])

    monkeypatch.setattr(sheets, "MAX_ROWS", 5)
    got: list[Row] = []
    with pytest.raises(TruncatedInputError, match="more than 5 rows") as caught:
        got.extend(xlsx_rows(io.BytesIO(data)))
    assert caught.value.records_read == len(got) == 5

    monkeypatch.setattr(sheets, "MAX_SHEET_BYTES", 1000)
    with pytest.raises(BadInputError, match="larger than"):
        rows_of(xlsx_rows, data)


def zip_with(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return out.getvalue()


def test_xlsx_zip_bomb_by_ratio() -> None:
    bomb = zip_with({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": bytes(64 << 20)})
    assert len(bomb) < 200_000
    with pytest.raises(BadInputError, match="zip bomb"):
        rows_of(xlsx_rows, bomb)


def test_xlsx_zip_bomb_by_declared_size() -> None:
    data = bytearray(carrier_xlsx())
    at = data.find(b"PK\x01\x02")
    while at >= 0:  # every central directory entry claims 1.5 GiB unpacked
        struct.pack_into("<I", data, at + 24, 0x60000000)
        at = data.find(b"PK\x01\x02", at + 4)
    with pytest.raises(BadInputError, match="unpacks to too much"):
        rows_of(xlsx_rows, bytes(data))


def test_xlsx_truncated_file() -> None:
    data = carrier_xlsx()
    for cut in (len(data) // 2, len(data) - 10, 100):
        with pytest.raises(BadInputError, match="damaged or incomplete") as caught:
            rows_of(xlsx_rows, data[:cut])
        assert type(caught.value) is BadInputError


def test_xlsx_broken_part_way_keeps_the_rows_before() -> None:
    """A sheet whose XML breaks in the middle: the rows before come out, then TruncatedInputError."""
    source = zipfile.ZipFile(io.BytesIO(carrier_xlsx()))
    members = {name: source.read(name) for name in source.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet[: int(len(sheet) * 0.6)]
    got: list[Row] = []
    with pytest.raises(TruncatedInputError, match="it stops after sheet 1, row") as caught:
        got.extend(xlsx_rows(io.BytesIO(zip_with(members))))
    assert 5 < caught.value.records_read == len(got) < len(EXPECTED_SHEET_1)
    assert got == EXPECTED_SHEET_1[: len(got)]


def encrypted_ooxml() -> bytes:
    """The shape of a password-protected .xlsx: a CFB file whose directory holds EncryptedPackage."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHH", header, 0x18, 0x3E, 3, 0xFFFE)
    struct.pack_into("<H", header, 0x1E, 9)  # 512-byte sectors
    struct.pack_into("<I", header, 0x30, 0)  # the directory starts at sector 0
    directory = bytearray()
    for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"):
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry[: len(encoded)] = encoded
        struct.pack_into("<H", entry, 0x40, len(encoded))
        directory += entry
    return bytes(header + directory + os.urandom(4096))


@pytest.mark.parametrize("reader", [xlsx_rows, xls_rows])
def test_password_protected_xlsx(reader: Callable[[io.BytesIO], Iterator[Row]]) -> None:
    with pytest.raises(BadInputError, match="password-protected; open it in Excel/WPS, remove the password"):
        rows_of(reader, encrypted_ooxml())


@pytest.mark.parametrize("reader", [xlsx_rows, xls_rows, pdf_rows])
@pytest.mark.parametrize(
    "data",
    [
        os.urandom(5000),
        b"",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(5000),
        b"PK\x03\x04" + os.urandom(5000),
        b"%PDF-1.4\n" + os.urandom(5000),
        b"PK\x05\x06" + bytes(18),
    ],
    ids=["random", "empty", "cfb-garbage", "zip-garbage", "pdf-garbage", "empty-zip"],
)
def test_garbage_is_bad_input(reader: Callable[[io.BytesIO], Iterator[Row]], data: bytes) -> None:
    with pytest.raises(BadInputError) as caught:
        rows_of(reader, data)
    assert type(caught.value) is BadInputError
    assert "\n" not in str(caught.value)


def test_xlsx_not_a_workbook_zip() -> None:
    """A zip that is not a workbook (a .docx, say) is refused as damaged, never with another error."""
    with pytest.raises(BadInputError):
        rows_of(xlsx_rows, zip_with({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}))


# --- parts written by hand: what Excel, WPS and carriers' generators write that openpyxl does not ---------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def handmade_xlsx(
    *sheets: str | bytes,
    shared: str | None = None,
    styles: str | None = None,
    workbook_pr: str = "",
    ns: str = MAIN,
) -> bytes:
    """A package holding these worksheets' `<sheetData>` content (their whole XML when it starts with '<?',
    or bytes)."""
    rels = [
        f'<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    ]
    members = {
        "[Content_Types].xml": b"<Types/>",
        "_rels/.rels": (
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
    }
    if shared is not None:
        rels.append(f'<Relationship Id="rS" Type="{REL}/sharedStrings" Target="/xl/sharedStrings.xml"/>')
        members["xl/sharedStrings.xml"] = (
            shared if shared.startswith("<?") else f'<sst xmlns="{ns}">{shared}</sst>'
        ).encode()
    if styles is not None:
        rels.append(f'<Relationship Id="rT" Type="{REL}/styles" Target="styles.xml"/>')
        members["xl/styles.xml"] = f'<styleSheet xmlns="{ns}">{styles}</styleSheet>'.encode()
    names = "".join(f'<sheet name="s{n}" sheetId="{n}" r:id="rId{n}"/>' for n in range(1, len(sheets) + 1))
    members["xl/workbook.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{ns}" xmlns:r="{REL}">'
        f"{workbook_pr}<sheets>{names}</sheets></workbook>"
    ).encode()
    members["xl/_rels/workbook.xml.rels"] = (
        f'<Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>'.encode()
    )
    for n, content in enumerate(sheets, 1):
        if isinstance(content, str):
            if not content.startswith("<?"):
                content = f'<worksheet xmlns="{ns}"><sheetData>{content}</sheetData></worksheet>'
            content = content.encode()
        members[f"xl/worksheets/sheet{n}.xml"] = content
    return zip_with(members)


def test_xlsx_shared_strings_rich_text_and_cell_types() -> None:
    shared = (
        "<si><t>纯文本</t></si>"
        '<si><r><rPr><b/><sz val="11"/></rPr><t>富</t></r><r><t xml:space="preserve">文本 </t></r>'
        '<rPh sb="0" eb="1"><t>ふ</t></rPh><phoneticPr fontId="1"/></si>'
        "<si><t>a_x000D_b_x005F_x000A_</t></si>"
        "<si><t>  </t></si>"
    )
    sheet = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
        '<c r="D1" t="s"><v>3</v></c><c r="E1" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r>'
        '<rPh sb="0" eb="1"><t>x</t></rPh></is></c></row>'
        '<row r="2"><c r="A2" t="str"><f>A1&amp;""</f><v>公式</v></c><c r="B2" t="b"><v>0</v></c>'
        '<c r="C2" t="e"><v>#N/A</v></c><c r="D2"><f>1+1</f></c><c r="E2" t="n"><v>1.5E+3</v></c>'
        '<c r="F2"><v>-0.25</v></c><c r="G2" t="inlineStr"><is><t>&lt;&amp;&gt;</t></is></c></row>'
    )
    assert rows_of(xlsx_rows, handmade_xlsx(sheet, shared=shared)) == [
        ("sheet 1, row 1", ["纯文本", "富文本", "a\rb_x000A_", "", "inline"]),
        ("sheet 1, row 2", ["公式", "FALSE", "#N/A", "", "1500", "-0.25", "<&>"]),
    ]


def test_xlsx_missing_references_and_strict_namespace() -> None:
    """Rows and cells without `r` follow the previous ones; the strict OOXML namespace reads the same."""
    sheet = (
        "<row><c><v>1</v></c><c><v>2</v></c></row>"
        '<row r="4"><c r="C4"><v>3</v></c><c><v>4</v></c><c r="$A$4"><v>5</v></c></row>'
        '<row><c r="B5"><v>6</v></c></row>'
    )
    expected = [
        ("sheet 1, row 1", ["1", "2"]),
        ("sheet 1, row 4", ["5", "", "3", "4"]),
        ("sheet 1, row 5", ["", "6"]),
    ]
    assert rows_of(xlsx_rows, handmade_xlsx(sheet)) == expected
    strict = handmade_xlsx(sheet, ns="http://purl.oclc.org/ooxml/spreadsheetml/main")
    assert rows_of(xlsx_rows, strict) == expected


def serial(at: datetime, epoch: datetime = datetime(1899, 12, 30)) -> str:
    return repr((at - epoch) / timedelta(days=1))


DATE_STYLES = (
    '<numFmts count="8">'
    '<numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
    '<numFmt numFmtId="165" formatCode="[$-x-systime]h:mm:ss"/>'
    '<numFmt numFmtId="166" formatCode="[h]:mm:ss"/>'
    '<numFmt numFmtId="167" formatCode="yyyy/m/d h:mm;@"/>'
    '<numFmt numFmtId="168" formatCode="0.00_);[Red]\\(0.00\\)"/>'
    '<numFmt numFmtId="169" formatCode="&quot;day&quot; 0"/>'
    '<numFmt numFmtId="170" formatCode="[$-F800]dddd, mmmm dd, yyyy"/>'
    '<numFmt numFmtId="171" formatCode="上午/下午h&quot;时&quot;mm&quot;分&quot;"/>'
    "</numFmts>"
    # The cell style formats (cellStyleXfs) are not the cells' (cellXfs): a date there changes nothing.
    '<cellStyleXfs count="2"><xf numFmtId="14"/><xf numFmtId="14"/></cellStyleXfs>'
    '<cellXfs count="14"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/>'
    '<xf numFmtId="167"/><xf numFmtId="168"/><xf numFmtId="169"/><xf numFmtId="170"/><xf numFmtId="171"/>'
    '<xf numFmtId="14"/><xf numFmtId="22"/><xf numFmtId="31"/><xf numFmtId="32"/><xf numFmtId="46"/>'
    "</cellXfs>"
)


def test_xlsx_date_and_time_formats() -> None:
    at = datetime(2026, 8, 11, 9, 10, 11)
    cells = [
        (1, serial(at)),  # yyyy"年"m"月"d"日": a date
        (2, serial(at)),  # [$-x-systime]h:mm:ss: the time of day
        (3, "1.0423842592592593"),  # [h]:mm:ss: 25:01:02 elapsed
        (4, serial(at)),  # yyyy/m/d h:mm: a date-time
        (5, "0.5"),  # a number format with [Red] and escapes
        (6, "45000"),  # "day" 0: the d is quoted
        (7, serial(at)),  # the system long date
        (8, serial(at)),  # 上午/下午h"时"mm"分": a time
        (9, serial(at)),  # built-in 14: a date
        (10, serial(at)),  # built-in 22: a date-time
        (11, serial(at)),  # built-in 31 (yyyy"年"m"月"d"日"): a date
        (12, serial(at)),  # built-in 32 (h"时"mm"分"): a time
        (13, "-0.5"),  # built-in 46 ([h]:mm:ss): a negative duration
        (0, serial(at)),  # no date format: the serial
    ]
    row = "".join(
        f'<c r="{get_column_letter(n)}1" s="{s}"><v>{v}</v></c>' for n, (s, v) in enumerate(cells, 1)
    )
    row = f'<row r="1">{row}</row>'
    early = (
        '<row r="2"><c s="9"><v>1</v></c><c s="9"><v>59</v></c><c s="9"><v>61</v></c>'
        '<c s="10"><v>0.75</v></c>'
        '<c s="9" t="d"><v>2026-08-11T09:10:11</v></c><c s="10" t="d"><v>2026-08-11T09:10:11Z</v></c>'
        '<c s="99"><v>7</v></c><c s="9"><v>3000000</v></c></row>'
    )
    rows = rows_of(xlsx_rows, handmade_xlsx(row + early, styles=DATE_STYLES))
    assert rows == [
        (
            "sheet 1, row 1",
            [
                "2026-08-11",
                "09:10:11",
                "25:01:02",
                "2026-08-11 09:10:11",
                "0.5",
                "45000",
                "2026-08-11",
                "09:10:11",
                "2026-08-11",
                "2026-08-11 09:10:11",
                "2026-08-11",
                "09:10:11",
                "-12:00:00",
                format(float(serial(at)), ".15g"),
            ],
        ),
        (
            "sheet 1, row 2",
            [
                "1900-01-01",
                "1900-02-28",
                "1900-03-01",
                "18:00:00",
                "2026-08-11",
                "2026-08-11 09:10:11",
                "7",
                "3000000",
            ],
        ),
    ]


def test_xlsx_1904_date_system() -> None:
    at = datetime(2026, 8, 11, 9, 10, 11)
    row = f'<row r="1"><c s="10"><v>{serial(at, datetime(1904, 1, 1))}</v></c><c s="9"><v>1</v></c></row>'
    book = handmade_xlsx(row, styles=DATE_STYLES, workbook_pr='<workbookPr date1904="1"/>')
    assert rows_of(xlsx_rows, book) == [("sheet 1, row 1", ["2026-08-11 09:10:11", "1904-01-02"])]


def test_xlsx_sheets_in_workbook_order_without_chartsheets() -> None:
    book = handmade_xlsx(
        '<row r="1"><c t="inlineStr"><is><t>一</t></is></c></row>',
        '<row r="1"><c t="inlineStr"><is><t>二</t></is></c></row>',
    )
    source = zipfile.ZipFile(io.BytesIO(book))
    members = {name: source.read(name) for name in source.namelist()}
    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(
        b'<sheet name="s1" sheetId="1" r:id="rId1"/><sheet name="s2" sheetId="2" r:id="rId2"/>',
        b'<sheet name="s2" sheetId="2" r:id="rId2"/><sheet name="c" sheetId="3" r:id="rC"/>'
        b'<sheet name="s1" sheetId="1" r:id="rId1"/>',
    )
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rC" Type="{REL}/chartsheet" Target="c.xml"/></Relationships>'.encode(),
    )
    assert rows_of(xlsx_rows, zip_with(members)) == [("sheet 1, row 1", ["二"]), ("sheet 2, row 1", ["一"])]


DOCTYPE_SHEET = (
    '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]><worksheet xmlns="{ns}">'
    '<sheetData><row r="1"><c t="inlineStr"><is><t>&a;</t></is></c></row></sheetData></worksheet>'
)


@pytest.mark.parametrize(
    "book",
    [
        pytest.param(lambda: handmade_xlsx(DOCTYPE_SHEET.format(ns=MAIN)), id="sheet"),
        pytest.param(
            lambda: handmade_xlsx(
                '<row r="1"><c t="s"><v>0</v></c></row>',
                shared='<?xml version="1.0"?>\n<!-- a comment <a> --><?pi x?>\n'
                f'<!DOCTYPE sst SYSTEM "http://example.com/d"><sst xmlns="{MAIN}"><si><t>x</t></si></sst>',
            ),
            id="shared-strings-external",
        ),
        pytest.param(
            lambda: handmade_xlsx(
                DOCTYPE_SHEET.format(ns=MAIN).replace('"1.0"?>', '"1.0" encoding="UTF-16"?>').encode("utf-16")
            ),
            id="utf-16",
        ),
    ],
)
def test_xlsx_xml_with_a_doctype_is_refused(book: Callable[[], bytes]) -> None:
    with pytest.raises(BadInputError, match="DOCTYPE") as caught:
        rows_of(xlsx_rows, book())
    assert type(caught.value) is BadInputError


def test_xlsx_undefined_entity_is_damaged() -> None:
    book = handmade_xlsx('<row r="1"><c t="inlineStr"><is><t>&x;</t></is></c></row>')
    with pytest.raises(BadInputError, match="damaged"):
        rows_of(xlsx_rows, book)


# --- property: what openpyxl writes comes back under the cell rules ----------------------------------------

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="="), max_size=12
).filter(lambda s: not s.startswith("="))
_CELL = st.one_of(
    st.none(),
    _TEXT,
    st.integers(min_value=-(10**15), max_value=10**15),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2999, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    ),
)


def expected_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_CELL, max_size=6), min_size=1, max_size=8))
def test_property_xlsx_grid_round_trip(grid: list[list[object]]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for r, values in enumerate(grid, 1):
        for c, value in enumerate(values, 1):
            if value is not None:
                sheet.cell(r, c, value)
    out = io.BytesIO()
    book.save(out)
    expected = []
    for r, values in enumerate(grid, 1):
        cells = [expected_text(v) for v in values]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            expected.append((f"sheet 1, row {r}", cells))
    assert rows_of(xlsx_rows, out.getvalue()) == expected


# --- xls -------------------------------------------------------------------------------------------------


def carrier_xls() -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("通话详单")
    when = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
    clock = xlwt.easyxf(num_format_str="HH:MM:SS")
    sheet.write_merge(0, 0, 0, 5, TITLE)
    sheet.write_merge(1, 1, 0, 5, PERIOD)
    for c, name in enumerate(HEADER):
        sheet.write(3, c, name)
    for i in range(N_CALLS):
        at, place, mode, number, duration, kind = call(i)
        r = 4 + i
        sheet.write(r, 0, at, when)
        if place:
            sheet.write(r, 1, place)
        for c, cell in ((2, mode), (3, number), (4, duration), (5, kind)):
            sheet.write(r, c, cell)
    sheet.write(4 + N_CALLS, 0, "合计")
    sheet.write(4 + N_CALLS, 4, f"共{N_CALLS}次")
    other = book.add_sheet("其他")
    for r, (name, value, style) in enumerate(
        [
            ("项目", "值", None),
            ("整数浮点", 13800138000.0, None),
            ("小数", 0.1 + 0.2, None),
            ("时长", timedelta(minutes=1, seconds=23), clock),
            ("时刻", time(9, 10, 11), clock),
            ("布尔", True, None),
            ("  空格  ", None, None),
        ]
    ):
        other.write(r, 0, name)
        if value is not None:
            written = value.total_seconds() / 86400 if isinstance(value, timedelta) else value
            if style:
                other.write(r, 1, written, style)
            else:
                other.write(r, 1, written)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xls_rows_cell_for_cell() -> None:
    data = carrier_xls()
    rows = rows_of(xls_rows, data)
    assert rows[: len(EXPECTED_SHEET_1)] == EXPECTED_SHEET_1
    assert rows[len(EXPECTED_SHEET_1) :] == [
        ("sheet 2, row 1", ["项目", "值"]),
        ("sheet 2, row 2", ["整数浮点", "13800138000"]),
        ("sheet 2, row 3", ["小数", "0.3"]),
        ("sheet 2, row 4", ["时长", "00:01:23"]),
        ("sheet 2, row 5", ["时刻", "09:10:11"]),
        ("sheet 2, row 6", ["布尔", "TRUE"]),
        ("sheet 2, row 7", ["空格"]),
    ]
    assert list(xls_rows(SealedStream(data, most=7))) == rows


def test_a_renamed_workbook_is_read_by_either_reader() -> None:
    assert rows_of(xlsx_rows, carrier_xls())[:3] == EXPECTED_SHEET_1[:3]
    assert rows_of(xls_rows, carrier_xlsx())[:3] == EXPECTED_SHEET_1[:3]


def test_xls_truncated() -> None:
    data = carrier_xls()
    with pytest.raises(BadInputError):
        rows_of(xls_rows, data[: len(data) // 2])


# --- sniffing --------------------------------------------------------------------------------------------


def test_sniffing_tells_workbooks_apart() -> None:
    """evidence.sniff decides which reader gets a file: a password-protected .xlsx goes to the
    .xlsx reader, which says how to open it; a Word file is no workbook."""
    docx = zip_with({"docProps/app.xml": b"<x/>", "word/document.xml": b"<w/>"})
    assert sniff(carrier_xlsx()[:65536]).export_format == "xlsx"
    assert sniff(carrier_xls()[:65536]).export_format == "xls"
    assert sniff(encrypted_ooxml()[:65536]).export_format == "xlsx"
    assert sniff(docx).export_format is None
    assert sniff(b"PK\x03\x04").export_format is None


def test_cell_text_rules() -> None:
    assert cell_text(None) == ""
    assert cell_text("  a b ") == "a b"
    assert cell_text(13800138000.0) == "13800138000"
    assert cell_text(-0.0) == "0"
    assert cell_text(1.5) == "1.5"
    assert cell_text(1e-7) == "1e-07"
    assert cell_text(datetime(2026, 8, 11, 9, 9, 59, 999_000)) == "2026-08-11 09:10:00"
    assert cell_text(date(2026, 8, 11)) == "2026-08-11"
    assert cell_text(time(9, 10, 11)) == "09:10:11"
    assert cell_text(timedelta(seconds=83)) == "00:01:23"
    assert cell_text(False) == "FALSE"


# --- pdf -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cjk_font() -> str:
    """An embeddable CJK TrueType font when the machine has one, else reportlab's STSong-Light CID font
    (not embedded; pdfminer reads its text through its Adobe-GB1 maps, as in many carrier PDFs)."""
    for path in FONT_CANDIDATES:
        if path.is_file():
            try:
                kwargs = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
                pdfmetrics.registerFont(TTFont("SheetsCJK", str(path), **kwargs))
                return "SheetsCJK"
            except Exception:
                continue
    try:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    except Exception as e:  # pragma: no cover - reportlab ships this font
        pytest.skip(f"no CJK font for the PDF tests (install fonts-wqy-zenhei): {e}")
    return "STSong-Light"


COLUMN_X = (40, 150, 230, 300, 390, 460)
PER_PAGE = 25


def carrier_pdf(font: str) -> tuple[bytes, list[Row]]:
    """A carrier-like call list drawn without ruling lines over two pages, and the rows it should read as."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    expected: list[Row] = []
    pages = [range(0, PER_PAGE), range(PER_PAGE, N_CALLS)]
    for number, calls in enumerate(pages, 1):
        lines: list[list[str]] = []
        y = height - 50
        if number == 1:
            c.setFont(font, 14)
            c.drawCentredString(width / 2, y, TITLE)
            c.setFont(font, 9)
            c.drawString(COLUMN_X[0], y - 20, PERIOD)
            lines += [[TITLE], [PERIOD]]
            y -= 45
        c.setFont(font, 9)
        for x, name in zip(COLUMN_X, HEADER, strict=True):
            c.drawString(x, y, name)
        lines.append(HEADER)
        for i in calls:
            y -= 14
            cells = call_cells(i)
            for x, text in zip(COLUMN_X, cells, strict=True):
                c.drawString(x, y, text)
            lines.append(cells)
        if number == len(pages):
            y -= 14
            c.drawString(COLUMN_X[0], y, TOTAL[0])
            c.drawString(COLUMN_X[4], y, TOTAL[4])
            lines.append(TOTAL)
        footer = f"第{number}页 共{len(pages)}页"
        c.drawCentredString(width / 2, 30, footer)
        lines.append([footer])
        expected += [(f"page {number}, line {n}", cells) for n, cells in enumerate(lines, 1)]
        c.showPage()
    c.save()
    return out.getvalue(), expected


def test_pdf_without_ruling_lines_cell_for_cell(cjk_font: str) -> None:
    data, expected = carrier_pdf(cjk_font)
    rows = rows_of(pdf_rows, data)
    assert rows == expected
    assert sum(1 for _, cells in rows if cells[0].startswith("2026-")) == N_CALLS


def test_pdf_from_a_sealed_stream_with_short_reads(cjk_font: str) -> None:
    data, expected = carrier_pdf(cjk_font)
    assert list(pdf_rows(SealedStream(data, most=100))) == expected


def ruled_pdf(font: str) -> tuple[bytes, list[Row]]:
    title = "中国联通通话详单"
    data = [HEADER] + [call_cells(i) for i in range(10)]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4)
    table = Table(data)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.5, "black"),
            ]
        )
    )
    doc.build([Paragraph(title, ParagraphStyle("t", fontName=font, fontSize=14)), Spacer(1, 12), table])
    expected = [("page 1, line 1", [title])] + [
        (f"page 1, line {n}", cells) for n, cells in enumerate(data, 2)
    ]
    return out.getvalue(), expected


def test_pdf_with_a_ruled_table(cjk_font: str) -> None:
    data, expected = ruled_pdf(cjk_font)
    assert rows_of(pdf_rows, data) == expected


def test_pdf_that_is_not_a_table(cjk_font: str) -> None:
    out = io.BytesIO()
    style = ParagraphStyle("p", fontName=cjk_font, fontSize=11, leading=16)
    prose = "本人近期多次收到催收电话，对方在深夜反复拨打并发送威胁短信。" * 4
    doc = SimpleDocTemplate(out, pagesize=A4)
    doc.build([Paragraph(prose, style), Paragraph("This is plain prose, not a list of calls.", style)])
    with pytest.raises(BadInputError, match="holds no table"):
        rows_of(pdf_rows, out.getvalue())


def test_pdf_without_text() -> None:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.rect(50, 50, 200, 200, fill=1)
    c.save()
    with pytest.raises(BadInputError, match="no text"):
        rows_of(pdf_rows, out.getvalue())


def test_pdf_truncated(cjk_font: str) -> None:
    data, _ = carrier_pdf(cjk_font)
    for cut in (len(data) // 3, 20):
        with pytest.raises(BadInputError, match="damaged or incomplete"):
            rows_of(pdf_rows, data[:cut])


def test_pdf_password_protected(cjk_font: str) -> None:
    out = io.BytesIO()
    c = canvas.Canvas(out, encrypt="secret")
    c.setFont(cjk_font, 9)
    for x, name in zip(COLUMN_X, HEADER, strict=True):
        c.drawString(x, 700, name)
    c.save()
    with pytest.raises(BadInputError, match="password-protected"):
        rows_of(pdf_rows, out.getvalue())


def test_pdf_pages_bound(cjk_font: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data, expected = carrier_pdf(cjk_font)
    monkeypatch.setattr(sheets, "MAX_PDF_PAGES", 1)
    got: list[Row] = []
    with pytest.raises(TruncatedInputError, match="more than 1 pages") as caught:
        got.extend(pdf_rows(io.BytesIO(data)))
    assert got == [row for row in expected if row[0].startswith("page 1,")]
    assert caught.value.records_read == len(got)


# --- a wide sheet, as openpyxl writes it ------------------------------------------------------------------


def test_column_letters_far_right() -> None:
    """Columns past Z (AA...) come back in place."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for c in range(1, 31):
        sheet[f"{get_column_letter(c)}1"] = c
    out = io.BytesIO()
    book.save(out)
    assert rows_of(xlsx_rows, out.getvalue()) == [("sheet 1, row 1", [str(c) for c in range(1, 31)])]
