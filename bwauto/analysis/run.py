"""SOP step 6 from an inventory and a state dir: what ``bwauto analyse`` and the playbook task
``analyse`` both run.

``analyse_inventory`` builds the analysis' plain inputs from the inventory (every link, for the
upstream aggregates), reads the window and the request, and runs ``analyse.analyse`` on the
state dir's sample store. ``write_outputs`` writes the report for Kasi: CSV (dot decimals, or
the Indonesian-Excel dialect), XLSX and a PNG chart per reported link.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from bwauto.analysis.analyse import Analysis, analyse, write_charts
from bwauto.analysis.model import AnalysisSettings, RaiseRequest
from bwauto.analysis.sources import link_infos, upstream_infos
from bwauto.analysis.window import WIB, parse_window
from bwauto.errors import UsageError
from bwauto.inventory.models import Inventory
from bwauto.store.samples import SampleStore, store_path


def analyse_inventory(
    inventory: Inventory,
    state_dir: Path,
    link_ids: Sequence[str] | None = None,
    *,
    since: str | None = None,
    until: str | None = None,
    request_rate_bps: int | None = None,
    tz: tzinfo = WIB,
    now: float | None = None,
    settings: AnalysisSettings | None = None,
) -> Analysis:
    """Analyse ``link_ids`` (default: every link) over ``since``..``until``.

    Args:
        inventory: the loaded inventory.
        state_dir: holds the sample store.
        link_ids: the links to report; ``None`` for all.
        since: ISO 8601 or a relative span (``7d``); default: the last 7 days.
        until: ISO 8601 or relative; default: now.
        request_rate_bps: the OPD's requested rate: decide CAN/CANNOT (exactly one link).
        tz: the zone of times written without an offset.
        now: "now" in Unix seconds (default: the clock).
        settings: thresholds (default ``AnalysisSettings()``).

    Raises:
        UsageError: a request rate with other than one link; a bad window.
        AnalysisError: unknown link, no samples, every interval invalid.
        StoreError: the store is missing, corrupt or locked.
    """
    chosen = list(inventory.links) if link_ids is None else list(link_ids)
    request = None
    if request_rate_bps is not None:
        if len(chosen) != 1:
            raise UsageError("a request rate needs exactly one link")
        request = RaiseRequest(chosen[0], request_rate_bps)
    window = parse_window(since, until, now=time.time() if now is None else now, tz=tz)
    return analyse(
        store_path(state_dir),
        link_infos(inventory),
        upstream_infos(inventory),
        window,
        request,
        settings,
        select=chosen,
    )


@dataclass
class ReportFiles:
    """The files ``write_outputs`` wrote."""

    csv: Path | None = None
    xlsx: Path | None = None
    charts: list[Path] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        """Every file written: CSV, XLSX, then the charts."""
        return [p for p in (self.csv, self.xlsx) if p is not None] + self.charts


def write_outputs(
    result: Analysis,
    state_dir: Path,
    *,
    csv: Path | None = None,
    excel_id: bool = False,
    xlsx: Path | None = None,
    chart_dir: Path | None = None,
    agency: str = "",
) -> ReportFiles:
    """Write the report of ``result`` as CSV, XLSX and charts (each only when given a path).

    Args:
        result: the analysis.
        state_dir: holds the sample store the charts are drawn from.
        csv: the CSV file.
        excel_id: write the CSV for Excel in Indonesian (``;``, decimal comma, BOM).
        xlsx: the XLSX file.
        chart_dir: a folder for one PNG per reported link (``<link_id>.png``).
        agency: the office's name for the XLSX title block (``office.yaml``).

    The XLSX and the charts are in the current language (``bwauto.i18n``).
    """
    from bwauto.analysis.report import write_csv

    files = ReportFiles()
    if csv is not None:
        files.csv = write_csv(result.rows, csv, dialect="excel-id" if excel_id else "dot")
    if xlsx is not None:
        from bwauto.analysis.xlsx import write_xlsx  # openpyxl: only when asked

        files.xlsx = write_xlsx(result.rows, xlsx, agency=agency)
    if chart_dir is not None:
        with SampleStore(store_path(state_dir)) as store:
            files.charts = write_charts(store, result, chart_dir)
    return files


def after_raise_chart(
    inventory: Inventory, state_dir: Path, link_id: str, since: str, path: Path,
    lang: str | None = None,
) -> Path | None:  # fmt: skip
    """The chart of ``link_id`` from ``since`` (the raise, ISO 8601) to now, from the poller's
    samples, with the link's new committed rates; ``None`` when nothing was polled since."""
    from bwauto.analysis.analyse import link_intervals
    from bwauto.analysis.chart import write_chart
    from bwauto.errors import AnalysisError, StoreError
    from bwauto.i18n import translator

    try:
        result = analyse_inventory(inventory, state_dir, [link_id], since=since)
    except (AnalysisError, StoreError, UsageError):
        return None
    link = result.results[0]
    if link.row.samples == 0:
        return None
    with SampleStore(store_path(state_dir)) as store:
        intervals = link_intervals(store, link.link, result.window)
    title = translator(lang)("Use of link {link} after the raise").format(link=link_id)
    return write_chart(link.link, intervals, link.row, path, lang, title=title)
