"""The shipped playbooks, and the case file's own tasks (request_step, document) run by one."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from bwauto.case.register import Register
from bwauto.playbooks import (
    KNOWN_TASKS,
    PlaybookError,
    TaskContext,
    TaskRegistry,
    TaskResult,
    load_playbook,
    load_tasks,
    plan,
    run,
)

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
SHIPPED = (
    "kenaikan-bandwidth.yaml",
    "review-all-links.yaml",
    "audit-drift.yaml",
    "rollback.yaml",
    "permohonan-disposisi.yaml",
    "permohonan-tinjauan.yaml",
)
REQUIRED = {
    "request": "KB-2026-0001",
    "link": "dinkes",
    "rate": "200M",
    "team_name": "Budi",
    "opd_name": "Rudi",
    "change": "CH-20260304-021500-3f9a",
    "staf": "Budi",
    "contact_name": "Rudi",
    "purpose": "SIMRS",
}


class AnyParams(BaseModel):
    model_config = ConfigDict(extra="allow")


def required(playbook_vars: dict[str, object]) -> dict[str, str]:
    return {k: v for k, v in REQUIRED.items() if k in playbook_vars}


def permissive_registry() -> TaskRegistry:
    """Every documented task name, taking any parameters (stands in for modules not built)."""
    reg = TaskRegistry()
    for name in KNOWN_TASKS:
        reg.register(name, AnyParams, lambda p, c: TaskResult.ok())
    return reg


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_playbook_parses_and_uses_documented_tasks(name: str) -> None:
    playbook = load_playbook(PLAYBOOKS / name)
    assert playbook.steps and playbook.name
    assert {s.task for s in playbook.steps} <= set(KNOWN_TASKS)
    validated = plan(
        playbook, permissive_registry(), required(playbook.vars)
    )  # every variable resolves
    assert len(validated.steps) == len(playbook.steps)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_task_of_the_shipped_playbooks_is_installed(name: str) -> None:
    registry = load_tasks()
    assert set(KNOWN_TASKS) <= set(registry.names())
    playbook = load_playbook(PLAYBOOKS / name)
    validated = plan(playbook, registry, required(playbook.vars))
    assert len(validated.steps) == len(playbook.steps)


def test_a_task_whose_module_is_missing_is_reported_unavailable() -> None:
    installed = load_tasks()
    registry = TaskRegistry()  # as if only the case file's module were installed
    for name in ("request_step", "document"):
        spec = installed.get(name)
        assert spec is not None
        registry.register(name, spec.params, spec.func)
    playbook = load_playbook(PLAYBOOKS / "kenaikan-bandwidth.yaml")
    with pytest.raises(PlaybookError) as exc:
        plan(playbook, registry, required(playbook.vars))
    missing = {p.message.split("'")[1] for p in exc.value.problems}
    assert missing == {"analyse", "decide", "raise", "monitor_register", "poll", "outcome"}
    assert all("is not available" in p.message for p in exc.value.problems)


def test_kenaikan_bandwidth_skips_the_raise_when_refused(tmp_path: Path) -> None:
    seen: list[str] = []
    reg = TaskRegistry()

    def record(name: str, data: dict[str, str] | None = None) -> None:
        def func(p: AnyParams, ctx: TaskContext) -> TaskResult:
            seen.append(name)
            return TaskResult.ok(data=data or {})

        reg.register(name, AnyParams, func)

    for name in KNOWN_TASKS:
        record(name, {"decision": "CANNOT"} if name == "decide" else None)
    playbook = load_playbook(PLAYBOOKS / "kenaikan-bandwidth.yaml")
    report = run(
        plan(playbook, reg, required(playbook.vars)),
        dry_run=False,
        inventory_dir=tmp_path,
        state_dir=tmp_path,
    )
    assert seen == ["analyse", "decide", "document"]
    assert [o.result.status for o in report.outcomes].count("skipped") == 8


CASE_PLAYBOOK = """
    name: langkah 2-5 dan dokumen isian
    vars:
      request: ~
    steps:
      - task: request_step
        with: {request: "{{ request }}", action: dispose, from: kadis, to: kabid}
      - task: request_step
        with: {request: "{{ request }}", action: dispose, from: kabid, to: kasi}
      - task: request_step
        with: {request: "{{ request }}", action: dispose, from: kasi, to: staf, assignees: [Budi]}
      - task: request_step
        with: {request: "{{ request }}", action: form, contact_name: Rudi Hartono,
               purpose: SIMRS, users: "240", by: rudi}
      - task: document
        with: {request: "{{ request }}", kind: form, lang: en}
    """


def test_case_tasks_run_from_a_playbook(tmp_path: Path) -> None:
    state = tmp_path / "state"
    reg = Register.in_state_dir(state, user="budi")
    case_id = reg.new(
        opd="Dinas Kesehatan",
        letter_no="045",
        letter_date=dt.date(2026, 2, 27),
        link_id="dinkes",
        rate_bps=200_000_000,
        purpose="SIMRS",
    )
    path = tmp_path / "case.yaml"
    path.write_text(textwrap.dedent(CASE_PLAYBOOK), encoding="utf-8")
    validated = plan(load_playbook(path), load_tasks(), {"request": case_id}, dry_run=True)

    dry = run(validated, dry_run=True, inventory_dir=tmp_path, state_dir=state)
    assert [o.result.status for o in dry.outcomes] == ["would_change", "failed"]
    assert "langkah 2 (Disposisi Kepala Dinas) belum dicatat" in dry.outcomes[1].result.message
    assert reg.get(case_id).record_count == 1  # a dry-run records nothing

    validated = plan(load_playbook(path), load_tasks(), {"request": case_id})
    real = run(validated, dry_run=False, inventory_dir=tmp_path, state_dir=state)
    assert [o.result.status for o in real.outcomes] == ["changed"] * 5
    records = reg.get(case_id).records()
    assert [(r.step, r.kind) for r in records] == [
        (1, "new"),
        (2, "dispose"),
        (3, "dispose"),
        (4, "dispose"),
        (5, "form"),
        (5, "document"),
    ]
    assert records[3].data["assignees"] == ["Budi"] and records[4].by == "rudi"
    assert records[4].data["users"] == 240
    written = Path(real.outcomes[4].result.data["path"])
    assert written.parent == state / "cases" / case_id and written.is_file()


def test_case_task_parameters_are_validated_before_running(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        textwrap.dedent("""
        name: bad
        steps:
          - task: request_step
            with: {request: KB-2026-0001, action: dispose, from: kadis, to: kasi}
          - task: request_step
            with: {request: KB-2026-0001, action: review, role: kasi}
          - task: document
            with: {request: KB-2026-0001, kind: letter}
        """),
        encoding="utf-8",
    )
    with pytest.raises(PlaybookError) as exc:
        plan(load_playbook(path), load_tasks())
    text = [str(p) for p in exc.value.problems]
    assert text[0].startswith(
        f"{path}:5: step 1 (request_step).with.dispose: Value error, a disposition goes kadis→kabid"
    )
    assert (
        text[1] == f"{path}:7: step 2 (request_step).with.review.approve: required parameter "
        "missing"
    )
    assert text[2].startswith(f"{path}:9: step 3 (document).with.kind: Input should be 'form'")
