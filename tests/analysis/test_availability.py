"""Upstream availability: time alignment, aggregate p95 of the sum, fills, raise impact."""

from __future__ import annotations

import numpy as np
import pytest

from bwauto.analysis.availability import (
    UpstreamAccumulator,
    UpstreamLoad,
    bin_edges,
    binned_rates,
    raise_impact,
)
from bwauto.analysis.counters import Intervals, compute_intervals
from bwauto.analysis.model import LinkInfo, UpstreamInfo
from bwauto.analysis.stats import link_stats
from bwauto.analysis.window import Window

UP = UpstreamInfo("isp", capacity_bps=1_000, max_oversubscription=1.5)


def from_rates(
    start: float, step: float, rates_bps: list[float], out: list[float] | None = None
) -> Intervals:
    """Intervals of ``step`` seconds at the given rates (octets rounded)."""
    ts = start + step * np.arange(len(rates_bps) + 1)
    cin = np.concatenate(([0], np.cumsum(np.array(rates_bps) * step / 8))).round()
    cout = np.concatenate(
        ([0], np.cumsum(np.array(out or [0.0] * len(rates_bps)) * step / 8))
    ).round()
    return compute_intervals(
        ts,
        np.full(ts.shape, np.nan),
        cin.astype(np.uint64),
        cout.astype(np.uint64),
        np.full(ts.shape, 64, dtype=np.uint8),
        speed_bps=None,
        poll_interval_s=step,
    )


def test_bin_edges_are_aligned_to_the_grid() -> None:
    assert bin_edges(Window(600.0, 1500.0), 300.0).tolist() == [600.0, 900.0, 1200.0, 1500.0]
    assert bin_edges(Window(601.0, 1499.0), 300.0).tolist() == [600.0, 900.0, 1200.0, 1500.0]


def test_aligned_polls_give_their_own_rates() -> None:
    iv = from_rates(0.0, 300.0, [80.0, 160.0, 240.0])
    rates = binned_rates(iv, "in", np.array([0.0, 300.0, 600.0, 900.0]))
    assert rates.tolist() == [80.0, 160.0, 240.0]


def test_jittered_polls_are_split_by_overlap() -> None:
    # Polls at 0, 330, 570, 900: rates 80, 160, 240 over 330, 240, 330 s.
    ts = np.array([0.0, 330.0, 570.0, 900.0])
    octets = np.array([0, 3300, 3300 + 4800, 3300 + 4800 + 9900], dtype=np.uint64)
    iv = compute_intervals(
        ts,
        np.full(4, np.nan),
        octets,
        np.zeros(4, np.uint64),
        np.full(4, 64, np.uint8),
        speed_bps=None,
        poll_interval_s=300,
    )
    rates = binned_rates(iv, "in", np.array([0.0, 300.0, 600.0, 900.0]))
    # Bin 2 gets 30 s at 80 + 240 s at 160 + 30 s at 240. (Binning by poll time would have put
    # the first two polls in bin 2 and left bin 1 empty.)
    assert rates[1] == pytest.approx((80 * 30 + 160 * 240 + 240 * 30) / 300)
    assert rates.tolist() == pytest.approx([80.0, 160.0, 240.0])


def test_bins_with_less_than_half_valid_data_are_not_measured() -> None:
    iv = from_rates(0.0, 300.0, [80.0, 80.0])
    rates = binned_rates(iv, "in", np.array([0.0, 300.0, 600.0, 900.0, 1200.0]))
    assert rates[:2].tolist() == [80.0, 80.0]
    assert np.isnan(rates[2:]).all()
    # A wrap (invalid) in the second interval leaves that bin unmeasured.
    ts = np.array([0.0, 300.0, 600.0])
    iv2 = compute_intervals(
        ts,
        np.full(3, np.nan),
        np.array([0, 3000, 10], np.uint64),
        np.zeros(3, np.uint64),
        np.full(3, 64, np.uint8),
        speed_bps=None,
        poll_interval_s=300,
    )
    r2 = binned_rates(iv2, "in", np.array([0.0, 300.0, 600.0]))
    assert r2[0] == 80.0 and np.isnan(r2[1])


def test_aggregate_p95_is_of_the_sum_not_the_sum_of_p95s() -> None:
    # Two links that take turns: 600 bit/s and 0, then 0 and 600. Each link's p95 is 600,
    # the sum of p95s 1200, but together they never exceed 600.
    a = [600.0, 0.0] * 10
    b = [0.0, 600.0] * 10
    window = Window(0.0, 6000.0)
    acc = UpstreamAccumulator(UP, bin_edges(window, 300.0))
    for name, rates in (("a", a), ("b", b)):
        iv = from_rates(0.0, 300.0, rates, rates)
        st = link_stats(iv, window.seconds)
        assert st.inbound.p95_bps == 600.0
        acc.add(LinkInfo(name, 500, 500, "isp"), iv, st)
    load = acc.result()
    assert load.agg_p95_in_bps == 600.0 and load.agg_p95_out_bps == 600.0
    assert load.free_bps == 400.0
    assert load.bins == 20 and load.measured_pct == 100.0


