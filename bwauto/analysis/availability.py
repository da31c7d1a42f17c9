"""What an upstream has left: its links' aggregate load against its capacity.

* **Committed sum**: each link counts with the larger of its two committed rates (``up`` /
  ``down``): that is what the link may draw in its busier direction, and an upstream is sold
  by its busier direction. The upstream's capacity is taken as the same both ways.
* **Aggregate p95**, per direction: the p95 (nearest rank) of the *sum* of the links' rates,
  time-aligned on bins of the polling grid (5 minutes by default) - not the sum of their p95s,
  which would count every link's peak as if all peaked together. A link's rate in a bin is
  its traffic in the bin over the valid time in the bin (intervals split across bins in
  proportion to their overlap), so poll jitter moves no traffic between bins.
* **Missing data** in a bin (valid data covering less than half of it) is filled with that
  link's own p95 of the window, or its committed rate when it has no valid data at all; bins in
  which no link of the upstream was measured are left out. So a link that was not polled never
  makes the upstream look emptier than it is.
* **Free capacity** = capacity - aggregate p95, per direction; the report shows the smaller.
* **Oversubscription** = committed sum / capacity, against the upstream's ``max_oversubscription``.
* A **raise** to DOWN (or UP/DOWN, ``raise_impact``) takes the download to
  ``max(committed, DOWN)`` and the upload to ``max(committed, UP)`` (unchanged without UP); the
  free capacity after it is the free capacity minus the increase (the new rate fully used),
  the oversubscription after it counts the link at its new larger rate.

Examples:
    >>> import numpy as np
    >>> bin_edges(Window(1000.0, 2000.0), 300.0).tolist()
    [900.0, 1200.0, 1500.0, 1800.0, 2100.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bwauto.analysis.counters import VALID, Intervals
from bwauto.analysis.model import LinkInfo, UpstreamInfo
from bwauto.analysis.stats import DirectionStats, LinkStats, percentile_nearest_rank
from bwauto.analysis.window import Window

F64 = npt.NDArray[np.float64]
DIRECTIONS = ("in", "out")


def bin_edges(window: Window, bin_s: float) -> F64:
    """Edges of the bins covering ``window``, aligned to multiples of ``bin_s`` (unix time)."""
    first = math.floor(window.start / bin_s) * bin_s
    last = math.ceil(window.end / bin_s) * bin_s
    count = max(1, round((last - first) / bin_s))
    return first + bin_s * np.arange(count + 1, dtype=np.float64)


def binned_rates(intervals: Intervals, direction: str, edges: F64, min_fill: float = 0.5) -> F64:
    """The link's time-weighted rate in each bin; NaN where valid data covers < ``min_fill``.

    Examples:
        >>> import numpy as np
        >>> from bwauto.analysis.counters import compute_intervals
        >>> iv = compute_intervals(np.array([150.0, 450.0, 750.0]), np.full(3, np.nan),
        ...     np.array([0, 300, 900], dtype=np.uint64), np.zeros(3, dtype=np.uint64),
        ...     np.full(3, 64, dtype=np.uint8), speed_bps=None, poll_interval_s=300)
        >>> binned_rates(iv, "in", np.array([0.0, 300.0, 600.0, 900.0])).tolist()
        [8.0, 12.0, 16.0]
    """
    return binned_rates_by_direction(intervals, edges, min_fill, (direction,))[direction]


def binned_rates_by_direction(
    intervals: Intervals,
    edges: F64,
    min_fill: float = 0.5,
    directions: tuple[str, ...] = DIRECTIONS,
) -> dict[str, F64]:
    """``binned_rates`` of several directions, locating the bin edges among the samples once.

    A bin's rate is (bits in the bin) / (valid time in the bin), both read off cumulative sums
    interpolated at the bin edges: each interval's bits are spread evenly over its span on the
    manager's clock, the clock of the bins.
    """
    nbins = edges.shape[0] - 1
    if len(intervals) == 0:
        return {d: np.full(nbins, np.nan) for d in directions}
    at = _Interpolator(intervals.times, edges)
    span = intervals.span
    enough = min_fill * np.diff(edges)
    result = {}
    valid_time: tuple[npt.NDArray[np.bool_], F64] | None = None  # (valid, got_time) of the last
    for d in directions:
        valid = intervals.direction(d)[1] == VALID
        got_bits = np.diff(at(np.cumsum(intervals.bits(d))))  # 0 where not valid
        if valid_time is None or not np.array_equal(valid, valid_time[0]):
            valid_time = (valid, np.diff(at(np.cumsum(np.where(valid, span, 0.0)))))
        got_time = valid_time[1]
        rates = np.full(nbins, np.nan)
        np.divide(got_bits, got_time, out=rates, where=got_time >= enough)
        result[d] = rates
    return result


class _Interpolator:
    """``np.interp(x, xp, fp)`` for several ``fp`` on the same ``x`` and ``xp``, searching once.

    ``fp`` is given without its leading 0 (cumulative sums start at 0 at ``xp[0]``).
    """

    def __init__(self, xp: F64, x: F64) -> None:
        right = np.clip(np.searchsorted(xp, x, side="right"), 1, xp.shape[0] - 1)
        left = right - 1
        width = xp[right] - xp[left]
        self.weight = np.clip((x - xp[left]) / width, 0.0, 1.0)
        # fp[i] is cumulative[i - 1] and fp[0] is 0: index ``cumulative`` without building fp.
        self.high_at = left  # right - 1
        self.low_at = np.maximum(left - 1, 0)
        self.zeros = int(np.count_nonzero(left == 0))  # leading: x is sorted

    def __call__(self, cumulative: F64) -> F64:
        low: F64 = cumulative[self.low_at]
        low[: self.zeros] = 0.0
        high: F64 = cumulative[self.high_at]
        return low + self.weight * (high - low)


@dataclass(frozen=True, slots=True)
class UpstreamLoad:
    """An upstream's committed sum and aggregate load over the window.

    ``agg_p95_*_bps`` is ``None`` when no bin had any measured link.
    """

    upstream: UpstreamInfo
    links: int
    committed_sum_bps: int
    agg_p95_in_bps: float | None
    agg_p95_out_bps: float | None
    bins: int
    measured_pct: float
    links_without_data: tuple[str, ...] = ()

    @property
    def capacity_bps(self) -> int:
        """The upstream's capacity."""
        return self.upstream.capacity_bps

    @property
    def oversubscription(self) -> float:
        """Committed sum / capacity."""
        return self.committed_sum_bps / self.upstream.capacity_bps

    @property
    def free_in_bps(self) -> float | None:
        """Capacity - aggregate p95 inbound (the OPDs' uploads)."""
        p95 = self.agg_p95_in_bps
        return None if p95 is None else self.upstream.capacity_bps - p95

    @property
    def free_out_bps(self) -> float | None:
        """Capacity - aggregate p95 outbound (the OPDs' downloads)."""
        p95 = self.agg_p95_out_bps
        return None if p95 is None else self.upstream.capacity_bps - p95

    @property
    def free_bps(self) -> float | None:
        """The smaller free capacity of the two directions."""
        free = [f for f in (self.free_in_bps, self.free_out_bps) if f is not None]
        return min(free) if free else None


