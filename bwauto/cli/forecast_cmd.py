"""``bwauto forecast``: which links and upstreams saturate next (for the Kasi)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bwauto.analysis.forecast_run import Forecast

from bwauto.cli.analysis_cmd import AllOpt, LinkOpt, OpdOpt, chosen_links
from bwauto.cli.context import app_context
from bwauto.cli.output import JsonOption, console, err_console, print_json
from bwauto.errors import AnalysisError, UsageError
from bwauto.files import check_output_dir, check_output_path
from bwauto.rates import parse_share

HorizonOpt = Annotated[str, typer.Option("--horizon", help="How far ahead: 90d, 12w, ...")]
HistoryOpt = Annotated[str, typer.Option("--history", help="History the trend is fitted to.")]
ThresholdOpt = Annotated[
    str, typer.Option("--threshold", help="Share of the committed rate: 80% or 0.8.")
]
MinDaysOpt = Annotated[
    int, typer.Option("--min-days", help="Fewer days of history: no forecast (says why).")
]
CsvOpt = Annotated[Path | None, typer.Option("--csv", help="Write the forecast as CSV.")]
XlsxOpt = Annotated[Path | None, typer.Option("--xlsx", help="Write the 'Prakiraan' sheet.")]
ChartOpt = Annotated[Path | None, typer.Option("--chart", help="A PNG per link/upstream here.")]
UntilOpt = Annotated[
    str | None, typer.Option("--until", help=r"Forecast as of this time \[default: now].")
]


def forecast(
    ctx: typer.Context, link: LinkOpt = [], opd: OpdOpt = None, every: AllOpt = False,  # noqa: B006
    horizon: HorizonOpt = "90d", history: HistoryOpt = "90d", threshold: ThresholdOpt = "80%",
    min_days: MinDaysOpt = 14,
    csv: CsvOpt = None, xlsx: XlsxOpt = None, chart: ChartOpt = None,
    as_json: JsonOption = False, until: UntilOpt = None,
) -> int:  # fmt: skip
    """Forecast when each link's daily p95 reaches the threshold of its committed rate, and
    when each upstream's aggregate reaches its capacity (robust Theil–Sen trend)."""
    from bwauto.analysis.forecast_report import forecast_table, machine_row
    from bwauto.analysis.forecast_run import ForecastSettings, forecast_inventory
    from bwauto.analysis.window import parse_days, parse_time

    settings = ForecastSettings(
        history_days=parse_days(history, "--history"),
        horizon_days=parse_days(horizon, "--horizon"),
        threshold=parse_share(threshold), min_days=min_days,
    )  # fmt: skip
    for path, option, suffix in ((csv, "--csv", ""), (xlsx, "--xlsx", ".xlsx")):
        if path is not None:
            check_output_path(path, option, suffix)
    if chart is not None:
        check_output_dir(chart, "--chart")
    app = app_context(ctx)
    inventory = app.inventory()
    ids = [x.id for x in chosen_links(inventory, link, opd, every)]
    now = time.time() if until is None else parse_time(until, now=time.time(), what="--until")
    result = forecast_inventory(inventory, app.state_dir, ids, settings=settings, now=now)
    if all(row.refused for row in result.rows):
        first = result.rows[0]
        raise AnalysisError(
            f"{first.subject}: {first.refused}; poll the links longer or import their history "
            "(bwauto samples import)"
        )
    _write(result, csv, xlsx, chart)
    if as_json:
        print_json([machine_row(r) for r in result.rows])
    else:
        console.print(forecast_table(result.rows))
    return 0


def _write(result: Forecast, csv: Path | None, xlsx: Path | None, chart: Path | None) -> None:
    """The files asked for, each said in one line; a file system error is one line too."""
    from bwauto.analysis.forecast_report import (
        write_forecast_charts,
        write_forecast_csv,
        write_forecast_xlsx,
    )
    from bwauto.i18n import translator

    _ = translator()
    try:
        if csv is not None:
            err_console.print(
                _("CSV written: {path}").format(path=write_forecast_csv(result.rows, csv))
            )
        if xlsx is not None:
            err_console.print(
                _("XLSX written: {path}").format(path=write_forecast_xlsx(result, xlsx))
            )
        if chart is not None:
            charts = write_forecast_charts(result, chart)
            err_console.print(_("{n} charts written in {path}").format(n=len(charts), path=chart))
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or ''}: {exc.strerror or exc}") from exc
