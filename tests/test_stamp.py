"""Trusted timestamps (issue 13) against a real local TSA (tests/tsa.py: openssl CA, openssl ts -reply).

Round trip through the CLI, the exported token checked by stock `openssl ts -verify` with the
line VERIFY.txt prints, every bad reply refused by `stamp` (nothing written) and by `verify`
(a bad token recorded behind the checks' back), expiry after the fact, offline TSAs, the
automatic stamp after `add`, and the settings behind it.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from complaints.assembly import assemble_complaint
from complaints.gather import gather_case
from evidence import custody, timestamps
from evidence.errors import TimestampError
from evidence.schema import CustodyEntry
from evidence.store import HEAD_FILE, Store, init_store
from evidence.verification import verify_store
from tests.conftest import DEMO, DEMO_PARTY, DEMO_PROFILE, FAST_LOG_N, PASSPHRASE, run_cli
from tests.tsa import LocalTSA, closed_port_url, local_tsa

SMS = DEMO / "sms-20260817.xml"
CALLS = DEMO / "calls-20260817.xml"

# What each bad TSA must be refused for (by `stamp` and by `verify`), in the user's words.
BAD_TOKENS = {
    "tampered": "signature does not verify",
    "wrong-imprint": "imprint is not the custody head",
    "wrong-nonce": "nonce is not the request's",
    "noeku": "not for time-stamping",
    "untrusted": "does not chain to a trusted root",
}
BAD_REPLIES = {
    **BAD_TOKENS,
    "refuse": "the TSA refused (status rejection",
    "http-error": "refused the request (HTTP 503)",
}


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTSA]:
    with local_tsa(tmp_path_factory.mktemp("tsa")) as server:
        yield server


@pytest.fixture
def trust(tsa: LocalTSA) -> timestamps.TrustStore:
    """Only the test root: no system bundle, so nothing but the local PKI can pass."""
    return timestamps.trust_store([tsa.root_pem.read_bytes()])


@pytest.fixture
def filled(store: Store) -> Store:
    from evidence import intake

    intake.add_paths(store, [SMS], None, None)
    return store


def stamp_entries(store: Store) -> list[CustodyEntry]:
    with store.transaction() as s:
        return list(s.scalars(select(CustodyEntry).where(CustodyEntry.action == "stamp")))


def log_state(home: Path) -> tuple[int, bytes]:
    """(custody entries, head file bytes) read with a fresh store: what "nothing written" compares."""
    from evidence.store import open_store

    s = open_store(home, PASSPHRASE)
    try:
        with s.transaction() as t:
            count = len(list(t.scalars(select(CustodyEntry.seq))))
    finally:
        s.close()
    return count, (home / HEAD_FILE).read_bytes()


def cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


# --- round trip ----------------------------------------------------------------------------------


def test_round_trip_report_bundle_and_stock_openssl(tsa: LocalTSA, home: Path, tmp_path: Path) -> None:
    assert run_cli(home, "init").exit_code == 0
    assert run_cli(home, "add", str(SMS), str(CALLS)).exit_code == 0
    assert run_cli(home, *DEMO_PARTY).exit_code == 0
    assert run_cli(home, *DEMO_PROFILE).exit_code == 0
    r = run_cli(home, "stamp", "--json", "--tsa", tsa.url("good"), "--ca", str(tsa.root_pem))
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert [t["tsa_name"] for t in out["tokens"]] == ["Test TSA good"]
    assert out["entry"] == out["head_seq"] + 1 and out["failed"] == []
    # What went out: certReq and a nonce, the imprint being the head itself.
    _path, headers, query = tsa.requests[-1]
    assert headers["Content-Type"] == "application/timestamp-query"
    assert bytes.fromhex(out["head"]) in query

    v = run_cli(home, "verify", "--json", "--ca", str(tsa.root_pem))
    assert v.exit_code == 0, v.stdout
    assert json.loads(v.stdout)["stamps_checked"] == 1

    # The report states the stamp under the custody head, and what it proves and does not.
    from evidence.store import open_store

    store = open_store(home, PASSPHRASE)
    try:
        complaint = assemble_complaint("12321", gather_case(store, "好借花"))
    finally:
        store.close()
    statement = complaint.hash_statement
    head_at = statement.index(complaint.case.custody_head)
    stamp_at = statement.index("本证据库状态已于")
    assert head_at < stamp_at
    assert "由“Test TSA good”时间戳服务机构加盖可信时间戳" in statement
    assert "最晚在上述时间已经存在" in statement and "不能证明" in statement
    local = datetime.fromisoformat(out["tokens"][0]["gen_time"])
    assert local.strftime("%Y-%m-%d %H:%M:%S") in statement
    printed = re.search(r"其哈希值为 ([0-9a-f]{64})", statement)
    assert printed is not None and printed.group(1) == out["head"]

    pdf = tmp_path / "12321.pdf"
    assert run_cli(home, "report", "--to", "12321", "--party", "好借花", "-o", str(pdf)).exit_code == 0
    bundle = tmp_path / "bundle.zip"
    e = run_cli(home, "export", "--party", "好借花", "--report", str(pdf), "-o", str(bundle))
    assert e.exit_code == 0, e.stderr
    bag = tmp_path / "bag"
    with zipfile.ZipFile(bundle) as z:
        z.extractall(bag)
    root = bag / "locker-bundle"
    verify_txt = (root / "VERIFY.txt").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in verify_txt.splitlines() if ln.strip().startswith("openssl ts -verify")]
    assert len(lines) == 2  # -digest, and -queryfile
    digest_line = lines[0]
    assert f"-digest {printed.group(1)} " in digest_line  # the head printed on the report
    for line in lines:
        done = subprocess.run(shlex.split(line), cwd=root, capture_output=True, text=True)
        assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    # The same line fails for any other digest: the check is real.
    other = digest_line.replace(printed.group(1), custody.GENESIS)
    done = subprocess.run(shlex.split(other), cwd=root, capture_output=True, text=True)
    assert done.returncode != 0 and "Verification: FAILED" in done.stdout
    # The bag lists the token files in its manifest, and the stamped head is on its log.
    manifest = (root / "manifest-sha256.txt").read_text()
    assert re.search(r"data/timestamps/entry-\d{4}-1\.tsr", manifest)
    log = [json.loads(x) for x in (root / "data" / "custody-log.jsonl").read_text().splitlines()]
    assert next(x for x in log if x["seq"] == out["head_seq"])["hash"] == out["head"]
    assert next(x for x in log if x["seq"] == out["entry"])["action"] == "stamp"  # kept whole in scope


def test_stamped_token_is_the_tsas_bytes_and_names_its_chain(filled: Store, tsa: LocalTSA, trust) -> None:  # type: ignore[no-untyped-def]
    before = len(tsa.requests)
    outcome = timestamps.stamp_head(filled, [tsa.url("good")], trust)
    token = outcome.tokens[0]
    assert len(tsa.requests) == before + 1
    # Stored as received (the bundle's .tsr is what the TSA signed and sent).
    detail = stamp_entries(filled)[0].detail["tokens"][0]
    assert timestamps.stored_token(detail).response == token.response
    assert [c.subject.rfc4514_string() for c in token.chain] == [
        "O=Test TSA good,CN=Test TSA good",
        "O=Test PKI,CN=Test TSA Issuing CA",
        "CN=Test Root CA,O=Test PKI",
    ]
    with filled.transaction() as s:
        assert custody.head(s).seq == outcome.entry  # type: ignore[union-attr]
        summary = timestamps.latest_stamp(s)
    assert summary is not None and summary.head == outcome.head and summary.tsa_names == ("Test TSA good",)


def test_certificates_out_of_der_order_are_read(filled: Store, tsa: LocalTSA) -> None:
    """openssl ts -reply writes its two certificates in the order configured; the strict parser
    wants DER order. Both orders must verify, and the order is not signed over."""
    from rfc3161_client import decode_timestamp_response

    with filled.transaction() as s:
        head = timestamps.current_head(s)
    request = timestamps.build_request(head)
    reply = timestamps.http_post(tsa.url("good"), request.as_bytes())
    normal = timestamps.der_ordered(reply)
    a, b = (cert(tsa.folder / "tsa-good.pem"), cert(tsa.intermediate.cert))
    ders = [c.public_bytes(Encoding.DER) for c in (a, b)]
    swapped = normal.replace(min(ders) + max(ders), max(ders) + min(ders))
    assert swapped != normal
    with pytest.raises(ValueError, match="SetOrdering"):
        decode_timestamp_response(swapped)  # what the parser alone makes of it
    trust = timestamps.trust_store([tsa.root_pem.read_bytes()])
    for variant in (reply, swapped):
        response, chain = timestamps.check_reply(variant, head.hash, request.nonce or 0, trust)
        assert response.tst_info.message_imprint.message.hex() == head.hash and len(chain) == 3


# --- bad replies: refused by `stamp`, nothing written ----------------------------------------------


@pytest.mark.parametrize("profile", sorted(BAD_REPLIES))
def test_stamp_refuses_a_bad_reply_and_writes_nothing(tsa: LocalTSA, cli_home: Path, profile: str) -> None:
    assert run_cli(cli_home, "add", str(SMS)).exit_code == 0
    before = log_state(cli_home)
    r = run_cli(cli_home, "stamp", "--tsa", tsa.url(profile), "--ca", str(tsa.root_pem))
    assert r.exit_code == 4
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("locker: error: not stamped: "), r.stderr
    assert BAD_REPLIES[profile] in lines[0]
    assert log_state(cli_home) == before


def test_offline_tsa_exit_4_nothing_written(cli_home: Path) -> None:
    before = log_state(cli_home)
    files = sorted(p.name for p in cli_home.rglob("*"))
    r = run_cli(cli_home, "stamp", "--tsa", closed_port_url())
    assert r.exit_code == 4
    assert r.stderr.count("\n") == 1 and "cannot be reached" in r.stderr and "online" in r.stderr
    assert log_state(cli_home) == before
    assert sorted(p.name for p in cli_home.rglob("*")) == files


def test_one_good_tsa_of_two_is_enough_the_other_is_a_warning(tsa: LocalTSA, cli_home: Path) -> None:
    r = run_cli(
        cli_home, "stamp", "--tsa", closed_port_url(), "--tsa", tsa.url("good"), "--ca", str(tsa.root_pem)
    )
    assert r.exit_code == 0, r.stderr
    assert "warning:" in r.stderr and "cannot be reached" in r.stderr
    assert "time-stamped by Test TSA good" in r.stdout


def test_a_password_in_the_tsa_url_is_sent_never_kept_or_shown(filled: Store, tsa: LocalTSA, trust) -> None:  # type: ignore[no-untyped-def]
    url = tsa.url("good").replace("http://", "http://alice:s3cret@")
    timestamps.stamp_head(filled, [url], trust)
    _path, headers, _query = tsa.requests[-1]
    assert headers["Authorization"] == "Basic YWxpY2U6czNjcmV0"  # alice:s3cret
    stored = json.dumps(stamp_entries(filled)[0].detail)
    assert "s3cret" not in stored and "alice" not in stored
    with pytest.raises(TimestampError) as err:
        timestamps.stamp_head(filled, [url.replace("/good", "/tampered")], trust)
    assert "s3cret" not in str(err.value)


def test_only_http_urls_are_tsas(cli_home: Path) -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/tsr", "not a url"):
        r = run_cli(cli_home, "stamp", "--tsa", url)
        assert r.exit_code == 2, (url, r.stderr)


# --- bad tokens in the log: refused by `verify` ---------------------------------------------------


def record_unchecked(store: Store, tsa: LocalTSA, profile: str) -> int:
    """Ask `profile` for a token on the head and record it *without* the checks, as a forged or
    buggy stamp entry would be; the entry's seq."""
    with store.transaction() as s:
        head = timestamps.current_head(s)
    request = timestamps.build_request(head)
    reply = timestamps.http_post(tsa.url(profile), request.as_bytes())
    chain = tuple(cert(p) for p in (tsa.folder / "tsa-good.pem", tsa.intermediate.cert, tsa.root_pem))
    token = timestamps.Token(
        tsa.url(profile), "forged", store.now(), 1, request.nonce or 0, request.as_bytes(), reply, chain
    )
    with store.transaction() as s:
        return timestamps.record_stamp(s, head.seq, head.hash, [token], store.now())


