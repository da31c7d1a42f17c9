"""Playbook tasks of SOP steps 6–8: ``analyse``, ``decide`` and ``poll``.

``analyse`` is ``bwauto analyse``: one ``link`` (optionally with the OPD's ``request_rate``)
or ``all: true``, over ``since``..``until``, with the report for Kasi as ``csv`` / ``xlsx`` /
``chart_dir``. With ``request`` (one link, the request's), the SOP's order is checked first
(step 5 done, no decision yet), the rate defaults to the one requested, and the link's report
row is attached to the request with the CSV, XLSX and chart (written into
``<state_dir>/cases/<request>/analisa[-N]/`` unless paths are given): SOP step 6.

``decide`` records the request's decision from its attached analysis: CAN (step 8) or CANNOT
(step 7) — or, with ``decision`` and a ``note``, against it. It returns ``data.decision``
(``"CAN"`` / ``"CANNOT"``) for the playbook's ``when``; in a dry-run, where the analysis was not
attached, it runs the analysis again with ``since`` and ``rate`` (default: the request's) to
say what the decision would be, and records nothing.

``poll`` is ``bwauto poll`` for one link, a few rounds a few seconds apart.

A dry-run writes no file and records nothing: it shows the figures and what would be written.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bwauto.analysis.sentences import CODE_LABELS, localize, verdict
from bwauto.analysis.sentences import verdict as _verdict  # decide_task names a local verdict
from bwauto.errors import UsageError
from bwauto.i18n import _
from bwauto.playbooks.registry import TaskContext, TaskResult, task
from bwauto.rates import parse_up_down

if TYPE_CHECKING:
    from bwauto.analysis.analyse import Analysis
    from bwauto.analysis.decision import Decision
    from bwauto.analysis.report import ReportRow
    from bwauto.analysis.run import ReportFiles
    from bwauto.case.records import Record
    from bwauto.case.register import Register
    from bwauto.inventory.models import Inventory


def _rate(value: str | None) -> str | None:
    if value is not None:
        parse_up_down(value)  # a RateError (ValueError) refuses the playbook before it runs
    return value


class AnalyseParams(BaseModel):
    """Parameters of ``analyse``: ``link`` or ``all: true``, and what to do with the result."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    link: str | None = None
    every: bool = Field(default=False, alias="all")
    request_rate: str | None = None
    request: str | None = None
    since: str = "7d"
    until: str | None = None
    csv: Path | None = None
    excel_id: bool = False
    xlsx: Path | None = None
    chart_dir: Path | None = None
    by: str | None = None

    _rate_ok = field_validator("request_rate")(_rate)

    @model_validator(mode="after")
    def _choice(self) -> AnalyseParams:
        if self.every == (self.link is not None):
            raise ValueError("give either all: true or one link")
        if self.every and (self.request or self.request_rate):
            raise ValueError("request and request_rate are for one link, not all: true")
        return self


class DecideParams(BaseModel):
    """Parameters of ``decide``."""

    model_config = ConfigDict(extra="forbid")

    request: str
    note: str = ""
    decision: Literal["CAN", "CANNOT"] | None = None
    since: str = "7d"
    rate: str | None = None
    by: str | None = None

    _rate_ok = field_validator("rate")(_rate)


def _load(ctx: TaskContext) -> Inventory:
    from bwauto.inventory.loader import load_inventory

    return load_inventory(ctx.inventory_dir)


def requested_rate(reg: Register, case_id: str) -> int:
    """The download rate a request asks for: the completeness form's (step 5), else the
    letter's."""
    return reg.requested(case_id)[1]


def decision_lines(decision: Decision) -> list[str]:
    """The verdict, what follows it, each direction, and every reason: one line each."""
    from bwauto.analysis.decision import Verdict, mbps

    lines = []
    if decision.verdict is not None:
        nxt = {Verdict.CAN: _("next: SOP step 8, raise it"),
               Verdict.CANNOT: _("next: SOP step 7, reply letter"),
               Verdict.NOT_ENOUGH_DATA: _("neither step 7 nor 8: get the data, then analyse "
                                          "again"),
               }[decision.verdict]  # fmt: skip
        lines.append(_("decision: {decision} ({next})").format(
            decision=verdict(decision.verdict.value), next=nxt))  # fmt: skip
    for d in decision.directions:
        use = _("no data") if d.p95_bps is None else _("p95 {p95} of {committed} ({util}%)").format(
            p95=mbps(d.p95_bps), committed=mbps(d.committed_bps), util=f"{d.utilisation_pct:.1f}"
        )  # fmt: skip
        asked = (_("requested {rate}").format(rate=mbps(d.requested_bps)) if d.requested_bps
                 else _("not requested"))  # fmt: skip
        advice = (_("recommended {rate}").format(rate=mbps(d.recommended_bps))
                  if d.recommended_bps else _("no advice"))  # fmt: skip
        if d.recommended_bps == d.committed_bps and not d.raised:
            advice = _("recommended to stay at {rate}").format(rate=mbps(d.committed_bps))
        flag = ", " + _("SATURATED") if d.saturated else ""
        lines.append(f"  {_(d.direction)}: {use}{flag}; {asked}; {advice}")
    lines += [f"  - {_(CODE_LABELS.get(r.code.value, r.code.value))}: {localize(r.text)}"
              for r in decision.reasons]  # fmt: skip
    return lines


