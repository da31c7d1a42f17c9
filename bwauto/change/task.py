"""The Nornir task of a shaper change on one router: read, diff, (apply, verify, confirm,
save or restore). All decisions are delegated to ``plan`` and the platform class; the I/O is
in ``device``; this module only sequences it and fills one evidence record per link.

Write-ahead: before its first configuration line a change writes its record ``in-progress``
(plan, pre-change config), then rewrites it at each phase: ``armed`` (only once the router
shows the guard), ``applied``, ``verified``, ``confirmed`` (and the guard verified gone),
``saved``. The processor closes it when the task ends.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from nornir.core.task import Result, Task

from bwauto.change import device
from bwauto.change.crash import crash_log
from bwauto.change.device import CAUGHT, session_error
from bwauto.change.evidence import Check, EvidenceRecord, write_progress
from bwauto.change.interrupt import STOP, Interrupted
from bwauto.change.lock import router_lock
from bwauto.change.plan import LinkPlan, Plan, pre_checks, refusal
from bwauto.change.postcheck import post_checks
from bwauto.errors import BwautoError, CommitError, RollbackError
from bwauto.platforms import get_platform
from bwauto.platforms.base import UNGUARDED, CommitConfirm, Platform, ShaperRate, shaped
from bwauto.platforms.base import unified_diff as diff_of

CONFIG_AS_PREVIEWED = "config as previewed"
"""The check failed by a link whose config changed between the preview and the apply."""


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
    expected_before: Mapping[str, str] | None = None
    """Per link, the running config the approved diff was built from (read by the preview on
    the same session); a different config just before the apply is refused."""
    pre_probes: Mapping[str, LinkProbe] | None = None
    """The pre-check's SNMP state of every planned link, read once for all routers."""
    stop: threading.Event = STOP
    """Set by SIGINT/SIGTERM: stop at the next safe point and put the router back."""


@dataclass
class RouterGuard:
    """The router's commit-confirm ability, read once before its first link."""

    missing: str | None = None
    """Why the guard cannot be armed (IOS: no archive), or None."""
    setup: list[str] = field(default_factory=list)
    """``--prepare-archive``: lines still to send before the first change on this router."""
    setup_text: str = ""
    """The same lines as the running config shows them (part of one link's diff)."""
    shown_in: str | None = None
    """The link whose diff holds ``setup_text`` (the first one that would change)."""

    def text_for(self, link: str) -> str:
        """``setup_text`` for the first link that would change, "" for the others."""
        if self.shown_in is None and self.setup_text:
            self.shown_in = link
        return self.setup_text if self.shown_in == link else ""


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
        _fail_open(records, str(exc) if isinstance(exc, BwautoError) else session_error(host, exc))
        device.drop(task)  # never reused by a later run of this change in an unknown state
    except Exception as exc:  # a bug: one line pointing at the crash log, never a traceback
        log = crash_log(ctx.state_dir, exc)
        _fail_open(records, f"internal error ({type(exc).__name__}); crash log: {log}")
        device.drop(task)
    failed = any(r.outcome in ("failed", "refused", "rolled-back", "interrupted") for r in records)
    would_change = ctx.plan.options.dry_run and any(r.outcome == "dry-run" for r in records)
    changed = any(r.outcome == "changed" for r in records)
    return Result(host=task.host, result=records, changed=changed, failed=failed,
                  diff="".join(r.diff for r in records), would_change=would_change)  # fmt: skip


def _fail_open(records: list[EvidenceRecord], message: str) -> None:
    for record in records:
        if record.outcome in ("failed", "pending"):
            record.outcome = "failed"
            record.errors.append(message)


def _record(ctx: ChangeContext, lp: LinkPlan, platform: str, host: str) -> EvidenceRecord:
    return EvidenceRecord(
        change_id=ctx.plan.change_id, link=lp.link.id, router=host, platform=platform,
        dry_run=ctx.plan.options.dry_run, request=ctx.plan.options.request,
        target=lp.target.as_dict(), shaped=shaped(lp.target), outcome="pending",
        **ctx.plan.options.operator.fields(),
    )  # fmt: skip


