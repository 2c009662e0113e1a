"""Durable, private file-system writes: temp file in the same folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_PREFIX = ".tmp-"


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed and make it 0700."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_temp(folder: Path) -> tuple[Path, BinaryIO]:
    """A new 0600 temp file in `folder`, opened for writing; the caller commits or discards it."""
    while True:
        path = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            continue
        return path, os.fdopen(fd, "wb")


def commit_temp(temp: Path, final: Path) -> None:
    """Rename a fully written and fsynced temp file into place, then make the rename durable."""
    os.replace(temp, final)
    fsync_dir(final.parent)


def discard_temp(temp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file whole."""
    temp, f = open_temp(path.parent)
    try:
        with f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        commit_temp(temp, path)
    except BaseException:
        discard_temp(temp)
        raise
