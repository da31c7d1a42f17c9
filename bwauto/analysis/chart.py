"""A PNG chart per link: rates over the window, current and requested rates, p95 lines, WIB.

Drawn with matplotlib's object API on an Agg canvas: headless, without pyplot and its global
state or backend choice. Written atomically. Invalid intervals and gaps are breaks in the
lines, not zeros. Labels, legend and dates are in the chosen language (``bwauto.i18n``); the
time axis is WIB and each tick says its own day (``28 Nov``) rather than relying on an offset
label, which matplotlib's concise formatter took from the wrong end of the axis.

Examples:
    >>> tick_label(dt.datetime(2026, 11, 28, 17, 0, tzinfo=dt.UTC), "id")
    '29 Nov\\n00:00'
    >>> tick_label(dt.datetime(2026, 12, 1, 5, 30, tzinfo=dt.UTC), "id")
    '1 Des\\n12:30'
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bwauto.analysis.counters import Intervals
from bwauto.analysis.model import LinkInfo
from bwauto.analysis.report import ReportRow
from bwauto.analysis.window import WIB
from bwauto.i18n import current, translator
from bwauto.paths import atomic_write

SECONDS_PER_DAY = 86_400.0
SIZE_IN = (11.0, 4.5)
DPI = 100
SHORT_SPAN_S = 600.0
"""A chart shorter than this (e.g. the minutes right after a raise) labels its ticks with
seconds."""
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def month_abbr(month: int, lang: str) -> str:
    """A month's three-letter name in ``lang`` (``Des``, ``Dec``)."""
    return translator(lang)(MONTHS[month - 1])[:3]


def tick_label(when: dt.datetime, lang: str, seconds: bool = False) -> str:
    """A time-axis label: the WIB day and month, then the WIB time (with seconds for a chart
    of a few minutes)."""
    wib = when.astimezone(WIB)
    return (
        f"{wib.day} {month_abbr(wib.month, lang)}\n{wib:%H:%M:%S}"
        if seconds
        else (f"{wib.day} {month_abbr(wib.month, lang)}\n{wib:%H:%M}")
    )


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _mbit(bps: float) -> str:
    return f"{bps / 1e6:g} Mbps"


def build_figure(
    link: LinkInfo, intervals: Intervals, row: ReportRow, lang: str | None = None,
    title: str | None = None,
) -> Figure:  # fmt: skip
    """The chart of one link as a matplotlib ``Figure`` (for tests: its texts can be read)."""
    lang = lang or current()
    _ = translator(lang)
    fig = Figure(figsize=SIZE_IN, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    # Matplotlib dates are days since 1970-01-01 UTC; the axis shows them in WIB. Each rate is
    # drawn flat over its interval (intervals are consecutive: one starts where the last ended).
    when = np.concatenate((intervals.start[:1], intervals.end)) / SECONDS_PER_DAY
    for bps, colour, label in (
        (intervals.out_bps, "tab:blue", _("download")),
        (intervals.in_bps, "tab:orange", _("upload")),
    ):
        mbit = np.concatenate(([np.nan], bps / 1e6))
        ax.plot(when, mbit, lw=0.8, color=colour, label=_cap(label), drawstyle="steps-pre")
    _rate_lines(ax, link, row, lang)
    ax.set_title(title or _title(link, row, lang), fontsize=10)
    ax.set_ylabel("Mbps")
    ax.set_xlabel(_("time (WIB)"))
    locator = mdates.AutoDateLocator(tz=WIB, minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    short = len(when) > 1 and (when[-1] - when[0]) * SECONDS_PER_DAY < SHORT_SPAN_S
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: tick_label(mdates.num2date(x), lang, short))  # type: ignore[no-untyped-call]
    )
    ax.set_ylim(0, 1.3 * _top(link, row, intervals))  # room for the legend above the lines
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=7, ncols=3)
    fig.tight_layout()
    return fig


def _rate_lines(ax: Any, link: LinkInfo, row: ReportRow, lang: str) -> None:
    _ = translator(lang)
    down, up = link.committed_down_bps, link.committed_up_bps
    ax.axhline(down / 1e6, color="tab:blue", ls="-", lw=1.6, alpha=0.5,
               label=_cap(_("current download {rate}").format(rate=_mbit(down))))  # fmt: skip
    if up != down:
        ax.axhline(up / 1e6, color="tab:orange", ls="-", lw=1.6, alpha=0.5,
                   label=_cap(_("current upload {rate}").format(rate=_mbit(up))))  # fmt: skip
    for p95, colour, name in (
        (row.out_p95_mbps, "tab:blue", _("download")),
        (row.in_p95_mbps, "tab:orange", _("upload")),
    ):
        if p95 is not None:
            ax.axhline(p95, color=colour, ls="--", lw=1.0,
                       label=_("{direction} p95 {rate}").format(
                           direction=name.capitalize(), rate=f"{p95:.1f} Mbps"))  # fmt: skip
    for requested, name in (
        (row.requested_mbps, _("download")),
        (getattr(row, "requested_up_mbps", None), _("upload")),
    ):
        if requested is not None:
            ax.axhline(requested, color="tab:red", ls="-.", lw=1.4,
                       label=_cap(_("requested {direction} {rate}").format(
                           direction=name, rate=f"{requested:g} Mbps")))  # fmt: skip


def _top(link: LinkInfo, row: ReportRow, intervals: Intervals) -> float:
    tops = [link.committed_up_bps / 1e6, link.committed_down_bps / 1e6]
    tops += [float(np.nanmax(r)) / 1e6 for r in (intervals.in_bps, intervals.out_bps)
             if np.any(~np.isnan(r))]  # fmt: skip
    tops += [v for v in (row.requested_mbps, getattr(row, "requested_up_mbps", None)) if v]
    return max(tops)


def _title(link: LinkInfo, row: ReportRow, lang: str) -> str:
    start = _wib(row.window_start)
    end = _wib(row.window_end)
    return f"{link.link_id} - {link.opd}   {start} .. {end} WIB"


def _wib(iso: str) -> str:
    when = dt.datetime.fromisoformat(iso)
    when = when.astimezone(WIB) if when.tzinfo else when
    return f"{when:%Y-%m-%d %H:%M}"


def render_chart(
    link: LinkInfo, intervals: Intervals, row: ReportRow, lang: str | None = None,
    title: str | None = None,
) -> bytes:  # fmt: skip
    """The chart of one link as PNG bytes.

    Args:
        link: the link (committed rates, names).
        intervals: its intervals over the window (``analyse.link_intervals``).
        row: its report row (p95 lines, window, requested rate).
        lang: ``id`` or ``en`` (default: the current language).
        title: a title instead of ``link - OPD  start .. end WIB``.
    """
    buffer = io.BytesIO()
    build_figure(link, intervals, row, lang, title).savefig(buffer, format="png")
    return buffer.getvalue()


def write_chart(
    link: LinkInfo, intervals: Intervals, row: ReportRow, path: Path, lang: str | None = None,
    title: str | None = None,
) -> Path:  # fmt: skip
    """Write one link's chart atomically; returns ``path``."""
    atomic_write(path, render_chart(link, intervals, row, lang, title))
    return path
