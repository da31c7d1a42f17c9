"""Read a text file as blocks of whole lines, in bounded memory, refusing over-long lines.

A history file may be anything a user points at: a 5 GB file with no newline must be refused
after reading a little past its limit, not loaded. ``iter_blocks`` reads ``piece`` bytes at a
time, checks each piece's line lengths with numpy at once, and yields blocks of about ``block``
bytes that end at a newline, each with the number of its first line.

Examples:
    >>> import io
    >>> [(b.first_line, b.data) for b in iter_blocks(io.BytesIO(b"a\\nbb\\nccc"), block=3)]
    [(1, b'a\\nbb\\n'), (3, b'ccc')]
    >>> list(iter_blocks(io.BytesIO(b"ok\\n" + b"x" * 50), max_line=10))
    Traceback (most recent call last):
    ...
    bwauto.store.lines.LineTooLong: line 2 is longer than 10 bytes
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

MAX_LINE = 4096
"""The longest line accepted, in bytes (a history row is under 100)."""

PIECE = 64 * 1024
BLOCK = 8 * 1024 * 1024
_NL = 10
_CR = 13


class LineTooLong(ValueError):
    """A line is longer than the limit; ``line`` is its number (from 1)."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(f"line {line} is longer than {limit} bytes")
        self.line = line
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Block:
    """Whole lines of a file: the number of the first, the bytes, how many lines hold
    something (not empty, not a lone carriage return), and how many newlines it has."""

    first_line: int
    data: bytes
    filled: int
    lines: int


def make_block(first_line: int, data: bytes, max_line: int = MAX_LINE) -> Block:
    """Check every line of ``data`` and count those that hold something.

    Examples:
        >>> make_block(7, b"a\\n\\nb\\r\\n\\r\\nc").filled
        3
        >>> make_block(7, b"a\\n" + b"x" * 11 + b"\\n", max_line=10)
        Traceback (most recent call last):
        ...
        bwauto.store.lines.LineTooLong: line 8 is longer than 10 bytes
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == _NL)
    starts = np.concatenate(([0], ends + 1))
    length = np.concatenate((ends, [arr.shape[0]])) - starts
    too_long = np.flatnonzero(length > max_line)
    if too_long.shape[0]:
        raise LineTooLong(first_line + int(too_long[0]), max_line)
    last = max(arr.shape[0] - 1, 0)
    cr_only = (length == 1) & (arr[np.minimum(starts, last)] == _CR) if arr.shape[0] else length > 0
    filled = int(np.count_nonzero((length > 0) & ~cr_only))
    return Block(first_line, data, filled, int(ends.shape[0]))


def iter_blocks(
    fh: BinaryIO,
    *,
    first_line: int = 1,
    max_line: int = MAX_LINE,
    piece: int = PIECE,
    block: int = BLOCK,
) -> Iterator[Block]:
    """Blocks of about ``block`` bytes of whole lines of ``fh`` (the last may end without a
    newline).

    A line still open after ``max_line`` bytes is refused as soon as that is read, so at most
    ``max_line + piece`` bytes are read past its start; lines inside a block are checked when
    it is complete.

    Raises:
        LineTooLong: a line (newline excluded) is longer than ``max_line`` bytes.
        OSError: reading failed.
    """
    parts: list[bytes] = []
    size = 0
    tail = 0  # length of the open line at the end of parts
    while True:
        data = fh.read(piece)
        if not data:
            break
        last = data.rfind(b"\n")
        tail = tail + len(data) if last < 0 else len(data) - last - 1
        parts.append(data)
        size += len(data)
        if tail > max_line:
            raise LineTooLong(first_line + sum(p.count(b"\n") for p in parts), max_line)
        if size - tail >= block:
            joined, cut = b"".join(parts), size - tail
            done = make_block(first_line, joined[:cut], max_line)
            yield done
            parts, size = ([joined[cut:]], tail) if tail else ([], 0)
            first_line += done.lines
    if parts:
        yield make_block(first_line, b"".join(parts), max_line)


def read_line(fh: BinaryIO, max_line: int = MAX_LINE) -> bytes:
    """The next line of ``fh`` (with its newline), reading at most ``max_line + 2`` bytes.

    Raises:
        LineTooLong: the line is longer than ``max_line`` (reported as line 1).
    """
    line = fh.readline(max_line + 2)
    if len(line.rstrip(b"\r\n")) > max_line:
        raise LineTooLong(1, max_line)
    return line
