"""Intake: what each original is and when, duplicates, the batch going on past a bad file."""

from __future__ import annotations

import io
import shutil
import wave
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from evidence import intake, items
from evidence.errors import BadInputError
from evidence.schema import ItemFact
from evidence.store import Store
from tests.conftest import DEMO

XIAOMI = "通话录音@171 5555 0001(17155550001)_20260811091000.mp3"


def test_xiaomi_recording_number_and_time_from_its_name(store: Store) -> None:
    r = intake.add_file(store, DEMO / XIAOMI)
    assert r.kind == "audio" and not r.duplicate
    assert r.number == "17155550001"
    assert r.captured_at is not None
    assert r.captured_at.astimezone(store.timezone).strftime("%Y-%m-%d %H:%M:%S") == "2026-08-11 09:10:00"
    assert r.events == 1
    detail = items.item_detail(store, r.id)
    sources = {(f.fact, f.source) for f in detail.facts}
    assert ("number", "filename") in sources and ("captured_at", "filename") in sources
    assert ("captured_at", "file_time") in sources  # conflicting claims are kept, not overwritten
    assert detail.item.duration and detail.item.duration > 0


def test_kind_is_sniffed_from_content_not_extension(store: Store, tmp_path: Path) -> None:
    fake = tmp_path / "looks-like-audio.mp3"
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    fake.write_bytes(buf.getvalue())
    r = intake.add_file(store, fake)
    assert r.kind == "image" and r.media_type == "image/png"


def test_adding_the_same_bytes_twice_is_a_duplicate(store: Store, tmp_path: Path) -> None:
    first = intake.add_file(store, DEMO / XIAOMI)
    copy = tmp_path / "renamed.mp3"
    shutil.copy(DEMO / XIAOMI, copy)
    second = intake.add_file(store, copy)
    assert second.duplicate and second.id == first.id and second.sha256 == first.sha256
    assert len(store.vault.stored_names()) == 1


def test_exif_capture_time_with_offset_is_a_claim(store: Store, tmp_path: Path) -> None:
    img = Image.new("RGB", (16, 16), "white")
    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = "2026:08:12 22:48:30"
    ifd[0x9011] = "+08:00"
    path = tmp_path / "Screenshot_20260812-224830.jpg"
    img.save(path, "JPEG", exif=exif)
    r = intake.add_file(store, path)
    assert r.captured_at == datetime.fromisoformat("2026-08-12T22:48:30+08:00")
    with store.transaction() as s:
        sources = {f.source for f in s.scalars(select(ItemFact).where(ItemFact.fact == "captured_at"))}
    assert {"exif", "filename", "file_time"} <= sources


def test_batch_goes_on_past_a_bad_file(store: Store, tmp_path: Path) -> None:
    good = tmp_path / "a.wav"
    with wave.open(str(good), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 8000)
    batch = intake.add_paths(store, [tmp_path / "missing.mp3", good])
    assert [r.name for r in batch.added] == ["a.wav"]
    assert len(batch.failures) == 1 and batch.failures[0].exit_code == 4
    assert batch.added[0].kind == "audio"


def test_missing_file_is_bad_input(store: Store, tmp_path: Path) -> None:
    with pytest.raises(BadInputError):
        intake.add_file(store, tmp_path / "nope.jpg")


def test_folders_are_walked(store: Store, tmp_path: Path) -> None:
    d = tmp_path / "Screenshots" / "sub"
    d.mkdir(parents=True)
    for n in range(3):
        Image.new("RGB", (4, 4), (n, 0, 0)).save(d / f"Screenshot_2026081{n}-120000.png")
    (d / ".hidden").write_bytes(b"x")
    batch = intake.add_paths(store, [tmp_path / "Screenshots"])
    assert len(batch.added) == 3 and not batch.failures


class _Pipe(io.RawIOBase):
    """A stream that gives short reads and cannot seek, as an upload's body does."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        out, self.data = self.data[: min(size, 1000)], self.data[min(size, 1000) :]
        return out


def test_a_stream_is_sealed_as_a_file_is(store: Store, tmp_path: Path) -> None:
    name = "Screenshot_2026-08-12-22-48-30-517_com.tencent.mm.jpg"
    data = (DEMO / name).read_bytes()
    streamed = intake.add_stream(store, name, _Pipe(data), len(data))  # type: ignore[arg-type]
    assert (streamed.size, streamed.kind, streamed.duplicate) == (len(data), "image", False)
    assert streamed.captured_at is not None and streamed.captured_at.minute == 48  # from the name
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(data)
    again = intake.add_file(store, copy)
    assert again.duplicate and again.id == streamed.id and again.sha256 == streamed.sha256
    assert store.vault.temp_files() == []  # the sealed temp went into place, nothing left
