"""Playbook tasks of SOP step 8: ``raise``, ``rollback`` and ``audit_drift``.

``raise`` is ``bwauto raise --link ID --to RATE --yes``: the headroom pre-check from the stored
samples, a preview diff, the apply with commit-confirm and checks, evidence, then the committed
rate in the inventory and the link back into monitoring (``change.execute``). With ``request``
the request must be for that link and, outside a dry-run, decided CAN (step 8); the change's
evidence record, whatever its outcome, is then attached to it (``Register.attach_change``),
with the monitoring registration. With ``--dry-run`` it reads and diffs only (the diff is
logged under the step) and attaches nothing.

``rollback`` is ``bwauto rollback --change ID --yes``. ``audit_drift`` reads every selected
link's shaper rate from its router (a dry-run read by the change task, nothing written) and
fails, listing them, when a router's rate differs from the inventory's committed rate.

Heavy imports (Nornir, Netmiko) happen when a task runs, not when ``bwauto play`` loads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bwauto.errors import UsageError
from bwauto.i18n import _
from bwauto.playbooks.registry import TaskContext, TaskResult, task

if TYPE_CHECKING:
    from bwauto.case.register import Register
    from bwauto.change.evidence import EvidenceRecord
    from bwauto.change.execute import Execution
    from bwauto.change.operator import Operator
    from bwauto.change.plan import Plan
    from bwauto.inventory.models import Inventory


class RaiseParams(BaseModel):
    """Parameters of ``raise``."""

    model_config = ConfigDict(extra="forbid")

    link: str
    to: str = Field(description="DOWN (e.g. 150M) or UP/DOWN")
    request: str | None = None
    force: bool = False
    allow_decrease: bool = False
    confirm_timeout: int = Field(default=120, ge=30, le=3600, description="seconds, 30-3600")
    by: str | None = Field(default=None, description="who does the change (evidence, documents)")
    prepare_archive: bool = False
    no_confirm: bool = False


class RollbackParams(BaseModel):
    """Parameters of ``rollback``."""

    model_config = ConfigDict(extra="forbid")

    change: str
    by: str | None = Field(default=None, description="who does the change (evidence, documents)")
    force: bool = False
    prepare_archive: bool = False
    no_confirm: bool = False


class AuditParams(BaseModel):
    """Parameters of ``audit_drift``: ``all: true`` or one ``link``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    every: bool = Field(default=False, alias="all")
    link: str | None = None

    @model_validator(mode="after")
    def _one_choice(self) -> AuditParams:
        if self.every == (self.link is not None):
            raise ValueError("give either all: true or one link")
        return self


def _inventory(ctx: TaskContext) -> Inventory:
    from bwauto.inventory.loader import load_inventory

    return load_inventory(ctx.inventory_dir)


def _operator(ctx: TaskContext, by: str | None, request: str | None = None) -> Operator:
    """``operator_for``, its remarks in the task's log."""
    from bwauto.change.operator import operator_for

    operator, said = operator_for(ctx.inventory_dir, ctx.state_dir, by, request)
    for line in said:
        ctx.log(line)
    return operator


def _execute(ctx: TaskContext, inventory: Inventory, plan: Plan) -> Execution:
    from bwauto.change.execute import default_runner, execute

    if not plan.options.dry_run:  # close what a killed bwauto left on these routers first
        from bwauto.change.reconcile import open_records, reconcile

        routers = set(plan.by_router)
        if open_records(ctx.state_dir, routers):
            for item in reconcile(inventory, ctx.inventory_dir, ctx.state_dir, None, routers):
                ctx.log(f"reconciled: {item.describe()}")
    from bwauto.change.interrupt import finishing_text

    with default_runner(inventory, ctx.inventory_dir, ctx.state_dir) as run:
        return execute(plan, ctx.inventory_dir, ctx.state_dir, run,
                       finishing=lambda: ctx.log(finishing_text()))  # fmt: skip


