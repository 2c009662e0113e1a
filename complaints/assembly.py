"""Assembling one complaint: scope the case to a respondent and period, and lay out what the letter states.

Pure: records in, a `Complaint` out. Only findings the user has not dismissed are used; only
the events and items behind those findings appear, so another party's evidence or an
unrelated contact never reaches a document addressed to an authority.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from complaints.channels import PROFILE_LABELS, Channel, category_names, channel
from evidence.attribution import Link, Reason
from evidence.errors import BadInputError, UsageError
from evidence.numbers import labelled, listed
from evidence.parties import IDENTITY_FIELDS, LENDER_TYPES, missing_identity
from evidence.records import MESSAGE_KINDS, EventRecord, FindingRecord, ItemRecord, PartyRecord
from evidence.resources import resource_dir
from evidence.rules.catalog import load_catalog
from evidence.rules.timing import connected, zone_label
from evidence.timestamps import StampSummary
from evidence.transcripts import MEDIA_TYPE as TRANSCRIPT_MEDIA_TYPE
from evidence.transcripts import recording_of

KIND_NAMES = {
    "audio": "录音",
    "image": "截图/图片",
    "video": "视频",
    "export": "手机导出记录",
    "document": "文件",
    "declaration": "本人陈述记录",
}
TRANSCRIPT_NAME = "录音文字稿（本人整理）"
EVENT_NAMES = {
    "call": "来电",
    "sms": "短信",
    "mms": "彩信",
    "chat": "微信",
    "recording": "通话录音",
    "transcript": "录音文字稿",  # the user's (TRANSCRIPT_NAME says so in the evidence list)
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
    links: Sequence[Link] = ()  # why each number is a party's (evidence.attribution)
    loans: Sequence[Any] = ()  # evidence.loans.LoanRecord: the loans the user declared
    stamp: StampSummary | None = None  # the latest trusted timestamp of the custody head


@dataclass(frozen=True)
class CategoryLine:
    """One category as the letter states it. `count` is its findings, `events` the distinct acts
    behind them; `tally` says, in the letter's words, what is counted for this category alone."""

    category: int
    name: str
    count: int
    example: str
    instruments: tuple[str, ...]
    events: int = 0
    tally: str = ""


# Levels of the night-contact rule (evidence.rules.timing): never summed together.
NIGHT_LEVELS = {"22:00-08:00": "strong", "21:00-22:00": "weak"}
CALL_RULES = ("calls-per-day-attempts", "calls-per-day-connected", "unanswered-attempts-per-number")
# What a tally counts as messages: those sent from an address, and screenshots of chats.
WRITTEN_KINDS = (*MESSAGE_KINDS, "image", "transcript")
STRENGTH_RANK = {"strong": 0, "moderate": 1, "weak": 2, "suggestion": 3}  # a confirmed suggestion last


@dataclass(frozen=True)
class CallDay:
    """One local day's incoming calls from one respondent, each figure against its own threshold.

    `attempts` counts every call that day, answered or not, and `connected` the answered ones;
    either is None when the finding that holds those calls is not in the document (dismissed).
    `unanswered` lists the numbers whose unanswered attempts alone exceed the per-number limit."""

    day: str
    who: str
    who_is_number: bool
    attempts: int | None
    connected: int | None
    over_attempts: bool
    over_connected: bool
    unanswered: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Tally:
    """What a document counts, each act once: distinct messages across the text categories (a
    message in three categories is one message), calls per day with attempts and connected calls
    apart, and night contact per level (22:00–08:00 and 21:00–22:00, never summed)."""

    messages: int
    message_kinds: tuple[tuple[str, int], ...]
    only_messages: bool  # every counted act is an SMS, MMS or screenshot
    message_categories: tuple[str, ...]
    call_days: tuple[CallDay, ...]
    night_strong: int
    night_weak: int
    night_level: Mapping[int, str]  # event id → "strong" | "weak"
    limits: Mapping[str, int]  # attempts, connected, unanswered: the call rules' thresholds


def call_limits() -> dict[str, int]:
    catalog = load_catalog()
    return {
        key: catalog.rule(rule)["threshold"]
        for key, rule in zip(("attempts", "connected", "unanswered"), CALL_RULES, strict=True)
    }


