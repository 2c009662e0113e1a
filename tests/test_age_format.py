"""The age v1 format: the C2SP vectors, interop with the real `age` binary both ways, tampering."""

from __future__ import annotations

import hashlib
import io
import math
import os
import pty
import random
import shutil
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence import age
from tests.conftest import SHARED

VECTORS = SHARED / "vectors" / "age"
OUTCOMES: dict[str, type[age.AgeError] | None] = {
    "success": None,
    "no match": age.AgeNoMatchError,
    "HMAC failure": age.AgeHMACError,
    "header failure": age.AgeHeaderError,
    "payload failure": age.AgePayloadError,
    "armor failure": age.AgeArmorError,
}
C = age.CHUNK_SIZE
needs_age = pytest.mark.skipif(shutil.which("age") is None, reason="the age binary is not installed")


def vector_names() -> list[str]:
    return sorted(p.name for p in VECTORS.iterdir()) if VECTORS.is_dir() else []


@pytest.mark.parametrize("name", vector_names())
def test_c2sp_vector(name: str) -> None:
    if "hybrid" in name:
        pytest.skip(
            "ML-KEM-768+X25519 hybrid recipients are not implemented (the locker uses X25519 and scrypt)"
        )
    head, _, body = (VECTORS / name).read_bytes().partition(b"\n\n")
    meta: dict[str, str] = {}
    identities: list[age.X25519Identity | age.ScryptIdentity] = []
    for line in head.decode().splitlines():
        key, _, value = line.partition(": ")
        if key == "identity":
            identities.append(age.X25519Identity.parse(value))
        elif key == "passphrase":
            identities.append(age.ScryptIdentity(value))
        else:
            meta[key] = value
    if meta.get("compressed") == "zlib":
        body = zlib.decompress(body)
    released = hashlib.sha256()
    outcome: type[age.AgeError] | None = None
    try:
        for chunk in age.decrypt_chunks(io.BytesIO(body), identities, armored=meta.get("armored") == "yes"):
            released.update(chunk)
    except age.AgeError as e:
        outcome = type(e)
    assert outcome is OUTCOMES[meta["expect"]], meta.get("comment", "")
    if "payload" in meta:
        assert released.hexdigest() == meta["payload"]


def test_all_x25519_scrypt_stream_header_hmac_and_armor_cases_ran() -> None:
    names = vector_names()
    if not names:
        pytest.skip("shared/vectors is not beside the repo")
    for family in ("x25519", "scrypt", "stream", "header", "hmac", "armor", "stanza"):
        assert any(n.startswith(family) for n in names), family


