"""The Nornir task of a shaper change on one router: read, diff, (apply, verify, confirm or
restore). All decisions are delegated to ``plan`` and the platform class; this module only
sequences the I/O and fills one evidence record per link.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from netmiko.exceptions import NetmikoBaseException
from nornir.core.task import Result, Task

from bwauto.change.evidence import Check, EvidenceRecord
from bwauto.change.lock import router_lock
from bwauto.change.login import connection_error, enter_enable
from bwauto.change.plan import LinkPlan, Plan, pre_checks, refusal
from bwauto.errors import ApplyError, BwautoError, RollbackError
from bwauto.platforms import get_platform
from bwauto.platforms.base import (
    CommitConfirm,
    Platform,
    ShaperRate,
    find_failure,
    unified_diff,
)

SESSION_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, NetmikoBaseException)
"""What a broken, hung or refused SSH session raises under Netmiko/paramiko."""
CAUGHT: tuple[type[BaseException], ...] = (BwautoError, *SESSION_ERRORS)


@dataclass(frozen=True)
class LinkProbe:
    """What SNMP says of a link right now."""

    oper_up: bool
    in_octets: int
    out_octets: int
    uptime_s: float


class SnmpProbe(Protocol):
    """How a change reads its links' SNMP state (``bwauto.change.probe.InventoryProbe``)."""

    def __call__(self, router: str, link_ids: list[str]) -> dict[str, LinkProbe]:
        """One router's links now; raises ``SnmpError`` when its agent is silent."""
        ...

    def many(self, link_ids: Iterable[str]) -> dict[str, LinkProbe]:
        """Every link at once (all routers concurrently); a silent router's links absent."""
        ...


@dataclass(frozen=True)
class ChangeContext:
    """What the task needs besides the host: the plan, the state dir and the SNMP probe."""

    plan: Plan
    state_dir: Path
    probe: SnmpProbe
    confirm_samples: int = 2
    confirm_sample_interval_s: float = 1.0
    expected_diffs: dict[str, str] | None = None
    """Per link, the diff the operator approved; a different diff at apply time is refused."""
    pre_probes: Mapping[str, LinkProbe] | None = None
    """The pre-check's SNMP state of every planned link, read once for all routers."""


def shaper_change(task: Task, ctx: ChangeContext) -> Result:
    """Change (or preview) every planned link on ``task.host``; one evidence record per link."""
    host = task.host.name
    platform = get_platform(task.host.platform or "")
    records = [_record(ctx, lp, platform.name, host) for lp in ctx.plan.by_router[host]]
    try:
        if ctx.plan.options.dry_run:
            _run(task, ctx, platform, records)
        else:
            with router_lock(ctx.state_dir, host, ctx.plan.change_id):
                _run(task, ctx, platform, records)
    except CAUGHT as exc:
        message = str(exc) if isinstance(exc, BwautoError) else _session_error(host, exc)
        for record in records:
            if record.outcome in ("failed", "pending"):
                record.outcome = "failed"
                record.errors.append(message)
    failed = any(r.outcome in ("failed", "refused", "rolled-back") for r in records)
    would_change = ctx.plan.options.dry_run and any(r.outcome == "dry-run" for r in records)
    changed = any(r.outcome == "changed" for r in records)
    return Result(host=task.host, result=records, changed=changed, failed=failed,
                  diff="".join(r.diff for r in records), would_change=would_change)  # fmt: skip


def _record(ctx: ChangeContext, lp: LinkPlan, platform: str, host: str) -> EvidenceRecord:
    return EvidenceRecord(
        change_id=ctx.plan.change_id, link=lp.link.id, router=host, platform=platform,
        dry_run=ctx.plan.options.dry_run, request=ctx.plan.options.request,
        target=asdict(lp.target), outcome="pending", **ctx.plan.options.operator.fields(),
    )  # fmt: skip


def _run(task: Task, ctx: ChangeContext, platform: Platform, records: list[EvidenceRecord]) -> None:
    conn = _connect(task)
    probes = ctx.pre_probes
    if probes is None:
        probes = _probe(ctx, task.host.name, [r.link for r in records])
    for lp, record in zip(ctx.plan.by_router[task.host.name], records, strict=True):
        before = _read_section(conn, platform, lp)
        current = platform.parse_rate(before, lp.link)
        record.rate_before = asdict(current)
        record.running_config_before = before
        intended = platform.intended_section(before, lp.link, lp.target)
        record.diff = unified_diff(before, intended, task.host.name)
        if not record.diff:
            record.outcome = "no-op"
            record.rate_after = asdict(current)
            continue
        if ctx.expected_diffs is not None and ctx.expected_diffs.get(lp.link.id) != record.diff:
            record.outcome = "refused"
            record.errors.append("the router's config changed since the diff was shown; run again")
            continue
        probe = probes.get(lp.link.id)
        record.checks += pre_checks(lp, current, probe.oper_up if probe else None, ctx.plan.options)
        why = refusal(record.checks, ctx.plan.options)
        if why:
            record.outcome, record.errors = "refused", [why]
        elif ctx.plan.options.dry_run:
            record.outcome = "dry-run"
        else:
            _apply(task, ctx, platform, lp, record, before, current)