@pytest.mark.parametrize("profile", sorted(BAD_TOKENS))
def test_verify_refuses_a_bad_token(filled: Store, tsa: LocalTSA, trust, profile: str) -> None:  # type: ignore[no-untyped-def]
    good = timestamps.stamp_head(filled, [tsa.url("good")], trust)
    assert verify_store(filled, trust=trust).ok
    seq = record_unchecked(filled, tsa, profile)
    report = verify_store(filled, trust=trust)
    assert not report.ok
    problems = [p.problem for p in report.problems]
    assert len(problems) == 1, problems  # the chain holds; only the forged stamp fails
    assert f"custody entry {seq}" in problems[0] and BAD_TOKENS[profile] in problems[0]
    assert f"custody entry {good.entry}" not in problems[0]


def test_verify_refuses_a_stamp_of_a_head_not_on_the_chain(filled: Store, tsa: LocalTSA, trust) -> None:  # type: ignore[no-untyped-def]
    outcome = timestamps.stamp_head(filled, [tsa.url("good")], trust)
    with filled.transaction() as s:
        entry = custody.append(
            s, "stamp", {**stamp_entries(filled)[0].detail, "head_seq": 1}, filled.now()
        )  # a valid token, claimed for another entry
    report = verify_store(filled, trust=trust)
    assert [p.problem for p in report.problems] == [
        f"the trusted timestamp in custody entry {entry.seq} is of a custody head that is not on this chain"
    ]
    assert outcome.head_seq != 1


