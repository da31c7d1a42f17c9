"""The saturation forecast from an inventory and a state dir: what ``bwauto forecast`` and the
playbook task ``forecast`` run. Reads the sample store one link at a time; the pure part is
``bwauto.analysis.forecast``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bwauto.analysis.availability import bin_edges, binned_rates_by_direction
from bwauto.analysis.counters import intervals_of
from bwauto.analysis.forecast import (
    F64,
    DailyP95,
    ForecastRow,
    UpstreamSum,
    daily_p95,
    day_of,
    forecast_series,
)
from bwauto.analysis.model import LinkInfo, UpstreamInfo
from bwauto.analysis.sources import link_infos, upstream_infos
from bwauto.analysis.window import Window
from bwauto.errors import UsageError
from bwauto.inventory.models import Inventory
from bwauto.store.samples import SampleStore, store_path

DIRECTIONS = {"up": "in", "down": "out"}
"""Forecast direction (seen from the OPD) → IF-MIB direction on the router."""


@dataclass(frozen=True)
class ForecastSettings:
    """What the forecast looks at and for.

    Attributes:
        history_days: how many days of history, ending now, the trend is fitted to.
        horizon_days: how far ahead a crossing is reported.
        threshold: a link crosses when its p95 reaches this share of its committed rate.
        min_days: fewer daily p95 values than this and no forecast is made.
        bin_s: the bins of the polling grid the daily p95 is taken over.
    """

    history_days: float = 90.0
    horizon_days: float = 90.0
    threshold: float = 0.8
    min_days: int = 14
    bin_s: float = 300.0

    def __post_init__(self) -> None:
        if not self.horizon_days > 0:
            raise UsageError(f"horizon {self.horizon_days:g} days: give a positive horizon")
        if not self.history_days > 0:
            raise UsageError(f"history {self.history_days:g} days: give a positive span")
        if not 0 < self.threshold <= 1.5:
            raise UsageError(f"threshold {self.threshold:.0%}: give a share in (0 %, 150 %]")
        if self.min_days < 2:
            raise UsageError(f"min days {self.min_days}: a trend needs at least 2 days")


@dataclass
class Forecast:
    """Forecast rows (links first, then upstreams) and the daily p95 series behind them."""

    window: Window
    settings: ForecastSettings
    rows: list[ForecastRow] = field(default_factory=list)
    daily: dict[tuple[str, str], DailyP95] = field(default_factory=dict)
    """(subject, direction) → its daily p95 series, for charts."""

    @property
    def today(self) -> float:
        """The WIB day number of the window's end."""
        return day_of(self.window.end)


def forecast_inventory(
    inventory: Inventory,
    state_dir: object,
    link_ids: Sequence[str] | None = None,
    *,
    settings: ForecastSettings | None = None,
    now: float | None = None,
    upstreams: bool = True,
) -> Forecast:
    """Forecast ``link_ids`` (default: all) and the upstreams they draw from.

    Args:
        inventory: the loaded inventory.
        state_dir: holds the sample store (a ``Path``).
        link_ids: the links to forecast; ``None`` for every link.
        settings: horizon, threshold, history (default ``ForecastSettings()``).
        now: "now" in unix seconds (default: the clock).
        upstreams: also forecast the upstreams of the chosen links.
    """
    from pathlib import Path

    settings = settings or ForecastSettings()
    end = time.time() if now is None else now
    window = Window(end - settings.history_days * 86_400.0, end)
    links = link_infos(inventory)
    chosen = set(inventory.links) if link_ids is None else set(link_ids)
    unknown = sorted(chosen - {link.link_id for link in links})
    if unknown:
        raise UsageError(f"unknown link {', '.join(unknown)}: not in the inventory")
    ups = {u.upstream_id: u for u in upstream_infos(inventory)}
    wanted_ups = {link.upstream for link in links if link.link_id in chosen} if upstreams else set()
    with SampleStore(store_path(Path(str(state_dir)))) as store:
        return _forecast(store, links, ups, chosen, wanted_ups, window, settings)


def _forecast(
    store: SampleStore,
    links: Sequence[LinkInfo],
    ups: dict[str, UpstreamInfo],
    chosen: set[str],
    wanted_ups: set[str],
    window: Window,
    settings: ForecastSettings,
) -> Forecast:
    result = Forecast(window, settings)
    edges = bin_edges(window, settings.bin_s)
    sums = {uid: UpstreamSum(edges.shape[0] - 1, tuple(DIRECTIONS.values())) for uid in wanted_ups}
    needed = [link for link in links if link.link_id in chosen or link.upstream in wanted_ups]
    by_id = {link.link_id: link for link in needed}
    seen: set[str] = set()
    for link_id, arrays in store.iter_read(list(by_id), window.start, window.end):
        link = by_id[link_id]
        seen.add(link_id)
        intervals = intervals_of(
            arrays, speed_bps=link.speed_bps, poll_interval_s=link.poll_interval_s
        )
        rates = binned_rates_by_direction(intervals, edges)
        if link.upstream in sums:
            sums[link.upstream].add(rates)
        if link_id in chosen:
            _link_rows(result, link, edges, rates)
    for link in needed:
        if link.link_id in chosen and link.link_id not in seen:
            _link_rows(result, link, edges, None)
    for uid in sorted(wanted_ups):
        _upstream_rows(result, ups[uid], edges, sums[uid])
    return result


def _link_rows(result: Forecast, link: LinkInfo, edges: F64, rates: dict[str, F64] | None) -> None:
    committed = {"up": link.committed_up_bps, "down": link.committed_down_bps}
    for direction, ifmib in DIRECTIONS.items():
        series = rates[ifmib] if rates is not None else np.full(edges.shape[0] - 1, np.nan)
        limit = result.settings.threshold * committed[direction]
        _add(result, "link", link.link_id, direction, edges, series, limit)


def _upstream_rows(
    result: Forecast, upstream: UpstreamInfo, edges: F64, total: UpstreamSum
) -> None:
    for direction, ifmib in DIRECTIONS.items():
        series = total.result(ifmib)
        _add(result, "upstream", upstream.upstream_id, direction, edges, series,
             float(upstream.capacity_bps))  # fmt: skip


def _add(
    result: Forecast, kind: str, subject: str, direction: str, edges: F64, series: F64,
    limit: float,
) -> None:  # fmt: skip
    settings = result.settings
    daily = daily_p95(edges[:-1], series, settings.bin_s)
    result.daily[(subject, direction)] = daily
    result.rows.append(
        forecast_series(
            kind,
            subject,
            direction,
            daily,
            limit,
            result.today,
            settings.horizon_days,
            settings.min_days,
        )
    )