def _session_error(host: str, exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{host}: {type(exc).__name__}" + (f": {text}" if text else "")


def _connect(task: Task) -> Any:
    try:
        conn = task.host.get_connection("netmiko", task.nornir.config)
        if conn.secret or task.host.platform == "cisco_ios":
            enter_enable(conn, task.host.name)
        return conn
    except Exception as exc:  # netmiko/paramiko raise many types; say which, never swallow
        raise connection_error(task.host.name, exc, task.host.username) from exc


def _probe(ctx: ChangeContext, host: str, links: list[str]) -> dict[str, LinkProbe]:
    try:
        return ctx.probe(host, links)
    except BwautoError:
        return {}


def _read_section(conn: Any, platform: Platform, lp: LinkPlan) -> str:
    outputs = [conn.send_command(cmd) for cmd in platform.show_commands(lp.link)]
    return platform.section(outputs, lp.link)


def _send(
    conn: Any, platform: Platform, commands: list[str], config_mode_command: str | None = None
) -> str:
    kwargs = {"config_mode_command": config_mode_command} if config_mode_command else {}
    output = str(conn.send_config_set(commands, **kwargs))
    failure = find_failure(output, platform.failure_strings)
    if failure:
        raise ApplyError(f"router refused the change: {failure}")
    return output


def _apply(
    task: Task, ctx: ChangeContext, platform: Platform, lp: LinkPlan, record: EvidenceRecord,
    before: str, current: ShaperRate,
) -> None:  # fmt: skip
    restore = platform.change_commands(lp.link, current)
    name = f"bwauto-{ctx.plan.change_id}-{lp.link.id}"
    guard = platform.commit_confirm(name, restore, ctx.plan.options.confirm_timeout_s)
    record.checks.append(Check("commit-confirm armed", True, guard.detail))
    try:
        conn = _connect(task)
        if guard.arm:
            _send(conn, platform, list(guard.arm))
        change = platform.change_commands(lp.link, lp.target)
        _send(conn, platform, change, guard.config_mode_command)
        after = _read_section(conn, platform, lp)
        post = _post_checks(ctx, task.host.name, platform, lp, after)
        record.checks += post
        if all(c.ok for c in post):
            _confirm(conn, platform, guard)
            record.outcome, record.rate_after = "changed", asdict(lp.target)
            record.diff = unified_diff(before, after, task.host.name)
            return
    except CAUGHT as exc:
        record.errors.append(f"during the change: {_session_error(task.host.name, exc)}")
    _restore(task, platform, lp, record, before, restore, guard)


def _confirm(conn: Any, platform: Platform, guard: CommitConfirm) -> None:
    """Disarm the commit-confirm guard: the change stays."""
    if guard.confirm_config:
        _send(conn, platform, list(guard.confirm_config))
    for command in guard.confirm_exec:
        conn.send_command(command)


def _post_checks(
    ctx: ChangeContext, host: str, platform: Platform, lp: LinkPlan, after: str
) -> list[Check]:
    rate = platform.parse_rate(after, lp.link)
    checks = [Check("rate read back", rate == lp.target, f"router now {rate}")]
    samples: list[LinkProbe] = []
    for i in range(ctx.confirm_samples):
        if i:
            time.sleep(ctx.confirm_sample_interval_s)
        probe = _probe(ctx, host, [lp.link.id]).get(lp.link.id)
        if probe is None:
            return [*checks, Check("SNMP answers", False, "no SNMP answer after the change")]
        samples.append(probe)
    up = all(s.oper_up for s in samples)
    checks.append(Check("SNMP answers", True, f"{len(samples)} samples in the confirm window"))
    checks.append(Check("link still up", up, "ifOperStatus up" if up else "ifOperStatus down"))
    checks.append(Check("counters", True, _sample_detail(samples)))
    return checks


def _sample_detail(samples: list[LinkProbe]) -> str:
    return "; ".join(f"t={s.uptime_s:.0f}s in={s.in_octets} out={s.out_octets}" for s in samples)


def _restore(
    task: Task, platform: Platform, lp: LinkPlan, record: EvidenceRecord, before: str,
    restore: list[str], guard: CommitConfirm,
) -> None:  # fmt: skip
    """Put the router back on its pre-change state over a fresh session (the old one may be
    dead), sending only what is needed, then disarm the guard and verify."""
    with contextlib.suppress(Exception):  # the session may already be gone; reconnect below
        task.host.close_connection("netmiko")
    task.host.connections.pop("netmiko", None)
    try:
        conn = _connect(task)
        if _read_section(conn, platform, lp) != before:
            _send(conn, platform, restore)
        _confirm(conn, platform, guard)
        now = _read_section(conn, platform, lp)
    except CAUGHT as exc:
        raise RollbackError(
            f"{task.host.name}: restoring {lp.link.id} failed ({_session_error('', exc)}); the "
            "commit-confirm guard, if armed, restores it when it expires; check the router"
        ) from exc
    restored = now == before
    record.checks.append(Check("restored to the pre-change config", restored, ""))
    record.outcome = "rolled-back" if restored else "failed"
    record.rate_after = asdict(platform.parse_rate(now, lp.link))
