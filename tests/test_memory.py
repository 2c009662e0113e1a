"""One pass, bounded memory: a 2 GiB original is added with under 150 MB peak RSS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli_env

LIMIT_MB = 150


@pytest.mark.slow
def test_two_gib_file_adds_in_bounded_memory(cli_home: Path, tmp_path: Path) -> None:
    big = tmp_path / "long-recording.wav"
    with big.open("wb") as f:
        f.write(b"RIFF\x00\x00\x00\x00WAVE")
        f.truncate(2 << 30)  # sparse: the disk holds only the sealed copy
    exe = str(Path(sys.executable).parent / "locker")
    # A small intermediate process starts `add` and reports its peak RSS from wait4: a direct
    # child of this (large) pytest process would count pytest's pages in its high-water mark.
    probe = (
        "import os, sys; pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ); "
        "_, st, ru = os.wait4(pid, 0); print(os.waitstatus_to_exitcode(st), ru.ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, exe, "add", str(big)],
        env=cli_env(cli_home),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[-2] == "0"
    peak_mb = int(out[-1]) / 1024
    assert peak_mb < LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    objects = list((cli_home / "objects").iterdir())
    assert len(objects) == 1 and objects[0].stat().st_size > 2 << 30  # sealed: payload plus tags
