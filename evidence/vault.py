"""Sealed originals: one age file per distinct original, named by a keyed hash of its content.

Layout: `objects/<64 hex>` (HMAC-SHA-256 of the original's SHA-256 under the locker's name
key). An object is written as a temp file in the same folder, fsynced, then renamed; the
database row pointing at it is committed only after the rename, so a crash leaves at worst
an object no row points to (an "orphan", which `verify` lists and `gc` removes).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from evidence import age
from evidence.atomic import TEMP_PREFIX, commit_temp, discard_temp, open_temp, private_dir

READ_SIZE = 1 << 20  # 1 MiB reads; the age writer cuts them into 64 KiB chunks
QUEUE_DEPTH = 8  # blocks in flight between the reading and the sealing thread: bounds memory


@dataclass(frozen=True)
class SealedTemp:
    """A fully written, fsynced object not yet in place."""

    path: Path
    sha256: str
    size: int


class Vault:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def create(cls, root: Path) -> Vault:
        private_dir(root)
        return cls(root)

    def path_of(self, object_name: str) -> Path:
        if len(object_name) != 64 or not all(c in "0123456789abcdef" for c in object_name):
            raise ValueError("not an object name")
        return self.root / object_name

    def seal(
        self,
        src: BinaryIO,
        recipient: age.X25519Recipient,
        progress: Callable[[int], None] | None = None,
    ) -> SealedTemp:
        """Hash and encrypt `src` in one pass, in bounded memory, into a temp object.

        One thread reads and hashes while this one encrypts and writes: hashlib and the
        AEAD both release the GIL, so on two cores the work overlaps (crypto.md §3.2).
        """
        temp, out = open_temp(self.root)
        blocks: queue.Queue[bytes | BaseException | None] = queue.Queue(QUEUE_DEPTH)
        digest = hashlib.sha256()
        stop = threading.Event()

        def read_and_hash() -> None:
            try:
                while not stop.is_set():
                    block = src.read(READ_SIZE)
                    if not block:
                        break
                    digest.update(block)
                    blocks.put(block)
                blocks.put(None)
            except BaseException as e:  # handed to the sealing thread, which re-raises it
                blocks.put(e)

        reader = threading.Thread(target=read_and_hash, name="locker-read", daemon=True)
        size = 0
        try:
            with out:
                writer = age.AgeWriter(out, recipient)
                reader.start()
                while (block := blocks.get()) is not None:
                    if isinstance(block, BaseException):
                        raise block
                    writer.write(block)
                    size += len(block)
                    if progress is not None:
                        progress(len(block))
                writer.close()
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            stop.set()
            while reader.is_alive():  # drain so the reader is never stuck on a full queue
                with contextlib.suppress(queue.Empty):
                    blocks.get(timeout=0.1)
            discard_temp(temp)
            raise
        reader.join()
        return SealedTemp(temp, digest.hexdigest(), size)

    def commit(self, sealed: SealedTemp, object_name: str) -> None:
        commit_temp(sealed.path, self.path_of(object_name))

    def discard(self, sealed: SealedTemp) -> None:
        discard_temp(sealed.path)

    def exists(self, object_name: str) -> bool:
        return self.path_of(object_name).exists()

    def chunks(self, object_name: str, identity: age.X25519Identity) -> Iterator[bytes]:
        """The original's bytes, chunk by chunk, each authenticated before it is released."""
        with self.path_of(object_name).open("rb") as f:
            yield from age.decrypt_chunks(f, [identity])

    def stored_names(self) -> set[str]:
        return {p.name for p in self.root.iterdir() if not p.name.startswith(TEMP_PREFIX)}

    def temp_files(self) -> list[Path]:
        return sorted(p for p in self.root.iterdir() if p.name.startswith(TEMP_PREFIX))

    def remove(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)
