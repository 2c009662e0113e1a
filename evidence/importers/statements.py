"""Call and message tables in spreadsheets and PDFs: carriers' call-detail records (通话详单) as
they are downloaded, and call lists people keep in Excel or WPS.

The cells are read by `sheets` (as a person sees them in Excel or a PDF viewer) and turned into
events by `tables`, the same rules as for CSV: the header row is found under the statement's
title rows, the year of a "03-02 13:13:40" time comes from the title, 主叫/被叫 give the
direction. A workbook or PDF with no call or message table raises `BadInputError` saying so:
intake keeps the sealed file and warns, it is never silently stored as "0 events".
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from evidence.importers.sheets import pdf_rows, xls_rows, xlsx_rows
from evidence.importers.streams import ExportStream
from evidence.importers.tables import table_events
from evidence.records import ParsedEvent, SkippedRecord


class XlsxTable:
    name = "xlsx"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        return table_events(xlsx_rows(stream), tz, "this spreadsheet")


class XlsTable:
    name = "xls"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        return table_events(xls_rows(stream), tz, "this spreadsheet")


class PdfTable:
    name = "pdf-table"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        return table_events(pdf_rows(stream), tz, "this PDF")
