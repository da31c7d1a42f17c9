"""SOP steps 7 and 8: can the link be raised as requested, and to what should it go.

``CAN`` (SOP step 8, add the bandwidth) when nothing blocks the raise; ``CANNOT`` (SOP step 7,
reply letter) with every blocking reason that applies:

==========================  ========================================================
code                        when
==========================  ========================================================
``COVERAGE_LOW``            data covers less of the window than ``min_coverage_pct``
``UNDERUSED``               p95 utilisation is below ``underuse_pct``
``NOT_AN_INCREASE``         the requested rate raises neither direction
``UPSTREAM_HEADROOM``       the upstream's free capacity is less than the increase
``OVERSUBSCRIBED``          after the raise, the upstream is sold above its policy
``UPSTREAM_LOAD_UNKNOWN``   no link of the upstream has data: free capacity unknown
==========================  ========================================================

Non-blocking notes: ``ABOVE_LADDER`` (no ladder step keeps the p95 under the target) and
``OK`` (the reason given with ``CAN``). Reasons are short English sentences; the codes are
stable so that the letters in Bahasa Indonesia can translate them.

The recommended rate is the smallest ladder step for which the link's p95 (the larger
direction) is at most ``target_pct`` of the step.

Examples:
    >>> recommend_rate(36_000_000, DEFAULT_LADDER_BPS, 70.0)
    100000000
    >>> recommend_rate(35_000_000, DEFAULT_LADDER_BPS, 70.0)
    50000000
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bwauto.analysis.availability import RaiseImpact, UpstreamLoad, raise_impact
from bwauto.analysis.model import DEFAULT_LADDER_BPS, AnalysisSettings, LinkInfo
from bwauto.analysis.stats import LinkStats, p95_utilisation


class Verdict(StrEnum):
    """The outcome of SOP step 6."""

    CAN = "CAN"
    CANNOT = "CANNOT"

    @property
    def sop_step(self) -> int:
        """The SOP step that follows: 8 (raise it) or 7 (reply letter)."""
        return 8 if self is Verdict.CAN else 7


class Code(StrEnum):
    """Stable reason codes (translate these, not the English text)."""

    OK = "OK"
    COVERAGE_LOW = "COVERAGE_LOW"
    UNDERUSED = "UNDERUSED"
    NOT_AN_INCREASE = "NOT_AN_INCREASE"
    UPSTREAM_HEADROOM = "UPSTREAM_HEADROOM"
    OVERSUBSCRIBED = "OVERSUBSCRIBED"
    UPSTREAM_LOAD_UNKNOWN = "UPSTREAM_LOAD_UNKNOWN"
    ABOVE_LADDER = "ABOVE_LADDER"


BLOCKING = frozenset(
    {
        Code.COVERAGE_LOW,
        Code.UNDERUSED,
        Code.NOT_AN_INCREASE,
        Code.UPSTREAM_HEADROOM,
        Code.OVERSUBSCRIBED,
        Code.UPSTREAM_LOAD_UNKNOWN,
    }
)


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding: a stable code and a short English sentence.

    Examples:
        >>> str(Reason(Code.UNDERUSED, "p95 is 20% of the committed rate"))
        'UNDERUSED: p95 is 20% of the committed rate'
    """

    code: Code
    text: str

    @property
    def blocking(self) -> bool:
        """Whether this reason alone refuses a raise."""
        return self.code in BLOCKING

    def __str__(self) -> str:
        return f"{self.code.value}: {self.text}"


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict (``None`` without a request), its reasons and the recommended rate."""

    verdict: Verdict | None
    reasons: tuple[Reason, ...]
    recommended_bps: int | None
    impact: RaiseImpact | None = None

    @property
    def reason_text(self) -> str:
        """All reasons in one line, ``CODE: text; CODE: text``."""
        return "; ".join(str(r) for r in self.reasons)


def mbps(bps: float) -> str:
    """A rate for a sentence, in Mbps with at most one decimal.

    Examples:
        >>> mbps(20_000_000), mbps(12_345_678), mbps(-5e5)
        ('20 Mbps', '12.3 Mbps', '-0.5 Mbps')
    """
    text = f"{bps / 1e6:.1f}".rstrip("0").rstrip(".")
    return f"{'0' if text == '-0' else text} Mbps"


def recommend_rate(
    p95_bps: float, ladder_bps: Sequence[int] = DEFAULT_LADDER_BPS, target_pct: float = 70.0
) -> int | None:
    """The smallest step with ``p95 <= target_pct % of step``; ``None`` if none is enough.

    Examples:
        >>> recommend_rate(0.0, [10, 20], 70.0)
        10
        >>> recommend_rate(15.0, [10, 20], 70.0) is None
        True
    """
    for step in sorted(ladder_bps):
        if p95_bps * 100.0 <= target_pct * step:
            return step
    return None


def link_findings(
    link: LinkInfo, stats: LinkStats | None, settings: AnalysisSettings
) -> tuple[list[Reason], int | None]:
    """What the link's own data says: coverage, usage, and the recommended rate."""
    reasons: list[Reason] = []
    coverage = 0.0 if stats is None else stats.coverage_pct
    if coverage < settings.min_coverage_pct:
        reasons.append(
            Reason(
                Code.COVERAGE_LOW,
                f"data covers {coverage:.1f}% of the window, below the "
                f"{settings.min_coverage_pct:g}% needed to judge",
            )
        )
    util = (
        None
        if stats is None
        else p95_utilisation(stats, link.committed_up_bps, link.committed_down_bps)
    )
    if util is not None and util * 100.0 < settings.underuse_pct:
        reasons.append(
            Reason(
                Code.UNDERUSED,
                f"the link uses {util * 100.0:.1f}% of its committed rate at p95, below "
                f"{settings.underuse_pct:g}%: it does not use what it has",
            )
        )
    p95 = None if stats is None else stats.p95_max_bps
    recommended = None
    if p95 is not None:
        recommended = recommend_rate(p95, settings.ladder_bps, settings.target_pct)
        if recommended is None and settings.ladder_bps:
            reasons.append(
                Reason(
                    Code.ABOVE_LADDER,
                    f"a p95 of {mbps(p95)} needs more than the largest step "
                    f"({mbps(max(settings.ladder_bps))}) at {settings.target_pct:g}%",
                )
            )
    return reasons, recommended