@task("raise", RaiseParams, "SOP step 8: raise a link's shaper (diff, apply, evidence, monitoring)")
def raise_task(params: RaiseParams, ctx: TaskContext) -> TaskResult:
    """Raise (or, in a dry-run, diff) one link's shaper; attach the evidence to the request."""
    from bwauto.change.execute import plan_raise
    from bwauto.change.headroom import headroom_check
    from bwauto.change.plan import ChangeOptions

    inventory = _inventory(ctx)
    reg = _checked_request(ctx, params.request, params.link)
    options = ChangeOptions(
        dry_run=ctx.dry_run,
        force=params.force,
        allow_decrease=params.allow_decrease,
        confirm_timeout_s=params.confirm_timeout,
        request=params.request,
        operator=_operator(ctx, params.by, params.request),
        prepare_archive=params.prepare_archive,
        no_confirm=params.no_confirm,
    )
    headroom = headroom_check(inventory, ctx.state_dir)
    plan = plan_raise(inventory, ctx.state_dir, [params.link], None, params.to, options, headroom)
    done = _execute(ctx, inventory, plan)
    record = next((r for r in done.records if r.link == params.link), None)
    if record is None:  # the host's task ended without a record: say which router failed
        failed = ", ".join((done.outcome or done.preview).failed_hosts) or "?"
        return TaskResult.failed(f"{params.link}: no evidence record; failed routers: {failed}")
    _log_diff(ctx, record)
    data = _data(ctx, done, record)
    if reg is not None and params.request is not None and not ctx.dry_run:
        _attach(reg, params.request, data)
        ctx.log(
            _("{request}: change {change} attached (step 8)").format(
                request=params.request, change=record.change_id
            )
        )
    result = _result(record, data)
    if done.interrupted:  # SIGINT/SIGTERM: the run stops here (exit 130)
        from bwauto.change.interrupt import Interrupted

        raise Interrupted(result.message)
    return result


def _attach(reg: Register, request: str, data: dict[str, Any]) -> None:
    """The change's evidence file (and its monitoring registration) into the request.

    Raises:
        CaseError: saying how the change ended on the router and how to attach it by hand.
    """
    from bwauto.case.errors import CaseError

    evidence = Path(data["evidence"])
    try:
        record = json.loads(evidence.read_text(encoding="utf-8"))
        reg.attach_change(request, record, evidence, monitoring=data["monitoring"],
                          by=recorded_by(record))  # fmt: skip
    except CaseError as exc:
        raise CaseError(
            f"{data['link']}: change {data['change_id']} ended {data['outcome']!r} on the router "
            f"but is not attached to {request}: {exc}; attach it with: bwauto request change "
            f"{request} --evidence {evidence}"
        ) from exc


def recorded_by(evidence: dict[str, Any]) -> str | None:
    """Who records step 8 in the case: the change's named operator (``None``: the OS user,
    as for any record without a name)."""
    from bwauto.change.operator import OS_USER

    named = evidence.get("operator_source") not in (None, "", OS_USER)
    return str(evidence.get("operator")) if named and evidence.get("operator") else None


def _checked_request(ctx: TaskContext, request: str | None, link: str) -> Register | None:
    """The register, after checking that ``request`` is for ``link`` and, outside a dry-run,
    that the SOP's order allows its change now (refused before any router is touched)."""
    if request is None:
        return None
    from bwauto.case.register import Register

    reg = Register.for_office(ctx.state_dir, ctx.inventory_dir)
    case = reg.get(request)
    if case.link_id != link:
        raise UsageError(f"request {request} is for link {case.link_id!r}, not {link!r}")
    if not ctx.dry_run:
        reg.check(request, "change", 8, {})
    return reg


def _log_diff(ctx: TaskContext, record: EvidenceRecord) -> None:
    if not record.diff:
        return
    head = (
        _("diff on {router} for {link}, computed by the device:")
        if record.diff_source == "device"
        else _("diff on {router} for {link}, computed by bwauto (running vs intended):")
    )
    ctx.log(head.format(router=record.router, link=record.link))
    for line in record.diff.splitlines():
        ctx.log(f"  {line}")


def _data(ctx: TaskContext, done: Execution, record: EvidenceRecord) -> dict[str, Any]:
    from bwauto.change.evidence import evidence_path

    monitoring = next((m.registration for m in done.monitoring if m.link == record.link), None)
    path = evidence_path(ctx.state_dir, record.change_id, record.link)
    return {
        "change_id": record.change_id,
        "link": record.link,
        "router": record.router,
        "outcome": record.outcome,
        "rate_before": record.rate_before,
        "rate_after": record.rate_after,
        "target": record.target,
        "diff": record.diff,
        "evidence": str(path),
        "inventory_updated": record.link in done.updated,
        "monitoring": monitoring,
    }