def _summary(row: ReportRow, decision: Decision, up: int | None) -> dict[str, Any]:
    """The report row, with what the request asked of the upload and each direction."""
    summary = dataclasses.asdict(row)
    summary["requested_up_mbps"] = None if up is None else up / 1e6
    summary["directions"] = [
        {"direction": d.direction, "committed_mbps": d.committed_bps / 1e6,
         "p95_mbps": None if d.p95_bps is None else d.p95_bps / 1e6,
         "requested_mbps": None if d.requested_bps is None else d.requested_bps / 1e6,
         "recommended_mbps": None if d.recommended_bps is None else d.recommended_bps / 1e6,
         "saturated": d.saturated}
        for d in decision.directions
    ]  # fmt: skip
    return summary


@task("analyse", AnalyseParams, "SOP step 6: analyse usage, capacity and availability")
def analyse_task(params: AnalyseParams, ctx: TaskContext) -> TaskResult:
    """Analyse one link or all; with ``request``, attach the link's analysis to it.

    NOT ENOUGH DATA is not attached: step 6 waits for the data, and the step fails saying so.
    """
    from bwauto.analysis.decision import Verdict
    from bwauto.analysis.run import analyse_inventory

    inventory = _load(ctx)
    up, down = parse_up_down(params.request_rate) if params.request_rate else (None, None)
    reg = None
    if params.request is not None:
        reg = _checked_request(ctx, params.request, str(params.link))
        if down is None:
            up, down = reg.requested(params.request)
    links = None if params.every else [str(params.link)]
    result = analyse_inventory(inventory, ctx.state_dir, links, since=params.since,
                               until=params.until, request_rate_bps=down,
                               request_up_bps=up)  # fmt: skip
    for row in result.rows:
        ctx.log(_describe(row))
    data: dict[str, Any] = {"rows": [dataclasses.asdict(r) for r in result.rows]}
    decision = result.results[0].decision if down is not None else None
    if decision is not None:
        data["decision"] = result.rows[0].decision
        data["recommended"] = decision.recommended
        for line in decision_lines(decision):
            ctx.log(line)
    if ctx.dry_run:
        return _dry_run_result(params, result, data)
    if params.request is not None and decision and decision.verdict is Verdict.NOT_ENOUGH_DATA:
        return TaskResult.failed(_(
            "{request}: NOT ENOUGH DATA to judge {link}, step 6 not recorded: {reason}; then "
            "run the analysis again").format(request=params.request, link=params.link,
                                             reason=localize(decision.reasons[0].text)), data
        )  # fmt: skip
    staging = _staging(ctx.state_dir, params.request)
    try:
        files = _write(params, result, ctx, staging)
        summary = _summary(result.rows[0], decision, up) if decision is not None else None
        files, rec = _put_in_place(params, reg, files, staging, summary)
        staging = None
    finally:
        if staging is not None:  # interrupted or refused: nothing half-attached stays behind
            shutil.rmtree(staging, ignore_errors=True)
    data["files"] = [str(p) for p in files.paths]
    for path in files.paths:
        ctx.log(_("wrote {path}").format(path=path))
    if rec is not None:
        data["record"] = rec.seq
        return TaskResult.changed(_(
            "{request}: analysis of {link} attached (step 6): {decision}").format(
                request=params.request, link=params.link, decision=verdict(data["decision"])),
            data,
        )  # fmt: skip
    return TaskResult.ok(_("{links} links analysed, {files} files").format(
        links=len(result.rows), files=len(files.paths)), data)  # fmt: skip


def _checked_request(ctx: TaskContext, request: str, link: str) -> Register:
    from bwauto.case.register import Register

    reg = Register.for_office(ctx.state_dir, ctx.inventory_dir)
    case = reg.get(request)
    if case.link_id != link:
        raise UsageError(f"request {request} is for link {case.link_id!r}, not {link!r}")
    reg.check(request, "analysis", 6, {})
    return reg