def _age_with_passphrase(args: list[str], passphrase: str) -> int:
    """age reads passphrases only from a terminal: run it on a pseudo-terminal and answer."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes age
        os.execvp("age", ["age", *args])
    seen = b""
    answered = 0
    while True:
        try:
            data = os.read(fd, 1024)
        except OSError:
            break
        if not data:
            break
        seen += data
        prompts = seen.lower().count(b"passphrase")
        while answered < prompts:
            os.write(fd, passphrase.encode() + b"\n")
            answered += 1
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status)


@needs_age
@pytest.mark.parametrize("size", [0, 1, C - 1, C, C + 1, 3 * C])
def test_real_age_decrypts_what_we_write(tmp_path: Path, size: int) -> None:
    identity = age.X25519Identity.generate()
    (tmp_path / "key.txt").write_text(identity.encode() + "\n")
    data = random.Random(size).randbytes(size)
    (tmp_path / "x.age").write_bytes(age.encrypt_bytes(data, identity.recipient))
    p = subprocess.run(
        ["age", "-d", "-i", str(tmp_path / "key.txt"), str(tmp_path / "x.age")], capture_output=True
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout == data


@needs_age
@pytest.mark.parametrize("size", [0, C + 1])
def test_we_decrypt_what_real_age_writes(tmp_path: Path, size: int) -> None:
    subprocess.run(["age-keygen", "-o", str(tmp_path / "key.txt")], check=True, capture_output=True)
    identity = age.X25519Identity.parse((tmp_path / "key.txt").read_text().splitlines()[-1])
    data = random.Random(size).randbytes(size)
    (tmp_path / "plain").write_bytes(data)
    for armor in ([], ["-a"]):
        subprocess.run(
            [
                "age",
                *armor,
                "-r",
                identity.recipient.encode(),
                "-o",
                str(tmp_path / "x.age"),
                str(tmp_path / "plain"),
            ],
            check=True,
        )
        assert age.decrypt_bytes((tmp_path / "x.age").read_bytes(), [identity]) == data


@needs_age
def test_scrypt_interop_both_ways(tmp_path: Path) -> None:
    secret = "correct horse 电池"
    (tmp_path / "ours.age").write_bytes(
        age.encrypt_bytes(b"identity text", age.ScryptRecipient(secret, log_n=12))
    )
    assert _age_with_passphrase(["-d", "-o", str(tmp_path / "out"), str(tmp_path / "ours.age")], secret) == 0
    assert (tmp_path / "out").read_bytes() == b"identity text"
    (tmp_path / "plain").write_bytes(b"from the real tool")
    assert (
        _age_with_passphrase(["-p", "-o", str(tmp_path / "theirs.age"), str(tmp_path / "plain")], secret) == 0
    )
    assert (
        age.decrypt_bytes((tmp_path / "theirs.age").read_bytes(), [age.ScryptIdentity(secret)])
        == b"from the real tool"
    )
    with pytest.raises(age.AgeNoMatchError):
        age.decrypt_bytes((tmp_path / "theirs.age").read_bytes(), [age.ScryptIdentity("wrong")])


def test_keys_round_trip_and_reject_garbage() -> None:
    identity = age.X25519Identity.generate()
    again = age.X25519Identity.parse(identity.encode().lower())
    assert again.encode() == identity.encode()
    assert age.X25519Recipient.parse(identity.recipient.encode()).public == identity.recipient.public
    assert identity.encode() not in repr(identity)
    encoded = identity.encode()
    # One checksum character changed (to another: one key in 32 ends in Q already).
    damaged = encoded[:-1] + ("P" if encoded[-1] == "Q" else "Q")
    for bad in ("", "AGE-SECRET-KEY-1", damaged, identity.recipient.encode()):
        with pytest.raises(age.AgeError):
            age.X25519Identity.parse(bad)


@settings(max_examples=30, deadline=None)
@given(
    st.one_of(st.sampled_from([0, 1, C - 1, C, C + 1, 2 * C, 4 * C + 1]), st.integers(0, 4 * C + 1)),
    st.lists(st.integers(1, 3 * C), max_size=6),
    st.integers(0, 2**32),
)
def test_round_trip_with_any_write_split(size: int, splits: list[int], seed: int) -> None:
    identity = age.X25519Identity.generate()
    data = random.Random(seed).randbytes(size)
    out = io.BytesIO()
    writer = age.AgeWriter(out, identity.recipient)
    pos = 0
    for n in splits:
        writer.write(data[pos : pos + n])
        pos = min(size, pos + n)
    writer.write(data[pos:])
    writer.close()
    assert age.decrypt_bytes(out.getvalue(), [identity]) == data


def test_every_flipped_byte_is_caught() -> None:
    identity = age.X25519Identity.generate()
    sealed = age.encrypt_bytes(b"evidence" * 40, identity.recipient)
    for i in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[i] ^= 0x01
        with pytest.raises(age.AgeError):
            age.decrypt_bytes(bytes(tampered), [identity])


def test_truncation_at_every_chunk_boundary_is_caught() -> None:
    identity = age.X25519Identity.generate()
    sealed = age.encrypt_bytes(os.urandom(3 * C + 5), identity.recipient)
    header_end = sealed.index(b"\n---") + 1
    header_end = sealed.index(b"\n", header_end) + 1 + 16  # header, then the payload nonce
    for k in range(1, 4):
        cut = header_end + k * (C + 16)
        with pytest.raises(age.AgePayloadError):
            age.decrypt_bytes(sealed[:cut], [identity])
    with pytest.raises(age.AgePayloadError):
        age.decrypt_bytes(sealed + b"x", [identity])


def test_scrypt_work_factor_is_capped() -> None:
    sealed = age.encrypt_bytes(b"x", age.ScryptRecipient("pw", log_n=12))
    with pytest.raises(age.AgeHeaderError):
        age.decrypt_bytes(sealed, [age.ScryptIdentity("pw", max_log_n=11)])


def test_calibration_stays_in_bounds() -> None:
    assert 15 <= age.calibrate_scrypt_log_n(1.0) <= 20


# --- padding -----------------------------------------------------------------------------------


def _padme(length: int) -> int:
    """Padmé as the paper writes it (Nikitin et al. 2019, Algorithm 1)."""
    e = math.floor(math.log2(length))
    s = math.floor(math.log2(e)) + 1
    mask = (1 << (e - s)) - 1
    return (length + mask) & ~mask


def _seal_padded(data: bytes, recipient: age.X25519Recipient, hint: int | None = None) -> bytes:
    out = io.BytesIO()
    with age.AgeWriter(out, recipient, pad_to_plaintext_size=len(data) if hint is None else hint) as w:
        w.write(data)
    return out.getvalue()


def test_padded_length_is_padme_with_its_step_capped_at_1_mib() -> None:
    m = age.MIN_PADDING
    rng = random.Random(7)
    totals = [*range(0, 5000), *(rng.randrange(1 << 36) for _ in range(3000))]
    totals += [(1 << k) + d - m for k in range(8, 36) for d in (-1, 0, 1)]
    for total in totals:
        length = total + m
        got = age.padded_length(total)
        if length < 1 << 26:  # below 64 MiB Padmé never rounds by more than 1 MiB
            assert got == _padme(length), total
        else:
            assert got == -(-length // (1 << 20)) << 20, total
        assert length <= got < length + age.PAD_STEP_LIMIT
    for total, bucket in [
        (200, 224),
        (1000, 1024),
        (100_000, 100_352),
        (1_000_000, 1_015_808),
        (10_000_000, 10_223_616),
        (100_000_000, 100_663_296),
    ]:  # the docstring's examples
        assert age.padded_length(total) == bucket
    with pytest.raises(ValueError):
        age.padded_length(-1)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.sampled_from([0, 1, C - 1, C, C + 1, 2 * C]), st.integers(0, 5 * C)))
def test_a_padded_object_is_exactly_its_bucket_long(size: int) -> None:
    identity = age.X25519Identity.generate()
    data = os.urandom(size)
    plain = age.encrypt_bytes(data, identity.recipient)
    padded = _seal_padded(data, identity.recipient)
    assert len(padded) == age.padded_length(len(plain))
    assert age.decrypt_bytes(padded, [identity]) == data
    with age.open_reader(io.BytesIO(padded), [identity]) as reader:
        assert reader.size == size and reader.read() == data


def test_every_padding_amount_is_hit_exactly() -> None:
    """Small plaintexts in steps of one byte walk the padding through every amount from the
    smallest stanza up (64-column line breaks, base64 lengths, both argument lengths)."""
    identity = age.X25519Identity.generate()
    base = len(age.encrypt_bytes(b"", identity.recipient))
    amounts = set()
    for size in range(0, 4200):
        padded = _seal_padded(bytes(size), identity.recipient)
        assert len(padded) == age.padded_length(base + size), size
        amounts.add(len(padded) - base - size)
    assert min(amounts) == age.MIN_PADDING
    assert set(range(age.MIN_PADDING, age.MIN_PADDING + 256)) <= amounts
    assert age.decrypt_bytes(_seal_padded(bytes(300), identity.recipient), [identity]) == bytes(300)


def test_nearby_sizes_in_one_bucket_have_one_length() -> None:
    identity = age.X25519Identity.generate()
    base = len(age.encrypt_bytes(b"", identity.recipient))  # the unpadded length of an empty file
    for size in (1000, 50_000, 300_000, 2_000_000):
        bucket = age.padded_length(base + size)
        same = [n for n in range(size, size + 60, 3) if age.padded_length(base + n) == bucket]
        assert len(same) >= 2, size
        lengths = {len(_seal_padded(os.urandom(n), identity.recipient)) for n in same}
        assert lengths == {bucket}, size
        unpadded = {len(age.encrypt_bytes(bytes(n), identity.recipient)) for n in same}
        assert len(unpadded) == len(same)  # without padding every one of them is told apart


def test_a_wrong_size_hint_still_gives_a_valid_file() -> None:
    identity = age.X25519Identity.generate()
    for hint, size in ((1000, 5000), (5000, 1000), (0, C + 1), (10 * C, 3)):
        data = os.urandom(size)
        padded = _seal_padded(data, identity.recipient, hint=hint)
        assert age.decrypt_bytes(padded, [identity]) == data
        assert age.open_reader(io.BytesIO(padded), [identity]).read() == data


def test_padding_is_refused_for_a_passphrase_or_a_negative_size() -> None:
    with pytest.raises(ValueError):
        age.AgeWriter(io.BytesIO(), age.ScryptRecipient("pw", log_n=10), pad_to_plaintext_size=10)
    with pytest.raises(ValueError):
        age.AgeWriter(io.BytesIO(), age.X25519Identity.generate().recipient, pad_to_plaintext_size=-1)


@needs_age
@pytest.mark.parametrize("size", [0, 1, 1000, C - 1, C, C + 1, 3 * C + 7, 1_000_000])
def test_real_age_decrypts_padded_objects(tmp_path: Path, size: int) -> None:
    identity = age.X25519Identity.generate()
    (tmp_path / "key.txt").write_text(identity.encode() + "\n")
    data = random.Random(size).randbytes(size)
    (tmp_path / "x.age").write_bytes(_seal_padded(data, identity.recipient))
    p = subprocess.run(
        ["age", "-d", "-i", str(tmp_path / "key.txt"), str(tmp_path / "x.age")], capture_output=True
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout == data


def _size_with_the_largest_padding(header: int, near: int) -> int:
    """A plaintext size near `near` whose unpadded file is 1 byte past a 1 MiB multiple once
    the smallest padding is added, so the padding is the largest there is."""
    step = age.PAD_STEP_LIMIT
    for chunks in range(near // C, near // C + 100):
        fixed = header + 16 + 16 * chunks + age.MIN_PADDING  # file length minus the plaintext
        size = (1 - fixed) % step + ((chunks - 1) * C // step) * step
        while size <= (chunks - 1) * C:
            size += step
        if size <= chunks * C:
            return size
    raise AssertionError("no size found")


@needs_age
def test_the_largest_padding_decrypts_everywhere(tmp_path: Path) -> None:
    identity = age.X25519Identity.generate()
    (tmp_path / "key.txt").write_text(identity.encode() + "\n")
    header = len(age.encrypt_bytes(b"", identity.recipient)) - 32  # minus nonce and empty chunk
    size = _size_with_the_largest_padding(header, 150 << 20)
    unpadded = header + 16 + size + 16 * -(-size // C)
    path = tmp_path / "big.age"
    block = bytes(1 << 20)
    with path.open("wb") as sink, age.AgeWriter(sink, identity.recipient, pad_to_plaintext_size=size) as w:
        for start in range(0, size, len(block)):
            w.write(block[: min(len(block), size - start)])
    assert path.stat().st_size == age.padded_length(unpadded)
    assert path.stat().st_size - unpadded == age.PAD_STEP_LIMIT - 1 + age.MIN_PADDING
    with path.open("rb") as f:
        padded_header = f.read(age.MAX_HEADER + 1).index(b"\n---") + 49  # "\n--- <43>\n"
    assert age.MAX_HEADER - 4096 < padded_header <= age.MAX_HEADER

    def zeros_check(chunks: Iterator[bytes]) -> int:
        n = 0
        for chunk in chunks:
            assert chunk.count(0) == len(chunk)
            n += len(chunk)
        return n

    with (
        (tmp_path / "stderr").open("wb") as stderr,
        subprocess.Popen(
            ["age", "-d", "-i", str(tmp_path / "key.txt"), str(path)], stdout=subprocess.PIPE, stderr=stderr
        ) as age_tool,
    ):
        out = age_tool.stdout
        assert out is not None
        assert zeros_check(iter(lambda: out.read(1 << 20), b"")) == size
    assert age_tool.returncode == 0, (tmp_path / "stderr").read_text()
    with path.open("rb") as f:
        assert zeros_check(age.decrypt_chunks(f, [identity])) == size
    with path.open("rb") as f, age.open_reader(f, [identity]) as reader:
        assert reader.size == size
        assert zeros_check(iter(lambda: reader.read(1 << 20), b"")) == size


def test_a_header_past_the_limit_is_refused() -> None:
    """The largest padding fits MAX_HEADER (see above); a padding stanza of MAX_HEADER bytes does
    not. Built from the module's header pieces, since AgeWriter never writes such a header."""
    identity = age.X25519Identity.generate()
    file_key = os.urandom(16)
    stanzas = [age._stanza_lines(*identity.recipient.wrap(file_key)), age._padding_stanza(age.MAX_HEADER)]
    sealed = age._header_bytes(stanzas, file_key) + os.urandom(16 + 17)
    with pytest.raises(age.AgeHeaderError, match="too long"):
        age.decrypt_bytes(sealed, [identity])
    with pytest.raises(age.AgeHeaderError, match="too long"):
        age.open_reader(io.BytesIO(sealed), [identity])