def test_verify_without_the_root_fails_and_with_it_passes(tsa: LocalTSA, cli_home: Path) -> None:
    assert run_cli(cli_home, "stamp", "--tsa", tsa.url("good"), "--ca", str(tsa.root_pem)).exit_code == 0
    bare = run_cli(cli_home, "verify")  # the system bundle alone does not know the test root
    assert bare.exit_code == 1 and "does not chain to a trusted root" in bare.stdout
    assert run_cli(cli_home, "verify", "--ca", str(tsa.root_pem)).exit_code == 0
    assert run_cli(cli_home, "config", "set", "stamp-ca", str(tsa.root_pem)).exit_code == 0
    assert run_cli(cli_home, "verify").exit_code == 0


# --- time: valid then, expired since --------------------------------------------------------------


def test_a_token_verifies_after_its_tsa_certificate_expired(
    filled: Store, tsa: LocalTSA, trust, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    leaf = tsa.add_tsa("short-lived", now - timedelta(minutes=1), now + timedelta(seconds=5))
    outcome = timestamps.stamp_head(filled, [tsa.url("short-lived")], trust)
    expiry = cert(leaf).not_valid_after_utc
    assert outcome.tokens[0].gen_time <= expiry
    time.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 1.5)
    assert datetime.now(UTC) > expiry  # the TSA certificate has expired now

    assert verify_store(filled, trust=trust).ok
    # Stock OpenSSL agrees at the token's time (-attime, as VERIFY.txt says) and, without it,
    # refuses the expired certificate: the expiry is real.
    token = timestamps.bundle_tokens([custody.as_dict(e) for e in stamp_entries(filled)])[0]
    for arc, data in token.files.items():
        (tmp_path / arc).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / arc).write_bytes(data)
    ok = subprocess.run(shlex.split(token.command), cwd=tmp_path, capture_output=True, text=True)
    assert "Verification: OK" in ok.stdout, ok.stderr
    now_check = token.command.rsplit(" -attime", 1)[0]
    late = subprocess.run(shlex.split(now_check), cwd=tmp_path, capture_output=True, text=True)
    assert late.returncode != 0 and "expired" in late.stderr


