"""What a crafted export can make an importer do: time linear in the input, memory bounded, one bad
record skipped and reported instead of refusing the rest.

Streams are handed over as intake does: a seekable, read-only raw stream with no name and no file
descriptor, returning at most 64 KiB a read (as the decrypting reader of a sealed original does).
"""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from xml.parsers import expat
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.errors import BadInputError, TruncatedInputError
from evidence.importers import parser_for
from evidence.importers.limits import MAX_TEXT_CHARS
from evidence.importers.xml_records import MAX_TAG_BYTES, _ValueCutter
from evidence.records import ParsedEvent, SkippedRecord

TZ = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parents[1]
HEAD = b"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
GOOD = b'<sms address="17155550001" date="1786454400000" type="1" body="ok" />\n'


class SealedStream(io.RawIOBase):
    """Bytes as intake hands them to a parser: seekable, read-only, no `name`, no `fileno`, short reads."""

    def __init__(self, data: bytes, most: int = 1 << 16) -> None:
        self._data = memoryview(data)
        self._at = 0
        self._most = most

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        n = max(0, min(len(buffer), self._most, len(self._data) - self._at))
        buffer[:n] = self._data[self._at : self._at + n]
        self._at += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: len(self._data)}[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at


def read_all(export_format: str, data: bytes, most: int = 1 << 16) -> list[ParsedEvent | SkippedRecord]:
    return list(parser_for(export_format).parse(SealedStream(data, most), TZ))


def test_sealed_stream_is_not_a_file() -> None:
    stream = SealedStream(b"x")
    assert not hasattr(stream, "name")
    with pytest.raises(io.UnsupportedOperation):
        stream.fileno()


# --- time: linear in the size of one huge message ----------------------------------------------------------


def body_export(body_size: int) -> bytes:
    return (
        HEAD
        + b"<smses>\n"
        + GOOD
        + b'<sms address="17155550002" date="1786454400000" type="1" body="'
        + b"x" * body_size
        + b'" />\n'
        + GOOD
        + b"</smses>\n"
    )


def test_p15_sms_body_32mb_linear() -> None:
    data = body_export(32_000_000)
    started = time.process_time()
    outputs = read_all("sbr-sms", data)
    elapsed = time.process_time() - started
    # Before: expat re-scanned the unfinished body on every 64 KiB feed, ~15 s for 32 MB.
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    first, long, cut, last = outputs
    assert isinstance(long, ParsedEvent) and long.text == "x" * MAX_TEXT_CHARS
    assert long.raw_number == "17155550002"
    assert cut == SkippedRecord(
        "line 4, column 1",
        f"the text was cut at {MAX_TEXT_CHARS:,} characters (the sealed original keeps it whole)",
    )
    assert isinstance(first, ParsedEvent) and isinstance(last, ParsedEvent)


# --- memory: measured in a child process -------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import io, json, resource, sys, tracemalloc
    from zoneinfo import ZoneInfo
    from evidence.importers import parser_for

    class SealedFile(io.RawIOBase):  # a file seen only through readinto: no name, no descriptor
        def __init__(self, path):
            self._file = open(path, "rb", buffering=0)
        def readable(self):
            return True
        def readinto(self, buffer):
            return self._file.readinto(memoryview(buffer)[: 1 << 16])

    tracemalloc.start()  # pyexpat allocates expat's buffers through Python's allocator: counted too
    outputs, error = [], None
    try:
        for x in parser_for(sys.argv[2]).parse(SealedFile(sys.argv[1]), ZoneInfo("Asia/Shanghai")):
            text = getattr(x, "text", None) or ""
            outputs.append([type(x).__name__, getattr(x, "position", None), len(text)])
    except Exception as e:
        error = [type(e).__name__, str(e)]
    peak_mib = tracemalloc.get_traced_memory()[1] / (1 << 20)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"outputs": outputs, "error": error, "peak_mib": peak_mib, "rss_mib": rss_mib}))
    """
)


def parse_in_child(path: Path, export_format: str = "sbr-sms", timeout: float = 60) -> dict[str, object]:
    # Through a small launcher: a child forked straight from pytest inherits pytest's peak RSS
    # (Linux keeps the high-water mark across fork and exec), which would hide the child's own.
    launcher = (
        "import os, sys; pid = os.posix_spawn(sys.executable, [sys.executable, *sys.argv[1:]], os.environ); "
        "sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", launcher, "-c", CHILD, str(path), export_format],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def write_in_pieces(path: Path, head: bytes, piece: bytes, count: int, tail: bytes) -> None:
    with path.open("wb") as out:
        out.write(head)
        for _ in range(count):
            out.write(piece)
        out.write(tail)


def test_huge_body_bounded(tmp_path: Path) -> None:
    """A 200 MB message body (a 1.2 GB one never finished before): cut, reported, memory flat."""
    path = tmp_path / "sms-huge-body.xml"
    head = HEAD + b"<smses>\n" + GOOD + b'<sms address="1" date="1786454400000" type="1" body="'
    write_in_pieces(path, head, b"x" * (1 << 20), 200, b'" />\n' + GOOD + b"</smses>\n")
    try:
        result = parse_in_child(path)
    finally:
        path.unlink()
    assert result["error"] is None
    assert result["outputs"] == [
        ["ParsedEvent", None, 2],
        ["ParsedEvent", None, MAX_TEXT_CHARS],
        ["SkippedRecord", "line 4, column 1", 0],
        ["ParsedEvent", None, 2],
    ]
    assert isinstance(result["peak_mib"], float) and result["peak_mib"] < 48
    assert isinstance(result["rss_mib"], float) and result["rss_mib"] < 200


def test_huge_record_bounded(tmp_path: Path) -> None:
    """A 200 MB tag (many 3 MB attributes): the records before it, then a TruncatedInputError naming it."""
    path = tmp_path / "sms-huge-record.xml"
    with path.open("wb") as out:
        out.write(HEAD + b"<smses>\n" + GOOD + GOOD + b'<sms date="1786454400000"')
        value = b"y" * (3 << 20)
        for i in range(66):
            out.write(b' a%d="%s"' % (i, value))
        out.write(b" />\n" + GOOD + b"</smses>\n")
    try:
        result = parse_in_child(path)
    finally:
        path.unlink()
    assert result["outputs"] == [["ParsedEvent", None, 2], ["ParsedEvent", None, 2]]
    error = result["error"]
    assert isinstance(error, list) and error[0] == "TruncatedInputError"
    assert "line 5, column 1" in error[1] and f"larger than {MAX_TAG_BYTES >> 20} MiB" in error[1]
    assert "2 records before it were read" in error[1]
    assert isinstance(result["peak_mib"], float) and result["peak_mib"] < 6 * (MAX_TAG_BYTES >> 20)
    assert isinstance(result["rss_mib"], float) and result["rss_mib"] < 250


@pytest.mark.slow
def test_body_of_1_2_gb_bounded(tmp_path: Path) -> None:
    path = tmp_path / "sms-1.2gb-body.xml"
    head = HEAD + b"<smses>\n" + GOOD + b'<sms address="1" date="1786454400000" type="1" body="'
    write_in_pieces(path, head, b"x" * (1 << 20), 1200, b'" />\n' + GOOD + b"</smses>\n")
    try:
        result = parse_in_child(path, timeout=300)
    finally:
        path.unlink()
    assert result["error"] is None and len(result["outputs"]) == 4  # type: ignore[arg-type]
    assert isinstance(result["peak_mib"], float) and result["peak_mib"] < 48


# --- structural bounds -------------------------------------------------------------------------------------


def smses(*records: bytes) -> bytes:
    return HEAD + b"<smses>\n" + b"".join(records) + b"</smses>\n"


def test_deep_nesting_stops_after_the_records_before() -> None:
    deep = b'<sms date="1786454400000">' + b"<a>" * 1000 + b"</a>" * 1000 + b"</sms>\n"
    outputs: list[ParsedEvent | SkippedRecord] = []
    with pytest.raises(TruncatedInputError, match="nested more than") as caught:
        outputs.extend(parser_for("sbr-sms").parse(SealedStream(smses(GOOD, deep)), TZ))
    assert len(outputs) == caught.value.records_read == 1


def test_thousands_of_invented_names_stop() -> None:
    invented = b"".join(b'<x n%d="" />\n' % i for i in range(20_000))
    with pytest.raises(TruncatedInputError, match="distinct element or attribute names"):
        read_all("sbr-sms", smses(GOOD, invented))


def test_attribute_bomb_stops() -> None:
    bomb = b"<sms " + b" ".join(b'a%d=""' % i for i in range(150_000)) + b" />\n"
    with pytest.raises(TruncatedInputError, match="more than 100,000 attributes"):
        read_all("sbr-sms", smses(GOOD, bomb))


def test_huge_comment_stops() -> None:
    comment = b"<!--" + b"z" * (MAX_TAG_BYTES + (1 << 20)) + b"-->\n"
    with pytest.raises(TruncatedInputError, match="too large to read"):
        read_all("sbr-sms", smses(GOOD, comment, GOOD))


def test_record_holding_too_much_is_skipped_and_the_rest_read() -> None:
    part = b'<part ct="text/plain" text="%s" />' % (b"t" * 900_000)
    mms = b'<mms date="1786454400000" msg_box="1"><parts>' + part * 12 + b"</parts></mms>\n"
    outputs = read_all("sbr-sms", smses(GOOD, mms, GOOD))
    assert [type(o).__name__ for o in outputs] == ["ParsedEvent", "SkippedRecord", "ParsedEvent"]
    assert outputs[1] == SkippedRecord(
        "line 4, column 1", "the record holds more than 8,000,000 characters; it was skipped"
    )


def test_mms_attachment_payload_is_dropped_not_reported() -> None:
    data = b"QUFB" * 3_000_000  # a 12 MB base64 attachment: never read, never held
    mms = (
        b'<mms date="1786454400000" msg_box="1" address="17155550001"><parts>'
        b'<part ct="image/jpeg" data="' + data + b'" /><part ct="text/plain" text="hi" /></parts></mms>\n'
    )
    (event,) = read_all("sbr-sms", smses(mms))
    assert isinstance(event, ParsedEvent) and event.text == "[image/jpeg]\nhi"


def test_text_written_as_references_is_cut_and_reported() -> None:
    emoji = b"&#55357;&#56846;" * 450_000  # SBR's surrogate pairs: 9 bytes a character once repaired
    outputs = read_all("sbr-sms", smses(b'<sms date="1786454400000" body="' + emoji + b'" />\n', GOOD))
    event, cut, good = outputs
    assert isinstance(event, ParsedEvent) and event.text is not None
    assert set(event.text) == {"\U0001f60e"} and 400_000 < len(event.text) <= MAX_TEXT_CHARS
    assert isinstance(cut, SkippedRecord) and f"cut at {len(event.text):,} characters" in cut.reason
    assert isinstance(good, ParsedEvent)


def test_long_number_skips_the_record() -> None:
    record = b'<sms address="' + b"1" * 2_000_000 + b'" date="1786454400000" type="1" body="x" />\n'
    skipped, good = read_all("sbr-sms", smses(record, GOOD))
    assert skipped == SkippedRecord(
        "line 3, column 1", "a field other than the text is longer than 1,000,000 characters"
    )
    assert isinstance(good, ParsedEvent)


def test_doctype_is_refused_even_without_entities() -> None:
    with pytest.raises(BadInputError, match="DOCTYPE") as caught:
        read_all("sbr-sms", HEAD + b"<!DOCTYPE smses>\n<smses>" + GOOD + b"</smses>")
    assert not isinstance(caught.value, TruncatedInputError)


# --- the value cutter: exact for what an exporter writes, safe where it cuts --------------------------------

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


def exporter_xml(values: list[str]) -> bytes:
    """What an exporter writes: escaped attribute values, comments and a processing instruction between."""
    records = [
        f"<sms n={quoteattr(str(i))} body={quoteattr(v)} />\n<!-- a {i} --><?pi x?>"
        for i, v in enumerate(values)
    ]
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<smses>" + "".join(records) + "</smses>").encode()


def fed_in_pieces(cutter: _ValueCutter, data: bytes, cuts: list[int]) -> bytes:
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    pieces = [cutter.feed(data[a:b]) for a, b in itertools.pairwise(bounds)]
    return b"".join(pieces) + cutter.feed(b"", final=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, max_size=8), st.lists(st.integers(min_value=0), max_size=12))
def test_cutter_passes_exporter_xml_through_unchanged(values: list[str], cuts: list[int]) -> None:
    data = exporter_xml(values)
    cutter = _ValueCutter()
    assert fed_in_pieces(cutter, data, cuts) == data
    assert cutter.cuts == {}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"<",
                b">",
                b'"',
                b"'",
                b"<!--",
                b"-->",
                b"<![CDATA[",
                b"]]>",
                b"<?",
                b"?>",
                b"a=",
                b"\xe5\xa5",
                b"&#",
                b";",
                b"x",
            ]
        ),
        max_size=60,
    ),
    st.lists(st.integers(min_value=0), max_size=12),
)
def test_cutter_loses_no_byte_of_anything_shorter_than_its_bound(
    tokens: list[bytes], cuts: list[int]
) -> None:
    data = b"".join(tokens)
    assert fed_in_pieces(_ValueCutter(), data, cuts) == data


def parsed_bodies(data: bytes) -> list[tuple[int, str]]:
    bodies: list[tuple[int, str]] = []
    parser = expat.ParserCreate()

    def start(tag: str, attrib: dict[str, str]) -> None:
        if tag == "sms":
            bodies.append((parser.CurrentByteIndex, attrib["body"]))

    parser.StartElementHandler = start
    parser.Parse(data, True)
    return bodies


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.text(alphabet="a&<\"'é好😎\n", max_size=30), min_size=1, max_size=6),
    st.lists(st.integers(min_value=0), max_size=12),
    st.integers(min_value=0, max_value=24),
)
def test_cutter_cuts_only_between_characters_and_flags_every_cut(
    values: list[str], cuts: list[int], limit: int
) -> None:
    data = exporter_xml(values)
    cutter = _ValueCutter(max_value_bytes=limit)
    out = fed_in_pieces(cutter, data, cuts)
    bodies = parsed_bodies(out)  # well-formed: no character or reference was split
    assert [b for _, b in bodies] == [v[: len(b)] for v, (_, b) in zip(values, bodies, strict=True)]
    cut_tags = {offset for offset, values_cut in cutter.cuts.items() if 1 in values_cut}
    for value, (offset, body) in zip(values, bodies, strict=True):
        written = len(quoteattr(value).encode()) - 2
        assert (offset in cut_tags) == (written > limit)
        assert (body != value) <= (offset in cut_tags)


# --- one bad record among good ones ------------------------------------------------------------------------

BAD_DATES = ["", "null", "abc", "9" * 30, None]


@st.composite
def mixed_records(draw: st.DrawFn) -> list[str | None]:
    """Each record: a good one's unique body, or None for a bad one."""
    kinds = draw(st.lists(st.booleans(), max_size=40))
    return [f"第{i}条" if good else None for i, good in enumerate(kinds)]


