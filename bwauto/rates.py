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

from bwauto.errors import RateError, UsageError

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


_BARE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*$")


def parse_typed_rate(value: str, what: str = "rate") -> int:
    """A rate a person typed: as ``parse_rate``, but a number with no unit is refused as
    ambiguous (``150`` is surely not 150 bit/s); ``150bps`` says bit/s explicitly.

    Raises:
        RateError: no unit, or not a rate (``parse_rate``).

    Examples:
        >>> parse_typed_rate("150M"), parse_typed_rate("64000bps")
        (150000000, 64000)
        >>> parse_typed_rate("150", "--rate")
        Traceback (most recent call last):
        ...
        bwauto.errors.RateError: --rate '150' has no unit: 150M? (write 150bps for bit/s)
    """
    bare = _BARE_RE.match(value)
    if bare:
        number = bare.group(1)
        raise RateError(f"{what} {value!r} has no unit: {number}M? (write {number}bps for bit/s)")
    return parse_rate(value)


def refuse_bare_numbers(value: str, what: str = "rate") -> None:
    """Refuse ``DOWN`` or ``UP/DOWN`` where a part is a number with no unit (``150M?``); any
    other problem is left to the parser that follows.

    Examples:
        >>> refuse_bare_numbers("100M/150M"), refuse_bare_numbers("fast")
        (None, None)
    """
    for part in value.split("/"):
        if _BARE_RE.match(part):
            parse_typed_rate(part, what)


def parse_up_down(value: str, what: str = "rate") -> tuple[int | None, int]:
    """``DOWN`` or ``UP/DOWN`` as a person typed it, seen from the OPD: (up or None, down).

    A single rate is the download; the upload then stays as it is (``None``).

    Examples:
        >>> parse_up_down("150M")
        (None, 150000000)
        >>> parse_up_down("100M/150M")
        (100000000, 150000000)
    """
    up, slash, down = value.partition("/")
    if slash:
        return parse_typed_rate(up, f"{what} (upload)"), parse_typed_rate(
            down, f"{what} (download)"
        )
    return None, parse_typed_rate(value, what)


_UP_DOWN_WORDS = {
    "en": ("upload/download", "download", "upload stays", "upload unchanged"),
    "id": ("unggah/unduh", "unduh", "unggah tetap", "unggah tidak berubah"),
}


def format_up_down(up: int | None, down: int, up_now: int | None = None, lang: str = "en") -> str:
    """What a request asks, in words (``lang`` en or id).

    Examples:
        >>> format_up_down(None, 150_000_000, 50_000_000)
        '150M download (upload stays 50M)'
        >>> format_up_down(100_000_000, 150_000_000)
        '100M/150M (upload/download)'
        >>> format_up_down(None, 150_000_000, 50_000_000, "id")
        '150M unduh (unggah tetap 50M)'
    """
    both, down_word, stays, unchanged = _UP_DOWN_WORDS[lang]
    if up is not None:
        return f"{format_rate(up)}/{format_rate(down)} ({both})"
    rest = f"{stays} {format_rate(up_now)}" if up_now else unchanged
    return f"{format_rate(down)} {down_word} ({rest})"


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


def parse_share(text: str, what: str = "--threshold") -> float:
    """``80%`` or ``0.8`` → 0.8.

    Examples:
        >>> parse_share("80%"), parse_share("0.9")
        (0.8, 0.9)
        >>> parse_share("80")
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: --threshold '80': a share is written 80% or 0.8 (80%?)
    """
    value = text.strip()
    try:
        share = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise UsageError(f"{what} {text!r}: write a share such as 80% or 0.8") from None
    if not value.endswith("%") and abs(share) > 1:
        raise UsageError(f"{what} {text!r}: a share is written 80% or 0.8 ({share:g}%?)")
    return share