def _run(task: Task, ctx: ChangeContext, platform: Platform, records: list[EvidenceRecord]) -> None:
    if ctx.stop.is_set():  # interrupted before this router's turn: not even a login (250
        _untouched(records)  # routers waiting for a worker stopped in ~10 s, logging in each)
        return
    conn = device.connect(task, alive=ctx.expected_diffs is not None)
    probes = ctx.pre_probes
    if probes is None:
        probes = _probe(ctx, task.host.name, [r.link for r in records])
    guard = _router_guard(conn, platform, ctx)
    for lp, record in zip(ctx.plan.by_router[task.host.name], records, strict=True):
        if ctx.stop.is_set():
            _untouched([record])
            continue
        _link(task, ctx, platform, lp, record, guard, probes.get(lp.link.id))


def _untouched(records: list[EvidenceRecord]) -> None:
    """Interrupted before any line was typed on the router."""
    for record in records:
        record.outcome = "interrupted"
        record.errors.append("interrupted before any change: the router is unchanged")


def _router_guard(conn: Any, platform: Platform, ctx: ChangeContext) -> RouterGuard:
    """Whether the guard can be armed (read before config mode), and what to prepare."""
    commands = platform.guard_state_commands()
    missing = platform.guard_missing(device.read(conn, commands)) if commands else None
    if missing and ctx.plan.options.prepare_archive and not ctx.plan.options.no_confirm:
        lines, text = platform.guard_setup()
        return RouterGuard(None, lines, text)
    return RouterGuard(missing)


def _link(
    task: Task, ctx: ChangeContext, platform: Platform, lp: LinkPlan, record: EvidenceRecord,
    guard: RouterGuard, probe: LinkProbe | None,
) -> None:  # fmt: skip
    host, options = task.host.name, ctx.plan.options
    conn = device.connect(task)
    before = device.read_section(conn, platform, lp.link)
    current = platform.parse_rate(before, lp.link)
    record.rate_before = current.as_dict()
    record.running_config_before = before
    intended = platform.intended_section(before, lp.link, lp.target)
    if intended == before:
        if not _changed_since_preview(ctx, lp.link.id, before, record):
            record.outcome, record.rate_after = "no-op", current.as_dict()
        return
    record.diff = diff_of(before, intended + guard.text_for(lp.link.id), host)
    if _changed_since_preview(ctx, lp.link.id, before, record):
        return
    record.checks += pre_checks(lp, current, probe.oper_up if probe else None, options)
    record.checks.append(_guard_check(host, guard, options.no_confirm))
    why = refusal(record.checks, options) or _unapproved(ctx, lp.link.id)
    if why:
        record.outcome, record.errors = "refused", [why]
    elif options.dry_run:
        record.outcome = "dry-run"
    else:
        _apply(task, ctx, platform, lp, record, guard, before, current)


def _changed_since_preview(
    ctx: ChangeContext, link: str, before: str, record: EvidenceRecord
) -> bool:
    """At the apply: refuse (and say so) when the link's running config, read again just now,
    is not the one the approved diff was built from, or the diff is not the approved one."""
    if ctx.expected_diffs is None:
        return False
    approved = ctx.expected_diffs.get(link)
    previewed = (ctx.expected_before or {}).get(link)
    if approved is None and previewed is None:  # not approved in the preview: _unapproved
        return False
    if (approved or "") == record.diff and previewed in (None, before):
        return False
    record.outcome, record.rate_after = "refused", record.rate_before
    why = "changed since the preview: nothing applied; the diff recorded is the new one"
    record.checks.append(Check(CONFIG_AS_PREVIEWED, False, why))
    record.errors.append("the router's config changed since the diff was shown; run again")
    return True


def _unapproved(ctx: ChangeContext, link: str) -> str | None:
    """At the apply, why a link whose diff the preview did not show (it was refused or
    failed there) is refused when its checks pass now: nothing unshown is applied."""
    if ctx.expected_diffs is None or link in ctx.expected_diffs:
        return None
    if link in (ctx.expected_before or {}):
        return None
    return "the router's config changed since the diff was shown; run again"


