"""``bwauto request outcome ID``: did the raise help? (after SOP step 8, for the step-10 report)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bwauto.cli.context import app_context
from bwauto.cli.output import JsonOption, console, print_json
from bwauto.cli.request_common import ById, OutDir, app, out_dir, recorded, register

if TYPE_CHECKING:
    from bwauto.analysis.outcome import Outcome

CaseId = Annotated[str, typer.Argument(metavar="ID", help="The request, e.g. KB-2026-0001.")]
AfterOpt = Annotated[str, typer.Option("--after", help="Window after the change: 24h, 7d, ...")]


@app.command("outcome")
def outcome(
    ctx: typer.Context, case_id: CaseId, after: AfterOpt = "24h", out: OutDir = None,
    by: ById = None, as_json: JsonOption = False,
) -> None:  # fmt: skip
    """After step 8: the link's usage since the change against the step-6 window, per
    direction (p95, mean, max, time at the cap, new rate used), with a chart; attached to the
    case for the step-10 report."""
    from bwauto.analysis.outcome_run import outcome_json, record_outcome
    from bwauto.analysis.window import parse_days

    after_s = parse_days(after, "--after") * 86_400.0
    reg = register(ctx, by)
    app = app_context(ctx)
    folder = out_dir(ctx, case_id, out)
    result, records = record_outcome(reg, app.inventory(), app.state_dir, case_id, after_s,
                                     folder)  # fmt: skip
    if not as_json:  # stdout is the JSON document then
        for rec in records:
            recorded(rec)
    if as_json:
        print_json(outcome_json(result))
        return
    _show(result)


def _labels() -> dict[str, str]:
    from bwauto.i18n import translator

    _ = translator()
    return {
        "dir": _("direction"), "up": _("upload"), "down": _("download"),
        "cap": _("cap (old → new)"), "p95": _("p95 (before → after)"), "mean": _("mean"),
        "max": _("max"), "at_cap": _("time at the cap"), "used": _("new rate used"),
        "yes": _("yes"), "no": _("no"), "na": "—",
        "title": _("Outcome of the change on {link}"),
        "missing": _("not enough data after the change yet ({pct} % of {span}); available "
                     "about {when}"),
    }  # fmt: skip


def _show(result: Outcome) -> None:
    from rich.table import Table

    from bwauto.analysis.window import format_ts

    t = _labels()
    table = Table(title=t["title"].format(link=result.link_id))
    for key in ("dir", "cap", "p95", "mean", "max", "at_cap", "used"):
        table.add_column(t[key], overflow="fold")
    for d in result.directions:
        table.add_row(
            t[d.direction], _pair(d.old_cap_bps, d.new_cap_bps, t),
            _pair(d.before.p95_bps, d.after.p95_bps, t),
            _pair(d.before.mean_bps, d.after.mean_bps, t),
            _pair(d.before.max_bps, d.after.max_bps, t),
            f"{_pct(d.at_cap_before, t)} → {_pct(d.at_cap_after, t)}",
            t["na"] if d.new_rate_used is None else t["yes" if d.new_rate_used else "no"],
        )  # fmt: skip
    console.print(table)
    if not result.enough_after:
        worst = min(d.after.coverage_pct for d in result.directions)
        span = f"{(result.after_end - result.change_at) / 3600:g} h"
        when = format_ts(result.available_at())
        text = t["missing"].format(pct=f"{worst:.0f}", span=span, when=when)
        console.print(text, soft_wrap=True)


def _pair(a: float | None, b: float | None, t: dict[str, str]) -> str:
    mbps = [t["na"] if v is None else f"{v / 1e6:.1f}" for v in (a, b)]
    return f"{mbps[0]} → {mbps[1]} Mbps"


def _pct(share: float | None, t: dict[str, str]) -> str:
    return t["na"] if share is None else f"{share:.0%}"
