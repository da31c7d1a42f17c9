"""Mutu Baku: the SOP's time standard (1 working day per step), in working days.

Pure functions apart from ``load_holidays``. Days are counted on the WIB (UTC+7) calendar.
A step that starts on day S and ends on day E took the number of working days d with
S < d <= E: finished the same day = 0, the next working day = 1 (within the standard),
later = overdue. Working days exclude Saturdays, Sundays and the holidays given (public
holidays and, for civil servants, *cuti bersama*).

Examples:
    >>> fri = dt.datetime(2026, 3, 6, 15, 0, tzinfo=WIB)
    >>> working_days_between(fri, dt.datetime(2026, 3, 9, 10, 0, tzinfo=WIB), frozenset())
    1
    >>> eid = frozenset(dt.date(2026, 3, d) for d in (18, 19, 20, 23, 24))
    >>> working_days_between(dt.datetime(2026, 3, 17, 9, tzinfo=WIB),
    ...                      dt.datetime(2026, 3, 25, 9, tzinfo=WIB), eid)
    1
    >>> add_working_days(dt.date(2026, 3, 17), 1, eid)
    datetime.date(2026, 3, 25)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bwauto.case.errors import CaseError
from bwauto.case.steps import step
from bwauto.errors import Problem
from bwauto.inventory.yamlsrc import YamlDoc

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
SAMPLE_HOLIDAYS = Path(__file__).with_name("data") / "holidays-2026.yaml"
"""The shipped 2026 sample; the office keeps its own in ``<inventory>/holidays.yaml``."""


@dataclass(frozen=True, slots=True)
class Holidays:
    """Non-working days other than weekends.

    Attributes:
        dates: the days.
        names: day → what it is.
        sample: the file says it is a sample that the office has not checked.
        source: the file it came from ("" if built in code).
    """

    dates: frozenset[dt.date] = frozenset()
    names: dict[dt.date, str] = field(default_factory=dict)
    sample: bool = False
    source: str = ""


def load_holidays(path: Path) -> Holidays:
    """Read a holidays YAML file: ``holidays: [{date: 2026-01-01, name: ...}, ...]``.

    Raises:
        CaseError: the file is missing, or its first problem (``holiday_problems``).
    """
    from bwauto.inventory.yamlsrc import read_yaml

    doc = read_yaml(Path(path))
    problems = doc.problems or holiday_problems(doc)
    if problems:
        raise CaseError(f"holidays file {problems[0]}")
    names: dict[dt.date, str] = {}
    for item in doc.data["holidays"]:
        day = item["date"] if isinstance(item, dict) else item  # checked: a date
        names[day] = str(item.get("name", "")) if isinstance(item, dict) else ""
    return Holidays(frozenset(names), names, bool(doc.data.get("sample", False)), str(path))


HOLIDAY_KEYS = ("holidays", "sample")
HOLIDAY_ITEM_KEYS = ("date", "name")


def holiday_problems(doc: YamlDoc) -> list[Problem]:
    """Every problem of a parsed holidays file, each with its line: unknown keys (with a "did
    you mean"), entries that are not dates."""
    from bwauto.inventory.schema import did_you_mean

    def problem(msg: str, *where: str | int, field: str = "") -> Problem:
        return Problem(doc.file, "", field, msg, doc.line(*where))

    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("holidays"), list):
        return [problem("expected 'holidays:' with a list of dates")]
    out = [problem(f"unknown key{did_you_mean(str(k), HOLIDAY_KEYS)}", str(k), field=str(k))
           for k in data if k not in HOLIDAY_KEYS]  # fmt: skip
    for i, item in enumerate(data["holidays"]):
        at = ("holidays", i)
        day = item.get("date") if isinstance(item, dict) else item
        if isinstance(item, dict):
            out += [problem(f"unknown key{did_you_mean(str(k), HOLIDAY_ITEM_KEYS)}", *at, str(k),
                            field=f"holidays[{i + 1}].{k}")
                    for k in item if k not in HOLIDAY_ITEM_KEYS]  # fmt: skip
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            out.append(problem("is not a date YYYY-MM-DD", *at, field=f"holidays[{i + 1}]"))
    return out


def wib_date(when: dt.datetime) -> dt.date:
    """The WIB calendar day of a timezone-aware time."""
    return when.astimezone(WIB).date()


def is_working_day(day: dt.date, holidays: Collection[dt.date]) -> bool:
    """Monday–Friday and not a holiday.

    Examples:
        >>> is_working_day(dt.date(2026, 3, 7), ())  # a Saturday
        False
        >>> is_working_day(dt.date(2026, 8, 17), {dt.date(2026, 8, 17)})
        False
    """
    return day.weekday() < 5 and day not in holidays


def working_days_between(
    start: dt.datetime, end: dt.datetime, holidays: Collection[dt.date]
) -> int:
    """Working days after ``start``'s WIB day, up to and including ``end``'s (0 if before)."""
    first, last = wib_date(start), wib_date(end)
    count, day = 0, first + dt.timedelta(days=1)
    while day <= last:
        count += is_working_day(day, holidays)
        day += dt.timedelta(days=1)
    return count


def add_working_days(day: dt.date, n: int, holidays: Collection[dt.date]) -> dt.date:
    """The ``n``-th working day after ``day`` (the deadline of an ``n``-day standard)."""
    while n > 0:
        day += dt.timedelta(days=1)
        n -= is_working_day(day, holidays)
    return day


@dataclass(frozen=True, slots=True)
class Span:
    """Time spent on a step: ``end`` is ``None`` while the step is still open.

    Attributes:
        steps: the step (or, while the decision is open, the steps ``(7, 8)``).
        start: when the step could begin (the previous step's completion).
        end: when it was completed, or when a review returned the case.
        returned_to: for a review that returned the case: the step it named.
    """

    steps: tuple[int, ...]
    start: dt.datetime
    end: dt.datetime | None = None
    returned_to: int | None = None


@dataclass(frozen=True, slots=True)
class Timing:
    """A span measured against its Mutu Baku standard."""

    span: Span
    working_days: int
    standard_days: int | None
    due: dt.date | None
    overdue: bool

    @property
    def open(self) -> bool:
        """The step is not finished yet."""
        return self.span.end is None


def assess(spans: Sequence[Span], now: dt.datetime, holidays: Collection[dt.date]) -> list[Timing]:
    """Measure each span in working days against its step's standard."""
    return [_timing(span, now, holidays) for span in spans]


def _timing(span: Span, now: dt.datetime, holidays: Collection[dt.date]) -> Timing:
    standard = step(span.steps[0]).standard_days
    days = working_days_between(span.start, span.end or now, holidays)
    due = None if standard is None else add_working_days(wib_date(span.start), standard, holidays)
    return Timing(span, days, standard, due, standard is not None and days > standard)


def spans_of(
    events: Sequence[tuple[int, dt.datetime, int | None]],
    received: dt.datetime,
    next_steps: Sequence[int],
) -> list[Span]:
    """The spans of a case timeline.

    Args:
        events: ``(step, at, returned_to)`` for each completion or return, in order.
        received: when the request letter arrived (start of step 1).
        next_steps: the open step(s); empty when the case is closed.
    """
    spans, start = [], received
    for number, at, returned_to in events:
        spans.append(Span((number,), start, at, returned_to))
        start = at
    if next_steps:
        spans.append(Span(tuple(next_steps), start))
    return spans


def overdue(timings: Sequence[Timing]) -> list[Timing]:
    """The timings beyond their standard (finished late, or open and already late)."""
    return [t for t in timings if t.overdue]
