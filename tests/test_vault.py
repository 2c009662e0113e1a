"""Sealing: one pass, byte-exact round trips at chunk edges, keyed names, the real `age` reads our objects."""

from __future__ import annotations

import hashlib
import io
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence import age
from evidence.keys import IDENTITY_FILE
from evidence.store import Store
from evidence.vault import READ_SIZE, Vault

C = age.CHUNK_SIZE
EDGE_SIZES = [0, 1, C - 1, C, C + 1, 3 * C - 1, 3 * C, 3 * C + 1, READ_SIZE - 1, READ_SIZE, READ_SIZE + 1]


def seal_bytes(store: Store, data: bytes) -> tuple[str, str]:
    sealed = store.vault.seal(io.BytesIO(data), store.keys.recipient)
    name = store.keys.object_name(sealed.sha256)
    store.vault.commit(sealed, name)
    return sealed.sha256, name


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_seal_round_trip_at_chunk_edges(store: Store, size: int) -> None:
    data = bytes((i * 7 + size) % 251 for i in range(size))
    sha, name = seal_bytes(store, data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert b"".join(store.vault.chunks(name, store.keys.identity)) == data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.sampled_from(EDGE_SIZES), st.integers(0, 4 * C + 3)), st.integers(0, 2**32))
def test_seal_round_trip_property(store: Store, size: int, seed: int) -> None:
    data = random.Random(seed).randbytes(size)
    sha, name = seal_bytes(store, data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert b"".join(store.vault.chunks(name, store.keys.identity)) == data


def test_object_names_are_keyed_not_the_plain_hash(store: Store) -> None:
    sha, name = seal_bytes(store, b"known file")
    assert name != sha and name != hashlib.sha256(sha.encode()).hexdigest()
    assert (store.vault.root / name).exists()
    assert store.vault.stored_names() == {name}


def test_a_failed_read_leaves_no_temp_file(store: Store) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, b):  # type: ignore[no-untyped-def]
            raise OSError(5, "Input/output error")

    with pytest.raises(OSError):
        store.vault.seal(io.BufferedReader(Broken()), store.keys.recipient)
    assert store.vault.temp_files() == [] and store.vault.stored_names() == set()


def test_vault_rejects_path_like_names(tmp_path: Path) -> None:
    v = Vault.create(tmp_path / "objects")
    with pytest.raises(ValueError):
        v.path_of("../identity.age")


@pytest.mark.skipif(shutil.which("age") is None, reason="the age binary is not installed")
def test_real_age_recovers_an_original_with_the_passphrase_alone(store: Store, tmp_path: Path) -> None:
    """passphrase → identity.age → identity → sealed object → original bytes, with the stock tool."""
    import os
    import pty

    data = b"\x00recording bytes\xff" * 5000
    _, name = seal_bytes(store, data)
    identity_txt = tmp_path / "id.txt"
    # age reads passphrases only from a terminal: give it one.
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("age", ["age", "-d", "-o", str(identity_txt), str(store.home / IDENTITY_FILE)])
    out = b""
    while b"passphrase" not in out.lower():
        out += os.read(fd, 1024)
    from tests.conftest import PASSPHRASE

    os.write(fd, PASSPHRASE.encode() + b"\n")
    while True:
        try:
            if not os.read(fd, 1024):
                break
        except OSError:
            break
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert identity_txt.read_text().startswith("AGE-SECRET-KEY-1")
    p = subprocess.run(
        ["age", "-d", "-i", str(identity_txt), str(store.vault.path_of(name))], capture_output=True
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout == data
