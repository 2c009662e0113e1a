"""Turn phone exports into events: the registry of export formats and the dedupe key of an event.

Each format is one module holding a class with a `name` (the `export_format` that
`evidence.sniff` gives a file) and a pure `parse(stream, tz)` that yields, lazily and in file
order, a `ParsedEvent` for each record it reads and a `SkippedRecord` for each it cannot.
Adding a format is adding a module and one entry in `_FORMATS`.

The stream is a seekable, read-only binary stream that need not be a file: intake hands over
a decrypting reader of the sealed original, with no `name` and no file descriptor, and a
parser never writes its content anywhere (no temporary files: it is plaintext evidence).

One bad record never refuses the export. A record that cannot be read (no date, a time not
understood, an absurdly long field) is skipped and a `SkippedRecord(position, reason)` takes
its place: position as "line 12, column 3", "row 7" or "message 12"; reason in English and
without the record's content (no number, no text). A text longer than
`limits.MAX_TEXT_CHARS` is cut there: the event is yielded, followed by a `SkippedRecord`
saying so. Intake counts them, keeps the item and warns with the first position.

Errors: every parser raises `BadInputError` (never another exception type) for a file that is
not its format at all, hostile input (XML entity declarations) or unsupported input. A file
that breaks part-way (a truncated backup, a record too large to read) yields every record
complete before the break and then raises `TruncatedInputError` (a `BadInputError`) naming the
line/column or row and how many records were read; intake keeps those events.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError
from evidence.importers.android_db import AndroidCalls, AndroidMessages, is_android_calls, is_android_sms
from evidence.importers.apple_db import open_in_memory
from evidence.importers.csv_log import CsvLog
from evidence.importers.huawei_db import HuaweiCalls, HuaweiMessages, is_huawei_calls, is_huawei_sms
from evidence.importers.imazing import ImazingMessages, looks_like_imazing
from evidence.importers.ios_calls import IosCalls
from evidence.importers.ios_sms import IosMessages
from evidence.importers.sbr import SbrCalls, SbrMessages
from evidence.importers.sheets import pdf_rows
from evidence.importers.statements import PdfTable, XlsTable, XlsxTable
from evidence.importers.streams import ExportStream
from evidence.importers.superbackup import SuperBackupCalls
from evidence.importers.tables import HEADER_SEARCH_ROWS, find_layout
from evidence.importers.vmsg import Vmsg
from evidence.importers.wechat import WechatExporterIosCsv, WeChatMsgCsv, WeChatMsgTxt, looks_like_wechat
from evidence.importers.wechat_pages import (
    WechatDumpTxt,
    WechatExporterHtml,
    WechatExporterTxt,
    WeChatMsgHtml,
    looks_like_wechat_page,
)
from evidence.records import ParsedEvent, SkippedRecord
from evidence.sniff import Sniffed, decode_head

__all__ = [
    "ExportStream",
    "ImportFormat",
    "event_key",
    "export_formats",
    "parse_export",
    "parser_for",
    "recognise",
]


class ImportFormat(Protocol):
    name: str

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]: ...


_FORMATS: dict[str, ImportFormat] = {
    f.name: f
    for f in (
        SbrMessages(),
        SbrCalls(),
        SuperBackupCalls(),
        IosMessages(),
        IosCalls(),
        AndroidMessages(),
        AndroidCalls(),
        HuaweiMessages(),
        HuaweiCalls(),
        CsvLog(),
        ImazingMessages(),
        XlsxTable(),
        XlsTable(),
        PdfTable(),
        Vmsg(),
        WeChatMsgCsv(),
        WeChatMsgTxt(),
        WechatExporterIosCsv(),
        WechatExporterTxt(),
        WechatExporterHtml(),
        WeChatMsgHtml(),
        WechatDumpTxt(),
    )
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_KEY_VERSION = "event-key-v1"
# json.dumps(fields, ensure_ascii=False, separators=(",", ":")) builds this encoder on every call.
_KEY_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def export_formats() -> tuple[str, ...]:
    """The names of every export format a file can be read as (`Item.export_format`)."""
    return tuple(sorted(_FORMATS))


def parser_for(export_format: str) -> ImportFormat:
    """The parser registered for an export format name; BadInputError for an unknown one."""
    try:
        return _FORMATS[export_format]
    except KeyError:
        raise BadInputError("unsupported export format; supported: " + ", ".join(export_formats())) from None


def parse_export(export_format: str, path: Path, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
    """Stream the events and skipped records of one export file, read lazily; the format is checked now.

    For tools and tests that hold a path: intake parses the sealed bytes with `parser_for(...).parse`.
    """
    parser = parser_for(export_format)
    return _stream(parser, path, tz)


def _stream(parser: ImportFormat, path: Path, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
    with path.open("rb") as stream:
        yield from parser.parse(stream, tz)


def recognise(sniffed: Sniffed, stream: ExportStream, head: bytes, name: str = "") -> Sniffed:
    """What the file's first bytes (`head`, as sniffed) could not tell, asked of its content; the
    stream is rewound.

    A SQLite database is asked for its real tables (its schema may lie past the head sniffing
    saw); a PDF's first page for a call or message table (a carrier's statement, not a letter);
    a text or CSV file whether it is a chat exporter's, WeChat's or iMazing's (their headers and
    line shapes are theirs alone); an HTML page whether it is a WeChat exporter's (by the markers
    its exporter's template alone has; any other page stays a document). Anything it cannot open
    stays what sniffing said: the importer, if any, reports the problem.
    """
    try:
        if sniffed.media_type == "application/x-sqlite3" and sniffed.export_format is None:
            return _database(stream) or sniffed
        if sniffed.media_type == "application/pdf":
            return _pdf_table(stream) or sniffed
        if sniffed.media_type in ("text/csv", "text/plain"):
            return _chat_export(head, name) or sniffed
        if sniffed.media_type == "text/html":
            return _chat_page(head) or sniffed
        return sniffed
    except BadInputError:
        return sniffed
    finally:
        stream.seek(0)


def _database(stream: ExportStream) -> Sniffed | None:
    with open_in_memory(stream, "this database") as db:
        names = {
            t
            for t in (
                *("message", "handle", "zcallrecord", "sms", "pdu", "addr", "part", "calls"),
                *("sms_tb", "pdu_tb", "calls_tb"),
            )
            if db.table_columns(t)
        }
    if {"message", "handle"} <= names:
        found = "ios-sms"
    elif "zcallrecord" in names:
        found = "ios-calls"
    elif is_android_sms(names):
        found = "android-sms"
    elif is_android_calls(names):
        found = "android-calls"
    elif is_huawei_sms(names):
        found = HuaweiMessages.name
    elif is_huawei_calls(names):
        found = HuaweiCalls.name
    else:
        return None
    return Sniffed("export", "application/x-sqlite3", found)


def _chat_export(head: bytes, name: str) -> Sniffed | None:
    """A chat exporter's CSV or TXT: WeChat's exporters, iMazing's messages."""
    text = decode_head(head)
    page = _chat_page(head)
    if page is not None:
        return page
    if looks_like_imazing(text):
        return Sniffed("export", "text/csv", ImazingMessages.name)
    found = looks_like_wechat(text, name)
    if found is None:
        return None
    return Sniffed("export", "text/plain" if found == WeChatMsgTxt.name else "text/csv", found)


