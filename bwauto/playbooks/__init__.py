"""Playbooks: YAML sequences of bwauto tasks, validated before anything runs.

* ``registry`` — tasks by name (``@task(name, ParamsModel)``), ``KNOWN_TASKS``, ``load_tasks``;
* ``model`` / ``loader`` — the playbook format and its reader (every problem with its line);
* ``templating`` — ``{{ var }}`` in parameters, native types kept;
* ``validate`` — ``plan()``: unknown task, missing/mistyped parameter, undefined variable;
* ``runner`` — ``run()``: dry-run to every step, stop at the first failure unless
  ``continue_on_error``; ``progress`` — the rich progress and summary.

Typical use::

    registry = load_tasks()
    playbook = load_playbook("playbooks/kenaikan-bandwidth.yaml")
    validated = plan(playbook, registry, {"request": "KB-2026-0001"}, dry_run=True)
    report = run(validated, dry_run=True, inventory_dir=..., state_dir=...)
"""

from __future__ import annotations

from bwauto.playbooks.loader import load_playbook
from bwauto.playbooks.model import Playbook, PlaybookError, PlayStep
from bwauto.playbooks.registry import (
    KNOWN_TASKS,
    REGISTRY,
    TaskContext,
    TaskRegistry,
    TaskResult,
    TaskSpec,
    load_tasks,
    task,
)
from bwauto.playbooks.runner import PlayReport, StepOutcome, run
from bwauto.playbooks.validate import Plan, parse_overrides, plan

__all__ = [
    "KNOWN_TASKS",
    "REGISTRY",
    "Plan",
    "PlayReport",
    "PlayStep",
    "Playbook",
    "PlaybookError",
    "StepOutcome",
    "TaskContext",
    "TaskRegistry",
    "TaskResult",
    "TaskSpec",
    "load_playbook",
    "load_tasks",
    "parse_overrides",
    "plan",
    "run",
    "task",
]
