"""The step-6 report as an Excel workbook for the Kepala Seksi (openpyxl), in one language.

Sheets: one with every link (``Semua link``), one per upstream (named by its id), and
``Keterangan``, which explains each column and the decision rule. A data sheet has a title
block (title, agency, window, generation time), then one header row whose names are in the
chosen language with their units (``Unduh p95 (Mbps)``), then a row per link. The header row
and the link column are frozen and filtered; utilisation at or above 80 % is coloured; it
prints on A4 landscape, one page wide, the header row repeated. Numbers are real numbers with
a number format; window bounds are Excel dates in WIB (Excel has no time zones). Decisions and
reasons are written in the chosen language. Each direction has its own columns
(``XLSX_COLUMNS``: download beside upload): the current rate, the p95 utilisation, the SATURATED
flag, the upstream's free capacity, the request and the recommendation. The CSV keeps the
machine columns (``report.COLUMNS``); ``Keterangan`` names them next to each header, and says
"(not in the CSV)" for the per-direction ones.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bwauto.analysis.report import COLUMNS, Cell, ReportRow
from bwauto.analysis.window import WIB
from bwauto.i18n import current, translator
from bwauto.paths import atomic_write

DATE_FORMAT = "yyyy-mm-dd hh:mm"
MAX_WIDTH = 60
HEADER_ROW = 6
"""Rows 1-4 are the title block, row 5 is empty, the header is row 6, data from row 7."""
HIGH_USE_PCT = 80
HIGH_USE_FILL = PatternFill("solid", fgColor="F8CBAD")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SHEET_NAME_MAX = 31

# Column → (header, unit, explanation); in English here, translated by the catalogue.
HEADERS: dict[str, tuple[str, str, str]] = {
    "link_id": ("Link", "", "The link's id in the inventory."),
    "opd": ("OPD", "", "The agency (OPD) the link serves."),
    "router": ("Router", "", "The router that shapes the link."),
    "interface": ("Interface", "", "The router interface of the link."),
    "upstream": ("Upstream", "", "The ISP uplink the link draws from."),
    "committed_mbps": ("Current bandwidth (download)", "Mbps",
                       "The link's current (committed) download bandwidth."),
    "window_start": ("Period start", "WIB", "Start of the observation period."),
    "window_end": ("Period end", "WIB", "End of the observation period."),
    "samples": ("Valid intervals", "", "Measurement intervals used (the direction with fewer)."),
    "invalid_intervals": ("Excluded intervals", "",
                          "Intervals left out (router restart, counter error)."),
    "coverage_pct": ("Data coverage", "%", "Share of the period covered by valid data."),
    "in_mean_mbps": ("Upload mean", "Mbps", "Mean use towards the internet (upload, router in)."),
    "in_p95_mbps": ("Upload p95", "Mbps",
                    "95th percentile of upload use: 95 % of the time the use is at or below it."),
    "in_max_mbps": ("Upload peak", "Mbps", "Highest upload use in one interval."),
    "out_mean_mbps": ("Download mean", "Mbps",
                      "Mean use from the internet (download, router out)."),
    "out_p95_mbps": ("Download p95", "Mbps", "95th percentile of download use."),
    "out_max_mbps": ("Download peak", "Mbps", "Highest download use in one interval."),
    "p95_utilisation_pct": ("Utilisation p95", "%",
                            "The larger of upload p95 / upload bandwidth and download p95 / "
                            "download bandwidth."),
    "upstream_capacity_mbps": ("Upstream capacity", "Mbps", "Capacity of the upstream."),
    "upstream_free_mbps": ("Upstream free", "Mbps",
                           "Capacity minus the upstream's total p95 use (the smaller direction)."),
    "requested_mbps": ("Requested (download)", "Mbps",
                       "The download bandwidth the OPD requests (empty: none)."),
    "decision": ("Decision", "", "Whether the request can be granted (see the rule below)."),
    "recommended_mbps": ("Recommended (larger direction)", "Mbps",
                         "The larger of the two directions' recommended bandwidths."),
    "reason": ("Reasons", "", "The findings behind the decision."),
    "source": ("Source", "",
               "Where the link's samples came from; coarse: averages over more than 5 minutes."),
    "resolution_s": ("Resolution", "s", "Seconds between the samples the analysis used."),
    "committed_up_mbps": ("Current bandwidth (upload)", "Mbps",
                          "The link's current (committed) upload bandwidth."),
    "down_utilisation_pct": ("Download utilisation p95", "%",
                             "Download p95 / current download bandwidth."),
    "up_utilisation_pct": ("Upload utilisation p95", "%",
                           "Upload p95 / current upload bandwidth."),
    "down_saturated": ("Download saturated", "",
                       "SATURATED when the download p95 reaches 95 % of its bandwidth."),
    "up_saturated": ("Upload saturated", "",
                     "SATURATED when the upload p95 reaches 95 % of its bandwidth; a saturated "
                     "direction the request does not raise is flagged in the reasons."),
    "upstream_free_down_mbps": ("Upstream free (download)", "Mbps",
                                "Capacity minus the upstream's total download p95 use."),
    "upstream_free_up_mbps": ("Upstream free (upload)", "Mbps",
                              "Capacity minus the upstream's total upload p95 use."),
    "requested_up_mbps": ("Requested (upload)", "Mbps",
                          "The upload bandwidth the OPD requests (empty: the upload stays)."),
    "recommended_down_mbps": ("Recommended (download)", "Mbps",
                              "The download bandwidth advised by the rule below (empty: not "
                              "enough data)."),
    "recommended_up_mbps": ("Recommended (upload)", "Mbps",
                            "The upload bandwidth advised by the rule below (empty: not enough "
                            "data)."),
}  # fmt: skip
XLSX_COLUMNS: tuple[str, ...] = (
    "link_id", "opd", "router", "interface", "upstream",
    "committed_mbps", "committed_up_mbps", "window_start", "window_end",
    "samples", "invalid_intervals", "coverage_pct",
    "out_mean_mbps", "out_p95_mbps", "out_max_mbps",
    "in_mean_mbps", "in_p95_mbps", "in_max_mbps",
    "down_utilisation_pct", "up_utilisation_pct", "p95_utilisation_pct",
    "down_saturated", "up_saturated",
    "upstream_capacity_mbps", "upstream_free_down_mbps", "upstream_free_up_mbps",
    "upstream_free_mbps",
    "requested_mbps", "requested_up_mbps", "decision",
    "recommended_down_mbps", "recommended_up_mbps", "recommended_mbps",
    "reason", "source", "resolution_s",
)  # fmt: skip
"""The workbook's columns: every CSV column and each direction's own, download beside upload."""
UTILISATION = ("down_utilisation_pct", "up_utilisation_pct", "p95_utilisation_pct")
"""The columns coloured at or above ``HIGH_USE_PCT``."""
RULE = (
    "Decision rule (SOP step 6):",
    "Each direction is judged on its own: a request can be granted when the data covers at "
    "least 80 % of the period, each direction the request raises uses at least 50 % of its "
    "bandwidth at p95, and the upstream has enough free capacity in that direction for the "
    "raise without being sold above its allowed ratio.",
    "Otherwise it cannot be granted (SOP step 7, reply letter), with the reasons listed.",
    "Below 80 % coverage the decision is NOT ENOUGH DATA: neither step 7 nor step 8 until the "
    "data is there.",
    "A direction whose p95 reaches 95 % of its bandwidth is SATURATED; when the request does not "
    "raise it, the reasons say so with the recommended bandwidth.",
    "Recommendation rule, per direction: none when the data is not enough; a saturated "
    "direction rises to the smallest step that keeps its p95 at or below 70 %; an underused one "
    "(p95 below 50 %) is advised the smallest such step up to its bandwidth; any other stays at "
    "its bandwidth; when the decision is CAN, a direction the request raises is advised at least "
    "the requested bandwidth.",
    "Upload = traffic from the OPD to the internet; download = from the internet to the OPD.",
    "Utilisation at or above 80 % is coloured.",
)
DECISIONS = {"CAN": "CAN be raised", "CANNOT": "CANNOT be raised",
             "NOT ENOUGH DATA": "NOT ENOUGH DATA to judge"}  # fmt: skip


def header(column: str, lang: str | None = None) -> str:
    """A column's header in ``lang`` with its unit.

    Examples:
        >>> header("out_p95_mbps", "id"), header("out_p95_mbps", "en")
        ('Unduh p95 (Mbps)', 'Download p95 (Mbps)')
        >>> header("window_end", "id")
        'Akhir periode (WIB)'
    """
    _ = translator(lang)
    name, unit, _explain = HEADERS[column]
    return f"{_(name)} ({unit})" if unit else _(name)


def number_format(column: str) -> str | None:
    """The Excel number format of a column, ``None`` for text.

    Examples:
        >>> number_format("out_max_mbps"), number_format("samples"), number_format("opd")
        ('0.000', '0', None)
    """
    if column.endswith("_mbps"):
        return "0.000"
    if column.endswith("_pct"):
        return "0.00"
    if column in ("samples", "invalid_intervals", "resolution_s"):
        return "0"
    if column.startswith("window_"):
        return DATE_FORMAT
    return None


def _cell_value(column: str, value: Cell, lang: str) -> Cell | dt.datetime:
    if column.startswith("window_") and isinstance(value, str):
        return dt.datetime.fromisoformat(value).astimezone(WIB).replace(tzinfo=None)
    if column == "decision" and value:
        return translator(lang)(DECISIONS.get(str(value), str(value)))
    if column.endswith("_saturated"):
        return translator(lang)("SATURATED") if value else ""
    if column == "reason" and value:
        from bwauto.case.documents.wording import reason_text

        return " ".join(reason_text(r.strip(), lang) for r in str(value).split("; "))
    return value


def render_xlsx(
    rows: Sequence[ReportRow],
    *,
    lang: str | None = None,
    agency: str = "",
    generated: dt.datetime | None = None,
) -> bytes:
    """The workbook as bytes.

    Args:
        rows: the report's rows.
        lang: ``id`` or ``en`` (default: the current language).
        agency: the office's name for the title block (``office.yaml``).
        generated: when the report was made (default: now).
    """
    lang = lang or current()
    _ = translator(lang)
    when = (generated or dt.datetime.now(dt.UTC)).astimezone(WIB)
    wb = Workbook()
    sheets: list[tuple[str, Sequence[ReportRow]]] = [(_("All links"), rows)]
    for upstream in sorted({r.upstream for r in rows}):
        sheets.append((upstream, [r for r in rows if r.upstream == upstream]))
    for index, (name, chosen) in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = _sheet_name(name)
        _title_block(ws, chosen or rows, lang, agency, when)
        _table(ws, chosen, lang)
        _print_setup(ws)
    _notes(wb.create_sheet(_("Notes")), lang)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    cleaned = "".join("-" if c in "[]:*?/\\" else c for c in name)
    return cleaned[:SHEET_NAME_MAX]


def _title_block(
    ws: Worksheet, rows: Sequence[ReportRow], lang: str, agency: str, when: dt.datetime
) -> None:
    _ = translator(lang)
    waktu = _wib_text
    ws["A1"] = _("Bandwidth use analysis (SOP step 6)")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = agency
    ws["A2"].font = Font(bold=True)
    if rows:
        period = _("Period: {start} to {end} WIB").format(
            start=waktu(rows[0].window_start), end=waktu(rows[0].window_end)
        )
        ws["A3"] = period
    ws["A4"] = _("Generated: {time} WIB").format(time=f"{when:%Y-%m-%d %H:%M}")


def _wib_text(value: str) -> str:
    return f"{dt.datetime.fromisoformat(value).astimezone(WIB):%Y-%m-%d %H:%M}"


def _table(ws: Worksheet, rows: Sequence[ReportRow], lang: str) -> None:
    headers = [header(c, lang) for c in XLSX_COLUMNS]
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=text)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [min(max(len(w) for w in h.split()) + 4, 22) for h in headers]
    for r, row in enumerate(rows, start=HEADER_ROW + 1):
        for col, column in enumerate(XLSX_COLUMNS, start=1):
            shown = _cell_value(column, getattr(row, column), lang)
            cell = ws.cell(row=r, column=col, value=shown)
            fmt = number_format(column)
            if fmt is not None:
                cell.number_format = fmt
            length = 16 if isinstance(shown, dt.datetime) else len(str(shown or ""))
            widths[col - 1] = max(widths[col - 1], min(length + 2, MAX_WIDTH))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    last = get_column_letter(len(XLSX_COLUMNS))
    end_row = HEADER_ROW + max(len(rows), 1)
    ws.freeze_panes = f"B{HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{end_row}"
    for column in UTILISATION:
        util = get_column_letter(XLSX_COLUMNS.index(column) + 1)
        ws.conditional_formatting.add(
            f"{util}{HEADER_ROW + 1}:{util}{end_row}",
            CellIsRule(operator="greaterThanOrEqual", formula=[str(HIGH_USE_PCT)],
                       fill=HIGH_USE_FILL),
        )  # fmt: skip


def _print_setup(ws: Worksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _notes(ws: Worksheet, lang: str) -> None:
    _: Callable[[str], str] = translator(lang)
    ws.append([_("Column"), _("CSV column"), _("Meaning")])
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    for column in XLSX_COLUMNS:
        csv_name = column if column in COLUMNS else _("(not in the CSV)")
        ws.append([header(column, lang), csv_name, _(HEADERS[column][2])])
    ws.append([])
    for line in RULE:
        ws.append([_(line)])
    ws.cell(row=ws.max_row - len(RULE) + 1, column=1).font = Font(bold=True)
    for letter, width in (("A", 32), ("B", 24), ("C", 90)):
        ws.column_dimensions[letter].width = width
    _print_setup(ws)


def write_xlsx(rows: Sequence[ReportRow], path: Path, **options: Any) -> Path:
    """Write the workbook atomically; returns ``path`` (``options``: see ``render_xlsx``)."""
    atomic_write(path, render_xlsx(rows, **options))
    return path
