"""The fast path of the history importer: one block of CSV rows parsed and checked at once.

``parse_block`` hands the block to pyarrow's multi-threaded CSV reader with explicit column
types (counters as uint64) and checks every rule of ``bwauto.store.importer`` on whole columns.
It answers ``None`` as soon as anything is doubtful (a value pyarrow refuses, a null, an
unknown link, a 32-bit counter too large, a timestamp that does not go forward, a row count
that does not match the lines): the importer then parses that block row by row to name each
problem with its line. So the fast path decides only for blocks that are entirely good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, tzinfo
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

_TYPES: dict[str, pa.DataType] = {
    "timestamp": pa.timestamp("ns"),
    "link_id": pa.dictionary(pa.int32(), pa.string()),
    "in_octets": pa.uint64(),
    "out_octets": pa.uint64(),
    "uptime_s": pa.float64(),
    "counter_bits": pa.uint8(),
}
_U32 = np.uint64(2**32)


@dataclass(frozen=True, slots=True)
class Rows:
    """Parsed rows of one block, in file order; ``link`` is the index of the link id."""

    link: npt.NDArray[np.int32]
    ts: npt.NDArray[np.float64]
    in_octets: npt.NDArray[np.uint64]
    out_octets: npt.NDArray[np.uint64]
    uptime: npt.NDArray[np.float64]
    bits: npt.NDArray[np.uint8]

    def __len__(self) -> int:
        return int(self.ts.shape[0])


def parse_block(
    block: bytes,
    filled: int,
    header: list[str],
    links: dict[str, int],
    tz: tzinfo,
    last_ts: npt.NDArray[Any],
) -> Rows | None:
    """The rows of ``block`` if every one is good and goes forward per link, else ``None``.

    Args:
        block: whole CSV lines (no header), UTF-8.
        filled: how many of its lines hold something (pyarrow skips empty lines: a row count
            that differs means a record spanning lines, which the row-by-row path names).
        header: the file's column names, in order (already checked).
        links: index of each known link id.
        tz: the zone of timestamps without an offset.
        last_ts: per link index, the last timestamp read so far (``-inf`` if none).
    """
    naive = True
    table = _read(block, header, _TYPES["timestamp"])
    if table is None:  # maybe every timestamp has an offset
        naive, table = False, _read(block, header, pa.timestamp("ns", tz="UTC"))
    if table is None or table.num_rows != filled:
        return None
    link = _link_index(table.column("link_id"), links)
    ts = _timestamps(table.column("timestamp"), tz if naive else None)
    counters = _counters(table)
    if link is None or ts is None or counters is None:
        return None
    uptime, bits = _uptime(table), _bits(table)
    if uptime is None or bits is None or not _fit(counters, bits):
        return None
    if not goes_forward(link, ts, last_ts):
        return None
    return Rows(link, ts, counters[0], counters[1], uptime, bits)


def _read(block: bytes, header: list[str], ts_type: pa.DataType) -> pa.Table | None:
    types = {name: (ts_type if name == "timestamp" else _TYPES[name]) for name in header}
    try:
        return pcsv.read_csv(
            pa.py_buffer(block),
            read_options=pcsv.ReadOptions(column_names=header, block_size=1 << 20),
            parse_options=pcsv.ParseOptions(newlines_in_values=False),
            convert_options=pcsv.ConvertOptions(
                column_types=types, null_values=[""], strings_can_be_null=True
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _link_index(column: pa.ChunkedArray, links: dict[str, int]) -> npt.NDArray[np.int32] | None:
    if column.null_count:
        return None
    parts = []
    for chunk in column.chunks:
        names = chunk.dictionary.to_pylist()
        if any(name not in links for name in names):
            return None
        table = np.array([links[name] for name in names], dtype=np.int32)
        parts.append(table[chunk.indices.to_numpy()])
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int32)


def _timestamps(column: pa.ChunkedArray, tz: tzinfo | None) -> npt.NDArray[np.float64] | None:
    """Unix seconds; naive timestamps are in ``tz`` (a fixed offset, else ``None``)."""
    shift_us = 0
    if tz is not None:
        offset = tz.utcoffset(None)
        if offset is None:  # a zone with daylight saving: row by row
            return None
        shift_us = offset // timedelta(microseconds=1)
    if column.null_count:
        return None
    # whole microseconds, divided once: the same float as datetime.timestamp()
    us = column.cast(pa.int64()).to_numpy() // 1000 - shift_us
    return np.asarray(us / 1e6, dtype=np.float64)


def _counters(
    table: pa.Table,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]] | None:
    a, b = table.column("in_octets"), table.column("out_octets")
    if a.null_count or b.null_count:
        return None
    return a.to_numpy().astype(np.uint64, copy=False), b.to_numpy().astype(np.uint64, copy=False)


def _uptime(table: pa.Table) -> npt.NDArray[np.float64] | None:
    if "uptime_s" not in table.column_names:
        return np.full(table.num_rows, np.nan)
    column = table.column("uptime_s")
    values = np.asarray(column.to_numpy(), dtype=np.float64)  # nulls become NaN
    if int(np.count_nonzero(np.isnan(values))) != column.null_count:  # a literal nan
        return None
    if bool(np.any(np.isinf(values))) or bool(np.any(values < 0)):
        return None
    return values


def _bits(table: pa.Table) -> npt.NDArray[np.uint8] | None:
    if "counter_bits" not in table.column_names:
        return np.full(table.num_rows, 64, dtype=np.uint8)
    values = np.asarray(pc.fill_null(table.column("counter_bits"), 64).to_numpy(), np.uint8)
    if not bool(np.all((values == 64) | (values == 32))):
        return None
    return values


def _fit(counters: tuple[npt.NDArray[np.uint64], ...], bits: npt.NDArray[np.uint8]) -> bool:
    narrow = bits == 32
    if not bool(narrow.any()):
        return True
    return not any(bool(np.any(c[narrow] >= _U32)) for c in counters)


def goes_forward(
    link: npt.NDArray[np.int32], ts: npt.NDArray[np.float64], last_ts: npt.NDArray[Any]
) -> bool:
    """Whether, per link, ``ts`` strictly increases and starts after ``last_ts``; if so,
    ``last_ts`` is updated.

    Examples:
        >>> last = np.array([-np.inf, 5.0])
        >>> goes_forward(np.array([0, 1, 0]), np.array([1.0, 6.0, 2.0]), last), last.tolist()
        (True, [2.0, 6.0])
        >>> goes_forward(np.array([1]), np.array([6.0]), last)
        False
    """
    if ts.shape[0] == 0:
        return True
    if not bool(np.all(np.isfinite(ts))):
        return False
    order = np.argsort(link, kind="stable")
    lk, t = link[order], ts[order]
    first = np.concatenate(([True], lk[1:] != lk[:-1]))
    inside_ok = bool(np.all(np.diff(t)[~first[1:]] > 0))
    if not inside_ok or not bool(np.all(t[first] > last_ts[lk[first]])):
        return False
    last = np.concatenate((first[1:], [True]))
    last_ts[lk[last]] = t[last]
    return True
