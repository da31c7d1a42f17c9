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

Within a link, rows must go forward in time with no timestamp twice. A line is at most
``MAX_LINE`` bytes (a row is under 100). A file with any bad row is refused as a whole:
``ImportDataError`` lists ``FILE:LINE: reason`` for every problem (up to ``max_problems``) and
nothing is stored. Samples already stored with the same counters are skipped, so importing a
file twice adds nothing; a sample stored with *different* counters is a conflict, refused unless
``on_conflict`` says ``keep`` (the stored one) or ``replace``.

How it is fast and bounded: the file is read in blocks of whole lines (``bwauto.store.lines``,
which refuses an over-long line after reading a little past it), each block is parsed and
checked on whole columns by pyarrow (``bwauto.store.csv_fast``), and only a block with a
problem is parsed again row by row (``bwauto.store.csv_rows``) to name each problem with its
line. Rows go to the store every ``FLUSH_ROWS`` rows inside one transaction, rolled back if
any problem or conflict is found, so memory stays bounded whatever the file.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import BinaryIO

import numpy as np

from bwauto.analysis.window import WIB
from bwauto.errors import ImportDataError
from bwauto.store.csv_fast import Rows, parse_block
from bwauto.store.csv_rows import OPTIONAL, REQUIRED, iso, parse_lines
from bwauto.store.lines import MAX_LINE, LineTooLong, iter_blocks, read_line
from bwauto.store.records import SampleArrays
from bwauto.store.samples import BulkWriter, Conflict, OnConflict, SampleStore

__all__ = ["MAX_LINE", "ImportResult", "import_files", "import_history", "read_history"]

FLUSH_ROWS = 1_000_000
"""Rows kept in memory before they are written (in the import's transaction)."""
BLOCK_BYTES = 8 * 1024 * 1024
"""Bytes of whole lines parsed at once."""
_BOM = b"\xef\xbb\xbf"


@dataclass
class ImportResult:
    """What an import did: rows read, samples new (or replaced), conflicts kept or replaced."""

    rows: int = 0
    added: int = 0
    conflicts: int = 0


@dataclass
class _File:
    """The reading state of one file."""

    name: str
    links: dict[str, int]
    names: list[str]
    tz: tzinfo
    max_problems: int
    last_ts: np.ndarray = field(init=False)
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    rows: int = 0

    def __post_init__(self) -> None:
        self.last_ts = np.full(len(self.names), -np.inf)

    def problem(self, line: int | None, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < self.max_problems:
            where = self.name if line is None else f"{self.name}:{line}"
            self.problems.append(f"{where}: {reason}")


def _header(raw: bytes, file: str) -> list[str]:
    if not raw.strip():
        raise ImportDataError(f"{file}:1: the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportDataError(
            f"{file}:1: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
        ) from None
    header = [h.strip().lower() for h in next(csv.reader([text.rstrip("\r\n")]))]
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


def _blocks(fh: BinaryIO, state: _File) -> Iterator[Rows]:
    """The good rows of each block of the open file; problems go to ``state``."""
    first = read_line(fh)
    header = _header(first.removeprefix(_BOM), state.name)
    for block in iter_blocks(fh, first_line=2, block=BLOCK_BYTES):
        data, rows = block.data, None
        if data.isascii() or _is_utf8(data):
            rows = parse_block(data, block.filled, header, state.links, state.tz, state.last_ts)
        if rows is None:
            rows, problems = parse_lines(
                data, block.first_line, header, state.links, state.tz, state.last_ts
            )
            for number, reason in problems:
                state.problem(number, reason)
        state.rows += len(rows)
        yield rows


def _is_utf8(block: bytes) -> bool:
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _by_link(parts: list[Rows], names: list[str]) -> dict[str, SampleArrays]:
    """Rows of many blocks, per link (file order kept within a link)."""
    link = np.concatenate([p.link for p in parts])
    columns = {
        name: np.concatenate([getattr(p, name) for p in parts])
        for name in ("ts", "uptime", "in_octets", "out_octets", "bits")
    }
    if link.shape[0] > 1 and not bool(np.all(link[1:] >= link[:-1])):  # not grouped by link
        order = np.argsort(link, kind="stable")
        link = link[order]
        columns = {name: column[order] for name, column in columns.items()}
    cuts = np.flatnonzero(link[1:] != link[:-1]) + 1
    out: dict[str, SampleArrays] = {}
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, link.shape[0]], strict=True):
        if hi > lo:
            out[names[int(link[lo])]] = SampleArrays(
                ts=columns["ts"][lo:hi],
                uptime=columns["uptime"][lo:hi],
                in_octets=columns["in_octets"][lo:hi],
                out_octets=columns["out_octets"][lo:hi],
                counter_bits=columns["bits"][lo:hi],
            )
    return out


def _read_into(path: Path, state: _File, sink: BulkWriter | list[Rows]) -> None:
    """Read ``path`` block by block; good rows go to ``sink`` while no problem is found."""
    pending: list[Rows] = []
    count = 0
    try:
        with open(path, "rb") as fh:
            for rows in _blocks(fh, state):
                if state.problem_count or not len(rows):
                    pending, count = [], 0
                    continue
                pending.append(rows)
                count += len(rows)
                if isinstance(sink, BulkWriter) and count >= FLUSH_ROWS:
                    sink.add(_by_link(pending, state.names))
                    pending, count = [], 0
    except LineTooLong as exc:
        state.problem(exc.line, f"line longer than {exc.limit} bytes: not a history CSV")
        return
    except OSError as exc:
        raise ImportDataError(f"{state.name}: cannot be read: {exc.strerror or exc}") from exc
    if pending and not state.problem_count:
        if isinstance(sink, BulkWriter):
            sink.add(_by_link(pending, state.names))
        else:
            sink.extend(pending)


