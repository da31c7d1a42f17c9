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
    # Matplotlib dates are days since 1970-01-01 UTC; the axis shows them in WIB. Each rate is
    # drawn flat over its interval (intervals are consecutive: one starts where the last ended).
    when = np.concatenate((intervals.start[:1], intervals.end)) / SECONDS_PER_DAY
    for bps, colour, label in (
        (intervals.out_bps, "tab:blue", "out (download)"),
        (intervals.in_bps, "tab:orange", "in (upload)"),
    ):
        mbit = np.concatenate(([np.nan], bps / 1e6))
        ax.plot(when, mbit, lw=0.8, color=colour, label=label, drawstyle="steps-pre")
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
    start = row.window_start[:16].replace("T", " ")  # WIB wall clock, for the title only
    end = row.window_end[:16].replace("T", " ")
    ax.set_title(f"{link.link_id} - {link.opd}   {start} .. {end} WIB", fontsize=10)
    ax.set_ylabel("Mbit/s")
    ax.set_xlabel("time (WIB)")
    locator = mdates.AutoDateLocator(tz=WIB)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator, tz=WIB)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)
    tops = [link.committed_up_bps / 1e6, link.committed_down_bps / 1e6]
    tops += [float(np.nanmax(r)) / 1e6 for r in (intervals.in_bps, intervals.out_bps)
             if np.any(~np.isnan(r))]  # fmt: skip
    ax.set_ylim(0, 1.3 * max(tops))  # room for the legend above the lines
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
