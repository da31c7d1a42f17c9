"""Bandwidth rates: one internal unit, bit/s as ``int``.

Examples:
    >>> parse_rate("100M")
    100000000
    >>> parse_rate("1.5G")
    1500000000
    >>> parse_rate("512k")
    512000
    >>> parse_rate("100 Mbps")
    100000000
    >>> parse_rate("100000 kbps")
    100000000
    >>> parse_rate("2000000")
    2000000
    >>> format_rate(150_000_000)
    '150M'
    >>> format_rate(1_500_000_000)
    '1.5G'
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from functools import cache

from bwauto.errors import RateError

MAX_RATE_BPS = 10**12
"""Anything above 1 Tbit/s is refused as absurd for an OPD link."""


@cache
def _prefixes() -> dict[str, int]:
    """Prefix letter -> multiplier, from netutils (imported on first use: not for ``--help``)."""
    from netutils.bandwidth import BITS_MAPPING

    return {
        "": 1,
        **{name[0].upper(): int(v["low"]) for name, v in BITS_MAPPING.items() if name != "bps"},
    }


_RATE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]?)(?:bps|bit/s|b/s)?\s*$")


def parse_rate(value: str | int | float) -> int:
    """Parse a rate such as ``"100M"``, ``"1.5G"``, ``"512k"``, ``"100 Mbps"`` or ``"2000000"``.

    Prefixes are decimal (k = 10^3, M = 10^6, G = 10^9, T = 10^12); a bare number is bit/s.

    Args:
        value: the rate as written by a person, or an int already in bit/s.

    Returns:
        The rate in bit/s.

    Raises:
        RateError: if the value is not a rate, is not positive, is fractional bit/s or > 1 Tbit/s.

    Examples:
        >>> parse_rate("10 Gbps")
        10000000000
        >>> parse_rate(64000)
        64000
        >>> parse_rate("abc")
        Traceback (most recent call last):
        ...
        bwauto.errors.RateError: 'abc' is not a rate: write e.g. 100M, 1.5G, 512k or 2000000 (bit/s)
    """
    if isinstance(value, bool):
        raise RateError(f"{value!r} is not a rate")
    if isinstance(value, int):
        return _check_range(value, repr(value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise RateError(f"{value!r} is not a rate")
        return _check_range(_to_int_bps(Decimal(repr(value)), repr(value)), repr(value))
    if not isinstance(value, str):
        raise RateError(f"{value!r} is not a rate")
    match = _RATE_RE.match(value)
    if match is None:
        if value.strip().startswith("-"):
            raise RateError(f"{value!r} is negative: a rate must be greater than zero")
        raise RateError(f"{value!r} is not a rate: write e.g. 100M, 1.5G, 512k or 2000000 (bit/s)")
    number, prefix = match.groups()
    try:
        amount = Decimal(number) * _prefixes()[prefix.upper()]
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
        raise RateError(f"{value!r} is not a rate") from exc
    return _check_range(_to_int_bps(amount, value), value)


def _to_int_bps(amount: Decimal, shown: str) -> int:
    if amount != amount.to_integral_value():
        raise RateError(f"{shown!r} is a fraction of a bit per second")
    return int(amount)


def _check_range(bps: int, shown: str) -> int:
    if bps <= 0:
        raise RateError(f"{shown} is not greater than zero")
    if bps > MAX_RATE_BPS:
        raise RateError(f"{shown} is above 1 Tbit/s, which no OPD link has")
    return bps


def format_rate(bps: int) -> str:
    """Format bit/s with the largest prefix that keeps at most three decimals.

    Examples:
        >>> format_rate(512_000)
        '512k'
        >>> format_rate(2_000_001)
        '2000.001k'
        >>> format_rate(1_234_567)
        '1234.567k'
        >>> format_rate(999)
        '999'
        >>> format_rate(100_000_000)
        '100M'
    """
    for prefix, factor in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if bps >= factor and (bps * 1000) % factor == 0:
            if bps % factor == 0:
                return f"{bps // factor}{prefix}"
            return f"{Decimal(bps) / factor:f}".rstrip("0") + prefix
    return str(bps)


def to_mbps(bps: float) -> float:
    """Bit/s to Mbit/s (10^6), the unit of the reports.

    Examples:
        >>> to_mbps(150_000_000)
        150.0
    """
    return bps / 1_000_000
