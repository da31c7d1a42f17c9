"""What each document's template sees: the case and its records, as plain dicts.

Every template gets ``case`` (id, opd, link_id, rate_bps, letter_no, letter_date, purpose,
received), ``sop`` (number, name), ``today`` (WIB date) and ``lang``. Then, per document:

* ``form`` (step 5): ``form`` — the Dokumen Isian Kelengkapan fields (all empty when blank),
  ``blank``;
* ``reply`` (step 7): ``analysis`` (the step-6 report row, with ``reasons``), ``decision``,
  ``reply_no``, ``chart`` (a PNG path or "");
* ``ba`` (step 9): ``ba``, ``change`` (the successful change, with ``added``/``removed``
  diff line counts), ``monitoring``;
* ``report`` (step 10): ``report``, ``change``, ``monitoring``, ``ba``, ``analysis``,
  ``chart``, ``documentation`` (other attached files).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bwauto.case.documents.formatting import NOT_SHAPED
from bwauto.case.inputs import AnalysisSummary, ChangeSummary, CompletenessForm
from bwauto.case.records import Case, Record
from bwauto.case.workflow import CaseState, change_succeeded, monitoring_succeeded

SOP = {"number": "04/SOP/Kominfo-PE/10/2018", "name": "Permohonan Kenaikan Bandwidth"}
CASE_FIELDS = (
    "id",
    "opd",
    "link_id",
    "rate_bps",
    "letter_no",
    "letter_date",
    "purpose",
    "received",
)


def base_context(case: Case | None, lang: str, today: dt.date) -> dict[str, Any]:
    """The context every template gets (``case`` fields empty for a blank form)."""
    if case is None:
        info: dict[str, Any] = dict.fromkeys(CASE_FIELDS, "")
    else:
        info = {
            **case.request,
            "id": case.id,
            "opd": case.opd,
            "link_id": case.link_id,
            "rate_bps": case.rate_bps,
        }
    return {"case": info, "sop": SOP, "today": today, "lang": lang}


def form_context(state: CaseState | None) -> dict[str, Any]:
    """``form``: the recorded form, or every field empty; ``blank``."""
    record = state.latest.get("form") if state else None
    if record is None:
        return {"form": dict.fromkeys(CompletenessForm.model_fields, ""), "blank": True}
    return {"form": dict(record.data), "blank": False}


def _analysis(state: CaseState) -> dict[str, Any]:
    record = state.latest.get("analysis")
    if record is None:
        return {}
    row = AnalysisSummary.model_validate(record.data["summary"])
    return {**row.model_dump(), "reasons": row.reasons}


def _first_png(record: Record | None) -> str:
    files = record.files() if record else []
    return next((f["path"] for f in files if f["path"].lower().endswith(".png")), "")


def reply_context(state: CaseState, reply_no: str = "", chart: str = "") -> dict[str, Any]:
    """Step 7: the analysis figures, the decision, the reply letter's number and chart."""
    decision = state.latest.get("decision")
    return {
        "analysis": _analysis(state),
        "decision": dict(decision.data) if decision else {},
        "reply_no": reply_no,
        "chart": chart or _first_png(state.latest.get("analysis")),
    }


NO_RATE = {"up": None, "down": None}
NO_MONITORING = {"backend": "", "ok": False, "verified": False, "detail": ""}


def _change(state: CaseState) -> dict[str, Any]:
    record = state.latest.get("change")
    if record is None:
        return {}
    change = ChangeSummary.model_validate(record.data)
    added, removed = change.diff_stats
    data = change.model_dump()
    for key in ("rate_before", "rate_after", "target"):
        data[key] = NO_RATE | (data[key] or {})
        if any(v is not None for v in data[key].values()):  # a direction the router leaves be
            data[key] = {k: NOT_SHAPED if v is None else v for k, v in data[key].items()}
    return {**data, "ok": change_succeeded(data), "added": added, "removed": removed}


def _monitoring(state: CaseState) -> dict[str, Any]:
    record = state.latest.get("monitoring")
    change = state.latest.get("change")
    nested = change.data.get("monitoring") if change else None
    if record is not None and (monitoring_succeeded(record.data) or not nested):
        return NO_MONITORING | record.data
    return NO_MONITORING | (nested or {})


def ba_context(state: CaseState) -> dict[str, Any]:
    """Step 9: the Berita Acara's fields, the change and the monitoring registration."""
    ba = state.latest.get("ba")
    return {
        "ba": dict(ba.data) if ba else {},
        "change": _change(state),
        "monitoring": _monitoring(state),
    }


def report_context(state: CaseState, chart: str = "") -> dict[str, Any]:
    """Step 10: the report, the change with its checks, monitoring, the BA and the analysis."""
    report = state.latest.get("report")
    files = report.files() if report else []
    return {
        **ba_context(state),
        "report": dict(report.data) if report else {},
        "analysis": _analysis(state),
        "chart": chart or next((f["path"] for f in files if f["role"] == "chart"), ""),
        "documentation": [f["path"] for f in files if f["role"] == "documentation"],
    }
