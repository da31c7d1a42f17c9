"""Run a validated ``Plan``: each step in order, dry-run passed to every one, stop at a failure.

A step whose ``when`` is false is *skipped*, saying why in words ("decision is CANNOT"). A step
whose result the case file already holds (``registry.RECORDED``) reports ``ok (already
recorded)`` and the run goes on: running a playbook again is safe, and after a failure the same
command resumes at the failed step. A step that raises a ``BwautoError`` or returns a ``failed``
result has failed: its reason (and its evidence file, for a change) is shown and the run stops
there (the remaining steps are *not run*) unless the step says ``continue_on_error: true``.
SIGINT/SIGTERM (``KeyboardInterrupt``, or a task's ``BwautoError`` with exit code 130) stops
the run at that step, whatever ``continue_on_error`` says (``PlayReport.interrupted``, exit
130). Any other exception is a bug and propagates. ``start_at`` (``--from STEP_ID``) passes
over the steps before it; ``ask`` (``--step``) is asked before each step. Each step's result
is available to later ``when`` expressions as ``steps.<id>.status``, ``.message`` and
``.data``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bwauto.errors import BwautoError, UsageError
from bwauto.i18n import _
from bwauto.playbooks import templating
from bwauto.playbooks.explain import evidence_reasons, why_false
from bwauto.playbooks.registry import RECORDED, TaskContext, TaskResult
from bwauto.playbooks.validate import Plan, PlannedStep

EXIT_INTERRUPTED = 130
"""The exit code of a run stopped by SIGINT/SIGTERM (as a shell reports a Ctrl-C)."""

Ask = Callable[[PlannedStep], bool]
"""``--step``: asked before a step; ``False`` passes over it."""


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """A step's result and how long it took."""

    index: int
    name: str
    task: str
    result: TaskResult
    seconds: float = 0.0


@dataclass
class PlayReport:
    """The whole run: one outcome per step that ran or was skipped, and where it stopped."""

    name: str
    dry_run: bool
    total: int
    outcomes: list[StepOutcome] = field(default_factory=list)
    stopped_at: int | None = None
    interrupted: int | None = None
    """The step that SIGINT/SIGTERM stopped (the run stops there; the same command resumes)."""

    @property
    def failed(self) -> list[StepOutcome]:
        """The steps that failed (whether or not the run went on)."""
        return [o for o in self.outcomes if o.result.status == "failed"]

    @property
    def not_run(self) -> int:
        """How many steps never started because the run stopped."""
        return self.total - len(self.outcomes)

    @property
    def exit_code(self) -> int:
        """0 if no step failed, 130 if one was interrupted (SIGINT/SIGTERM), else 1."""
        if self.interrupted is not None:
            return EXIT_INTERRUPTED
        return 1 if self.failed else 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "playbook": self.name,
            "dry_run": self.dry_run,
            "stopped_at": self.stopped_at,
            "interrupted": self.interrupted,
            "not_run": self.not_run,
            "steps": [
                {
                    "index": o.index,
                    "name": o.name,
                    "task": o.task,
                    "status": o.result.status,
                    "message": o.result.message,
                    "data": o.result.data,
                    "seconds": round(o.seconds, 3),
                }
                for o in self.outcomes
            ],
        }


class Reporter(Protocol):
    """Receives progress (the CLI's rich reporter; tests record it)."""

    def step_started(self, index: int, total: int, name: str, task: str) -> None:
        """A step is about to run."""

    def step_finished(self, outcome: StepOutcome) -> None:
        """A step finished (or was skipped)."""

    def log(self, message: str) -> None:
        """A task's progress line."""


class _Silent:
    def step_started(self, index: int, total: int, name: str, task: str) -> None:
        return None

    def step_finished(self, outcome: StepOutcome) -> None:
        return None

    def log(self, message: str) -> None:
        return None


def start_index(plan: Plan, start_at: str | None) -> int:
    """The index of the step ``--from`` names (its ``id``, or its number).

    Raises:
        UsageError: no step has that id or number.
    """
    if start_at is None:
        return 1
    for planned in plan.steps:
        if start_at in (planned.step.id, str(planned.step.index)):
            return planned.step.index
    ids = ", ".join(p.step.id for p in plan.steps if p.step.id) or "-"
    raise UsageError(_("--from {step}: no such step in {playbook} (ids: {ids})").format(
        step=start_at, playbook=plan.playbook.name, ids=ids))  # fmt: skip