@pytest.mark.parametrize(("start", "end"), [(-7200, -3600), (3600, 7200)], ids=["expired", "not-yet"])
def test_a_certificate_not_valid_at_gentime_is_refused(  # type: ignore[no-untyped-def]
    filled: Store, tsa: LocalTSA, trust, start: int, end: int
) -> None:
    now = datetime.now(UTC)
    name = f"outside-{start}"
    if name not in tsa.sections:
        tsa.add_tsa(name, now + timedelta(seconds=start), now + timedelta(seconds=end))
    with pytest.raises(TimestampError, match="not valid at the token's time"):
        timestamps.stamp_head(filled, [tsa.url(name)], trust)
    assert stamp_entries(filled) == []
    seq = record_unchecked(filled, tsa, name)
    problems = [p.problem for p in verify_store(filled, trust=trust).problems]
    assert (
        len(problems) == 1
        and f"entry {seq}" in problems[0]
        and "not valid at the token's time" in problems[0]
    )


# --- automatic stamping after add ---------------------------------------------------------------


def test_stamp_after_add_batches_and_never_fails_an_add(tsa: LocalTSA, cli_home: Path) -> None:
    env = {"LOCKER_TSA": tsa.url("good")}
    assert run_cli(cli_home, "config", "set", "stamp-ca", str(tsa.root_pem)).exit_code == 0
    assert run_cli(cli_home, "add", str(SMS), **env).exit_code == 0
    assert stamp_count(cli_home) == 0  # off by default

    assert run_cli(cli_home, "config", "set", "stamp-after-add", "on").exit_code == 0
    r = run_cli(cli_home, "add", "--json", str(CALLS), str(DEMO / "075512345678_20260814090000.m4a"), **env)
    assert r.exit_code == 0, r.stderr
    assert len(json.loads(r.stdout)) == 2  # the JSON contract is untouched
    entries = custody_log(cli_home)
    stamps = [e for e in entries if e["action"] == "stamp"]
    assert len(stamps) == 1  # one stamp for the whole batch
    assert stamps[0]["detail"]["head_seq"] == stamps[0]["seq"] - 1
    assert all(e["seq"] < stamps[0]["seq"] for e in entries if e["action"] == "add")

    offline = run_cli(cli_home, "add", str(DEMO / XIAOMI), LOCKER_TSA=closed_port_url())
    assert offline.exit_code == 0  # the add stands
    assert "warning: not time-stamped" in offline.stderr and "cannot be reached" in offline.stderr
    assert stamp_count(cli_home) == 1
    missed = max(e["seq"] for e in custody_log(cli_home) if e["action"] == "add")

    assert run_cli(cli_home, "add", str(DEMO / SCREENSHOT), **env).exit_code == 0
    entries = custody_log(cli_home)
    last = [e for e in entries if e["action"] == "stamp"][-1]
    assert stamp_count(cli_home) == 2 and last["detail"]["head_seq"] > missed  # covers the missed add
    assert run_cli(cli_home, "add", str(DEMO / SCREENSHOT), **env).exit_code == 0  # a duplicate
    assert stamp_count(cli_home) == 3  # its add-duplicate entry is new, so it is stamped too
    assert run_cli(cli_home, "verify").exit_code == 0


