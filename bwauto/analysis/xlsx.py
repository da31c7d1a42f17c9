"""The step-6 report as an Excel workbook (openpyxl).

One sheet, ``report``: row 1 holds the column names (the CSV's, ``report.COLUMNS``), row 2 their
units, data from row 3. Both header rows and the ``link_id`` column are frozen; numbers are
real numbers with a number format (Mbps ``0.000``, % ``0.00``), window bounds are Excel dates
in WIB (Excel has no time zones, so they are written as WIB wall-clock time), and columns are
sized to their content.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from bwauto.analysis.report import COLUMNS, Cell, ReportRow, format_cell
from bwauto.paths import atomic_write

SHEET = "report"
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
MAX_WIDTH = 80


def unit_of(column: str) -> str:
    """The unit shown under a column's name.

    Examples:
        >>> unit_of("in_p95_mbps"), unit_of("coverage_pct"), unit_of("window_end")
        ('Mbps', '%', 'WIB')
        >>> unit_of("committed_mbps")
        'Mbps (download)'
    """
    if column == "committed_mbps":
        return "Mbps (download)"
    if column.endswith("_mbps"):
        return "Mbps"
    if column.endswith("_pct"):
        return "%"
    if column.startswith("window_"):
        return "WIB"
    if column in ("samples", "invalid_intervals"):
        return "intervals"
    return ""


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
    if column in ("samples", "invalid_intervals"):
        return "0"
    if column.startswith("window_"):
        return DATE_FORMAT
    return None


def _cell_value(column: str, value: Cell) -> Cell | datetime:
    if column.startswith("window_") and isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=None)
    return value


def render_xlsx(rows: Sequence[ReportRow]) -> bytes:
    """The workbook as bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(list(COLUMNS))
    ws.append([unit_of(c) for c in COLUMNS])
    for row in rows:
        ws.append([_cell_value(c, getattr(row, c)) for c in COLUMNS])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
    for cell in ws[2]:
        cell.font, cell.fill = Font(italic=True), fill
    widths = [max(len(c), len(unit_of(c))) for c in COLUMNS]
    for col, column in enumerate(COLUMNS, start=1):
        fmt = number_format(column)
        for r, row in enumerate(rows, start=3):
            value = getattr(row, column)
            cell = ws.cell(row=r, column=col)
            if fmt is not None:
                cell.number_format = fmt
            shown = "2000-01-01 00:00:00" if column.startswith("window_") else format_cell(value)
            widths[col - 1] = max(widths[col - 1], len(shown))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(width + 2, MAX_WIDTH)
    ws.freeze_panes = "B3"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_xlsx(rows: Sequence[ReportRow], path: Path) -> Path:
    """Write the workbook atomically; returns ``path``."""
    atomic_write(path, render_xlsx(rows))
    return path
