"""Counter math: rates, wraps (plausible or not), reboots, clock checks, gaps, jitter."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bwauto.analysis.counters import (
    Flag,
    Intervals,
    compute_intervals,
    counter_delta,
    flag_counts,
    intervals_of,
)
from bwauto.store.records import SampleArrays

M64 = 2**64
M32 = 2**32


def run(
    ts: list[float],
    inb: list[int],
    out: list[int] | None = None,
    *,
    uptime: list[float | None] | None = None,
    bits: int | list[int] = 64,
    speed: int | None = 1_000_000_000,
    poll: float = 300.0,
) -> Intervals:
    n = len(ts)
    bits_list = [bits] * n if isinstance(bits, int) else bits
    return compute_intervals(
        np.array(ts, dtype=np.float64),
        np.array([np.nan if u is None else u for u in (uptime or [None] * n)], dtype=np.float64),
        np.array(inb, dtype=np.uint64),
        np.array(out if out is not None else [0] * n, dtype=np.uint64),
        np.array(bits_list, dtype=np.uint8),
        speed_bps=speed,
        poll_interval_s=poll,
    )


def flags(iv: Intervals, direction: str = "in") -> list[str]:
    return [Flag(f).name for f in iv.direction(direction)[1]]


def test_rate_is_8_times_octets_over_seconds() -> None:
    iv = run([0, 300, 600], [0, 3_750_000, 11_250_000], [0, 375, 750])
    assert iv.in_bps.tolist() == [100_000.0, 200_000.0]
    assert iv.out_bps.tolist() == [10.0, 10.0]
    assert iv.in_octets.tolist() == [3_750_000, 7_500_000]
    assert iv.seconds.tolist() == [300.0, 300.0]
    assert iv.start.tolist() == [0.0, 300.0] and iv.end.tolist() == [300.0, 600.0]


@pytest.mark.parametrize("n", [0, 1])
def test_fewer_than_two_samples_have_no_interval(n: int) -> None:
    iv = run([0.0] * n, [5] * n)
    assert len(iv) == 0 and iv.in_bps.shape == (0,)


def test_first_sample_has_no_rate() -> None:
    assert len(run([0, 300, 600, 900], [0, 1, 2, 3])) == 3


def test_64_bit_wrap_is_exact() -> None:
    iv = run([0, 300], [M64 - 1000, 500], out=[M64 - 1, M64 - 1])
    assert iv.in_octets.tolist() == [1500]  # 1000 to wrap + 500 after it
    assert iv.in_bps.tolist() == [8 * 1500 / 300]
    assert flags(iv) == ["VALID"]
    assert iv.out_octets.tolist() == [0] and flags(iv, "out") == ["VALID"]


def test_64_bit_values_near_the_top_do_not_lose_precision() -> None:
    iv = run([0, 300], [M64 - 3_000_001, M64 - 1])
    assert iv.in_octets.tolist() == [3_000_000]


def test_64_bit_counter_reset_is_not_a_wrap() -> None:
    # A reset from 10^12 to 5 would be a "wrap" of ~1.8e19 octets: far above 1 Gbit/s x 300 s.
    iv = run([0, 300, 600], [10**12, 5, 3_750_005])
    assert flags(iv) == ["WRAP", "VALID"]
    assert np.isnan(iv.in_bps[0]) and iv.in_octets[0] == 0
    assert iv.in_bps[1] == 100_000.0


def test_32_bit_wrap_plausible() -> None:
    iv = run([0, 300], [M32 - 100, 200], bits=32)
    assert iv.in_octets.tolist() == [300] and flags(iv) == ["VALID"]


def test_32_bit_wrap_implausible_at_low_speed() -> None:
    # 10 Mbit/s x 300 s = 375e6 octets at most; a reset from 1e9 to 1e3 "wraps" 3.29e9.
    iv = run([0, 300], [10**9, 10**3], bits=32, speed=10_000_000)
    assert flags(iv) == ["WRAP"] and np.isnan(iv.in_bps[0])


def test_wrap_exactly_at_line_rate_is_plausible_one_more_octet_is_not() -> None:
    bound = 8_000_000 * 300 // 8  # octets an 8 Mbit/s interface carries in 300 s
    prev = M32 - 100_000_000
    ok = run([0, 300], [prev, bound - 100_000_000], bits=32, speed=8_000_000)
    over = run([0, 300], [prev, bound - 100_000_000 + 1], bits=32, speed=8_000_000)
    assert ok.in_octets.tolist() == [bound] and flags(ok) == ["VALID"]
    assert ok.in_bps.tolist() == [8_000_000.0]
    assert flags(over) == ["WRAP"]


def test_increase_above_line_rate_is_invalid() -> None:
    iv = run([0, 300, 600], [0, 37_500_000, 37_500_001 + 37_500_000], speed=1_000_000)
    assert flags(iv) == ["VALID", "OVER_SPEED"]


def test_unknown_speed_never_trusts_a_decrease() -> None:
    iv = run([0, 300, 600], [M32 - 10, 10, 10**15], speed=None)
    assert flags(iv) == ["WRAP", "VALID"]


def test_directions_are_judged_separately() -> None:
    iv = run([0, 300], [10**12, 5], [0, 300])
    assert flags(iv, "in") == ["WRAP"] and flags(iv, "out") == ["VALID"]
    assert iv.out_bps.tolist() == [8.0]


def test_reboot_invalidates_the_interval_and_never_reuses_an_old_delta() -> None:
    ts = [0, 300, 600, 900]
    uptime: list[float | None] = [1000, 1300, 120, 420]
    iv = run(ts, [0, 3_000_000, 1_000, 3_001_000], uptime=uptime)
    assert flags(iv) == ["VALID", "REBOOT", "VALID"]
    assert np.isnan(iv.in_bps[1]) and iv.in_octets[1] == 0
    assert iv.in_bps[2] == 80_000.0


def test_reboot_even_if_the_counter_looks_like_a_plausible_wrap() -> None:
    iv = run([0, 300], [M32 - 10, 5], bits=32, uptime=[5000, 10])
    assert flags(iv) == ["REBOOT"]


def test_seconds_come_from_uptime_when_both_samples_have_it() -> None:
    # The manager polled 10 s late; the router says 300 s passed.
    iv = run([0, 310, 600], [0, 3_000, 6_000], uptime=[5000, 5300, 5590])
    assert iv.seconds.tolist() == [300.0, 290.0]
    assert iv.in_bps.tolist() == [80.0, 8 * 3000 / 290]


def test_seconds_from_manager_clock_when_an_uptime_is_missing() -> None:
    iv = run([0, 310, 600], [0, 3_100, 6_000], uptime=[5000, None, 5590])
    assert iv.seconds.tolist() == [310.0, 290.0]
    assert flags(iv) == ["VALID", "VALID"]


def test_clock_mismatch_catches_a_reboot_hidden_in_a_long_interval() -> None:
    # Uptime 100 s then 200 s five minutes later: the router rebooted in between.
    iv = run([0, 300], [10**9, 10**9 + 10], uptime=[100, 200])
    assert flags(iv) == ["CLOCK"]


def test_clock_tolerance_is_10_seconds_or_10_percent() -> None:
    ok = run([0, 300], [0, 1], uptime=[0, 330])
    bad = run([0, 300], [0, 1], uptime=[0, 331])
    assert flags(ok) == ["VALID"] and flags(bad) == ["CLOCK"]
    short_ok = run([0, 60], [0, 1], uptime=[0, 70], poll=60)
    short_bad = run([0, 60], [0, 1], uptime=[0, 70.5], poll=60)
    assert flags(short_ok) == ["VALID"] and flags(short_bad) == ["CLOCK"]


def test_gap_is_longer_than_twice_the_polling_interval() -> None:
    iv = run([0, 600, 1201, 1500], [0, 10, 20, 30])
    assert flags(iv) == ["VALID", "GAP", "VALID"]
    assert np.isnan(iv.in_bps[1])


def test_gap_takes_precedence_over_reboot() -> None:
    iv = run([0, 3600], [5, 0], uptime=[9000, 100])
    assert flags(iv) == ["GAP"]


def test_counter_width_change_is_invalid() -> None:
    iv = run([0, 300, 600], [100, 200, 300], bits=[32, 64, 64])
    assert flags(iv) == ["WIDTH", "VALID"]


def test_time_not_moving_forward_is_invalid() -> None:
    iv = run([0, 300, 300], [0, 10, 20])
    assert flags(iv) == ["VALID", "BAD_TIME"]


def test_jittered_polls_at_constant_rate_give_the_same_rate() -> None:
    rng = random.Random(7)
    ts = [0.0]
    for _ in range(200):
        ts.append(ts[-1] + 300 + rng.uniform(-25, 25))
    rate_bps = 12_345_600.0
    octets = [round(t * rate_bps / 8) for t in ts]
    iv = run(ts, octets, uptime=[t + 86400 for t in ts])
    assert flags(iv) == ["VALID"] * 200
    np.testing.assert_allclose(iv.in_bps, rate_bps, rtol=1e-6)


def test_counter_delta_masks_32_bit_counters() -> None:
    delta, wrapped = counter_delta(
        np.array([M32 - 1, 0, M64 - 1], dtype=np.uint64),
        np.array([0, M32 - 1, 0], dtype=np.uint64),
        np.array([32, 32, 64], dtype=np.uint8),
    )
    assert delta.tolist() == [1, M32 - 1, 1]
    assert wrapped.tolist() == [True, False, True]


def test_flag_counts() -> None:
    iv = run([0, 300, 600, 2000, 2300], [0, 10, 5, 6, 7], speed=None)
    assert flag_counts(iv.in_flag) == {Flag.VALID: 2, Flag.WRAP: 1, Flag.GAP: 1}


def test_intervals_of_sample_arrays() -> None:
    arrays = SampleArrays(
        np.array([0.0, 300.0]),
        np.array([np.nan, np.nan]),
        np.array([0, 300], dtype=np.uint64),
        np.array([0, 600], dtype=np.uint64),
        np.array([64, 64], dtype=np.uint8),
    )
    iv = intervals_of(arrays, speed_bps=None, poll_interval_s=300)
    assert iv.in_bps.tolist() == [8.0] and iv.out_bps.tolist() == [16.0]


def _reference(
    ts: list[float], up: list[float | None], c: list[int], bits: list[int], speed: int, poll: float
) -> list[tuple[str, float | None]]:
    """An independent, loop-and-Python-int version of the rules, for random series."""
    result: list[tuple[str, float | None]] = []
    for i in range(1, len(ts)):
        dts = ts[i] - ts[i - 1]
        u0, u1 = up[i - 1], up[i]
        known = u0 is not None and u1 is not None
        secs = (u1 - u0) if (u0 is not None and u1 is not None) else dts
        if dts > 2 * poll:
            result.append(("GAP", None))
        elif known and u1 < u0:  # type: ignore[operator]
            result.append(("REBOOT", None))
        elif known and abs(secs - dts) > max(10.0, 0.1 * dts):
            result.append(("CLOCK", None))
        elif bits[i] != bits[i - 1]:
            result.append(("WIDTH", None))
        else:
            delta = (c[i] - c[i - 1]) % (2 ** bits[i])
            if delta * 8 > speed * secs:
                result.append(("WRAP" if c[i] < c[i - 1] else "OVER_SPEED", None))
            else:
                result.append(("VALID", delta * 8 / secs))
    return result


@pytest.mark.parametrize("seed", range(20))
def test_random_series_match_a_plain_python_reference(seed: int) -> None:
    rng = random.Random(seed)
    speed, poll = rng.choice([10_000_000, 100_000_000, 1_000_000_000]), 300.0
    ts, up, c, bits = [0.0], [1000.0], [rng.randrange(2**64)], [64]
    for _ in range(300):
        event = rng.random()
        ts.append(ts[-1] + (rng.uniform(700, 5000) if event < 0.05 else rng.uniform(280, 320)))
        if event < 0.10:
            up.append(rng.uniform(0, 200))  # reboot
        else:
            up.append(up[-1] + (ts[-1] - ts[-2]) + rng.uniform(-2, 2))
        switch_width = event > 0.97
        bits.append((96 - bits[-1]) if switch_width else bits[-1])  # 32 <-> 64
        width = 2 ** bits[-1]
        if event < 0.15:
            c.append(rng.randrange(width))  # reset or garbage
        else:
            step = int(rng.uniform(0, 1.02) * speed * 300 / 8)
            c.append((c[-1] + step) % width)
    c = [v % (2**b) for v, b in zip(c, bits, strict=True)]
    upt: list[float | None] = [None if rng.random() < 0.05 else u for u in up]
    iv = run(ts, c, uptime=upt, bits=bits, speed=speed, poll=poll)
    expected = _reference(ts, upt, c, bits, speed, poll)
    assert flags(iv) == [name for name, _ in expected]
    got = [None if np.isnan(x) else float(x) for x in iv.in_bps]
    for g, (_, e) in zip(got, expected, strict=True):
        assert (g is None and e is None) or g == pytest.approx(e, rel=1e-12)
