"""A real RFC 3161 time-stamping authority on 127.0.0.1 for tests and bench/stamp.py.

Everything is made with the `openssl` CLI: a root CA, an intermediate CA, TSA certificates
(critical extendedKeyUsage timeStamping) issued with `openssl ca`, and replies signed by
`openssl ts -reply` behind a small http.server in a thread. Each URL path is one TSA profile:

    /good          a proper TSA under root → intermediate (its reply carries the intermediate)
    /untrusted     a proper TSA under another root nobody trusts
    /noeku         a token signed by a certificate without the timeStamping usage (openssl ts
                   refuses such a signer, so the good token's TSTInfo is re-signed with
                   `openssl cms -sign` and wrapped in a TimeStampResp)
    /tampered      the good reply with the last byte of its signature flipped
    /wrong-imprint the good TSA, answering a query whose imprint was altered on the way
    /wrong-nonce   the good TSA, answering a query whose nonce was altered on the way
    /refuse        a TSA that takes only SHA-512: a granted=no (rejection) reply
    /http-error    HTTP 503
    /<profile>     any profile added with `add_tsa` (e.g. a short-lived certificate)
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TSA_EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""
NO_EKU_EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""
CA_EXT = """\
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def openssl(*args: str | Path, cwd: Path | None = None, input: bytes | None = None) -> bytes:
    done = subprocess.run(
        ["openssl", *map(str, args)], cwd=cwd, input=input, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def asn1_time(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der_sequence(*parts: bytes) -> bytes:
    body = b"".join(parts)
    return b"\x30" + der_length(len(body)) + body


class Pki:
    """A CA made with openssl: `issue` signs certificates with chosen extensions and dates."""

    def __init__(self, folder: Path, name: str, parent: Pki | None = None) -> None:
        self.folder = folder
        self.name = name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.txt").write_text("")
        (folder / "serial").write_text("1000\n")
        (folder / "new").mkdir(exist_ok=True)
        (folder / "ext.cnf").write_text(f"[tsa]\n{TSA_EXT}\n[noeku]\n{NO_EKU_EXT}\n[ca]\n{CA_EXT}\n")
        (folder / "ca.cnf").write_text(
            "[ca]\ndefault_ca = this\n[this]\n"
            f"dir = {folder}\ndatabase = {folder}/index.txt\nnew_certs_dir = {folder}/new\n"
            f"serial = {folder}/serial\ndefault_md = sha256\npolicy = anything\n"
            "unique_subject = no\ncopy_extensions = none\n[anything]\ncommonName = supplied\n"
            "organizationName = optional\n"
        )
        self.key = folder / "ca.key"
        self.cert = folder / "ca.pem"
        now = datetime.now(UTC)
        if parent is None:
            openssl(
                "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", self.key, "-out", self.cert, "-days", "3650", "-subj", f"/O=Test PKI/CN={name}",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            )  # fmt: skip
        else:
            parent.issue(
                folder,
                "ca",
                f"/O=Test PKI/CN={name}",
                "ca",
                now - timedelta(days=1),
                now + timedelta(days=3650),
            )

    def issue(
        self, folder: Path, stem: str, subject: str, ext: str, start: datetime, end: datetime
    ) -> tuple[Path, Path]:
        """A new EC key and a certificate for it valid from `start` to `end`: (key, cert)."""
        key, csr, cert = folder / f"{stem}.key", folder / f"{stem}.csr", folder / f"{stem}.pem"
        openssl(
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", subject,
        )  # fmt: skip
        openssl(
            "ca", "-batch", "-config", self.folder / "ca.cnf", "-keyfile", self.key, "-cert", self.cert,
            "-in", csr, "-out", cert, "-notext", "-extfile", self.folder / "ext.cnf", "-extensions", ext,
            "-startdate", asn1_time(start), "-enddate", asn1_time(end),
        )  # fmt: skip
        return key, cert


class LocalTSA:
    """Test PKIs and a TSA server; use as a context manager (`local_tsa`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.root = Pki(folder / "root", "Test Root CA")
        self.intermediate = Pki(folder / "intermediate", "Test TSA Issuing CA", self.root)
        self.stranger = Pki(folder / "stranger", "Untrusted Root CA")
        self.sections: dict[str, str] = {}
        self.lock = threading.Lock()  # openssl ts -reply rewrites its serial file
        now = datetime.now(UTC)
        self.add_tsa("good", now - timedelta(days=1), now + timedelta(days=365))
        self.add_tsa("untrusted", now - timedelta(days=1), now + timedelta(days=365), pki=self.stranger)
        self.add_tsa("refuse", now - timedelta(days=1), now + timedelta(days=365), digests="sha512")
        self.noeku_key, self.noeku_cert = self.intermediate.issue(
            folder, "noeku", "/O=Test PKI/CN=Test signer without timeStamping", "noeku",
            now - timedelta(days=1), now + timedelta(days=365),
        )  # fmt: skip
        self.server: ThreadingHTTPServer | None = None
        self.requests: list[tuple[str, dict[str, str], bytes]] = []  # (path, headers, body) received

    @property
    def root_pem(self) -> Path:
        return self.root.cert

    def add_tsa(
        self, name: str, start: datetime, end: datetime, pki: Pki | None = None, digests: str = "sha256"
    ) -> Path:
        """A TSA profile served at /<name>, its certificate valid from `start` to `end`."""
        pki = pki or self.intermediate
        key, cert = pki.issue(
            self.folder, f"tsa-{name}", f"/O=Test TSA {name}/CN=Test TSA {name}", "tsa", start, end
        )
        (self.folder / f"serial-{name}").write_text("01\n")
        chain_line = f"certs = {pki.cert}\n" if pki is self.intermediate else ""
        self.sections[name] = (
            f"[{name}]\nserial = {self.folder}/serial-{name}\nsigner_cert = {cert}\nsigner_key = {key}\n"
            f"{chain_line}signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = {digests}\n"
            "accuracy = secs:1\nordering = no\ntsa_name = no\ness_cert_id_chain = no\n"
            "ess_cert_id_alg = sha256\n"
        )
        (self.folder / "tsa.cnf").write_text("\n".join(self.sections.values()))
        return cert

    # --- replies ---------------------------------------------------------------------------
    def reply(self, profile: str, query: bytes) -> bytes:
        with self.lock, tempfile.TemporaryDirectory(dir=self.folder) as d:
            q, r = Path(d) / "q.tsq", Path(d) / "r.tsr"
            q.write_bytes(query)
            openssl("ts", "-reply", "-config", self.folder / "tsa.cnf", "-section", profile,
                    "-queryfile", q, "-out", r)  # fmt: skip
            return r.read_bytes()

    def resigned_without_eku(self, query: bytes) -> bytes:
        """The good TSA's TSTInfo, signed again by a certificate lacking the timeStamping usage."""
        good = self.reply("good", query)
        with tempfile.TemporaryDirectory(dir=self.folder) as d:
            folder = Path(d)
            (folder / "r.tsr").write_bytes(good)
            openssl("ts", "-reply", "-in", "r.tsr", "-token_out", "-out", "token.der", cwd=folder)
            openssl("cms", "-verify", "-noverify", "-inform", "DER", "-in", "token.der", "-out", "tst.der",
                    cwd=folder)  # fmt: skip
            token = openssl(
                "cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-md", "sha256",
                "-econtent_type", "1.2.840.113549.1.9.16.1.4", "-in", "tst.der",
                "-signer", self.noeku_cert, "-inkey", self.noeku_key, cwd=folder,
            )  # fmt: skip
        return der_sequence(der_sequence(b"\x02\x01\x00"), token)

    def answer(self, path: str, query: bytes) -> tuple[int, bytes]:
        profile = path.strip("/")
        if profile == "http-error":
            return 503, b"busy"
        if profile == "noeku":
            return 200, self.resigned_without_eku(query)
        if profile == "wrong-imprint":
            return 200, self.reply("good", altered_query(query, "imprint"))
        if profile == "wrong-nonce":
            return 200, self.reply("good", altered_query(query, "nonce"))
        if profile == "tampered":
            good = bytearray(self.reply("good", query))
            good[-1] ^= 0x01
            return 200, bytes(good)
        if profile in self.sections:
            return 200, self.reply(profile, query)
        return 404, b"no such TSA"

    # --- the server ------------------------------------------------------------------------
    def start(self) -> None:
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                tsa.requests.append((self.path, dict(self.headers.items()), query))
                try:
                    code, body = tsa.answer(self.path, query)
                except RuntimeError:
                    code, body = 500, b"openssl failed"
                self.send_response(code)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def url(self, profile: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/{profile}"


def altered_query(query: bytes, what: str) -> bytes:
    """The TimeStampReq with one byte of its imprint or nonce changed (DER: the imprint is the
    first OCTET STRING of 32 bytes, the nonce the INTEGER right after it)."""
    b = bytearray(query)
    at = b.index(b"\x04\x20") + 2
    if what == "imprint":
        b[at] ^= 0x01
    else:
        nonce = at + 32
        assert b[nonce] == 0x02, "the nonce follows the imprint"
        b[nonce + 1 + b[nonce + 1]] ^= 0x01  # its last byte
    return bytes(b)


@contextmanager
def local_tsa(folder: Path) -> Iterator[LocalTSA]:
    tsa = LocalTSA(folder)
    tsa.start()
    try:
        yield tsa
    finally:
        tsa.stop()


def closed_port_url() -> str:
    """An URL on 127.0.0.1 where nothing listens: an offline TSA."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsr"
