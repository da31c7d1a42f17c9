"""Playbook tasks of the case file: ``request_step`` and ``document``.

``request_step`` records one SOP step of a request; its parameters depend on ``action``::

    - task: request_step
      with: {request: "{{ request }}", action: dispose, from: kadis, to: kabid, note: "..."}
    - task: request_step
      with: {request: "{{ request }}", action: form, contact_name: Rudi, purpose: SIMRS}
    - task: request_step
      with: {request: "{{ request }}", action: ba, team_name: Budi, opd_name: Rudi}
    - task: request_step
      with: {request: "{{ request }}", action: report, summary: "...", chart: chart.png}
    - task: request_step
      with: {request: "{{ request }}", action: review, role: kasi, approve: true}
    - task: request_step
      with: {request: "{{ request }}", action: close}

(``form``, ``ba`` and ``report`` take the fields of ``CompletenessForm``, ``BeritaAcara`` and
``ReportInfo``.) ``document`` writes a request's DOCX (``kind``: form, reply, ba, report) into
``out_dir`` (default ``<state_dir>/cases/<request>/``) and records it. With ``--dry-run``
both check the SOP's order (and render the document) but record and write nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator

from bwauto.case.documents import case_dir, write_document
from bwauto.case.inputs import BeritaAcara, CompletenessForm, ReportInfo
from bwauto.case.mutu_baku import WIB
from bwauto.case.office import ba_number
from bwauto.case.records import Record
from bwauto.case.register import Register
from bwauto.case.steps import DISPOSITIONS, REVIEWS, step
from bwauto.i18n import _, current
from bwauto.playbooks.registry import TaskContext, TaskResult, task

COMMON = ("request", "by", "action")


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    request: str
    by: str | None = None


class DisposeStep(_Common):
    """Steps 2–4."""

    action: Literal["dispose"]
    from_role: Literal["kadis", "kabid", "kasi"] = Field(alias="from")
    to_role: Literal["kabid", "kasi", "staf"] = Field(alias="to")
    note: str = ""
    assignees: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sop_pair(self) -> DisposeStep:
        if (self.from_role, self.to_role) not in DISPOSITIONS:
            raise ValueError("a disposition goes kadis→kabid, kabid→kasi or kasi→staf")
        return self


class FormStep(CompletenessForm):
    """Step 5."""

    action: Literal["form"]
    request: str
    by: str | None = None


class BaStep(BeritaAcara):
    """Step 9."""

    action: Literal["ba"]
    request: str
    by: str | None = None


class ReportStep(ReportInfo):
    """Step 10."""

    action: Literal["report"]
    request: str
    by: str | None = None


class ReviewStep(_Common):
    """Steps 11–13."""

    action: Literal["review"]
    role: Literal["kasi", "kabid", "kadis"]
    approve: bool
    note: str = ""
    return_to: int | None = None


class CloseStep(_Common):
    """Step 14."""

    action: Literal["close"]
    note: str = ""


AnyStep = DisposeStep | FormStep | BaStep | ReportStep | ReviewStep | CloseStep


class RequestStepParams(RootModel[Annotated[AnyStep, Field(discriminator="action")]]):
    """Parameters of ``request_step``: ``request``, ``action`` and the action's fields."""


def _fields(params: BaseModel) -> dict[str, Any]:
    return params.model_dump(exclude=set(COMMON))


def _plan(p: AnyStep, reg: Register) -> tuple[str, int, dict[str, Any], Callable[[], Record]]:
    """(kind, step, data to check, the call that records it)."""
    if isinstance(p, DisposeStep):
        number = DISPOSITIONS[(p.from_role, p.to_role)]
        return (
            "dispose",
            number,
            {},
            lambda: reg.dispose(
                p.request,
                from_role=p.from_role,
                to_role=p.to_role,
                note=p.note,
                assignees=p.assignees,
                by=p.by,
            ),
        )
    if isinstance(p, FormStep):
        return "form", 5, {}, lambda: reg.form(p.request, _fields(p), by=p.by)
    if isinstance(p, BaStep):
        return "ba", 9, {}, lambda: reg.ba(p.request, _fields(p), by=p.by)
    if isinstance(p, ReportStep):
        return "report", 10, {}, lambda: reg.report(p.request, _fields(p), by=p.by)
    if isinstance(p, ReviewStep):
        check = {"approve": p.approve, "return_to": 10 if p.return_to is None else p.return_to}
        return (
            "review",
            REVIEWS[p.role],
            check,
            lambda: reg.review(
                p.request,
                role=p.role,
                approve=p.approve,
                note=p.note,
                return_to=p.return_to,
                by=p.by,
            ),
        )
    return "close", 14, {}, lambda: reg.close(p.request, note=p.note, by=p.by)


@task("request_step", RequestStepParams, "record an SOP step of a request in the register")
def request_step(params: RequestStepParams, ctx: TaskContext) -> TaskResult:
    """Record (or, in a dry-run, check) one SOP step of a request."""
    p = params.root
    reg = Register.for_office(ctx.state_dir, ctx.inventory_dir)
    if isinstance(p, BaStep) and not p.number:
        day = p.date or reg.clock().astimezone(WIB).date()
        p = p.model_copy(update={"number": ba_number(ctx.inventory_dir, p.request, day)})
    kind, number, check, record = _plan(p, reg)
    label = step(number).label("en" if current() == "en" else "id") if number else kind
    if ctx.dry_run:
        reg.check(p.request, kind, number, check)
        return TaskResult.would_change(_("{request}: {step} would be recorded").format(
            request=p.request, step=label))  # fmt: skip
    rec = record()
    return TaskResult.changed(
        _("{request}: {step} recorded").format(request=p.request, step=label),
        {"request": p.request, "step": rec.step, "record": rec.seq},
    )


class DocumentParams(BaseModel):
    """Parameters of ``document``."""

    model_config = ConfigDict(extra="forbid")

    request: str
    kind: Literal["form", "reply", "ba", "report"]
    lang: Literal["id", "en"] | None = None
    out_dir: Path | None = None
    reply_no: str = ""
    chart: str = ""
    by: str | None = None

    @field_validator("lang", mode="before")
    @classmethod
    def _empty_is_current(cls, value: Any) -> Any:
        """``lang: ""`` (the playbooks' default) means the chosen language (``--lang``)."""
        return None if value == "" else value


@task("document", DocumentParams, "write a request's document (form, reply, ba, report)")
def document(params: DocumentParams, ctx: TaskContext) -> TaskResult:
    """Write (or, in a dry-run, render only) a document of a request and record it."""
    reg = Register.for_office(ctx.state_dir, ctx.inventory_dir)
    out_dir = params.out_dir or case_dir(ctx.state_dir, params.request)
    path = write_document(
        reg,
        params.request,
        params.kind,
        out_dir,
        lang=params.lang or current(),
        inventory_dir=ctx.inventory_dir,
        reply_no=params.reply_no,
        chart=params.chart,
        by=params.by,
        dry_run=ctx.dry_run,
    )
    data = {"request": params.request, "kind": params.kind, "path": str(path)}
    if ctx.dry_run:
        return TaskResult.would_change(_("would write {files}").format(files=path), data)
    return TaskResult.changed(_("wrote {path}").format(path=path), data)