def _guard_check(host: str, guard: RouterGuard, no_confirm: bool) -> Check:
    if no_confirm:
        return Check("commit-confirm possible", True, UNGUARDED.detail)
    if guard.missing:
        return Check("commit-confirm possible", False, f"{host}: {guard.missing}")
    extra = " once the archive lines of the diff are added" if guard.setup else ""
    return Check("commit-confirm possible", True, f"the router can arm the guard{extra}")


def _apply(
    task: Task, ctx: ChangeContext, platform: Platform, lp: LinkPlan, record: EvidenceRecord,
    rguard: RouterGuard, before: str, current: ShaperRate,
) -> None:  # fmt: skip
    restore = platform.change_commands(lp.link, current)
    name = f"bwauto-{ctx.plan.change_id}-{lp.link.id}"
    timeout = ctx.plan.options.confirm_timeout_s
    guard = platform.commit_confirm(name, restore, timeout)
    if ctx.plan.options.no_confirm:
        guard = UNGUARDED
    record.guard = guard.detail
    write_progress(ctx.state_dir, record, "started")  # before the first configuration line
    armed_at: dt.datetime | None = None
    interrupted = False
    try:
        conn = device.connect(task)
        if ctx.stop.is_set():
            raise Interrupted("interrupted before config mode")
        if rguard.setup:
            device.send(conn, platform, rguard.setup)
            record.checks.append(Check("archive prepared", True, "; ".join(rguard.setup)))
            rguard.setup = []
        if guard.arm:
            device.send(conn, platform, list(guard.arm))
            armed_at = _armed(ctx, conn, platform, guard, record)
        change = platform.change_commands(lp.link, lp.target)
        if guard.config_mode_command:  # IOS: the timer starts as config mode is entered
            armed_at = dt.datetime.now(dt.UTC)
        device.type_lines(conn, platform, change, guard.config_mode_command, ctx.stop)
        if guard.config_mode_command:
            _armed(ctx, conn, platform, guard, record)
        write_progress(ctx.state_dir, record, "applied")
        after = device.read_section(conn, platform, lp.link)
        post = post_checks(ctx, task.host.name, platform, lp, after)
        record.checks += post
        if all(c.ok for c in post):
            write_progress(ctx.state_dir, record, "verified")
            if ctx.stop.is_set():
                raise Interrupted("interrupted in the confirm window")
            _confirm(ctx, conn, platform, guard, record)
            record.outcome, record.rate_after = "changed", lp.target.as_dict()
            record.diff = diff_of(before, after + rguard.text_for(lp.link.id), task.host.name)
            _save(ctx, conn, platform, lp, record)
            if ctx.stop.is_set():
                record.errors.append("interrupt received after the confirm: the change was kept")
            return
    except Interrupted as exc:
        interrupted = True
        record.errors.append(f"{exc}: putting the router back")
    except CAUGHT as exc:
        record.errors.append(f"during the change: {device.change_error(task, exc)}")
    except Exception as exc:  # a bug: still put the router back, then point at the crash log
        log = crash_log(ctx.state_dir, exc)
        record.errors.append(f"internal error ({type(exc).__name__}); crash log: {log}")
    _restore_or_say(task, platform, lp, record, before, restore, guard, armed_at)
    if interrupted:
        record.outcome = "interrupted"


def _armed(
    ctx: ChangeContext, conn: Any, platform: Platform, guard: CommitConfirm, record: EvidenceRecord
) -> dt.datetime:
    """Record the guard as armed only once the router shows it."""
    if not device.pending(conn, platform, guard):
        record.checks.append(Check("commit-confirm armed", False, "the router shows no guard"))
        raise CommitError("the router did not arm the commit-confirm guard")
    record.checks.append(Check("commit-confirm armed", True, guard.detail))
    write_progress(ctx.state_dir, record, "armed")
    return dt.datetime.now(dt.UTC)


