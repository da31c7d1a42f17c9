"""The saturation forecast as the Kasi reads it: terminal table, CSV, JSON, XLSX sheet
"Prakiraan", and a PNG per link or upstream with its daily p95 and the fitted trend.

CSV and JSON keep machine columns (``FORECAST_COLUMNS``); the table, the sheet and the charts
speak the chosen language (``bwauto.i18n``: Bahasa Indonesia by default).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from bwauto.analysis.forecast import ForecastRow, date_of
from bwauto.i18n import translator
from bwauto.paths import atomic_write

FORECAST_COLUMNS = (
    "kind", "subject", "direction", "limit_bps", "days", "p95_last_bps",
    "slope_bps_per_day", "status", "crossing_date", "earliest_date", "latest_date", "refused",
)  # fmt: skip


def _t(lang: str | None = None) -> dict[str, str]:
    """The labels of the table, the sheet and the charts in ``lang`` (default: current)."""
    _ = translator(lang)
    return {
        "title": _("Saturation forecast (daily p95, Theil–Sen trend)"),
        "kind": _("Kind"), "subject": _("Link/Upstream"), "direction": _("Direction"),
        "limit": _("Limit (Mbps)"), "days": _("Days of data"), "p95": _("Last p95 (Mbps)"),
        "slope": _("Trend (Mbps/week)"), "when": _("Crosses the limit"),
        "band": _("95 % band"), "link": _("link"), "upstream": _("upstream"),
        "up": _("upload"), "down": _("download"), "already": _("already above"),
        "not-within-horizon": _("not within the horizon"),
        "refused": _("no forecast: {days} day(s) of data, at least {needed} needed"),
        "daily": _("daily p95"), "trend": _("trend"), "limit_line": _("limit"),
        "ylabel": "Mbps", "date": _("date (WIB)"), "sheet": _("Forecast"),
    }  # fmt: skip


def machine_row(row: ForecastRow) -> dict[str, Any]:
    """One forecast row with the machine columns (rates in bit/s, dates ISO, WIB)."""
    cross = row.crossing
    return {
        "kind": row.kind,
        "subject": row.subject,
        "direction": row.direction,
        "limit_bps": round(row.limit_bps),
        "days": row.days,
        "p95_last_bps": None if row.p95_last_bps is None else round(row.p95_last_bps),
        "slope_bps_per_day": None if row.trend is None else round(row.trend.slope, 1),
        "status": "refused" if cross is None else cross.status,
        "crossing_date": _date(cross.day if cross else None),
        "earliest_date": _date(cross.earliest if cross else None),
        "latest_date": _date(cross.latest if cross else None),
        "refused": row.refused,
    }


def _date(day: float | None) -> str | None:
    return None if day is None else date_of(day)


def render_forecast_csv(rows: Sequence[ForecastRow]) -> str:
    """CSV text with ``FORECAST_COLUMNS`` (empty cell for none)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, FORECAST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in machine_row(row).items()})
    return out.getvalue()


def write_forecast_csv(rows: Sequence[ForecastRow], path: Path) -> Path:
    """Write ``render_forecast_csv`` atomically and return the path."""
    atomic_write(path, render_forecast_csv(rows))
    return path


def human_cells(row: ForecastRow, lang: str | None = None) -> list[str]:
    """The row's cells as the table and the sheet show them."""
    t = _t(lang)
    m = machine_row(row)
    slope = "" if row.trend is None else f"{row.trend.slope * 7 / 1e6:+.2f}"
    if row.crossing is None:
        when, band = t["refused"].format(days=row.days, needed=row.needed_days), ""
    elif row.crossing.status == "date":
        when = m["crossing_date"]
        band = f"{m['earliest_date'] or '?'} .. {m['latest_date'] or '>'}"
    else:
        when = t[row.crossing.status]
        band = f"{m['earliest_date']} .. {m['latest_date'] or '>'}" if m["earliest_date"] else ""
    return [t[row.kind], row.subject, t[row.direction], _mbps(row.limit_bps), str(row.days),
            _mbps(row.p95_last_bps), slope, when, band]  # fmt: skip


def _mbps(bps: float | None) -> str:
    return "" if bps is None else f"{bps / 1e6:.1f}"


def headers(lang: str | None = None) -> list[str]:
    """The column titles of the table and the sheet."""
    t = _t(lang)
    keys = ("kind", "subject", "direction", "limit", "days", "p95", "slope", "when", "band")
    return [t[k] for k in keys]


