"""Playbook tasks after the raise: ``outcome`` (did it help? for the step-10 report) and
``forecast`` (which links and upstreams saturate next, for the Kasi's review).

``outcome`` is ``bwauto request outcome``: the request's link over ``after`` the change against
its step-6 window, attached to the case. ``forecast`` is ``bwauto forecast``: one ``link`` or
``all: true``, with ``csv``, ``xlsx`` (the "Prakiraan" sheet, added to an existing workbook such
as the review's) and ``chart_dir``. A dry-run computes and shows, and writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bwauto.i18n import _
from bwauto.playbooks.registry import TaskContext, TaskResult, task


class OutcomeParams(BaseModel):
    """Parameters of ``outcome``."""

    model_config = ConfigDict(extra="forbid")

    request: str
    after: str = "24h"
    lang: str = ""
    out_dir: Path | None = None
    by: str | None = None


class ForecastParams(BaseModel):
    """Parameters of ``forecast``: ``link`` or ``all: true``, the settings and the outputs."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    link: str | None = None
    every: bool = Field(default=False, alias="all")
    horizon: str = "90d"
    history: str = "90d"
    threshold: str = "80%"
    min_days: int = 14
    csv: Path | None = None
    xlsx: Path | None = None
    chart_dir: Path | None = None
    lang: str = ""

    @model_validator(mode="after")
    def _choice(self) -> ForecastParams:
        if self.every == (self.link is not None):
            raise ValueError("give either all: true or one link")
        return self


@task("outcome", OutcomeParams, "after step 8: the change's outcome, attached to the request")
def outcome_task(params: OutcomeParams, ctx: TaskContext) -> TaskResult:
    """Compare the link after the change with its step-6 window; attach the result."""
    from bwauto.analysis.outcome_run import case_change, record_outcome
    from bwauto.analysis.window import parse_days
    from bwauto.case.documents import case_dir
    from bwauto.case.register import Register
    from bwauto.inventory.loader import load_inventory

    after_s = parse_days(params.after, "after") * 86_400.0
    reg = Register.for_office(ctx.state_dir, ctx.inventory_dir, user=params.by)
    if ctx.dry_run:
        case_change(reg, params.request)  # names a missing step 6 or 8
        return TaskResult.would_change(
            _("{request}: the outcome would be attached").format(request=params.request)
        )
    folder = params.out_dir or case_dir(ctx.state_dir, params.request)
    result, data, _files = record_outcome(reg, load_inventory(ctx.inventory_dir), ctx.state_dir,
                               params.request, after_s, folder, params.lang or None)  # fmt: skip
    enough = "" if result.enough_after else " " + _("(not enough data after the change yet)")
    return TaskResult.changed(
        _("{request}: outcome attached").format(request=params.request) + enough, data
    )


@task("forecast", ForecastParams, "which links and upstreams saturate next (Theil–Sen)")
def forecast_task(params: ForecastParams, ctx: TaskContext) -> TaskResult:
    """Forecast the links' and upstreams' saturation; write the outputs asked for."""
    from bwauto.analysis.forecast_report import (
        machine_row,
        write_forecast_charts,
        write_forecast_csv,
        write_forecast_xlsx,
    )
    from bwauto.analysis.forecast_run import ForecastSettings, forecast_inventory
    from bwauto.analysis.window import parse_days
    from bwauto.inventory.loader import load_inventory
    from bwauto.rates import parse_share

    settings = ForecastSettings(
        history_days=parse_days(params.history, "history"),
        horizon_days=parse_days(params.horizon, "horizon"),
        threshold=parse_share(params.threshold, "threshold"), min_days=params.min_days,
    )  # fmt: skip
    links = None if params.every else [str(params.link)]
    result = forecast_inventory(load_inventory(ctx.inventory_dir), ctx.state_dir, links,
                                settings=settings)  # fmt: skip
    data: dict[str, Any] = {"rows": [machine_row(r) for r in result.rows]}
    crossing = [r for r in data["rows"] if r["status"] in ("already", "date")]
    for row in crossing:
        ctx.log(f"{row['subject']} {row['direction']}: {row['status']} {row['crossing_date']}")
    wanted = [p for p in (params.csv, params.xlsx, params.chart_dir) if p is not None]
    if ctx.dry_run or not wanted:
        summary = f"{len(crossing)} of {len(result.rows)} reach their limit within the horizon"
        if wanted:
            return TaskResult.would_change(f"would write {', '.join(map(str, wanted))}", data)
        return TaskResult.ok(summary, data)
    files: list[Path] = []
    if params.csv is not None:
        files.append(write_forecast_csv(result.rows, params.csv))
    if params.xlsx is not None:
        files.append(write_forecast_xlsx(result, params.xlsx, params.lang or None))
    if params.chart_dir is not None:
        files += write_forecast_charts(result, params.chart_dir, params.lang or None)
    data["files"] = [str(p) for p in files]
    return TaskResult.changed(f"forecast of {len(result.rows)} series, {len(files)} files", data)