@settings(max_examples=100, deadline=None)
@given(mixed_records(), st.data(), st.integers(min_value=1, max_value=4096))
def test_every_good_record_once_and_each_bad_one_reported(
    records: list[str | None], data: st.DataObject, most: int
) -> None:
    lines: list[bytes] = []
    for i, body in enumerate(records):
        if body is not None:
            lines.append(
                b'<sms address="1715555%04d" date="1786454400000" type="1" body="%s" />\n'
                % (i, body.encode())
            )
        else:
            date = data.draw(st.sampled_from(BAD_DATES))
            attr = b"" if date is None else b'date="%s" ' % date.encode()
            lines.append(
                b'<sms address="1715555%04d" %stype="1" body="%s" />\n' % (i, attr, f"秘密{i}".encode())
            )
    outputs = read_all("sbr-sms", smses(*lines), most)
    events = [o for o in outputs if isinstance(o, ParsedEvent)]
    skipped = [o for o in outputs if isinstance(o, SkippedRecord)]
    assert [e.text for e in events] == [b for b in records if b is not None]
    bad_lines = [i + 3 for i, b in enumerate(records) if b is None]  # line 3 holds the first record
    assert [s.position for s in skipped] == [f"line {n}, column 1" for n in bad_lines]
    for s in skipped:
        assert "秘密" not in s.reason and "171" not in s.reason


