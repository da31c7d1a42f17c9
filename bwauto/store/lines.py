"""Read a text file as blocks of whole lines, in bounded memory, refusing over-long lines.

A history file may be anything a user points at: a 5 GB file with no newline must be refused
after reading a little past its limit, not loaded. ``iter_blocks`` reads ``piece`` bytes at a
time, checks each piece's line lengths with numpy at once, and yields blocks of about ``block``
bytes that end at a newline, each with the number of its first line.

Examples:
    >>> import io
    >>> [(n, b) for n, b in iter_blocks(io.BytesIO(b"a\\nbb\\nccc"), block=3)]
    [(1, b'a\\nbb\\n'), (3, b'ccc')]
    >>> list(iter_blocks(io.BytesIO(b"ok\\n" + b"x" * 50), max_line=10))
    Traceback (most recent call last):
    ...
    bwauto.store.lines.LineTooLong: line 2 is longer than 10 bytes
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

MAX_LINE = 4096
"""The longest line accepted, in bytes (a history row is under 100)."""

PIECE = 64 * 1024
BLOCK = 8 * 1024 * 1024
_NL = 10


class LineTooLong(ValueError):
    """A line is longer than the limit; ``line`` is its number (from 1)."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(f"line {line} is longer than {limit} bytes")
        self.line = line
        self.limit = limit


def _check_piece(piece: bytes, tail: int, max_line: int) -> tuple[int, int, int]:
    """Newlines in ``piece`` after a line of ``tail`` bytes already read.

    Returns:
        ``(newlines, new_tail, bad)``: how many lines the piece ends, the length of the line it
        leaves open, and the index among those lines of the first that is too long (``-1``).
    """
    nl = np.flatnonzero(np.frombuffer(piece, dtype=np.uint8) == _NL)
    if nl.shape[0] == 0:
        new_tail = tail + len(piece)
        return 0, new_tail, 0 if new_tail > max_line else -1
    lengths = np.diff(nl, prepend=-1) - 1
    lengths[0] += tail
    new_tail = len(piece) - int(nl[-1]) - 1
    too_long = np.flatnonzero(lengths > max_line)
    if too_long.shape[0]:
        return int(nl.shape[0]), new_tail, int(too_long[0])
    return int(nl.shape[0]), new_tail, nl.shape[0] if new_tail > max_line else -1


def iter_blocks(
    fh: BinaryIO,
    *,
    first_line: int = 1,
    max_line: int = MAX_LINE,
    piece: int = PIECE,
    block: int = BLOCK,
) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole lines of ``fh`` as ``(number of the first line, bytes)``.

    At most ``max_line + piece`` bytes are read past the start of a line that is too long.
    The last block may end without a newline.

    Raises:
        LineTooLong: a line (newline excluded) is longer than ``max_line`` bytes.
        OSError: reading failed.
    """
    buf = bytearray()
    lines = 0  # complete lines in buf
    tail = 0  # length of the open line at the end of buf
    while True:
        data = fh.read(piece)
        if not data:
            break
        count, tail, bad = _check_piece(data, tail, max_line)
        if bad >= 0:
            raise LineTooLong(first_line + lines + bad, max_line)
        buf += data
        lines += count
        if len(buf) - tail >= block:
            cut = len(buf) - tail
            yield first_line, bytes(buf[:cut])
            del buf[:cut]
            first_line += lines
            lines = 0
    if buf:
        yield first_line, bytes(buf)


def read_line(fh: BinaryIO, max_line: int = MAX_LINE) -> bytes:
    """The next line of ``fh`` (with its newline), reading at most ``max_line + 2`` bytes.

    Raises:
        LineTooLong: the line is longer than ``max_line`` (reported as line 1).
    """
    line = fh.readline(max_line + 2)
    if len(line.rstrip(b"\r\n")) > max_line:
        raise LineTooLong(1, max_line)
    return line
