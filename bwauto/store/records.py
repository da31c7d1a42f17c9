"""Samples as plain data: one ``Sample``, a link's ``SampleArrays``, and their packed form.

``RECORD`` is the on-disk layout of one sample inside the store's BLOBs (see
``bwauto.store.samples``); the functions here validate samples and cut them into UTC days.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SECONDS_PER_DAY = 86_400
RECORD = np.dtype([("ts", "<f8"), ("uptime", "<f8"), ("in", "<u8"), ("out", "<u8"), ("bits", "u1")])
"""One packed sample inside a segment BLOB (33 bytes, no padding)."""

Records = npt.NDArray[np.void]


@dataclass(frozen=True, slots=True)
class Sample:
    """One poll of one link's interface counters.

    Attributes:
        link_id: the inventory id of the link.
        ts: unix seconds on the manager's clock when the reply arrived.
        uptime_s: the router's uptime in seconds at that moment, ``None`` if not polled.
        in_octets: ifHCInOctets (or ifInOctets): the OPD's upload.
        out_octets: ifHCOutOctets (or ifOutOctets): the OPD's download.
        counter_bits: 64 for the HC counters, 32 for the old ones.
    """

    link_id: str
    ts: float
    uptime_s: float | None
    in_octets: int
    out_octets: int
    counter_bits: int = 64


@dataclass(frozen=True, slots=True)
class SampleArrays:
    """The samples of one link as parallel arrays, sorted by ``ts`` with no duplicate ``ts``.

    ``uptime`` is NaN where the uptime is unknown.
    """

    ts: npt.NDArray[np.float64]
    uptime: npt.NDArray[np.float64]
    in_octets: npt.NDArray[np.uint64]
    out_octets: npt.NDArray[np.uint64]
    counter_bits: npt.NDArray[np.uint8]

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @classmethod
    def from_records(cls, records: Records) -> SampleArrays:
        """Split packed records into contiguous arrays."""
        return cls(
            ts=np.ascontiguousarray(records["ts"], dtype=np.float64),
            uptime=np.ascontiguousarray(records["uptime"], dtype=np.float64),
            in_octets=np.ascontiguousarray(records["in"], dtype=np.uint64),
            out_octets=np.ascontiguousarray(records["out"], dtype=np.uint64),
            counter_bits=np.ascontiguousarray(records["bits"], dtype=np.uint8),
        )

    def to_records(self) -> Records:
        """Pack into ``RECORD`` records (same order)."""
        records = np.empty(len(self), dtype=RECORD)
        records["ts"] = self.ts
        records["uptime"] = self.uptime
        records["in"] = self.in_octets
        records["out"] = self.out_octets
        records["bits"] = self.counter_bits
        return records


def split_days(records: Records) -> Iterator[tuple[int, Records]]:
    """Sort by ts, keep the first of equal ts, and cut into UTC days ``(day, records)``."""
    ts = records["ts"]
    if ts.shape[0] > 1 and not bool(np.all(ts[1:] > ts[:-1])):  # not already sorted, unique
        records = records[np.argsort(ts, kind="stable")]
        ts = records["ts"]
        records = records[np.concatenate(([True], ts[1:] != ts[:-1]))]
    days = np.floor(records["ts"] / SECONDS_PER_DAY).astype(np.int64)
    cuts = np.flatnonzero(days[1:] != days[:-1]) + 1
    for start, stop in zip(np.r_[0, cuts], np.r_[cuts, days.shape[0]], strict=True):
        yield int(days[start]), records[start:stop]


def check_sample(s: Sample) -> None:
    """Raise ``ValueError`` if ``s`` cannot be stored (a bug in whoever made it)."""
    if not s.link_id:
        raise ValueError("a sample needs a link_id")
    if not math.isfinite(s.ts):
        raise ValueError(f"{s.link_id}: ts {s.ts!r} is not a time")
    if s.uptime_s is not None and not (math.isfinite(s.uptime_s) and s.uptime_s >= 0):
        raise ValueError(f"{s.link_id}: uptime {s.uptime_s!r} is not a duration")
    if s.counter_bits not in (32, 64):
        raise ValueError(f"{s.link_id}: counter_bits must be 32 or 64, not {s.counter_bits!r}")
    limit = 2**s.counter_bits
    for name, value in (("in_octets", s.in_octets), ("out_octets", s.out_octets)):
        if not 0 <= value < limit:
            raise ValueError(f"{s.link_id}: {name} {value} is not a {s.counter_bits}-bit counter")


def samples_to_arrays(rows: list[Sample]) -> SampleArrays:
    """One link's samples as ``SampleArrays`` (same order)."""
    return SampleArrays(
        ts=np.array([s.ts for s in rows], dtype=np.float64),
        uptime=np.array([np.nan if s.uptime_s is None else s.uptime_s for s in rows]),
        in_octets=np.array([s.in_octets for s in rows], dtype=np.uint64),
        out_octets=np.array([s.out_octets for s in rows], dtype=np.uint64),
        counter_bits=np.array([s.counter_bits for s in rows], dtype=np.uint8),
    )


def check_arrays(link_id: str, a: SampleArrays) -> None:
    """Raise ``ValueError`` if ``a`` cannot be stored (a bug in whoever made it)."""
    n = len(a)
    if not link_id:
        raise ValueError("samples need a link_id")
    if any(x.shape != (n,) for x in (a.uptime, a.in_octets, a.out_octets, a.counter_bits)):
        raise ValueError(f"{link_id}: sample arrays differ in length")
    if not bool(np.all(np.isfinite(a.ts))):
        raise ValueError(f"{link_id}: a ts is not a time")
    if bool(np.any(a.uptime < 0)) or bool(np.any(np.isinf(a.uptime))):
        raise ValueError(f"{link_id}: an uptime is not a duration")
    if not bool(np.all((a.counter_bits == 32) | (a.counter_bits == 64))):
        raise ValueError(f"{link_id}: counter_bits must be 32 or 64")
    narrow = a.counter_bits == 32
    limit = np.uint64(2**32)
    if bool(np.any(narrow & ((a.in_octets >= limit) | (a.out_octets >= limit)))):
        raise ValueError(f"{link_id}: a value is above its 32-bit counter")
