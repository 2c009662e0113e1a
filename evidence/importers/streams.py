"""What an importer reads: a seekable, read-only byte stream (never a path), read in bounded pieces."""

from __future__ import annotations

from typing import Protocol

_PIECE = 1 << 16


class ExportStream(Protocol):
    """A seekable, read-only binary stream: intake's decrypting reader of a sealed original (an
    `io.RawIOBase`, which may return less than asked on every read), a file or an `io.BytesIO`.

    No `name`, no file descriptor and no path are assumed: an importer never reopens the export
    and never writes its content anywhere (it is plaintext evidence).
    """

    def read(self, size: int = ..., /) -> bytes | None: ...
    def readable(self) -> bool: ...
    def seekable(self) -> bool: ...
    def seek(self, offset: int, whence: int = ..., /) -> int: ...
    def tell(self) -> int: ...


def read_up_to(stream: ExportStream, size: int) -> bytes:
    """`size` bytes, fewer only at the end.

    Asked in pieces of at most 64 KiB: a raw stream may return less than asked on every read,
    and `RawIOBase.read(n)` allocates all `n` bytes each time, so asking for megabytes 64 KiB at
    a time would cost a quadratic amount of zeroed memory.
    """
    pieces: list[bytes] = []
    got = 0
    while got < size:
        piece = stream.read(min(size - got, _PIECE))
        if not piece:
            break
        pieces.append(piece)
        got += len(piece)
    return b"".join(pieces)