def _describe(row: ReportRow) -> str:
    def num(value: float | None, unit: str = "") -> str:
        return "-" if value is None else f"{value:.1f}{unit}"

    text = _(
        "{link}: p95 in/out {inbound}/{outbound} Mbps, {util} of {committed} Mbps; coverage "
        "{coverage}; upstream {upstream} free {free} Mbps").format(
            link=row.link_id, inbound=num(row.in_p95_mbps), outbound=num(row.out_p95_mbps),
            util=num(row.p95_utilisation_pct, " %"), committed=num(row.committed_mbps),
            coverage=num(row.coverage_pct, " %"), upstream=row.upstream,
            free=num(row.upstream_free_mbps),
    )  # fmt: skip
    if row.decision:  # the reasons follow, one per line (``decision_lines``)
        text += "; " + _("requested {rate} Mbps: {decision}").format(
            rate=num(row.requested_mbps), decision=verdict(row.decision)
        )
    return text


def _staging(state_dir: Path, request: str | None) -> Path | None:
    """For a request, a hidden folder in its case folder where the files are written first
    (``.analisa-<pid>-<random>``, at the state dir's umask; those of dead processes are
    removed); ``None`` without a request."""
    from bwauto.case.documents import case_dir

    if request is None:
        return None
    folder = case_dir(state_dir, request)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(".analisa-*-*"):  # left by a killed run (SIGKILL, power cut)
        if not _running(stale.name.split("-")[1]):
            shutil.rmtree(stale, ignore_errors=True)
    staging = folder / f".analisa-{os.getpid()}-{secrets.token_hex(6)}"
    staging.mkdir()
    return staging


def _running(pid: str) -> bool:
    """Whether process ``pid`` (a staging folder's writer) still runs."""
    if not pid.isdigit():
        return True  # not ours to remove
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _put_in_place(
    params: AnalyseParams, reg: Register | None, files: ReportFiles, staging: Path | None,
    summary: dict[str, Any] | None,
) -> tuple[ReportFiles, Record | None]:  # fmt: skip
    """Move the staged files to ``analisa[-N]`` and record them, as one step that SIGINT and
    SIGTERM cannot split (``deferred_signals``): refused, they go back to ``staging``, so an
    ``analisa`` folder always holds files a record attached (nothing half-done, no
    ``analisa-2`` after an interrupted run)."""
    from bwauto.case.documents import unused_path
    from bwauto.case.journal import deferred_signals

    if staging is None or params.request is None:
        return files, None
    with deferred_signals():
        final = unused_path(staging.parent / "analisa")
        staging.rename(final)
        moved = _moved(files, staging, final)
        if reg is None or summary is None:
            return moved, None
        try:
            rec = reg.attach_analysis(params.request, summary, moved.paths, by=params.by)
        except BaseException:
            final.rename(staging)
            raise
    return moved, rec


def _moved(files: ReportFiles, old: Path, new: Path) -> ReportFiles:
    """``files`` with those under ``old`` now under ``new``."""
    from bwauto.analysis.run import ReportFiles

    def move(path: Path) -> Path:
        return new / path.relative_to(old) if path.is_relative_to(old) else path

    return ReportFiles(csv=move(files.csv) if files.csv else None,
                       xlsx=move(files.xlsx) if files.xlsx else None,
                       charts=[move(p) for p in files.charts])  # fmt: skip


def _write(
    params: AnalyseParams, result: Analysis, ctx: TaskContext, folder: Path | None
) -> ReportFiles:
    """The report files: the paths given, and for a request the rest in ``folder``."""
    from bwauto.analysis.run import write_outputs

    csv, xlsx, charts = params.csv, params.xlsx, params.chart_dir
    if folder is not None:
        csv = csv or folder / f"analisa-{params.link}.csv"
        xlsx = xlsx or folder / f"analisa-{params.link}.xlsx"
        charts = charts or folder
    from bwauto.case.office import load_office

    agency = load_office(ctx.inventory_dir).agency_full
    return write_outputs(result, ctx.state_dir, csv=csv, excel_id=params.excel_id, xlsx=xlsx,
                         chart_dir=charts, agency=agency)  # fmt: skip


def _dry_run_result(params: AnalyseParams, result: Analysis, data: dict[str, Any]) -> TaskResult:
    wanted = [str(p) for p in (params.csv, params.xlsx, params.chart_dir) if p is not None]
    if params.request is not None:
        said = f": {verdict(data['decision'])}" if data.get("decision") else ""
        return TaskResult.would_change(_(
            "{request}: the analysis of {link} would be attached").format(
                request=params.request, link=params.link) + said, data)  # fmt: skip
    if wanted:
        return TaskResult.would_change(
            _("would write {files}").format(files=", ".join(wanted)), data
        )
    return TaskResult.ok(_("{links} links analysed").format(links=len(result.rows)), data)