@dataclass
class UpstreamAccumulator:
    """Adds the links of one upstream one at a time, so no link's bins are kept.

    Examples:
        >>> import numpy as np
        >>> up = UpstreamInfo("isp", capacity_bps=100, max_oversubscription=2.0)
        >>> acc = UpstreamAccumulator(up, np.array([0.0, 300.0, 600.0]))
        >>> acc.add_rates(LinkInfo("a", 30, 40, "isp"), np.array([10.0, 20.0]),
        ...               np.array([np.nan, 30.0]), None)
        >>> acc.add_rates(LinkInfo("b", 50, 50, "isp"), np.array([5.0, np.nan]),
        ...               np.array([5.0, 5.0]), None)
        >>> load = acc.result()
        >>> load.committed_sum_bps, load.agg_p95_in_bps, load.agg_p95_out_bps, load.free_bps
        (90, 70.0, 45.0, 30.0)
    """

    upstream: UpstreamInfo
    edges: F64
    min_fill: float = 0.5
    _sum: dict[str, F64] = field(default_factory=dict)
    _seen: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
    _links: int = 0
    _committed: int = 0
    _measured: int = 0
    _without: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        bins = self.edges.shape[0] - 1
        for d in DIRECTIONS:
            self._sum[d] = np.zeros(bins)
            self._seen[d] = np.zeros(bins, dtype=bool)

    def add(self, link: LinkInfo, intervals: Intervals | None, stats: LinkStats | None) -> None:
        """Add one link: its measured intervals (``None`` if it has no samples) and stats."""
        if intervals is None:
            missing = np.full(self.edges.shape[0] - 1, np.nan)
            self.add_rates(link, missing, missing, stats)
            return
        rates = binned_rates_by_direction(intervals, self.edges, self.min_fill)
        self.add_rates(link, rates["in"], rates["out"], stats)

    def add_rates(
        self, link: LinkInfo, rates_in: F64, rates_out: F64, stats: LinkStats | None
    ) -> None:
        """Add one link's binned rates (NaN = not measured) and its window statistics."""
        self._links += 1
        self._committed += link.committed_max_bps
        measured_any = False
        for d, rates, committed in (
            ("in", rates_in, link.committed_up_bps),
            ("out", rates_out, link.committed_down_bps),
        ):
            p95 = None if stats is None else _direction(stats, d).p95_bps
            fill = float(committed) if p95 is None else p95
            measured = ~np.isnan(rates)
            self._sum[d] += np.where(measured, rates, fill)
            self._seen[d] |= measured
            count = int(np.count_nonzero(measured))
            self._measured += count
            measured_any = measured_any or count > 0
        if not measured_any:
            self._without.append(link.link_id)

    def result(self) -> UpstreamLoad:
        """The upstream's load from the links added so far."""
        p95: dict[str, float | None] = {}
        for d in DIRECTIONS:
            used = self._sum[d][self._seen[d]]
            p95[d] = percentile_nearest_rank(used) if used.shape[0] else None
        bins = int(np.count_nonzero(self._seen["in"] | self._seen["out"]))
        link_bins = 2 * self._links * (self.edges.shape[0] - 1)
        return UpstreamLoad(
            upstream=self.upstream,
            links=self._links,
            committed_sum_bps=self._committed,
            agg_p95_in_bps=p95["in"],
            agg_p95_out_bps=p95["out"],
            bins=bins,
            measured_pct=100.0 * self._measured / link_bins if link_bins else 0.0,
            links_without_data=tuple(self._without),
        )


