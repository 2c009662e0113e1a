"""The age v1 file format (C2SP age.md, "age-encryption.org/v1") on `cryptography` primitives.

Layout of a file, as this module writes and reads it:

    age-encryption.org/v1\\n
    -> X25519 <base64 ephemeral share>\\n        (or: -> scrypt <base64 16-byte salt> <log2 N>\\n)
    <base64 wrapped file key, 64 columns>\\n
    [-> locker-padding <1-2 chars>\\n           (optional: see `padded_length`)
     <base64 random bytes, 64 columns, the last line shorter, possibly empty>\\n]
    --- <base64 HMAC-SHA-256 of everything above, up to and including "---">\\n
    <16-byte payload nonce><STREAM chunks>

* file key: 16 random bytes per file; header MAC key = HKDF-SHA-256(file key, "", "header").
* payload key = HKDF-SHA-256(file key, nonce, "payload"); the plaintext is cut into 64 KiB
  chunks, each sealed with ChaCha20-Poly1305 under the nonce 11-byte big-endian counter ||
  last-chunk flag (0x01 on the final chunk), so truncation, reordering and extension fail.
  Only an empty file has an empty final chunk; a file of k * 64 KiB ends with a full chunk
  marked last. A sealed chunk is 64 KiB + 16 bytes of tag, so chunk i starts at a fixed offset
  and `open_reader` decrypts any one of them alone.
* X25519 stanza: wrap key = HKDF-SHA-256(X25519(eph, recipient), eph share || recipient,
  "age-encryption.org/v1/X25519"); body = ChaCha20-Poly1305(wrap key, zero nonce, file key).
* scrypt stanza: wrap key = scrypt(passphrase, "age-encryption.org/v1/scrypt" || salt,
  N = 2^logN, r = 8, p = 1); it must be the only stanza in the header. scrypt needs
  128 * r * N bytes of memory: 256 MiB at logN 18, 4 GiB at logN 22.
* padding stanza: a type no age implementation knows, so every reader skips it (the spec says
  unknown stanzas are ignored); its random body only sets the file's length. It is covered by
  the header MAC like any stanza.

Base64 is the standard alphabet without padding and must be canonical. Every integrity
failure raises a named `AgeError` subclass; plaintext is only released chunk by chunk after
its tag has been checked, so a failure part way releases exactly the authenticated prefix.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import hmac
import io
import os
import re
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
VERSION_LINE = b"age-encryption.org/v1"
X25519_LABEL = b"age-encryption.org/v1/X25519"
SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
NONCE_SIZE = 16
PAD_STEP_LIMIT = 1 << 20  # bytes: the coarsest rounding `padded_length` uses, so padding stays < 1 MiB
PADDING_STANZA_TYPE = b"locker-padding"
# A header is a few hundred bytes, plus up to PAD_STEP_LIMIT of padding stanza: 4 KiB of headroom
# covers the recipient stanza, the MAC line and the padding stanza's minimum; past that we refuse
# to buffer unbounded input.
MAX_HEADER = PAD_STEP_LIMIT + 4096
MAX_STANZAS = 1000
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_END = b"-----END AGE ENCRYPTED FILE-----"
_ZERO_NONCE = bytes(12)
_ARG = re.compile(rb"^[\x21-\x7e]+$")


class AgeError(Exception):
    """Base of every failure to read an age file."""


class AgeHeaderError(AgeError):
    """The header is malformed (or a stanza of a type we read is)."""


class AgeHMACError(AgeError):
    """The header MAC does not verify: the header was altered."""


class AgePayloadError(AgeError):
    """The payload is truncated, extended, reordered or altered."""


class AgeNoMatchError(AgeError):
    """None of the identities (passphrase, key) opens this file."""


class AgeArmorError(AgeError):
    """The ASCII armor is malformed."""


class AgeScryptMemoryError(AgeError):
    """scrypt at this work factor needs more memory than this process can have."""


# --- encodings ---------------------------------------------------------------------------------


def b64encode(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def b64decode(text: bytes, error: type[AgeError] = AgeHeaderError) -> bytes:
    """Strict, canonical, unpadded standard base64 (the spec rejects any other spelling)."""
    if b"=" in text or len(text) % 4 == 1:
        raise error("invalid base64")
    try:
        data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except binascii.Error as e:
        raise error("invalid base64") from e
    if b64encode(data) != text:
        raise error("non-canonical base64")
    return data


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: Sequence[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: Sequence[int], frm: int, to: int, pad: bool) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    for v in data:
        acc = (acc << frm) | v
        bits += frm
        while bits >= to:
            bits -= to
            out.append((acc >> bits) & ((1 << to) - 1))
    if pad and bits:
        out.append((acc << (to - bits)) & ((1 << to) - 1))
    elif not pad and (bits >= frm or (acc << (to - bits)) & ((1 << to) - 1)):
        raise ValueError("invalid bech32 padding")
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    words = _convert(data, 8, 5, True)
    chk = _polymod([*_hrp_expand(hrp), *words, 0, 0, 0, 0, 0, 0]) ^ 1
    words += [(chk >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[w] for w in words)


def bech32_decode(text: str) -> tuple[str, bytes]:
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed-case bech32")
    s = text.lower()
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s):
        raise ValueError("invalid bech32")
    hrp, rest = s[:pos], s[pos + 1 :]
    try:
        words = [_BECH32.index(c) for c in rest]
    except ValueError as e:
        raise ValueError("invalid bech32 character") from e
    if _polymod([*_hrp_expand(hrp), *words]) != 1:
        raise ValueError("invalid bech32 checksum")
    return hrp, bytes(_convert(words[:-6], 5, 8, False))


def _hkdf(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


# --- keys --------------------------------------------------------------------------------------


class X25519Recipient:
    def __init__(self, public: bytes) -> None:
        if len(public) != 32:
            raise ValueError("an X25519 recipient is 32 bytes")
        self.public = public

    @classmethod
    def parse(cls, text: str) -> X25519Recipient:
        try:
            hrp, data = bech32_decode(text.strip())
        except ValueError as e:
            raise AgeError("not an age recipient") from e
        if hrp != "age" or len(data) != 32:
            raise AgeError("not an age recipient")
        return cls(data)

    def encode(self) -> str:
        return bech32_encode("age", self.public)

    def wrap(self, file_key: bytes) -> tuple[list[bytes], bytes]:
        eph = X25519PrivateKey.generate()
        share = eph.public_key().public_bytes_raw()
        secret = eph.exchange(X25519PublicKey.from_public_bytes(self.public))
        key = _hkdf(secret, share + self.public, X25519_LABEL)
        return [b"X25519", b64encode(share)], ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None)


class X25519Identity:
    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise ValueError("an X25519 identity is 32 bytes")
        self._key = X25519PrivateKey.from_private_bytes(secret)
        self._secret = secret

    def __repr__(self) -> str:  # never show the secret
        return "X25519Identity(<secret>)"

    @classmethod
    def generate(cls) -> X25519Identity:
        return cls(os.urandom(32))

    @classmethod
    def parse(cls, text: str) -> X25519Identity:
        try:
            hrp, data = bech32_decode(text.strip())
        except ValueError as e:
            raise AgeError("not an age identity") from e
        if hrp != "age-secret-key-" or len(data) != 32:
            raise AgeError("not an age identity")
        return cls(data)

    def encode(self) -> str:
        return bech32_encode("age-secret-key-", self._secret).upper()

    @property
    def recipient(self) -> X25519Recipient:
        return X25519Recipient(self._key.public_key().public_bytes_raw())

    def unwrap(self, stanzas: Sequence[_Stanza]) -> bytes | None:
        public = self.recipient.public
        for st in stanzas:
            if not st.args or st.args[0] != b"X25519":
                continue
            if len(st.args) != 2:
                raise AgeHeaderError("malformed X25519 stanza")
            share = b64decode(st.args[1])
            if len(share) != 32 or len(st.body) != 32:
                raise AgeHeaderError("malformed X25519 stanza")
            try:
                secret = self._key.exchange(X25519PublicKey.from_public_bytes(share))
            except ValueError as e:  # all-zero shared secret (a low-order point)
                raise AgeHeaderError("X25519 share is a low-order point") from e
            if secret == bytes(32):
                raise AgeHeaderError("X25519 share is a low-order point")
            key = _hkdf(secret, share + public, X25519_LABEL)
            try:
                return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, st.body, None)
            except InvalidTag:
                continue
        return None


class ScryptRecipient:
    def __init__(self, passphrase: str, log_n: int = 18) -> None:
        self._passphrase = passphrase.encode("utf-8")
        self.log_n = log_n

    def __repr__(self) -> str:
        return f"ScryptRecipient(<passphrase>, log_n={self.log_n})"

    def wrap(self, file_key: bytes) -> tuple[list[bytes], bytes]:
        salt = os.urandom(16)
        key = _scrypt(self._passphrase, salt, self.log_n)
        body = ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None)
        return [b"scrypt", b64encode(salt), str(self.log_n).encode()], body


class ScryptIdentity:
    def __init__(self, passphrase: str, max_log_n: int = 22) -> None:
        self._passphrase = passphrase.encode("utf-8")
        self.max_log_n = max_log_n

    def __repr__(self) -> str:
        return f"ScryptIdentity(<passphrase>, max_log_n={self.max_log_n})"

    def unwrap(self, stanzas: Sequence[_Stanza]) -> bytes | None:
        ours = [st for st in stanzas if st.args and st.args[0] == b"scrypt"]
        if not ours:
            return None
        if len(stanzas) != 1:
            raise AgeHeaderError("an scrypt stanza must be the only stanza")
        st = ours[0]
        if len(st.args) != 3 or len(st.body) != 32:
            raise AgeHeaderError("malformed scrypt stanza")
        salt = b64decode(st.args[1])
        if len(salt) != 16 or not re.fullmatch(rb"[1-9][0-9]*", st.args[2]):
            raise AgeHeaderError("malformed scrypt stanza")
        log_n = int(st.args[2])
        if log_n > self.max_log_n:
            raise AgeHeaderError(f"scrypt work factor 2^{log_n} is above the limit 2^{self.max_log_n}")
        key = _scrypt(self._passphrase, salt, log_n)
        try:
            return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, st.body, None)
        except InvalidTag:
            return None


def _scrypt(passphrase: bytes, salt: bytes, log_n: int) -> bytes:
    """scrypt with age's r = 8, p = 1; needs 2^(log_n + 10) bytes of memory (2 GiB at 21)."""
    # Not hashlib.scrypt: CPython passes its `maxmem` to OpenSSL as a C int, so it refuses any
    # limit of 2 GiB or more and log_n >= 21 failed with a ValueError before doing any work.
    # cryptography's Scrypt sets no such limit and reports a failed allocation as MemoryError.
    kdf = Scrypt(salt=SCRYPT_LABEL + salt, length=32, n=1 << log_n, r=8, p=1)
    try:
        return kdf.derive(passphrase)
    except MemoryError as e:
        raise AgeScryptMemoryError(
            f"scrypt work factor 2^{log_n} needs {1 << max(log_n - 10, 0)} MiB of memory, "
            "which this process cannot have: free memory or choose a lower work factor"
        ) from e


