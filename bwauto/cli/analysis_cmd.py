"""SOP step 6: ``bwauto poll``, ``bwauto samples import`` and ``bwauto analyse``."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bwauto.cli.context import AppContext, app_context
from bwauto.cli.output import JsonOption, console, err_console, print_json
from bwauto.errors import UsageError

if TYPE_CHECKING:
    from datetime import tzinfo

    from bwauto.analysis.analyse import Analysis
    from bwauto.inventory.models import Inventory, Link
    from bwauto.snmp.models import PollTarget
    from bwauto.store.samples import SampleStore

samples_app = typer.Typer(help="Counter samples: import history kept by another tool.")

LinkOpt = Annotated[list[str], typer.Option("--link", "-l", help="Link id (repeatable).")]
OpdOpt = Annotated[str | None, typer.Option("--opd", help="Every link of this OPD.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every link of the inventory.")]
TzOpt = Annotated[
    str, typer.Option("--tz", help="UTC offset of timestamps written without one (WIB).")
]
SinceOpt = Annotated[str | None, typer.Option(help=r"ISO 8601, or 7d, 30d, 12h \[default: 7d]")]
UntilOpt = Annotated[str | None, typer.Option(help=r"ISO 8601 or relative \[default: now]")]
RequestOpt = Annotated[
    str | None,
    typer.Option("--request-rate", help="The OPD's requested rate (one --link): CAN/CANNOT."),
]
CsvOpt = Annotated[Path | None, typer.Option("--csv", help="Write the report as CSV.")]
ExcelIdOpt = Annotated[
    bool, typer.Option("--excel-id", help="CSV for Excel in Indonesian (; and decimal comma).")
]
XlsxOpt = Annotated[Path | None, typer.Option("--xlsx", help="Write the report as XLSX.")]
ChartOpt = Annotated[Path | None, typer.Option("--chart", help="Write a PNG per link here.")]


def _chosen(inventory: Inventory, links: list[str], opd: str | None, every: bool) -> list[Link]:
    if every or (not links and not opd):
        return list(inventory.links.values())
    from bwauto.change.plan import select_links  # templates and platforms: only when selecting

    return select_links(inventory, links, opd)


def _tz(text: str) -> tzinfo:
    """``+07:00`` -> a fixed-offset zone (named WIB, WITA or WIT for Indonesia's three).

    Examples:
        >>> _tz("+08:00").tzname(None)
        'WITA'
    """
    import datetime as dt
    import re

    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text.strip())
    if not match:
        raise UsageError(f"--tz {text!r}: write the UTC offset as +07:00")
    sign = 1 if match.group(1) == "+" else -1
    offset = dt.timedelta(hours=int(match.group(2)), minutes=int(match.group(3))) * sign
    names = {7: "WIB", 8: "WITA", 9: "WIT"}
    name = names.get(int(offset.total_seconds() // 3600)) if offset.seconds % 3600 == 0 else None
    return dt.timezone(offset, name or text)


def poll(
    ctx: typer.Context, link: LinkOpt = [], opd: OpdOpt = None, every: AllOpt = False,  # noqa: B006
    count: Annotated[int, typer.Option("--count", min=1, help="Polling rounds.")] = 1,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between rounds.")] = 300,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1,
                                             help="Routers polled at the same time.")] = 32,
) -> int:  # fmt: skip
    """Poll the links' SNMP counters into the sample store (run it every 5 minutes)."""
    from bwauto.credentials import CredentialResolver
    from bwauto.snmp.targets import poll_targets
    from bwauto.store.samples import SampleStore, store_path

    app = app_context(ctx)
    inventory = app.inventory()
    resolver = CredentialResolver.from_files(app.secrets_file, inventory.secrets_file)
    targets = poll_targets(inventory, _chosen(inventory, link, opd, every), resolver)
    app.state_dir.mkdir(parents=True, exist_ok=True)
    failed = False
    with SampleStore(store_path(app.state_dir), create=True) as store:
        for round_no in range(count):
            if round_no:
                time.sleep(interval)
            failed |= _poll_round(targets, store, concurrency)
    return 1 if failed else 0


def _poll_round(targets: list[PollTarget], store: SampleStore, concurrency: int) -> bool:
    from rich.progress import Progress

    from bwauto.snmp.poller import poll_once
    from bwauto.store.records import Sample

    with Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("polling", total=len(targets))
        result = poll_once(
            targets, concurrency=concurrency, progress=lambda router, error: bar.advance(task)
        )
    new = store.append(
        Sample(s.link_id, s.ts, s.uptime_s, s.in_octets, s.out_octets, s.counter_bits)
        for s in result.samples
    )
    for error in [*result.router_errors.values(), *result.link_errors.values()]:
        err_console.print(f"[red]failed:[/] {error}", soft_wrap=True)
    console.print(f"polled {len(result.samples)} links in {result.elapsed_s:.1f} s, {new} stored")
    return not result.ok


@samples_app.command("import")
def import_samples(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV: timestamp,link_id,in_octets,out_octets"
                                         "[,uptime_s][,counter_bits]", exists=True)],
    tz: TzOpt = "+07:00",
) -> None:  # fmt: skip
    """Import counter history; a bad row refuses the whole file (line and reason)."""
    from bwauto.store.importer import import_history
    from bwauto.store.samples import SampleStore, store_path

    app = app_context(ctx)
    inventory = app.inventory()
    app.state_dir.mkdir(parents=True, exist_ok=True)
    with SampleStore(store_path(app.state_dir), create=True) as store:
        new = import_history(store, file, set(inventory.links), tz=_tz(tz))
    console.print(
        f"{file}: {new} new samples imported" + (" (already imported)" if not new else "")
    )


