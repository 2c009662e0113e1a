"""What a file really is, read from its first bytes: media type, kind, and which export format it holds.

Magic bytes decide; the file name is consulted only where the content is ambiguous (an MP4
container whose track handlers are not in the head; delimited text that is not a known export).

MP4-family files are told apart by their ``ftyp`` brands, kept simple on purpose:

* ``M4A `` / ``M4B `` / ``M4P `` / ``mp4a`` → audio/mp4;
* ``3gp*`` / ``3g2*`` → audio/3gpp, because phone recorders write audio-only 3GP; video/3gpp only
  when a video track handler (``hdlr … vide``) is visible in the head;
* ``heic`` / ``heix`` / ``mif1`` … → image/heic, ``avif`` → image/avif;
* anything else (isom, mp41, mp42, avc1 …) → video/mp4, unless the head shows a sound track and no
  video track, or (no handler visible) the name ends in an audio extension: Android's recorder
  writes AAC in ``isom``/``mp42`` containers.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

KINDS = ("audio", "image", "video", "export", "document")

SBR_MEDIA_TYPE = "application/vnd.smsbackuprestore+xml"


@dataclass(frozen=True, slots=True)
class Sniffed:
    """The kind of evidence a file holds, its real media type and, for exports, the importer to use."""

    kind: str
    media_type: str
    export_format: str | None = None


_OCTET = Sniffed("document", "application/octet-stream")

# Plain prefixes, checked in order.
_MAGIC: tuple[tuple[bytes, Sniffed], ...] = (
    (b"\xff\xd8\xff", Sniffed("image", "image/jpeg")),
    (b"\x89PNG\r\n\x1a\n", Sniffed("image", "image/png")),
    (b"GIF87a", Sniffed("image", "image/gif")),
    (b"GIF89a", Sniffed("image", "image/gif")),
    (b"#!AMR-WB\n", Sniffed("audio", "audio/amr-wb")),
    (b"#!AMR\n", Sniffed("audio", "audio/amr")),
    (b"OggS", Sniffed("audio", "audio/ogg")),
    (b"fLaC", Sniffed("audio", "audio/flac")),
    (b"ID3", Sniffed("audio", "audio/mpeg")),
    (b"#!SILK_V3", Sniffed("audio", "audio/silk")),  # WeChat voice messages
    (b"\x02#!SILK_V3", Sniffed("audio", "audio/silk")),
    (b"%PDF-", Sniffed("document", "application/pdf")),
    (b"\x1a\x45\xdf\xa3", Sniffed("video", "video/webm")),
)

_AUDIO_NAME = re.compile(r"\.(m4a|m4b|aac|mp4a|3gp|3ga|amr)$", re.IGNORECASE)


def _riff(head: bytes) -> Sniffed | None:
    form = head[8:12]
    if form == b"WAVE":
        return Sniffed("audio", "audio/wav")
    if form == b"WEBP":
        return Sniffed("image", "image/webp")
    if form == b"AVI ":
        return Sniffed("video", "video/x-msvideo")
    return None


def _ftyp_brands(head: bytes) -> list[bytes]:
    """Major brand then compatible brands of a leading ``ftyp`` box (empty when there is none)."""
    size = int.from_bytes(head[0:4], "big")
    if size < 16 or size > len(head):
        size = min(len(head), 64)
    body = head[8:size]
    brands = [body[0:4]] + [body[i : i + 4] for i in range(8, len(body) - 3, 4)]
    return [b for b in brands if len(b) == 4]


_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"mp4a", b"F4A ", b"F4B "}


def _handlers(head: bytes) -> set[bytes]:
    """Track handler types (``soun``, ``vide`` …) of ``hdlr`` boxes that happen to lie in the head."""
    return {head[i + 12 : i + 16] for i in (m.start() for m in re.finditer(rb"hdlr", head))}


def _mp4(head: bytes, name: str) -> Sniffed:
    brands = _ftyp_brands(head)
    major = brands[0] if brands else b""
    handlers = _handlers(head)
    if major == b"avif" or (b"avif" in brands and major not in _HEIF_BRANDS):
        return Sniffed("image", "image/avif")
    if major in _HEIF_BRANDS:
        return Sniffed("image", "image/heic")
    if major in _AUDIO_BRANDS:
        return Sniffed("audio", "audio/mp4")
    if major.startswith((b"3gp", b"3g2")):
        return Sniffed("video", "video/3gpp") if b"vide" in handlers else Sniffed("audio", "audio/3gpp")
    if major == b"qt  ":
        return Sniffed("video", "video/quicktime")
    if b"vide" in handlers:
        return Sniffed("video", "video/mp4")
    if b"soun" in handlers or _AUDIO_NAME.search(name):
        return Sniffed("audio", "audio/mp4")
    return Sniffed("video", "video/mp4")


# MPEG audio frame header: bitrate and sample-rate indexes must not be the reserved values.
def _mpeg_audio(head: bytes) -> Sniffed | None:
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    version, layer = (head[1] >> 3) & 0x3, (head[1] >> 1) & 0x3
    if version == 1:
        return None
    if layer == 0:
        # ADTS AAC: a raw .aac stream from a recorder.
        return Sniffed("audio", "audio/aac") if (head[2] >> 2) & 0xF < 13 else None
    if (head[2] >> 4) in (0, 15) or (head[2] >> 2) & 0x3 == 3:
        return None
    return Sniffed("audio", "audio/mpeg")


# --- text: XML exports and CSV ------------------------------------------------------------------------
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_XML_PROLOGUE = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)", re.DOTALL)
_ROOT = re.compile(r"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")

_XML_EXPORTS = {
    "smses": Sniffed("export", SBR_MEDIA_TYPE, "sbr-sms"),
    "allsms": Sniffed("export", SBR_MEDIA_TYPE, "sbr-sms"),
    "calls": Sniffed("export", SBR_MEDIA_TYPE, "sbr-calls"),
    "alllogs": Sniffed("export", "application/xml", "superbackup-calls"),
}

# Header cells of call-log and SMS exports (lower-cased, quotes stripped); Chinese exporters vary
# the wording around these words (对方号码, 通话时间 …), so they match as substrings.
_CSV_COLUMNS = {"number", "date", "type", "duration", "body", "address", "name", "phone", "time", "contact"}
_CSV_WORDS = ("号码", "时间", "类型", "时长", "内容", "联系人", "日期", "电话")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_head(head: bytes) -> str:
    """The head of a text file as text (BOM, UTF-8, GB18030), "" when it is not text."""
    return _decode_text(head) or ""


def _decode_text(head: bytes) -> str | None:
    """The head as text, or None when it is binary. A multibyte character cut at the end is allowed."""
    text = _decode(head)
    # gb18030 decodes almost any byte string: call it text only when control characters are rare.
    if text is None or len(_CONTROL.findall(text)) > len(text) // 100:
        return None
    return text


def _decode(head: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace")
    if head.startswith((b"<\x00", b"\x00<")):  # UTF-16 XML written without a byte-order mark
        return head.decode("utf-16-le" if head[0] else "utf-16-be", errors="replace")
    if b"\x00" in head:
        return None
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            return decoder.decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return None


def _xml(text: str) -> Sniffed | None:
    pos = 0
    while True:
        m = _XML_PROLOGUE.match(text, pos)
        if m is None:
            break
        pos = m.end()
    rest = text[pos:].lstrip()
    if not rest.startswith("<"):
        return None
    root = _ROOT.match(rest)
    if root is None:
        return None
    local = root.group(2)
    if local in _XML_EXPORTS:
        return _XML_EXPORTS[local]
    if local.lower() == "html":
        return Sniffed("document", "text/html")
    return Sniffed("document", "application/xml")


def _csv(text: str, name: str) -> Sniffed | None:
    lines = [line.strip("\r\ufeff") for line in text.split("\n")[:30]]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return None
    sample = "\n".join(lines)
    delimiter = max(("\t", ",", ";"), key=sample.count)
    table = [line.split(delimiter) for line in lines]
    # The header may sit under a statement's title rows (a carrier's 通话详单 has five).
    for cells in table:
        if len(cells) < 3:
            continue
        cells = [c.strip().strip("\"'").strip().lower() for c in cells]
        known = sum(1 for c in cells if c in _CSV_COLUMNS or any(word in c for word in _CSV_WORDS))
        if known >= 2:
            return Sniffed("export", "text/csv", "csv")
    # No header: rows of records still look like records (a time and a phone number in each).
    records = [cells for cells in table if len(cells) >= 3 and _looks_like_record(cells)]
    if len(records) >= max(1, len(table) // 2):
        return Sniffed("export", "text/csv", "csv")
    # A delimited table of unknown columns: the name decides between a table and plain text.
    if name.lower().endswith((".csv", ".tsv")) and len(table[0]) >= 2:
        return Sniffed("document", "text/csv")
    return None


_TIME_CELL = re.compile(
    r"\s*\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}.*|\s*\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}.*"
)
# A phone number as a record's cell holds it: a mainland mobile or landline, or an international
# number. Short service codes are left out on purpose: a 5- or 6-digit cell is as often an amount.
_PHONE_CELL = re.compile(
    r"\s*\"?(?:\+?86[ \-]?)?(?:1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}|0\d{2,3}[ \-]?\d{7,8})\"?\s*|\s*\+\d{8,15}\s*"
)


def looks_like_phone_number(cell: str) -> bool:
    """Whether a table cell is plainly a phone number (see `_PHONE_CELL`)."""
    return _PHONE_CELL.fullmatch(cell) is not None


def _looks_like_record(cells: list[str]) -> bool:
    return any(_TIME_CELL.fullmatch(c) for c in cells) and any(_PHONE_CELL.fullmatch(c) for c in cells)


# vCard-like message backups (OPPO, vivo, ZTE, Huawei and others write .vmsg).
_VMSG = re.compile(r"\s*BEGIN:VMSG\b", re.IGNORECASE)

_XLSX = Sniffed("export", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")

# Compound File Binary (OLE2): legacy Excel .xls, but also Word .doc and a password-protected .xlsx.
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _cfb(head: bytes) -> Sniffed:
    # Directory entries are UTF-16 names; the directory is usually within the head of a small file.
    if "EncryptedPackage".encode("utf-16-le") in head:
        return _XLSX  # a password-protected workbook: its importer says how to open it
    if "WordDocument".encode("utf-16-le") in head or "PowerPoint".encode("utf-16-le") in head:
        return Sniffed("document", "application/x-ole-storage")
    return Sniffed("export", "application/vnd.ms-excel", "xls")


def _zip(head: bytes) -> Sniffed:
    # Member names are in the local headers of the first members: an Excel or WPS workbook has
    # xl/ parts (xl/workbook.xml …) among its first ones, a Word or PowerPoint file word/ or ppt/.
    if b"xl/" in head and b"word/" not in head and b"ppt/" not in head:
        return _XLSX
    return Sniffed("document", "application/zip")  # SMS Backup & Restore Pro wraps backups in ZIP


def _sqlite(head: bytes) -> Sniffed:
    # The schema (sqlite_master) lives on the first page(s), so table names show up in the head.
    lowered = head.lower()
    if re.search(rb"create table [\"'`\[]?zcallrecord\b", lowered):
        return Sniffed("export", "application/x-sqlite3", "ios-calls")
    has_message = re.search(rb"create table [\"'`\[]?message\b", lowered)
    has_handle = re.search(rb"create table [\"'`\[]?handle\b", lowered)
    if has_message and has_handle:
        return Sniffed("export", "application/x-sqlite3", "ios-sms")
    return Sniffed("document", "application/x-sqlite3")


def sniff(head: bytes, name: str = "") -> Sniffed:
    """Tell what a file is from its first bytes (64 KiB is plenty); `name` only breaks ties. Never raises."""
    if not head:
        return _OCTET
    for magic, found in _MAGIC:
        if head.startswith(magic):
            return found
    if head.startswith(b"RIFF"):
        riff = _riff(head)
        if riff is not None:
            return riff
    if head[4:8] == b"ftyp":
        return _mp4(head, name)
    if head.startswith(b"SQLite format 3\x00"):
        return _sqlite(head)
    if head.startswith(_CFB):
        return _cfb(head)
    if head.startswith(b"PK\x03\x04"):
        return _zip(head)
    # A byte-order mark is text (Excel's "Unicode text" is UTF-16 LE): FF FE must never be read as
    # the frame sync of an MP3, which it also is.
    if head.startswith(tuple(bom for bom, _ in _BOMS)):
        return _text(head, name)
    mpeg = _mpeg_audio(head)
    if mpeg is not None:
        return mpeg
    return _text(head, name)


def _text(head: bytes, name: str) -> Sniffed:
    text = _decode_text(head)
    if text is None:
        return _OCTET
    if not text.strip():
        return Sniffed("document", "text/plain")
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        xml = _xml(text.lstrip("\ufeff"))
        if xml is not None:
            return xml
    if _VMSG.match(text.lstrip("\ufeff")):
        return Sniffed("export", "text/x-vmsg", "vmsg")
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        return Sniffed("document", "application/json")
    table = _csv(text.lstrip("\ufeff"), name)
    if table is not None:
        return table
    return Sniffed("document", "text/plain")
