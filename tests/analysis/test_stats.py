"""Statistics per link and direction, p95 by nearest rank, and the window parser."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from bwauto.analysis.counters import Intervals, compute_intervals
from bwauto.analysis.stats import (
    direction_stats,
    link_stats,
    nearest_rank,
    p95_utilisation,
    percentile_nearest_rank,
)
from bwauto.analysis.window import WIB, Window, format_ts, parse_time, parse_window
from bwauto.errors import UsageError


def intervals(ts: list[float], inb: list[int], out: list[int] | None = None) -> Intervals:
    n = len(ts)
    return compute_intervals(
        np.array(ts, dtype=np.float64),
        np.full(n, np.nan),
        np.array(inb, dtype=np.uint64),
        np.array(out if out is not None else [0] * n, dtype=np.uint64),
        np.full(n, 64, dtype=np.uint8),
        speed_bps=None,
        poll_interval_s=300,
    )


# -- p95 by nearest rank ----------------------------------------------------------------------


def test_p95_of_one_value_is_that_value() -> None:
    assert percentile_nearest_rank(np.array([42.5])) == 42.5


def test_p95_of_20_values_is_the_19th() -> None:
    values = np.array(random.Random(1).sample(range(1000), 20), dtype=float)
    assert percentile_nearest_rank(values) == sorted(values)[18]


def test_p95_of_8640_values_excludes_the_432_highest() -> None:
    values = np.arange(1.0, 8641.0)  # 1 .. 8640
    np.random.default_rng(3).shuffle(values)
    p95 = percentile_nearest_rank(values)
    assert p95 == 8208.0
    assert int(np.count_nonzero(values > p95)) == 432


@pytest.mark.parametrize(
    ("n", "rank"),
    [(1, 1), (2, 2), (19, 19), (20, 19), (21, 20), (100, 95), (101, 96), (8640, 8208)],
)
def test_nearest_rank_is_ceil_of_95_percent(n: int, rank: int) -> None:
    assert nearest_rank(n, 95) == rank == math.ceil(0.95 * n - 1e-9)


def test_p95_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile_nearest_rank(np.array([]))


def test_p95_with_ties() -> None:
    assert percentile_nearest_rank(np.array([5.0] * 19 + [100.0])) == 5.0
    assert percentile_nearest_rank(np.array([5.0] * 18 + [100.0] * 2)) == 100.0


# -- direction and link statistics ---------------------------------------------------------------


def test_mean_is_time_weighted_not_the_mean_of_rates() -> None:
    # 100 s at 80 bit/s (1000 octets) then 300 s at 240 bit/s (9000 octets).
    iv = intervals([0, 100, 400], [0, 1000, 10000])
    s = direction_stats(iv, "in", 400.0)
    assert s.mean_bps == (10000 * 8) / 400  # 200, not (80 + 240) / 2 = 160
    assert s.max_bps == 240.0 and s.p95_bps == 240.0 and s.n == 2


def test_coverage_counts_only_valid_time() -> None:
    # 4 valid intervals of 300 s, one gap of 900 s, one wrap (invalid, speed unknown): window 2700 s
    ts = [0, 300, 600, 1500, 1800, 2100, 2400]
    inb = [0, 300, 600, 900, 1200, 100, 400]
    s = direction_stats(intervals(ts, inb), "in", 2700.0)
    assert (s.n, s.invalid, s.gaps) == (4, 1, 1)
    assert s.valid_s == 1200.0
    assert s.coverage_pct == pytest.approx(100 * 1200 / 2700)
    assert s.mean_bps == 8.0


def test_no_valid_interval_gives_no_rates() -> None:
    s = direction_stats(intervals([0, 300], [10, 5]), "in", 300.0)
    assert (s.n, s.invalid, s.gaps, s.coverage_pct) == (0, 1, 0, 0.0)
    assert s.mean_bps is None and s.p95_bps is None and s.max_bps is None


def test_link_stats_counts_intervals_invalid_in_either_direction() -> None:
    ts = [0, 300, 600, 900, 2000]
    inb = [0, 300, 100, 400, 500]  # interval 2 wraps (invalid)
    out = [0, 300, 600, 300, 400]  # interval 3 wraps (invalid)
    st = link_stats(intervals(ts, inb, out), 2000.0)
    assert st.invalid == 2
    assert st.inbound.invalid == 1 and st.outbound.invalid == 1
    assert st.gaps == 1
    assert st.samples == 2
    assert st.coverage_pct == pytest.approx(100 * 600 / 2000)


def test_p95_utilisation_uses_each_directions_committed_rate() -> None:
    ts = [0.0, 300.0]
    st = link_stats(intervals(ts, [0, 1_125_000], [0, 2_250_000]), 300.0)  # 30 / 60 kbit/s ...
    assert st.inbound.p95_bps == 30_000.0 and st.outbound.p95_bps == 60_000.0
    # ... against up 50k / down 100k: 0.6 both ways; against up 40k / down 100k: 0.75 (upload)
    assert p95_utilisation(st, 50_000, 100_000) == pytest.approx(0.6)
    assert p95_utilisation(st, 40_000, 100_000) == pytest.approx(0.75)
    assert st.p95_max_bps == 60_000.0


# -- window ---------------------------------------------------------------------------------------

NOW = 1_717_200_000.0  # 2024-06-01T07:00:00+07:00


def test_default_window_is_the_last_7_days() -> None:
    assert parse_window(now=NOW) == Window(NOW - 7 * 86400, NOW)


@pytest.mark.parametrize(
    ("text", "age"), [("7d", 7 * 86400), ("30d", 30 * 86400), ("12h", 12 * 3600), ("90m", 5400),
                      ("2w", 14 * 86400), ("45s", 45), (" 30d ", 30 * 86400)],
)  # fmt: skip
def test_relative_ages(text: str, age: int) -> None:
    assert parse_time(text, now=NOW) == NOW - age


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-01", NOW - 7 * 3600),  # midnight WIB
        ("2024-06-01T07:00", NOW),
        ("2024-06-01 07:00:00", NOW),
        ("2024-06-01T07:00:00+07:00", NOW),
        ("2024-06-01T00:00:00Z", NOW),
        ("2024-06-01T00:00:00+00:00", NOW),
        ("now", NOW),
    ],
)
def test_iso_times_without_offset_are_wib(text: str, expected: float) -> None:
    assert parse_time(text, now=0.0 if text != "now" else NOW) == expected


def test_other_local_zone() -> None:
    from datetime import timedelta, timezone

    wita = timezone(timedelta(hours=8))
    assert parse_time("2024-06-01T08:00", now=0.0, tz=wita) == NOW


def test_until_and_since_together() -> None:
    w = parse_window("2024-05-01", "2024-05-31", now=NOW)
    assert format_ts(w.start) == "2024-05-01T00:00:00+07:00"
    assert w.seconds == 30 * 86400
    assert parse_window("2d", "1d", now=NOW) == Window(NOW - 2 * 86400, NOW - 86400)


@pytest.mark.parametrize("bad", ["7", "7x", "-7d", "yesterday", "", "2024-13-01"])
def test_bad_times_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError, match="--since"):
        parse_window(bad or " ", now=NOW)


def test_empty_window_is_refused() -> None:
    with pytest.raises(UsageError, match="empty"):
        parse_window("2024-06-01", "2024-05-01", now=NOW)


def test_format_ts_is_wib_with_offset() -> None:
    assert format_ts(NOW) == "2024-06-01T07:00:00+07:00"
    assert WIB.utcoffset(None).total_seconds() == 7 * 3600  # type: ignore[union-attr]
