"""Every rate form the issue names, and every rejection."""

from __future__ import annotations

import pytest

from bwauto.errors import RateError
from bwauto.rates import format_rate, parse_rate


@pytest.mark.parametrize(
    ("text", "bps"),
    [
        ("100M", 100_000_000), ("1.5G", 1_500_000_000), ("512k", 512_000),
        ("512K", 512_000), ("100 Mbps", 100_000_000), ("100000 kbps", 100_000_000),
        ("2000000", 2_000_000), ("10Gbps", 10_000_000_000), ("1T", 10**12),
        (" 20m ", 20_000_000), ("2.5 Mbit/s", 2_500_000), (64000, 64000),
    ],
)  # fmt: skip
def test_parse(text: str | int, bps: int) -> None:
    assert parse_rate(text) == bps


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-5M", "negative"), ("0", "not greater than zero"), ("0M", "not greater than zero"),
        ("abc", "is not a rate"), ("10Q", "is not a rate"), ("NaN", "is not a rate"),
        (float("nan"), "is not a rate"), (float("inf"), "is not a rate"),
        ("2T", "above 1 Tbit/s"), ("99999999999999", "above 1 Tbit/s"), ("", "is not a rate"),
        ("1.5", "fraction"), ("0.5k5", "is not a rate"), (True, "is not a rate"), (-3, "greater"),
    ],
)  # fmt: skip
def test_reject(text: object, reason: str) -> None:
    with pytest.raises(RateError, match=reason):
        parse_rate(text)  # type: ignore[arg-type]


@pytest.mark.parametrize("bps", [1, 999, 1000, 512_000, 1_500_000, 100_000_000, 1_234_567_000])
def test_format_round_trips(bps: int) -> None:
    assert parse_rate(format_rate(bps)) == bps
