"""A change's outcome from the sample store (``bwauto request outcome`` and the playbook task
``outcome``), its chart, and its record in the case file. The pure comparison is
``bwauto.analysis.outcome``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bwauto.analysis.analyse import link_intervals
from bwauto.analysis.chart import wib_time_axis
from bwauto.analysis.counters import Intervals
from bwauto.analysis.model import LinkInfo
from bwauto.analysis.outcome import Outcome, compare
from bwauto.analysis.window import WIB, Window
from bwauto.case.documents import unused_path
from bwauto.errors import UsageError
from bwauto.i18n import LANGS, current, one_of, translator
from bwauto.paths import atomic_write
from bwauto.store.samples import SampleStore, store_path

if TYPE_CHECKING:
    from bwauto.case.records import Record
    from bwauto.case.register import Register
    from bwauto.inventory.models import Inventory


def outcome_of(
    state_dir: Path,
    link: LinkInfo,
    change_at: float,
    old: dict[str, int | None],
    new: dict[str, int | None],
    before: Window,
    after_s: float,
    now: float,
) -> tuple[Outcome, Intervals, Intervals]:
    """The outcome over ``before`` and ``[change_at, min(change_at + after_s, now)]``.

    Returns the outcome and the intervals before and after (for the chart).
    """
    after = Window(change_at, max(change_at + 1.0, min(change_at + after_s, now)))
    with SampleStore(store_path(state_dir)) as store:
        iv_before = link_intervals(store, link, before)
        iv_after = link_intervals(store, link, after, through_end=True)
    windows = (before.start, before.end, change_at, change_at + after_s)
    return compare(link.link_id, iv_before, iv_after, old, new, windows), iv_before, iv_after


def outcome_json(outcome: Outcome, now: float) -> dict[str, Any]:
    """The outcome as plain data (bit/s, unix seconds, shares 0..1), as of ``now``."""
    data = asdict(outcome)
    data["enough_after"] = outcome.enough_after
    data["available_at"] = outcome.available_at(now)
    for direction, item in zip(outcome.directions, data["directions"], strict=True):
        item["utilisation_before"], item["utilisation_after"] = direction.utilisation()
    return data


def _chart_labels(lang: str | None) -> dict[str, str]:
    _ = translator(lang)
    return {
        "title": _("{link}: before and after the change"), "change": _("change"),
        "up": _("upload"), "down": _("download"), "old": _("old cap"), "new": _("new cap"),
        "y": "Mbps", "x": _("time (WIB)"),
    }  # fmt: skip


def render_outcome_chart(
    outcome: Outcome, before: Intervals, after: Intervals, lang: str | None = None
) -> bytes:
    """PNG: both windows' rates on one time axis, the old and new caps, the change marked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    t = _chart_labels(lang)
    fig = Figure(figsize=(11.0, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    colours = {"down": "tab:blue", "up": "tab:orange"}
    for part in (before, after):
        if len(part) == 0:
            continue
        when = np.concatenate((part.start[:1], part.end)) / 86_400.0
        for name, bps in (("down", part.out_bps), ("up", part.in_bps)):
            label = t[name] if part is before else None
            ax.plot(when, np.concatenate(([np.nan], bps / 1e6)), lw=0.8, color=colours[name],
                    drawstyle="steps-pre", label=label)  # fmt: skip
    change_day = outcome.change_at / 86_400.0
    for d in outcome.directions:
        c = colours[d.direction]
        if d.old_cap_bps is not None:
            ax.hlines(d.old_cap_bps / 1e6, outcome.before_start / 86_400.0, change_day, colors=c,
                      linestyles=":", label=f"{t['old']} {t[d.direction]}")  # fmt: skip
        if d.new_cap_bps is not None:
            ax.hlines(d.new_cap_bps / 1e6, change_day, outcome.after_end / 86_400.0, colors=c,
                      linestyles="--", label=f"{t['new']} {t[d.direction]}")  # fmt: skip
    ax.axvline(change_day, color="black", lw=1.2, label=t["change"])
    ax.set_title(t["title"].format(link=outcome.link_id), fontsize=10)
    ax.set_ylabel(t["y"])
    ax.set_xlabel(t["x"])
    wib_time_axis(ax, (outcome.after_end - outcome.before_start) / 86_400.0, lang or current())
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=7, ncols=4)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def record_outcome(
    reg: Register,
    inventory: Inventory,
    state_dir: Path,
    case_id: str,
    after_s: float,
    folder: Path,
    lang: str | None = None,
) -> tuple[Outcome, dict[str, Any], list[Record]]:
    """Compute a case's outcome, write ``outcome.json`` and its chart in each language
    (``outcome-id.png``, ``outcome-en.png``; new names when earlier ones exist, since attached
    files are never rewritten) into ``folder``, and record it in the case (record ``outcome``,
    after step 8) with its figures. Returns the outcome, its data and the record."""
    from bwauto.analysis.sources import link_infos

    before, change_at, old, new, link_id = case_change(reg, case_id)
    links = {info.link_id: info for info in link_infos(inventory)}
    if link_id not in links:
        raise UsageError(f"{case_id}: link {link_id!r} is no longer in the inventory")
    now = time.time()
    result, iv_before, iv_after = outcome_of(
        state_dir, links[link_id], change_at, old, new, before, after_s, now
    )
    data = outcome_json(result, now)
    data_path = unused_path(folder / "outcome.json")  # an attached file is never rewritten
    atomic_write(data_path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    charts = []
    for chart_lang in LANGS:  # the report in either language shows the chart in its own
        chart = unused_path(folder / f"outcome-{chart_lang}.png")
        atomic_write(chart, render_outcome_chart(result, iv_before, iv_after, chart_lang))
        charts.append(chart)
    records = [reg.attach_outcome(case_id, data, [data_path, *charts])]
    return result, data, records


def case_change(
    reg: Register, case_id: str
) -> tuple[Window, float, dict[str, int | None], dict[str, int | None], str]:
    """The step-6 window, the change's time and rates and its link, from the case's records."""
    from bwauto.case.errors import StepOrderError

    state = reg.state(case_id)
    analysis, change = state.latest.get("analysis"), state.latest.get("change")
    if analysis is None:
        raise StepOrderError(one_of(
            f"{case_id}: langkah 6 belum dicatat: jalankan 'bwauto analyse --request {case_id}'",
            f"{case_id}: step 6 not recorded yet: run 'bwauto analyse --request {case_id}'",
        ))  # fmt: skip
    if change is None or not state.change_ok:
        raise StepOrderError(one_of(
            f"{case_id}: langkah 8 belum selesai: jalankan 'bwauto raise --request {case_id}'",
            f"{case_id}: step 8 not done yet: run 'bwauto raise --request {case_id}'",
        ))  # fmt: skip
    summary = analysis.data["summary"]
    before = Window(_ts(summary["window_start"]), _ts(summary["window_end"]))
    at = _ts(change.data.get("ended") or change.data["started"])
    return (
        before,
        at,
        _rates(change.data.get("rate_before")),
        _rates(change.data.get("rate_after")),
        str(change.data["link"]),
    )


def _ts(text: str) -> float:
    when = dt.datetime.fromisoformat(text)
    return (when if when.tzinfo else when.replace(tzinfo=WIB)).timestamp()


def _rates(value: Any) -> dict[str, int | None]:
    rates = value if isinstance(value, dict) else {}
    return {d: (int(rates[d]) if rates.get(d) is not None else None) for d in ("up", "down")}
