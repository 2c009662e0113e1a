"""Read SuperBackup call-log exports: `<alllogs><log number time date type name dur/>…</alllogs>`.

The root element is sniffed (not the file name). Assumptions, from public samples
(reference/formats.md §4.2): `date` is the Android epoch in UTC milliseconds and is what we
use (aware UTC, not `tz_assumed`); `time` is the same instant rendered for people in the
phone's locale and timezone ("3 Sep 2013 10:03:26"), so it is never parsed; `type` carries
Android's CallLog codes (as SBR's `<call>`); `dur` is seconds; `name` is the contact; `new`
(unseen flag) is ignored. A `<log>` that cannot be read (no `date`, an unreadable one) is
skipped and reported with its line, as in `sbr`. Broken, hostile and oversized XML: see
`xml_records`.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from evidence.importers.sbr import parse_call, read_record
from evidence.importers.streams import ExportStream
from evidence.importers.xml_records import iter_records
from evidence.records import ParsedEvent, SkippedRecord


class SuperBackupCalls:
    """One event per `<log>`."""

    name = "superbackup-calls"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        records = iter_records(stream, frozenset({"alllogs"}), "a SuperBackup call-log export")
        for index, item in enumerate(records, 1):
            if isinstance(item, SkippedRecord):
                yield item
            elif item.element.tag == "log":
                yield from read_record(item, _log, f"log {index}")


def _log(record: Element, ref: str) -> ParsedEvent:
    return parse_call(record.attrib, "number", "dur", ref)
