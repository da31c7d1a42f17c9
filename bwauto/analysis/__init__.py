"""SOP step 6: analyse a link's usage, its upstream's free capacity, and decide a raise.

Pure modules: ``counters`` (samples to rates), ``stats`` (per link), ``availability`` (per
upstream), ``decision`` (CAN / CANNOT), ``window`` (``--since`` / ``--until``). Output:
``report`` (rows, CSV, terminal table), ``xlsx`` (openpyxl) and ``chart`` (matplotlib), which
are imported only when used. ``analyse`` ties them together (its function ``analyse`` is not
re-exported here, so that ``bwauto.analysis.analyse`` stays the module).
"""

from __future__ import annotations

from bwauto.analysis.analyse import (
    Analysis,
    LinkResult,
    analyse_links,
    analyse_samples,
    link_intervals,
    write_charts,
)
from bwauto.analysis.model import AnalysisSettings, LinkInfo, RaiseRequest, UpstreamInfo
from bwauto.analysis.report import COLUMNS, ReportRow, report_table, write_csv
from bwauto.analysis.window import WIB, Window, parse_window

__all__ = [
    "COLUMNS",
    "WIB",
    "Analysis",
    "AnalysisSettings",
    "LinkInfo",
    "LinkResult",
    "RaiseRequest",
    "ReportRow",
    "UpstreamInfo",
    "Window",
    "analyse_links",
    "analyse_samples",
    "link_intervals",
    "parse_window",
    "report_table",
    "write_charts",
    "write_csv",
]
