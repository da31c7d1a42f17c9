"""Check a whole playbook before anything runs, and turn it into a ``Plan``.

Every problem is collected with the playbook's file and line: an unknown task (or one whose
module is not installed), a variable used but never defined, a variable left empty (``~``)
and not given with ``-e``, an ``-e`` for a variable the playbook does not declare, a
``when`` that does not parse, and each parameter the task's model refuses (missing, unknown,
wrong type). Parameters are rendered with the variables and validated by the task's pydantic
model here, so a step never starts with parameters it cannot take.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from pydantic import BaseModel, ValidationError

from bwauto.errors import Problem
from bwauto.playbooks import templating
from bwauto.playbooks.model import Playbook, PlaybookError, PlayStep
from bwauto.playbooks.registry import KNOWN_TASKS, TaskRegistry, TaskSpec

RUNTIME_NAMES = frozenset({"dry_run"})
"""Names every template may use besides the playbook's variables."""


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """A step ready to run: its task and validated parameters."""

    step: PlayStep
    spec: TaskSpec
    params: BaseModel


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated playbook: resolved variables and the steps to run."""

    playbook: Playbook
    vars: dict[str, Any]
    steps: tuple[PlannedStep, ...]


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["k=v", ...]`` from ``-e`` into a dict (values stay text; the task models convert).

    Raises:
        PlaybookError: a pair without ``=``.
    """
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise PlaybookError([Problem("-e", "", "", f"{pair!r}: expected key=value")])
        out[key.strip()] = value
    return out


def plan(
    playbook: Playbook,
    registry: TaskRegistry,
    overrides: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> Plan:
    """Validate ``playbook`` against ``registry`` with ``-e`` ``overrides``.

    Raises:
        PlaybookError: listing every problem found, with file and line.
    """
    problems: list[Problem] = []
    variables = _variables(playbook, dict(overrides or {}), problems)
    variables["dry_run"] = dry_run
    earlier_ids: set[str] = set()
    planned = []
    for step in playbook.steps:
        result = _plan_step(playbook, step, registry, variables, earlier_ids, problems)
        if result is not None:
            planned.append(result)
        if step.id:
            earlier_ids.add(step.id)
    if problems:
        raise PlaybookError(problems)
    return Plan(playbook, variables, tuple(planned))


def _variables(
    playbook: Playbook, overrides: dict[str, str], problems: list[Problem]
) -> dict[str, Any]:
    f = str(playbook.path)
    for key in overrides:
        if key not in playbook.vars:
            declared = ", ".join(playbook.vars) or "none"
            problems.append(
                Problem(
                    f, "-e", key, f"the playbook declares no such variable (declared: {declared})"
                )
            )
    resolved: dict[str, Any] = {}
    for key, raw in playbook.vars.items():
        value = overrides.get(key, raw)
        line = playbook.var_lines.get(key)
        if value is None:
            problems.append(
                Problem(f, "vars", key, f"has no value: give it with -e {key}=...", line)
            )
            continue
        try:
            resolved[key] = _render_var(key, value, resolved)
        except (jinja2.TemplateError, TypeError, ValueError) as exc:
            problems.append(Problem(f, "vars", key, _jinja_message(exc), line))
    return resolved


def _render_var(key: str, value: Any, earlier: dict[str, Any]) -> Any:
    missing = templating.names_used(value) - set(earlier) - RUNTIME_NAMES
    if missing:
        raise ValueError(f"uses {', '.join(sorted(missing))}, not defined above it")
    return templating.render_value(value, earlier)


def _jinja_message(exc: Exception) -> str:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"template syntax error: {exc.message}"
    return str(exc)


def _plan_step(
    playbook: Playbook,
    step: PlayStep,
    registry: TaskRegistry,
    variables: dict[str, Any],
    earlier_ids: set[str],
    problems: list[Problem],
) -> PlannedStep | None:
    f = str(playbook.path)
    before = len(problems)
    spec = registry.get(step.task)
    if spec is None:
        problems.append(
            Problem(f, step.where, "task", _unknown_task(step.task, registry), step.task_line)
        )
    declared = set(variables) | set(playbook.vars)
    if step.when is not None:
        _check_when(f, step, declared, earlier_ids, problems)
    _check_names(f, step, declared, problems)
    unresolved = set(playbook.vars) - set(variables)
    if spec is None or len(problems) > before or templating.names_used(step.params) & unresolved:
        return None  # the missing variable is reported once, where it is declared
    try:
        rendered = templating.render_value(step.params, variables)
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        problems.append(Problem(f, step.where, "with", _jinja_message(exc), step.line_of(None)))
        return None
    try:
        return PlannedStep(step, spec, spec.params.model_validate(rendered))
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            param = next((p for p in loc if p in step.param_lines), None)
            field = ".".join(loc[loc.index(param) :] if param else loc) or "with"
            problems.append(
                Problem(f, step.where, f"with.{field}", _pydantic_message(err), step.line_of(param))
            )
        return None


def _unknown_task(name: str, registry: TaskRegistry) -> str:
    known = KNOWN_TASKS.get(name)
    if known is not None:
        return (
            f"task {name!r} is not available: it is registered by {known.module}, "
            "which is not installed in this bwauto"
        )
    return f"unknown task {name!r}; available: {', '.join(registry.names()) or 'none'}"


def _pydantic_message(err: Any) -> str:
    if err["type"] == "missing":
        return "required parameter missing"
    if err["type"] == "extra_forbidden":
        return "unknown parameter"
    return f"{err['msg']} (got {err.get('input')!r})"


def _check_names(f: str, step: PlayStep, variables: set[str], problems: list[Problem]) -> None:
    for param, value in step.params.items():
        try:
            missing = templating.names_used(value) - variables - RUNTIME_NAMES
        except jinja2.TemplateSyntaxError as exc:
            problems.append(
                Problem(f, step.where, f"with.{param}", _jinja_message(exc), step.line_of(param))
            )
            continue
        for name in sorted(missing):
            problems.append(
                Problem(
                    f,
                    step.where,
                    f"with.{param}",
                    f"undefined variable {name!r}: declare it under vars",
                    step.line_of(param),
                )
            )


def _check_when(
    f: str,
    step: PlayStep,
    variables: set[str],
    earlier_ids: set[str],
    problems: list[Problem],
) -> None:
    assert step.when is not None
    try:
        names = templating.expression_names(step.when)
    except jinja2.TemplateSyntaxError as exc:
        problems.append(Problem(f, step.where, "when", _jinja_message(exc), step.when_line))
        return
    for name in sorted(names - variables - RUNTIME_NAMES - {"steps"}):
        problems.append(
            Problem(f, step.where, "when", f"undefined variable {name!r}", step.when_line)
        )
    for ref in _step_refs(step.when) - earlier_ids:
        problems.append(
            Problem(f, step.where, "when", f"no earlier step has id {ref!r}", step.when_line)
        )


def _step_refs(expr: str) -> set[str]:
    return set(re.findall(r"\bsteps\.([A-Za-z_][A-Za-z0-9_]*)", expr))
