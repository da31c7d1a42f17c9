"""The SOP's order as pure logic: replay a case's records, say what may be recorded next.

``replay(records)`` gives a ``CaseState``; ``check(state, kind, step, data)`` refuses a record
the SOP's order does not allow yet, naming the missing step in Indonesian and English.

The flow: 1 → 2 → 3 → 4 → 5 → 6 → decision (◆). CANNOT: 7 (reply letter) → 14.
CAN: 8 (the change *and* the monitoring registration) → 9 → 10 → 11 → 12 → 13 → 14.
A review (11–13) that returns the case reopens the step it names and every later one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bwauto.case.errors import StepOrderError
from bwauto.case.records import Record
from bwauto.case.steps import REVIEWS, step
from bwauto.i18n import one_of

CHANGE_OK = ("changed", "no-op")
"""Change outcomes that complete step 8 (a dry-run never does)."""

DOCUMENT_STEPS: dict[str, int] = {"form": 5, "reply": 7, "ba": 9, "report": 10}
"""Document kind → the SOP step whose output it is."""


@dataclass(frozen=True, slots=True)
class StepEvent:
    """A step completed, or a review that sent the case back (``returned_to``)."""

    step: int
    at: dt.datetime
    seq: int
    by: str
    returned_to: int | None = None


@dataclass
class CaseState:
    """Where a case stands after replaying its records.

    Attributes:
        done: completed steps → when (steps reopened by a return are removed).
        decision: ``True`` CAN (step 8), ``False`` CANNOT (step 7), ``None`` not yet.
        change_ok: a successful change (not a dry-run) is attached for step 8.
        monitoring_ok: the link's monitoring registration succeeded (step 8).
        documents: document kind → its latest ``document`` record.
        latest: record kind → its latest record.
        events: completions and returns, in order (the case's timeline).
        received: when the request letter arrived (start of step 1).
        closed: step 14 recorded.
    """

    done: dict[int, dt.datetime] = field(default_factory=dict)
    decision: bool | None = None
    change_ok: bool = False
    monitoring_ok: bool = False
    documents: dict[str, Record] = field(default_factory=dict)
    latest: dict[str, Record] = field(default_factory=dict)
    events: list[StepEvent] = field(default_factory=list)
    received: dt.datetime | None = None
    closed: bool = False

    @property
    def refused(self) -> bool:
        """The request was decided CANNOT (step 7)."""
        return self.decision is False

    def next_steps(self) -> tuple[int, ...]:
        """The step(s) that may be completed next (``(7, 8)`` while the decision is open).

        Examples:
            >>> CaseState(done=dict.fromkeys(range(1, 7))).next_steps()
            (7, 8)
        """
        if self.closed:
            return ()
        if self.refused:
            return (14,) if 7 in self.done else (7,)
        for n in range(1, 14):
            if n == 7:
                continue
            if n not in self.done:
                return (7, 8) if n == 8 and self.decision is None else (n,)
        return (14,)


def replay(records: Iterable[Record]) -> CaseState:
    """The state of a case after ``records`` (assumed valid: they were checked when written)."""
    state = CaseState()
    for rec in records:
        _apply(state, rec)
    return state


def _complete(state: CaseState, number: int, rec: Record) -> None:
    if number not in state.done:
        state.done[number] = rec.at
        state.events.append(StepEvent(number, rec.at, rec.seq, rec.by))


def _apply(state: CaseState, rec: Record) -> None:
    state.latest[rec.kind] = rec
    if rec.kind == "new":
        received = rec.data.get("received")
        state.received = dt.datetime.fromisoformat(received) if received else rec.at
    if rec.kind in ("new", "dispose", "form", "analysis", "ba", "report"):
        _complete(state, rec.step, rec)
    elif rec.kind == "decision":
        state.decision = bool(rec.data["can"])
        if not state.decision:
            _complete(state, 7, rec)
    elif rec.kind == "change":
        state.change_ok = state.change_ok or change_succeeded(rec.data)
        registration = rec.data.get("monitoring")
        state.monitoring_ok = state.monitoring_ok or monitoring_succeeded(registration)
    elif rec.kind == "monitoring":
        state.monitoring_ok = state.monitoring_ok or monitoring_succeeded(rec.data)
    elif rec.kind == "review":
        _apply_review(state, rec)
    elif rec.kind == "close":
        _complete(state, 14, rec)
        state.closed = True
    elif rec.kind == "document":
        state.documents[str(rec.data["doc"])] = rec
    if state.decision and state.change_ok and state.monitoring_ok:
        _complete(state, 8, rec)


def _apply_review(state: CaseState, rec: Record) -> None:
    if rec.data.get("approve"):
        _complete(state, rec.step, rec)
        return
    target = int(rec.data["return_to"])
    state.events.append(StepEvent(rec.step, rec.at, rec.seq, rec.by, returned_to=target))
    for number in [n for n in state.done if n >= target]:
        del state.done[number]
    if target <= 6:
        state.decision = None
    if target <= 8:
        state.change_ok = state.monitoring_ok = False


def change_succeeded(evidence: Mapping[str, Any]) -> bool:
    """A change evidence completes step 8: it changed the router (or found it already right).

    Examples:
        >>> change_succeeded({"outcome": "changed", "dry_run": False})
        True
        >>> change_succeeded({"outcome": "dry-run", "dry_run": True})
        False
    """
    return evidence.get("outcome") in CHANGE_OK and not evidence.get("dry_run", False)


def monitoring_succeeded(registration: Mapping[str, Any] | None) -> bool:
    """A monitoring registration completes step 8 when it says ``ok``."""
    return registration is not None and bool(registration.get("ok"))


CASE_ID = "<ID>"
"""Stands for the request's id in the commands below; ``Register`` puts the real one in."""

RECORDED_BY: dict[int, str] = {
    1: "bwauto request new --link LINK --rate RATE --letter-no NO --letter-date YYYY-MM-DD "
    "--purpose TEXT",
    2: f"bwauto request dispose {CASE_ID} --from kadis --to kabid",
    3: f"bwauto request dispose {CASE_ID} --from kabid --to kasi",
    4: f"bwauto request dispose {CASE_ID} --from kasi --to staf",
    5: f"bwauto request form {CASE_ID} --contact-name NAME",
    6: f"bwauto analyse --request {CASE_ID}",
    7: f"bwauto request decide {CASE_ID} --cannot",
    8: f"bwauto request decide {CASE_ID} --can && bwauto raise --request {CASE_ID} --yes",
    9: f"bwauto request ba {CASE_ID} --team-name NAME --opd-name NAME",
    10: f"bwauto request report {CASE_ID} --summary TEXT",
    11: f"bwauto request review {CASE_ID} --by kasi --approve",
    12: f"bwauto request review {CASE_ID} --by kabid --approve",
    13: f"bwauto request review {CASE_ID} --by kadis --approve",
    14: f"bwauto request close {CASE_ID}",
}
"""SOP step → the command that records it (named by every "not recorded" error)."""

_STEP8_PARTS = {
    "decision": f"bwauto request decide {CASE_ID} --can",
    "change": f"bwauto raise --request {CASE_ID} --yes",
    "monitoring": f"bwauto monitor register --link LINK --json > reg.json && bwauto request "
    f"monitoring {CASE_ID} --registration reg.json",
}


def step8_command(state: CaseState) -> str:
    """The command that completes step 8 from where ``state`` stands (the decision, the
    change, or only the monitoring registration is missing).

    Examples:
        >>> step8_command(CaseState(decision=True, change_ok=True))[:36]
        'bwauto monitor register --link LINK '
    """
    if state.decision is None:
        return RECORDED_BY[8]
    if not state.change_ok:
        return _STEP8_PARTS["change"]
    return _STEP8_PARTS["monitoring"] if not state.monitoring_ok else RECORDED_BY[9]


def _missing(
    number: int, detail_id: str = "", detail_en: str = "", command: str = ""
) -> StepOrderError:
    s = step(number)
    id_part = f"{s.label('id')} belum dicatat" + (f": {detail_id}" if detail_id else "")
    en_part = f"{s.label('en')} not recorded yet" + (f": {detail_en}" if detail_en else "")
    how = command or RECORDED_BY[number]
    return StepOrderError(
        one_of(f"{id_part}; catat dengan: {how}", f"{en_part}; record it with: {how}"),
        missing=number,
    )


def _require(state: CaseState, number: int) -> None:
    if number in state.done:
        return
    if number == 8:
        _require_step8(state)
    if number == 7:
        _require(state, 6)
        raise _missing(7, "keputusan tidak dapat dinaikkan belum dicatat", "no CANNOT decision")
    raise _missing(number)


def _require_step8(state: CaseState) -> None:
    if state.refused:
        raise StepOrderError(
            one_of(
                "permohonan tidak dapat dinaikkan (langkah 7): langkah 8–13 tidak berlaku",
                "the request was refused at step 7: steps 8–13 do not apply",
            ),
            missing=0,
        )
    _require(state, 6)
    if state.decision is None:
        raise _missing(8, "keputusan dapat dinaikkan belum dicatat", "no CAN decision yet",
                       _STEP8_PARTS["decision"])  # fmt: skip
    if not state.change_ok:
        raise _missing(8, "bukti perubahan bandwidth belum dilampirkan", "no successful change",
                       _STEP8_PARTS["change"])  # fmt: skip
    raise _missing(
        8, "pendaftaran ke sistem monitoring belum dicatat", "monitoring registration missing",
        _STEP8_PARTS["monitoring"],
    )  # fmt: skip


def _not_done(state: CaseState, number: int) -> None:
    if number in state.done:
        s = step(number)
        raise StepOrderError(
            one_of(f"{s.label('id')} sudah dicatat", f"{s.label('en')} is already recorded"),
            missing=0,
        )


def check(state: CaseState, kind: str, number: int, data: Mapping[str, Any]) -> None:
    """Refuse a record of ``kind`` at step ``number`` that the SOP's order does not allow.

    Raises:
        StepOrderError: naming the missing step (``missing``), or why the record is refused.
    """
    if state.closed:
        raise StepOrderError(
            one_of("kasus sudah ditutup (langkah 14)", "the case is closed (step 14)")
        )
    if kind == "document":
        _check_document(state, str(data["doc"]))
    elif kind in ("change", "monitoring"):
        _check_step8(state, kind)
    elif kind == "outcome":
        if not state.change_ok:
            raise _missing(8, "bukti perubahan bandwidth belum dilampirkan", "no successful change")
    elif kind == "analysis":
        _require(state, 5)
        _no_decision_yet(state)
    elif kind == "decision":
        _require(state, 6)
        _no_decision_yet(state)
    elif kind == "close":
        _check_close(state)
    elif kind == "review":
        _check_review(state, number, data)
    else:
        _require(state, number - 1)
        _not_done(state, number)


def _check_close(state: CaseState) -> None:
    if not state.refused:
        _require(state, 13)
    elif "reply" not in state.documents:
        raise _missing(7, "surat balasan belum dibuat", "the reply letter has not been made")


def _no_decision_yet(state: CaseState) -> None:
    if state.decision is not None:
        n = 8 if state.decision else 7
        raise StepOrderError(
            one_of(
                f"keputusan sudah dicatat (langkah {n})",
                f"the decision is already recorded (step {n})",
            )
        )


def _check_step8(state: CaseState, kind: str) -> None:
    if state.refused:
        _require_step8(state)
    if state.decision is None:
        _require(state, 6)
        raise _missing(8, "keputusan dapat dinaikkan belum dicatat", "no CAN decision yet",
                       _STEP8_PARTS["decision"])  # fmt: skip
    _not_done(state, 8)
    if kind == "monitoring" and not state.change_ok:
        raise _missing(8, "bukti perubahan bandwidth belum dilampirkan", "no successful change",
                       _STEP8_PARTS["change"])  # fmt: skip


def _check_review(state: CaseState, number: int, data: Mapping[str, Any]) -> None:
    _require(state, number - 1)
    _not_done(state, number)
    if data.get("approve"):
        return
    target = data.get("return_to")
    if not isinstance(target, int) or not 5 <= target < number or target == 7:
        role = next(r for r, n in REVIEWS.items() if n == number)
        raise StepOrderError(
            one_of(
                f"{role} hanya dapat mengembalikan ke langkah 5, 6 atau 8–{number - 1}, "
                f"bukan {target!r}",
                f"{role} can return the case to step 5, 6 or 8–{number - 1}, not {target!r}",
            )
        )


def _check_document(state: CaseState, doc: str) -> None:
    if doc not in DOCUMENT_STEPS:
        raise StepOrderError(f"unknown document kind {doc!r}: one of {', '.join(DOCUMENT_STEPS)}")
    number = DOCUMENT_STEPS[doc]
    if doc == "reply":
        if state.decision is None:
            _require(state, 6)
            raise _missing(
                7, "keputusan tidak dapat dinaikkan belum dicatat", "no CANNOT decision yet"
            )
        if state.decision:
            raise StepOrderError(
                "surat balasan hanya untuk permohonan yang tidak dapat dinaikkan (langkah 7) — "
                "a reply letter is only for a refused request (step 7)"
            )
        return
    _require(state, number)
