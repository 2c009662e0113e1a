"""Read SuperBackup call-log exports: `<alllogs><log number time date type name dur/>…</alllogs>`.

The root element is sniffed (not the file name). Assumptions, from public samples
(reference/formats.md §4.2): `date` is the Android epoch in UTC milliseconds and is what we
use (aware UTC, not `tz_assumed`); `time` is the same instant rendered for people in the
phone's locale and timezone ("3 Sep 2013 10:03:26"), so it is never parsed; `type` carries
Android's CallLog codes (as SBR's `<call>`); `dur` is seconds; `name` is the contact; `new`
(unseen flag) is ignored. Broken and hostile XML: see `xml_records`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from zoneinfo import ZoneInfo

from evidence.importers.sbr import parse_call
from evidence.importers.xml_records import iter_records
from evidence.records import ParsedEvent


class SuperBackupCalls:
    """One event per `<log>`."""

    name = "superbackup-calls"

    def parse(self, stream: BinaryIO, tz: ZoneInfo) -> Iterator[ParsedEvent]:
        records = iter_records(stream, frozenset({"alllogs"}), "a SuperBackup call-log export")
        for index, record in enumerate(records, 1):
            if record.tag == "log":
                yield parse_call(record.attrib, "number", "dur", f"log {index}")
