"""Each direction of a step-6 analysis on its own, for the documents: the reply letter's and the
report's figures (download and upload side by side), so that no sentence quotes one direction's
use next to the other's.

Examples:
    >>> row = {"committed_mbps": 100.0, "out_p95_mbps": 43.8, "in_p95_mbps": 49.4,
    ...        "requested_mbps": 150.0}
    >>> figures = analysis_directions(row, None, {"committed": {"up": 50_000_000}})
    >>> figures["down"]["utilisation_pct"], figures["down"]["increase_mbps"]
    (43.8, 50.0)
    >>> round(figures["up"]["utilisation_pct"], 1), figures["up"]["saturated"]
    (98.8, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bwauto.analysis.model import AnalysisSettings
from bwauto.case.workflow import CaseState

SATURATED_PCT = AnalysisSettings().saturated_pct
"""A direction at or above this share of its rate at p95 is saturated (rows without the flag)."""


def analysis_directions(
    row: Mapping[str, Any], state: CaseState | None, link: Mapping[str, Any]
) -> dict[str, Any]:
    """``down`` and ``up``: each direction's rate, request, use, utilisation, saturation,
    upstream headroom and advice (Mbps, %), from the analysis row's own per-direction figures;
    a row written before they existed (or read from the CSV) falls back on its ``directions``,
    the inventory's link and the request. ``free_by_direction``: the upstream's free capacity
    is known per direction (else only ``upstream_free_mbps``, the smaller one)."""
    judged = {d.get("direction"): d for d in row.get("directions") or []}
    new = state.latest.get("new") if state is not None else None
    asked_up = new.data.get("rate_up_bps") if new else None
    committed = (link.get("committed") or {}) if isinstance(link, Mapping) else {}
    up_committed = _first(row.get("committed_up_mbps"),
                          judged.get("upload", {}).get("committed_mbps"),
                          _per_million(committed.get("up")))  # fmt: skip
    down = _direction(row, judged.get("download", {}), "down", "out", row.get("committed_mbps"),
                      _first(row.get("requested_mbps"), _per_million(new.data.get("rate_bps"))
                             if new else None))  # fmt: skip
    up = _direction(row, judged.get("upload", {}), "up", "in", up_committed,
                    _first(row.get("requested_up_mbps"), _per_million(asked_up)))  # fmt: skip
    by_direction = row.get("upstream_free_down_mbps") is not None
    return {"down": down, "up": up, "free_by_direction": by_direction}


def _direction(
    row: Mapping[str, Any], judged: Mapping[str, Any], key: str, counter: str,
    committed: float | None, requested: float | None,
) -> dict[str, Any]:  # fmt: skip
    p95 = row.get(f"{counter}_p95_mbps")
    util = row.get(f"{key}_utilisation_pct")
    if util is None and p95 is not None and committed:
        util = float(p95) * 100.0 / float(committed)
    increase = None
    if requested is not None and committed is not None and requested > committed:
        increase = float(requested) - float(committed)
    saturated = row.get(f"{key}_saturated")
    if saturated is None:
        saturated = judged.get("saturated", util is not None and util >= SATURATED_PCT)
    return {
        "committed_mbps": committed,
        "requested_mbps": requested,
        "mean_mbps": row.get(f"{counter}_mean_mbps"),
        "p95_mbps": p95,
        "max_mbps": row.get(f"{counter}_max_mbps"),
        "utilisation_pct": util,
        "saturated": bool(saturated),
        "raised": increase is not None,
        "increase_mbps": increase,
        "free_mbps": row.get(f"upstream_free_{key}_mbps"),
        "recommended_mbps": _first(row.get(f"recommended_{key}_mbps"),
                                   judged.get("recommended_mbps")),
    }  # fmt: skip


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None and v != ""), None)


def _per_million(bps: Any) -> float | None:
    return None if bps is None or bps == "" else int(bps) / 1e6
