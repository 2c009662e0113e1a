"""Originals that arrive as streams, a picked folder's files one at a time (an upload to the local
web page): each is sealed as it arrives, never written anywhere in plaintext, and the files of one
folder share what is learnt of it (a Huawei/Honor backup's info.xml and password), as they do
when `intake.add_paths` walks a folder on disk."""

from __future__ import annotations

from typing import BinaryIO

from evidence import intake
from evidence.store import Store


def add_stream_in_folder(
    store: Store,
    name: str,
    src: BinaryIO,
    size: int,
    folder: intake.BackupFolder,
    ocr: intake.Ocr | None = None,
) -> intake.AddResult:
    """`intake.add_stream` for a file that sat in `folder`: sealed, then recorded with what the
    folder's earlier files taught (its info.xml first, as `add_paths` reads it first)."""
    # The two stages `intake.add_stream` runs, with the folder `add_paths` passes to the second;
    # to become a `folder` argument of `add_stream` once intake is free to change (it is being
    # reworked for speed meanwhile).
    sealed = intake.hash_and_seal(store, src, size, None)
    return intake._record_sealed(store, sealed, name, None, ocr, folder)
