"""Trusted time (RFC 3161) on the custody head: ask time-stamping authorities, check their
tokens, keep them in the custody log, check them again in `verify`.

What is stamped. The message imprint is the custody head itself. The head is a SHA-256 (of
its entry's link data, `custody.link_data`), so a TSA's SHA-256 imprint of that data *is* the
head: `openssl ts -verify -digest <head>` checks a token against the hash printed on a report,
and nothing but that hash, a nonce and "send your certificate" leaves the machine.

Custody entry "stamp", detail (one entry per `stamp`, however many TSAs answered):

    head_seq   the entry stamped (the head when the request was made)
    head       its hash (= every token's imprint)
    tokens     one per TSA that answered with a token that verified:
      tsa        the URL asked (a user name and password in it removed)
      tsa_name   the TSA certificate's organisation (else its common name), for documents
      gen_time   the token's genTime, ISO 8601 in UTC
      serial     the token's serial number; nonce: the request's nonce (decimal strings:
                 either may exceed 64 bits)
      request    the TimeStampReq, DER in base64 (a lawyer's .tsq)
      response   the TimeStampResp, DER in base64 (the .tsr)
      chain      PEM: the TSA's certificate, its intermediates, the trusted root it chained to

Checks, on a reply and again by `verify` on every stored token: status granted; imprint
SHA-256 and equal to the head; nonce equal to the request's; the signing certificate (the one
the SignerInfo names) has a critical extended key usage of id-kp-timeStamping alone (RFC 3161
§2.3, as `openssl ts -verify` demands); a chain from it to a root in the trust store; the CMS
signature; every certificate valid at the token's genTime (one that expired since is fine; one
that was not valid then is not). `verify` also checks that the stamped head is the hash of
entry `head_seq` of the chain it holds now.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import math
import re
import ssl
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence import config, custody
from evidence.errors import READ_ONLY_MESSAGE, DiskError, TimestampError, UsageError
from evidence.resources import template_path
from evidence.schema import CustodyEntry
from evidence.store import Store

if TYPE_CHECKING:  # imported where used: ~4 ms to load, which `add` and `ls` need not pay
    from rfc3161_client import TimeStampRequest, TimeStampResponse

ACTION = "stamp"
SHA256_OID = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
TIMEOUT = 15.0  # seconds per TSA: public TSAs answer in well under a second when they answer
REPLY_LIMIT = 1 << 20  # a token with its chain is a few KiB; a bigger "reply" is not one
CA_LIMIT = 4 << 20  # a CA bundle file (the system's is ~220 KiB)
MAX_CHAIN = 8

Poster = Callable[[str, bytes], bytes]


# --- the TSAs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TsaInfo:
    """One entry of templates/tsa.toml."""

    name: str
    url: str
    account: bool
    default: bool
    note: str = ""
    root: str = ""
    ca: str = ""
    homepage: str = ""


@cache
def known_tsas() -> tuple[TsaInfo, ...]:
    with template_path("tsa.toml").open("rb") as f:
        raw = tomllib.load(f)
    return tuple(
        TsaInfo(
            t["name"],
            t.get("url", ""),
            bool(t.get("account", False)),
            bool(t.get("default", False)),
            t.get("note", ""),
            t.get("root", ""),
            t.get("ca", ""),
            t.get("homepage", ""),
        )
        for t in raw["tsa"]
    )


def default_urls() -> list[str]:
    return [t.url for t in known_tsas() if t.default and t.url]


def check_url(url: str) -> str:
    """`url` if it is an http(s) URL with a host; else a usage error (urllib would also open
    file: and ftp: URLs, which are no TSA)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise UsageError(f"not a TSA URL: {public_url(url)!r} (give http://… or https://…)")
    return url.strip()


def parse_urls(text: str) -> list[str]:
    """URLs separated by spaces or commas ($LOCKER_TSA, `config set stamp-tsa`), each checked."""
    return [check_url(u) for u in re.split(r"[\s,]+", text) if u]


