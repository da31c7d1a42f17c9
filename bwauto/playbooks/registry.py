"""Playbook tasks: a registry of name → callable + pydantic parameters model.

A module makes a task available to playbooks by registering it::

    from pydantic import BaseModel
    from bwauto.playbooks import TaskContext, TaskResult, task

    class RaiseParams(BaseModel):
        link: str
        to: str
        request: str | None = None

    @task("raise", RaiseParams, "SOP step 8: raise a link's shaper")
    def raise_task(params: RaiseParams, ctx: TaskContext) -> TaskResult:
        if ctx.dry_run:
            return TaskResult.would_change(f"{params.link}: diff ...", data={"diff": "..."})
        ...
        return TaskResult.changed(f"{params.link} raised to {params.to}")

and by being imported: ``load_tasks()`` imports every module of ``TASK_MODULES`` that exists,
then every entry point of the ``bwauto.tasks`` group (third-party tasks). A task receives its
validated parameters and a ``TaskContext`` (``dry_run`` is decided once by the runner and must
be honoured); it returns a ``TaskResult`` or raises a ``BwautoError`` (a failed step). Any
other exception is a bug and propagates.

``KNOWN_TASKS`` documents the task names the shipped playbooks use and which module provides
each; a name there whose module is not installed yet is reported as unavailable.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

Status = Literal["ok", "changed", "would_change", "skipped", "failed", "interrupted"]
P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class TaskResult:
    """What a task did: ``status``, one line for people, and data for later steps (``when``).

    ``would_change`` is what a dry-run reports where the real run would say ``changed``.
    """

    status: Status = "ok"
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def ok(cls, message: str = "", data: dict[str, Any] | None = None) -> TaskResult:
        """Done; nothing changed."""
        return cls("ok", message, data or {})

    @classmethod
    def changed(cls, message: str = "", data: dict[str, Any] | None = None) -> TaskResult:
        """Done; something changed (a record, a file, a router)."""
        return cls("changed", message, data or {})

    @classmethod
    def would_change(cls, message: str = "", data: dict[str, Any] | None = None) -> TaskResult:
        """Dry-run: the real run would change something."""
        return cls("would_change", message, data or {})

    @classmethod
    def skipped(cls, message: str = "", data: dict[str, Any] | None = None) -> TaskResult:
        """Not applicable (e.g. a raise for a refused request)."""
        return cls("skipped", message, data or {})

    @classmethod
    def failed(cls, message: str, data: dict[str, Any] | None = None) -> TaskResult:
        """The step failed."""
        return cls("failed", message, data or {})


@dataclass(frozen=True, slots=True)
class TaskContext:
    """What the runner gives every task.

    Attributes:
        dry_run: change nothing; report ``would_change``.
        inventory_dir: the inventory (``--inventory``).
        state_dir: the state dir (``--state-dir``): samples, evidence, register.
        playbook: the playbook file being run.
        step: the step's name.
        vars: the playbook's resolved variables.
        log: prints a progress line under the step.
    """

    dry_run: bool
    inventory_dir: Path
    state_dir: Path
    playbook: Path = Path()
    step: str = ""
    vars: Mapping[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = print


TaskFunc = Callable[[Any, TaskContext], TaskResult]


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """A registered task."""

    name: str
    params: type[BaseModel]
    func: TaskFunc
    description: str = ""


class TaskRegistry:
    """Task name → ``TaskSpec``."""

    def __init__(self) -> None:
        """An empty registry."""
        self._tasks: dict[str, TaskSpec] = {}

    def register(
        self, name: str, params: type[BaseModel], func: TaskFunc, description: str = ""
    ) -> TaskSpec:
        """Register ``func`` as task ``name`` taking ``params``.

        Raises:
            ValueError: if another function already holds the name (a bug).
        """
        existing = self._tasks.get(name)
        if existing is not None and existing.func is not func:
            raise ValueError(f"task {name!r} is already registered by {existing.func!r}")
        spec = TaskSpec(name, params, func, description or (func.__doc__ or "").split("\n")[0])
        self._tasks[name] = spec
        return spec

    def task(
        self, name: str, params: type[P], description: str = ""
    ) -> Callable[[Callable[[P, TaskContext], TaskResult]], Callable[[P, TaskContext], TaskResult]]:
        """Decorator form of ``register``."""

        def decorate(
            func: Callable[[P, TaskContext], TaskResult],
        ) -> Callable[[P, TaskContext], TaskResult]:
            self.register(name, params, func, description)
            return func

        return decorate

    def get(self, name: str) -> TaskSpec | None:
        """The task ``name``, if registered."""
        return self._tasks.get(name)

    def names(self) -> list[str]:
        """Registered task names, sorted."""
        return sorted(self._tasks)

    def __contains__(self, name: object) -> bool:
        return name in self._tasks


REGISTRY = TaskRegistry()
"""The registry ``bwauto play`` uses."""


def task(
    name: str, params: type[P], description: str = ""
) -> Callable[[Callable[[P, TaskContext], TaskResult]], Callable[[P, TaskContext], TaskResult]]:
    """Register a task in the default ``REGISTRY`` (decorator)."""
    return REGISTRY.task(name, params, description)


@dataclass(frozen=True, slots=True)
class KnownTask:
    """A task name the shipped playbooks use: its module, SOP step, and the parameters the
    shipped playbooks pass (the contract for the module that registers it)."""

    module: str
    sop_step: str
    description: str
    params: str = ""


KNOWN_TASKS: dict[str, KnownTask] = {
    "poll": KnownTask(
        "bwauto.analysis.tasks", "8",
        "poll a link's SNMP counters into the sample store (where no scheduled poller runs, "
        "e.g. the demo, before the outcome)",
        "link, rounds?, interval_s?",
    ),
    "outcome": KnownTask(
        "bwauto.analysis.forecast_tasks", "8 → 10",
        "the change's outcome: the link after the change against its step-6 window, per "
        "direction, with a chart, attached to the request for the step-10 report",
        "request, after? (24h), lang?, out_dir?, by?",
    ),
    "forecast": KnownTask(
        "bwauto.analysis.forecast_tasks", "review",
        "saturation forecast of links and upstreams (daily p95, Theil–Sen); the XLSX gets a "
        "'Prakiraan' sheet (added to an existing workbook)",
        "link | all: true, horizon?, history?, threshold?, min_days?, csv?, xlsx?, chart_dir?, "
        "lang?",
    ),
    "request_step": KnownTask(
        "bwauto.case.tasks", "1–14",
        "record a step of a request in the register",
        "request, action (dispose|form|ba|report|review|close), by?, and the action's fields",
    ),
    "document": KnownTask(
        "bwauto.case.tasks", "5, 7, 9, 10",
        "write a request's document as DOCX and record it",
        "request, kind (form|reply|ba|report), lang?, out_dir?, reply_no?, chart?, by?",
    ),
    "analyse": KnownTask(
        "bwauto.analysis.tasks", "6",
        "analyse links (usage, capacity, availability); with `request`, attach the link's row "
        "and files to it (Register.attach_analysis)",
        "link | all: true, request_rate?, request?, since?, until?, csv?, excel_id?, xlsx?, "
        "chart_dir?, by?",
    ),
    "decide": KnownTask(
        "bwauto.analysis.tasks", "7 / 8",
        "record CAN (8) or CANNOT (7) for a request (Register.decide; with CANNOT a reply "
        "letter is then written by `document`); returns data.decision = 'CAN' | 'CANNOT', "
        "also in a dry-run, where nothing is recorded",
        "request, note?, decision? (against the analysis, with a note), since?, rate? "
        "(the dry-run's analysis)",
    ),
    "raise": KnownTask(
        "bwauto.change.tasks", "8",
        "raise a link's shaper (dry-run diff, commit-confirm, checks, evidence); with "
        "`request`, attach the evidence (Register.attach_change)",
        "link, to, request?, force?, allow_decrease?, confirm_timeout? (30-3600 s), by?",
    ),
    "rollback": KnownTask(
        "bwauto.change.tasks", "8", "restore the state before a change", "change, by?"
    ),
    "audit_drift": KnownTask(
        "bwauto.change.tasks", "8",
        "compare the inventory's committed rates with the routers' configs", "all: true | link",
    ),
    "monitor_register": KnownTask(
        "bwauto.monitoring.tasks", "8",
        "put a link (back) into the monitoring system; with `request`, attach the "
        "registration (Register.attach_monitoring)",
        "link, backend?, request?",
    ),
}  # fmt: skip
"""Task names the shipped playbooks use → the module expected to register them."""

TASK_MODULES: tuple[str, ...] = (
    *dict.fromkeys(k.module for k in KNOWN_TASKS.values()),
    "bwauto.case.recorded",  # which steps a case already holds (re-runs are idempotent)
)
ENTRY_POINT_GROUP = "bwauto.tasks"

RecordedCheck = Callable[[Any, TaskContext], TaskResult | None]
"""Says whether a step's result is already recorded (the result to report), else ``None``."""

RECORDED: dict[str, RecordedCheck] = {}
"""Task name → its ``RecordedCheck``: a re-run reports such a step ``ok (already recorded)``."""


def recorded_check(name: str) -> Callable[[RecordedCheck], RecordedCheck]:
    """Register the ``RecordedCheck`` of task ``name`` (decorator)."""

    def decorate(func: RecordedCheck) -> RecordedCheck:
        RECORDED[name] = func
        return func

    return decorate


def load_tasks() -> TaskRegistry:
    """Import the modules that register tasks (those installed) and the entry points.

    Returns ``REGISTRY``. An entry point may name a module (importing it registers its tasks
    with ``@task``) or a callable, which is called with ``REGISTRY``.
    """
    for module in TASK_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        loaded = ep.load()
        if callable(loaded):
            loaded(REGISTRY)
    return REGISTRY