def test_stamp_if_due_skips_a_head_already_stamped(filled: Store, tsa: LocalTSA, trust) -> None:  # type: ignore[no-untyped-def]
    assert timestamps.stamp_if_due(filled, [tsa.url("good")], trust) is not None
    assert timestamps.stamp_if_due(filled, [tsa.url("good")], trust) is None
    assert len(stamp_entries(filled)) == 1


XIAOMI = "通话录音@171 5555 0001(17155550001)_20260811091000.mp3"
SCREENSHOT = "Screenshot_2026-08-12-22-48-30-517_com.tencent.mm.jpg"


def custody_log(home: Path) -> list[dict[str, object]]:
    from evidence.store import open_store

    s = open_store(home, PASSPHRASE)
    try:
        with s.transaction() as t:
            return [custody.as_dict(e) for e in t.scalars(select(CustodyEntry).order_by(CustodyEntry.seq))]
    finally:
        s.close()


def stamp_count(home: Path) -> int:
    return sum(1 for e in custody_log(home) if e["action"] == "stamp")


# --- settings -----------------------------------------------------------------------------------


def test_config_set_get_unset_and_the_tsa_precedence(tsa: LocalTSA, cli_home: Path) -> None:
    assert run_cli(cli_home, "config", "get", "stamp-after-add").stdout.strip() == "off"
    assert run_cli(cli_home, "config", "set", "stamp-after-add", "maybe").exit_code == 2
    assert run_cli(cli_home, "config", "set", "colour", "on").exit_code == 2
    assert run_cli(cli_home, "config", "set", "stamp-tsa", closed_port_url()).exit_code == 0
    ca = ["--ca", str(tsa.root_pem)]
    # config < $LOCKER_TSA < --tsa
    assert run_cli(cli_home, "stamp", *ca).exit_code == 4
    assert run_cli(cli_home, "stamp", *ca, LOCKER_TSA=tsa.url("good")).exit_code == 0
    assert (
        run_cli(cli_home, "stamp", *ca, "--tsa", tsa.url("good"), LOCKER_TSA=closed_port_url()).exit_code == 0
    )
    assert run_cli(cli_home, "config", "unset", "stamp-tsa").exit_code == 0
    listed = json.loads(run_cli(cli_home, "config", "ls", "--json").stdout)
    assert listed == {"stamp-after-add": "off", "stamp-tsa": "", "stamp-ca": ""}
    changes = [e["detail"] for e in custody_log(cli_home) if e["action"] == "config"]
    assert [c["key"] for c in changes] == ["stamp-tsa", "stamp-tsa"]


