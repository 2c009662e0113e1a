"""The formats `locker add` reads, for `locker formats`, and the files that look like a message or
call export but are not read: those are sealed like any file, and the user is told (exit 4),
never left to believe their calls went in."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache

from evidence.resources import template_path
from evidence.sniff import Sniffed


@dataclass(frozen=True)
class Format:
    id: str
    read: bool
    en: str
    zh: str
    how_en: str
    how_zh: str


@cache
def formats() -> tuple[Format, ...]:
    """templates/formats.toml, in its order."""
    with template_path("formats.toml").open("rb") as f:
        return tuple(Format(**entry) for entry in tomllib.load(f)["format"])


_SEE = "it is sealed and kept; see `locker formats` for what is read"
# Names people and phones give message or call exports (sms-…, calls-…, 通话记录, 短信, 详单,
# mmssms.db, calllog.db, 聊天记录 …), for files whose content matched no importer.
_EXPORT_NAME = re.compile(
    r"sms|mms|call|message|msg|chat|wechat|weixin|contacts2|通话|短信|彩信|详单|话单|记录|聊天|微信|信息",
    re.IGNORECASE,
)
_EXPORT_SUFFIX = re.compile(
    r"\.(csv|tsv|txt|xml|json|html?|db|sqlite3?|xlsx?|vmsg|vcf|bak|zip)$", re.IGNORECASE
)


def unread_warning(name: str, sniffed: Sniffed, head: bytes) -> str | None:
    """Why a file that was not read as an export looks like one, or None when it does not."""
    if sniffed.export_format is not None:
        return None
    if head.startswith(b"MIUI BACKUP"):
        return f"this is a Xiaomi backup (.bak), which locker cannot read yet: {_SEE}"
    if b"encMsgV3" in head or b"checkMsgV3" in head:
        return f"this is part of a Huawei/Honor backup, which locker cannot read yet: {_SEE}"
    if sniffed.media_type == "application/x-sqlite3":
        return f"this database holds no messages or calls locker knows how to read: {_SEE}"
    if sniffed.kind == "document" and _EXPORT_SUFFIX.search(name) and _EXPORT_NAME.search(name):
        return f"this looks like a message or call export, but no importer matched its content: {_SEE}"
    return None
