"""Sealed originals: one age file per distinct original, named by a keyed hash of its content.

Layout: `objects/<64 hex>` (HMAC-SHA-256 of the original's SHA-256 under the locker's name
key). An object is written as a temp file in the same folder, fsynced, then renamed; the
database row pointing at it is committed only after the rename, so a crash leaves at worst
a complete object no row points to. That is evidence, never garbage: `verify` reports it and
`verify --repair` adopts it again. Only temp files are garbage (`remove_temp_files`).

Locking lives here, not in callers: `seal` takes a shared lock on the locker's lock file and
the sealed temp keeps it until `discard` (which every writer calls once its row is committed);
`remove_temp_files` takes it alone and `quiescent` waits for it, so neither ever sees a write
in flight as a leftover.

Sealed objects are padded (evidence.age.padded_length): their size tells an onlooker only the
size bucket of the original, not which known file it is.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from evidence import age
from evidence.atomic import FILE_MODE, TEMP_PREFIX, commit_temp, discard_temp, open_temp, private_dir
from evidence.errors import UsageError

READ_SIZE = 1 << 20  # 1 MiB reads; the age writer cuts them into 64 KiB chunks
QUEUE_DEPTH = 8  # blocks in flight between the reading and the sealing thread: bounds memory


@dataclass(frozen=True)
class SealedTemp:
    """A fully written, fsynced object not yet in place; holds the shared write lock (`lock_fd`)."""

    path: Path
    sha256: str
    size: int
    lock_fd: int = -1


class Vault:
    def __init__(self, root: Path, lock_path: Path) -> None:
        self.root = root
        self.lock_path = lock_path

    @classmethod
    def create(cls, root: Path, lock_path: Path | None = None) -> Vault:
        private_dir(root)
        return cls(root, lock_path or root.parent / "lock")

    def _lock(self, mode: int) -> int:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as e:
            if e.errno not in (errno.EROFS, errno.EACCES):
                raise
            # Read-only media: nobody can write here, so readers need no lock to agree on.
            try:
                fd = os.open(self.lock_path, os.O_RDONLY)
            except OSError:
                return os.open(os.devnull, os.O_RDONLY)
        try:
            fcntl.flock(fd, mode)
        except BaseException:
            os.close(fd)
            raise
        return fd  # closing it releases the lock; a killed process releases it too

    @contextlib.contextmanager
    def quiescent(self) -> Iterator[None]:
        """No write in flight while the block runs (waits for running writers to finish)."""
        fd = self._lock(fcntl.LOCK_EX)
        try:
            yield
        finally:
            os.close(fd)

    def path_of(self, object_name: str) -> Path:
        if len(object_name) != 64 or not all(c in "0123456789abcdef" for c in object_name):
            raise ValueError("not an object name")
        return self.root / object_name

    def seal(
        self,
        src: BinaryIO,
        recipient: age.X25519Recipient,
        progress: Callable[[int], None] | None = None,
        expected_size: int | None = None,
    ) -> SealedTemp:
        """Hash and encrypt `src` in one pass, in bounded memory, into a temp object.

        One thread reads and hashes while this one encrypts and writes: hashlib and the
        AEAD both release the GIL, so on two cores the work overlaps (crypto.md §3.2).
        `expected_size` (the source's size when opened) sizes the padding.
        The caller must `discard` the result once its row is committed (or on failure).
        """
        lock_fd = self._lock(fcntl.LOCK_SH)
        try:
            sealed = self._seal(src, recipient, progress, expected_size)
        except BaseException:
            os.close(lock_fd)
            raise
        return SealedTemp(sealed.path, sealed.sha256, sealed.size, lock_fd)

    def _seal(
        self,
        src: BinaryIO,
        recipient: age.X25519Recipient,
        progress: Callable[[int], None] | None,
        expected_size: int | None,
    ) -> SealedTemp:
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
                writer = age.AgeWriter(out, recipient, pad_to_plaintext_size=expected_size)
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
        """Remove the temp object if it was not committed, and release the write lock."""
        discard_temp(sealed.path)
        if sealed.lock_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(sealed.lock_fd)

    def exists(self, object_name: str) -> bool:
        try:
            return self.path_of(object_name).exists()
        except ValueError:  # an edited row can hold any name; it names no object of ours
            return False

    def chunks(self, object_name: str, identity: age.X25519Identity) -> Iterator[bytes]:
        """The original's bytes, chunk by chunk, each authenticated before it is released."""
        with self.path_of(object_name).open("rb") as f:
            yield from age.decrypt_chunks(f, [identity])

    def digest(
        self, object_name: str, identity: age.X25519Identity, progress: Callable[[int], None] | None = None
    ) -> tuple[str, int]:
        """(SHA-256, size) of the original an object holds; AgeError if it does not decrypt."""
        h = hashlib.sha256()
        size = 0
        for chunk in self.chunks(object_name, identity):
            h.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
        return h.hexdigest(), size

    @contextlib.contextmanager
    def open(self, object_name: str, identity: age.X25519Identity) -> Iterator[age.AgeReader]:
        """The original as a seekable, read-only stream (each chunk authenticated when read)."""
        with self.path_of(object_name).open("rb") as f, age.open_reader(f, [identity]) as reader:
            yield reader

    def stored_names(self) -> set[str]:
        return {p.name for p in self.root.iterdir() if not p.name.startswith(TEMP_PREFIX)}

    def temp_files(self) -> list[Path]:
        return sorted(p for p in self.root.iterdir() if p.name.startswith(TEMP_PREFIX))

    def remove_temp_files(self) -> list[str]:
        """Remove what interrupted writes left (never a complete object); returns their names."""
        try:
            fd = self._lock(fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise UsageError(
                "another locker command is writing to this locker: try again when it ends"
            ) from e
        try:
            removed = [p.name for p in self.temp_files()]
            for name in removed:
                discard_temp(self.root / name)
            return removed
        finally:
            os.close(fd)
