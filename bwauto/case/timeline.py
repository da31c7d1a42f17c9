"""A case's timeline against Mutu Baku: each step's time in working days, and what is overdue.

Pure: takes a ``Case``, "now" and the holidays; ``request status`` and ``request list`` show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bwauto.case.mutu_baku import Timing, assess, spans_of
from bwauto.case.records import Case, utc_iso
from bwauto.case.steps import step
from bwauto.case.workflow import CaseState, replay


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the timeline: a step's span, who closed it, and its Mutu Baku timing."""

    timing: Timing
    by: str

    @property
    def label(self) -> str:
        """``langkah 9 (Berita Acara Pekerjaan)``, ``langkah 7/8`` while the decision is open,
        or ``langkah 11 → kembali ke 10`` for a return."""
        return self.text("id")

    def text(self, lang: str) -> str:
        """``label`` in ``lang`` (``step 9 (...)`` in English)."""
        from bwauto.i18n import one_of

        steps = self.timing.span.steps
        if len(steps) > 1:
            numbers = "/".join(str(s) for s in steps)
            return one_of(f"langkah {numbers} (keputusan)", f"step {numbers} (decision)", lang)
        text = step(steps[0]).label("en" if lang == "en" else "id")
        back = self.timing.span.returned_to
        if not back:
            return text
        return text + one_of(f" → dikembalikan ke langkah {back}", f" → returned to step {back}",
                             lang)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (times in UTC ISO 8601)."""
        t = self.timing
        return {
            "steps": list(t.span.steps),
            "label": self.label,
            "start": utc_iso(t.span.start),
            "end": utc_iso(t.span.end) if t.span.end else None,
            "by": self.by,
            "working_days": t.working_days,
            "standard_days": t.standard_days,
            "due": t.due.isoformat() if t.due else None,
            "overdue": t.overdue,
            "returned_to": t.span.returned_to,
        }


@dataclass(frozen=True, slots=True)
class Timeline:
    """A case's state and timeline."""

    case: Case
    state: CaseState
    entries: list[Entry]

    @property
    def current(self) -> Entry | None:
        """The open step, if the case is not closed."""
        last = self.entries[-1] if self.entries else None
        return last if last is not None and last.timing.open else None

    @property
    def overdue(self) -> list[Entry]:
        """Entries beyond their standard."""
        return [e for e in self.entries if e.timing.overdue]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        req = self.case.request
        return {
            "case": self.case.id,
            "opd": self.case.opd,
            "link_id": self.case.link_id,
            "rate_bps": self.case.rate_bps,
            "letter_no": req.get("letter_no"),
            "letter_date": req.get("letter_date"),
            "purpose": req.get("purpose"),
            "closed": self.state.closed,
            "refused": self.state.refused,
            "next_steps": list(self.state.next_steps()),
            "overdue": bool(self.overdue),
            "timeline": [e.to_dict() for e in self.entries],
        }


def timeline(case: Case, now: dt.datetime, holidays: Collection[dt.date]) -> Timeline:
    """The timeline of ``case`` as of ``now``."""
    state = replay(case.records())
    events = [(e.step, e.at, e.returned_to) for e in state.events]
    received = state.received or (state.events[0].at if state.events else now)
    spans = spans_of(events, received, state.next_steps())
    timings = assess(spans, now, holidays)
    who = [e.by for e in state.events] + [""]
    return Timeline(case, state, [Entry(t, by) for t, by in zip(timings, who, strict=False)])
