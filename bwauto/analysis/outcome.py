"""Did the raise help? A link's usage after a change against the step-6 window before it.

Pure: intervals in, dataclasses out (``outcome_run`` reads the store). Per direction (seen from
the OPD: ``up`` = ifIn, ``down`` = ifOut):

* p95, mean and max (``stats.direction_stats``) and the p95 utilisation of the cap in force;
* **time at the cap**: the share of valid time whose rate is at least ``AT_CAP`` (95 %) of the
  cap in force, before (old cap) and after (new cap) — a link that sat at its old cap and now
  sits below the new one was held back by its shaper;
* **new rate used**: for a raised direction, whether the after-window's p95 is above the old
  cap, i.e. the OPD now uses bandwidth it could not have had before;
* **enough data after**: the after-window's coverage (from the first poll after the change)
  must reach ``MIN_COVERAGE_PCT``; below it the outcome says how much is missing and when it
  will be available.

Examples:
    >>> import numpy as np
    >>> from bwauto.analysis.counters import compute_intervals
    >>> def iv(rate_bps, n=13, t0=0.0):
    ...     ts = t0 + 300.0 * np.arange(n)
    ...     octets = (np.arange(n) * rate_bps * 300 / 8).astype(np.uint64)
    ...     return compute_intervals(ts, np.full(n, np.nan), octets, octets,
    ...         np.full(n, 64, np.uint8), speed_bps=10**9, poll_interval_s=300)
    >>> before, after = iv(10e6), iv(15e6, t0=10_000.0)
    >>> d = compare_direction("down", before, after, 10_000_000, 20_000_000, 3600.0)
    >>> d.at_cap_before, d.at_cap_after, d.new_rate_used
    (1.0, 0.0, True)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from bwauto.analysis.counters import Flag, Intervals
from bwauto.analysis.stats import DirectionStats, direction_stats

AT_CAP = 0.95
"""A rate at or above this share of the cap counts as time at the cap."""
MIN_COVERAGE_PCT = 80.0
"""The after-window needs this coverage for an outcome."""
IFMIB = {"up": "in", "down": "out"}


@dataclass(frozen=True, slots=True)
class DirectionOutcome:
    """One direction before and after the change.

    Attributes:
        direction: "up" or "down" (seen from the OPD).
        old_cap_bps: the shaper before the change (None: not shaped in this direction).
        new_cap_bps: the shaper after it (None: not shaped).
        before: statistics over the step-6 window.
        after: statistics over the window after the change.
        at_cap_before: share of valid time at the old cap (None when not shaped).
        at_cap_after: share of valid time at the new cap (None when not shaped).
        new_rate_used: the after-p95 exceeds the old cap (None when the direction was not
            raised, or too little of the window after the change is measured to say).
    """

    direction: str
    old_cap_bps: int | None
    new_cap_bps: int | None
    before: DirectionStats
    after: DirectionStats
    at_cap_before: float | None
    at_cap_after: float | None
    new_rate_used: bool | None

    @property
    def raised(self) -> bool:
        """The change raised this direction's cap."""
        return (
            self.old_cap_bps is not None
            and self.new_cap_bps is not None
            and self.new_cap_bps > self.old_cap_bps
        )

    @property
    def enough_after(self) -> bool:
        """The after-window is covered well enough to judge."""
        return self.after.coverage_pct >= MIN_COVERAGE_PCT

    def utilisation(self) -> tuple[float | None, float | None]:
        """p95 over the cap in force, before and after (None where not shaped or no data)."""

        def share(p95: float | None, cap: int | None) -> float | None:
            return None if p95 is None or not cap else p95 / cap

        return share(self.before.p95_bps, self.old_cap_bps), share(
            self.after.p95_bps, self.new_cap_bps
        )


def time_at_cap(intervals: Intervals, direction: str, cap_bps: int | None) -> float | None:
    """The share of valid time whose rate is at least ``AT_CAP`` x ``cap_bps``.

    Examples:
        >>> import numpy as np
        >>> from bwauto.analysis.counters import compute_intervals
        >>> iv = compute_intervals(np.array([0.0, 300.0, 600.0]), np.full(3, np.nan),
        ...     np.array([0, 375_000, 1_125_000], dtype=np.uint64), np.zeros(3, np.uint64),
        ...     np.full(3, 64, np.uint8), speed_bps=10**9, poll_interval_s=300)
        >>> time_at_cap(iv, "in", 20_000)  # 10 kbit/s then 20 kbit/s
        0.5
    """
    if cap_bps is None:
        return None
    _, flags, bps = intervals.direction(direction)
    valid = flags == Flag.VALID
    seconds = intervals.seconds[valid]
    if seconds.sum() <= 0:
        return None
    at = bps[valid] >= AT_CAP * cap_bps
    return float(seconds[at].sum() / seconds.sum())