def calibrate_scrypt_log_n(target_seconds: float = 1.0, floor: int = 15, ceiling: int = 20) -> int:
    """The largest log2 N whose scrypt takes about `target_seconds` here (time 2^14, extrapolate)."""
    t = time.perf_counter()
    _scrypt(b"calibration", bytes(16), 14)
    per = max(time.perf_counter() - t, 1e-6)
    log_n = 14
    while log_n < ceiling and per * 2 ** (log_n + 1 - 14) <= target_seconds * 1.4:
        log_n += 1
    return max(floor, min(ceiling, log_n))


Recipient = X25519Recipient | ScryptRecipient
Identity = X25519Identity | ScryptIdentity


# --- header ------------------------------------------------------------------------------------


class _Stanza:
    __slots__ = ("args", "body")

    def __init__(self, args: list[bytes], body: bytes) -> None:
        self.args, self.body = args, body


def _stanza_lines(args: Sequence[bytes], body: bytes) -> bytes:
    text = b64encode(body)
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    if not lines or len(lines[-1]) == 64:
        lines.append(b"")  # the body always ends with a line shorter than 64 columns
    return b"-> " + b" ".join(args) + b"\n" + b"".join(line + b"\n" for line in lines)


_MAC_LINE_SIZE = len(b"--- ") + len(b64encode(bytes(32))) + len(b"\n")