@settings(max_examples=100, deadline=None)
@given(mixed_records(), st.sampled_from(["", "明天", "2026-13-40 09:10", "共3条"]))
def test_every_good_row_once_and_each_bad_one_reported(records: list[str | None], bad_time: str) -> None:
    rows = ["号码,时间,内容"]
    for i, body in enumerate(records):
        if body is not None:
            rows.append(f"1715555{i:04d},2026-08-11 09:10,{body}")
        else:
            rows.append(f"1715555{i:04d},{bad_time},秘密{i}")
    outputs = read_all("csv", ("\n".join(rows) + "\n").encode())
    events = [o for o in outputs if isinstance(o, ParsedEvent)]
    skipped = [o for o in outputs if isinstance(o, SkippedRecord)]
    assert [e.text for e in events] == [b for b in records if b is not None]
    assert [s.position for s in skipped] == [f"row {i + 2}" for i, b in enumerate(records) if b is None]
    for s in skipped:
        assert "秘密" not in s.reason and "171" not in s.reason


def test_utf16_export_is_read_by_expat_alone() -> None:
    # In UTF-16, "丢" (U+4E22) holds the byte of '"': read as UTF-8 marks, the body would look
    # like a 6 MB value and be cut mid-character. The cutter leaves such a document to expat.
    body = "好" * 3_000_000 + "丢"
    xml = f'<smses><sms date="1786454400000" body="{body}" /></smses>'
    event, cut = read_all("sbr-sms", xml.encode("utf-16"))
    assert isinstance(event, ParsedEvent) and event.text == "好" * MAX_TEXT_CHARS
    assert isinstance(cut, SkippedRecord) and "cut at 1,000,000 characters" in cut.reason