def public_url(url: str) -> str:
    """`url` without a user name and password: what the log, messages and bundles may show."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "(an unreadable URL)"
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def http_post(url: str, body: bytes, timeout: float = TIMEOUT) -> bytes:
    """POST a TimeStampReq (RFC 3161 §3.4); the reply's bytes, or a TimestampError saying why not.

    A user name and password in the URL (an account TSA) go as HTTP basic authentication,
    never into a message. Proxies come from the usual environment variables (urllib).
    """
    shown = public_url(url)
    parts = urllib.parse.urlsplit(url)
    headers = {
        "Content-Type": "application/timestamp-query",
        "Accept": "application/timestamp-reply",
        "User-Agent": "locker (evidence locker)",
    }
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        url = shown
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            data: bytes = reply.read(REPLY_LIMIT + 1)
    except urllib.error.HTTPError as e:
        raise TimestampError(f"{shown}: the TSA refused the request (HTTP {e.code})") from e
    except urllib.error.URLError as e:
        reason = e.reason.strerror if isinstance(e.reason, OSError) and e.reason.strerror else e.reason
        raise TimestampError(f"{shown}: cannot be reached ({reason}); are you online?") from e
    except (TimeoutError, OSError, http.client.HTTPException, ValueError) as e:
        raise TimestampError(f"{shown}: no usable answer ({type(e).__name__})") from e
    if len(data) > REPLY_LIMIT:
        raise TimestampError(f"{shown}: the reply is far too long for a time-stamp token")
    return data


# --- the trust store --------------------------------------------------------------------------


@dataclass
class TrustStore:
    """Root certificates a TSA's chain may end at, kept as DER and read only when a chain asks
    for a root of that name: parsing a whole system bundle (~150 roots) would cost ~15 ms of
    every stamp's 50 ms."""

    ders: tuple[bytes, ...] = ()
    _known: frozenset[bytes] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        self._known = frozenset(self.ders)

    @property
    def roots(self) -> list[x509.Certificate]:
        return [c for der in self.ders if (c := _read_der(der)) is not None]

    def issuers_of(self, cert: x509.Certificate) -> list[x509.Certificate]:
        name = cert.issuer.public_bytes()  # a root's DER holds its subject's DER
        found = []
        for der in self.ders:
            root = _read_der(der) if name in der else None
            if root is not None and root.subject == cert.issuer and issued_by(cert, root):
                found.append(root)
        return found

    def holds(self, cert: x509.Certificate) -> bool:
        return cert.public_bytes(Encoding.DER) in self._known


def _read_der(der: bytes) -> x509.Certificate | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)  # see load_certificates
        try:
            return x509.load_der_x509_certificate(der)
        except ValueError:
            return None


def pem_blocks(data: bytes) -> list[bytes]:
    """The DER of every PEM certificate block in `data`, not parsed further (a split and a
    base64 decode: about 1 ms for a system bundle, where a regular expression took 8)."""
    out = []
    for part in data.split(b"-----BEGIN CERTIFICATE-----")[1:]:
        body, end, _rest = part.partition(b"-----END CERTIFICATE-----")
        if end:
            try:
                out.append(binascii.a2b_base64(body))  # skips the line breaks
            except binascii.Error:
                continue
    return out


def load_certificates(data: bytes, what: str) -> list[x509.Certificate]:
    """Certificates from PEM (one or many) or DER bytes; a usage error naming `what` if none."""
    with warnings.catch_warnings():
        # Some roots in system bundles have negative serial numbers: cryptography warns, and
        # they are still what the system trusts.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        try:
            if b"-----BEGIN CERTIFICATE-----" in data:
                return x509.load_pem_x509_certificates(data)
            return [x509.load_der_x509_certificate(data)]
        except ValueError as e:
            raise UsageError(f"{what} holds no readable certificate (PEM or DER)") from e