def test_default_tsas_come_from_the_template() -> None:
    known = timestamps.known_tsas()
    assert timestamps.default_urls() and all(u.startswith("http") for u in timestamps.default_urls())
    assert any(t.account for t in known)  # the list says which need an account
    assert all(t.url == "" or timestamps.check_url(t.url) for t in known)


def test_the_system_bundle_loads_without_warnings() -> None:
    bundle = timestamps.system_ca_bundle()
    if bundle is None:
        pytest.skip("no system CA bundle here")
    assert len(timestamps.trust_store([], bundle).roots) > 10  # filterwarnings=error: none escaped


def test_a_locker_made_from_scratch_verifies_its_stamp_after_reopening(tsa: LocalTSA, tmp_path: Path) -> None:
    store, _ = init_store(tmp_path / "l", PASSPHRASE, FAST_LOG_N)
    trust = timestamps.trust_store([tsa.root_pem.read_bytes()])
    try:
        timestamps.stamp_head(store, [tsa.url("good")], trust)  # the init entry alone is a head too
    finally:
        store.close()
    from evidence.store import open_store

    again = open_store(tmp_path / "l", PASSPHRASE)
    try:
        report = verify_store(again, trust=trust)
    finally:
        again.close()
    assert report.ok and report.stamps == 1
