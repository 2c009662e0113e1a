"""The bounds every importer puts on what one record may make it hold, and the error for one bad record.

A debt collector writes the text of every message and can send crafted files, so no size in
an export is trusted. A record that cannot be read is skipped and reported as a
`SkippedRecord` in the parser's stream (see `evidence.importers`); it never refuses the rest.
"""

from __future__ import annotations

from dataclasses import replace

from evidence.errors import BadInputError
from evidence.records import ParsedEvent, SkippedRecord

# No SMS, MMS or chat message a phone stores comes near a million characters (a 255-part SMS is
# under 40,000); a longer text is an attack on memory or on the documents built from it.
MAX_TEXT_CHARS = 1_000_000
# The reason given for a record with a number, name or date that long: no real one comes close.
FIELD_TOO_LONG = f"a field other than the text is longer than {MAX_TEXT_CHARS:,} characters"


class UnreadableRecordError(BadInputError):
    """One record cannot be read (no date, an unreadable one, an absurd field).

    Raised inside an importer and turned into a `SkippedRecord` whose reason is this message,
    so the message names the problem and never the record's content (no number, no text).
    A `BadInputError`, so that if one ever escapes a parser it is still handled as bad input.
    """


def capped(event: ParsedEvent, position: str, cut: bool = False) -> tuple[ParsedEvent | SkippedRecord, ...]:
    """The event, with its text cut to `MAX_TEXT_CHARS`, and a `SkippedRecord` saying so when it was cut.

    `cut` says the reader already cut the text (it kept what fits and dropped the rest unread).
    """
    if not cut and (event.text is None or len(event.text) <= MAX_TEXT_CHARS):
        return (event,)
    if event.text is not None and len(event.text) > MAX_TEXT_CHARS:
        event = replace(event, text=event.text[:MAX_TEXT_CHARS])
    kept = len(event.text or "")
    reason = f"the text was cut at {kept:,} characters (the sealed original keeps it whole)"
    return event, SkippedRecord(position, reason)