def _header_bytes(stanzas: Sequence[bytes], file_key: bytes) -> bytes:
    head = VERSION_LINE + b"\n" + b"".join(stanzas) + b"---"
    mac = hmac.new(_hkdf(file_key, b"", b"header"), head, hashlib.sha256).digest()
    return head + b" " + b64encode(mac) + b"\n"


def _header_size(stanzas: Sequence[bytes]) -> int:
    """The length `_header_bytes` will give, known before the MAC is."""
    return len(VERSION_LINE) + 1 + sum(map(len, stanzas)) + _MAC_LINE_SIZE


def _sealed_payload_size(plaintext_size: int) -> int:
    """Nonce and STREAM chunks for `plaintext_size` bytes (an empty file still has one chunk)."""
    chunks = max(1, -(-plaintext_size // CHUNK_SIZE))
    return NONCE_SIZE + plaintext_size + chunks * TAG_SIZE


# --- padding -----------------------------------------------------------------------------------

# The padding stanza is "-> locker-padding A\n" then its body lines; the argument (one or two
# characters) absorbs the single bytes that base64 line lengths cannot.
_PAD_FIXED = len(b"-> ") + len(PADDING_STANZA_TYPE) + len(b" ") + len(b"\n")
MIN_PADDING = _PAD_FIXED + 1 + 1  # a one-character argument and an empty body line


def padded_length(total: int) -> int:
    """The length of a padded age file whose length without padding would be `total` bytes.

    Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication
    with PURBs", PETS 2019) with its rounding step capped at `PAD_STEP_LIMIT` (1 MiB). For the
    length L = total + MIN_PADDING (the smallest padding stanza always fits), E = floor(log2 L)
    and S = floor(log2 E) + 1: Padmé keeps the top S bits of L and rounds the lower E - S bits
    up, i.e. rounds L up to a multiple of 2^(E - S). That step is capped at 1 MiB, which only
    changes files of 64 MiB and more (where Padmé would round to 2 MiB or coarser); they are
    rounded up to the next multiple of 1 MiB instead, so the header never exceeds 1 MiB + 4 KiB.

    Examples: 200 -> 224, 1,000 -> 1,024, 100,000 -> 100,352, 1,000,000 -> 1,015,808,
    10,000,000 -> 10,223,616, 100,000,000 -> 100,663,296 (all in bytes).

    Leak: Padmé's length tells E and the top S bits of L, O(log log L) bits, where the exact
    length tells O(log L); files in one bucket cannot be told apart by length, so a stranger
    holding a known file cannot find it by size unless its bucket is sparse. The 1 MiB cap leaks
    more above 64 MiB: about log2(L / 1 MiB) bits (2^(E - 20) buckets per doubling instead of
    2^S), the price of keeping headers small.

    Overhead: the rounding adds at most 2^(E - S) - 1 bytes, under 2^-S of the file: 12.5 %
    below 256 bytes, 6.25 % below 64 KiB, 3.125 % below 64 MiB, then at most 1 MiB (1.6 % at
    64 MiB, less above); plus the MIN_PADDING (21) bytes of the smallest stanza.
    """
    if total < 0:
        raise ValueError("a length is not negative")
    length = total + MIN_PADDING
    e = length.bit_length() - 1  # floor(log2 L)
    s = e.bit_length()  # floor(log2 E) + 1
    step = min(1 << max(e - s, 0), PAD_STEP_LIMIT)
    return -(-length // step) * step


def _body_lines_size(columns: int) -> int:
    """Bytes that `columns` base64 characters take as stanza body lines: full 64-column lines,
    then a shorter final line (empty when `columns` is a multiple of 64), each ending in LF."""
    return columns + columns // 64 + 1


def _padding_stanza(size: int) -> bytes:
    """A stanza of exactly `size` bytes (at least MIN_PADDING) that no identity reads."""
    room = size - _PAD_FIXED - 1  # left for the body lines once the argument has one character
    # The longest base64 body that fits. Base64 is never 1 mod 4 characters long and the body
    # lines grow by two bytes at each 64th column, so the largest fitting body leaves room for
    # one or two characters of argument.
    columns = room * 64 // 65 + 2
    while columns % 4 == 1 or _body_lines_size(columns) > room:
        columns -= 1
    arg_size = size - _PAD_FIXED - _body_lines_size(columns)
    arg = b64encode(os.urandom(arg_size))[:arg_size]
    return _stanza_lines([PADDING_STANZA_TYPE, arg], os.urandom(columns * 3 // 4))


def _read_line(src: BinaryIO, budget: list[int]) -> bytes:
    line = src.readline(budget[0] + 1)
    budget[0] -= len(line)
    if budget[0] < 0:
        raise AgeHeaderError("header too long")
    if not line.endswith(b"\n"):
        raise AgeHeaderError("header ends early")
    return line[:-1]


def _parse_header(src: BinaryIO) -> tuple[list[_Stanza], bytes, bytes]:
    """Read the header; returns (stanzas, the MAC'd bytes up to '---', the MAC)."""
    budget = [MAX_HEADER]
    version = _read_line(src, budget)
    if version != VERSION_LINE:
        raise AgeHeaderError("not an age v1 file")
    raw = [version + b"\n"]
    stanzas: list[_Stanza] = []
    line = _read_line(src, budget)
    while line.startswith(b"-> "):
        raw.append(line + b"\n")
        args = line[3:].split(b" ")
        if not args or not all(_ARG.match(a) for a in args):
            raise AgeHeaderError("malformed stanza arguments")
        body_lines: list[bytes] = []  # a list, not +=: a padding body has ~16,000 lines
        while True:
            body_line = _read_line(src, budget)
            raw.append(body_line + b"\n")
            if len(body_line) > 64:
                raise AgeHeaderError("stanza body line too long")
            body_lines.append(body_line)
            if len(body_line) < 64:
                break
        stanzas.append(_Stanza(args, b64decode(b"".join(body_lines))))
        if len(stanzas) > MAX_STANZAS:
            raise AgeHeaderError("too many stanzas")
        line = _read_line(src, budget)
    if not stanzas:
        raise AgeHeaderError("no recipient stanzas")
    if not line.startswith(b"--- "):
        raise AgeHeaderError("malformed header end")
    mac = b64decode(line[4:])
    if len(mac) != 32:
        raise AgeHeaderError("malformed header MAC")
    return stanzas, b"".join(raw) + b"---", mac


# --- writing -----------------------------------------------------------------------------------


class AgeWriter:
    """Encrypts a stream to one recipient in bounded memory (one 64 KiB chunk is held back so
    the final chunk can carry the last-chunk flag).

    `pad_to_plaintext_size`: the plaintext's expected size; when given, the header carries a
    padding stanza sized so the whole file is `padded_length(...)` bytes long, and a stranger
    cannot tell which known file of that bucket it holds. If the plaintext written turns out to
    have another size (a file that changed while it was read), the file is still a valid age
    file of that plaintext; only its length is then not a bucket. X25519 recipients only: an
    scrypt stanza must be alone in its header.
    """

    def __init__(
        self, dst: BinaryIO, recipient: Recipient, *, pad_to_plaintext_size: int | None = None
    ) -> None:
        if pad_to_plaintext_size is not None:
            if isinstance(recipient, ScryptRecipient):
                raise ValueError("padding needs an X25519 recipient: an scrypt stanza must be alone")
            if pad_to_plaintext_size < 0:
                raise ValueError("pad_to_plaintext_size is not negative")
        self._dst = dst
        file_key = os.urandom(16)
        stanzas = [_stanza_lines(*recipient.wrap(file_key))]
        if pad_to_plaintext_size is not None:
            unpadded = _header_size(stanzas) + _sealed_payload_size(pad_to_plaintext_size)
            stanzas.append(_padding_stanza(padded_length(unpadded) - unpadded))
        dst.write(_header_bytes(stanzas, file_key))
        nonce = os.urandom(NONCE_SIZE)
        dst.write(nonce)
        self._aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
        self._buf = bytearray()
        self._counter = 0
        self._closed = False

    def _seal(self, chunk: bytes | memoryview, last: bool) -> None:
        nonce = self._counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        self._dst.write(self._aead.encrypt(nonce, chunk, None))
        self._counter += 1

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise ValueError("write to a closed AgeWriter")
        self._buf += data
        full = (len(self._buf) - 1) // CHUNK_SIZE  # keep at least one byte back for the final chunk
        if full > 0:
            view = memoryview(self._buf)
            for i in range(full):
                self._seal(view[i * CHUNK_SIZE : (i + 1) * CHUNK_SIZE], last=False)
            view.release()
            del self._buf[: full * CHUNK_SIZE]

    def close(self) -> None:
        if not self._closed:
            self._seal(bytes(self._buf), last=True)
            self._buf = bytearray()
            self._closed = True

    def __enter__(self) -> AgeWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.close()


def encrypt_bytes(data: bytes, recipient: Recipient) -> bytes:
    out = io.BytesIO()
    with AgeWriter(out, recipient) as w:
        w.write(data)
    return out.getvalue()


# --- reading -----------------------------------------------------------------------------------


def _dearmor(data: bytes) -> bytes:
    """Strict ASCII armor: BEGIN line, 64-column base64 lines (the last shorter, not empty), END
    line; LF or CRLF line ends; whitespace allowed only around the whole block."""
    text = data.strip(b" \t\r\n")
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in text.split(b"\n")]
    if len(lines) < 2 or lines[0] != ARMOR_BEGIN or lines[-1] != ARMOR_END:
        raise AgeArmorError("malformed armor")
    body = lines[1:-1]
    for i, ln in enumerate(body):
        if not ln or len(ln) > 64 or (i < len(body) - 1 and len(ln) != 64):
            raise AgeArmorError("malformed armor line")
    try:
        decoded = base64.b64decode(b"".join(body), validate=True)
    except binascii.Error as e:
        raise AgeArmorError("malformed armor base64") from e
    if base64.b64encode(decoded) != b"".join(body):
        raise AgeArmorError("non-canonical armor base64")
    return decoded


def decrypt_chunks(
    src: BinaryIO, identities: Sequence[Identity], armored: bool | None = None
) -> Iterator[bytes]:
    """Yield the plaintext chunk by chunk, each authenticated; raise an AgeError on any failure.

    `armored`: True for ASCII-armored input, False for binary, None to tell by the first bytes.
    """
    if armored is None:
        start = src.read(len(ARMOR_BEGIN) + 64)
        armored = start.lstrip(b" \t\r\n").startswith(ARMOR_BEGIN[:10])
        src = cast(BinaryIO, _Prefixed(start, src))
    if armored:
        data = src.read(MAX_HEADER * 64 + 1)
        if len(data) > MAX_HEADER * 64:
            raise AgeArmorError("armored file too large: use the binary format")
        src = io.BytesIO(_dearmor(data))
    yield from _payload(_open_payload(src, identities), src)


def _open_payload(src: BinaryIO, identities: Sequence[Identity]) -> ChaCha20Poly1305:
    """Read the header and the payload nonce, unwrap the file key, check the header MAC; return
    the payload's AEAD with `src` left at the first sealed chunk."""
    stanzas, head, mac = _parse_header(src)
    file_key = None
    for identity in identities:
        file_key = identity.unwrap(stanzas)
        if file_key is not None:
            break
    if file_key is None:
        raise AgeNoMatchError("no identity matches")
    if len(file_key) != 16:
        raise AgeHeaderError("wrapped file key has the wrong length")
    expected = hmac.new(_hkdf(file_key, b"", b"header"), head, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise AgeHMACError("header MAC does not verify")
    nonce = src.read(NONCE_SIZE)
    if len(nonce) != NONCE_SIZE:
        raise AgeHeaderError("payload nonce missing")
    return ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))


def _payload(aead: ChaCha20Poly1305, src: BinaryIO) -> Iterator[bytes]:
    """STREAM: read one chunk ahead to know which is last; nothing may follow the last chunk."""
    sealed_size = SEALED_CHUNK_SIZE
    counter = 0
    current = src.read(sealed_size)
    while True:
        following = src.read(sealed_size) if len(current) == sealed_size else b""
        if len(current) < TAG_SIZE:
            raise AgePayloadError("payload truncated")
        prefix = counter.to_bytes(11, "big")
        if following:
            try:
                yield aead.decrypt(prefix + b"\x00", current, None)
            except InvalidTag:
                # A full final chunk followed by trailing data: release it, then refuse the rest.
                try:
                    plain = aead.decrypt(prefix + b"\x01", current, None)
                except InvalidTag as e:
                    raise AgePayloadError(f"payload chunk {counter} failed authentication") from e
                yield plain
                raise AgePayloadError("data after the final chunk") from None
            counter += 1
            current = following
            continue
        if len(current) == TAG_SIZE and counter > 0:
            raise AgePayloadError("empty final chunk")
        try:
            plain = aead.decrypt(prefix + b"\x01", current, None)
        except InvalidTag as e:
            if len(current) == sealed_size:
                # A full chunk that is not marked final: release it, then report the missing end.
                try:
                    plain = aead.decrypt(prefix + b"\x00", current, None)
                except InvalidTag:
                    pass
                else:
                    yield plain
                    raise AgePayloadError("the payload ends without a final chunk (truncated)") from e
            raise AgePayloadError(
                f"payload chunk {counter} failed authentication (truncated or altered)"
            ) from e
        yield plain
        return


class _Prefixed(io.RawIOBase):
    """A stream with some already-read bytes put back in front (for the armor sniff)."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(b))
        b[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        if size is None or size < 0:
            return bytes(self._head) + self._rest.read()
        out = bytearray()
        while len(out) < size:
            chunk = self._one(size - len(out))
            if not chunk:
                break
            out += chunk
        return bytes(out)

    def _one(self, n: int) -> bytes:
        if self._head:
            part = bytes(self._head[:n])
            self._head = self._head[n:]
            return part
        return self._rest.read(n)

    def readline(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        limit = size if size is not None and size >= 0 else 1 << 62
        out = bytearray()
        while len(out) < limit:
            if self._head:
                idx = bytes(self._head[: limit - len(out)]).find(b"\n")
                take = (idx + 1) if idx >= 0 else min(len(self._head), limit - len(out))
                out += self._head[:take]
                self._head = self._head[take:]
                if idx >= 0:
                    break
                continue
            out += self._rest.readline(limit - len(out))
            break
        return bytes(out)


def decrypt_bytes(data: bytes, identities: Sequence[Identity]) -> bytes:
    return b"".join(decrypt_chunks(io.BytesIO(data), identities))


# --- random access -----------------------------------------------------------------------------


def _chunk_layout(payload_size: int) -> tuple[int, int, str | None]:
    """From the length of the sealed chunks alone: (chunk count, plaintext size, the error for a
    damaged end or None), with `_payload`'s rules. A damaged end leaves the chunks before it
    readable, as `_payload` releases them before raising."""
    full, rest = divmod(payload_size, SEALED_CHUNK_SIZE)
    if rest == 0 and full > 0:  # a multiple of 64 KiB: the last full chunk is the final one
        return full, full * CHUNK_SIZE, None
    if rest > TAG_SIZE or (rest == TAG_SIZE and full == 0):  # an empty final chunk: empty file
        return full + 1, full * CHUNK_SIZE + rest - TAG_SIZE, None
    if rest == TAG_SIZE:
        return full, full * CHUNK_SIZE, "empty final chunk"
    return full, full * CHUNK_SIZE, "payload truncated"  # no room for a tag, or no chunk at all


class AgeReader(io.RawIOBase):
    """The plaintext of a binary age file as a read-only, seekable raw stream.

    Sealed chunk i sits at a fixed offset (header, nonce, then i * (64 KiB + 16)), so a read
    decrypts only the chunks it covers, each under the nonce i || last-chunk flag; the two most
    recently used chunks stay cached, so memory is bounded whatever the file size. Every chunk
    is authenticated before any byte of it is released. `size` is the plaintext length, known
    from the file length. Damage raises the `AgeError` subclass `decrypt_chunks` raises, when a
    read reaches the damaged chunk: a changed, swapped or misflagged chunk, a truncated file,
    data after the final chunk. Reaching the end (a read at or past `size`) authenticates the
    final chunk, so an empty or truncated file cannot pass for a complete one.

    The reader owns the position of `src` while it is open and does not close `src`.
    """

    _CACHED_CHUNKS = 2  # a reader that alternates between two places (an index, a record) hits

    def __init__(self, src: BinaryIO, aead: ChaCha20Poly1305, payload_start: int, payload_size: int) -> None:
        super().__init__()
        self._src = src
        self._aead = aead
        self._start = payload_start
        self._chunks, self.size, self._end_error = _chunk_layout(payload_size)
        self._payload_size = payload_size
        self._pos = 0
        self._cache: list[tuple[int, bytes]] = []  # most recently used first

    # --- io.RawIOBase --------------------------------------------------------------------------

    def readable(self) -> bool:
        self._check_open()
        return True

    def seekable(self) -> bool:
        self._check_open()
        return True

    def writable(self) -> bool:
        self._check_open()
        return False

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self.size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if pos < 0:
            # OSError, as a real file raises: zipfile and others catch it when probing for an
            # end record in a file too short to hold one.
            raise OSError(errno.EINVAL, f"negative seek position {pos}")
        self._pos = pos
        return pos

    def readinto(self, buffer: WriteableBuffer) -> int:
        self._check_open()
        with memoryview(buffer) as view, view.cast("B") as out:
            done = 0
            for piece in self._pieces(len(out)):
                out[done : done + len(piece)] = piece
                done += len(piece)
            return done

    def read(self, size: int | None = -1) -> bytes:
        self._check_open()
        if size is None or size < 0:
            size = max(self.size - self._pos, 1)  # at the end, 1 still checks the end
        index, offset = divmod(self._pos, CHUNK_SIZE)
        if 0 < size <= CHUNK_SIZE - offset and self._pos < self.size:
            # Within one chunk, the common case for parsers reading small records: one slice,
            # without the generator (it doubles the cost of a 4 KiB read).
            piece = self._chunk(index)[offset : offset + size]
            self._pos += len(piece)
            return piece
        return b"".join(self._pieces(size))

    def readall(self) -> bytes:
        return self.read()

    def write(self, data: object) -> int:
        # RawIOBase would raise NotImplementedError; a read-only file raises this.
        raise io.UnsupportedOperation("write")

    def close(self) -> None:
        self._cache = []
        super().close()

    # --- chunks --------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed AgeReader")

    def _pieces(self, want: int) -> Iterator[bytes]:
        """Up to `want` bytes from the position on, as slices of authenticated chunks; the
        position moves past each piece as it is handed out."""
        if want <= 0:
            return
        if self._pos >= self.size:
            self._check_end()
            return
        end = min(self._pos + want, self.size)
        while self._pos < end:
            index, offset = divmod(self._pos, CHUNK_SIZE)
            plain = self._chunk(index)
            piece = plain[offset : min(len(plain), offset + end - self._pos)]
            self._pos += len(piece)
            yield piece

    def _check_end(self) -> None:
        """At the end of the plaintext: the final chunk must be there and marked final."""
        if self._chunks == 0:
            raise AgePayloadError(self._end_error or "payload truncated")
        self._chunk(self._chunks - 1)

    def _chunk(self, index: int) -> bytes:
        for i, (cached, plain) in enumerate(self._cache):
            if cached == index:
                if i:
                    self._cache.insert(0, self._cache.pop(i))
                return plain
        plain = self._open_chunk(index)
        self._cache.insert(0, (index, plain))
        del self._cache[self._CACHED_CHUNKS :]
        return plain

    def _open_chunk(self, index: int) -> bytes:
        offset = index * SEALED_CHUNK_SIZE
        sealed = self._read_at(self._start + offset, min(SEALED_CHUNK_SIZE, self._payload_size - offset))
        last = index == self._chunks - 1
        final = last and self._end_error is None  # the chunk that must carry the last-chunk flag
        prefix = index.to_bytes(11, "big")
        try:
            plain = self._aead.decrypt(prefix + (b"\x01" if final else b"\x00"), sealed, None)
        except InvalidTag as e:
            # Tell a misplaced end from damage, as `_payload` does (with its messages, so a
            # sequential read fails as `decrypt_chunks` does): the other flag opens it.
            try:
                self._aead.decrypt(prefix + (b"\x00" if final else b"\x01"), sealed, None)
            except InvalidTag:
                why = " (truncated or altered)" if final else ""
                raise AgePayloadError(f"payload chunk {index} failed authentication{why}") from e
            if final:
                raise AgePayloadError("the payload ends without a final chunk (truncated)") from e
            raise AgePayloadError("data after the final chunk") from e
        if last and self._end_error is not None:
            # Authentic but not final, and what follows it is no chunk: the end was cut off.
            raise AgePayloadError(self._end_error)
        return plain

    def _read_at(self, offset: int, size: int) -> bytes:
        self._src.seek(offset)
        data = self._src.read(size)
        if len(data) < size:  # a raw stream may return less than asked before its end
            parts = [data]
            while size > (got := sum(map(len, parts))):
                more = self._src.read(size - got)
                if not more:
                    raise AgePayloadError("payload truncated (the file shrank while open)")
                parts.append(more)
            data = b"".join(parts)
        return data


def open_reader(src: BinaryIO, identities: Sequence[Identity]) -> AgeReader:
    """Open the binary age file in seekable `src` (from its current position to its end) for
    random-access reading of its plaintext.

    The header is read and its MAC checked now (raising as `decrypt_chunks` does); payload
    chunks are decrypted and authenticated as reads reach them.
    """
    aead = _open_payload(src, identities)
    start = src.tell()
    end = src.seek(0, io.SEEK_END)
    return AgeReader(src, aead, start, end - start)
