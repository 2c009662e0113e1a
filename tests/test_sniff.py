"""Tests for evidence.sniff: real formats from content, on the corpus, generated files and renamed files."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from evidence.sniff import KINDS, SBR_MEDIA_TYPE, Sniffed, sniff

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
HEAD = 64 * 1024

EXPECTED_CORPUS = {
    "demo/075512345678_20260814090000.m4a": Sniffed("audio", "audio/mp4"),
    "demo/通话录音@171 5555 0001(17155550001)_20260811091000.mp3": Sniffed("audio", "audio/mpeg"),
    "demo/Screenshot_2026-08-12-22-48-30-517_com.tencent.mm.jpg": Sniffed("image", "image/jpeg"),
    "demo/calls-20260817.xml": Sniffed("export", SBR_MEDIA_TYPE, "sbr-calls"),
    "demo/sms-20260817.xml": Sniffed("export", SBR_MEDIA_TYPE, "sbr-sms"),
    "demo/case.json": Sniffed("document", "application/json"),
    "public/sbr_calls_minimal__shruggietech.xml": Sniffed("export", SBR_MEDIA_TYPE, "sbr-calls"),
    "public/sbr_mms_minimal__shruggietech.xml": Sniffed("export", SBR_MEDIA_TYPE, "sbr-sms"),
    "public/sbr_sms_and_mms__devadvance_sms-backup-reader-2.xml": Sniffed(
        "export", SBR_MEDIA_TYPE, "sbr-sms"
    ),
    "public/sbr_sms_small__devadvance_sms-backup-reader-2.xml": Sniffed("export", SBR_MEDIA_TYPE, "sbr-sms"),
    "public/LICENSE__devadvance_sms-backup-reader-2.txt": Sniffed("document", "text/plain"),
    "README.md": Sniffed("document", "text/plain"),
}


def head_of(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(HEAD)


@pytest.mark.parametrize("relative", sorted(EXPECTED_CORPUS))
def test_corpus_files(relative: str) -> None:
    path = CORPUS / relative
    assert sniff(head_of(path), path.name) == EXPECTED_CORPUS[relative]


def test_every_corpus_file_is_covered() -> None:
    present = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()}
    assert present == set(EXPECTED_CORPUS)


@pytest.mark.parametrize("relative", sorted(EXPECTED_CORPUS))
def test_corpus_files_keep_their_type_under_a_misleading_name(relative: str) -> None:
    assert sniff(head_of(CORPUS / relative), "renamed.mp3") == EXPECTED_CORPUS[relative]


# --- generated media -----------------------------------------------------------------------------------
def wav_bytes(seconds: float = 0.1, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return buf.getvalue()


def image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(buf, fmt)
    return buf.getvalue()


def ftyp(major: bytes, *compatible: bytes, then: bytes = b"") -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + then


def hdlr(handler: bytes) -> bytes:
    payload = b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00" + handler + b"\x00" * 12 + b"name\x00"
    return struct.pack(">I", 8 + len(payload)) + b"hdlr" + payload


GENERATED = [
    (wav_bytes(), Sniffed("audio", "audio/wav")),
    (image_bytes("PNG"), Sniffed("image", "image/png")),
    (image_bytes("JPEG"), Sniffed("image", "image/jpeg")),
    (image_bytes("WEBP"), Sniffed("image", "image/webp")),
    (image_bytes("GIF"), Sniffed("image", "image/gif")),
    (b"#!AMR\n" + b"\x3c" + b"\x00" * 31, Sniffed("audio", "audio/amr")),
    (b"#!AMR-WB\n" + b"\x44" + b"\x00" * 60, Sniffed("audio", "audio/amr-wb")),
    (b"OggS\x00\x02" + b"\x00" * 40, Sniffed("audio", "audio/ogg")),
    (b"fLaC\x00\x00\x00\x22" + b"\x00" * 34, Sniffed("audio", "audio/flac")),
    (
        b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 100,
        Sniffed("audio", "audio/mpeg"),
    ),
    (b"\xff\xfb\x90\x64" + b"\x00" * 400, Sniffed("audio", "audio/mpeg")),  # MPEG-1 layer III, no tag
    (b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 40, Sniffed("audio", "audio/aac")),  # ADTS
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", Sniffed("document", "application/pdf")),
    (b"PK\x03\x04" + b"\x00" * 26, Sniffed("document", "application/zip")),
    (ftyp(b"M4A ", b"M4A ", b"isom", b"iso2"), Sniffed("audio", "audio/mp4")),
    (ftyp(b"M4B ", b"isom"), Sniffed("audio", "audio/mp4")),
    (ftyp(b"3gp4", b"isom", b"3gp4"), Sniffed("audio", "audio/3gpp")),
    (ftyp(b"3gp5", b"3gp5"), Sniffed("audio", "audio/3gpp")),
    (ftyp(b"3g2a", b"3g2a"), Sniffed("audio", "audio/3gpp")),
    (ftyp(b"3gp4", b"3gp4", then=hdlr(b"vide") + hdlr(b"soun")), Sniffed("video", "video/3gpp")),
    (ftyp(b"heic", b"mif1", b"heic"), Sniffed("image", "image/heic")),
    (ftyp(b"mif1", b"heic"), Sniffed("image", "image/heic")),
    (ftyp(b"avif", b"mif1", b"avif"), Sniffed("image", "image/avif")),
    (ftyp(b"isom", b"isom", b"avc1"), Sniffed("video", "video/mp4")),
    (ftyp(b"mp42", b"mp42", b"isom"), Sniffed("video", "video/mp4")),
    (ftyp(b"mp42", b"isom", then=hdlr(b"soun")), Sniffed("audio", "audio/mp4")),  # Android recorder AAC
    (ftyp(b"qt  "), Sniffed("video", "video/quicktime")),
    (
        b"SQLite format 3\x00"
        + b"\x00" * 84
        + b"CREATE TABLE handle (ROWID INTEGER)"
        + b"CREATE TABLE message (ROWID INTEGER, text TEXT)",
        Sniffed("export", "application/x-sqlite3", "ios-sms"),
    ),
    (
        b"SQLite format 3\x00" + b"\x00" * 84 + b'CREATE TABLE "ZCALLRECORD" (Z_PK INTEGER)',
        Sniffed("export", "application/x-sqlite3", "ios-calls"),
    ),
    (
        b"SQLite format 3\x00" + b"\x00" * 84 + b"CREATE TABLE message (id)",
        Sniffed("document", "application/x-sqlite3"),
    ),
    (b"", Sniffed("document", "application/octet-stream")),
    (bytes(range(256)) * 4, Sniffed("document", "application/octet-stream")),
]


@pytest.mark.parametrize(
    ("data", "expected"), GENERATED, ids=[e.media_type + str(i) for i, (_, e) in enumerate(GENERATED)]
)
def test_generated_files(data: bytes, expected: Sniffed) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize(("data", "expected"), GENERATED[:5])
def test_magic_beats_the_extension(data: bytes, expected: Sniffed) -> None:
    for misleading in ("evidence.mp3", "calls.xml", "log.csv", "shot.png", "x.m4a"):
        assert sniff(data, misleading) == expected


def test_png_named_mp3_is_a_png() -> None:
    assert sniff(image_bytes("PNG"), "录音.mp3") == Sniffed("image", "image/png")


def test_ambiguous_mp4_without_handlers_uses_the_name() -> None:
    box = ftyp(b"isom", b"isom", b"mp41")
    assert sniff(box, "rec.m4a") == Sniffed("audio", "audio/mp4")
    assert sniff(box, "clip.mp4") == Sniffed("video", "video/mp4")


# --- XML exports ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "export_format"),
    [
        ('<?xml version="1.0"?><smses count="0"/>', "sbr-sms"),
        ("<allsms count='1'><sms address='1'/></allsms>", "sbr-sms"),
        ('\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<calls count="0"></calls>', "sbr-calls"),
        (
            "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
            '<?xml-stylesheet type="text/xsl" href="calls.xsl"?>\n<!-- backup -->\n<calls count="1">',
            "sbr-calls",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE alllogs>\n<alllogs count="2"><log number="1"/>',
            "superbackup-calls",
        ),
    ],
)
def test_xml_exports_by_root_element(text: str, export_format: str) -> None:
    for encoding in ("utf-8", "utf-16"):
        got = sniff(text.encode(encoding), "backup.txt")
        assert (got.kind, got.export_format) == ("export", export_format)


def test_other_xml_is_a_document() -> None:
    assert sniff(b'<?xml version="1.0"?><plist version="1.0"/>') == Sniffed("document", "application/xml")
    assert sniff(b"<!DOCTYPE html><html><body>hi</body></html>") == Sniffed("document", "text/html")


def test_truncated_xml_head_still_names_the_root() -> None:
    big = (
        '<?xml version="1.0"?>\n<smses count="9999">' + '<sms address="10086" body="短信内容"/>' * 5000
    ).encode()
    assert sniff(big[:HEAD], "sms.xml").export_format == "sbr-sms"


# --- CSV -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("号码,时间,类型,时长\n17155550001,2026-08-11 09:10:00,来电,35\n", "utf-8"),
        ("联系人,对方号码,通话时间,通话时长\n", "gb18030"),
        ("\ufeffaddress,date,type,body\n10690000123,1786402200000,1,hi\n", "utf-8"),
        ("number\tdate\tduration\ttype\n", "utf-8"),
        ('"Number","Date","Duration"\n', "utf-8"),
    ],
)
def test_csv_exports_by_header(text: str, encoding: str) -> None:
    assert sniff(text.encode(encoding), "whatever.txt") == Sniffed("export", "text/csv", "csv")


def test_name_breaks_the_tie_between_table_and_text() -> None:
    data = b"a,b,c\n1,2,3\n"
    assert sniff(data, "table.csv") == Sniffed("document", "text/csv")
    assert sniff(data, "notes.txt") == Sniffed("document", "text/plain")


def test_plain_text() -> None:
    assert sniff("催收短信：今天不还款就上门。".encode(), "note") == Sniffed("document", "text/plain")


@given(st.binary(max_size=2048), st.text(max_size=40))
def test_arbitrary_bytes_never_raise(data: bytes, name: str) -> None:
    got = sniff(data, name)
    assert got.kind in KINDS
    assert "/" in got.media_type


@given(
    st.sampled_from(
        [b"RIFF", b"\x00\x00\x00\x18ftyp", b"SQLite format 3\x00", b"\xff\xfb", b"<?xml", b"\xef\xbb\xbf"]
    ),
    st.binary(max_size=512),
)
def test_magic_prefixes_with_garbage_never_raise(prefix: bytes, rest: bytes) -> None:
    assert sniff(prefix + rest).kind in KINDS
