"""Read CSV call logs and SMS lists, whose columns are found by their header names.

Which row is the header, what each column holds, and how times, durations and type words
are read is `evidence.importers.tables`, shared with spreadsheets and PDF statements. This
module reads the text: encodings UTF-8 with or without BOM, UTF-16 with BOM, else GB18030;
delimiter the most frequent of comma, tab and semicolon in the first lines (title rows may
have none).

Rows are numbered as a spreadsheet shows them: the header is row 1. A row that cannot be read
(no time, a time not understood) is skipped and reported as a `SkippedRecord` naming the row;
the other rows are read; rows that are not records (a 合计 row, a note) are passed over (see
`tables`). A text longer than `limits.MAX_TEXT_CHARS` is cut and reported; the event is kept.

Bounds: a row may hold at most `MAX_ROW_CHARS` characters (over all its lines); a longer one
stops the import there: the rows before it are yielded, then `TruncatedInputError` names it.
It is not skipped: a row that long may be an open quoted field, and reading on from inside it
would turn a message's text into rows (a collector could forge records that way). A CSV error
part-way (broken quoting) and a file ending inside a quoted field (a cut export) stop the same
way.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import BinaryIO, cast
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers.limits import MAX_TEXT_CHARS
from evidence.importers.streams import ExportStream
from evidence.importers.tables import HEADER_SEARCH_ROWS, table_events
from evidence.records import ParsedEvent, SkippedRecord

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CHUNK = 1 << 16
# Characters one row (a record, over all its lines) may hold: a message at the text cap with room
# to spare. Bounds the memory of the line being read and of the csv module's fields.
MAX_ROW_CHARS = 4 * MAX_TEXT_CHARS
# A stream that cannot seek is held in memory (never spooled to disk: it is plaintext evidence)
# for the encoding's two passes, up to this size.
MAX_UNSEEKABLE_BYTES = 256 << 20


class CsvLog:
    name = "csv"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        seekable = stream if stream.seekable() else _in_memory(stream)
        encoding = detect_encoding(seekable)
        # TextIOWrapper uses only read, readable, seekable and closed of its buffer when reading.
        text = io.TextIOWrapper(cast(BinaryIO, seekable), encoding=encoding, newline="")
        try:
            yield from _parse_text(text, tz)
        finally:
            text.detach()  # the caller owns the stream


def _in_memory(stream: ExportStream) -> ExportStream:
    """A seekable copy of a stream that cannot seek, held in memory within `MAX_UNSEEKABLE_BYTES`."""
    copy = io.BytesIO()
    while chunk := stream.read(_CHUNK):
        copy.write(chunk)
        if copy.tell() > MAX_UNSEEKABLE_BYTES:
            raise BadInputError(f"this CSV is larger than {MAX_UNSEEKABLE_BYTES >> 20} MiB; split it")
    copy.seek(0)
    return copy


def detect_encoding(stream: ExportStream) -> str:
    """utf-16 (with BOM), utf-8-sig or gb18030: the first that decodes the whole stream. Rewinds it."""
    start = stream.tell()
    head = stream.read(2)
    stream.seek(start)
    if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := stream.read(_CHUNK):
                if b"\x00" in chunk and encoding != "utf-16":
                    raise BadInputError("this CSV contains binary data; export it again as text")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            stream.seek(start)
        return encoding
    raise BadInputError("this CSV is neither UTF-8 nor GB18030 text; save it again as UTF-8")


class _Lines:
    """The text's lines for `csv.reader`, each read within what is left of `MAX_ROW_CHARS` for its row."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self.row_chars = 0  # characters handed out for the row being read
        self.ended = False  # the text ran out while the csv module was reading a row

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        room = MAX_ROW_CHARS - self.row_chars
        line = self._text.readline(room + 1)
        if not line:
            self.ended = True
            raise StopIteration
        if len(line) > room:
            raise _RowTooLong
        self.row_chars += len(line)
        return line


class _RowTooLong(Exception):
    pass


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    """The csv module's field size limit, which is process-wide, set only while the reader runs."""
    before = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _parse_text(text: io.TextIOWrapper, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
    head = []  # the first lines, for the delimiter: a title row above the header may have none
    for _ in range(HEADER_SEARCH_ROWS):
        line = text.readline(MAX_ROW_CHARS + 1)
        if not line or len(line) > MAX_ROW_CHARS:
            break  # a line too long is reported by the row reader, after the rows before it
        head.append(line)
    if not head:
        raise BadInputError(f"this CSV's first line is longer than {MAX_ROW_CHARS:,} characters")
    if not any(line.strip() for line in head):
        raise BadInputError("this CSV is empty (no header line)")
    sample = "".join(head)
    delimiter = max((",", "\t", ";"), key=sample.count)
    text.seek(0)
    yield from table_events(bounded_rows(text, delimiter), tz, "this CSV")


def bounded_rows(text: io.TextIOWrapper, delimiter: str) -> Iterator[tuple[str, list[str]]]:
    """(position, cells) of every row, numbered as a spreadsheet shows them (the first is row 1)."""
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter)
    row_number = 0
    while True:
        lines.row_chars = 0
        try:
            with _field_limit(MAX_ROW_CHARS):
                row = next(reader)
            if lines.ended:
                # The csv module closes a quoted field left open at the end of the file: the export was cut.
                raise csv.Error("the file ends inside a quoted field")
        except StopIteration:
            return
        except (csv.Error, _RowTooLong) as e:
            problem = (
                f"row {row_number + 1} is longer than {MAX_ROW_CHARS:,} characters"
                if isinstance(e, _RowTooLong)
                else f"it breaks at row {row_number + 1} (broken quoting, or the file was cut)"
            )
            if row_number <= 1:
                raise BadInputError(f"this CSV cannot be read: {problem}; export it again") from None
            raise TruncatedInputError(
                f"this CSV stops: {problem}; the rows before it were read "
                "(the sealed original keeps the rest)",
                records_read=row_number,
            ) from None
        row_number += 1
        yield f"row {row_number}", row