def count_acts(
    findings: Sequence[FindingRecord],
    events: Sequence[EventRecord],
    tz: ZoneInfo,
    names: Mapping[int, str],
    limits: Mapping[str, int],
) -> Tally:
    """Count acts, not findings: pure, over the findings a document states and their events."""
    by_id = {e.id: e for e in events}
    texts = [f for f in findings if f.rule.startswith("text-")]
    message_ids = {e for f in texts for e in f.events}
    kinds = Counter(by_id[e].kind for e in message_ids if e in by_id)
    groups: dict[tuple[str, str], dict[str, list[FindingRecord]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        if f.rule in CALL_RULES:
            subject = f.party or (f.numbers[0] if f.numbers else "")
            groups[(f.at.astimezone(tz).date().isoformat(), subject)][f.rule].append(f)
    days = []
    for (day, subject), g in sorted(groups.items()):
        tried, answered, missed = (g.get(r, []) for r in CALL_RULES)
        attempts = n_connected = None
        if tried:
            calls = [by_id[e] for e in tried[0].events if e in by_id]
            attempts, n_connected = len(calls), sum(1 for e in calls if connected(e))
        elif answered:
            n_connected = len(answered[0].events)
        days.append(
            CallDay(
                day,
                subject,
                not any(f.party for fs in g.values() for f in fs),
                attempts,
                n_connected,
                bool(tried),
                bool(answered),
                tuple(sorted((f.numbers[0] if f.numbers else "", len(f.events)) for f in missed)),
            )
        )
    night: dict[int, str] = {}
    for f in findings:
        level = NIGHT_LEVELS.get(f.level or "") if f.category == 3 else None
        if level is None:
            continue
        for e in f.events:
            if night.get(e) != "strong":  # one act, one level: the stronger one
                night[e] = level
    return Tally(
        messages=len(message_ids),
        message_kinds=tuple(sorted(kinds.items())),
        only_messages=set(kinds) <= set(WRITTEN_KINDS),
        message_categories=tuple(names[c] for c in sorted({f.category for f in texts})),
        call_days=tuple(days),
        night_strong=sum(1 for v in night.values() if v == "strong"),
        night_weak=sum(1 for v in night.values() if v == "weak"),
        night_level=night,
        limits=dict(limits),
    )


@dataclass(frozen=True)
class EvidenceRow:
    """One line of the 证据目录: what a lawyer files it by."""

    no: int
    item: ItemRecord
    kind: str
    source: str
    time: str  # 形成时间: when the evidence came into being, not when it was sealed
    proves: str  # 证明目的
    copy: str = ""  # 原件/复制件
    extent: str = ""  # 页数/时长/记录数


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
    tally: Tally
    attribution: str = ""  # why each respondent number is its party's (attribution.txt.j2)
    cited: tuple[EventRecord, ...] = ()  # the messages that reasoning cites, oldest first
    # Who the respondent is in law, as the user recorded it: (label, value) rows.
    respondent_details: tuple[tuple[str, str], ...] = ()
    # The channel's own parts (matter, background, facts, harm) as its template words them.
    parts: Mapping[str, str] = dataclass_field(default_factory=dict)
    requests: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()
    court: str = ""  # a genuine proceeding about the respondent (court.txt.j2), stated apart

    def local(self, at: datetime) -> str:
        return c_local(at, self.case.timezone)


def missing_fields(channel_id: str, profile: Profile) -> list[str]:
    return [f for f in channel(channel_id).required if not getattr(profile, f)]


OWN_EVIDENCE = "该方号码的其他来电、短信、录音及本人的回复"  # 证明目的 of evidence behind no finding
SOURCE_PHONE = "本人手机导出、拍摄或录制（原始载体为本人手机或账户）"
SOURCE_DECLARED = "本人陈述（无导出记录的事件）"
# An exported, recorded or captured file is a copy of data whose original carrier is the phone
# or the account it came from; said plainly so a lawyer knows what to ask for.
COPY_ELECTRONIC = "电子数据复制件"
COPY_DECLARED = "本人陈述，非原始记录"


def formed(item: ItemRecord, records: Sequence[EventRecord], tz: ZoneInfo) -> str:
    """形成时间: the span of an export's records, a recording's or picture's own time; never the
    time it was sealed, which says only when the user added it."""
    if records and item.kind in ("export", "document"):
        first, last = (min(e.at for e in records), max(e.at for e in records))
        a, b = first.astimezone(tz).strftime("%Y-%m-%d"), last.astimezone(tz).strftime("%Y-%m-%d")
        return a if a == b else f"{a}至{b}"
    if item.captured_at is not None:
        return item.captured_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return f"不详（{item.added_at.astimezone(tz):%Y-%m-%d}存入证据库）"


def extent(item: ItemRecord, records: int) -> str:
    """页数/时长: a recording's length, a picture's page, an export's count of records."""
    duration = next((float(v) for fact, v, _src in item.facts if fact == "duration"), None)
    if duration is not None and item.kind in ("audio", "video"):
        minutes, seconds = divmod(round(duration), 60)
        return f"{minutes}分{seconds:02d}秒" if minutes else f"{seconds}秒"
    if item.kind == "image":
        return "1页"
    return f"{records}条记录" if records else "—"


def own_events(case: CaseFile, since: datetime | None, until: datetime | None) -> frozenset[int]:
    """The events of the respondent's numbers in the period, both ways (none without a party)."""
    if case.party is None:
        return frozenset()
    numbers = set(case.party.numbers)
    return frozenset(
        e.id
        for e in case.events
        if e.number in numbers and (since is None or e.at >= since) and (until is None or e.at <= until)
    )


def cover_text(c: Complaint, pages: int) -> str:
    """The user's cover sheet for a filing (templates/letters/cover.txt.j2): lines, "## " before
    a heading. What to do with the filing; nothing of it goes into the filing itself."""
    ch = c.channel
    return (
        _templates()
        .get_template("cover.txt.j2")
        .render(
            name=ch.name,
            form=ch.form,
            who_for=ch.who_for,
            submit=ch.submit,
            attachments=c.attachments,
            expect=ch.expect,
            pages=pages,
            police=ch.id == "police",
            court_claims=any(f.category == 7 for f in c.findings),
        )
    )


# The act the judgement names when a message uses a court's or the police's name itself
# (templates/rules/judgement/category-7.toml, cue authority-impersonated); a lender threatening
# legal steps in its own name impersonates nobody.
IMPERSONATION_ACT = "冒用法院、公安、检察院、仲裁或调解机构名义"
ILLEGAL_LENDING_RATE = 0.36  # above it, a debt's interest is not protected (illegal_lending_2019)


def citable(
    ch: Channel, party: PartyRecord | None, findings: Sequence[FindingRecord]
) -> Callable[[str], bool]:
    """Which instruments (by the name findings carry) a filing may cite as its basis: verified
    ones, where they fit the channel, the respondent's kind and the facts the filing shows."""
    by_name: dict[str, dict[str, Any]] = {i["name"]: i for i in load_catalog().instruments.values()}
    shows = set()
    if any(f.rule == "loan-rate" and float(f.level or 0) > ILLEGAL_LENDING_RATE for f in findings):
        shows.add("illegal-debt")
    if any(f.category == 7 and IMPERSONATION_ACT in f.explanation for f in findings):
        shows.add("impersonation")
    kind = party.lender_type if party else None

    def cite(name: str) -> bool:
        inst = by_name.get(name)
        if inst is None or inst["mark"] == "U":
            return False
        if inst.get("kind") == "guideline" and ch.id == "police":
            return False
        if "lenders" in inst and kind not in inst["lenders"]:
            return False
        return inst.get("needs") is None or inst["needs"] in shows

    return cite


def court_messages(case: CaseFile) -> tuple[EventRecord, ...]:
    """Messages from an official court number (12368 and the like) that name the respondent by
    its brand, legal name or app: a real proceeding the documents must not pass over."""
    party = case.party
    if party is None:
        return ()
    names = [n for n in (party.name, party.legal_name, party.app_name) if n]
    return tuple(
        e
        for e in case.events
        if e.number_class == "court" and e.direction == "in" and e.text and any(n in e.text for n in names)
    )


def check_respondent(ch: Channel, party: PartyRecord | None) -> None:
    """Refuse a report the authority would reject for want of an identified respondent, or one
    sent to an authority that does not oversee this kind of lender, saying what to do instead:
    a usage error (exit 2), as the user can supply what is missing."""
    missing = missing_identity(party, ch.respondent_required)
    if missing:
        labels = "、".join(IDENTITY_FIELDS[f] for f in missing)
        flags = " ".join(f"--{f.replace('_', '-')} ..." for f in missing)
        if party is None:
            raise UsageError(
                f"the {ch.id} report must name an identified company ({labels}): "
                f"give --party NAME, and record its details with `locker party set NAME {flags}`"
            )
        raise UsageError(
            f"the {ch.id} report must name the company behind {party.name} ({labels}): record them "
            f"with `locker party set {party.name} {flags}` (from the loan contract, the app's "
            f"关于我们 page or a genuine 12368 court message)"
        )
    kind = party.lender_type if party else None
    if ch.lender_types and kind is not None and kind not in ch.lender_types:
        takes = "、".join(LENDER_TYPES[t] for t in ch.lender_types)
        raise UsageError(
            f"{ch.id} takes complaints about {takes} only; {party.name if party else ''} is recorded as "
            f"{LENDER_TYPES.get(kind, kind)}: complain to {ch.otherwise}, or choose another channel"
        )


def respondent_of(party: PartyRecord | None) -> tuple[str, tuple[tuple[str, str], ...]]:
    """How the documents name the respondent, and the identity rows the user recorded: the legal
    name first, the brand the borrower knows in quotes after it."""
    if party is None:
        return "相关催收方", ()
    name = party.name
    if party.legal_name and party.legal_name != party.name:
        name = f"{party.legal_name}（“{party.name}”）"
    rows = []
    for field, label in (
        ("credit_code", "统一社会信用代码"),
        ("address", "住所地址"),
        ("app_name", "App名称"),
        ("lender_type", "机构类型"),
        ("contract", "借款合同"),
    ):
        value = getattr(party, field)
        if value:
            rows.append((label, LENDER_TYPES.get(value, value) if field == "lender_type" else value))
    return name, tuple(rows)


def evidence_rows(
    case: CaseFile, items: Sequence[ItemRecord], findings: Sequence[FindingRecord]
) -> tuple[EvidenceRow, ...]:
    """The 证据目录 of `items`, numbered in order: what each is, where it came from, when it was
    formed, its extent, and what it proves (the categories of the findings resting on it)."""
    names = category_names()
    proves: dict[int, list[str]] = {}
    for f in findings:
        for i in f.items:
            label = names[f.category]
            if label not in proves.setdefault(i, []):
                proves[i].append(label)
    for it in case.items:  # a recording proves what the user's transcript of it shows
        recording = recording_of(it.name) if it.media_type == TRANSCRIPT_MEDIA_TYPE else None
        if recording is not None:
            heard = proves.setdefault(recording, [])
            heard += [label for label in proves.get(it.id, []) if label not in heard]
    records: dict[int, list[EventRecord]] = defaultdict(list)
    for e in case.events:
        records[e.item].append(e)
    return tuple(
        EvidenceRow(
            n,
            it,
            TRANSCRIPT_NAME if it.media_type == TRANSCRIPT_MEDIA_TYPE else KIND_NAMES.get(it.kind, it.kind),
            SOURCE_DECLARED if it.kind == "declaration" else SOURCE_PHONE,
            formed(it, records.get(it.id, []), case.timezone),
            "、".join(proves.get(it.id, [])) or OWN_EVIDENCE,
            COPY_DECLARED if it.kind == "declaration" else COPY_ELECTRONIC,
            extent(it, len(records.get(it.id, []))),
        )
        for n, it in enumerate(items, 1)
    )


def one_line(text: str) -> str:
    """An explanation as prose quotes it: the line breaks of a screenshot's or a transcript's
    words shown as ／ (the appendix keeps the text as it was)."""
    return "／".join(line.strip() for line in text.splitlines() if line.strip())


def c_local(at: datetime, tz: ZoneInfo) -> str:
    """A moment as every table and quotation writes it: 2026-08-12 23:05."""
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def yuan(amount: Any) -> str:
    """An amount as the documents write it: 3000, 2100.50 (no .00 on whole yuan)."""
    text = f"{amount:.2f}"
    return text.removesuffix(".00")


def day(at: datetime, tz: ZoneInfo) -> str:
    """A date as every document writes it: 2026-08-12 (one format, the tables' too)."""
    return at.astimezone(tz).strftime("%Y-%m-%d")


def loan_facts(loan: Any) -> dict[str, object]:
    """A declared loan as the background paragraph states it (amounts in yuan, as declared)."""
    deducted = loan.principal - loan.received
    return {
        "start": loan.start.isoformat(),
        "principal": yuan(loan.principal),
        "received": yuan(loan.received),
        "deducted": yuan(deducted) if deducted > 0 else None,
        "repayments": len(loan.schedule),
        "total": yuan(sum((amount for _, amount in loan.schedule), start=type(loan.principal)(0))),
    }


def channel_parts(env: Environment, ch: Channel, **facts: Any) -> dict[str, str]:
    """The channel's own wording of each part its sections name: the blocks of
    templates/letters/<channel>.txt.j2, each rendered alone over the same facts."""
    template = env.get_template(f"{ch.id}.txt.j2")
    numerals = "一二三四五六七八九十"
    basis = next((numerals[n] for n, (_, part) in enumerate(ch.sections) if part == "basis"), "")
    context = template.new_context({**facts, "basis_number": basis})
    return {
        name: "".join(block(context)).strip()
        for name, block in template.blocks.items()
        if any(part == name for _, part in ch.sections)
    }


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(resource_dir("templates") / "letters"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )
    env.filters["labelled"] = labelled  # 号码17155550001, 微信号wxid_…
    return env


MAX_ADDRESSEE = 80  # the longest 公安局…分局…派出所 names are about 30 characters


def assemble_complaint(
    channel_id: str,
    case: CaseFile,
    since: datetime | None = None,
    until: datetime | None = None,
    addressee: str | None = None,
) -> Complaint:
    ch = channel(channel_id)
    if addressee:  # the office it goes to: a named 派出所, a province's 金融监管局
        if len(addressee) > MAX_ADDRESSEE or not addressee.isprintable():
            raise UsageError(f"--addressee must be one printable line of at most {MAX_ADDRESSEE} characters")
        ch = replace(ch, addressee=addressee.strip())
    missing = missing_fields(channel_id, case.profile)
    if missing:
        names = "、".join(PROFILE_LABELS[f] for f in missing)
        flags = " ".join(f"--{f.replace('_', '-')}" for f in missing)
        raise BadInputError(
            f"the {channel_id} report needs your {names}: set them with `locker profile set {flags}`"
        )
    party = case.party
    check_respondent(ch, party)
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
    # The respondent's whole evidence in the period, not only what findings rest on: its other
    # calls and messages, recordings of its numbers, the borrower's own replies ("请不要再打扰我"
    # is an express objection). Findings organise the document; they do not filter it.
    event_ids = {e for f in findings for e in f.events}
    own = own_events(case, since, until)
    events = tuple(
        sorted((e for e in case.events if e.id in event_ids or e.id in own), key=lambda e: (e.at, e.id))
    )
    item_ids = {i for f in findings for i in f.items} | {e.item for e in events if e.id in own}
    items = [i for i in case.items if i.id in item_ids]
    cat_names = category_names()
    tz = case.timezone
    tally = count_acts(findings, events, tz, cat_names, call_limits())
    cite = citable(ch, party, findings)
    env = _templates()
    count_text = env.get_template("count.txt.j2")
    categories = []
    for cat, count in sorted(Counter(f.category for f in findings).items()):
        # The example shown is the earliest at the strongest level (22:00–08:00 before 21:00–22:00).
        first = min(
            (f for f in findings if f.category == cat), key=lambda f: (STRENGTH_RANK.get(f.strength, 3), f.at)
        )
        instruments = tuple(
            dict.fromkeys(i for f in findings if f.category == cat for i in f.instruments if cite(i))
        )
        acts = len({e for f in findings if f.category == cat for e in f.events})
        framed = tuple(load_catalog().instruments[k]["name"] for k in ch.grounds.get(cat, ()))
        instruments = tuple(dict.fromkeys(i for i in framed + instruments if cite(i)))
        line = CategoryLine(cat, cat_names[cat], count, one_line(first.explanation), instruments, acts)
        categories.append(replace(line, tally=count_text.render(c=line, t=tally).strip()))
    respondent, respondent_details = respondent_of(party)
    numbers = tuple(party.numbers) if party else tuple(sorted({n for f in findings for n in f.numbers}))
    evidence = evidence_rows(case, items, findings)
    contact = [e for e in events if e.direction == "in"] or list(events)  # the period of its contact
    first_contact, last_contact = contact[0], contact[-1]
    contacted = [f for f in findings if f.events] or findings  # a loan's finding dates the loan, not contact
    cited_basis = "".join(i for x in categories for i in x.instruments)
    parts = channel_parts(
        env,
        ch,
        complainant=case.profile,
        form=ch.form,
        respondent=respondent,
        brand=party.name if party else respondent,
        brand_is_lender=party is not None,
        app=party.app_name if party else None,
        address=party.address if party else None,
        kind=LENDER_TYPES.get(party.lender_type or "", "") if party else "",
        numbers=listed(numbers),
        numbers_count=len(numbers),
        first_day=day(min(first_contact.at, contacted[0].at), tz),
        last_day=day(max(last_contact.at, contacted[-1].at), tz),
        categories=categories,
        t=tally,
        zone=zone_label(tz),
        assumed=any(e.tz_assumed for e in events),
        since=day(since, tz) if since else None,
        until=day(until, tz) if until else None,
        loans=[loan_facts(loan) for loan in case.loans if party is None or loan.party == party.name],
        cites_psapl="治安管理处罚法" in cited_basis,
        cites_nifa="中国互联网金融协会" in cited_basis,
    )
    letter = parts.get("facts", "")
    attribution, cited = attribution_text(env, case, numbers)
    court = court_messages(case)
    court_text = ""
    if court:
        court_text = (
            env.get_template("court.txt.j2")
            .render(respondent=respondent, messages=[(c_local(e.at, tz), e) for e in court])
            .strip()
        )
        events = tuple(sorted({*events, *court}, key=lambda e: (e.at, e.id)))
    first_added = min((i.added_at for i in items), default=case.generated_at).astimezone(tz)
    statement = env.get_template("hashes.txt.j2").render(
        first_added=first_added.strftime("%Y-%m-%d"), head=case.custody_head
    )
    if case.stamp is not None:  # under the head: the latest trusted timestamp, what it proves
        statement = statement.rstrip("\n") + "\n" + stamp_statement(env, case.stamp, tz)
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
        tally,
        attribution,
        cited,
        respondent_details,
        parts,
        ch.requests_for(x.category for x in categories),
        tuple(a.format(items=len(evidence)) for a in ch.attachments),
        court_text,
    )


def stamp_statement(env: Environment, stamp: StampSummary, tz: ZoneInfo) -> str:
    """The latest trusted timestamp as documents state it (templates/letters/stamp.txt.j2)."""
    return (
        env.get_template("stamp.txt.j2")
        .render(
            when=stamp.gen_time.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            zone=zone_label(tz),
            tsa="、".join(f"“{name}”" for name in stamp.tsa_names),
            head_seq=stamp.head_seq,
            head=stamp.head,
        )
        .strip()
    )


CITED_PER_REASON = 5  # events named per reason in the letter; the rest are "等"


def attribution_text(
    env: Environment, case: CaseFile, numbers: Sequence[str]
) -> tuple[str, tuple[EventRecord, ...]]:
    """Why each of `numbers` is attributed to its party, and the events cited, oldest first.

    A number with no link is attributed to nobody (the letter names no party for it); with a
    party in scope, a number of its without a stored link is one the user declared.
    """
    linked = {link.number: link for link in case.links if link.linked}
    entries: list[dict[str, object]] = []
    cited_ids: set[int] = set()
    for number in numbers:
        link = linked.get(number)
        if link is None and case.party is not None:
            link = Link(number, case.party.name, "user", True, None, (Reason("declared"),))
        if link is None:
            continue
        reasons = []
        for r in link.reasons:
            shown = r.events[:CITED_PER_REASON]
            cited_ids.update(shown)
            more = len(r.events) > len(shown)
            reasons.append(
                {"kind": r.kind, "value": r.value, "count": len(r.events), "events": shown, "more": more}
            )
        entries.append({"number": number, "party": link.party, "reasons": reasons})
    if not entries:
        return "", ()
    cited = tuple(sorted((e for e in case.events if e.id in cited_ids), key=lambda e: (e.at, e.id)))
    text = env.get_template("attribution.txt.j2").render(links=entries, cited=bool(cited))
    return text.strip(), cited
