"""How much traffic an OPD link wants, and how much of it a cap lets through. Pure numpy, no I/O.

Demand of one link direction at unix time ``t`` is::

    base * shape(t) * noise(bucket(t))

* ``base`` — the committed rate times a utilisation drawn once per link and direction from a
  numpy ``Generator`` seeded with ``(seed, crc32(link_id), direction)``, in ``[0.6, 1.2)``: some
  links saturate their shaper in office hours (the ones that ask for more bandwidth), some don't.
* ``shape`` — a WIB (UTC+7) daily profile: weekdays busy 08–16, low in the evening, very low at
  night; weekends low all day.
* ``noise`` — per 10 s bucket, a mean-one log-normal factor and, in about 2 % of buckets, a
  burst of 1.5–3x. Drawn from a counter-based hash (splitmix64) keyed by the same Generator, so
  any bucket of any day can be computed directly and vectorised, and runs repeat.

Demand is piecewise constant per bucket; traffic carried is ``min(demand, cap)``, integrated
exactly over any interval (:func:`integrate_octets`) or as a cumulative series
(:func:`cumulative_octets`).

Examples:
    >>> profile = LinkProfile.of("opd-dinkes", 0, 20_000_000, 50_000_000)
    >>> round(float(day_shape(np.array([1_700_000_000.0]))[0]), 2)  # Wed 05:13 WIB
    0.06
    >>> integrate_octets(profile, 0.0, 10.0, cap_bps=0.0)
    0.0
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BUCKET_S = 10.0
"""Demand is constant within a bucket of this many seconds."""
WIB_OFFSET_S = 7 * 3600
BURST_PROBABILITY = 0.02
NOISE_SIGMA = 0.15
UP, DOWN = 0, 1
"""Directions: ``UP`` is the OPD's upload (router ingress), ``DOWN`` its download (egress)."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
UIntArray = npt.NDArray[np.uint64]

#: Fraction of base demand per WIB hour, Monday–Friday.
WEEKDAY_SHAPE = np.array(
    [0.06] * 6
    + [0.15, 0.45]
    + [1.0] * 4
    + [0.85]
    + [1.0] * 3
    + [0.7, 0.45]
    + [0.3] * 4
    + [0.15, 0.08]
)
#: Fraction of base demand per WIB hour, Saturday and Sunday.
WEEKEND_SHAPE = np.array([0.05] * 7 + [0.12] * 3 + [0.2] * 7 + [0.18] * 5 + [0.08] * 2)

_WEEK_SHAPE = np.concatenate([WEEKDAY_SHAPE] * 5 + [WEEKEND_SHAPE] * 2)  # Monday 00h first
_WEEK_SHAPE_FROM_THURSDAY = np.roll(_WEEK_SHAPE, -3 * 24)  # 1970-01-01 was a Thursday

_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)


@dataclass(frozen=True)
class LinkProfile:
    """What the model needs to know about one link: its base demand and its noise keys."""

    link_id: str
    base_bps: tuple[float, float]  # (up, down)
    keys: tuple[int, int]  # noise key per direction

    @classmethod
    def of(cls, link_id: str, seed: int, committed_up: int, committed_down: int) -> LinkProfile:
        """Build the profile of a link from its committed rates, deterministic in ``seed``.

        Args:
            link_id: the link's id; its CRC-32 goes into the seed.
            seed: the router spec's seed.
            committed_up: committed upload rate in bit/s.
            committed_down: committed download rate in bit/s.
        """
        bases: list[float] = []
        keys: list[int] = []
        for direction, committed in ((UP, committed_up), (DOWN, committed_down)):
            rng = np.random.default_rng([seed % 2**63, zlib.crc32(link_id.encode()), direction])
            bases.append(committed * float(rng.uniform(0.6, 1.2)))
            keys.append(int(rng.integers(0, 2**63)))
        return cls(link_id, (bases[0], bases[1]), (keys[0], keys[1]))


def day_shape(t: FloatArray) -> FloatArray:
    """Fraction of base demand at unix times ``t``, by WIB hour and weekday."""
    return _bucket_shape(np.floor(t / BUCKET_S).astype(np.int64))


