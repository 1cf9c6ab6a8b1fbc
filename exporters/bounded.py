"""Reading compressed data with a cap on what it inflates to, a chunk at a time.

A few kilobytes of zip or zstd can inflate to gigabytes. Every read of a package goes through
these helpers, which stop as soon as the output passes its limit, so neither memory nor disk
ever holds more than the limit, whatever the archive claims about its sizes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

CHUNK = 1 << 20
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class TooLarge(ValueError):
    """The data inflates to more than its limit; `limit` is that limit in bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"inflates to more than {describe_size(limit)}")


def describe_size(size: int) -> str:
    """`size` bytes in words: '16 MiB', '1 GiB'."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} bytes"


def copy_bounded(source: IO[bytes], target: IO[bytes], limit: int) -> int:
    """Copy `source` to `target` a chunk at a time; returns the bytes copied. Raises TooLarge
    as soon as more than `limit` bytes have come out of `source`."""
    copied = 0
    while chunk := source.read(min(CHUNK, limit - copied + 1)):
        copied += len(chunk)
        if copied > limit:
            raise TooLarge(limit)
        target.write(chunk)
    return copied


def read_bounded(source: IO[bytes], limit: int) -> bytes:
    """All of `source`, or TooLarge once it passes `limit` bytes."""
    buffer = io.BytesIO()
    copy_bounded(source, buffer, limit)
    return buffer.getvalue()


@contextmanager
def open_entry(archive: zipfile.ZipFile, name: str, limit: int) -> Iterator[IO[bytes]]:
    """The zip entry `name` as a stream, refused with TooLarge up front if its declared size is
    over `limit` (the stream itself never yields more than the declared size, and zipfile
    checks the CRC once it is read to the end)."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise TooLarge(limit)
    with archive.open(info) as stream:
        yield stream


@contextmanager
def zstd_stream(source: IO[bytes]) -> Iterator[IO[bytes]]:
    """The zstd-decompressed content of `source`, inflated only as it is read."""
    import zstandard

    with zstandard.ZstdDecompressor().stream_reader(source) as stream:
        yield stream
