"""Assembling one complaint: scope the case to a respondent and period, and lay out what the letter states.

Pure: records in, a `Complaint` out. Only findings the user has not dismissed are used; only
the events and items behind those findings appear, so another party's evidence or an
unrelated contact never reaches a document addressed to an authority.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from complaints.channels import PROFILE_LABELS, Channel, category_names, channel
from evidence.errors import BadInputError
from evidence.records import EventRecord, FindingRecord, ItemRecord, PartyRecord
from evidence.resources import resource_dir

KIND_NAMES = {
    "audio": "录音",
    "image": "截图/图片",
    "video": "视频",
    "export": "手机导出记录",
    "document": "文件",
    "declaration": "本人陈述记录",
}
EVENT_NAMES = {
    "call": "来电",
    "sms": "短信",
    "mms": "彩信",
    "recording": "通话录音",
    "image": "截图",
    "visit": "上门",
    "post": "张贴",
    "letter": "信件",
}


@dataclass(frozen=True)
class Profile:
    name: str | None
    id_number: str | None
    phone: str | None
    address: str | None


@dataclass(frozen=True)
class CaseFile:
    profile: Profile
    party: PartyRecord | None
    items: Sequence[ItemRecord]
    events: Sequence[EventRecord]
    findings: Sequence[FindingRecord]
    custody_head: str
    generated_at: datetime
    timezone: ZoneInfo
    originals: Callable[[int], AbstractContextManager[BinaryIO]] | None = None


@dataclass(frozen=True)
class CategoryLine:
    category: int
    name: str
    count: int
    example: str
    instruments: tuple[str, ...]


@dataclass(frozen=True)
class EvidenceRow:
    no: int
    item: ItemRecord
    kind: str
    source: str
    time: str
    proves: str


@dataclass(frozen=True)
class Complaint:
    channel: Channel
    case: CaseFile
    respondent: str
    respondent_numbers: tuple[str, ...]
    findings: tuple[FindingRecord, ...]
    events: tuple[EventRecord, ...]
    categories: tuple[CategoryLine, ...]
    evidence: tuple[EvidenceRow, ...]
    letter: str
    hash_statement: str
    since: datetime | None
    until: datetime | None

    def local(self, at: datetime) -> str:
        return at.astimezone(self.case.timezone).strftime("%Y-%m-%d %H:%M")


def missing_fields(channel_id: str, profile: Profile) -> list[str]:
    return [f for f in channel(channel_id).required if not getattr(profile, f)]


def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(resource_dir("templates") / "letters"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )


def assemble_complaint(
    channel_id: str, case: CaseFile, since: datetime | None = None, until: datetime | None = None
) -> Complaint:
    ch = channel(channel_id)
    missing = missing_fields(channel_id, case.profile)
    if missing:
        names = "、".join(PROFILE_LABELS[f] for f in missing)
        flags = " ".join(f"--{f.replace('_', '-')}" for f in missing)
        raise BadInputError(
            f"the {channel_id} report needs your {names}: set them with `locker profile set {flags}`"
        )
    party = case.party
    findings = [
        f
        for f in case.findings
        if f.status != "dismissed"
        and (party is None or f.party == party.name)
        and (since is None or f.at >= since)
        and (until is None or f.at <= until)
    ]
    findings.sort(key=lambda f: (f.at, f.category, f.id))
    if not findings:
        raise BadInputError("no findings to report for this party and period: check `locker findings`")
    event_ids = {e for f in findings for e in f.events}
    events = tuple(sorted((e for e in case.events if e.id in event_ids), key=lambda e: (e.at, e.id)))
    item_ids = {i for f in findings for i in f.items}
    items = [i for i in case.items if i.id in item_ids]
    cat_names = category_names()
    categories = []
    for cat, count in sorted(Counter(f.category for f in findings).items()):
        first = next(f for f in findings if f.category == cat)
        instruments = tuple(dict.fromkeys(i for f in findings if f.category == cat for i in f.instruments))
        categories.append(CategoryLine(cat, cat_names[cat], count, first.explanation, instruments))
    respondent = party.name if party else "相关催收方"
    numbers = tuple(party.numbers) if party else tuple(sorted({n for f in findings for n in f.numbers}))
    tz = case.timezone
    proves: dict[int, list[str]] = {}
    for f in findings:
        for i in f.items:
            label = cat_names[f.category]
            if label not in proves.setdefault(i, []):
                proves[i].append(label)
    evidence = tuple(
        EvidenceRow(
            n,
            it,
            KIND_NAMES.get(it.kind, it.kind),
            "证据库原始文件（本人手机导出/拍摄）",
            (it.captured_at or it.added_at).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "、".join(proves.get(it.id, [])),
        )
        for n, it in enumerate(items, 1)
    )
    env = _templates()
    letter = env.get_template("letter.txt.j2").render(
        complainant=case.profile,
        form=ch.form,
        respondent=respondent,
        numbers="、".join(numbers),
        first_day=findings[0].at.astimezone(tz).strftime("%Y年%m月%d日"),
        last_day=findings[-1].at.astimezone(tz).strftime("%Y年%m月%d日"),
        categories=categories,
        timezone=tz.key,
        assumed=any(e.tz_assumed for e in events),
        since=since.astimezone(tz).strftime("%Y-%m-%d") if since else None,
        until=until.astimezone(tz).strftime("%Y-%m-%d") if until else None,
    )
    first_added = min((i.added_at for i in items), default=case.generated_at).astimezone(tz)
    statement = env.get_template("hashes.txt.j2").render(
        first_added=first_added.strftime("%Y-%m-%d"), head=case.custody_head
    )
    return Complaint(
        ch,
        case,
        respondent,
        numbers,
        tuple(findings),
        events,
        tuple(categories),
        evidence,
        letter,
        statement,
        since,
        until,
    )
