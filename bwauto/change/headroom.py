"""The raise's upstream pre-check, from the step-6 analysis of the stored samples."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bwauto.change.evidence import Check
from bwauto.change.runner import HeadroomCheck
from bwauto.errors import AnalysisError, StoreError
from bwauto.inventory.models import Inventory, Link
from bwauto.platforms.base import ShaperRate

UPSTREAM_CODES = frozenset({"UPSTREAM_HEADROOM", "OVERSUBSCRIBED", "UPSTREAM_LOAD_UNKNOWN",
                            "COVERAGE_LOW"})  # fmt: skip
NAME = "upstream headroom"


def headroom_check(inventory: Inventory, state_dir: Path, since: str = "7d") -> HeadroomCheck:
    """A check per link: would the raise fit the upstream's free capacity and policy?

    Only the upstream's reasons (and too little data to judge them) fail it; whether the OPD
    uses its link is the SOP step-6 decision's business, not the router change's.
    """

    infos: list[Any] = []  # the inventory's link and upstream infos, built once for all links

    def check(link: Link, target: ShaperRate) -> Check:
        from bwauto.analysis.analyse import analyse  # only once the input passed its checks
        from bwauto.analysis.model import RaiseRequest
        from bwauto.analysis.sources import link_infos, upstream_infos
        from bwauto.analysis.window import parse_window
        from bwauto.store.samples import store_path

        request = RaiseRequest(link.id, max(target.up or 0, target.down or 0))
        try:
            window = parse_window(since, now=time.time())
            if not infos:
                infos.extend((link_infos(inventory), upstream_infos(inventory)))
            links, upstreams = infos
            result = analyse(store_path(state_dir), links, upstreams, window, request,
                             select=[link.id])  # fmt: skip
        except (AnalysisError, StoreError) as exc:
            return Check(NAME, False, f"cannot judge without the step-6 analysis: {exc}")
        decision = result.results[0].decision
        blocking = [r for r in decision.reasons if r.code.value in UPSTREAM_CODES]
        if blocking:
            return Check(NAME, False, "; ".join(str(r) for r in blocking))
        return Check(NAME, True, decision.reason_text or "fits the upstream")

    return check
