"""The playbook engine with fake tasks in a test registry: validation before anything runs,
stop at the first failure, continue_on_error, dry-run passed to every step, `when`."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from bwauto.errors import ApplyError
from bwauto.playbooks import (
    PlaybookError,
    TaskContext,
    TaskRegistry,
    TaskResult,
    load_playbook,
    parse_overrides,
    plan,
    run,
)


class EchoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str
    count: int = 1


class FailParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str


@dataclass
class Fakes:
    """A test registry whose tasks record every call (params and dry_run)."""

    calls: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)
    registry: TaskRegistry = field(default_factory=TaskRegistry)

    def __post_init__(self) -> None:
        reg = self.registry

        @reg.task("echo", EchoParams)
        def echo(p: EchoParams, ctx: TaskContext) -> TaskResult:
            self.calls.append(("echo", p.model_dump(), ctx.dry_run))
            return TaskResult.ok(p.message * p.count, {"said": p.message})

        @reg.task("change", EchoParams)
        def change(p: EchoParams, ctx: TaskContext) -> TaskResult:
            self.calls.append(("change", p.model_dump(), ctx.dry_run))
            return TaskResult.changed(f"changed {p.message}")

        @reg.task("fail", FailParams)
        def fail(p: FailParams, ctx: TaskContext) -> TaskResult:
            self.calls.append(("fail", p.model_dump(), ctx.dry_run))
            return TaskResult.failed(p.reason)

        @reg.task("boom", FailParams)
        def boom(p: FailParams, ctx: TaskContext) -> TaskResult:
            self.calls.append(("boom", p.model_dump(), ctx.dry_run))
            raise ApplyError(f"router refused: {p.reason}")


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "play.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def refused(path: Path, fakes: Fakes, overrides: dict[str, str] | None = None) -> list[str]:
    """Plan the playbook, expect a refusal, and check that no task ran."""
    with pytest.raises(PlaybookError) as exc:
        plan(load_playbook(path), fakes.registry, overrides)
    assert fakes.calls == []
    assert str(exc.value).startswith("playbook refused, nothing was run:")
    return [str(p) for p in exc.value.problems]


def execute(path: Path, fakes: Fakes, dry_run: bool = False, **overrides: str) -> Any:
    validated = plan(load_playbook(path), fakes.registry, overrides, dry_run)
    return run(validated, dry_run=dry_run, inventory_dir=path.parent, state_dir=path.parent)


def test_bad_yaml_is_refused_with_its_line(tmp_path: Path, fakes: Fakes) -> None:
    path = write(
        tmp_path,
        """
        name: broken
        steps:
          - task: echo
            with: {message: "a"
          - task: echo
        """,
    )
    problems = refused(path, fakes)
    assert len(problems) == 1 and problems[0].startswith(f"{path}:5: invalid YAML")


def test_malformed_steps_are_refused_with_lines(tmp_path: Path, fakes: Fakes) -> None:
    path = write(
        tmp_path,
        """
        name: malformed
        stepz: []
        steps:
          - task: echo
            with: {message: hi}
            contine_on_error: true
          - with: {message: hi}
          - task: echo
            continue_on_error: "yes"
            id: a
          - task: echo
            id: a
        """,
    )
    assert refused(path, fakes) == [
        f"{path}:2: stepz: unknown key; allowed: name, description, vars, steps",
        f"{path}:6: step 1.contine_on_error: unknown key; allowed: name, id, task, with, when, "
        "continue_on_error",
        f"{path}:7: step 2.task: required: the task to run",
        f"{path}:9: step 3.continue_on_error: must be true or false",
    ]


def test_unknown_task_missing_and_mistyped_parameters_before_anything_runs(
    tmp_path: Path, fakes: Fakes
) -> None:
    path = write(
        tmp_path,
        """
        name: wrong
        vars:
          who: world
        steps:
          - name: greet
            task: echo
            with: {message: "hello {{ who }}"}
          - task: ehco
            with: {message: x}
          - task: echo
            with:
              count: 2
          - task: echo
            with:
              message: x
              count: many
              colour: red
          - task: raise
            with: {link: dinkes}
        """,
    )
    assert refused(path, fakes) == [
        f"{path}:8: step 2 (ehco).task: unknown task 'ehco'; available: boom, change, echo, fail",
        f"{path}:11: step 3 (echo).with.message: required parameter missing",
        f"{path}:16: step 4 (echo).with.count: Input should be a valid integer, unable to parse "
        "string as an integer (got 'many')",
        f"{path}:17: step 4 (echo).with.colour: unknown parameter",
        f"{path}:18: step 5 (raise).task: task 'raise' is not available: it is registered by "
        "bwauto.change.tasks, which is not installed in this bwauto",
    ]


def test_undefined_variables_are_refused(tmp_path: Path, fakes: Fakes) -> None:
    path = write(
        tmp_path,
        """
        name: vars
        vars:
          request: ~
          out: "{{ base }}/x"
          base: /tmp
        steps:
          - task: echo
            with:
              message: "{{ reqest }}"
          - task: echo
            when: steps.nope.status == 'ok' and flag
            with: {message: "{{ request }}"}
        """,
    )
    assert refused(path, fakes, {"requets": "KB-2026-0001"}) == [
        f"{path}: -e.requets: the playbook declares no such variable (declared: request, out, "
        "base)",
        f"{path}:3: vars.request: has no value: give it with -e request=...",
        f"{path}:4: vars.out: uses base, not defined above it",
        f"{path}:9: step 1 (echo).with.message: undefined variable 'reqest': declare it under vars",
        f"{path}:11: step 2 (echo).when: undefined variable 'flag'",
        f"{path}:11: step 2 (echo).when: no earlier step has id 'nope'",
    ]


def test_overrides_and_native_types(tmp_path: Path, fakes: Fakes) -> None:
    path = write(
        tmp_path,
        """
        name: typed
        vars:
          n: 2
          word: ~
          line: "{{ word }}!"
        steps:
          - task: echo
            with: {message: "{{ line }}", count: "{{ n }}"}
        """,
    )
    report = execute(path, fakes, word="halo", n="3")
    assert fakes.calls == [("echo", {"message": "halo!", "count": 3}, False)]
    assert report.outcomes[0].result.message == "halo!halo!halo!"
    assert parse_overrides(["a=b=c", "x="]) == {"a": "b=c", "x": ""}
    with pytest.raises(PlaybookError, match="expected key=value"):
        parse_overrides(["novalue"])


PIPELINE = """
    name: pipeline
    steps:
      - {task: echo, with: {message: one}}
      - {task: fail, with: {reason: "disk full"}, continue_on_error: CONT}
      - {task: boom, with: {reason: auth}, continue_on_error: CONT}
      - {task: change, with: {message: three}}
    """


def test_stops_at_the_first_failed_step(tmp_path: Path, fakes: Fakes) -> None:
    report = execute(write(tmp_path, PIPELINE.replace("CONT", "false")), fakes)
    assert [c[0] for c in fakes.calls] == ["echo", "fail"]
    assert [o.result.status for o in report.outcomes] == ["ok", "failed"]
    assert report.stopped_at == 2 and report.not_run == 2 and report.exit_code == 1
    assert report.outcomes[1].result.message == "disk full"


def test_continue_on_error_runs_on(tmp_path: Path, fakes: Fakes) -> None:
    report = execute(write(tmp_path, PIPELINE.replace("CONT", "true")), fakes)
    assert [c[0] for c in fakes.calls] == ["echo", "fail", "boom", "change"]
    assert [o.result.status for o in report.outcomes] == ["ok", "failed", "failed", "changed"]
    assert report.outcomes[2].result.message == "router refused: auth"
    assert report.stopped_at is None and report.exit_code == 1 and len(report.failed) == 2


def test_dry_run_reaches_every_step(tmp_path: Path, fakes: Fakes) -> None:
    report = execute(write(tmp_path, PIPELINE.replace("CONT", "true")), fakes, dry_run=True)
    assert [c[2] for c in fakes.calls] == [True, True, True, True]
    assert report.outcomes[3].result.status == "would_change"  # never "changed" in a dry-run
    assert report.to_dict()["dry_run"] is True


def test_when_reads_earlier_results(tmp_path: Path, fakes: Fakes) -> None:
    path = write(
        tmp_path,
        """
        name: when
        vars: {wanted: CAN}
        steps:
          - {id: decide, task: echo, with: {message: CAN}}
          - {task: change, when: "steps.decide.data.said == wanted", with: {message: yes}}
          - {task: change, when: "steps.decide.data.said != wanted", with: {message: no}}
          - {task: echo, when: "not dry_run", with: {message: real}}
        """,
    )
    report = execute(path, fakes, dry_run=True)
    assert [o.result.status for o in report.outcomes] == [
        "ok",
        "would_change",
        "skipped",
        "skipped",
    ]
    assert [c[1]["message"] for c in fakes.calls] == ["CAN", "yes"]


def test_a_task_name_is_registered_once() -> None:
    reg = TaskRegistry()
    reg.register("x", EchoParams, lambda p, c: TaskResult.ok())
    with pytest.raises(ValueError, match="already registered"):
        reg.register("x", EchoParams, lambda p, c: TaskResult.ok())
    assert "x" in reg and reg.names() == ["x"]
