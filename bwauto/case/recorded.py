"""What a request's case file already holds, for playbooks run again (idempotent re-runs).

Each function is the ``RecordedCheck`` of a task: given the step's parameters it returns the
result to report — ``ok (already recorded)``, with the data later steps' ``when`` reads (the
decision, say) — when the case already records what the step would record, else ``None``
(the step runs). So a playbook that failed at the raise, run again, passes over steps 6 and
7/8's decision and resumes at the raise.
"""

from __future__ import annotations

from typing import Any

from bwauto.analysis.sentences import verdict as say_verdict
from bwauto.case.register import Register
from bwauto.case.steps import DISPOSITIONS, REVIEWS, step
from bwauto.case.workflow import DOCUMENT_STEPS, CaseState
from bwauto.change.words import outcome_text
from bwauto.i18n import _, current
from bwauto.playbooks.registry import TaskContext, TaskResult, recorded_check

ALREADY = "(already recorded)"


def _state(ctx: TaskContext, request: str | None) -> CaseState | None:
    if request is None:
        return None
    return Register.in_state_dir(ctx.state_dir).state(request)


def _label(number: int) -> str:
    """``langkah 9 (Berita Acara Pekerjaan)`` in the chosen language."""
    return step(number).label("en" if current() == "en" else "id")


def _ok(text: str, data: dict[str, Any] | None = None) -> TaskResult:
    return TaskResult.ok(f"{ALREADY} {text}", data or {})


@recorded_check("analyse")
def analysed(params: Any, ctx: TaskContext) -> TaskResult | None:
    """Step 6 done: the attached analysis (its decision for ``when``)."""
    state = _state(ctx, getattr(params, "request", None))
    if state is None or 6 not in state.done or "analysis" not in state.latest:
        return None
    summary = dict(state.latest["analysis"].data["summary"])
    data = {"decision": summary.get("decision"), "rows": [summary]}
    return _ok(_("{request}: step 6, analysis {decision}").format(
        request=params.request, decision=say_verdict(summary.get("decision"))), data)  # fmt: skip


@recorded_check("decide")
def decided(params: Any, ctx: TaskContext) -> TaskResult | None:
    """The decision recorded (step 7 or 8): ``data.decision`` for ``when``."""
    state = _state(ctx, params.request)
    if state is None or state.decision is None:
        return None
    verdict = "CAN" if state.decision else "CANNOT"
    number = 8 if state.decision else 7
    data = {"request": params.request, "decision": verdict, "step": number}
    said = _("{request}: {decision} (step {number})")
    return _ok(said.format(request=params.request, decision=say_verdict(verdict), number=number),
               data)  # fmt: skip


@recorded_check("raise")
def raised(params: Any, ctx: TaskContext) -> TaskResult | None:
    """A successful change attached to the request (step 8)."""
    state = _state(ctx, getattr(params, "request", None))
    if state is None or not state.change_ok or "change" not in state.latest:
        return None
    change = state.latest["change"].data
    data = {"change_id": change.get("change_id"), "link": change.get("link"),
            "outcome": change.get("outcome"), "monitoring": change.get("monitoring")}  # fmt: skip
    return _ok(_("{request}: change {change} ({outcome})").format(
        request=params.request, change=change.get("change_id"),
        outcome=outcome_text(str(change.get("outcome")))), data)  # fmt: skip


@recorded_check("monitor_register")
def monitored(params: Any, ctx: TaskContext) -> TaskResult | None:
    """The link's monitoring registration attached (step 8)."""
    state = _state(ctx, getattr(params, "request", None))
    if state is None or not state.monitoring_ok:
        return None
    return _ok(
        _("{request}: monitoring registration of {link}").format(
            request=params.request, link=params.link
        )
    )


def _step_of(p: Any) -> int:
    action = p.action
    if action == "dispose":
        return DISPOSITIONS[(p.from_role, p.to_role)]
    if action == "review":
        return REVIEWS[p.role]
    return {"form": 5, "ba": 9, "report": 10, "close": 14}[action]


@recorded_check("request_step")
def step_recorded(params: Any, ctx: TaskContext) -> TaskResult | None:
    """The SOP step this action records is done."""
    p = params.root
    state = _state(ctx, p.request)
    number = _step_of(p)
    if state is None or number not in state.done:
        return None
    return _ok(f"{p.request}: {_label(number)}",
               {"request": p.request, "step": number})  # fmt: skip


@recorded_check("document")
def document_written(params: Any, ctx: TaskContext) -> TaskResult | None:
    """The document was recorded after the last record of its step (not an older version)."""
    state = _state(ctx, params.request)
    if state is None or params.kind not in state.documents:
        return None
    doc = state.documents[params.kind]
    step_kind = {"form": "form", "ba": "ba", "report": "report", "reply": "decision"}
    source = state.latest.get(step_kind[params.kind])
    if source is not None and source.seq > doc.seq:
        return None  # the step was recorded again (a returned case): write it again
    label = _label(DOCUMENT_STEPS[params.kind])
    path = doc.data.get("file", {}).get("path", "")
    said = _("{request}: document of {step}: {path}")
    return _ok(said.format(request=params.request, step=label, path=path), {"path": path})
