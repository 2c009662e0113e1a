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
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import BinaryIO
from zoneinfo import ZoneInfo

from evidence.errors import BadInputError
from evidence.importers.apple_db import apple_instant, cell_text, columns, open_readonly, rows
from evidence.records import ParsedEvent

_WHAT = "the iOS messages database"
_SEPARATOR = "\x1f"


class IosMessages:
    name = "ios-sms"

    def parse(self, stream: BinaryIO, tz: ZoneInfo) -> Iterator[ParsedEvent]:
        with open_readonly(stream, _WHAT) as connection:
            sql = _query(
                columns(connection, "message"), columns(connection, "handle"), _has_chats(connection)
            )
            for row in rows(connection, sql, _WHAT):
                if row["item_type"] or row["associated_message_type"]:
                    continue
                yield _event(row)


def _has_chats(connection: sqlite3.Connection) -> bool:
    needed = {
        "chat": {"ROWID", "chat_identifier"},
        "chat_message_join": {"chat_id", "message_id"},
        "chat_handle_join": {"chat_id", "handle_id"},
    }
    return all(want <= columns(connection, table) for table, want in needed.items())


def _query(message: set[str], handle: set[str], chats: bool) -> str:
    if not {"ROWID", "date"} <= message:
        raise BadInputError(f"{_WHAT} has no message table with dates; is this sms.db?")

    def col(name: str) -> str:
        return f"m.{name}" if name in message else "NULL"

    join = (
        "LEFT JOIN handle h ON h.ROWID = m.handle_id"
        if {"ROWID", "id"} <= handle and "handle_id" in message
        else ""
    )
    number = "h.id" if join else "NULL"
    chat = members = "NULL"
    if chats:
        chat = (
            "(SELECT c.chat_identifier FROM chat_message_join j JOIN chat c ON c.ROWID = j.chat_id"
            " WHERE j.message_id = m.ROWID LIMIT 1)"
        )
        if join:
            members = (
                "(SELECT group_concat(h2.id, char(31)) FROM chat_message_join j"
                " JOIN chat_handle_join ch ON ch.chat_id = j.chat_id"
                " JOIN handle h2 ON h2.ROWID = ch.handle_id WHERE j.message_id = m.ROWID)"
            )
    return (
        f"SELECT m.ROWID AS rowid, m.date AS date, {col('is_from_me')} AS is_from_me, {col('text')} AS text,"
        f" {col('attributedBody')} AS body, {col('item_type')} AS item_type,"
        f" {col('associated_message_type')} AS associated_message_type, {number} AS number,"
        f" {chat} AS chat, {members} AS members"
        f" FROM message m {join} ORDER BY m.ROWID"
    )


def _event(row: sqlite3.Row) -> ParsedEvent:
    number = cell_text(row["number"]) or cell_text(row["chat"])
    members = (cell_text(row["members"]) or "").split(_SEPARATOR)
    others = tuple(sorted({m for m in members if m and m != number}))
    text = row["text"] if isinstance(row["text"], str) and row["text"] else None
    if text is None and isinstance(row["body"], bytes):
        text = decode_attributed_body(row["body"])
    return ParsedEvent(
        kind="sms",
        direction="out" if row["is_from_me"] == 1 else "in",
        raw_number=number,
        at=apple_instant(row["date"]),
        text=text,
        other_numbers=others,
        source_ref=f"message {row['rowid']}",
    )


def decode_attributed_body(blob: bytes) -> str | None:
    """The plain string inside an `attributedBody` typedstream, or None when it is not there."""
    start = blob.find(b"NSString")
    if start < 0:
        return None
    plus = blob.find(b"+", start + len(b"NSString"), start + len(b"NSString") + 12)
    if plus < 0 or plus + 1 >= len(blob):
        return None
    at = plus + 1
    marker = blob[at]
    if marker == 0x81:
        length, at = int.from_bytes(blob[at + 1 : at + 3], "little"), at + 3
    elif marker == 0x82:
        length, at = int.from_bytes(blob[at + 1 : at + 5], "little"), at + 5
    elif marker < 0x80:
        length, at = marker, at + 1
    else:
        return None
    if length == 0 or at + length > len(blob):
        return None
    return blob[at : at + length].decode("utf-8", "replace")
