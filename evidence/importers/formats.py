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


# A Xiaomi (MIUI/HyperOS) local backup, one `.bak` per app: a text header of five lines, then an
# Android backup stream ("ANDROID BACKUP", version, compressed flag, encryption, then a tar).
# Header lines: "MIUI BACKUP", the header version ("2"), "<package> <app label>", "-1", "0"
# (nelenkov/android-backup-extractor pull request #79, comments of 2020 and 2024;
# froiloc/miui-backup-mount miui-backup-mount.sh `display_backup_header`: line 3 is the app).
# What the messages app writes inside (com.android.mms's backup agent: a protobuf `SyncRoot` with
# the messages) is known only from decompiled MIUI code and no maintained reader: not read.
_MIUI_HEADER = re.compile(
    rb"MIUI BACKUP\r?\n[0-9]{1,3}\r?\n([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+)[ \r\n]"
)
# com.android.mms is MIUI's messages app (its backup agent is com.android.mms.backup.MmsBackupAgent).
_MIUI_APPS = {"com.android.mms": "Messages 短信"}


def miui_backup_app(head: bytes) -> str | None:
    """The package name of the app a Xiaomi `.bak` backs up, from its header; None when not one."""
    m = _MIUI_HEADER.match(head[:512])
    return m.group(1).decode("ascii") if m and len(m.group(1)) <= 100 else None


def unread_warning(name: str, sniffed: Sniffed, head: bytes) -> str | None:
    """Why a file that was not read as an export looks like one, or None when it does not."""
    if sniffed.export_format is not None:
        return None
    if head.startswith(b"MIUI BACKUP"):
        app = miui_backup_app(head)
        what = "" if app is None else f" of {_MIUI_APPS[app]} ({app})" if app in _MIUI_APPS else f" of {app}"
        return (
            f"this is a Xiaomi backup (.bak){what}, which locker cannot read yet: {_SEE}; "
            "for calls use the carrier's statement"
        )
    if b"encMsgV3" in head or b"checkMsgV3" in head:
        return (
            "this is part of a Huawei/Honor backup: add the whole backup folder (with its info.xml) "
            f"to read its messages and calls; {_SEE}"
        )
    if sniffed.media_type == "application/x-sqlite3":
        return f"this database holds no messages or calls locker knows how to read: {_SEE}"
    if sniffed.kind == "document" and _EXPORT_SUFFIX.search(name) and _EXPORT_NAME.search(name):
        return f"this looks like a message or call export, but no importer matched its content: {_SEE}"
    return None
