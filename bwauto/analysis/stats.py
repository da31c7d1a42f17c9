"""Usage statistics of one link over the analysis window, per direction.

* ``n``: valid intervals; ``invalid``: intervals excluded for a reason other than a gap;
  ``gaps``: intervals longer than twice the polling interval.
* ``coverage_pct``: valid time (manager clock) / window time x 100.
* ``mean_bps``: time-weighted, ``sum(octets) x 8 / sum(valid seconds)``.
* ``max_bps`` and ``p95_bps``: over the rates of the valid intervals; p95 by nearest rank
  (sort ascending, take the ``ceil(0.95 n)``-th value; see ``percentile_nearest_rank``).
* p95 utilisation of a link: each direction's p95 over that direction's own committed rate
  (in = the OPD's upload, against ``up``; out = its download, against ``down``), the larger of
  the two. The issue's ``max(in p95, out p95) / committed`` is this when up = down, and it does
  not call an asymmetric link idle because its upload is far below its download rate.

The window parser lives in ``bwauto.analysis.window`` (``parse_window``).

Examples:
    >>> import numpy as np
    >>> percentile_nearest_rank(np.arange(1.0, 21.0), 95)
    19.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bwauto.analysis.counters import GAP, VALID, Intervals

F64 = npt.NDArray[np.float64]


def nearest_rank(n: int, pct: int) -> int:
    """The 1-based nearest rank ``ceil(pct / 100 x n)``, in integers (no float rounding).

    Examples:
        >>> nearest_rank(8640, 95), nearest_rank(20, 95), nearest_rank(1, 95)
        (8208, 19, 1)
    """
    if n <= 0:
        raise ValueError("no values")
    if not 0 < pct <= 100:
        raise ValueError(f"percentile {pct} is not in (0, 100]")
    return (pct * n + 99) // 100


def percentile_nearest_rank(values: F64, pct: int = 95) -> float:
    """The ``pct``-th percentile by nearest rank.

    Args:
        values: the values (any order, no NaN).
        pct: the percentile, an integer in (0, 100].

    Raises:
        ValueError: ``values`` is empty.

    Examples:
        >>> import numpy as np
        >>> percentile_nearest_rank(np.array([7.0]))
        7.0
        >>> v = np.arange(8640, dtype=float)  # 0 .. 8639: the 432 highest are excluded
        >>> percentile_nearest_rank(v)
        8207.0
    """
    k = nearest_rank(int(values.shape[0]), pct) - 1
    return float(np.partition(values, k)[k])


@dataclass(frozen=True, slots=True)
class DirectionStats:
    """Statistics of one direction of one link; rates are ``None`` when ``n`` is 0."""

    n: int
    invalid: int
    gaps: int
    valid_s: float
    coverage_pct: float
    mean_bps: float | None
    p95_bps: float | None
    max_bps: float | None


@dataclass(frozen=True, slots=True)
class LinkStats:
    """Both directions of one link, and the counts the report shows for the link."""

    inbound: DirectionStats
    outbound: DirectionStats
    invalid: int
    """Intervals excluded in at least one direction for a reason other than a gap."""

    @property
    def samples(self) -> int:
        """Valid intervals in the direction with fewer of them."""
        return min(self.inbound.n, self.outbound.n)

    @property
    def gaps(self) -> int:
        """Gaps (the same in both directions)."""
        return self.inbound.gaps

    @property
    def coverage_pct(self) -> float:
        """Coverage of the direction with less of it."""
        return min(self.inbound.coverage_pct, self.outbound.coverage_pct)

    @property
    def p95_max_bps(self) -> float | None:
        """The larger of the two directions' p95, ``None`` without valid data."""
        values = [v for v in (self.inbound.p95_bps, self.outbound.p95_bps) if v is not None]
        return max(values) if values else None


def direction_stats(intervals: Intervals, direction: str, window_s: float) -> DirectionStats:
    """Statistics of ``direction`` (``"in"`` or ``"out"``) over a window of ``window_s`` s.

    Examples:
        >>> import numpy as np
        >>> from bwauto.analysis.counters import compute_intervals
        >>> iv = compute_intervals(np.array([0.0, 300.0, 900.0, 1200.0]), np.full(4, np.nan),
        ...     np.array([0, 300, 300, 1500], dtype=np.uint64), np.zeros(4, dtype=np.uint64),
        ...     np.full(4, 64, dtype=np.uint8), speed_bps=None, poll_interval_s=300)
        >>> s = direction_stats(iv, "in", 1200.0)
        >>> s.n, s.gaps, s.coverage_pct, s.mean_bps, s.p95_bps, s.max_bps
        (3, 0, 100.0, 10.0, 32.0, 32.0)
    """
    _, flags, bps = intervals.direction(direction)
    valid = flags == VALID
    n = int(np.count_nonzero(valid))
    gaps = int(np.count_nonzero(flags == GAP))
    every = n == len(intervals)  # then the arrays are used whole, without a boolean index
    valid_s = float(np.sum(intervals.span if every else intervals.span[valid]))
    coverage = 100.0 * valid_s / window_s if window_s > 0 else 0.0
    if n == 0:
        return DirectionStats(0, len(intervals) - gaps, gaps, 0.0, coverage, None, None, None)
    rates = bps if every else bps[valid]
    seconds = float(np.sum(intervals.seconds if every else intervals.seconds[valid]))
    bits = intervals.bits(direction)  # 8 x octets, exact: their sum is 8 x the octets' sum
    mean = float(np.sum(bits if every else bits[valid]))
    k = nearest_rank(n, 95) - 1
    ordered = np.partition(rates, k)
    return DirectionStats(
        n=n,
        invalid=len(intervals) - n - gaps,
        gaps=gaps,
        valid_s=valid_s,
        coverage_pct=coverage,
        mean_bps=mean / seconds,
        p95_bps=float(ordered[k]),
        max_bps=float(np.max(ordered[k:])),  # the largest is among those at or above the p95
    )


def link_stats(intervals: Intervals, window_s: float) -> LinkStats:
    """Both directions' statistics and the link's count of invalid intervals."""
    bad_in = (intervals.in_flag != VALID) & (intervals.in_flag != GAP)
    bad_out = (intervals.out_flag != VALID) & (intervals.out_flag != GAP)
    return LinkStats(
        inbound=direction_stats(intervals, "in", window_s),
        outbound=direction_stats(intervals, "out", window_s),
        invalid=int(np.count_nonzero(bad_in | bad_out)),
    )


def p95_utilisation(
    stats: LinkStats, committed_up_bps: int, committed_down_bps: int
) -> float | None:
    """The larger of ``in p95 / up`` and ``out p95 / down`` (a ratio, 1.0 = 100 %).

    Examples:
        >>> d = lambda p95: DirectionStats(1, 0, 0, 1.0, 100.0, p95, p95, p95)
        >>> p95_utilisation(LinkStats(d(30e6), d(40e6), 0), 50_000_000, 100_000_000)
        0.6
        >>> none = DirectionStats(0, 0, 0, 0.0, 0.0, None, None, None)
        >>> p95_utilisation(LinkStats(none, none, 0), 1, 1) is None
        True
    """
    ratios = [
        p95 / committed
        for p95, committed in (
            (stats.inbound.p95_bps, committed_up_bps),
            (stats.outbound.p95_bps, committed_down_bps),
        )
        if p95 is not None
    ]
    return max(ratios) if ratios else None
