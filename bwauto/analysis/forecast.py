"""Saturation forecast: when will a link's (or an upstream's) daily p95 reach its limit?

Pure: arrays in, dataclasses out. ``bwauto.analysis.forecast_run`` reads the store.

* **Daily p95.** A direction's time-weighted rate in each bin of the polling grid
  (``availability.binned_rates_by_direction``), grouped by WIB calendar day; the day's p95 is the
  nearest-rank p95 of its measured bins. A day with fewer than half of its bins measured is
  left out (a day with a poll outage would look quiet), and so are Saturdays and Sundays: the
  question is when office hours saturate, and weekend dips would only add noise.
* **Trend.** A Theil–Sen line through (day, p95): the median of the slopes of all pairs of days,
  which ignores outliers (a holiday, a burst) that would tilt a least-squares fit. The
  confidence band is Sen's: the slopes ranked ``(N ∓ z·sqrt(var S)) / 2`` among the ``N``
  pairwise slopes, with ``var S = n(n-1)(2n+5)/18`` (Kendall's S without ties); each band line
  goes through (median day, median p95), as the fitted line does.
* **Crossing.** The day the fitted line reaches the limit (``threshold`` x the committed rate
  for a link; the capacity for an upstream). "already" when the fitted value today is at or
  above it; "not within the horizon" when the date is later than today + horizon, or the trend
  does not rise. The band gives the earliest (steepest slope) and latest (flattest) dates.
* **Upstream.** The aggregate of its links' binned rates; a link's unmeasured bin is filled with
  that link's median bin of the window, so a link that was not polled does not make the upstream
  look emptier than it is. Bins where no link was measured are left out.

Examples:
    >>> import numpy as np
    >>> days = np.arange(30.0)
    >>> trend = theil_sen(days, 50e6 + 1e6 * days)  # +1 Mbit/s per day from 50 Mbit/s
    >>> round(trend.slope), round(trend.intercept)
    (1000000, 50000000)
    >>> c = crossing(trend, limit_bps=80e6, today=29.0, horizon_days=90)
    >>> c.status, c.day
    ('date', 30.0)
    >>> crossing(trend, limit_bps=200e6, today=29.0, horizon_days=90).status
    'not-within-horizon'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from bwauto.analysis.stats import percentile_nearest_rank

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

DAY_S = 86_400.0
WIB_OFFSET_S = 7 * 3600.0
Z_95 = 1.959963984540054
"""Two-sided 95 % normal quantile, for Sen's slope band."""
MIN_DAY_FILL = 0.5
"""A day needs this share of its bins measured to give a daily p95."""

Status = Literal["already", "date", "not-within-horizon"]


@dataclass(frozen=True, slots=True)
class DailyP95:
    """Daily p95 of one direction: ``day`` is the WIB day number (days since 1970-01-01 WIB)."""

    day: I64
    p95_bps: F64

    def __len__(self) -> int:
        return int(self.day.shape[0])


@dataclass(frozen=True, slots=True)
class Trend:
    """A Theil–Sen line ``p95 = intercept + slope x day`` and Sen's 95 % band of the slope."""

    slope: float
    intercept: float
    slope_lo: float
    slope_hi: float
    intercept_lo: float
    intercept_hi: float
    days: int

    def at(self, day: float) -> float:
        """The fitted p95 on ``day``."""
        return self.intercept + self.slope * day


@dataclass(frozen=True, slots=True)
class Crossing:
    """When the trend reaches the limit.

    Attributes:
        status: "already" (at or above the limit today), "date" (within the horizon) or
            "not-within-horizon".
        day: the WIB day of the crossing ("date"; "already": today).
        earliest: the earliest day of the band (steepest slope), or None.
        latest: the latest day of the band (flattest slope), or None when the flattest slope
            does not reach the limit within the horizon.
    """

    status: Status
    day: float | None
    earliest: float | None
    latest: float | None


