"""Import a link usage history from CSV into the sample store (``bwauto samples import``).

The file::

    timestamp,link_id,in_octets,out_octets[,uptime_s][,counter_bits]
    2024-05-01T00:00:00,dinkes,1000,2000,86400,64

* ``timestamp``: ISO 8601 (``2024-05-01T00:00:00``, ``2024-05-01 00:00``, ``...+07:00``,
  ``...Z``); without an offset it is local time, WIB (UTC+7) unless ``tz`` says otherwise.
* ``link_id``: a link of the inventory.
* ``in_octets`` / ``out_octets``: the counters, whole numbers from 0 to 2^bits - 1.
* ``uptime_s`` (optional, may be empty): the router's uptime in seconds.
* ``counter_bits`` (optional, may be empty): 32 or 64 (default 64).

Within a link, rows must go forward in time with no timestamp twice. A file with any bad row is
refused as a whole: ``ImportDataError`` lists ``FILE:LINE: reason`` for every problem (up to
``max_problems``) and nothing is stored. A good file is stored in one transaction; samples
already in the store are skipped, so importing a file twice adds nothing the second time.
"""

from __future__ import annotations

import csv
import math
import re
from array import array
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

import numpy as np

from bwauto.analysis.window import WIB
from bwauto.errors import ImportDataError
from bwauto.store.records import SampleArrays
from bwauto.store.samples import SampleStore

REQUIRED = ("timestamp", "link_id", "in_octets", "out_octets")
OPTIONAL = ("uptime_s", "counter_bits")
_DIGITS = re.compile(r"^[0-9]+$")


class RowError(ValueError):
    """One problem in one row (the message says what, the caller adds where)."""


@dataclass
class _Series:
    """One link's rows so far, in compact arrays."""

    ts: array[float] = field(default_factory=lambda: array("d"))
    uptime: array[float] = field(default_factory=lambda: array("d"))
    in_octets: array[int] = field(default_factory=lambda: array("Q"))
    out_octets: array[int] = field(default_factory=lambda: array("Q"))
    bits: array[int] = field(default_factory=lambda: array("B"))

    def arrays(self) -> SampleArrays:
        """The rows as ``SampleArrays`` (sharing the buffers)."""
        return SampleArrays(
            ts=np.frombuffer(self.ts, dtype=np.float64),
            uptime=np.frombuffer(self.uptime, dtype=np.float64),
            in_octets=np.frombuffer(self.in_octets, dtype=np.uint64),
            out_octets=np.frombuffer(self.out_octets, dtype=np.uint64),
            counter_bits=np.frombuffer(self.bits, dtype=np.uint8),
        )


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
        bwauto.store.importer.RowError: timestamp 'yesterday' is not ISO 8601
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
        bwauto.store.importer.RowError: in_octets 4294967296 is above the 32-bit counter maximum ...
        >>> parse_counter("out_octets", "-5", 64)
        Traceback (most recent call last):
        ...
        bwauto.store.importer.RowError: out_octets -5 is negative
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


def _header(reader: Iterator[list[str]], file: str) -> list[str]:
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportDataError(f"{file}:1: the file is empty") from None
    problems = []
    if len(header) == 1 and ";" in header[0]:
        problems.append("the separator is ';': save the file as CSV with ',' separators")
    else:
        problems += [f"missing column {name}" for name in REQUIRED if name not in header]
        problems += [
            f"unknown column {name!r} (expected {', '.join(REQUIRED + OPTIONAL)})"
            for name in header
            if name not in REQUIRED + OPTIONAL
        ]
        problems += [f"column {n} appears twice" for n in set(header) if header.count(n) > 1]
    if problems:
        raise ImportDataError("\n".join(f"{file}:1: {p}" for p in problems))
    return header


def read_history(
    path: Path, known_links: Collection[str], *, tz: tzinfo = WIB, max_problems: int = 20
) -> dict[str, SampleArrays]:
    """Read and check a whole history file; nothing is stored.

    Returns:
        Per link, its samples.

    Raises:
        ImportDataError: the file cannot be read or has bad rows (all listed, up to
            ``max_problems``, as ``FILE:LINE: reason``).
    """
    file = str(path)
    series: dict[str, _Series] = {}
    problems: list[str] = []
    count = 0
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = _header(reader, file)
            line = reader.line_num + 1  # where the next record starts
            for cells in reader:
                problem = None
                if any(c.strip() for c in cells):
                    problem = _take_row(header, cells, known_links, tz, series)
                if problem:
                    count += 1
                    if len(problems) < max_problems:
                        problems.append(f"{file}:{line}: {problem}")
                line = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportDataError(f"{file}: cannot be read: {exc}") from exc
    if problems:
        more = f"\n... and {count - len(problems)} more problems" if count > len(problems) else ""
        raise ImportDataError("\n".join(problems) + more + f"\n{file}: nothing was imported")
    return {link: s.arrays() for link, s in series.items()}


def _take_row(
    header: list[str],
    cells: list[str],
    known_links: Collection[str],
    tz: tzinfo,
    series: dict[str, _Series],
) -> str | None:
    """Parse and keep one row; the problem with it, or ``None``."""
    if len(cells) > len(header):
        return f"{len(cells)} fields, but the header has {len(header)} columns"
    try:
        row = parse_row(dict(zip(header, cells, strict=False)), known_links, tz)
    except RowError as exc:
        return str(exc)
    s = series.setdefault(row.link_id, _Series())
    if s.ts:
        last = s.ts[-1]
        if row.ts == last:
            return f"timestamp {_iso(row.ts)} appears twice for link {row.link_id}"
        if row.ts < last:
            return f"timestamp {_iso(row.ts)} goes back in time for link {row.link_id}"
    s.ts.append(row.ts)
    s.uptime.append(math.nan if row.uptime_s is None else row.uptime_s)
    s.in_octets.append(row.in_octets)
    s.out_octets.append(row.out_octets)
    s.bits.append(row.counter_bits)
    return None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, WIB).isoformat()


def import_history(
    store: SampleStore,
    path: Path,
    known_links: Collection[str],
    *,
    tz: tzinfo = WIB,
    max_problems: int = 20,
) -> int:
    """Import a history CSV into ``store`` in one transaction.

    Args:
        store: the sample store (open it with ``create=True``).
        path: the CSV file.
        known_links: the ids of the inventory's links; any other link refuses the file.
        tz: the zone of timestamps written without an offset (WIB).
        max_problems: how many problems to list before ``... and N more``.

    Returns:
        How many samples were new (0 when the file was imported before).

    Raises:
        ImportDataError: the file is unreadable or has a bad row; nothing is stored.
        StoreError: the store is locked or unusable.
    """
    series = read_history(path, set(known_links), tz=tz, max_problems=max_problems)
    return store.append_arrays(series)