def _direction(stats: LinkStats, direction: str) -> DirectionStats:
    return stats.inbound if direction == "in" else stats.outbound


@dataclass(frozen=True, slots=True)
class RaiseImpact:
    """What raising one link would do to its upstream."""

    new_up_bps: int
    new_down_bps: int
    increase_up_bps: int
    increase_down_bps: int
    free_in_after_bps: float | None
    free_out_after_bps: float | None
    committed_sum_after_bps: int
    oversubscription_after: float

    @property
    def is_increase(self) -> bool:
        """Whether the request raises at least one direction."""
        return self.increase_up_bps > 0 or self.increase_down_bps > 0


def raise_impact(
    load: UpstreamLoad, link: LinkInfo, rate_bps: int, up_bps: int | None = None
) -> RaiseImpact:
    """The upstream's free capacity and oversubscription if ``link``'s download went to
    ``rate_bps`` (and its upload to ``up_bps``, when given).

    Examples:
        >>> up = UpstreamInfo("isp", 1000, 1.5)
        >>> load = UpstreamLoad(up, 2, 1200, 300.0, 700.0, 10, 100.0)
        >>> imp = raise_impact(load, LinkInfo("a", 100, 200, "isp"), 300, 300)
        >>> imp.increase_up_bps, imp.increase_down_bps
        (200, 100)
        >>> imp.free_in_after_bps, imp.free_out_after_bps
        (500.0, 200.0)
        >>> imp.committed_sum_after_bps, imp.oversubscription_after
        (1300, 1.3)
        >>> raise_impact(load, LinkInfo("a", 100, 200, "isp"), 300).increase_up_bps
        0
    """
    new_up = max(link.committed_up_bps, up_bps or 0)
    new_down = max(link.committed_down_bps, rate_bps)
    inc_up, inc_down = new_up - link.committed_up_bps, new_down - link.committed_down_bps
    free_in, free_out = load.free_in_bps, load.free_out_bps
    committed_after = load.committed_sum_bps - link.committed_max_bps + max(new_up, new_down)
    return RaiseImpact(
        new_up_bps=new_up,
        new_down_bps=new_down,
        increase_up_bps=inc_up,
        increase_down_bps=inc_down,
        free_in_after_bps=None if free_in is None else free_in - inc_up,
        free_out_after_bps=None if free_out is None else free_out - inc_down,
        committed_sum_after_bps=committed_after,
        oversubscription_after=committed_after / load.upstream.capacity_bps,
    )