def run(
    plan: Plan,
    *,
    dry_run: bool,
    inventory_dir: Path,
    state_dir: Path,
    reporter: Reporter | None = None,
    clock: Callable[[], float] = time.monotonic,
    start_at: str | None = None,
    ask: Ask | None = None,
) -> PlayReport:
    """Run ``plan``; returns the report (``exit_code`` 1 if any step failed)."""
    out = reporter or _Silent()
    first = start_index(plan, start_at)
    report = PlayReport(plan.playbook.name, dry_run, len(plan.steps))
    results: dict[str, dict[str, Any]] = {}
    for planned in plan.steps:
        step = planned.step
        out.step_started(step.index, len(plan.steps), step.name, step.task)
        start = clock()
        ctx = _context(planned, plan, dry_run, inventory_dir, state_dir, out)
        if step.index < first:
            result = _recorded(planned, ctx) or TaskResult.skipped(
                _("before --from {step}: not run").format(step=start_at)
            )
        elif ask is not None and not ask(planned):
            result = TaskResult.skipped(_("not run: declined at --step"))
        else:
            try:
                result = _run_step(planned, plan, results, ctx)
            except _Stopped as stopped:
                result, report.interrupted = stopped.result, step.index
                result = TaskResult("interrupted", result.message, result.data)
        outcome = StepOutcome(step.index, step.name, step.task, result, clock() - start)
        report.outcomes.append(outcome)
        out.step_finished(outcome)
        if step.id:
            results[step.id] = {
                "status": result.status,
                "message": result.message,
                "data": result.data,
            }
        if report.interrupted or (result.status == "failed" and not step.continue_on_error):
            report.stopped_at = step.index
            break
    return report


def _context(
    planned: PlannedStep, plan: Plan, dry_run: bool, inventory_dir: Path, state_dir: Path,
    out: Reporter,
) -> TaskContext:  # fmt: skip
    return TaskContext(
        dry_run=dry_run,
        inventory_dir=inventory_dir,
        state_dir=state_dir,
        playbook=plan.playbook.path,
        step=planned.step.name,
        vars=plan.vars,
        log=out.log,
    )


def _recorded(planned: PlannedStep, ctx: TaskContext) -> TaskResult | None:
    """The step's result if the case file already holds it (else ``None``: run it)."""
    check = RECORDED.get(planned.spec.name)
    if check is None:
        return None
    try:
        return check(planned.params, ctx)
    except BwautoError:
        return None  # e.g. no such request: the task itself will say so


class _Stopped(Exception):
    """A step interrupted by SIGINT/SIGTERM, with what it said."""

    def __init__(self, result: TaskResult) -> None:
        super().__init__(result.message)
        self.result = result


def _run_step(
    planned: PlannedStep, plan: Plan, results: dict[str, dict[str, Any]], ctx: TaskContext
) -> TaskResult:
    step = planned.step
    if step.when is not None:
        names = {**plan.vars, "steps": results, "dry_run": ctx.dry_run}
        if not templating.evaluate(step.when, names):
            return TaskResult.skipped(why_false(step.when, names))
    done = _recorded(planned, ctx)
    if done is not None:
        return done
    try:
        result = planned.spec.func(planned.params, ctx)
    except KeyboardInterrupt:  # SIGINT (and SIGTERM, which ``bwauto play`` turns into it)
        raise _Stopped(TaskResult.failed("")) from None
    except BwautoError as exc:
        from bwauto.messages import localize

        failed = TaskResult.failed(localize(str(exc)))
        if exc.exit_code == EXIT_INTERRUPTED:  # a task that stopped at a safe point
            raise _Stopped(failed) from None
        return failed
    if ctx.dry_run and result.status == "changed":
        return TaskResult("would_change", result.message, result.data)
    return _with_evidence(result)


def _with_evidence(result: TaskResult) -> TaskResult:
    """A failed change says why (from its evidence) and where its evidence is."""
    path = result.data.get("evidence") if result.status == "failed" else None
    if not path:
        return result
    from bwauto.change.words import error_text

    message = result.message.replace(": " + _("see the evidence"), "")
    reasons = [error_text(r) for r in evidence_reasons(Path(str(path)))]
    reasons = [r for r in reasons if r not in message]
    if reasons:
        message += f"; {'; '.join(reasons)}"
    return TaskResult.failed(f"{message}; " + _("evidence: {path}").format(path=path), result.data)
