"""Android provider conventions shared by the exports that copy them raw (SBR, SuperBackup, CSV).

SMS Backup & Restore and SuperBackup copy the `type` codes and epoch-millisecond dates of
Android's CallLog and Telephony providers into their files unchanged, so the meaning of
those values lives here once (reference/formats.md §1.2–1.4).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evidence.importers.limits import UnreadableRecordError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Below this a "millisecond" date would fall before March 1973: no phone wrote it, so the value
# is in seconds (Google Messages writes MMS `date_sent` in seconds; some ROMs do the same for `date`).
_SECONDS_BELOW = 100_000_000_000

# CallLog.Calls.TYPE → (direction, status). 2 outgoing carries no status: the provider does not
# say whether the other side picked up (a duration > 0 suggests it). OEM codes outside 1–7 map
# to (None, None) rather than a guess.
CALL_TYPES: dict[str, tuple[str, str | None]] = {
    "1": ("in", "answered"),
    "2": ("out", None),
    "3": ("in", "missed"),
    "4": ("in", "voicemail"),
    "5": ("in", "rejected"),
    "6": ("in", "blocked"),  # SBR's "refused list", Android BLOCKED_TYPE
    "7": ("in", "answered"),  # answered on another device (ANSWERED_EXTERNALLY_TYPE)
}

# Telephony.TextBasedSmsColumns.TYPE (and MMS msg_box, which uses the same numbers) → direction.
# 3 draft is never sent, so it is not an act of contact: None means "skip". Outbox (4), failed
# (5) and queued (6) are the borrower's own attempts to send and count as outgoing.
SMS_TYPES: dict[str, str | None] = {"1": "in", "2": "out", "3": None, "4": "out", "5": "out", "6": "out"}

# Placeholders the providers use for a number they do not have; kept raw (evidence.numbers classes them).
WITHHELD_NUMBERS = frozenset({"-1", "-2", "-3", "-4"})


def present(value: str | None) -> str | None:
    """The attribute's value, or None when it is absent, empty or the literal "null" the exporters write."""
    if value is None:
        return None
    value = value.strip()
    if not value or value == "null":
        return None
    return value


def message_text(value: str | None) -> str | None:
    """A message body as written (whitespace kept), or None when absent, empty or "null"."""
    return None if value is None or value == "" or value == "null" else value


def contact_name(value: str | None) -> str | None:
    """A contact name, or None for the exporters' "no contact" markers."""
    value = present(value)
    return None if value is None or value == "(Unknown)" else value


def instant_from_epoch(value: str | None, what: str = "date") -> datetime:
    """An aware UTC datetime from an Android epoch value in milliseconds (or seconds, see above).

    `UnreadableRecordError` (the importer skips the record) when the value is absent or unreadable.
    """
    text = present(value)
    if text is None:
        raise UnreadableRecordError(f"the record has no {what}")
    try:
        number = int(text)
        if abs(number) < _SECONDS_BELOW:
            return EPOCH + timedelta(seconds=number)
        return EPOCH + timedelta(milliseconds=number)
    except (ValueError, OverflowError) as e:
        raise UnreadableRecordError(f"the record's {what} is not a readable epoch time") from e


def seconds(value: str | None) -> float | None:
    """A duration in seconds, or None when absent; negative or unreadable values are None too."""
    text = present(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if 0 <= number < 10**9 else None
