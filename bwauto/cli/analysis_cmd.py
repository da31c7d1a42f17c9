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
from bwauto.i18n import _

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import tzinfo

    from bwauto.analysis.analyse import Analysis
    from bwauto.analysis.report import ReportRow
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
    typer.Option(
        "--request-rate",
        help="The rate asked (one --link): DOWN (download) or UP/DOWN; decides CAN, CANNOT or "
        "NOT ENOUGH DATA.",
    ),
]
CaseOpt = Annotated[
    str | None,
    typer.Option(
        "--request",
        help="A request (KB-2026-0001): analyse its link and rate, record SOP step 6 with the "
        "CSV, XLSX and chart attached.",
    ),
]
WIDE = 120
"""Below this many columns, tables are folded into blocks of lines (nothing is cut)."""
CsvOpt = Annotated[Path | None, typer.Option("--csv", help="Write the report as CSV.")]
ExcelIdOpt = Annotated[
    bool, typer.Option("--excel-id", help="CSV for Excel in Indonesian (; and decimal comma).")
]
XlsxOpt = Annotated[Path | None, typer.Option("--xlsx", help="Write the report as XLSX.")]
ChartOpt = Annotated[Path | None, typer.Option("--chart", help="Write a PNG per link here.")]


def chosen_links(
    inventory: Inventory, links: list[str], opd: str | None, every: bool
) -> list[Link]:
    if every or (not links and not opd):
        return list(inventory.links.values())
    from bwauto.change.plan import select_links  # templates and platforms: only when selecting

    return select_links(inventory, links, opd)


def _tz(text: str) -> tzinfo:
    """``+07:00`` -> a fixed-offset zone (named WIB, WITA or WIT for Indonesia's three).

    Examples:
        >>> _tz("+08:00").tzname(None)
        'WITA'
        >>> _tz("+25:00")
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: --tz '+25:00': not a UTC offset: write one from -12:00 to +14:00
    """
    import datetime as dt
    import re

    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text.strip())
    if not match:
        raise UsageError(f"--tz {text!r}: write the UTC offset as +07:00")
    hours, minutes = int(match.group(2)), int(match.group(3))
    if minutes >= 60 or hours * 60 + minutes > (14 if match.group(1) == "+" else 12) * 60:
        raise UsageError(f"--tz {text!r}: not a UTC offset: write one from -12:00 to +14:00")
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
    resolver = CredentialResolver.from_files(
        app.secrets_file, inventory.secrets_file, inventory.routers
    )
    targets = poll_targets(inventory, chosen_links(inventory, link, opd, every), resolver)
    app.state_dir.mkdir(parents=True, exist_ok=True)
    failed = False
    with SampleStore(store_path(app.state_dir), create=True) as store:
        for round_no in range(count):
            if round_no:
                time.sleep(interval)
            failed |= _poll_round(targets, store, concurrency)
    return 1 if failed else 0


def _poll_round(targets: list[PollTarget], store: SampleStore, concurrency: int) -> bool:
    from rich.markup import escape
    from rich.progress import Progress

    from bwauto.snmp.poller import poll_once
    from bwauto.store.records import Sample

    with Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task(_("polling"), total=len(targets))
        result = poll_once(
            targets,
            concurrency=concurrency,
            progress=lambda router, error: bar.advance(task),
            if_indexes=store.if_index_cache(),
        )
    new = store.append(
        Sample(s.link_id, s.ts, s.uptime_s, s.in_octets, s.out_octets, s.counter_bits)
        for s in result.samples
    )
    from bwauto.messages import localize

    for error in [*result.router_errors.values(), *result.link_errors.values()]:
        err_console.print(f"[red]{_('failed')}:[/] {escape(localize(str(error)))}", soft_wrap=True)
    console.print(
        _("polled {links} links in {seconds} s, {new} stored").format(
            links=len(result.samples), seconds=f"{result.elapsed_s:.1f}", new=new
        )
    )
    return not result.ok


ConflictOpt = Annotated[
    str | None,
    typer.Option(
        "--on-conflict",
        help="A sample stored with other counters: keep the stored one, or replace it "
        r"\[default: refuse the import and list them]",
    ),
]