def _refuse(state: _File) -> None:
    if state.problem_count:
        shown = len(state.problems)
        more = state.problem_count - shown
        tail = [f"... and {more} more problems"] if more > 0 else []
        raise ImportDataError(
            "\n".join([*state.problems, *tail, f"{state.name}: nothing was imported"])
        )
    if state.rows == 0:
        raise ImportDataError(f"{state.name}: no data rows (only the header): nothing was imported")


def _state(path: Path, known_links: Collection[str], tz: tzinfo, max_problems: int) -> _File:
    names = sorted(known_links)
    return _File(str(path), {n: i for i, n in enumerate(names)}, names, tz, max_problems)


def read_history(
    path: Path, known_links: Collection[str], *, tz: tzinfo = WIB, max_problems: int = 20
) -> dict[str, SampleArrays]:
    """Read and check a whole history file into memory; nothing is stored.

    Returns:
        Per link, its samples.

    Raises:
        ImportDataError: the file cannot be read or has bad rows (all listed, up to
            ``max_problems``, as ``FILE:LINE: reason``).
    """
    state = _state(path, known_links, tz, max_problems)
    parts: list[Rows] = []
    _read_into(path, state, parts)
    _refuse(state)
    return _by_link(parts, state.names)


def _conflict_lines(file: str, writer: BulkWriter) -> list[str]:
    def one(c: Conflict) -> str:
        return (
            f"{file}: link {c.link_id} at {iso(c.ts)}: stored in/out {c.stored[0]}/{c.stored[1]}, "
            f"this import {c.new[0]}/{c.new[1]}"
        )

    more = writer.conflict_count - len(writer.conflicts)
    return [
        *map(one, writer.conflicts),
        *([f"... and {more} more conflicts"] if more > 0 else []),
        f"{file}: {writer.conflict_count} samples conflict with stored ones "
        "(use --on-conflict keep or replace): nothing was imported",
    ]


def import_files(
    store: SampleStore,
    paths: Iterable[Path],
    known_links: Collection[str],
    *,
    tz: tzinfo = WIB,
    max_problems: int = 20,
    on_conflict: OnConflict = "refuse",
) -> ImportResult:
    """Import history CSVs into ``store`` in one transaction: all of them or nothing.

    Args:
        store: the sample store (open it with ``create=True``).
        paths: the CSV files, imported in this order.
        known_links: the ids of the inventory's links; any other link refuses the file.
        tz: the zone of timestamps written without an offset (WIB).
        max_problems: how many problems (or conflicts) to list before ``... and N more``.
        on_conflict: what to do with a sample stored with other counters (``OnConflict``).

    Raises:
        ImportDataError: a file is unreadable, has a bad row or no rows, or conflicts with the
            store or an earlier file (and ``on_conflict`` is ``refuse``); nothing is stored.
        StoreError: the store is locked or unusable.
    """
    result = ImportResult()
    with store.bulk(on_conflict, keep_conflicts=max_problems) as writer:
        for path in paths:
            state = _state(path, known_links, tz, max_problems)
            _read_into(path, state, writer)
            _refuse(state)
            if on_conflict == "refuse" and writer.conflict_count:
                raise ImportDataError("\n".join(_conflict_lines(state.name, writer)))
            result.rows += state.rows
    result.added, result.conflicts = writer.added, writer.conflict_count
    return result


def import_history(
    store: SampleStore,
    path: Path,
    known_links: Collection[str],
    *,
    tz: tzinfo = WIB,
    max_problems: int = 20,
    on_conflict: OnConflict = "refuse",
) -> int:
    """Import one history CSV (see ``import_files``); returns how many samples were new."""
    result = import_files(
        store, [path], known_links, tz=tz, max_problems=max_problems, on_conflict=on_conflict
    )
    return result.added


@contextmanager
def undo_if_refused(
    state_dir: Path, store_file: Path, created: Sequence[Path] = ()
) -> Iterator[None]:
    """Remove the state dir (and the store) this block creates, and the dirs above it this run
    ``created`` before, if it ends in an error with nothing stored.

    A refused import into a fresh state dir must leave nothing behind; an import from a
    monitoring system interrupted after some links keeps them, so that it can resume.
    """
    missing = [p for p in (state_dir, *state_dir.parents) if not p.exists()] + list(created)
    store_existed = store_file.exists()
    try:
        yield
    except BaseException:
        if not store_existed and not _has_samples(store_file):
            for suffix in ("", "-wal", "-shm", "-journal"):
                store_file.with_name(store_file.name + suffix).unlink(missing_ok=True)
            for directory in missing:  # deepest first
                try:
                    directory.rmdir()
                except OSError:
                    break
        raise


def _has_samples(store_file: Path) -> bool:
    if not store_file.exists():
        return False
    try:
        db = sqlite3.connect(f"{store_file.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return db.execute("SELECT 1 FROM segments LIMIT 1").fetchone() is not None
        finally:
            db.close()
    except sqlite3.Error:
        return False
