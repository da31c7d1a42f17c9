"""The raise's upstream pre-check, from the step-6 analysis of the stored samples."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bwauto.change.evidence import Check
from bwauto.change.runner import HeadroomCheck
from bwauto.errors import AnalysisError, StoreError
from bwauto.inventory.models import Inventory, Link
from bwauto.platforms.base import ShaperRate

if TYPE_CHECKING:
    from bwauto.analysis.analyse import Analysis

UPSTREAM_CODES = frozenset({"UPSTREAM_HEADROOM", "OVERSUBSCRIBED", "UPSTREAM_LOAD_UNKNOWN",
                            "COVERAGE_LOW"})  # fmt: skip
NAME = "upstream headroom"


def headroom_check(inventory: Inventory, state_dir: Path, since: str = "7d") -> HeadroomCheck:
    """A check per link: would the raise fit the upstream's free capacity and policy?

    Only the upstream's reasons (and too little data to judge them) fail it; whether the OPD
    uses its link is the SOP step-6 decision's business, not the router change's. Every link of
    the raise is judged from one reading of the store.
    """

    def check(pairs: Sequence[tuple[Link, ShaperRate]]) -> list[Check | None]:
        from bwauto.analysis.analyse import analyse_requests  # only once the input passed
        from bwauto.analysis.model import RaiseRequest
        from bwauto.analysis.sources import link_infos, upstream_infos
        from bwauto.analysis.window import parse_window
        from bwauto.store.samples import store_path

        requests = [RaiseRequest(link.id, max(t.up or 0, t.down or 0)) for link, t in pairs]
        try:
            window = parse_window(since, now=time.time())
            results = analyse_requests(store_path(state_dir), link_infos(inventory),
                                       upstream_infos(inventory), window, requests)  # fmt: skip
        except (AnalysisError, StoreError) as exc:
            return [_cannot_judge(exc)] * len(pairs)
        return [_judged(results[r.link_id]) for r in requests]

    return check


def _cannot_judge(exc: Exception) -> Check:
    return Check(NAME, False, f"cannot judge without the step-6 analysis: {exc}")


def _judged(result: Analysis) -> Check:
    decision = result.results[0].decision
    blocking = [r for r in decision.reasons if r.code.value in UPSTREAM_CODES]
    if blocking:
        return Check(NAME, False, "; ".join(str(r) for r in blocking))
    return Check(NAME, True, decision.reason_text or "fits the upstream")