def analyse(
    ctx: typer.Context, link: LinkOpt = [], opd: OpdOpt = None, every: AllOpt = False,  # noqa: B006
    since: SinceOpt = None, until: UntilOpt = None, request_rate: RequestOpt = None,
    csv: CsvOpt = None, excel_id: ExcelIdOpt = False, xlsx: XlsxOpt = None, chart: ChartOpt = None,
    as_json: JsonOption = False, tz: TzOpt = "+07:00",
) -> None:  # fmt: skip
    """Analyse usage, capacity and availability (SOP step 6); decide a request (step 7 or 8)."""
    from bwauto.analysis.run import analyse_inventory
    from bwauto.rates import parse_rate

    app = app_context(ctx)
    inventory = app.inventory()
    chosen = [x.id for x in _chosen(inventory, link, opd, every)]
    if request_rate is not None and len(chosen) != 1:
        raise UsageError("--request-rate needs exactly one link (--link ID)")
    rate = parse_rate(request_rate) if request_rate is not None else None
    result = analyse_inventory(inventory, app.state_dir, chosen, since=since, until=until,
                               request_rate_bps=rate, tz=_tz(tz))  # fmt: skip
    _write_outputs(app, result, csv, excel_id, xlsx, chart)
    if as_json:
        print_json([asdict(r) for r in result.rows])
        return
    if (csv or xlsx) and len(result.rows) > TABLE_MAX_ROWS:
        _show_summary(result)
        return
    _show(result, rate is not None)


def _write_outputs(
    app: AppContext, result: Analysis, csv: Path | None, excel_id: bool, xlsx: Path | None,
    chart: Path | None,
) -> None:  # fmt: skip
    from bwauto.analysis.run import write_outputs

    files = write_outputs(result, app.state_dir, csv=csv, excel_id=excel_id, xlsx=xlsx,
                          chart_dir=chart)  # fmt: skip
    if files.csv is not None:
        err_console.print(f"CSV written: {files.csv}")
    if files.xlsx is not None:
        err_console.print(f"XLSX written: {files.xlsx}")
    if chart is not None:
        err_console.print(f"{len(files.charts)} charts written in {chart}")


TABLE_MAX_ROWS = 50
"""With a report file written, more rows than this are summarised on the terminal (rendering
1,000 rows took longer than the whole analysis); the file has every row."""


def _show_summary(result: Analysis) -> None:
    from rich.table import Table

    from bwauto.analysis.window import format_ts

    span = f"{format_ts(result.window.start)} .. {format_ts(result.window.end)}"
    table = Table(title=f"SOP step 6 analysis, {span}: {len(result.rows)} links, per upstream")
    for header in ("upstream", "links", "capacity", "in p95", "out p95", "free", "oversub"):
        table.add_column(header, justify="left" if header == "upstream" else "right")
    for uid, load in result.loads.items():
        table.add_row(
            uid, str(load.links), _mbps(load.capacity_bps), _mbps(load.agg_p95_in_bps),
            _mbps(load.agg_p95_out_bps), _mbps(load.free_bps), f"{load.oversubscription:.2f}x",
        )  # fmt: skip
    console.print(table)
    without = [r.link_id for r in result.rows if r.samples == 0]
    if without:
        console.print(f"{len(without)} links without valid data: {', '.join(without[:10])}"
                      + (" …" if len(without) > 10 else ""))  # fmt: skip
    console.print("every link's row is in the report file")


def _mbps(bps: float | None) -> str:
    return "-" if bps is None else f"{bps / 1e6:,.1f} M"


def _show(result: Analysis, with_decision: bool) -> None:
    from bwauto.analysis.report import report_table
    from bwauto.analysis.window import format_ts

    span = f"{format_ts(result.window.start)} .. {format_ts(result.window.end)}"
    console.print(report_table(result.rows, title=f"SOP step 6 analysis, {span}"))
    if with_decision:
        decision = result.results[0].decision
        step = decision.verdict.sop_step if decision.verdict else None
        console.print(f"decision: [bold]{decision.verdict}[/] (next: SOP step {step})")
        for reason in decision.reasons:
            console.print(f"  - {reason}", soft_wrap=True)