def _chat_page(head: bytes) -> Sniffed | None:
    """A WeChat exporter's HTML page, WechatExporter's data page or its TXT, wechat-dump's TXT."""
    found = looks_like_wechat_page(decode_head(head))
    if found is None:
        return None
    if found in (WechatExporterTxt.name, WechatDumpTxt.name):
        return Sniffed("export", "text/plain", found)
    if found == WechatExporterHtml.name and not decode_head(head).lstrip("\ufeff \t\r\n").startswith("<"):
        return Sniffed("export", "text/javascript", found)
    return Sniffed("export", "text/html", found)


def _pdf_table(stream: ExportStream) -> Sniffed | None:
    title: list[str] = []
    for position, cells in pdf_rows(stream):
        if not position.startswith("page 1,") or len(title) >= HEADER_SEARCH_ROWS:
            return None
        if find_layout(cells, title, ZoneInfo("UTC")) is not None:
            return Sniffed("export", "application/pdf", PdfTable.name)
        title.append(" ".join(cells))
    return None


def event_key(e: ParsedEvent, canonical_number: str | None) -> str:
    """A stable dedupe key: the same message or call in an older and a newer backup gets the same key.

    Hex SHA-256 over kind, direction, number (canonical when known, else as exported), the
    instant in epoch milliseconds, duration, status, text and the other group participants.
    Left out on purpose because they change between backups or exporters: the read/seen
    flags, `readable_date`, the contact name, `backup_set`, `sub_id`, and `source_ref` (a
    record's position moves as messages are added). Consequence, accepted: two genuinely
    distinct messages with the same text from the same number in the same millisecond
    (practically only a phone's own duplicate) collapse into one event.
    """
    millis = (e.at - _EPOCH) // timedelta(milliseconds=1)
    duration = None if e.duration is None else float(round(e.duration, 3))  # 62 and 62.0 alike
    fields = [
        _KEY_VERSION,
        e.kind,
        e.direction,
        canonical_number if canonical_number is not None else e.raw_number,
        millis,
        duration,
        e.status,
        e.text,
        sorted(e.other_numbers),
    ]
    encoded = _KEY_JSON.encode(fields)
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()