def _confirm(
    ctx: ChangeContext, conn: Any, platform: Platform, guard: CommitConfirm, record: EvidenceRecord
) -> None:
    """Disarm the guard and verify that it is gone (IOS: no pending revert; RouterOS: no
    scheduler entry)."""
    if not guard.guarded:
        record.checks.append(Check("commit-confirm guard gone", True, "no guard was armed"))
        write_progress(ctx.state_dir, record, "confirmed")
        return
    device.confirm(conn, platform, guard)
    gone = not device.pending(conn, platform, guard)
    what = "no pending revert" if guard.minutes else "no scheduler entry"
    record.checks.append(Check("commit-confirm guard gone", gone, what if gone else "still armed"))
    if not gone:
        raise CommitError("the commit-confirm guard is still armed after the confirm")
    write_progress(ctx.state_dir, record, "confirmed")


def _save(
    ctx: ChangeContext, conn: Any, platform: Platform, lp: LinkPlan, record: EvidenceRecord
) -> None:
    """Persist the change; a failed save is recorded (the change stays on the router)."""
    try:
        record.saved, record.saved_detail = device.save(conn, platform, lp.link)
    except CAUGHT as exc:
        record.saved, record.saved_detail = False, session_error(record.router, exc)
    record.checks.append(Check("saved", bool(record.saved), record.saved_detail))
    if not record.saved:
        record.errors.append(f"not saved: {record.saved_detail}; run 'write memory' on the router")
    write_progress(ctx.state_dir, record, "saved")


def _probe(ctx: ChangeContext, host: str, links: list[str]) -> dict[str, LinkProbe]:
    try:
        return ctx.probe(host, links)
    except BwautoError:
        return {}


def _restore_or_say(
    task: Task, platform: Platform, lp: LinkPlan, record: EvidenceRecord, before: str,
    restore: list[str], guard: CommitConfirm, armed_at: dt.datetime | None,
) -> None:  # fmt: skip
    """Put the router back; if that fails and a guard is armed, say when it restores."""
    try:
        restore_link(task, platform, lp.link, record, before, restore, guard)
    except RollbackError as exc:
        record.outcome = "failed"
        when = _guard_expiry(guard, armed_at)
        record.errors.append(str(exc) + (f"; the guard, once armed, restores it by {when}"
                                         if when else ""))  # fmt: skip


def _guard_expiry(guard: CommitConfirm, armed_at: dt.datetime | None) -> str:
    if armed_at is None or not guard.guarded:
        return ""
    seconds = guard.minutes * 60 if guard.minutes else _interval(guard)
    return f"{armed_at + dt.timedelta(seconds=seconds):%H:%M:%S} UTC"


def _interval(guard: CommitConfirm) -> int:
    for word in (guard.arm[0] if guard.arm else "").split():
        if word.startswith("interval=") and word.endswith("s"):
            return int(word[len("interval=") : -1])
    return 0


def restore_link(
    task: Task, platform: Platform, link: Any, record: EvidenceRecord, before: str,
    restore: list[str], guard: CommitConfirm,
) -> None:  # fmt: skip
    """Put the router back on its pre-change state over a fresh session (the old one may be
    dead), sending only what is needed, then disarm the guard, verify and save.

    Raises:
        RollbackError: the router could not be put back.
    """
    try:
        conn = device.reconnect(task)
        if device.read_section(conn, platform, link) != before:
            device.send(conn, platform, restore)
        if guard.guarded:
            device.confirm(conn, platform, guard)
        now = device.read_section(conn, platform, link)
        if now == before:
            record.saved, record.saved_detail = device.save(conn, platform, link)
    except CAUGHT as exc:
        raise RollbackError(
            f"{task.host.name}: restoring {link.id} failed ({session_error('', exc)}); check "
            "the router"
        ) from exc
    restored = now == before
    record.checks.append(Check("restored to the pre-change config", restored, ""))
    record.outcome = "rolled-back" if restored else "failed"
    record.rate_after = platform.parse_rate(now, link).as_dict()