def system_ca_bundle() -> Path | None:
    """The CA bundle this system's OpenSSL uses ($SSL_CERT_FILE respected), if there is one."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def trust_store(pems: Iterable[bytes] = (), bundle: Path | None = None) -> TrustStore:
    """Roots from a CA bundle file (the system's, by default none) and PEM blobs (--ca, config)."""
    ders: list[bytes] = []
    if bundle is not None:
        try:
            with bundle.open("rb") as f:
                ders += pem_blocks(f.read(CA_LIMIT))
        except OSError:
            pass  # no usable system bundle: only the roots given explicitly are trusted
    for pem in pems:
        ders += [c.public_bytes(Encoding.DER) for c in load_certificates(pem, "a --ca file")]
    return TrustStore(tuple(ders))


def default_trust(store: Store, extra: Iterable[bytes] = ()) -> TrustStore:
    """The system's CA bundle, the locker's `stamp-ca` setting, and `extra` (--ca files)."""
    configured = config.get_setting(store, config.STAMP_CA)
    pems = [configured.encode()] if configured else []
    return trust_store([*pems, *extra], system_ca_bundle())


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def build_chain(
    leaf: x509.Certificate, pool: Sequence[x509.Certificate], trust: TrustStore
) -> list[x509.Certificate]:
    """leaf, intermediates from `pool`, and the trusted root they reach (signatures checked;
    validity dates are checked at genTime by the CMS verification)."""
    chain = [leaf]
    current = leaf
    for _ in range(MAX_CHAIN):
        if trust.holds(current):
            return chain
        roots = trust.issuers_of(current)
        if roots:
            return [*chain, roots[0]]
        step = next(
            (c for c in pool if c.subject == current.issuer and c not in chain and issued_by(current, c)),
            None,
        )
        if step is None:
            break
        chain.append(step)
        current = step
    raise TimestampError(
        "the TSA's certificate does not chain to a trusted root "
        "(a private TSA's root goes in with --ca FILE or `locker config set stamp-ca FILE`)"
    )


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(Encoding.PEM).decode("ascii")


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint as `openssl x509 -noout -fingerprint -sha256` prints it."""
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def display_name(cert: x509.Certificate) -> str:
    """The TSA's organisation (else common name) as documents print it: printable characters
    only, at most 200 (it is the TSA's text, and it reaches PDFs and VERIFY.txt)."""
    value = cert.subject.rfc4514_string()
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        values = cert.subject.get_attributes_for_oid(oid)
        if values:
            value = str(values[0].value)
            break
    return "".join(ch for ch in value if ch.isprintable())[:200]


# --- the head, the request, the token ---------------------------------------------------------


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    data: bytes  # SHA-256(data) == hash: what the request hashes


def current_head(session: Session) -> Head:
    last = custody.head(session)
    if last is None:
        raise UsageError("the locker has no custody log yet: nothing to stamp")
    data = custody.link_data(
        last.prev_hash, last.seq, last.at, last.action, last.detail, custody.chain_format(session)
    )
    return Head(last.seq, last.hash, data)


def build_request(head: Head) -> TimeStampRequest:
    """A TimeStampReq for the head: SHA-256 imprint (= the head), a random 64-bit nonce, certReq."""
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    request = (
        TimestampRequestBuilder()
        .data(head.data)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    if request.message_imprint.message.hex() != head.hash:  # the custody chain and we disagree: a bug
        raise AssertionError("the request's imprint is not the custody head")
    return request


@dataclass(frozen=True)
class Token:
    """A verified token and what it came with (see the module docstring for the stored form)."""

    tsa: str  # public URL
    tsa_name: str
    gen_time: datetime
    serial: int
    nonce: int
    request: bytes
    response: bytes
    chain: tuple[x509.Certificate, ...]

    def as_detail(self) -> dict[str, Any]:
        return {
            "tsa": self.tsa,
            "tsa_name": self.tsa_name,
            "gen_time": self.gen_time.astimezone(UTC).isoformat(),
            "serial": str(self.serial),
            "nonce": str(self.nonce),
            "request": base64.b64encode(self.request).decode("ascii"),
            "response": base64.b64encode(self.response).decode("ascii"),
            "chain": [pem(c) for c in self.chain],
        }


@dataclass(frozen=True)
class StoredToken:
    """A token as the log holds it, decoded (not yet checked)."""

    tsa: str
    tsa_name: str
    gen_time: datetime
    nonce: int
    request: bytes
    response: bytes
    chain: tuple[x509.Certificate, ...]


def stored_token(detail: Mapping[str, Any]) -> StoredToken:
    """Decode one entry of a stamp's `tokens`; TimestampError if it is not in the stored form."""
    try:
        return StoredToken(
            str(detail["tsa"]),
            str(detail["tsa_name"]),
            datetime.fromisoformat(str(detail["gen_time"])),
            int(str(detail["nonce"])),
            base64.b64decode(str(detail["request"]), validate=True),
            base64.b64decode(str(detail["response"]), validate=True),
            tuple(load_certificates("".join(detail["chain"]).encode("ascii"), "the stored chain")),
        )
    except (KeyError, TypeError, ValueError, binascii.Error, UsageError) as e:
        raise TimestampError("the stored token is not in the form locker writes") from e


def _tlv(buf: bytes, at: int, end: int) -> tuple[int, int, int]:
    """(tag, start of content, end) of the DER element at `at`; ValueError if it is not one."""
    if at + 2 > end or buf[at] & 0x1F == 0x1F:
        raise ValueError("not a DER element")
    first, pos = buf[at + 1], at + 2
    if first & 0x80:
        size = first & 0x7F
        if not 1 <= size <= 4:
            raise ValueError("indefinite or huge length")
        length, pos = int.from_bytes(buf[pos : pos + size], "big"), pos + size
    else:
        length = first
    if pos + length > end:
        raise ValueError("element overruns its container")
    return buf[at], pos, pos + length


def _children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(tag, element start, content start, end) of each element in buf[start:end]."""
    out = []
    at = start
    while at < end:
        tag, content, stop = _tlv(buf, at, end)
        out.append((tag, at, content, stop))
        at = stop
    return out


def der_ordered(reply: bytes) -> bytes:
    """`reply` with the token's certificate SET in DER order (X.690 §11.6), for the parser only.

    OpenSSL-based TSAs write the certificates of a CMS SignedData in the order given (BER is
    fine with that, and `openssl ts -verify` is), but rfc3161-client parses strict DER and
    rejects several certificates out of order. The certificates are not covered by the
    signature, so reordering them changes nothing that is verified; what is stored and bundled
    is always the TSA's own bytes. Anything unexpected: `reply` as it is, for the parser to judge.
    """
    try:
        _tag, start, end = _tlv(reply, 0, len(reply))
        token = _children(reply, start, end)[1]  # TimeStampResp: status, timeStampToken
        content = _children(reply, token[2], token[3])[1]  # ContentInfo: contentType, [0] content
        signed = _children(reply, content[2], content[3])[0]  # SignedData
        for tag, _at, inner, stop in _children(reply, signed[2], signed[3]):
            if tag == 0xA0:  # certificates [0] IMPLICIT SET OF
                certs = sorted(reply[a:b] for _t, a, _c, b in _children(reply, inner, stop))
                return reply[:inner] + b"".join(certs) + reply[stop:]
    except (ValueError, IndexError):
        pass
    return reply


def check_reply(
    reply: bytes,
    head_hash: str,
    nonce: int,
    trust: TrustStore,
    known: Sequence[x509.Certificate] = (),
) -> tuple[TimeStampResponse, list[x509.Certificate]]:
    """Check a TimeStampResp against the head and nonce it must answer; (response, chain).

    `known` adds intermediates (a stored chain) to those the token carries. Raises
    TimestampError with the first check that fails.
    """
    from rfc3161_client import PKIStatus, VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(der_ordered(reply))
        status = response.status
    except ValueError as e:
        raise TimestampError("the reply is not an RFC 3161 time-stamp response") from e
    if status != PKIStatus.GRANTED:
        said = "; ".join(response.status_string)[:200]
        name = PKIStatus(status).name.lower() if status in set(PKIStatus) else str(status)
        raise TimestampError(f"the TSA refused (status {name}{': ' + said if said else ''})")
    try:
        info = response.tst_info
        imprint = info.message_imprint
        signed = response.signed_data
        certs = [x509.load_der_x509_certificate(der) for der in signed.certificates]
        signers = list(signed.signer_infos)
    except ValueError as e:
        raise TimestampError("the reply's token cannot be read (damaged or altered)") from e
    if imprint.hash_algorithm != SHA256_OID or imprint.message.hex() != head_hash:
        raise TimestampError("the token is for other data: its imprint is not the custody head")
    if info.nonce != nonce:
        raise TimestampError("the token's nonce is not the request's (a replayed or misdirected reply)")
    if len(signers) != 1:
        raise TimestampError("the token does not have exactly one signer")
    signer = signers[0]
    leaf = next(
        (
            c
            for c in [*certs, *known]
            if c.issuer == signer.issuer and c.serial_number == signer.serial_number
        ),
        None,
    )
    if leaf is None:
        raise TimestampError("the reply carries no certificate of the TSA that signed it")
    check_time_stamping_eku(leaf)
    chain = build_chain(leaf, [*certs, *known], trust)
    verifier = VerifierBuilder(roots=[chain[-1]], intermediates=chain[1:-1], nonce=nonce).build()
    try:
        verifier.verify(response, imprint.message)
    except VerificationError as e:
        text = str(e).lower()
        if "expired" in text or "not yet valid" in text:
            raise TimestampError("a certificate of the TSA's chain was not valid at the token's time") from e
        raise TimestampError("the token's signature does not verify (altered or forged)") from e
    return response, chain


def check_time_stamping_eku(cert: x509.Certificate) -> None:
    """RFC 3161 §2.3: a critical extended key usage with id-kp-timeStamping, and nothing else."""
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        eku = None
    except ValueError as e:
        raise TimestampError("the TSA's certificate cannot be read") from e
    if eku is None or not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
        raise TimestampError(
            "the TSA's certificate is not for time-stamping "
            "(it lacks a critical extended key usage of timeStamping alone)"
        )


def request_token(url: str, head: Head, trust: TrustStore, post: Poster = http_post) -> Token:
    """Ask one TSA for a token on `head` and check it; TimestampError names the TSA and why."""
    shown = public_url(url)
    request = build_request(head)
    nonce = request.nonce
    assert nonce is not None
    reply = post(url, request.as_bytes())
    try:
        response, chain = check_reply(reply, head.hash, nonce, trust)
    except TimestampError as e:
        raise TimestampError(f"{shown}: {e}") from e
    info = response.tst_info
    return Token(
        shown,
        display_name(chain[0]),
        info.gen_time.astimezone(UTC),
        info.serial_number,
        nonce,
        request.as_bytes(),
        reply,
        tuple(chain),
    )


# --- stamping ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StampOutcome:
    entry: int  # seq of the "stamp" custody entry
    head_seq: int
    head: str
    tokens: tuple[Token, ...]
    failures: tuple[str, ...]  # one line per TSA that gave no valid token


def record_stamp(session: Session, head_seq: int, head: str, tokens: Sequence[Token], now: datetime) -> int:
    """Append the "stamp" entry in the caller's transaction; its seq."""
    detail = {"head_seq": head_seq, "head": head, "tokens": [t.as_detail() for t in tokens]}
    return custody.append(session, ACTION, detail, now).seq


def stamp_head(
    store: Store, urls: Sequence[str], trust: TrustStore, post: Poster = http_post
) -> StampOutcome:
    """Stamp the current custody head with every TSA in `urls` and record the valid tokens in one
    custody entry. No valid token: TimestampError (exit 4), and nothing is written.

    The database is not held while the TSAs are asked: another command's entry may land
    meanwhile; the stamp still names the head it stamped, which stays on the chain.
    """
    if store.read_only:
        raise DiskError(READ_ONLY_MESSAGE)
    if not urls:
        raise UsageError("no TSA to ask: give --tsa URL, or set $LOCKER_TSA or `locker config set stamp-tsa`")
    with store.transaction() as s:
        custody.check_can_append(s)
        head = current_head(s)
    tokens: list[Token] = []
    failures: list[str] = []
    for url in urls:
        try:
            tokens.append(request_token(url, head, trust, post))
        except TimestampError as e:
            failures.append(str(e))
    if not tokens:
        if len(failures) == 1:
            raise TimestampError(f"not stamped: {failures[0]}")
        raise TimestampError(f"not stamped: no TSA gave a valid token ({' | '.join(failures)})")
    with store.transaction() as s:
        entry = record_stamp(s, head.seq, head.hash, tokens, store.now())
    return StampOutcome(entry, head.seq, head.hash, tuple(tokens), tuple(failures))


def stamp_due(session: Session) -> bool:
    """Whether anything happened since the last stamp (the last entry is not a stamp)."""
    last = custody.head(session)
    return last is not None and last.action != ACTION


def stamp_if_due(
    store: Store, urls: Sequence[str], trust: TrustStore, post: Poster = http_post
) -> StampOutcome | None:
    """`stamp_head` unless the head is already stamped: after a batch of adds, one stamp covers
    everything added since the last stamp (including adds whose own stamp failed)."""
    with store.transaction() as s:
        if not stamp_due(s):
            return None
    return stamp_head(store, urls, trust, post)


# --- checking the stored stamps (verify) ------------------------------------------------------


@dataclass(frozen=True)
class StampCheck:
    entry: int
    tokens: int
    problems: tuple[str, ...]


def check_stamps(entries: Sequence[CustodyEntry], trust: TrustStore) -> list[StampCheck]:
    """Every "stamp" entry of the log: each token re-verified at its own genTime, and the stamped
    head found on this chain (`entries` is the whole log in order)."""
    hashes = {e.seq: e.hash for e in entries}
    out: list[StampCheck] = []
    for e in entries:
        if e.action != ACTION:
            continue
        problems: list[str] = []
        detail = e.detail if isinstance(e.detail, dict) else {}
        head_seq, head = detail.get("head_seq"), detail.get("head")
        tokens = detail.get("tokens")
        where = f"the trusted timestamp in custody entry {e.seq}"
        if (
            not isinstance(head_seq, int)
            or not isinstance(head, str)
            or not 1 <= head_seq < e.seq
            or hashes.get(head_seq) != head
        ):
            problems.append(f"{where} is of a custody head that is not on this chain")
            head = head if isinstance(head, str) else ""
        if not isinstance(tokens, list) or not tokens:
            problems.append(f"{where} holds no token")
            tokens = []
        for n, raw in enumerate(tokens, 1):
            label = f"{where} (token {n})"
            try:
                token = stored_token(raw if isinstance(raw, dict) else {})
                label = f"{where} ({token.tsa_name}, token {n})"
                response, _chain = check_reply(token.response, head, token.nonce, trust, token.chain)
                if response.tst_info.gen_time != token.gen_time:
                    raise TimestampError("its recorded time is not the token's")
            except TimestampError as err:
                problems.append(f"{label}: {err}")
        out.append(StampCheck(e.seq, len(tokens), tuple(problems)))
    return out


# --- what documents and bundles state ---------------------------------------------------------


@dataclass(frozen=True)
class StampSummary:
    """The latest stamp, as a report states it."""

    entry: int
    head_seq: int
    head: str
    gen_time: datetime  # the earliest of its tokens' times: the state existed by then
    tsa_names: tuple[str, ...]  # the TSA that gave that time (the bundle holds every token)


def head_and_stamp(store: Store) -> tuple[str, StampSummary | None]:
    """The custody head hash and the latest stamp, read together so a document prints a pair
    that belongs together."""
    with store.transaction() as s:
        return custody.head_hash(s), latest_stamp(s)


def latest_stamp(session: Session) -> StampSummary | None:
    e = session.scalars(
        select(CustodyEntry).where(CustodyEntry.action == ACTION).order_by(CustodyEntry.seq.desc()).limit(1)
    ).first()
    if e is None:
        return None
    timed = [
        (datetime.fromisoformat(t["gen_time"]), str(t.get("tsa_name", "")))
        for t in e.detail.get("tokens", [])
        if isinstance(t, dict) and "gen_time" in t
    ]
    if not timed:
        return None
    when, name = min(timed)
    return StampSummary(e.seq, int(e.detail["head_seq"]), str(e.detail["head"]), when, (name,))


@dataclass(frozen=True)
class BundledToken:
    """One token laid out for a bundle: its files and the `openssl ts -verify` line that checks it."""

    entry: int
    head_seq: int
    head: str
    tsa: str
    tsa_name: str
    gen_time: datetime
    files: dict[str, bytes]  # path in the bag → bytes
    tsr: str
    tsq: str
    ca: str
    untrusted: str  # "" when no intermediate stands between the TSA and its root
    root_subject: str
    root_fingerprint: str

    @property
    def attime(self) -> int:
        """genTime as a Unix time for `openssl … -attime`: the chain is judged as at the token's
        time, so a TSA certificate that expired since still verifies."""
        return math.ceil(self.gen_time.timestamp())

    def _trust_args(self) -> str:
        untrusted = f" -untrusted {self.untrusted}" if self.untrusted else ""
        return f"-CAfile {self.ca}{untrusted} -attime {self.attime}"

    @property
    def command(self) -> str:
        return f"openssl ts -verify -digest {self.head} -in {self.tsr} {self._trust_args()}"

    @property
    def query_command(self) -> str:
        return f"openssl ts -verify -queryfile {self.tsq} -in {self.tsr} {self._trust_args()}"


def bundle_tokens(log: Sequence[Mapping[str, Any]], folder: str = "data/timestamps") -> list[BundledToken]:
    """The tokens of every stamp entry kept whole in an exported log (`custody.as_dict` form):
    the .tsr, the .tsq, the root (for -CAfile) and any intermediates (for -untrusted), as files
    for the bag."""
    out: list[BundledToken] = []
    for e in log:
        detail = e.get("detail")
        if e.get("action") != ACTION or e.get("redacted") or not isinstance(detail, dict):
            continue
        for n, raw in enumerate(detail.get("tokens", []), 1):
            try:
                token = stored_token(raw if isinstance(raw, dict) else {})
            except TimestampError:
                continue  # `verify` reports it; a bundle carries what can be checked
            stem = f"{folder}/entry-{int(e['seq']):04d}-{n}"
            root = token.chain[-1]
            # The token carries the TSA's own certificate (certReq); -untrusted adds the
            # intermediates, which a TSA need not send.
            intermediates = token.chain[1:-1]
            files = {
                f"{stem}.tsr": token.response,
                f"{stem}.tsq": token.request,
                f"{stem}-ca.pem": pem(root).encode("ascii"),
            }
            if intermediates:
                files[f"{stem}-untrusted.pem"] = "".join(pem(c) for c in intermediates).encode("ascii")
            out.append(
                BundledToken(
                    int(e["seq"]),
                    int(detail["head_seq"]),
                    str(detail["head"]),
                    token.tsa,
                    token.tsa_name,
                    token.gen_time,
                    files,
                    f"{stem}.tsr",
                    f"{stem}.tsq",
                    f"{stem}-ca.pem",
                    f"{stem}-untrusted.pem" if intermediates else "",
                    root.subject.rfc4514_string(),
                    fingerprint(root),
                )
            )
    return out