def forecast_table(rows: Sequence[ForecastRow], lang: str | None = None) -> Table:
    """A rich table that folds (never ellipsizes) on a narrow terminal."""
    table = Table(title=_t(lang)["title"])
    widest = max((len(row.subject) for row in rows), default=8)
    for i, title in enumerate(headers(lang)):
        if i == 1:  # ids are never broken or ellipsized
            table.add_column(title, no_wrap=True, min_width=widest)
        else:
            table.add_column(title, overflow="fold")
    for row in rows:
        table.add_row(*human_cells(row, lang))
    return table


def add_forecast_sheet(workbook: Any, rows: Sequence[ForecastRow], lang: str | None = None) -> Any:
    """Add the forecast sheet ("Prakiraan") to an openpyxl workbook (frozen header, filter)."""
    sheet = workbook.create_sheet(_t(lang)["sheet"])
    sheet.append([_t(lang)["title"]])
    sheet.append(headers(lang))
    for row in rows:
        sheet.append(human_cells(row, lang))
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:I{len(rows) + 2}"
    for column, width in zip("ABCDEFGHI", (10, 18, 10, 12, 10, 16, 16, 22, 26), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    return sheet


def write_forecast_xlsx(rows: Sequence[ForecastRow], path: Path, lang: str | None = None) -> Path:
    """The "Prakiraan" sheet in ``path``: added to the workbook there (replacing an older
    "Prakiraan"), or a new workbook with that sheet only."""
    from openpyxl import Workbook, load_workbook

    if path.exists():
        workbook = load_workbook(path)
        name = _t(lang)["sheet"]
        if name in workbook.sheetnames:
            workbook.remove(workbook[name])
        add_forecast_sheet(workbook, rows, lang)
    else:
        workbook = Workbook()
        default = workbook.active
        add_forecast_sheet(workbook, rows, lang)
        if default is not None:
            workbook.remove(default)
    out = io.BytesIO()
    workbook.save(out)
    atomic_write(path, out.getvalue())
    return path


def render_forecast_chart(
    subject: str,
    rows: Sequence[ForecastRow],
    daily: dict[tuple[str, str], Any],
    today: float,
    horizon_days: float,
    lang: str | None = None,
) -> bytes:
    """PNG bytes: each direction's daily p95 (points), its trend to the horizon, the 95 % band
    and the limit. The x axis is calendar dates (WIB days)."""
    import datetime as dt

    import matplotlib.dates as mdates
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    t = _t(lang)
    fig = Figure(figsize=(11.0, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    epoch = mdates.date2num(dt.datetime(1970, 1, 1))  # type: ignore[no-untyped-call]
    colours = {"down": "tab:blue", "up": "tab:orange"}
    for row in rows:
        colour, name = colours[row.direction], t[row.direction]
        series = daily.get((subject, row.direction))
        if series is not None and len(series):
            ax.plot(epoch + series.day, series.p95_bps / 1e6, "o", ms=3, color=colour,
                    label=f"{t['daily']} {name}")  # fmt: skip
        ax.axhline(row.limit_bps / 1e6, color=colour, ls=":", lw=1.2,
                   label=f"{t['limit_line']} {name} {row.limit_bps / 1e6:g} M")  # fmt: skip
        if row.trend is not None and series is not None and len(series):
            x = np.linspace(float(series.day[0]), today + horizon_days, 50)
            tr = row.trend
            ax.plot(epoch + x, (tr.intercept + tr.slope * x) / 1e6, "-", color=colour, lw=1.4,
                    label=f"{t['trend']} {name}")  # fmt: skip
            lo, hi = tr.intercept_lo + tr.slope_lo * x, tr.intercept_hi + tr.slope_hi * x
            ax.fill_between(epoch + x, np.minimum(lo, hi) / 1e6, np.maximum(lo, hi) / 1e6,
                            color=colour, alpha=0.12)  # fmt: skip
    ax.axvline(epoch + today, color="grey", lw=0.8)
    ax.set_title(f"{subject} — {t['title']}", fontsize=10)
    ax.set_ylabel(t["ylabel"])
    ax.set_xlabel(t["date"])
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d-%m-%Y"))  # type: ignore[no-untyped-call]
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=7, ncols=3)
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def write_forecast_charts(forecast: Any, out_dir: Path, lang: str | None = None) -> list[Path]:
    """A PNG per link or upstream of ``forecast`` (``<out_dir>/<subject>.forecast.png``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    subjects = list(dict.fromkeys(row.subject for row in forecast.rows))
    written = []
    for subject in subjects:
        rows = [r for r in forecast.rows if r.subject == subject]
        png = render_forecast_chart(subject, rows, forecast.daily, forecast.today,
                                    forecast.settings.horizon_days, lang)  # fmt: skip
        path = out_dir / f"{subject}.forecast.png"
        atomic_write(path, png)
        written.append(path)
    return written