def test_aggregate_p95_with_nearest_rank_over_bins() -> None:
    # One link, 20 bins at 10, 20, ... 200: aggregate p95 is the 19th value, 190.
    window = Window(0.0, 6000.0)
    acc = UpstreamAccumulator(UP, bin_edges(window, 300.0))
    iv = from_rates(0.0, 300.0, [10.0 * (i + 1) for i in range(20)])
    acc.add(LinkInfo("a", 100, 100, "isp"), iv, link_stats(iv, window.seconds))
    assert acc.result().agg_p95_in_bps == pytest.approx(190.0)


def test_missing_bins_take_the_links_own_p95_and_links_without_data_their_committed() -> None:
    edges = np.array([0.0, 300.0, 600.0, 900.0])
    acc = UpstreamAccumulator(UP, edges)
    iv = from_rates(0.0, 300.0, [100.0, 200.0])  # bins 1-2 measured, bin 3 not
    acc.add(LinkInfo("a", 400, 400, "isp"), iv, link_stats(iv, 900.0))
    acc.add(LinkInfo("silent", 250, 300, "isp"), None, None)
    load = acc.result()
    # in: a = [100, 200, p95 200]; silent = 250 (its committed up) everywhere -> [350, 450, 450]
    assert load.agg_p95_in_bps == 450.0
    # out: a measured 0 in bins 1-2, filled with its out p95 (0) in bin 3; silent adds 300
    assert load.agg_p95_out_bps == 300.0
    assert load.links_without_data == ("silent",)
    assert load.measured_pct == pytest.approx(100 * 4 / 12)  # 2 bins x 2 directions of 12
    assert load.committed_sum_bps == 400 + 300


def test_bins_where_no_link_was_measured_are_left_out() -> None:
    edges = np.arange(0.0, 3001.0, 300.0)  # 10 bins; data only in the first 2
    acc = UpstreamAccumulator(UP, edges)
    iv = from_rates(0.0, 300.0, [100.0, 300.0])
    acc.add(LinkInfo("a", 400, 400, "isp"), iv, link_stats(iv, 3000.0))
    load = acc.result()
    assert load.bins == 2
    assert load.agg_p95_in_bps == 300.0


def test_no_data_at_all_leaves_the_load_unknown() -> None:
    acc = UpstreamAccumulator(UP, np.array([0.0, 300.0]))
    acc.add(LinkInfo("a", 400, 400, "isp"), None, None)
    load = acc.result()
    assert load.agg_p95_in_bps is None and load.free_bps is None and load.bins == 0


def test_oversubscription_counts_the_larger_committed_direction() -> None:
    acc = UpstreamAccumulator(UP, np.array([0.0, 300.0]))
    acc.add(LinkInfo("a", 300, 700, "isp"), None, None)
    acc.add(LinkInfo("b", 600, 200, "isp"), None, None)
    load = acc.result()
    assert load.committed_sum_bps == 1300
    assert load.oversubscription == pytest.approx(1.3)


def test_free_capacity_per_direction_and_the_smaller_one() -> None:
    load = UpstreamLoad(
        UP, 3, 1200, agg_p95_in_bps=300.0, agg_p95_out_bps=800.0, bins=5, measured_pct=100.0
    )
    assert (load.free_in_bps, load.free_out_bps, load.free_bps) == (700.0, 200.0, 200.0)
    over = UpstreamLoad(UP, 3, 1200, 1100.0, 900.0, 5, 100.0)
    assert over.free_bps == -100.0


def test_raise_impact_never_lowers_a_direction() -> None:
    load = UpstreamLoad(UP, 3, 1200, 300.0, 800.0, 5, 100.0)
    link = LinkInfo("a", committed_up_bps=100, committed_down_bps=300, upstream="isp")
    imp = raise_impact(load, link, 200, up_bps=200)
    assert (imp.new_up_bps, imp.new_down_bps) == (200, 300)
    assert (imp.increase_up_bps, imp.increase_down_bps) == (100, 0)
    assert (imp.free_in_after_bps, imp.free_out_after_bps) == (600.0, 200.0)
    assert imp.committed_sum_after_bps == 1200 and imp.is_increase
    imp2 = raise_impact(load, link, 500)
    assert imp2.committed_sum_after_bps == 1200 - 300 + 500
    assert imp2.oversubscription_after == pytest.approx(1.4)
    assert raise_impact(load, link, 300, up_bps=300).increase_up_bps == 200
    assert raise_impact(load, link, 400).increase_up_bps == 0  # one rate: the download only
    assert not raise_impact(load, link, 100, up_bps=100).is_increase