def _result(record: EvidenceRecord, data: dict[str, Any]) -> TaskResult:
    """The step's message in the chosen language (session errors said by ``words``; the
    evidence keeps the raw text)."""
    from bwauto.change.words import error_text, outcome_text, rate_text

    what = _("{link} on {router}").format(link=record.link, router=record.router)
    errors = "; ".join(map(error_text, record.errors))
    before = rate_text(record.rate_before) or _("unknown")
    if record.outcome == "dry-run":
        return TaskResult.would_change(
            f"{what}: {before} → {rate_text(record.target)} (dry-run)", data
        )
    if record.outcome == "no-op":
        return TaskResult.ok(_("{what}: already at {rate}").format(what=what, rate=before), data)
    if record.outcome == "changed":
        from bwauto.monitoring.said import state_text

        monitoring = data["monitoring"] or {}
        state = state_text(monitoring)  # as the hand raise and the documents say it
        if not monitoring.get("ok"):
            state = _("NOT registered (retry it)")
        return TaskResult.changed(
            f"{what}: {before} → {rate_text(record.rate_after)}, {record.change_id}; "
            + _("monitoring ({backend}): {state}").format(
                backend=monitoring.get("backend", "?"), state=state),
            data,
        )  # fmt: skip
    said = errors or _("see the evidence")
    return TaskResult.failed(f"{what}: {outcome_text(record.outcome)}: {said}", data)


@task("rollback", RollbackParams, "SOP step 8: restore the rates before a change")
def rollback_task(params: RollbackParams, ctx: TaskContext) -> TaskResult:
    """Put the links of a past change back to their rates before it (dry-run: diff only)."""
    from bwauto.change.execute import plan_rollback
    from bwauto.change.plan import ChangeOptions

    inventory = _inventory(ctx)
    options = ChangeOptions(
        force=params.force,
        prepare_archive=params.prepare_archive,
        no_confirm=params.no_confirm,
        operator=_operator(ctx, params.by),
    )
    plan = plan_rollback(inventory, ctx.state_dir, params.change, ctx.dry_run, options)
    done = _execute(ctx, inventory, plan)
    for record in done.records:
        _log_diff(ctx, record)
    outcomes = {r.link: r.outcome for r in done.records}
    data = {"change_id": plan.change_id, "undoes": params.change, "outcomes": outcomes}
    summary = ", ".join(f"{link}: {outcome}" for link, outcome in outcomes.items())
    message = f"{plan.change_id} undoes {params.change}: {summary}"
    if not done.ok:
        errors = "; ".join(e for r in done.records for e in r.errors)
        return TaskResult.failed(f"{message}" + (f" ({errors})" if errors else ""), data)
    if ctx.dry_run and "dry-run" in outcomes.values():
        return TaskResult.would_change(message, data)
    if "changed" in outcomes.values():
        return TaskResult.changed(message, data)
    return TaskResult.ok(message, data)


@task("audit_drift", AuditParams, "compare the inventory's committed rates with the routers")
def audit_drift_task(params: AuditParams, ctx: TaskContext) -> TaskResult:
    """Read the links' shaper rates from their routers; fail listing every drifted link."""
    from bwauto.change.drift import audit_drift, show
    from bwauto.change.execute import default_runner

    inventory = _inventory(ctx)
    with default_runner(inventory, ctx.inventory_dir, ctx.state_dir) as run:
        report = audit_drift(inventory, run, None if params.every else [str(params.link)])
    for item in report.drifted + report.unread:
        ctx.log(item.describe())
    data = {
        "drifted": [
            {"link": x.link, "router": x.router, "committed": show(x.committed),
             "on_router": show(x.on_router) if x.on_router else None}
            for x in report.drifted
        ],
        "in_sync": [x.link for x in report.in_sync],
        "unread": {x.link: x.error for x in report.unread},
    }  # fmt: skip
    total = len(report.links)
    if report.drifted or report.unread:
        parts = [f"drift on {len(report.drifted)} of {total} links"] if report.drifted else []
        parts += [f"{len(report.unread)} not read"] if report.unread else []
        names = ", ".join(x.link for x in report.drifted + report.unread)
        return TaskResult.failed(f"{'; '.join(parts)}: {names}", data)
    return TaskResult.ok(f"{total} links: every router matches the inventory", data)
