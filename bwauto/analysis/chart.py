"""A PNG chart per link: rates over the window, committed rates and p95 lines, time in WIB.

Drawn with matplotlib's object API on an Agg canvas: headless, without pyplot and its global
state or backend choice. Written atomically. Invalid intervals and gaps are breaks in the
lines, not zeros.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bwauto.analysis.counters import Intervals
from bwauto.analysis.model import LinkInfo
from bwauto.analysis.report import ReportRow
from bwauto.analysis.window import WIB
from bwauto.paths import atomic_write

SECONDS_PER_DAY = 86_400.0
SIZE_IN = (11.0, 4.5)
DPI = 100


def render_chart(link: LinkInfo, intervals: Intervals, row: ReportRow) -> bytes:
    """The chart of one link as PNG bytes.

    Args:
        link: the link (committed rates, names).
        intervals: its intervals over the window (``analyse.link_intervals``).
        row: its report row (p95 lines, window, decision).
    """
    fig = Figure(figsize=SIZE_IN, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    # Matplotlib dates are days since 1970-01-01 UTC; the axis shows them in WIB.
    when = intervals.end / SECONDS_PER_DAY
    ax.plot(when, intervals.out_bps / 1e6, lw=0.8, color="tab:blue", label="out (download)")
    ax.plot(when, intervals.in_bps / 1e6, lw=0.8, color="tab:orange", label="in (upload)")
    ax.axhline(link.committed_down_bps / 1e6, color="tab:blue", ls="-", lw=1.6, alpha=0.5,
               label=f"committed down {link.committed_down_bps / 1e6:g} M")  # fmt: skip
    if link.committed_up_bps != link.committed_down_bps:
        ax.axhline(link.committed_up_bps / 1e6, color="tab:orange", ls="-", lw=1.6, alpha=0.5,
                   label=f"committed up {link.committed_up_bps / 1e6:g} M")  # fmt: skip
    for p95, colour, name in (
        (row.out_p95_mbps, "tab:blue", "out"),
        (row.in_p95_mbps, "tab:orange", "in"),
    ):
        if p95 is not None:
            ax.axhline(p95, color=colour, ls="--", lw=1.0, label=f"{name} p95 {p95:.1f} M")
    start = np.datetime64(row.window_start[:19])  # WIB wall clock, for the title only
    end = np.datetime64(row.window_end[:19])
    ax.set_title(f"{link.link_id} - {link.opd}   {start} .. {end} WIB", fontsize=10)
    ax.set_ylabel("Mbit/s")
    ax.set_xlabel("time (WIB)")
    locator = mdates.AutoDateLocator(tz=WIB)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator, tz=WIB)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=7, ncols=3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def write_chart(link: LinkInfo, intervals: Intervals, row: ReportRow, path: Path) -> Path:
    """Write one link's chart atomically; returns ``path``."""
    atomic_write(path, render_chart(link, intervals, row))
    return path
