"""The analysis window: ``--since`` / ``--until`` as ISO 8601 times or relative ages.

Times without a UTC offset are local time, WIB (UTC+7) unless told otherwise. Relative ages
count back from ``now``: ``30m``, ``12h``, ``7d``, ``2w``.

Examples:
    >>> now = 1_717_200_000.0  # 2024-06-01T07:00:00+07:00
    >>> w = parse_window("7d", now=now)
    >>> (w.end - w.start) / 86400
    7.0
    >>> format_ts(w.start)
    '2024-05-25T07:00:00+07:00'
    >>> format_ts(parse_window("2024-05-01", "2024-05-02T12:00Z", now=now).end)
    '2024-05-02T19:00:00+07:00'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from bwauto.errors import UsageError

WIB = timezone(timedelta(hours=7), "WIB")
"""Western Indonesian Time, Batam's time zone (no daylight saving)."""

DEFAULT_SINCE = "7d"
MAX_WINDOW_DAYS = 400
"""The longest window or span accepted: a budget year (Kasi's yearly figures) plus a month of
margin; the SOP's step 6 needs 7-30 days. A longer one is refused at once, not analysed for
minutes (a typo such as ``--since 1796053411s`` asked for 57 years)."""
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


@dataclass(frozen=True, slots=True)
class Window:
    """A closed time range ``[start, end]`` in unix seconds.

    Examples:
        >>> Window(0.0, 3600.0).seconds
        3600.0
    """

    start: float
    end: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.end)):
            raise UsageError("the analysis window needs finite start and end times")
        if self.end <= self.start:
            raise UsageError(
                f"the analysis window is empty: it ends ({format_ts(self.end)}) "
                f"before it starts ({format_ts(self.start)})"
            )

    @property
    def seconds(self) -> float:
        """Length of the window in seconds."""
        return self.end - self.start


def parse_time(value: str, *, now: float, tz: tzinfo = WIB, what: str = "time") -> float:
    """Parse an ISO 8601 time or an age such as ``7d`` into unix seconds.

    Args:
        value: ``2024-05-01``, ``2024-05-01T08:00``, ``2024-05-01 08:00:00+07:00``, ``...Z``,
            ``now``, or an age: a whole number followed by ``s``, ``m``, ``h``, ``d`` or ``w``.
        now: the current unix time (ages count back from it).
        tz: the zone of times written without an offset.
        what: how the value is named in error messages (e.g. ``--since``).

    Returns:
        Unix seconds.

    Raises:
        UsageError: the value is neither.

    Examples:
        >>> parse_time("12h", now=100_000.0)
        56800.0
        >>> parse_time("1970-01-01T07:00", now=0.0)
        0.0
        >>> parse_time("1970-01-01T00:00:10Z", now=0.0)
        10.0
        >>> parse_time("7x", now=0.0, what="--since")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: --since '7x' is not a time: write an age such as 7d, ...
    """
    if value.strip().lower() == "now":
        return now
    match = _RELATIVE.match(value)
    if match:
        return now - int(match.group(1)) * _UNITS[match.group(2)]
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"{what} {value!r} is not a time: write an age such as 7d, 30d, 12h, "
            "or an ISO 8601 time such as 2024-05-01T08:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.timestamp()


def parse_days(value: str, what: str) -> float:
    """A positive span such as ``90d``, ``12w`` or ``36h`` in days.

    Examples:
        >>> parse_days("12w", "--horizon"), parse_days("36h", "--horizon")
        (84.0, 1.5)
        >>> parse_days("0d", "--horizon")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: --horizon '0d': give a positive span such as 90d, 12w ...
    """
    match = _RELATIVE.match(value)
    if not match or int(match.group(1)) == 0:
        raise UsageError(f"{what} {value!r}: give a positive span such as 90d, 12w or 36h")
    days = int(match.group(1)) * _UNITS[match.group(2)] / 86_400
    check_span(days * 86_400, what)
    return days


def check_span(seconds: float, what: str) -> None:
    """Refuse a window or span longer than ``MAX_WINDOW_DAYS``.

    Examples:
        >>> check_span(30 * 86_400, "--since")
        >>> check_span(1_796_053_411, "--since")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: --since: a window of 20,788 days is too long; the longest is ...
    """
    if seconds > MAX_WINDOW_DAYS * 86_400:
        raise UsageError(
            f"{what}: a window of {seconds / 86_400:,.0f} days is too long; the longest is "
            f"{MAX_WINDOW_DAYS} days (a budget year with a month of margin)"
        )


def parse_window(
    since: str | None = None,
    until: str | None = None,
    *,
    now: float,
    tz: tzinfo = WIB,
) -> Window:
    """The window from ``--since`` (default: the last 7 days) to ``--until`` (default: now).

    Raises:
        UsageError: a bound is not a time, the window is empty, or longer than
            ``MAX_WINDOW_DAYS``.

    Examples:
        >>> parse_window(now=864_000.0)
        Window(start=259200.0, end=864000.0)
        >>> parse_window("1d", "2d", now=864_000.0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: the analysis window is empty: it ends (1970-01-09...) before ...
    """
    start = parse_time(since or DEFAULT_SINCE, now=now, tz=tz, what="--since")
    end = now if until is None else parse_time(until, now=now, tz=tz, what="--until")
    check_span(end - start, "--since/--until" if until is not None else "--since")
    return Window(start, end)


def format_ts(ts: float, tz: tzinfo = WIB) -> str:
    """Unix seconds as ISO 8601 with offset, to the second, in ``tz`` (WIB by default).

    Examples:
        >>> format_ts(0.0)
        '1970-01-01T07:00:00+07:00'
        >>> format_ts(0.0, timezone.utc)
        '1970-01-01T00:00:00+00:00'
    """
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")
