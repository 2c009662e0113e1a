"""Read iOS Messages databases (`sms.db`, also macOS `chat.db`): one event per message.

Facts: reference/formats.md §2.1. Decisions made here:

* The number is the message's `handle.id`; a message sent into a group has no handle, so its
  chat's identifier stands in, and the chat's other members become `other_numbers`.
* `date` is the Apple epoch (seconds in old databases, nanoseconds since iOS 11) → aware UTC.
* `is_from_me = 1` → out, else in. SMS and iMessage are both kind `sms` (a text message).
* The text is `text`, or when that is NULL (iOS 16+) the string inside `attributedBody`, an
  NSAttributedString typedstream: after the class name `NSString` come a few header bytes,
  `+`, a length (one byte, or 0x81 + 2 bytes / 0x82 + 4 bytes little-endian) and UTF-8.
* Skipped: rows with `item_type` ≠ 0 (members joined, chat renamed) and tapback reactions
  (`associated_message_type` ≠ 0): they are not messages anyone wrote.
* Minimal schemas work: a missing column reads as NULL.
* A message whose date cannot be read, or with a field other than the text longer than
  `limits.MAX_TEXT_CHARS`, is skipped and reported (`SkippedRecord`, "message 12"); a longer
  text is cut there and reported, the event kept. Only real tables are read, in memory, within
  a time budget: see `apple_db`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError
from evidence.importers.apple_db import (
    Database,
    apple_instant,
    bounded,
    cell_text,
    check_fields,
    column,
    open_in_memory,
    position,
)
from evidence.importers.limits import MAX_TEXT_CHARS, UnreadableRecordError, capped
from evidence.importers.streams import ExportStream
from evidence.records import ParsedEvent, SkippedRecord

_WHAT = "the iOS messages database"
_SEPARATOR = "\x1f"
# Enough of an attributedBody for the longest text kept (UTF-8 is at most 4 bytes a character).
_BODY_BYTES = 4 * MAX_TEXT_CHARS + 4096


class IosMessages:
    name = "ios-sms"

    def parse(self, stream: ExportStream, tz: ZoneInfo) -> Iterator[ParsedEvent | SkippedRecord]:
        with open_in_memory(stream, _WHAT) as database:
            sql = _query(
                database.table_columns("message"), database.table_columns("handle"), _has_chats(database)
            )
            for ordinal, row in enumerate(database.rows(sql), 1):
                if row["item_type"] or row["associated_message_type"]:
                    continue
                where = position("message", row["rowid"], ordinal)
                try:
                    event, cut = _event(row)
                except UnreadableRecordError as e:
                    yield SkippedRecord(where, str(e))
                    continue
                yield from capped(event, where, cut)


def _has_chats(database: Database) -> bool:
    needed = {
        "chat": {"ROWID", "chat_identifier"},
        "chat_message_join": {"chat_id", "message_id"},
        "chat_handle_join": {"chat_id", "handle_id"},
    }
    return all(want <= database.table_columns(table) for table, want in needed.items())


def _query(message: set[str], handle: set[str], chats: bool) -> str:
    if not {"ROWID", "date"} <= message:
        raise BadInputError(f"{_WHAT} has no message table with dates; is this sms.db?")

    def col(name: str) -> str:
        return column(name, message, "m")

    join = (
        "LEFT JOIN main.handle h ON h.ROWID = m.handle_id"
        if {"ROWID", "id"} <= handle and "handle_id" in message
        else ""
    )
    number = bounded("h.id") if join else "NULL"
    chat = members = "NULL"
    if chats:
        chat = bounded(
            "(SELECT c.chat_identifier FROM main.chat_message_join j JOIN main.chat c ON c.ROWID = j.chat_id"
            " WHERE j.message_id = m.ROWID LIMIT 1)"
        )
        if join:
            members = (
                "(SELECT group_concat(h2.id, char(31)) FROM main.chat_message_join j"
                " JOIN main.chat_handle_join ch ON ch.chat_id = j.chat_id"
                " JOIN main.handle h2 ON h2.ROWID = ch.handle_id WHERE j.message_id = m.ROWID)"
            )
    text = bounded(col("text")) if "text" in message else "NULL"
    body = f"substr({col('attributedBody')}, 1, {_BODY_BYTES})" if "attributedBody" in message else "NULL"
    return (
        f"SELECT m.ROWID AS rowid, m.date AS date, {col('is_from_me')} AS is_from_me, {text} AS text,"
        f" {body} AS body, {col('item_type')} AS item_type,"
        f" {col('associated_message_type')} AS associated_message_type, {number} AS number,"
        f" {chat} AS chat, {members} AS members"
        f" FROM main.message m {join} ORDER BY m.ROWID"
    )


def _event(row: sqlite3.Row) -> tuple[ParsedEvent, bool]:
    """The message's event, and whether its text was cut short in the database read."""
    check_fields(row, ("number", "chat"))
    number = cell_text(row["number"]) or cell_text(row["chat"])
    members = (cell_text(row["members"]) or "").split(_SEPARATOR)
    others = tuple(sorted({m for m in members if m and m != number}))
    text = row["text"] if isinstance(row["text"], str) and row["text"] else None
    cut = False
    if text is None and isinstance(row["body"], bytes):
        text, cut = attributed_text(row["body"], cut_short=len(row["body"]) >= _BODY_BYTES)
    event = ParsedEvent(
        kind="sms",
        direction="out" if row["is_from_me"] == 1 else "in",
        raw_number=number,
        at=apple_instant(row["date"]),
        text=text,
        other_numbers=others,
        source_ref=f"message {row['rowid']}",
    )
    return event, cut


def decode_attributed_body(blob: bytes) -> str | None:
    """The plain string inside an `attributedBody` typedstream, or None when it is not there."""
    return attributed_text(blob)[0]


def attributed_text(blob: bytes, cut_short: bool = False) -> tuple[str | None, bool]:
    """The string inside an `attributedBody`, and whether it was cut.

    `cut_short` says the blob itself was cut by the query: a string running past its end is
    then decoded as far as it goes (and reported cut) instead of refused as damaged.
    """
    start = blob.find(b"NSString")
    if start < 0:
        return None, False
    plus = blob.find(b"+", start + len(b"NSString"), start + len(b"NSString") + 12)
    if plus < 0 or plus + 1 >= len(blob):
        return None, False
    at = plus + 1
    marker = blob[at]
    if marker == 0x81:
        length, at = int.from_bytes(blob[at + 1 : at + 3], "little"), at + 3
    elif marker == 0x82:
        length, at = int.from_bytes(blob[at + 1 : at + 5], "little"), at + 5
    elif marker < 0x80:
        length, at = marker, at + 1
    else:
        return None, False
    if length == 0:
        return None, False
    if at + length <= len(blob):
        return blob[at : at + length].decode("utf-8", "replace"), False
    if not cut_short:
        return None, False
    # "ignore": the cut may fall inside a character; only that last partial character is lost.
    return blob[at:].decode("utf-8", "ignore"), True
