"""The step-6 report: one row per link, as CSV (two dialects) and as a terminal table.

Columns, in this order (``COLUMNS``); rates in Mbps (10^6 bit/s):

* ``committed_mbps`` is the link's committed **download** rate (``down``, router egress): the
  figure OPDs buy and request. The upload rate only enters ``p95_utilisation_pct``, which is the
  larger of ``in p95 / up`` and ``out p95 / down``.
* ``window_start`` / ``window_end``: ISO 8601 in WIB with its offset.
* ``samples``: valid intervals (the direction with fewer); ``invalid_intervals``: intervals
  excluded in a direction for a reboot, clock mismatch, implausible counter or width change
  (gaps are not counted there: they lower ``coverage_pct``).
* ``upstream_free_mbps``: capacity - aggregate p95 of the upstream's links, the smaller
  direction; negative when the upstream is over-used.
* ``requested_mbps`` and ``decision`` (``CAN`` / ``CANNOT``) are empty unless a rate was
  requested for that link; ``reason`` lists ``CODE: text`` findings separated by ``; ``.
* ``source``: where the link's samples came from (``bwauto``: its polls and CSV imports, or
  the monitoring system imported, ``bwauto.store.sources``), marked ``(kasar)`` when they are
  averages (Zabbix trends, RRD archives): a p95 over hourly averages is not a 5-minute p95;
  one chosen among several sources says so and by which rule (``SourceInfo.label``).
  ``resolution_s``: the seconds between its samples (the link's polling interval for bwauto's).

Not CSV columns (``DIRECTION_FIELDS``, kept on the row for the XLSX, the JSON output and the
case file's letters): each direction on its own — ``committed_up_mbps``, ``up_/down_
utilisation_pct``, ``requested_up_mbps``, ``recommended_up_/down_mbps``, ``up_/down_saturated``
(p95 at or above ``saturated_pct`` of the rate) and ``upstream_free_up_/down_mbps``.

Two CSV dialects: ``"dot"`` (``,`` separator, ``.`` decimals, UTF-8, LF) for tools, and
``"excel-id"`` (``;`` separator, decimal comma, UTF-8 with BOM, CRLF), which Excel opens
correctly with Indonesian regional settings. Numbers have at most 3 decimals (Mbps) or 2 (%),
trailing zeros dropped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from rich.console import JustifyMethod
from rich.table import Table

from bwauto.analysis.availability import UpstreamLoad
from bwauto.analysis.decision import Decision
from bwauto.analysis.model import LinkInfo
from bwauto.analysis.sentences import code_labels, verdict
from bwauto.analysis.stats import DirectionStats, LinkStats, p95_utilisation
from bwauto.analysis.window import Window, format_ts
from bwauto.paths import atomic_write
from bwauto.store.sources import SourceInfo

Dialect = Literal["dot", "excel-id"]
Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One row of the report; the fields are the CSV columns, in order."""

    link_id: str
    opd: str
    router: str
    interface: str
    upstream: str
    committed_mbps: float
    window_start: str
    window_end: str
    samples: int
    invalid_intervals: int
    coverage_pct: float
    in_mean_mbps: float | None
    in_p95_mbps: float | None
    in_max_mbps: float | None
    out_mean_mbps: float | None
    out_p95_mbps: float | None
    out_max_mbps: float | None
    p95_utilisation_pct: float | None
    upstream_capacity_mbps: float
    upstream_free_mbps: float | None
    requested_mbps: float | None
    decision: str | None
    recommended_mbps: float | None
    reason: str
    source: str = ""
    resolution_s: float | None = None
    committed_up_mbps: float | None = None
    up_utilisation_pct: float | None = None
    down_utilisation_pct: float | None = None
    requested_up_mbps: float | None = None
    recommended_up_mbps: float | None = None
    recommended_down_mbps: float | None = None
    up_saturated: bool = False
    down_saturated: bool = False
    upstream_free_up_mbps: float | None = None
    upstream_free_down_mbps: float | None = None


DIRECTION_FIELDS = (
    "committed_up_mbps",
    "up_utilisation_pct",
    "down_utilisation_pct",
    "requested_up_mbps",
    "recommended_up_mbps",
    "recommended_down_mbps",
    "up_saturated",
    "down_saturated",
    "upstream_free_up_mbps",
    "upstream_free_down_mbps",
)
"""Each direction on its own (the XLSX and the letters show them; not CSV columns)."""
COLUMNS: tuple[str, ...] = tuple(
    f.name for f in fields(ReportRow) if f.name not in DIRECTION_FIELDS
)
"""The report's CSV columns, in order (the machine columns: they never change)."""

