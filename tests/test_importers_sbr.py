"""SMS Backup & Restore messages and call logs: the demo and public exports, every type code, MMS,
repairs, hostile and broken XML, records skipped one at a time. Bounds: test_importers_bounds."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers import event_key, parse_export, parser_for
from evidence.importers.xml_records import repair_references
from evidence.numbers import parse_number
from evidence.records import ParsedEvent, SkippedRecord
from tests.test_importers_bounds import SealedStream

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEMO = SHARED / "corpus" / "demo"
PUBLIC = SHARED / "corpus" / "public"
DATA = Path(__file__).resolve().parent / "data" / "exports"
TZ = ZoneInfo("Asia/Shanghai")
HEAD = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"


def parse(export_format: str, xml: str | bytes) -> list[ParsedEvent]:
    """The events of an export that has no record to skip."""
    outputs = parse_all(export_format, xml)
    assert all(isinstance(o, ParsedEvent) for o in outputs), outputs
    return outputs  # type: ignore[return-value]


def parse_all(export_format: str, xml: str | bytes) -> list[ParsedEvent | SkippedRecord]:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return list(parser_for(export_format).parse(SealedStream(data), TZ))


def smses(*records: str) -> str:
    return HEAD + f'<smses count="{len(records)}">\n' + "\n".join(records) + "\n</smses>\n"


def sms(type_code: str = "1", date: str = "1786454400000", **extra: str) -> str:
    attrs = {
        "protocol": "0",
        "address": "17155550001",
        "date": date,
        "type": type_code,
        "body": "还钱",
    } | extra
    return "<sms " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + " />"


def calls(*types: str) -> str:
    rows = [f'<call number="17155550001" duration="5" date="1786402200000" type="{t}" />' for t in types]
    return HEAD + "<calls>\n" + "\n".join(rows) + "\n</calls>\n"


# --- the demo case and the public corpus ----------------------------------------------------------------


def test_demo_sms_export_gives_34_sms_events() -> None:
    events = list(parse_export("sbr-sms", DEMO / "sms-20260817.xml", TZ))
    assert len(events) == 34
    assert {e.kind for e in events} == {"sms"}
    assert Counter(e.direction for e in events) == {"in": 33, "out": 1}
    first = events[0]
    assert first.raw_number == "10691110001"
    assert first.at == datetime(2026, 8, 11, 13, 20, tzinfo=UTC)  # 21:20 in Shanghai
    assert first.at.astimezone(TZ).hour == 21
    assert not first.tz_assumed
    assert first.contact is None  # "(Unknown)"
    assert first.text is not None and first.text.startswith("【好借花】")
    assert {e.contact for e in events} == {None, "老婆"}


def test_demo_calls_export_gives_13_call_events() -> None:
    events = list(parse_export("sbr-calls", DEMO / "calls-20260817.xml", TZ))
    assert len(events) == 13
    assert Counter((e.direction, e.status) for e in events) == {
        ("in", "missed"): 6,
        ("in", "answered"): 5,
        ("in", "rejected"): 1,
        ("out", None): 1,
    }
    early = events[0]
    assert early.at.astimezone(TZ).strftime("%Y-%m-%d %H:%M") == "2026-08-11 06:50"
    assert early.duration == 0
    assert events[1].duration == 62
    assert events[3].raw_number == "+86 171 5555 0001"  # kept as exported; evidence.numbers canonicalises


def test_public_exports_parse() -> None:
    small = list(parse_export("sbr-sms", PUBLIC / "sbr_sms_small__devadvance_sms-backup-reader-2.xml", TZ))
    assert len(small) == 12
    assert small[0].at == datetime(2017, 12, 2, 14, 49, 27, 463000, tzinfo=UTC)
    call = list(parse_export("sbr-calls", PUBLIC / "sbr_calls_minimal__shruggietech.xml", TZ))
    assert [(c.direction, c.status, c.duration, c.contact) for c in call] == [
        ("in", "answered", 125, "Alice Smith")
    ]
    (mms,) = parse_export("sbr-sms", PUBLIC / "sbr_mms_minimal__shruggietech.xml", TZ)
    assert (mms.kind, mms.direction, mms.raw_number) == ("mms", "in", "+15559876543")
    assert mms.text == "Hello from MMS!\n[image/jpeg]"  # SMIL dropped, base64 never carried
    assert mms.at == datetime(2021, 1, 2, tzinfo=UTC)


def test_truncated_public_export_yields_complete_messages_then_says_where_it_broke() -> None:
    path = PUBLIC / "sbr_sms_and_mms__devadvance_sms-backup-reader-2.xml"
    events: list[ParsedEvent] = []
    with pytest.raises(TruncatedInputError) as caught:
        events.extend(parse_export("sbr-sms", path, TZ))
    assert len(events) == 49
    assert caught.value.records_read == 49
    assert "line 136" in str(caught.value) and "49 complete records" in str(caught.value)
    assert isinstance(caught.value, BadInputError)
    kinds = Counter(e.kind for e in events)
    assert kinds == {"sms": 41, "mms": 8}
    # Google Messages writes date_sent in seconds; `date` (ms) is what counts.
    first_mms = next(e for e in events if e.kind == "mms")
    assert first_mms.at == datetime(2024, 7, 14, 22, 53, 13, tzinfo=UTC)


def test_truncated_demo_export_keeps_every_message_before_the_cut() -> None:
    data = (DEMO / "sms-20260817.xml").read_bytes()
    cut = data[: data.index(b"<sms", data.index(b"10658880130"))] + b'<sms address="1'
    events: list[ParsedEvent] = []
    with pytest.raises(TruncatedInputError) as caught:
        events.extend(parser_for("sbr-sms").parse(SealedStream(cut), TZ))
    complete = cut.count(b"<sms ") - 1
    assert complete == 20
    assert len(events) == caught.value.records_read == complete
    assert events[-1].raw_number == "10658880130"


# --- SMS and MMS decisions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "direction"), [("1", "in"), ("2", "out"), ("4", "out"), ("5", "out"), ("6", "out"), ("99", None)]
)
def test_sms_type_codes(code: str, direction: str | None) -> None:
    (event,) = parse("sbr-sms", smses(sms(code)))
    assert event.direction == direction


def test_drafts_are_skipped() -> None:
    (kept,) = parse("sbr-sms", smses(sms("3", body="draft"), sms("1")))
    assert (kept.text, kept.source_ref) == ("还钱", "sms 2")
    mms_draft = '<mms date="1786454400000" msg_box="3" address="17155550001"><parts/></mms>'
    assert parse("sbr-sms", smses(mms_draft)) == []


def test_literal_null_and_unknown_contact_are_absent() -> None:
    (event,) = parse("sbr-sms", smses(sms(body="null", contact_name="(Unknown)", address="null")))
    assert (event.text, event.contact, event.raw_number) == (None, None, None)


def test_allsms_legacy_root_is_read() -> None:
    xml = HEAD + "<allsms>" + sms() + "</allsms>"
    assert len(parse("sbr-sms", xml)) == 1


def test_surrogate_pair_emoji_is_repaired() -> None:
    (event,) = parse("sbr-sms", smses(sms(body="好&#55357;&#56846;&#10;x&#xD83D;&#xDE0E;")))
    assert event.text == "好\U0001f60e\nx\U0001f60e"


def test_lone_surrogates_and_control_references_become_replacement_characters() -> None:
    (event,) = parse("sbr-sms", smses(sms(body="a&#55357;b&#56846;c&#1;d&#x1F;e&#9;")))
    assert event.text == "a\ufffdb\ufffdc\ufffdd\ufffde\t"


def test_surrogate_pair_split_across_read_chunks_is_repaired() -> None:
    # Put the pair across the 64 KiB border at every offset near it.
    for shift in range(0, 20):
        pad = "x" * (
            65536 - len(HEAD) - len('<smses>\n<sms address="1" date="1786454400000" type="1" body="') - shift
        )
        xml = (
            HEAD
            + '<smses>\n<sms address="1" date="1786454400000" type="1" body="'
            + pad
            + '&#55357;&#56846;" />\n</smses>'
        )
        (event,) = parse("sbr-sms", xml)
        assert event.text is not None and event.text.endswith("\U0001f60e"), shift


def test_repair_leaves_valid_references_alone() -> None:
    data = b"&#10;&#55000;&#128526;&amp;&#x9;"
    assert repair_references(data) == data


def test_mms_received_in_a_group() -> None:
    mms = (
        '<mms date="1786454400000" msg_box="1" address="17155550001~17155550002~13700137000" m_type="132">'
        '<parts><part seq="-1" ct="application/smil" text="&lt;smil/&gt;" />'
        '<part seq="0" ct="text/plain" text="第一段" /><part seq="1" ct="image/jpeg" data="AAAA" />'
        '<part seq="2" ct="text/plain" text="第二段" /></parts>'
        '<addrs><addr address="17155550002" type="137" />'
        '<addr address="17155550001" type="151" /></addrs></mms>'
    )
    (event,) = parse("sbr-sms", smses(mms))
    assert (event.kind, event.direction, event.raw_number) == ("mms", "in", "17155550002")
    assert event.other_numbers == ("17155550001", "13700137000")
    assert event.text == "第一段\n[image/jpeg]\n第二段"
    assert "AAAA" not in (event.text or "")


def test_mms_sent_to_several() -> None:
    mms = (
        '<mms date="1786454400" msg_box="2" address="17155550001~17155550002" m_type="128">'
        '<parts><part ct="text/plain" text="别再打了" /></parts>'
        '<addrs><addr address="insert-address-token" type="137" /><addr address="17155550001" type="151" />'
        '<addr address="17155550002" type="151" /></addrs></mms>'
    )
    (event,) = parse("sbr-sms", smses(mms))
    assert (event.direction, event.raw_number, event.other_numbers) == (
        "out",
        "17155550001",
        ("17155550002",),
    )
    assert event.at == datetime(2026, 8, 11, 13, 20, tzinfo=UTC)  # a seconds date is read as seconds


def test_rcs_group_mms_takes_members_from_addrs() -> None:
    mms = (
        '<mms date="1786454400000" msg_box="1" address="group_8@rcs.google.com"><parts/>'
        '<addrs><addr address="+8617155550002" type="130" /><addr address="+8617155550001" type="137" />'
        '<addr address="+8613800000000" type="151" /></addrs></mms>'
    )
    (event,) = parse("sbr-sms", smses(mms))
    assert event.raw_number == "+8617155550001"
    assert event.other_numbers == ("+8617155550002",)  # the borrower's own lone To is left out
    assert event.text is None


# --- calls -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "direction", "status"),
    [
        ("1", "in", "answered"),
        ("2", "out", None),
        ("3", "in", "missed"),
        ("4", "in", "voicemail"),
        ("5", "in", "rejected"),
        ("6", "in", "blocked"),
        ("7", "in", "answered"),
        ("1000", None, None),
    ],
)
def test_call_type_codes(code: str, direction: str | None, status: str | None) -> None:
    (event,) = parse("sbr-calls", calls(code))
    assert (event.kind, event.direction, event.status, event.duration) == ("call", direction, status, 5)


@pytest.mark.parametrize("withheld", ["-1", "-2", "-3"])
def test_withheld_numbers_are_kept_raw(withheld: str) -> None:
    (event,) = parse("sbr-calls", calls("3").replace("17155550001", withheld))
    assert event.raw_number == withheld


# --- keys across backups ---------------------------------------------------------------------------------


def test_newer_backup_keeps_the_keys_of_the_older_messages() -> None:
    older = parse("sbr-sms", (DEMO / "sms-20260817.xml").read_bytes())
    # A later backup: new backup_set, readable_date format, read flags and contact names, and new messages.
    newer_xml = (DEMO / "sms-20260817.xml").read_text(encoding="utf-8")
    newer_xml = newer_xml.replace('read="1"', 'read="0"').replace('sub_id="1"', 'sub_id="2"')
    newer_xml = newer_xml.replace("0f0e0d0c-1111-4222-8333-777788889999", "another-set")
    newer_xml = newer_xml.replace("2026年08月", "Aug ").replace(
        'contact_name="(Unknown)"', 'contact_name="催收"'
    )
    newer_xml = newer_xml.replace("</smses>", sms("1", date="1787000000000") + "\n</smses>")
    newer = parse("sbr-sms", newer_xml)
    assert len(newer) == len(older) + 1
    old_keys = [event_key(e, None) for e in older]
    new_keys = [event_key(e, None) for e in newer]
    assert new_keys[: len(old_keys)] == old_keys
    assert len(set(new_keys)) == len(new_keys)


# --- empty, garbage, hostile -----------------------------------------------------------------------------


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(BadInputError, match="refuses XML with entity declarations"):
        list(parse_export("sbr-sms", DATA / "billion_laughs.xml", TZ))


def test_external_entity_is_refused() -> None:
    with pytest.raises(BadInputError, match="refuses XML with entity declarations") as caught:
        list(parse_export("sbr-calls", DATA / "xxe.xml", TZ))
    assert not isinstance(caught.value, TruncatedInputError)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"\x00\xff\xfe garbage",
        b"<smses",
        b"not xml at all",
        HEAD.encode(),
        b"<smses><sms date=",
    ],
)
def test_empty_and_garbage_exports_are_bad_input(data: bytes) -> None:
    with pytest.raises(BadInputError) as caught:
        parse("sbr-sms", data)
    assert not isinstance(caught.value, TruncatedInputError)


def test_empty_but_valid_export_gives_no_events() -> None:
    assert parse("sbr-sms", HEAD + '<smses count="0" />') == []
    assert parse("sbr-calls", HEAD + '<calls count="0"></calls>') == []


def test_wrong_root_is_refused() -> None:
    with pytest.raises(BadInputError, match="not an SMS Backup & Restore call-log export"):
        parse("sbr-calls", smses(sms()))


@pytest.mark.parametrize(
    ("date", "reason"),
    [
        ("", "the record has no date"),
        ("null", "the record has no date"),
        ("abc", "the record's date is not a readable epoch time"),
        ("9" * 30, "the record's date is not a readable epoch time"),
        ("-" + "9" * 30, "the record's date is not a readable epoch time"),
    ],
)
def test_unreadable_date_skips_only_that_record(date: str, reason: str) -> None:
    before, skipped, after = parse_all("sbr-sms", smses(sms(body="前"), sms(date=date), sms(body="后")))
    assert skipped == SkippedRecord("line 4, column 1", reason)
    assert isinstance(before, ParsedEvent) and isinstance(after, ParsedEvent)
    assert (before.text, after.text, after.source_ref) == ("前", "后", "sms 3")


def test_p14_sbr_bad_date_skips_one_record() -> None:
    """42 messages, one with date="": 41 events and one SkippedRecord saying on which line it is."""
    records = [
        sms(date="" if i == 17 else str(1786454400000 + i * 60_000), body=f"第{i}条") for i in range(42)
    ]
    outputs = parse_all("sbr-sms", smses(*records))
    events = [o for o in outputs if isinstance(o, ParsedEvent)]
    assert len(outputs) == 42 and len(events) == 41
    assert outputs[17] == SkippedRecord("line 20, column 1", "the record has no date")
    assert [e.text for e in events] == [f"第{i}条" for i in range(42) if i != 17]


def test_sbr_calls_bad_date_skips_one_call() -> None:
    xml = calls("1", "3", "5").replace('date="1786402200000" type="3"', 'date="soon" type="3"')
    first, skipped, last = parse_all("sbr-calls", xml)
    assert skipped == SkippedRecord("line 4, column 1", "the record's date is not a readable epoch time")
    assert isinstance(first, ParsedEvent) and isinstance(last, ParsedEvent)
    assert (first.status, last.status, last.source_ref) == ("answered", "rejected", "call 3")


def test_mms_with_an_unreadable_date_is_skipped() -> None:
    mms = (
        '<mms date="x" msg_box="1" address="17155550001">'
        '<parts><part ct="text/plain" text="秘密" /></parts></mms>'
    )
    skipped, event = parse_all("sbr-sms", smses(mms, sms()))
    assert skipped == SkippedRecord("line 3, column 1", "the record's date is not a readable epoch time")
    assert isinstance(event, ParsedEvent)


def test_error_messages_carry_no_numbers_or_text() -> None:
    outputs: list[ParsedEvent | SkippedRecord] = []
    with pytest.raises(BadInputError) as caught:
        outputs.extend(
            parser_for("sbr-sms").parse(
                SealedStream(
                    smses(sms(date="x", address="17155550001", body="秘密")).replace("</smses>", "").encode()
                ),
                TZ,
            )
        )
    (skipped,) = outputs
    for message in (str(caught.value), skipped.position, skipped.reason):  # type: ignore[union-attr]
        assert "17155550001" not in message and "秘密" not in message


def test_runs_of_emoji_across_read_borders_are_repaired() -> None:
    # Surrogate pairs back to back: a read ending between two pairs used to hold back the low half
    # of the last complete pair with the next one, turning both of its halves into U+FFFD.
    body = "&#55357;&#56846;" * 20_000
    (event,) = parse("sbr-sms", smses(sms(body=body)))
    assert event.text == "\U0001f60e" * 20_000


# --- several recipients, UTF-16 files, private calls -----------------------------------------------------


@pytest.mark.parametrize("separator", ["~", ";", ",", " ~ "])
def test_sms_to_several_recipients_keeps_the_first_as_number(separator: str) -> None:
    address = separator.join(["13800138000", "13900139000", "13700137000"])
    (event,) = parse("sbr-sms", smses(sms("2", address=address)))
    assert event.raw_number == "13800138000"
    assert event.other_numbers == ("13900139000", "13700137000")


def test_sms_to_one_recipient_has_no_other_numbers() -> None:
    (event,) = parse("sbr-sms", smses(sms(address="+86 171 5555 0001")))
    assert (event.raw_number, event.other_numbers) == ("+86 171 5555 0001", ())


def utf16_export(encoding: str, bom: bytes, *bodies: str) -> bytes:
    xml = smses(*(sms(body=b, date=str(1786454400000 + i)) for i, b in enumerate(bodies)))
    return bom + xml.replace("encoding='UTF-8'", "encoding='UTF-16'").encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""), ("utf-16-be", b"")],
)
def test_utf16_export_is_read_whole_with_its_emoji(encoding: str, bom: bytes) -> None:
    data = utf16_export(encoding, bom, "好&#55357;&#56846;", "之后", "孤&#55357;独", "最后😎")
    events = parse("sbr-sms", data)
    assert [e.text for e in events] == ["好\U0001f60e", "之后", "孤\ufffd独", "最后\U0001f60e"]


def test_large_utf16_export_keeps_every_record_across_reads() -> None:
    # Real surrogate pairs and references at every position near the 64 KiB read borders.
    bodies = [f"第{i}条😎&#55357;&#56846;" + "x" * (i % 7) for i in range(3000)]
    events = parse("sbr-sms", utf16_export("utf-16-le", b"\xff\xfe", *bodies))
    assert len(events) == 3000
    assert [e.text for e in events] == [b.replace("&#55357;&#56846;", "\U0001f60e") for b in bodies]


def test_utf16_export_that_breaks_keeps_the_records_before() -> None:
    data = utf16_export("utf-16-le", b"\xff\xfe", "一", "二", "三")
    cut = data[: data.rindex("<sms".encode("utf-16-le"))] + '<sms address="1'.encode("utf-16-le")
    events: list[ParsedEvent] = []
    with pytest.raises(TruncatedInputError):
        events.extend(parser_for("sbr-sms").parse(SealedStream(cut), TZ))
    assert [e.text for e in events] == ["一", "二"]


def one_call(**attrs: str) -> str:
    base = {"number": "", "duration": "0", "date": "1786402200000", "type": "3"} | attrs
    return HEAD + "<calls>" + "<call " + " ".join(f'{k}="{v}"' for k, v in base.items()) + " /></calls>"


@pytest.mark.parametrize(
    ("attrs", "raw", "number_class"),
    [
        ({"presentation": "2"}, "-2", "withheld"),  # private number
        ({"presentation": "2", "number": "-1"}, "-2", "withheld"),
        ({"presentation": "2", "number": "null"}, "-2", "withheld"),
        ({"presentation": "3"}, None, "unknown"),  # the network gave no number
        ({"presentation": "4"}, "-3", "withheld"),  # payphone, as evidence.numbers classes "-3"
        ({"presentation": "1"}, None, "unknown"),
        ({"presentation": "2", "number": "17155550001"}, "17155550001", "virtual"),  # never replaced
    ],
)
def test_call_presentation(attrs: dict[str, str], raw: str | None, number_class: str) -> None:
    (event,) = parse("sbr-calls", one_call(**attrs))
    assert event.raw_number == raw
    assert parse_number(event.raw_number).number_class == number_class