def compare_direction(
    direction: str,
    before: Intervals,
    after: Intervals,
    old_cap_bps: int | None,
    new_cap_bps: int | None,
    after_window_s: float,
    before_window_s: float | None = None,
) -> DirectionOutcome:
    """One direction's outcome; ``*_window_s`` are the windows' lengths (for coverage)."""
    ifmib = IFMIB[direction]
    b = direction_stats(before, ifmib, before_window_s or _span(before))
    a = direction_stats(after, ifmib, after_window_s)
    a = replace(a, coverage_pct=min(100.0, a.coverage_pct))  # the interval across the end
    raised = old_cap_bps is not None and new_cap_bps is not None and new_cap_bps > old_cap_bps
    used = None  # not raised, or too little data after the change to say
    enough = a.coverage_pct >= MIN_COVERAGE_PCT
    if raised and enough and a.p95_bps is not None and old_cap_bps is not None:
        used = a.p95_bps > old_cap_bps
    return DirectionOutcome(
        direction, old_cap_bps, new_cap_bps, b, a,
        time_at_cap(before, ifmib, old_cap_bps), time_at_cap(after, ifmib, new_cap_bps), used,
    )  # fmt: skip


def _span(intervals: Intervals) -> float:
    if len(intervals) == 0:
        return 1.0
    return float(np.max(intervals.end) - np.min(intervals.start))


@dataclass(frozen=True, slots=True)
class Outcome:
    """A change's outcome on one link.

    Attributes:
        link_id: the link.
        change_at: when the change was made (unix seconds).
        before_start, before_end: the step-6 window.
        after_end: the end of the window after the change (``change_at + after``).
        directions: one per direction, ``up`` then ``down``.
    """

    link_id: str
    change_at: float
    before_start: float
    before_end: float
    after_end: float
    directions: tuple[DirectionOutcome, ...]

    @property
    def enough_after(self) -> bool:
        """Every direction's after-window is covered well enough to judge."""
        return all(d.enough_after for d in self.directions)

    def available_at(self, now: float) -> float:
        """When the window after the change will be covered well enough, if polling goes on:
        not before the window ends, and not before the missing valid time has passed.

        Examples:
            >>> from bwauto.analysis.stats import DirectionStats
            >>> half = DirectionStats(1, 0, 0, 43_200.0, 50.0, 1.0, 1.0, 1.0)
            >>> d = DirectionOutcome("down", 1, 2, half, half, None, None, None)
            >>> Outcome("l", 0.0, -10.0, 0.0, 86_400.0, (d,)).available_at(now=43_200.0)
            86400.0
            >>> Outcome("l", 0.0, -10.0, 0.0, 86_400.0, (d,)).available_at(now=90_000.0)
            115920.0
        """
        span = self.after_end - self.change_at
        valid = min(d.after.valid_s for d in self.directions)
        missing = max(0.0, MIN_COVERAGE_PCT / 100.0 * span - valid)
        return max(self.after_end, now + missing)


def compare(
    link_id: str,
    before: Intervals,
    after: Intervals,
    old: dict[str, int | None],
    new: dict[str, int | None],
    windows: tuple[float, float, float, float],
) -> Outcome:
    """Both directions' outcomes; ``windows`` = (before start, before end, change, after end).

    The window after is covered from the first poll after the change: nothing can be measured
    between the change and that poll, which comes at most one polling interval later (minutes
    in a day; seconds right after a demo's raise).
    """
    b0, b1, change_at, a1 = windows
    first = float(after.start[0]) if len(after) else change_at
    after_s = max(1.0, a1 - max(change_at, min(first, a1)))
    directions = tuple(
        compare_direction(d, before, after, old.get(d), new.get(d), after_s, b1 - b0)
        for d in ("up", "down")
    )
    return Outcome(link_id, change_at, b0, b1, a1, directions)