def _bucket_shape(buckets: IntArray) -> FloatArray:
    """Fraction of base demand at the start of each bucket (integer arithmetic, fast)."""
    local = buckets + int(WIB_OFFSET_S // BUCKET_S)
    per_hour, per_week = int(3600 // BUCKET_S), int(7 * 86400 // BUCKET_S)
    shape: FloatArray = _WEEK_SHAPE_FROM_THURSDAY[(local % per_week) // per_hour]
    return shape


def _uniforms(keys: UIntArray, buckets: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Three independent uniforms in [0, 1) per (key, bucket): 21-bit slices of splitmix64.

    ``keys`` broadcasts against ``buckets`` (a scalar array, or shape (lanes, 1)).
    """
    with np.errstate(over="ignore"):
        z = buckets.astype(_U64) + keys
        z = z * _GOLDEN + _GOLDEN
        z = (z ^ (z >> _U64(30))) * _MIX1
        z = (z ^ (z >> _U64(27))) * _MIX2
        z = z ^ (z >> _U64(31))
    mask = _U64(0x1FFFFF)
    scale = 2.0**-21
    return (
        (z & mask).astype(np.float64) * scale,
        ((z >> _U64(21)) & mask).astype(np.float64) * scale,
        ((z >> _U64(42)) & mask).astype(np.float64) * scale,
    )


def noise(key: int, buckets: IntArray) -> FloatArray:
    """Mean-one multiplicative noise with occasional bursts, one value per bucket index."""
    return _noise(np.asarray(key, dtype=_U64), buckets)


def _noise(keys: UIntArray, buckets: IntArray) -> FloatArray:
    u1, u2, u3 = _uniforms(keys, buckets)
    normal = np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
    factor = np.exp(NOISE_SIGMA * normal - NOISE_SIGMA**2 / 2.0)
    burst = np.where(u3 < BURST_PROBABILITY, 1.5 + 1.5 * u3 / BURST_PROBABILITY, 1.0)
    out: FloatArray = factor * burst
    return out


def demand_bps(profile: LinkProfile, direction: int, buckets: IntArray) -> FloatArray:
    """Demand in bit/s of one link direction for each bucket index."""
    shape = _bucket_shape(buckets)
    out: FloatArray = profile.base_bps[direction] * shape * noise(profile.keys[direction], buckets)
    return out


def integrate_lanes(
    lanes: Sequence[tuple[LinkProfile, int]], caps: Sequence[float], t0: float, t1: float
) -> FloatArray:
    """Octets carried over ``[t0, t1)`` by many (link, direction) lanes at once, each capped.

    One vectorised pass for a whole router: the agent accounts every interface per request.
    """
    if t1 <= t0 or not lanes:
        return np.zeros(len(lanes))
    buckets, seconds = bucket_span(t0, t1)
    keys = np.array([p.keys[d] for p, d in lanes], dtype=_U64)[:, None]
    bases = np.array([p.base_bps[d] for p, d in lanes])[:, None]
    demand = bases * _bucket_shape(buckets) * _noise(keys, buckets)
    carried = np.minimum(demand, np.asarray(caps, dtype=np.float64)[:, None])
    octets: FloatArray = carried @ seconds / 8.0
    return octets


def bucket_span(t0: float, t1: float) -> tuple[IntArray, FloatArray]:
    """Bucket indices covering ``[t0, t1)`` and the seconds of each inside the interval."""
    first = math.floor(t0 / BUCKET_S)
    last = max(first, math.ceil(t1 / BUCKET_S) - 1)
    buckets = np.arange(first, last + 1, dtype=np.int64)
    seconds = np.full(buckets.size, BUCKET_S)
    seconds[0] = min((first + 1) * BUCKET_S, t1) - t0
    if buckets.size > 1:
        seconds[-1] = t1 - last * BUCKET_S
    np.maximum(seconds, 0.0, out=seconds)
    return buckets, seconds


def integrate_octets(
    profile: LinkProfile,
    t0: float,
    t1: float,
    cap_bps: float,
    direction: int = UP,
    override_bps: float | None = None,
) -> float:
    """Octets carried by one link direction over ``[t0, t1)`` under a constant cap.

    Args:
        profile: the link's profile.
        t0: start, unix seconds.
        t1: end, unix seconds (nothing is carried when ``t1 <= t0``).
        cap_bps: the shaper (or interface speed) in force, bit/s.
        direction: ``UP`` or ``DOWN``.
        override_bps: constant demand replacing the model (tests use it to saturate a link).
    """
    if t1 <= t0 or cap_bps <= 0:
        return 0.0
    if override_bps is not None:
        return min(override_bps, cap_bps) * (t1 - t0) / 8.0
    buckets, seconds = bucket_span(t0, t1)
    carried = np.minimum(demand_bps(profile, direction, buckets), cap_bps)
    return float(np.dot(carried, seconds)) / 8.0


def cumulative_octets(
    profile: LinkProfile,
    direction: int,
    times: FloatArray,
    cap_bps: float,
    growth: Growth | None = None,
) -> FloatArray:
    """Octets carried from ``times[0]`` to each of ``times`` (sorted) under a constant cap.

    Exact for the piecewise-constant model: the integral is accumulated per bucket, then
    interpolated linearly inside the bucket each time falls in. ``growth`` scales the demand
    by a known linear trend from ``times[0]`` (histories for the forecast's tests).
    """
    if times.size == 0:
        return np.zeros(0)
    start, end = float(times[0]), float(times[-1])
    buckets, seconds = bucket_span(start, max(end, start + 1e-9))
    demand = demand_bps(profile, direction, buckets)
    if growth is not None:
        at: FloatArray = buckets.astype(np.float64) * BUCKET_S
        demand = np.multiply(demand, growth.factor(at, start))
    rate = np.minimum(demand, max(cap_bps, 0.0)) / 8.0
    at_edges = np.concatenate(([0.0], np.cumsum(rate * seconds)))  # octets at each bucket end
    idx = np.clip(np.floor(times / BUCKET_S).astype(np.int64) - buckets[0], 0, buckets.size - 1)
    bucket_lo = np.maximum(buckets[idx] * BUCKET_S, start)
    octets: FloatArray = at_edges[idx] + rate[idx] * (times - bucket_lo)
    return octets


WEEK_S = 7 * 86_400.0


@dataclass(frozen=True)
class Growth:
    """A known linear trend of demand: ``level + per_week x weeks since the origin``.

    ``Growth(per_week=0.02)`` is +2 % of the model's demand per week from 100 %, not compounded;
    ``Growth(level=0.5, per_week=0.03)`` starts at half the model's demand.

    Examples:
        >>> Growth(level=0.5, per_week=0.05).factor(np.array([0.0, 604_800.0]), 0.0).tolist()
        [0.5, 0.55]
    """

    level: float = 1.0
    per_week: float = 0.0

    def factor(self, t: FloatArray, origin: float) -> FloatArray:
        """The demand multiplier at times ``t``."""
        out: FloatArray = self.level + self.per_week * (t - origin) / WEEK_S
        return out