def request_findings(load: UpstreamLoad, impact: RaiseImpact) -> list[Reason]:
    """What the upstream says about a raise: headroom and oversubscription."""
    name = load.upstream.upstream_id
    if not impact.is_increase:
        return [Reason(Code.NOT_AN_INCREASE, "the requested rate raises neither direction")]
    reasons: list[Reason] = []
    if load.free_bps is None:
        reasons.append(
            Reason(
                Code.UPSTREAM_LOAD_UNKNOWN,
                f"no link of upstream {name} has data: its free capacity is unknown",
            )
        )
    short = [
        (free, inc, label)
        for free, inc, label in (
            (load.free_in_bps, impact.increase_up_bps, "upload"),
            (load.free_out_bps, impact.increase_down_bps, "download"),
        )
        if free is not None and inc > 0 and free < inc
    ]
    if short:
        free, inc, label = min(short, key=lambda s: s[0] - s[1])
        reasons.append(
            Reason(
                Code.UPSTREAM_HEADROOM,
                f"upstream {name} has {mbps(free)} free ({label}, at p95), "
                f"the raise needs {mbps(inc)}",
            )
        )
    limit = load.upstream.max_oversubscription
    if limit is not None and impact.oversubscription_after > limit:
        reasons.append(
            Reason(
                Code.OVERSUBSCRIBED,
                f"upstream {name} would be sold {impact.oversubscription_after:.2f} times its "
                f"capacity, above the {limit:g} allowed",
            )
        )
    return reasons


def decide(
    link: LinkInfo,
    stats: LinkStats | None,
    load: UpstreamLoad,
    request_bps: int | None,
    settings: AnalysisSettings,
) -> Decision:
    """The decision for one link: a verdict when a rate is requested, findings always.

    Args:
        link: the link.
        stats: its statistics over the window (``None`` when it has no samples).
        load: its upstream's load.
        request_bps: the requested rate, or ``None`` (then no verdict, only findings).
        settings: the thresholds.
    """
    reasons, recommended = link_findings(link, stats, settings)
    if request_bps is None:
        return Decision(None, tuple(reasons), recommended)
    impact = raise_impact(load, link, request_bps)
    reasons = _blocking_first([*reasons, *request_findings(load, impact)])
    if any(r.blocking for r in reasons):
        return Decision(Verdict.CANNOT, tuple(reasons), recommended, impact)
    ok = Reason(
        Code.OK,
        f"coverage, usage, upstream headroom and oversubscription allow {mbps(request_bps)}",
    )
    return Decision(Verdict.CAN, (ok, *reasons), recommended, impact)


def _blocking_first(reasons: list[Reason]) -> list[Reason]:
    return sorted(reasons, key=lambda r: not r.blocking)
