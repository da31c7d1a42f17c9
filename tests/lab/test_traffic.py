"""The lab's traffic model: pure, deterministic, caps respected, history = lazy integration."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bwauto.errors import LabError
from bwauto.lab.model import LabInterface, LabLink, LabRouter, LabRouterSpec
from bwauto.lab.snmp import faults
from bwauto.lab.snmp.demand import BUCKET_S, DOWN, UP, LinkProfile, day_shape, demand_bps
from bwauto.lab.snmp.testing import StaticConfig
from bwauto.lab.snmp.traffic import COUNTER32, RouterTraffic, link_history

WIB = dt.timezone(dt.timedelta(hours=7))
MONDAY_9_WIB = dt.datetime(2024, 3, 4, 9, 0, tzinfo=WIB).timestamp()
IF = "ether2"
CAP_UP, CAP_DOWN = 10_000_000, 20_000_000


def _router(
    seed: int = 1, caps: tuple[int | None, int | None] = (CAP_UP, CAP_DOWN), links: int = 1
) -> LabRouter:
    interfaces = (LabInterface("ether1", 1, 1_000_000_000), LabInterface(IF, 2, 100_000_000))
    specs = tuple(LabLink(f"opd-{i}", IF, f"q{i}", CAP_UP, CAP_DOWN) for i in range(links))
    spec = LabRouterSpec("r1", "mikrotik_routeros", interfaces, specs, seed=seed)
    return LabRouter(spec, StaticConfig({IF: caps}), boot_time=MONDAY_9_WIB)


def _traffic(router: LabRouter) -> RouterTraffic:
    return RouterTraffic(router, start=router.boot_time)


def _rate_bps(traffic: RouterTraffic, t0: float, t1: float) -> tuple[float, float]:
    traffic.advance(t0)
    a = traffic.counters(IF)
    traffic.advance(t1)
    b = traffic.counters(IF)
    return (b[0] - a[0]) * 8 / (t1 - t0), (b[1] - a[1]) * 8 / (t1 - t0)


def test_same_seed_same_counters_other_seed_other_counters() -> None:
    end = MONDAY_9_WIB + 3600
    counters = []
    for seed in (1, 1, 2):
        traffic = _traffic(_router(seed))
        traffic.advance(end)
        counters.append(traffic.counters(IF))
    assert counters[0] == counters[1]
    assert counters[0] != counters[2]
    assert all(c > 0 for c in counters[0])


def test_demand_follows_the_wib_office_day() -> None:
    profile = LinkProfile.of("opd-x", 3, 10_000_000, 10_000_000)

    def mean_demand(day: int, hour: int) -> float:
        start = dt.datetime(2024, 3, day, hour, 0, tzinfo=WIB).timestamp()
        buckets = np.arange(int(start // BUCKET_S), int(start // BUCKET_S) + 360)
        return float(demand_bps(profile, DOWN, buckets).mean())

    busy, evening, night = mean_demand(4, 10), mean_demand(4, 19), mean_demand(4, 2)
    weekend = mean_demand(9, 10)  # Saturday
    assert busy > 2 * evening > 0
    assert evening > 2 * night > 0
    assert busy > 3 * weekend > 0
    assert day_shape(np.array([MONDAY_9_WIB]))[0] == 1.0


def test_saturated_link_carries_exactly_the_cap() -> None:
    traffic = _traffic(_router())
    traffic.set_demand("opd-0", 80_000_000, now=MONDAY_9_WIB)
    up, down = _rate_bps(traffic, MONDAY_9_WIB + 5, MONDAY_9_WIB + 65)
    assert up == pytest.approx(CAP_UP, rel=1e-6)
    assert down == pytest.approx(CAP_DOWN, rel=1e-6)


def test_model_demand_never_exceeds_the_cap() -> None:
    link = LabLink("opd-0", IF, "q", CAP_UP, CAP_DOWN)
    series = link_history(link, 1, MONDAY_9_WIB, MONDAY_9_WIB + 7 * 86400, 10.0, (5e6, 5e6))
    rates = np.diff(series.out_octets) * 8 / 10.0
    assert rates.max() <= 5e6 * (1 + 1e-6)
    assert rates.max() >= 5e6 * 0.999  # office hours saturate a cap at half the committed rate
    assert rates.min() >= 0


def test_no_cap_means_interface_speed() -> None:
    traffic = _traffic(_router(caps=(None, None)))
    traffic.set_demand("opd-0", 500_000_000, now=MONDAY_9_WIB)
    up, down = _rate_bps(traffic, MONDAY_9_WIB + 1, MONDAY_9_WIB + 11)
    assert up == down == pytest.approx(100_000_000, rel=1e-6)  # the interface is 100 Mbit/s


def test_raising_the_cap_changes_the_rate_from_that_instant() -> None:
    router = _router()
    traffic = _traffic(router)
    traffic.set_demand("opd-0", 80_000_000, now=MONDAY_9_WIB)
    change = MONDAY_9_WIB + 33.3  # mid-bucket on purpose
    traffic.advance(change)  # what router.before_config_change() does, at a chosen time
    before = traffic.counters(IF)
    assert isinstance(router.config, StaticConfig)
    router.config.caps[IF] = (2 * CAP_UP, 2 * CAP_DOWN)
    traffic.advance(change + 10)
    after = traffic.counters(IF)
    assert before[0] == pytest.approx(CAP_UP / 8 * 33.3, abs=1)
    assert after[0] - before[0] == pytest.approx(2 * CAP_UP / 8 * 10, abs=1)
    assert after[1] - before[1] == pytest.approx(2 * CAP_DOWN / 8 * 10, abs=1)


def test_interface_down_or_shut_carries_nothing() -> None:
    router = _router()
    traffic = _traffic(router)
    faults.set_interface_down(router, IF, now=MONDAY_9_WIB + 60)
    assert _rate_bps(traffic, MONDAY_9_WIB + 60, MONDAY_9_WIB + 600) == (0.0, 0.0)
    faults.set_interface_down(router, IF, down=False, now=MONDAY_9_WIB + 600)
    assert isinstance(router.config, StaticConfig)
    router.config.shut.add(IF)
    assert _rate_bps(traffic, MONDAY_9_WIB + 600, MONDAY_9_WIB + 900) == (0.0, 0.0)
    router.config.shut.clear()
    assert _rate_bps(traffic, MONDAY_9_WIB + 900, MONDAY_9_WIB + 1200)[0] > 0


def test_history_matches_the_lazy_integration() -> None:
    router = _router(seed=5)
    traffic = _traffic(router)
    series = traffic.history("opd-0", MONDAY_9_WIB, MONDAY_9_WIB + 2 * 86400, 300.0)
    assert len(series.ts) == 2 * 86400 // 300 + 1
    lazy = []
    for t in series.ts:
        traffic.advance(float(t))
        lazy.append(traffic.counters(IF))
    got = np.array(lazy)
    assert np.abs(got[:, 0] - series.in_octets).max() <= 1
    assert np.abs(got[:, 1] - series.out_octets).max() <= 1
    assert series.out_octets[-1] > series.in_octets[-1] > 0


def test_history_of_a_month_is_fast_enough_for_the_demo() -> None:
    import time

    link = LabLink("opd-0", IF, "q", CAP_UP, CAP_DOWN)
    began = time.perf_counter()
    series = link_history(link, 1, MONDAY_9_WIB, MONDAY_9_WIB + 30 * 86400, 300.0, (1e7, 2e7))
    assert time.perf_counter() - began < 1.0
    assert len(series.ts) == 30 * 288 + 1


def test_links_sharing_an_interface_share_its_cap() -> None:
    traffic = _traffic(_router(links=2))
    traffic.set_demand("opd-0", 8_000_000, now=MONDAY_9_WIB)
    traffic.set_demand("opd-1", 8_000_000, now=MONDAY_9_WIB)
    up, down = _rate_bps(traffic, MONDAY_9_WIB + 10, MONDAY_9_WIB + 20)
    assert up == pytest.approx(CAP_UP, rel=1e-6)  # 16 Mbit/s wanted, 10 allowed
    assert down == pytest.approx(16_000_000, rel=1e-6)  # under the 20 Mbit/s cap


def test_demand_override_can_be_cleared() -> None:
    traffic = _traffic(_router())
    traffic.set_demand("opd-0", 0, now=MONDAY_9_WIB)
    assert _rate_bps(traffic, MONDAY_9_WIB, MONDAY_9_WIB + 60) == (0.0, 0.0)
    traffic.set_demand("opd-0", None, now=MONDAY_9_WIB + 60)
    assert _rate_bps(traffic, MONDAY_9_WIB + 60, MONDAY_9_WIB + 120)[1] > 0
    with pytest.raises(LabError):
        traffic.set_demand("no-such-link", 1)


def test_counter32_jump_wraps_soon_and_leaves_hc_alone() -> None:
    traffic = _traffic(_router())
    traffic.set_demand("opd-0", 80_000_000, now=MONDAY_9_WIB)
    t = MONDAY_9_WIB + 100
    traffic.jump_counter32(t, within_s=30)
    hc_before, c32_before = traffic.counters(IF), traffic.counters32(IF)
    assert COUNTER32 - c32_before[0] == pytest.approx(CAP_UP / 8 * 30, rel=0.01)
    traffic.advance(t + 40)
    hc_after, c32_after = traffic.counters(IF), traffic.counters32(IF)
    assert c32_after[0] < c32_before[0]  # wrapped
    assert (c32_after[0] - c32_before[0]) % COUNTER32 == hc_after[0] - hc_before[0]
    traffic.clear_counter32_jump()
    assert traffic.counters32(IF) == (hc_after[0] % COUNTER32, hc_after[1] % COUNTER32)


def test_reset_restarts_counters_from_zero() -> None:
    router = _router()
    traffic = _traffic(router)
    traffic.advance(MONDAY_9_WIB + 600)
    assert traffic.counters(IF)[0] > 0
    faults.reboot(router, now=MONDAY_9_WIB + 600)
    assert traffic.counters(IF) == (0, 0)
    assert router.boot_time == MONDAY_9_WIB + 600
    traffic.advance(MONDAY_9_WIB + 660)
    assert traffic.counters(IF)[0] > 0


def test_going_back_in_time_accounts_nothing() -> None:
    traffic = _traffic(_router())
    traffic.advance(MONDAY_9_WIB + 100)
    before = traffic.counters(IF)
    traffic.advance(MONDAY_9_WIB + 50)
    assert traffic.counters(IF) == before
    assert traffic.last_accounted == MONDAY_9_WIB + 100


def test_demand_is_the_same_whichever_way_it_is_sliced() -> None:
    profile = LinkProfile.of("opd-x", 9, 10_000_000, 30_000_000)
    buckets = np.arange(1_000_000, 1_000_100)
    whole = demand_bps(profile, UP, buckets)
    parts = np.concatenate(
        [demand_bps(profile, UP, buckets[:37]), demand_bps(profile, UP, buckets[37:])]
    )
    assert np.array_equal(whole, parts)
    assert not np.array_equal(whole, demand_bps(profile, DOWN, buckets))
