"""Run a validated ``Plan``: each step in order, dry-run passed to every one, stop at a failure.

A step whose ``when`` is false is *skipped*. A step that raises a ``BwautoError`` or returns a
``failed`` result has failed: the run stops there (the remaining steps are *not run*) unless
the step says ``continue_on_error: true``. Any other exception is a bug and propagates.
Each step's result is available to later ``when`` expressions as ``steps.<id>.status``,
``.message`` and ``.data``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bwauto.errors import BwautoError
from bwauto.playbooks import templating
from bwauto.playbooks.registry import TaskContext, TaskResult
from bwauto.playbooks.validate import Plan, PlannedStep


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
        """0 if no step failed, else 1."""
        return 1 if self.failed else 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "playbook": self.name,
            "dry_run": self.dry_run,
            "stopped_at": self.stopped_at,
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


def run(
    plan: Plan,
    *,
    dry_run: bool,
    inventory_dir: Path,
    state_dir: Path,
    reporter: Reporter | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> PlayReport:
    """Run ``plan``; returns the report (``exit_code`` 1 if any step failed)."""
    out = reporter or _Silent()
    report = PlayReport(plan.playbook.name, dry_run, len(plan.steps))
    results: dict[str, dict[str, Any]] = {}
    for planned in plan.steps:
        step = planned.step
        out.step_started(step.index, len(plan.steps), step.name, step.task)
        start = clock()
        result = _run_step(planned, plan, results, dry_run, inventory_dir, state_dir, out)
        outcome = StepOutcome(step.index, step.name, step.task, result, clock() - start)
        report.outcomes.append(outcome)
        out.step_finished(outcome)
        if step.id:
            results[step.id] = {
                "status": result.status,
                "message": result.message,
                "data": result.data,
            }
        if result.status == "failed" and not step.continue_on_error:
            report.stopped_at = step.index
            break
    return report


def _run_step(
    planned: PlannedStep,
    plan: Plan,
    results: dict[str, dict[str, Any]],
    dry_run: bool,
    inventory_dir: Path,
    state_dir: Path,
    out: Reporter,
) -> TaskResult:
    step = planned.step
    if step.when is not None:
        names = {**plan.vars, "steps": results, "dry_run": dry_run}
        if not templating.evaluate(step.when, names):
            return TaskResult.skipped(f"when: {step.when} is false")
    ctx = TaskContext(
        dry_run=dry_run,
        inventory_dir=inventory_dir,
        state_dir=state_dir,
        playbook=plan.playbook.path,
        step=step.name,
        vars=plan.vars,
        log=out.log,
    )
    try:
        result = planned.spec.func(planned.params, ctx)
    except BwautoError as exc:
        return TaskResult.failed(str(exc))
    if dry_run and result.status == "changed":
        return TaskResult("would_change", result.message, result.data)
    return result
