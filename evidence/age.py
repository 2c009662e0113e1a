"""The age v1 file format (C2SP age.md, "age-encryption.org/v1") on `cryptography` primitives.

Layout of a file, as this module writes and reads it:

    age-encryption.org/v1\\n
    -> X25519 <base64 ephemeral share>\\n        (or: -> scrypt <base64 16-byte salt> <log2 N>\\n)
    <base64 wrapped file key, 64 columns>\\n
    --- <base64 HMAC-SHA-256 of everything above, up to and including "---">\\n
    <16-byte payload nonce><STREAM chunks>

* file key: 16 random bytes per file; header MAC key = HKDF-SHA-256(file key, "", "header").
* payload key = HKDF-SHA-256(file key, nonce, "payload"); the plaintext is cut into 64 KiB
  chunks, each sealed with ChaCha20-Poly1305 under the nonce 11-byte big-endian counter ||
  last-chunk flag (0x01 on the final chunk), so truncation, reordering and extension fail.
* X25519 stanza: wrap key = HKDF-SHA-256(X25519(eph, recipient), eph share || recipient,
  "age-encryption.org/v1/X25519"); body = ChaCha20-Poly1305(wrap key, zero nonce, file key).
* scrypt stanza: wrap key = scrypt(passphrase, "age-encryption.org/v1/scrypt" || salt,
  N = 2^logN, r = 8, p = 1); it must be the only stanza in the header.

Base64 is the standard alphabet without padding and must be canonical. Every integrity
failure raises a named `AgeError` subclass; plaintext is only released chunk by chunk after
its tag has been checked, so a failure part way releases exactly the authenticated prefix.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import os
import re
import time
from collections.abc import Iterator, Sequence
from typing import BinaryIO, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
VERSION_LINE = b"age-encryption.org/v1"
X25519_LABEL = b"age-encryption.org/v1/X25519"
SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
MAX_HEADER = 1 << 20  # bytes: a header is a few hundred bytes; refuse to buffer unbounded input
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
    n = 1 << log_n
    return hashlib.scrypt(
        passphrase, salt=SCRYPT_LABEL + salt, n=n, r=8, p=1, dklen=32, maxmem=128 * n * 8 + (1 << 24)
    )


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


def _header_bytes(recipient: Recipient, file_key: bytes) -> bytes:
    args, body = recipient.wrap(file_key)
    head = VERSION_LINE + b"\n" + _stanza_lines(args, body) + b"---"
    mac = hmac.new(_hkdf(file_key, b"", b"header"), head, hashlib.sha256).digest()
    return head + b" " + b64encode(mac) + b"\n"


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
        body_text = b""
        while True:
            body_line = _read_line(src, budget)
            raw.append(body_line + b"\n")
            if len(body_line) > 64:
                raise AgeHeaderError("stanza body line too long")
            body_text += body_line
            if len(body_line) < 64:
                break
        stanzas.append(_Stanza(args, b64decode(body_text)))
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
    the final chunk can carry the last-chunk flag)."""

    def __init__(self, dst: BinaryIO, recipient: Recipient) -> None:
        self._dst = dst
        file_key = os.urandom(16)
        dst.write(_header_bytes(recipient, file_key))
        nonce = os.urandom(16)
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
    nonce = src.read(16)
    if len(nonce) != 16:
        raise AgeHeaderError("payload nonce missing")
    yield from _payload(ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload")), src)


def _payload(aead: ChaCha20Poly1305, src: BinaryIO) -> Iterator[bytes]:
    """STREAM: read one chunk ahead to know which is last; nothing may follow the last chunk."""
    sealed_size = CHUNK_SIZE + TAG_SIZE
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
