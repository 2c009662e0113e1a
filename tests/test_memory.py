"""One pass, bounded memory: a 2 GiB original is added with under 150 MB peak RSS."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import cli_env, peak_rss_mb

LIMIT_MB = 150


@pytest.mark.slow
def test_two_gib_file_adds_in_bounded_memory(cli_home: Path, tmp_path: Path) -> None:
    big = tmp_path / "long-recording.wav"
    with big.open("wb") as f:
        f.write(b"RIFF\x00\x00\x00\x00WAVE")
        f.truncate(2 << 30)  # sparse: the disk holds only the sealed copy
    exe = str(Path(sys.executable).parent / "locker")
    code, peak_mb = peak_rss_mb([exe, "add", str(big)], cli_env(cli_home))
    assert code == 0
    assert peak_mb < LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    objects = list((cli_home / "objects").iterdir())
    assert len(objects) == 1 and objects[0].stat().st_size > 2 << 30  # sealed: payload plus tags
