"""Counter samples to rates: one interval between each two consecutive samples of a link.

Rules (every one vectorised over the whole series):

* The rate of an interval is ``8 * delta_octets / seconds`` bit/s per direction; ``seconds`` is
  the difference of the router's uptimes when both samples carry one, else of the manager's
  timestamps. The first sample has no rate: n samples give n - 1 intervals.
* An interval longer than twice the polling interval (manager clock) is a **gap**.
* An interval where the uptime went down is a **reboot**; one where uptime and manager clock
  disagree by more than ``max(10 s, 10 %)`` is a **clock** mismatch (a reboot hidden in a long
  interval, a 497-day sysUpTime wrap, or a step of the manager's clock). Both are invalid.
* An interval whose counter width (32/64 bits) changed between its samples is invalid.
* A counter that went down is a wrap only if the wrapped delta (modulo 2^32 or 2^64) is
  plausible: at most ``speed_bps * seconds`` bits. Otherwise the interval is invalid in that
  direction, and so is one whose counter went up by more than the interface can carry. With
  the speed unknown, a counter that went down is never trusted.
* Excluded intervals carry no traffic: nothing is interpolated and no earlier delta reused.

Deltas are taken in uint64, whose subtraction is modulo 2^64, then masked to 32 bits for 32-bit
counters, so both wraps are exact.

Examples:
    >>> import numpy as np
    >>> iv = compute_intervals(
    ...     ts=np.array([0.0, 300.0, 600.0]), uptime=np.array([np.nan] * 3),
    ...     in_octets=np.array([0, 3_750_000, 7_500_000], dtype=np.uint64),
    ...     out_octets=np.array([2**64 - 100, 0, 100], dtype=np.uint64),
    ...     counter_bits=np.array([64, 64, 64], dtype=np.uint8),
    ...     speed_bps=1_000_000_000, poll_interval_s=300)
    >>> iv.in_bps.tolist(), iv.out_bps.tolist()
    ([100000.0, 100000.0], [2.6666666666666665, 2.6666666666666665])
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from bwauto.store.samples import SampleArrays

F64 = npt.NDArray[np.float64]
U64 = npt.NDArray[np.uint64]
Flags = npt.NDArray[np.int8]

GAP_FACTOR = 2.0
"""An interval longer than this many polling intervals is a gap."""
CLOCK_TOLERANCE_S = 10.0
CLOCK_TOLERANCE_RATIO = 0.10
_MASK32 = np.uint64(0xFFFF_FFFF)


class Flag(IntEnum):
    """Why an interval is excluded (``VALID`` when it is not)."""

    VALID = 0
    GAP = 1
    REBOOT = 2
    CLOCK = 3
    WIDTH = 4
    BAD_TIME = 5
    WRAP = 6
    OVER_SPEED = 7


VALID = int(Flag.VALID)
"""``Flag.VALID`` as a plain int: numpy compares arrays with it several times faster than with
the enum member (and reading an enum member is a Python call)."""
GAP = int(Flag.GAP)


@dataclass(frozen=True, slots=True)
class Intervals:
    """The intervals of one link; arrays of length ``len(samples) - 1``.

    Attributes:
        start: manager time of the interval's first sample (unix seconds).
        end: manager time of its second sample.
        seconds: the duration used for rates (from uptime where known).
        in_octets: octets counted in (OPD upload); 0 where the direction is not valid.
        out_octets: octets counted out (OPD download); 0 where the direction is not valid.
        in_flag: ``Flag`` per interval, inbound.
        out_flag: ``Flag`` per interval, outbound.
        in_bps: inbound rate, NaN where not valid.
        out_bps: outbound rate, NaN where not valid.
        span: ``end - start`` (manager clock).
        times: the samples' times, ``start[0]`` then ``end`` (one longer than the rest).
        in_bits: ``8 * in_octets`` as float64 (0 where not valid).
        out_bits: ``8 * out_octets`` as float64 (0 where not valid).
    """

    start: F64
    end: F64
    seconds: F64
    in_octets: U64
    out_octets: U64
    in_flag: Flags
    out_flag: Flags
    in_bps: F64
    out_bps: F64
    span: F64
    times: F64
    in_bits: F64
    out_bits: F64

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def direction(self, name: str) -> tuple[U64, Flags, F64]:
        """``(octets, flags, bps)`` of direction ``"in"`` or ``"out"``."""
        if name == "in":
            return self.in_octets, self.in_flag, self.in_bps
        if name == "out":
            return self.out_octets, self.out_flag, self.out_bps
        raise ValueError(f"direction must be 'in' or 'out', not {name!r}")

    def bits(self, name: str) -> F64:
        """``8 * octets`` of direction ``"in"`` or ``"out"`` as float64 (0 where not valid)."""
        return self.in_bits if name == "in" else self.out_bits


def counter_delta(
    prev: U64, cur: U64, bits: npt.NDArray[np.uint8]
) -> tuple[U64, npt.NDArray[np.bool_]]:
    """Octets between two counter readings, modulo the counter width, and whether it wrapped.

    Examples:
        >>> import numpy as np
        >>> u = lambda *v: np.array(v, dtype=np.uint64)
        >>> d, w = counter_delta(u(2**64 - 10, 2**32 - 10, 5), u(5, 5, 10), np.array([64, 32, 32]))
        >>> d.tolist(), w.tolist()
        ([15, 15, 5], [True, True, False])
    """
    delta = cur - prev
    if bits.shape[0] and bits.min() == bits.max():  # one width throughout (the usual case)
        if bits[0] == 32:
            delta &= _MASK32
    else:
        delta = np.where(bits == 32, delta & _MASK32, delta)
    return delta.astype(np.uint64, copy=False), cur < prev


def link_flags(
    ts: F64,
    uptime: F64,
    counter_bits: npt.NDArray[np.uint8],
    poll_interval_s: float,
) -> tuple[Flags, F64]:
    """Flags shared by both directions, and the seconds of each interval.

    Examples:
        >>> import numpy as np
        >>> flags, secs = link_flags(
        ...     np.array([0.0, 300.0, 1500.0, 1800.0, 2100.0]),
        ...     np.array([50.0, 350.0, 1550.0, 40.0, 341.0]),
        ...     np.array([64, 64, 64, 64, 64], dtype=np.uint8), 300)
        >>> [Flag(f).name for f in flags], secs.tolist()
        (['VALID', 'GAP', 'REBOOT', 'VALID'], [300.0, 1200.0, -1510.0, 301.0])
    """
    flags, seconds, _ = _link_flags(ts, uptime, counter_bits, poll_interval_s)
    return flags, seconds


def _link_flags(
    ts: F64, uptime: F64, counter_bits: npt.NDArray[np.uint8], poll_interval_s: float
) -> tuple[Flags, F64, F64]:
    """``link_flags`` and the intervals' spans on the manager's clock."""
    dts = np.diff(ts)
    up0, up1 = uptime[:-1], uptime[1:]
    missing = np.isnan(uptime)
    known = ~(missing[:-1] | missing[1:])
    all_known = not missing.any()
    seconds = up1 - up0 if all_known else np.where(known, up1 - up0, dts)
    tolerance = np.maximum(CLOCK_TOLERANCE_S, CLOCK_TOLERANCE_RATIO * np.abs(dts))
    with np.errstate(invalid="ignore"):
        conditions = [
            dts > GAP_FACTOR * poll_interval_s,
            dts <= 0,
            known & (up1 < up0),
            known & (np.abs(seconds - dts) > tolerance),
            counter_bits[1:] != counter_bits[:-1],
            seconds <= 0,
        ]
    flags = np.zeros(dts.shape[0], dtype=np.int8)
    anything = conditions[0].copy()
    for condition in conditions[1:]:
        anything |= condition
    some = np.flatnonzero(anything)
    if some.shape[0]:  # the first condition that holds decides, as np.select does
        picked = [c[some] for c in conditions]
        choices = [Flag.GAP, Flag.BAD_TIME, Flag.REBOOT, Flag.CLOCK, Flag.WIDTH, Flag.BAD_TIME]
        flags[some] = np.select(picked, [np.int8(c) for c in choices], default=np.int8(0))
    return flags, seconds.astype(np.float64, copy=False), dts


def direction_flags(
    link: Flags,
    delta: U64,
    wrapped: npt.NDArray[np.bool_],
    seconds: F64,
    speed_bps: int | None,
) -> Flags:
    """Add the counter checks of one direction to the link's flags.

    Examples:
        >>> import numpy as np
        >>> link = np.zeros(3, dtype=np.int8)
        >>> delta = np.array([375, 376, 10], dtype=np.uint64)  # octets in 1 s
        >>> [Flag(f).name for f in direction_flags(link, delta, np.array([True, True, False]),
        ...                                         np.ones(3), 3000)]
        ['VALID', 'WRAP', 'VALID']
    """
    bits = delta.astype(np.float64) * 8.0
    limit = None if speed_bps is None else float(speed_bps) * seconds
    return _direction_flags(link, bits, wrapped, limit)


def _direction_flags(
    link: Flags, bits: F64, wrapped: npt.NDArray[np.bool_], limit: F64 | None
) -> Flags:
    """``direction_flags`` given the delta in bits and the most bits the interface can carry."""
    plausible = ~wrapped if limit is None else bits <= limit
    if plausible.all():
        return link.copy()
    bad = np.where(wrapped, np.int8(Flag.WRAP), np.int8(Flag.OVER_SPEED))
    counter = np.where(plausible, np.int8(Flag.VALID), bad)
    return np.where(link != VALID, link, counter).astype(np.int8)


def compute_intervals(
    ts: F64,
    uptime: F64,
    in_octets: U64,
    out_octets: U64,
    counter_bits: npt.NDArray[np.uint8],
    *,
    speed_bps: int | None,
    poll_interval_s: float,
) -> Intervals:
    """Rates and validity of every interval of one link's samples (sorted by ``ts``).

    Args:
        ts: manager time of each sample, strictly increasing.
        uptime: router uptime in seconds, NaN where unknown.
        in_octets: inbound octet counter readings.
        out_octets: outbound octet counter readings.
        counter_bits: 32 or 64 per sample.
        speed_bps: the interface's speed (bounds plausible deltas); ``None`` if unknown.
        poll_interval_s: the link's polling interval (gaps are longer than twice it).

    Returns:
        The ``Intervals``, ``len(ts) - 1`` of them (none for fewer than two samples).
    """
    flags, seconds, span = _link_flags(ts, uptime, counter_bits, poll_interval_s)
    positive = seconds > 0
    safe_seconds = seconds if positive.all() else np.where(positive, seconds, 1.0)
    limit = None if speed_bps is None else float(speed_bps) * seconds
    out: dict[str, tuple[U64, Flags, F64, F64]] = {}
    for name, counter in (("in", in_octets), ("out", out_octets)):
        delta, wrapped = counter_delta(counter[:-1], counter[1:], counter_bits[1:])
        bits = delta.astype(np.float64) * 8.0
        dflags = _direction_flags(flags, bits, wrapped, limit)
        bps = bits / safe_seconds
        invalid = dflags != VALID
        if invalid.any():  # excluded intervals carry no traffic
            delta[invalid] = 0
            bits[invalid] = 0.0
            bps[invalid] = np.nan
        out[name] = (delta, dflags, bps, bits)
    return Intervals(
        start=ts[:-1],
        end=ts[1:],
        seconds=seconds,
        in_octets=out["in"][0],
        out_octets=out["out"][0],
        in_flag=out["in"][1],
        out_flag=out["out"][1],
        in_bps=out["in"][2],
        out_bps=out["out"][2],
        span=span,
        times=ts,
        in_bits=out["in"][3],
        out_bits=out["out"][3],
    )


def intervals_of(
    samples: SampleArrays, *, speed_bps: int | None, poll_interval_s: float
) -> Intervals:
    """``compute_intervals`` on a link's ``SampleArrays`` as read from the store."""
    return compute_intervals(
        samples.ts,
        samples.uptime,
        samples.in_octets,
        samples.out_octets,
        samples.counter_bits,
        speed_bps=speed_bps,
        poll_interval_s=poll_interval_s,
    )


def flag_counts(flags: Flags) -> dict[Flag, int]:
    """How many intervals carry each flag (only flags that occur).

    Examples:
        >>> import numpy as np
        >>> flag_counts(np.array([0, 0, 1, 6], dtype=np.int8))
        {<Flag.VALID: 0>: 2, <Flag.GAP: 1>: 1, <Flag.WRAP: 6>: 1}
    """
    counts = np.bincount(flags.astype(np.int64), minlength=len(Flag))
    return {Flag(i): int(c) for i, c in enumerate(counts) if c}