_DECIMALS = {name: (2 if name.endswith("_pct") else 3) for name in COLUMNS}


def _mbps(bps: float | None) -> float | None:
    return None if bps is None else bps / 1e6


def make_row(
    link: LinkInfo,
    stats: LinkStats | None,
    load: UpstreamLoad,
    decision: Decision,
    window: Window,
    request_bps: int | None,
    source: SourceInfo | None = None,
) -> ReportRow:
    """Assemble a link's row from its statistics, its upstream's load and its decision
    (``source``: where its samples came from, ``None`` when it has none)."""
    none = DirectionStats(0, 0, 0, 0.0, 0.0, None, None, None)
    inb, outb = (none, none) if stats is None else (stats.inbound, stats.outbound)
    util = (
        None
        if stats is None
        else p95_utilisation(stats, link.committed_up_bps, link.committed_down_bps)
    )
    return ReportRow(
        link_id=link.link_id,
        opd=link.opd,
        router=link.router,
        interface=link.interface,
        upstream=link.upstream,
        committed_mbps=link.committed_down_bps / 1e6,
        window_start=format_ts(window.start),
        window_end=format_ts(window.end),
        samples=0 if stats is None else stats.samples,
        invalid_intervals=0 if stats is None else stats.invalid,
        coverage_pct=0.0 if stats is None else stats.coverage_pct,
        in_mean_mbps=_mbps(inb.mean_bps),
        in_p95_mbps=_mbps(inb.p95_bps),
        in_max_mbps=_mbps(inb.max_bps),
        out_mean_mbps=_mbps(outb.mean_bps),
        out_p95_mbps=_mbps(outb.p95_bps),
        out_max_mbps=_mbps(outb.max_bps),
        p95_utilisation_pct=None if util is None else util * 100.0,
        upstream_capacity_mbps=load.capacity_bps / 1e6,
        upstream_free_mbps=_mbps(load.free_bps),
        requested_mbps=_mbps(request_bps),
        decision=None if decision.verdict is None else decision.verdict.value,
        recommended_mbps=_mbps(decision.recommended_bps),
        reason=decision.reason_text,
        source="" if source is None else source.label(),
        resolution_s=None if source is None else (source.step_s or link.poll_interval_s),
        **direction_cells(decision, load),
    )


def direction_cells(decision: Decision, load: UpstreamLoad) -> dict[str, Any]:
    """The ``DIRECTION_FIELDS`` of a row: each direction's rate, use, request, advice and
    saturation, and the upstream's free capacity per direction (Mbps, %)."""
    cells: dict[str, Any] = {
        "upstream_free_up_mbps": _mbps(load.free_in_bps),
        "upstream_free_down_mbps": _mbps(load.free_out_bps),
    }
    for d in decision.directions:
        key = "up" if d.direction == "upload" else "down"
        if key == "up":
            cells["committed_up_mbps"] = d.committed_bps / 1e6
            cells["requested_up_mbps"] = _mbps(d.requested_bps)
        cells[f"{key}_utilisation_pct"] = d.utilisation_pct
        cells[f"recommended_{key}_mbps"] = _mbps(d.recommended_bps)
        cells[f"{key}_saturated"] = d.saturated
    return cells


def format_cell(value: Cell, decimals: int = 3, dialect: Dialect = "dot") -> str:
    """One cell as text: empty for ``None``, at most ``decimals`` decimals, no trailing zeros.

    Examples:
        >>> format_cell(12.5), format_cell(100.0), format_cell(1/3), format_cell(None)
        ('12.5', '100', '0.333', '')
        >>> format_cell(12.5, dialect="excel-id"), format_cell(-0.0001)
        ('12,5', '0')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.replace(".", ",") if dialect == "excel-id" else text


def row_cells(row: ReportRow, dialect: Dialect = "dot") -> list[str]:
    """The row's cells as text, in ``COLUMNS`` order."""
    return [
        format_cell(getattr(row, name), _DECIMALS[name], dialect) for name in COLUMNS
    ]  # (``dataclasses.astuple`` deep-copies every field: it was most of writing a CSV)