@task("decide", DecideParams, "SOP step 7/8: record CAN or CANNOT for a request")
def decide_task(params: DecideParams, ctx: TaskContext) -> TaskResult:
    """Record the decision of a request (step 7 or 8); ``data.decision`` is CAN or CANNOT."""
    from bwauto.case.errors import CaseError
    from bwauto.case.register import Register
    from bwauto.case.steps import step

    reg = Register.for_office(ctx.state_dir, ctx.inventory_dir)
    analysis = reg.state(params.request).latest.get("analysis")
    if analysis is None and not ctx.dry_run:
        reg.check(params.request, "decision", 8, {})  # names the missing step 6
    said = analysis.data["summary"].get("decision") if analysis else _fresh(params, reg, ctx)
    verdict = params.decision or said
    if verdict is None:
        raise CaseError(
            _("the analysis of {request} has no decision: analyse it with its request rate").format(
                request=params.request
            )
        )
    if verdict == "NOT ENOUGH DATA":
        data = {"request": params.request, "decision": verdict, "step": None, "analysis": said}
        if ctx.dry_run:
            return TaskResult.ok(
                _("{request}: NOT ENOUGH DATA: nothing to decide").format(request=params.request),
                data,
            )
        raise CaseError(
            _(
                "{request}: the analysis says NOT ENOUGH DATA: nothing can be decided; get the "
                "data, then: bwauto analyse --request {request}"
            ).format(request=params.request)
        )
    number = 8 if verdict == "CAN" else 7
    data = {"request": params.request, "decision": verdict, "step": number, "analysis": said}
    from bwauto.i18n import current

    label = step(number).label("en" if current() == "en" else "id")
    said = f"{params.request}: {_verdict(verdict)}, {label}"
    if ctx.dry_run:
        if analysis is not None:
            reg.check(params.request, "decision", number, {})
        return TaskResult.would_change(f"{said} (dry-run)", data)
    reg.decide(params.request, can=verdict == "CAN", note=params.note, by=params.by)
    return TaskResult.changed(said, data)


def _fresh(params: DecideParams, reg: Register, ctx: TaskContext) -> str | None:
    """The decision the analysis would give now (a dry-run, with no analysis attached)."""
    from bwauto.analysis.run import analyse_inventory

    link = reg.get(params.request).link_id
    up, down = parse_up_down(params.rate) if params.rate else reg.requested(params.request)
    result = analyse_inventory(_load(ctx), ctx.state_dir, [link], since=params.since,
                               request_rate_bps=down, request_up_bps=up)  # fmt: skip
    return result.rows[0].decision


class PollParams(BaseModel):
    """Parameters of ``poll``: one link, ``rounds`` polls ``interval_s`` apart."""

    model_config = ConfigDict(extra="forbid")

    link: str
    rounds: int = Field(default=3, ge=1, le=100)
    interval_s: float = Field(default=2.0, ge=0.0, le=3600.0)


@task("poll", PollParams, "poll a link's SNMP counters into the sample store (bwauto poll)")
def poll(params: PollParams, ctx: TaskContext) -> TaskResult:
    """``bwauto poll --link LINK --count ROUNDS --interval S``: e.g. right after a raise, so that
    the report's after-the-raise chart has data before the regular poller's next run."""
    import time

    from bwauto.change.plan import select_links
    from bwauto.credentials import CredentialResolver
    from bwauto.inventory.loader import load_inventory
    from bwauto.snmp.poller import poll_once
    from bwauto.snmp.targets import poll_targets
    from bwauto.store.records import Sample
    from bwauto.store.samples import SampleStore, store_path

    inventory = load_inventory(ctx.inventory_dir)
    links = select_links(inventory, [params.link], None)
    if ctx.dry_run:
        return TaskResult.would_change(
            _("would poll {link} {rounds} times").format(link=params.link, rounds=params.rounds)
        )
    resolver = CredentialResolver.from_files(None, inventory.secrets_file)
    targets = poll_targets(inventory, links, resolver)
    stored, errors = 0, []
    with SampleStore(store_path(ctx.state_dir), create=True) as store:
        for round_no in range(params.rounds):
            if round_no:
                time.sleep(params.interval_s)
            result = poll_once(targets)
            stored += store.append(
                Sample(s.link_id, s.ts, s.uptime_s, s.in_octets, s.out_octets, s.counter_bits)
                for s in result.samples
            )
            errors += [
                str(e) for e in (*result.router_errors.values(), *result.link_errors.values())
            ]
    if errors:
        return TaskResult.failed(f"{params.link}: {errors[0]}", {"stored": stored})
    return TaskResult.changed(
        _("{link}: {stored} samples stored").format(link=params.link, stored=stored),
        {"stored": stored},
    )