def weekday(day: int) -> int:
    """The weekday of a WIB day number, Monday = 0 (1970-01-01 was a Thursday).

    Examples:
        >>> weekday(0), weekday(4)
        (3, 0)
    """
    return (day + 3) % 7


def daily_p95(
    bin_starts: F64, rates: F64, bin_s: float, pct: int = 95, weekdays_only: bool = True
) -> DailyP95:
    """The p95 of each WIB day from binned rates (NaN = not measured).

    Examples:
        >>> import numpy as np
        >>> starts = np.arange(0.0, 2 * 86400, 3600.0) - 7 * 3600  # Thu and Fri, hourly bins
        >>> rates = np.concatenate([np.arange(24.0), np.full(24, np.nan)])
        >>> d = daily_p95(starts, rates, 3600.0)
        >>> d.day.tolist(), d.p95_bps.tolist()
        ([0], [22.0])
    """
    days = np.floor((bin_starts + WIB_OFFSET_S) / DAY_S).astype(np.int64)
    per_day = DAY_S / bin_s
    out_days: list[int] = []
    out_p95: list[float] = []
    for day in np.unique(days):
        if weekdays_only and weekday(int(day)) >= 5:
            continue
        values = rates[(days == day) & ~np.isnan(rates)]
        if values.shape[0] >= MIN_DAY_FILL * per_day:
            out_days.append(int(day))
            out_p95.append(percentile_nearest_rank(values, pct))
    return DailyP95(np.asarray(out_days, dtype=np.int64), np.asarray(out_p95, dtype=np.float64))


def theil_sen(x: F64, y: F64, z: float = Z_95) -> Trend:
    """Theil–Sen line through ``(x, y)`` with Sen's confidence band of the slope.

    Raises:
        ValueError: fewer than two distinct x values.
    """
    i, j = np.triu_indices(x.shape[0], k=1)
    dx = x[j] - x[i]
    keep = dx != 0
    slopes = np.sort((y[j] - y[i])[keep] / dx[keep])
    if slopes.shape[0] == 0:
        raise ValueError("a trend needs at least two distinct days")
    slope = float(np.median(slopes))
    n, total = x.shape[0], slopes.shape[0]
    spread = z * math.sqrt(n * (n - 1) * (2 * n + 5) / 18.0)
    lo_rank = int(np.clip(math.floor((total - spread) / 2.0), 0, total - 1))
    hi_rank = int(np.clip(math.ceil((total + spread) / 2.0), 0, total - 1))
    x_med, y_med = float(np.median(x)), float(np.median(y))
    lo, hi = float(slopes[lo_rank]), float(slopes[hi_rank])
    return Trend(
        slope=slope, intercept=y_med - slope * x_med, slope_lo=lo, slope_hi=hi,
        intercept_lo=y_med - lo * x_med, intercept_hi=y_med - hi * x_med, days=n,
    )  # fmt: skip


def crossing(trend: Trend, limit_bps: float, today: float, horizon_days: float) -> Crossing:
    """When ``trend`` reaches ``limit_bps``, looking from ``today`` up to the horizon."""
    end = today + horizon_days
    central = _reach(trend.intercept, trend.slope, limit_bps, today)
    earliest = _reach(trend.intercept_hi, trend.slope_hi, limit_bps, today)
    latest = _reach(trend.intercept_lo, trend.slope_lo, limit_bps, today)
    earliest = earliest if earliest is not None and earliest <= end else None
    latest = latest if latest is not None and latest <= end else None
    if central is None or central > end:
        return Crossing("not-within-horizon", None, earliest, latest)
    status: Status = "already" if central <= today else "date"
    return Crossing(status, central, earliest if earliest is not None else central, latest)


def _reach(intercept: float, slope: float, limit: float, today: float) -> float | None:
    """The first day >= today when ``intercept + slope x day`` >= ``limit``; None if never."""
    if intercept + slope * today >= limit:
        return today
    if slope <= 0:
        return None
    return (limit - intercept) / slope


