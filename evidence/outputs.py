"""Files the user asked for (an original, a report, a bundle): plaintext evidence outside the locker.

They are written so that no interruption leaves plaintext behind under a name nobody knows:
- where the file system allows it, the file is created nameless (O_TMPFILE) and linked into
  place only once complete and fsynced, so even `kill -9` leaves nothing;
- elsewhere (a FAT-formatted USB stick), a hidden temp file beside the output is noted in the
  locker's `pending-outputs` list before it is created; the next command that opens the locker
  (and `gc`) overwrites and removes whatever such a list still names.
SIGTERM and SIGHUP are turned into an interrupt by the CLI, so the usual clean-up runs for them.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from evidence.atomic import FILE_MODE, TEMP_PREFIX, commit_temp, discard_temp, fsync_dir, open_temp
from evidence.errors import OutputError

PENDING_FILE = "pending-outputs"
_NO_TMPFILE = (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT, errno.EPERM)


def check_output_path(out: Path) -> Path:
    """Refuse an output that is a folder, a device, a FIFO or a socket, or whose folder is missing."""
    try:
        st = out.stat()
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OutputError(f"cannot write the output there ({e.strerror}): choose another path") from e
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError("the output is a folder: give a file name with -o")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputError("the output is a device, FIFO or socket, not a file: give a file name with -o")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise OutputError("the output's folder does not exist: create it first or choose another path")
    if not os.access(parent, os.W_OK):
        raise OutputError("the output's folder is not writable: choose another path")
    return out


@contextlib.contextmanager
def private_output(home: Path | None, out: Path) -> Iterator[BinaryIO]:
    """A file to write `out` through: it appears at `out` only when the block ends without error.

    `home` is the locker whose `pending-outputs` list notes a named temp file where the file
    system cannot create a nameless one (None: not noted; only an interrupt cleans it up)."""
    check_output_path(out)
    parent = out.absolute().parent
    try:
        fd = os.open(parent, os.O_TMPFILE | os.O_RDWR, FILE_MODE)
    except OSError as e:
        if e.errno not in _NO_TMPFILE:
            raise
        with _named_temp_output(home, out) as f:
            yield f
        return
    with os.fdopen(fd, "wb") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())
        _link_into_place(home, f.fileno(), out, parent)


_AT_FDCWD = -100
_AT_EMPTY_PATH = 0x1000


def _link_nameless(fd: int, path: Path) -> bool:
    """Give the nameless file `fd` the name `path`; False where this system will not.

    linkat(fd, "", AT_EMPTY_PATH) first (root, or Linux 6.10+ for the file's own opener);
    then the /proc/self/fd form the open(2) manual gives, which some sandboxes refuse (EXDEV).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.linkat(fd, b"", _AT_FDCWD, os.fsencode(path), _AT_EMPTY_PATH) == 0:
        return True
    if ctypes.get_errno() == errno.EEXIST:
        raise FileExistsError(errno.EEXIST, "exists", str(path))
    try:
        os.link(f"/proc/self/fd/{fd}", path, follow_symlinks=True)
        return True
    except FileExistsError:
        raise
    except OSError:
        return False


def _link_into_place(home: Path | None, fd: int, out: Path, parent: Path) -> None:
    temp = parent / f"{TEMP_PREFIX}{os.urandom(8).hex()}"
    try:
        linked = _link_nameless(fd, out)
    except FileExistsError:
        # Replacing an existing file: give it a hidden name first, then rename over the old one.
        # Only the instant between the two calls could leave a named copy behind.
        linked = _link_nameless(fd, temp)
        if linked:
            os.replace(temp, out)
    if not linked:
        # This system cannot name a nameless file: copy it out through a noted temp file.
        with _named_temp_output(home, out) as f:
            offset = 0
            while chunk := os.pread(fd, 1 << 20, offset):
                f.write(chunk)
                offset += len(chunk)
        return
    fsync_dir(parent)


@contextlib.contextmanager
def _named_temp_output(home: Path | None, out: Path) -> Iterator[BinaryIO]:
    parent = out.absolute().parent
    with _pending(home) as pending:
        temp, f = open_temp(parent)
        pending.add(temp)
        try:
            with f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            commit_temp(temp, out)
        except BaseException:
            _shred(temp)
            raise
        finally:
            pending.remove(temp)


class _PendingList:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _paths(self) -> list[bytes]:
        try:
            return [p for p in self.path.read_bytes().split(b"\n") if p]
        except FileNotFoundError:
            return []

    def _write(self, paths: list[bytes]) -> None:
        if not paths:
            self.path.unlink(missing_ok=True)
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(b"\n".join(paths) + b"\n")
            f.flush()
            os.fsync(f.fileno())

    def add(self, path: Path) -> None:
        self._write([*self._paths(), os.fsencode(path)])

    def remove(self, path: Path) -> None:
        self._write([p for p in self._paths() if p != os.fsencode(path)])


class _Unnoted(_PendingList):
    def add(self, path: Path) -> None:
        pass

    def remove(self, path: Path) -> None:
        pass


@contextlib.contextmanager
def _pending(home: Path | None) -> Iterator[_PendingList]:
    if home is None:
        yield _Unnoted(Path())
        return
    lock_fd = os.open(home / f"{PENDING_FILE}.lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)  # held for the whole write: shred_pending skips it
        yield _PendingList(home / PENDING_FILE)
    finally:
        os.close(lock_fd)


def shred_pending(home: Path) -> int:
    """Overwrite and remove the plaintext temp files a killed command left; returns how many."""
    lock = home / f"{PENDING_FILE}.lock"
    if not (home / PENDING_FILE).exists():
        return 0
    lock_fd = os.open(lock, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # another command is writing an output right now; a later command cleans up
        pending = _PendingList(home / PENDING_FILE)
        paths = pending._paths()
        shredded = 0
        for raw in paths:
            path = Path(os.fsdecode(raw))
            # Only our own hidden temp names: a tampered list must not make us destroy a file.
            if path.name.startswith(TEMP_PREFIX) and _shred(path):
                shredded += 1
        pending._write([])
        return shredded
    finally:
        os.close(lock_fd)


def _shred(path: Path) -> bool:
    """Overwrite a regular file with zeros, then remove it (best effort on flash media)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        size = os.fstat(fd).st_size
        block = b"\0" * (1 << 20)
        done = 0
        while done < size:
            done += os.write(fd, block[: min(len(block), size - done)])
        os.fsync(fd)
    finally:
        os.close(fd)
    discard_temp(path)
    return True
