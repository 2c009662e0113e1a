"""The seekable age reader: random access equals the plaintext, damage raises where it is read,
memory stays bounded, and libraries that seek around read sealed files through it."""

from __future__ import annotations

import io
import os
import random
import sqlite3
import tracemalloc
import wave
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence import age

C = age.CHUNK_SIZE
S = age.SEALED_CHUNK_SIZE
IDENTITY = age.X25519Identity.generate()


def seal(data: bytes) -> bytes:
    return age.encrypt_bytes(data, IDENTITY.recipient)


def chunks_start(sealed: bytes, plaintext_size: int) -> int:
    """Offset of sealed chunk 0 (after header and nonce), from the STREAM layout."""
    chunks = max(1, -(-plaintext_size // C))
    return len(sealed) - plaintext_size - chunks * age.TAG_SIZE


def open_bytes(sealed: bytes) -> age.AgeReader:
    return age.open_reader(io.BytesIO(sealed), [IDENTITY])


def read_chunk(reader: age.AgeReader, index: int) -> bytes:
    reader.seek(index * C)
    return reader.read(C)


def assert_fails_as_decrypt_chunks_does(tampered: bytes) -> None:
    """Reading from the start fails with decrypt_chunks' error and message, having released no
    more than it (the reader may withhold the last authentic chunk of a damaged end)."""
    released = bytearray()
    with pytest.raises(age.AgePayloadError) as expected:
        for chunk in age.decrypt_chunks(io.BytesIO(tampered), [IDENTITY]):
            released += chunk
    reader = open_bytes(tampered)
    got = bytearray()
    with pytest.raises(age.AgePayloadError) as actual:
        while block := reader.read(C):
            got += block
    assert str(actual.value) == str(expected.value)
    assert released.startswith(got) and len(released) - len(got) <= C


# --- round trips -------------------------------------------------------------------------------

SIZES = st.one_of(st.sampled_from([0, 1, C - 1, C, C + 1, 2 * C]), st.integers(0, 3 * C + 100))
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("seek"), st.integers(-3 * C, 4 * C), st.sampled_from([0, 1, 2])),
        st.tuples(st.just("read"), st.integers(-1, 2 * C + 10)),
        st.tuples(st.just("readinto"), st.integers(0, 2 * C + 10)),
        st.tuples(st.just("readall"), st.just(0)),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(SIZES, OPS, st.integers(0, 2**32))
def test_any_seek_and_read_sequence_gives_the_plaintext(
    size: int, ops: list[tuple[str, int, int] | tuple[str, int]], seed: int
) -> None:
    data = random.Random(seed).randbytes(size)
    model = io.BytesIO(data)
    with open_bytes(seal(data)) as reader:
        assert reader.size == size
        for op in ops:
            if op[0] == "seek":
                _, offset, whence = op  # type: ignore[misc]
                target = {0: 0, 1: model.tell(), 2: size}[whence] + offset
                if target < 0:  # a file refuses it, where BytesIO would clamp to 0
                    with pytest.raises(OSError):
                        reader.seek(offset, whence)
                    continue
                assert reader.seek(offset, whence) == model.seek(offset, whence)
            elif op[0] == "read":
                assert reader.read(op[1]) == model.read(op[1])
            elif op[0] == "readinto":
                mine, theirs = bytearray(op[1]), bytearray(op[1])
                assert reader.readinto(mine) == model.readinto(theirs)
                assert mine == theirs
            else:
                assert reader.readall() == model.read()
            assert reader.tell() == model.tell()


@pytest.mark.parametrize("size", [0, 1, C - 1, C, C + 1, 2 * C, 2 * C + 1])
def test_size_reads_and_end_match_decrypt_chunks(size: int) -> None:
    data = os.urandom(size)
    sealed = seal(data)
    with open_bytes(sealed) as reader:
        assert reader.size == size
        assert reader.read() == data == b"".join(age.decrypt_chunks(io.BytesIO(sealed), [IDENTITY]))
        assert reader.read(10) == b""
        assert reader.seek(0, io.SEEK_END) == size
        assert reader.seek(5, io.SEEK_END) == size + 5 and reader.read() == b""


def test_reader_is_a_read_only_seekable_raw_stream() -> None:
    reader = open_bytes(seal(b"evidence"))
    assert isinstance(reader, io.RawIOBase)
    assert reader.readable() and reader.seekable() and not reader.writable()
    with pytest.raises(OSError):  # io.UnsupportedOperation
        reader.write(b"x")
    with pytest.raises(ValueError):
        reader.seek(0, 3)
    assert io.BufferedReader(reader).read() == b"evidence"
    reader.close()
    for call in (reader.read, reader.tell, lambda: reader.seek(0), reader.readable):
        with pytest.raises(ValueError):
            call()


def test_armored_input_is_refused() -> None:
    armored = b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n"
    with pytest.raises(age.AgeHeaderError):
        open_bytes(armored)


def test_reader_starts_at_the_streams_position() -> None:
    data = os.urandom(C + 7)
    src = io.BytesIO(b"prefix" + seal(data))
    src.seek(6)
    with age.open_reader(src, [IDENTITY]) as reader:
        assert reader.size == len(data) and reader.read() == data


# --- only the chunks needed, in bounded memory ----------------------------------------------


class CountingFile(io.BytesIO):
    """Counts the bytes the reader pulls from the sealed file."""

    pulled = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.pulled += len(data)
        return data


def test_random_access_decrypts_only_the_chunks_it_needs() -> None:
    data = os.urandom(40 * C + 3)
    src = CountingFile(seal(data))
    reader = age.open_reader(src, [IDENTITY])
    src.pulled = 0
    reader.seek(20 * C + 100)
    assert reader.read(10) == data[20 * C + 100 : 20 * C + 110]
    assert src.pulled == S  # one sealed chunk, not the 20 before it
    reader.seek(20 * C + 5000)
    assert reader.read(10) == data[20 * C + 5000 : 20 * C + 5010]
    assert src.pulled == S  # the same chunk again, from the cache
    reader.seek(0)
    assert reader.read() == data
    pulled = src.pulled
    reader.seek(0)
    reader.read(1)
    assert src.pulled == pulled + S  # chunk 0 was not kept: the cache holds a couple of chunks


def test_memory_is_bounded_whatever_the_file_size(tmp_path: Path) -> None:
    path = tmp_path / "big.age"
    with path.open("wb") as sink, age.AgeWriter(sink, IDENTITY.recipient) as w:
        for _ in range(32):  # 32 MiB
            w.write(bytes(1 << 20))
    rng = random.Random(1)
    with path.open("rb") as f, age.open_reader(f, [IDENTITY]) as reader:
        tracemalloc.start()
        try:
            while block := reader.read(C):
                assert not any(block)
            for _ in range(200):
                reader.seek(rng.randrange(reader.size))
                reader.read(rng.randrange(1, 3 * C))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 16 * C  # a few chunks (read buffer, cache, copies), not the 32 MiB file


# --- damage raises when the damaged part is read ------------------------------------------------

N = 3 * C + 100  # chunks 0-2 full, chunk 3 partial and final


def _flip(i: int) -> Callable[[bytes, int], bytes]:
    def flip(sealed: bytes, start: int) -> bytes:
        b = bytearray(sealed)
        b[start + i] ^= 0x01
        return bytes(b)

    return flip


def _swap(sealed: bytes, start: int) -> bytes:
    one, two = sealed[start + S : start + 2 * S], sealed[start + 2 * S : start + 3 * S]
    return sealed[: start + S] + two + one + sealed[start + 3 * S :]


# (variant, its damaged chunks, chunks still readable, whether reading to the end raises)
DAMAGE: list[tuple[str, Callable[[bytes, int], bytes], set[int], set[int]]] = [
    ("flipped bit in chunk 1", _flip(S + 77), {1}, {0, 2, 3}),
    ("flipped bit in the tag of chunk 3", _flip(3 * S + 100 + 5), {3}, {0, 1, 2}),
    ("swapped chunks 1 and 2", _swap, {1, 2}, {0, 3}),
    ("truncated inside the final chunk", lambda b, s: b[:-50], {3}, {0, 1, 2}),
    ("final chunk missing", lambda b, s: b[: s + 3 * S], {2}, {0, 1}),
    ("truncated inside a tag", lambda b, s: b[: s + 3 * S + 10], {2}, {0, 1}),
    ("one byte appended", lambda b, s: b + b"x", {3}, {0, 1, 2}),
    ("a chunk appended after the final one", lambda b, s: b + b[s : s + S], {3, 4}, {0, 1, 2}),
]


@pytest.mark.parametrize(("name", "damage", "bad", "good"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_damage_raises_where_it_is_read(
    name: str, damage: Callable[[bytes, int], bytes], bad: set[int], good: set[int]
) -> None:
    data = os.urandom(N)
    sealed = seal(data)
    tampered = damage(sealed, chunks_start(sealed, N))
    reader = open_bytes(tampered)  # the header is intact: opening works, damage shows on reading
    for index in sorted(good):
        assert read_chunk(reader, index) == data[index * C : (index + 1) * C], index
    for index in sorted(bad):
        with pytest.raises(age.AgePayloadError):
            read_chunk(reader, index)
    reader.seek(0)
    with pytest.raises(age.AgePayloadError):
        reader.read()  # reading to the end never hides the damage
    assert_fails_as_decrypt_chunks_does(tampered)


def test_a_flipped_byte_anywhere_in_the_payload_fails_like_decrypt_chunks() -> None:
    data = os.urandom(2 * C + 50)
    sealed = seal(data)
    start = chunks_start(sealed, len(data))
    for i in range(start, len(sealed), 613):
        tampered = bytearray(sealed)
        tampered[i] ^= 0x80
        assert_fails_as_decrypt_chunks_does(bytes(tampered))
        damaged = (i - start) // S
        reader = open_bytes(bytes(tampered))
        for index in range(3):
            if index == damaged:
                with pytest.raises(age.AgePayloadError):
                    read_chunk(reader, index)
            else:
                assert read_chunk(reader, index) == data[index * C : (index + 1) * C]


@pytest.mark.parametrize(
    ("name", "damage", "first_chunk_readable"),
    [
        ("one byte appended", lambda b, s: b + b"x", True),
        ("sixteen bytes appended", lambda b, s: b + bytes(16), True),
        ("a chunk appended", lambda b, s: b + b[s : s + S], True),
        # Chunk 0 is now the last one and not marked final: the cut is found on reading it.
        ("final chunk missing", lambda b, s: b[: s + S], False),
        ("truncated inside a tag", lambda b, s: b[: s + S + 15], False),
    ],
)
def test_damage_after_a_full_final_chunk(
    name: str, damage: Callable[[bytes, int], bytes], first_chunk_readable: bool
) -> None:
    """A file of exactly 2 * 64 KiB: its final chunk is full and must carry the last flag."""
    data = os.urandom(2 * C)
    sealed = seal(data)
    tampered = damage(sealed, chunks_start(sealed, 2 * C))
    reader = open_bytes(tampered)
    if first_chunk_readable:
        assert read_chunk(reader, 0) == data[:C]
    else:
        with pytest.raises(age.AgePayloadError):
            read_chunk(reader, 0)
    reader.seek(0)
    with pytest.raises(age.AgePayloadError):
        reader.read()
    assert_fails_as_decrypt_chunks_does(tampered)


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("flipped tag", lambda b: b[:-1] + bytes([b[-1] ^ 1])),
        ("tag missing", lambda b: b[:-16]),
        ("tag cut short", lambda b: b[:-3]),
        ("byte appended", lambda b: b + b"x"),
    ],
)
def test_an_empty_file_is_authenticated_when_its_end_is_read(
    name: str, damage: Callable[[bytes], bytes]
) -> None:
    reader = open_bytes(damage(seal(b"")))
    with pytest.raises(age.AgePayloadError):
        reader.read()
    assert_fails_as_decrypt_chunks_does(damage(seal(b"")))


def test_header_damage_fails_at_open() -> None:
    sealed = seal(os.urandom(100))
    header_end = sealed.index(b"\n---") + 1
    for i in range(0, header_end, 7):
        tampered = bytearray(sealed)
        tampered[i] ^= 0x01
        with pytest.raises(age.AgeError):
            open_bytes(bytes(tampered))
    with pytest.raises(age.AgeNoMatchError):
        age.open_reader(io.BytesIO(sealed), [age.X25519Identity.generate()])


def test_a_file_that_shrinks_while_open_raises(tmp_path: Path) -> None:
    data = os.urandom(3 * C)
    path = tmp_path / "x.age"
    path.write_bytes(seal(data))
    with path.open("rb") as f, age.open_reader(f, [IDENTITY]) as reader:
        os.truncate(path, path.stat().st_size - S - 10)
        assert reader.read(C) == data[:C]
        with pytest.raises(age.AgePayloadError):
            reader.read()


# --- libraries that seek around -----------------------------------------------------------------


def test_zipfile_reads_members_through_the_reader() -> None:
    members = {"a.txt": b"first", "big.bin": os.urandom(5 * C), "c.txt": b"last" * 1000}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    with open_bytes(seal(buf.getvalue())) as reader, zipfile.ZipFile(reader) as z:
        assert {n: z.read(n) for n in reversed(z.namelist())} == members
    with open_bytes(seal(b"short")) as reader, pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(reader)  # its probe seeks before the start: an OSError it expects


def test_pillow_opens_an_image_through_the_reader() -> None:
    from PIL import Image

    img = Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    with open_bytes(seal(buf.getvalue())) as reader, Image.open(cast(BinaryIO, reader)) as opened:
        assert opened.size == (300, 200)
        assert opened.tobytes() == img.tobytes()


def test_mutagen_reads_audio_through_the_reader() -> None:
    from mutagen.wave import WAVE

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(2 * 8000 * 3))  # three seconds: several chunks
    with open_bytes(seal(buf.getvalue())) as reader:
        audio = WAVE(reader)
    assert audio.info is not None
    assert audio.info.sample_rate == 8000
    assert audio.info.length == pytest.approx(3.0)


def test_sqlite_deserializes_a_database_read_through_the_reader() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("create table t (x blob)")
    db.executemany("insert into t values (?)", [(os.urandom(1000),) for _ in range(300)])
    db.commit()
    image = db.serialize()
    with open_bytes(seal(image)) as reader:
        copy = sqlite3.connect(":memory:")
        copy.deserialize(reader.read())
    assert copy.execute("select x from t").fetchall() == db.execute("select x from t").fetchall()