class UpstreamSum:
    """The aggregate of an upstream's links' binned rates per direction, one link at a time.

    A link's unmeasured bins (NaN) count at that link's median bin, so a link that was not
    polled does not make the upstream look emptier; bins in which no link was measured stay NaN.

    Examples:
        >>> import numpy as np
        >>> total = UpstreamSum(4, ("in",))
        >>> total.add({"in": np.array([1.0, np.nan, 3.0, np.nan])})
        >>> total.add({"in": np.array([10.0, 10.0, np.nan, np.nan])})
        >>> total.result("in").tolist()
        [11.0, 12.0, 13.0, nan]
    """

    def __init__(self, nbins: int, directions: Sequence[str]) -> None:
        self.total = {d: np.zeros(nbins) for d in directions}
        self.measured = {d: np.zeros(nbins, dtype=bool) for d in directions}

    def add(self, rates: Mapping[str, F64]) -> None:
        """Add one link's binned rates (direction → rates per bin)."""
        for d, series in rates.items():
            ok = ~np.isnan(series)
            if ok.any():
                self.total[d] += np.where(ok, series, float(np.median(series[ok])))
                self.measured[d] |= ok

    def result(self, direction: str) -> F64:
        """The aggregate rate per bin; NaN where no link was measured."""
        out: F64 = np.where(self.measured[direction], self.total[direction], np.nan)
        return out


@dataclass(frozen=True, slots=True)
class ForecastRow:
    """The forecast of one link or upstream in one direction.

    Attributes:
        kind: "link" or "upstream".
        subject: the link or upstream id.
        direction: "up" (OPD upload, ifIn) or "down" (OPD download, ifOut).
        limit_bps: what the p95 is compared with (threshold x committed, or capacity).
        days: daily p95 values the trend was fitted to.
        p95_last_bps: the last day's measured p95.
        trend: the fitted line, or None when there was too little history.
        crossing: when the trend reaches the limit, or None when there was too little history.
        refused: why no forecast was made ("" when one was), in English for CSV and JSON.
        needed_days: when refused, how many days of history a forecast needs.
    """

    kind: str
    subject: str
    direction: str
    limit_bps: float
    days: int
    p95_last_bps: float | None
    trend: Trend | None
    crossing: Crossing | None
    refused: str = ""
    needed_days: int = 0


def forecast_series(
    kind: str,
    subject: str,
    direction: str,
    daily: DailyP95,
    limit_bps: float,
    today: float,
    horizon_days: float,
    min_days: int,
) -> ForecastRow:
    """Fit and project one daily-p95 series; refuse (with the reason) below ``min_days``."""
    last = float(daily.p95_bps[-1]) if len(daily) else None
    if len(daily) < min_days:
        why = f"{len(daily)} day(s) of history, a forecast needs at least {min_days}"
        return ForecastRow(
            kind, subject, direction, limit_bps, len(daily), last, None, None, why, min_days
        )
    trend = theil_sen(daily.day.astype(np.float64), daily.p95_bps)
    cross = crossing(trend, limit_bps, today, horizon_days)
    return ForecastRow(kind, subject, direction, limit_bps, len(daily), last, trend, cross)


def day_of(ts: float) -> float:
    """The (fractional) WIB day number of a unix time.

    Examples:
        >>> day_of(17 * 3600.0)  # 1970-01-02 00:00 WIB
        1.0
    """
    return (ts + WIB_OFFSET_S) / DAY_S


def date_of(day: float) -> str:
    """The WIB calendar date (ISO) of a day number.

    Examples:
        >>> date_of(20_000.4)
        '2024-10-04'
    """
    import datetime as dt

    return (dt.date(1970, 1, 1) + dt.timedelta(days=math.floor(day))).isoformat()


def limits_by_direction(committed: Mapping[str, int], threshold: float) -> dict[str, float]:
    """Each direction's limit: ``threshold`` x its committed rate."""
    return {d: threshold * rate for d, rate in committed.items()}