def render_csv(rows: Sequence[ReportRow], dialect: Dialect = "dot") -> str:
    """The report as CSV text (the BOM of ``excel-id`` is added when writing)."""
    buffer = io.StringIO()
    if dialect == "excel-id":
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    else:
        writer = csv.writer(buffer, delimiter=",", lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(row_cells(row, dialect) for row in rows)
    return buffer.getvalue()


def write_csv(rows: Sequence[ReportRow], path: Path, dialect: Dialect = "dot") -> Path:
    """Write the report atomically (a reader sees the old file or the whole new one).

    Args:
        rows: the report rows.
        path: the CSV file to write.
        dialect: ``"dot"`` or ``"excel-id"`` (``;``, decimal comma, UTF-8 BOM, CRLF).

    Returns:
        ``path``.
    """
    text = render_csv(rows, dialect)
    data = ("\ufeff" + text if dialect == "excel-id" else text).encode("utf-8")
    atomic_write(path, data)
    return path


_TABLE_COLUMNS: tuple[tuple[str, JustifyMethod], ...] = (
    ("link", "left"), ("OPD", "left"), ("committed", "right"), ("coverage", "right"),
    ("in p95", "right"), ("out p95", "right"), ("p95 util", "right"),
    ("upstream free", "right"), ("requested", "right"), ("decision", "left"),
    ("recommended", "right"), ("reasons", "left"),
)  # fmt: skip


def report_table(rows: Sequence[ReportRow], title: str | None = None) -> Table:
    """A rich ``Table`` of the report for the terminal (the main columns, reasons as codes)."""
    from bwauto.i18n import _

    table = Table(title=title)
    for header, justify in _TABLE_COLUMNS:
        table.add_column(_(header), justify=justify, overflow="fold")
    for row in rows:
        table.add_row(
            row.link_id,
            row.opd,
            _with_unit(row.committed_mbps, " M"),
            _with_unit(row.coverage_pct, "%", 1),
            _with_unit(row.in_p95_mbps, " M", 1),
            _with_unit(row.out_p95_mbps, " M", 1),
            _with_unit(row.p95_utilisation_pct, "%", 1),
            _with_unit(row.upstream_free_mbps, " M", 1),
            _with_unit(row.requested_mbps, " M"),
            _verdict(row.decision),
            _with_unit(row.recommended_mbps, " M"),
            code_labels(row.reason),
        )
    return table


def report_blocks(rows: Sequence[ReportRow]) -> list[str]:
    """The report folded for a narrow terminal: one block of ``name: value`` lines per link,
    nothing cut, ids whole (what ``report_table`` shows, in the same order)."""
    from bwauto.i18n import _

    lines: list[str] = []
    for row in rows:
        reasons = code_labels(row.reason)
        lines += [
            f"{row.link_id} ({row.opd})",
            "  " + _("committed {committed}, coverage {coverage}").format(
                committed=_with_unit(row.committed_mbps, " M"),
                coverage=_with_unit(row.coverage_pct, "%", 1)),
            "  " + _("p95 in {inbound}, out {outbound}, util {util}").format(
                inbound=_with_unit(row.in_p95_mbps, " M", 1),
                outbound=_with_unit(row.out_p95_mbps, " M", 1),
                util=_with_unit(row.p95_utilisation_pct, "%", 1)),
            "  " + _("upstream {upstream}: free {free}").format(
                upstream=row.upstream, free=_with_unit(row.upstream_free_mbps, " M", 1)),
        ]  # fmt: skip
        if row.decision is not None:
            lines.append("  " + _("requested {requested}: {decision}; recommended {recommended}")
                         .format(requested=_with_unit(row.requested_mbps, " M"),
                                 decision=verdict(row.decision),
                                 recommended=_with_unit(row.recommended_mbps, " M")))  # fmt: skip
        if reasons:
            lines.append("  " + _("reasons: {reasons}").format(reasons=reasons))
    return lines


def _with_unit(value: float | None, unit: str, decimals: int = 3) -> str:
    return "-" if value is None else format_cell(value, decimals) + unit


def _verdict(decision: str | None) -> str:
    if decision is None:
        return "-"
    colour = {"CAN": "green", "CANNOT": "red"}.get(decision, "yellow")
    return f"[{colour}]{verdict(decision)}[/]"