# --- scrypt work factors ------------------------------------------------------------------------


def test_scrypt_without_enough_memory_is_a_clean_age_error() -> None:
    """log_n 21 needs 2 GiB: under a 1 GiB address-space limit it must fail as an AgeError that
    says so (it used to be a ValueError from hashlib's maxmem before any allocation)."""
    code = (
        "import resource, sys\n"
        "from evidence import age\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "try:\n"
        "    age.ScryptRecipient('pw', log_n=21).wrap(bytes(16))\n"
        "except age.AgeScryptMemoryError as e:\n"
        "    print(e)\n"
        "    sys.exit(3)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 3, p.stderr
    assert "2048 MiB" in p.stdout
    assert issubclass(age.AgeScryptMemoryError, age.AgeError)


@pytest.mark.slow
@pytest.mark.parametrize("log_n", [21])
def test_scrypt_log_n_21_round_trip(log_n: int) -> None:
    """2 GiB of scrypt memory (about 12 s per derivation here, two derivations). 22 takes the
    same path at twice the memory and time, too much for every CI run."""
    sealed = age.encrypt_bytes(b"identity", age.ScryptRecipient("correct horse", log_n=log_n))
    assert f" {log_n}\n".encode() in sealed
    assert age.decrypt_bytes(sealed, [age.ScryptIdentity("correct horse", max_log_n=22)]) == b"identity"
