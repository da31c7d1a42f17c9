"""The slow path of the history importer: one row at a time, naming each problem.

The importer uses it for a block the vectorised fast path (``bwauto.store.csv_fast``) did not
accept, so that every problem is reported as ``FILE:LINE: reason``; the rules here are the
reference the fast path must agree with.
"""

from __future__ import annotations

import csv
import math
import re
from array import array
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

import numpy as np
import numpy.typing as npt

from bwauto.analysis.window import WIB
from bwauto.store.csv_fast import Rows

REQUIRED = ("timestamp", "link_id", "in_octets", "out_octets")
OPTIONAL = ("uptime_s", "counter_bits")
_DIGITS = re.compile(r"^[0-9]+$")


class RowError(ValueError):
    """One problem in one row (the message says what, the caller adds where)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One parsed row of a history file."""

    ts: float
    link_id: str
    in_octets: int
    out_octets: int
    uptime_s: float | None
    counter_bits: int


def parse_timestamp(text: str, tz: tzinfo = WIB) -> float:
    """An ISO 8601 timestamp as unix seconds; without offset it is in ``tz``.

    Examples:
        >>> parse_timestamp("1970-01-01T07:00:00")
        0.0
        >>> parse_timestamp("1970-01-01 00:00:01Z")
        1.0
        >>> parse_timestamp("yesterday")
        Traceback (most recent call last):
        ...
        bwauto.store.csv_rows.RowError: timestamp 'yesterday' is not ISO 8601
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RowError(f"timestamp {text!r} is not ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.timestamp()


def parse_counter(name: str, text: str, bits: int) -> int:
    """A counter value: a whole number from 0 to ``2**bits - 1``.

    Examples:
        >>> parse_counter("in_octets", "4294967295", 32)
        4294967295
        >>> parse_counter("in_octets", "4294967296", 32)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bwauto.store.csv_rows.RowError: in_octets 4294967296 is above the 32-bit counter maximum ...
        >>> parse_counter("out_octets", "-5", 64)
        Traceback (most recent call last):
        ...
        bwauto.store.csv_rows.RowError: out_octets -5 is negative
    """
    text = text.strip()
    if not _DIGITS.match(text):
        if re.match(r"^-\s*[0-9.]+$", text):
            raise RowError(f"{name} {text} is negative")
        raise RowError(f"{name} {text!r} is not a whole number")
    value = int(text)
    if value >= 2**bits:
        raise RowError(f"{name} {value} is above the {bits}-bit counter maximum {2**bits - 1}")
    return value


def parse_uptime(text: str) -> float | None:
    """An uptime in seconds, ``None`` when empty.

    Examples:
        >>> parse_uptime(""), parse_uptime("86400.5")
        (None, 86400.5)
    """
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"uptime_s {text!r} is not a number") from None
    if not math.isfinite(value):
        raise RowError(f"uptime_s {text!r} is not a number")
    if value < 0:
        raise RowError(f"uptime_s {text} is negative")
    return value


def parse_bits(text: str) -> int:
    """The counter width, 32 or 64 (64 when empty).

    Examples:
        >>> parse_bits(""), parse_bits("32")
        (64, 32)
    """
    text = text.strip() or "64"
    if text not in ("32", "64"):
        raise RowError(f"counter_bits {text!r} must be 32 or 64")
    return int(text)


def parse_row(cells: dict[str, str], known_links: Collection[str], tz: tzinfo = WIB) -> Row:
    """Parse one row given as ``{column: text}``; raises ``RowError`` for the first problem."""
    for name in REQUIRED:
        if not cells.get(name, "").strip():
            raise RowError(f"missing {name}")
    link_id = cells["link_id"].strip()
    if link_id not in known_links:
        raise RowError(f"unknown link {link_id!r}: not in the inventory")
    bits = parse_bits(cells.get("counter_bits", ""))
    return Row(
        ts=parse_timestamp(cells["timestamp"], tz),
        link_id=link_id,
        in_octets=parse_counter("in_octets", cells["in_octets"], bits),
        out_octets=parse_counter("out_octets", cells["out_octets"], bits),
        uptime_s=parse_uptime(cells.get("uptime_s", "")),
        counter_bits=bits,
    )


@dataclass
class SlowRows:
    """Rows parsed one by one, gathered in compact arrays."""

    link: array[int] = field(default_factory=lambda: array("i"))
    ts: array[float] = field(default_factory=lambda: array("d"))
    uptime: array[float] = field(default_factory=lambda: array("d"))
    in_octets: array[int] = field(default_factory=lambda: array("Q"))
    out_octets: array[int] = field(default_factory=lambda: array("Q"))
    bits: array[int] = field(default_factory=lambda: array("B"))

    def rows(self) -> Rows:
        return Rows(
            link=np.frombuffer(self.link, dtype=np.int32).copy(),
            ts=np.frombuffer(self.ts, dtype=np.float64).copy(),
            in_octets=np.frombuffer(self.in_octets, dtype=np.uint64).copy(),
            out_octets=np.frombuffer(self.out_octets, dtype=np.uint64).copy(),
            uptime=np.frombuffer(self.uptime, dtype=np.float64).copy(),
            bits=np.frombuffer(self.bits, dtype=np.uint8).copy(),
        )


def parse_lines(
    block: bytes,
    first_line: int,
    header: list[str],
    links: dict[str, int],
    tz: tzinfo,
    last_ts: npt.NDArray[Any],
) -> tuple[Rows, list[tuple[int, str]]]:
    """Parse ``block`` line by line: its good rows and its ``(line, problem)`` list.

    ``last_ts`` (per link index) is checked and updated as rows are taken.
    """
    out = SlowRows()
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(block.split(b"\n"), start=first_line):
        problem = _take_line(raw, header, links, tz, last_ts, out)
        if problem:
            problems.append((number, problem))
    return out.rows(), problems


def _take_line(
    raw: bytes,
    header: list[str],
    links: dict[str, int],
    tz: tzinfo,
    last_ts: npt.NDArray[Any],
    out: SlowRows,
) -> str | None:
    try:
        text = raw.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
    if not text.strip():
        return None
    try:
        cells = next(csv.reader([text], strict=True))
    except csv.Error:
        return "a quoted field is not closed on its line"
    if not any(c.strip() for c in cells):
        return None
    if len(cells) > len(header):
        return f"{len(cells)} fields, but the header has {len(header)} columns"
    try:
        row = parse_row(dict(zip(header, cells, strict=False)), links, tz)
    except RowError as exc:
        return str(exc)
    index = links[row.link_id]
    last = last_ts[index]
    if row.ts == last:
        return f"timestamp {iso(row.ts)} appears twice for link {row.link_id}"
    if row.ts < last:
        return f"timestamp {iso(row.ts)} goes back in time for link {row.link_id}"
    last_ts[index] = row.ts
    out.link.append(index)
    out.ts.append(row.ts)
    out.uptime.append(math.nan if row.uptime_s is None else row.uptime_s)
    out.in_octets.append(row.in_octets)
    out.out_octets.append(row.out_octets)
    out.bits.append(row.counter_bits)
    return None


def iso(ts: float) -> str:
    """``ts`` as ISO 8601 in WIB.

    Examples:
        >>> iso(0.0)
        '1970-01-01T07:00:00+07:00'
    """
    return datetime.fromtimestamp(ts, WIB).isoformat()