@samples_app.command("import")
def import_samples(
    ctx: typer.Context,
    sources: Annotated[list[str], typer.Argument(
        help="CSV files (timestamp,link_id,in_octets,out_octets[,uptime_s][,counter_bits]); "
        "with --from prometheus|zabbix the server's URL; with --from rrd the RRD files")],
    kind: Annotated[str, typer.Option("--from", help="csv, prometheus, zabbix or rrd")] = "csv",
    link: LinkOpt = [],  # noqa: B006
    selector: Annotated[list[str], typer.Option(
        "--selector", help="Prometheus: LINK='{label=\"v\",...}'; Zabbix: LINK=HOST or "
        "LINK=ITEMID_IN,ITEMID_OUT (repeatable)")] = [],  # noqa: B006
    since: Annotated[str, typer.Option(help="ISO 8601 or 30d, 12h (sources)")] = "30d",
    until: UntilOpt = None,
    token_env: Annotated[str | None, typer.Option(
        "--token-env", help="Environment variable holding the API token")] = None,
    user: Annotated[str | None, typer.Option(help="Zabbix API user")] = None,
    password_env: Annotated[str | None, typer.Option(
        "--password-env", help="Environment variable holding the Zabbix password")] = None,
    tz: TzOpt = "+07:00", on_conflict: ConflictOpt = None,
) -> None:  # fmt: skip
    """Import counter history from CSV or a monitoring system; a bad input imports nothing."""
    from bwauto.importers.commands import SourceOptions, csv_paths, run_source, summary
    from bwauto.store.importer import import_files, undo_if_refused
    from bwauto.store.samples import SampleStore, store_path

    if on_conflict not in (None, "keep", "replace"):
        raise UsageError(f"--on-conflict {on_conflict!r}: choose keep or replace")
    zone = _tz(tz)
    app = app_context(ctx)
    inventory = app.inventory()
    path = store_path(app.state_dir)
    files = csv_paths(sources) if kind == "csv" else []
    opts = SourceOptions(kind, sources, link, selector, since, until, token_env, user,
                         password_env, zone)  # fmt: skip
    with undo_if_refused(app.state_dir, path, app.created_dirs):
        app.state_dir.mkdir(parents=True, exist_ok=True)
        with SampleStore(path, create=True) as store:
            if kind != "csv":
                for report in run_source(store, inventory, opts):
                    console.print(summary(report), soft_wrap=True)
                return
            result = import_files(store, files, set(inventory.links), tz=zone,
                                  on_conflict=on_conflict or "refuse")  # type: ignore[arg-type]  # fmt: skip
    what = ", ".join(str(f) for f in files)
    note = _(" (already imported)") if not result.added and not result.conflicts else ""
    if result.conflicts:
        verb = (_("kept the stored samples") if on_conflict == "keep"
                else _("replaced the stored ones"))  # fmt: skip
        note = _("; {n} samples differed from stored ones: {verb}").format(
            n=result.conflicts, verb=verb)  # fmt: skip
    said = _("{what}: {rows} rows read, {added} new samples imported{note}")
    console.print(said.format(what=what, rows=result.rows, added=result.added, note=note),
                  soft_wrap=True, markup=False)  # fmt: skip


def analyse(
    ctx: typer.Context, link: LinkOpt = [], opd: OpdOpt = None, every: AllOpt = False,  # noqa: B006
    since: SinceOpt = None, until: UntilOpt = None, request_rate: RequestOpt = None,
    csv: CsvOpt = None, excel_id: ExcelIdOpt = False, xlsx: XlsxOpt = None, chart: ChartOpt = None,
    as_json: JsonOption = False, tz: TzOpt = "+07:00", request: CaseOpt = None,
) -> int:  # fmt: skip
    """Analyse usage, capacity and availability (SOP step 6); decide a request: CAN (step 8),
    CANNOT (step 7) or NOT ENOUGH DATA. With --request, record step 6 in the case file."""
    from bwauto.analysis.run import analyse_inventory
    from bwauto.files import check_output_dir, check_output_path
    from bwauto.rates import parse_up_down

    zone = _tz(tz)
    for path, what, suffix in ((csv, "--csv", ""), (xlsx, "--xlsx", ".xlsx")):
        if path is not None:
            check_output_path(path, what, suffix)
    if chart is not None:
        check_output_dir(chart, "--chart")
    app = app_context(ctx)
    if request is not None:
        return _analyse_request(app, request, link, since, until, request_rate, csv, excel_id,
                                xlsx, chart, as_json)  # fmt: skip
    inventory = app.inventory()
    chosen = [x.id for x in chosen_links(inventory, link, opd, every)]
    if request_rate is not None and len(chosen) != 1:
        raise UsageError(_("--request-rate needs exactly one link (--link ID)"))
    up, down = parse_up_down(request_rate, "--request-rate") if request_rate else (None, None)
    result = analyse_inventory(inventory, app.state_dir, chosen, since=since, until=until,
                               request_rate_bps=down, request_up_bps=up, tz=zone)  # fmt: skip
    _write_outputs(app, result, csv, excel_id, xlsx, chart)
    if as_json:
        print_json([asdict(r) for r in result.rows])
        return 0
    if (csv or xlsx) and len(result.rows) > TABLE_MAX_ROWS:
        _show_summary(result)
        return 0
    _show(result, down is not None, up is None)
    return 0


