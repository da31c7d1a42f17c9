"""Durations as Prometheus writes them (``30s``, ``1m30s``, ``1500ms``), and as Zabbix does.

Examples:
    >>> duration_seconds("15m"), duration_seconds("1m30s")
    (900.0, 90.0)
    >>> duration_ms("0s")
    Traceback (most recent call last):
    ...
    ValueError: '0s' is zero: give a duration longer than 0, like 30s
"""

from __future__ import annotations

import re

__all__ = ["ZABBIX_DURATION", "duration_ms", "duration_seconds", "unitless", "zabbix_period"]

# Prometheus's duration syntax: units longest first, each at most once, e.g. 1m30s
# (https://prometheus.io/docs/prometheus/latest/querying/basics/#time-durations).
_PROM_UNITS = (("y", 31_536_000_000), ("w", 604_800_000), ("d", 86_400_000),
               ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1))  # fmt: skip
_PROM_DURATION = re.compile("^" + "".join(f"(?:([0-9]+){u})?" for u, _ in _PROM_UNITS) + "$")
# Zabbix's time suffixes: one number, one unit (https://www.zabbix.com/documentation/6.0/en/
# manual/appendix/suffixes).
ZABBIX_DURATION = re.compile(r"^[0-9]+[smhdw]$")


def duration_ms(value: str) -> int:
    """Milliseconds in a Prometheus duration (``30s``, ``1m30s``, ``1500ms``, ``2h``).

    Raises:
        ValueError: not a duration, zero, or a number without a unit (with the fix to make).

    Examples:
        >>> duration_ms("1m30s"), duration_ms("1500ms"), duration_ms("2w")
        (90000, 1500, 1209600000)
    """
    text = value.strip() if isinstance(value, str) else str(value)
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        raise ValueError(unitless(float(text)))
    match = _PROM_DURATION.match(text)
    if not text or not match:
        raise ValueError(f"{value!r} is not a duration: a number and a unit (ms, s, m, h, d, w, "
                         "y), several longest first, like 30s, 1m30s, 15m, 1h")  # fmt: skip
    pairs = zip(match.groups(), _PROM_UNITS, strict=True)
    total = sum(int(n) * size for n, (_, size) in pairs if n)
    if total == 0:
        raise ValueError(f"{value!r} is zero: give a duration longer than 0, like 30s")
    return total


def unitless(number: float) -> str:
    """Why a bare number is refused: zero is no duration; another lacks its unit.

    Examples:
        >>> unitless(60)
        '60 has no unit: write 60s for seconds (or ms, m, h, d, w, y)'
        >>> unitless(0)
        '0 is zero: give a duration longer than 0, like 30s'
    """
    if number == 0:
        return "0 is zero: give a duration longer than 0, like 30s"
    return f"{number:g} has no unit: write {number:g}s for seconds (or ms, m, h, d, w, y)"


def duration_seconds(value: str) -> float:
    """Seconds in a Prometheus duration (see :func:`duration_ms`)."""
    return duration_ms(value) / 1000


def zabbix_period(value: str) -> str:
    """A duration as Zabbix writes it: kept when it is one number and one unit, else seconds.

    Examples:
        >>> zabbix_period("15m"), zabbix_period("1h30m")
        ('15m', '5400s')
    """
    return value if ZABBIX_DURATION.match(value) else f"{duration_ms(value) // 1000}s"