def _analyse_request(
    app: AppContext, request: str, link: list[str], since: str | None, until: str | None,
    rate: str | None, csv: Path | None, excel_id: bool, xlsx: Path | None, chart: Path | None,
    as_json: bool,
) -> int:  # fmt: skip
    """``analyse --request ID``: the playbook's ``analyse`` task, as a command (step 6)."""
    from bwauto.analysis.report import ReportRow
    from bwauto.analysis.tasks import AnalyseParams, analyse_task
    from bwauto.case.register import Register
    from bwauto.playbooks.registry import TaskContext

    case_link = Register.in_state_dir(app.state_dir).get(request).link_id
    if link and link != [case_link]:
        raise UsageError(
            _("request {request} is for link {case_link!r}, not {link!r}").format(
                request=request, case_link=case_link, link=", ".join(link)
            )
        )
    params = AnalyseParams(link=case_link, request=request, request_rate=rate,
                           since=since or "7d", until=until, csv=csv, excel_id=excel_id,
                           xlsx=xlsx, chart_dir=chart)  # fmt: skip
    lines: list[str] = []
    ctx = TaskContext(False, app.inventory_dir, app.state_dir, log=lines.append)
    result = analyse_task(params, ctx)
    if as_json:
        print_json({"status": result.status, "message": result.message, **result.data})
    else:
        rows = [ReportRow(**r) for r in result.data["rows"]]
        _print_rows(rows, _("SOP step 6 analysis for {request}").format(request=request))
        for line in lines[len(rows) :]:
            console.print(line, soft_wrap=True, markup=False)
        out = console if result.status != "failed" else err_console
        out.print(result.message, soft_wrap=True, markup=False)
    return 1 if result.status == "failed" else 0


def _write_outputs(
    app: AppContext, result: Analysis, csv: Path | None, excel_id: bool, xlsx: Path | None,
    chart: Path | None,
) -> None:  # fmt: skip
    from bwauto.analysis.run import write_outputs
    from bwauto.case.office import load_office

    agency = load_office(app.inventory_dir).agency_full if xlsx is not None else ""
    files = write_outputs(result, app.state_dir, csv=csv, excel_id=excel_id, xlsx=xlsx,
                          chart_dir=chart, agency=agency)  # fmt: skip
    if files.csv is not None:
        err_console.print(_("CSV written: {path}").format(path=files.csv))
    if files.xlsx is not None:
        err_console.print(_("XLSX written: {path}").format(path=files.xlsx))
    if chart is not None:
        err_console.print(_("{n} charts written in {path}").format(n=len(files.charts), path=chart))


TABLE_MAX_ROWS = 50
"""With a report file written, more rows than this are summarised on the terminal (rendering
1,000 rows took longer than the whole analysis); the file has every row."""


def _show_summary(result: Analysis) -> None:
    from rich.table import Table

    from bwauto.analysis.window import format_ts

    span = f"{format_ts(result.window.start)} .. {format_ts(result.window.end)}"
    title = _("SOP step 6 analysis, {span}: {links} links, per upstream")
    table = Table(title=title.format(span=span, links=len(result.rows)))
    table.add_column(_("upstream"), overflow="fold")
    for header in (_("links"), _("capacity"), _("in p95"), _("out p95"), _("free"), _("oversub")):
        table.add_column(header, justify="right", overflow="fold")
    for uid, load in result.loads.items():
        table.add_row(
            uid, str(load.links), _mbps(load.capacity_bps), _mbps(load.agg_p95_in_bps),
            _mbps(load.agg_p95_out_bps), _mbps(load.free_bps), f"{load.oversubscription:.2f}x",
        )  # fmt: skip
    console.print(table)
    without = [r.link_id for r in result.rows if r.samples == 0]
    if without:
        console.print(
            _("{n} links without valid data: {links}").format(
                n=len(without), links=", ".join(without[:10])
            )
            + (" …" if len(without) > 10 else "")
        )
    console.print(_("every link's row is in the report file"))


def _mbps(bps: float | None) -> str:
    return "-" if bps is None else f"{bps / 1e6:,.1f} M"


def _show(result: Analysis, with_decision: bool, download_only: bool) -> None:
    from bwauto.analysis.tasks import decision_lines
    from bwauto.analysis.window import format_ts

    span = f"{format_ts(result.window.start)} .. {format_ts(result.window.end)}"
    _print_rows(result.rows, _("SOP step 6 analysis, {span}").format(span=span))
    if with_decision:
        if download_only:
            console.print(_("the requested rate is the download (give UP/DOWN for both)"))
        for line in decision_lines(result.results[0].decision):
            console.print(line, soft_wrap=True, markup=False)


def _print_rows(rows: Sequence[ReportRow], title: str) -> None:
    """The report as a table, or folded into blocks on a terminal narrower than ``WIDE``."""
    from bwauto.analysis.report import report_blocks, report_table

    if console.width >= WIDE:
        console.print(report_table(rows, title=title))
        return
    console.print(title, soft_wrap=True, markup=False)
    for line in report_blocks(rows):
        console.print(line, soft_wrap=True, markup=False)
