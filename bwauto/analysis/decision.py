"""SOP steps 7 and 8: can the link be raised as requested, and to what should it go.

Three outcomes:

* ``CAN`` (SOP step 8, add the bandwidth) when nothing blocks the raise;
* ``CANNOT`` (SOP step 7, reply letter) with every blocking reason that applies;
* ``NOT ENOUGH DATA`` when the data covers less of the window than ``min_coverage_pct``: it says
  how many days are missing and how to get them (poll, or import history), and leads to
  neither step 7 nor step 8 — the request waits for data.

A request carries both directions, ``UP/DOWN`` seen from the OPD (a single rate is download:
``up`` is then ``None`` and the upload stays as it is). Each direction is judged on its own:

==========================  ========================================================
code                        when
==========================  ========================================================
``COVERAGE_LOW``            data covers less of the window than ``min_coverage_pct``
``UNDERUSED``               a direction the request raises has p95 below ``underuse_pct``
``NOT_AN_INCREASE``         the requested rate raises neither direction
``UPSTREAM_HEADROOM``       the upstream's free capacity is less than the increase
``OVERSUBSCRIBED``          after the raise, the upstream is sold above its policy
``UPSTREAM_LOAD_UNKNOWN``   no link of the upstream has data: free capacity unknown
==========================  ========================================================

Non-blocking notes: ``SATURATED`` (a direction the request does not raise is at or above
``saturated_pct`` of its rate at p95), ``ABOVE_LADDER`` (no ladder step keeps the p95 under the
target) and ``OK`` (the reason given with ``CAN``). Reasons are short English sentences; the
codes are stable so that the letters in Bahasa Indonesia can translate them.

The recommended rate of a direction (``recommend_direction``; ``recommended_bps``: the larger
direction's) follows what its own use says, and never contradicts the decision:

* with less data than ``min_coverage_pct`` (NOT ENOUGH DATA, or no data): no recommendation;
* a direction rises only when it is saturated (p95 at or above ``saturated_pct`` of its rate):
  to the smallest ladder step above its rate for which its p95 is at most ``target_pct`` of the
  step (none when the ladder has no such step: ``ABOVE_LADDER``);
* an underused direction (p95 below ``underuse_pct`` of its rate) is recommended the smallest
  ladder step, not above its rate, that keeps its p95 under ``target_pct``;
* otherwise it stays at its current rate (its use asks for neither more nor less);
* with a CAN decision, a direction the request raises is recommended at least the requested
  rate.

Examples:
    >>> recommend_rate(36_000_000, DEFAULT_LADDER_BPS, 70.0)
    100000000
    >>> recommend_rate(35_000_000, DEFAULT_LADDER_BPS, 70.0)
    50000000
    >>> settings = AnalysisSettings()
    >>> recommend_direction(50_000_000, 49_750_000, settings, enough=True)  # saturated: rises
    100000000
    >>> recommend_direction(100_000_000, 73_000_000, settings, enough=True)  # 73 %: stays
    100000000
    >>> recommend_direction(100_000_000, 5_000_000, settings, enough=False) is None  # no data
    True
    >>> recommend_direction(50_000_000, 20_000_000, settings, enough=True)  # 40 %: underused
    30000000
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from bwauto.analysis import sentences as say
from bwauto.analysis.availability import RaiseImpact, UpstreamLoad, raise_impact
from bwauto.analysis.model import DEFAULT_LADDER_BPS, AnalysisSettings, LinkInfo
from bwauto.analysis.stats import LinkStats, p95_utilisation


class Verdict(StrEnum):
    """The outcome of SOP step 6."""

    CAN = "CAN"
    CANNOT = "CANNOT"
    NOT_ENOUGH_DATA = "NOT ENOUGH DATA"

    @property
    def sop_step(self) -> int | None:
        """The SOP step that follows: 8 (raise it), 7 (reply letter), or none (wait for data)."""
        if self is Verdict.NOT_ENOUGH_DATA:
            return None
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
    SATURATED = "SATURATED"


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

    @classmethod
    def said(cls, code: Code, template: str, **values: str) -> Reason:
        """A reason whose sentence is one of ``sentences.TEMPLATES`` filled with ``values``
        (``sentences.localize`` says it again in the chosen language)."""
        return cls(code, template.format(**values))

    @property
    def blocking(self) -> bool:
        """Whether this reason alone refuses a raise."""
        return self.code in BLOCKING

    def __str__(self) -> str:
        return f"{self.code.value}: {self.text}"


@dataclass(frozen=True, slots=True)
class DirectionJudgement:
    """One direction of a link: its use, what the request asks of it, what it should get.

    Attributes:
        direction: ``"upload"`` (router ingress, ``in``) or ``"download"`` (egress, ``out``).
        committed_bps: its committed rate now.
        p95_bps: its p95 over the window (``None`` without data).
        requested_bps: the rate asked for it (``None``: the request leaves it as it is).
        recommended_bps: the smallest ladder step keeping its p95 under the target.
        saturated: its p95 is at or above ``saturated_pct`` of the committed rate.
    """

    direction: str
    committed_bps: int
    p95_bps: float | None
    requested_bps: int | None
    recommended_bps: int | None
    saturated: bool

    @property
    def utilisation_pct(self) -> float | None:
        """p95 / committed, in %."""
        return None if self.p95_bps is None else self.p95_bps * 100.0 / self.committed_bps

    @property
    def raised(self) -> bool:
        """The request takes this direction above its committed rate."""
        return self.requested_bps is not None and self.requested_bps > self.committed_bps


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict (``None`` without a request), its reasons, the recommended rate (the larger
    direction's) and each direction's judgement (upload, download)."""

    verdict: Verdict | None
    reasons: tuple[Reason, ...]
    recommended_bps: int | None
    impact: RaiseImpact | None = None
    directions: tuple[DirectionJudgement, ...] = ()

    @property
    def recommended(self) -> dict[str, int | None]:
        """The recommended rate per direction (``upload``, ``download``)."""
        return {d.direction: d.recommended_bps for d in self.directions}

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


def recommend_direction(
    committed_bps: int, p95_bps: float | None, settings: AnalysisSettings, enough: bool
) -> int | None:
    """A direction's recommended rate by the module's rule (before the request is taken into
    account): ``None`` without enough data; if it is saturated, the smallest ladder step above
    its rate that keeps the p95 under ``target_pct`` (``None``: none); if it is underused, the
    smallest step not above its rate that does; else its current rate.

    Examples:
        >>> recommend_direction(10, 9.9, AnalysisSettings(ladder_bps=[10, 12]), True) is None
        True
        >>> recommend_direction(10, 9.5, AnalysisSettings(ladder_bps=[10, 20, 50]), True)
        20
    """
    if not enough or p95_bps is None:
        return None
    if p95_bps * 100.0 < settings.underuse_pct * committed_bps:
        fitting = recommend_rate(p95_bps, settings.ladder_bps, settings.target_pct)
        return min(fitting or committed_bps, committed_bps)
    if p95_bps * 100.0 < settings.saturated_pct * committed_bps:
        return committed_bps
    steps = [s for s in settings.ladder_bps if s > committed_bps]
    return recommend_rate(p95_bps, steps, settings.target_pct)


def coverage_reason(coverage: float, window_days: float, needed_pct: float) -> Reason:
    """``COVERAGE_LOW``: how many days of the window are missing and how to get them.

    Examples:
        >>> reason = coverage_reason(0.0, 7.0, 80.0).text
        >>> reason.split(": ")[0]
        'data covers 0.0% of the window, below the 80% needed to judge (7 of 7 days missing)'
        >>> reason.split(": ")[1][:48]
        'poll the link for 5.6 more days (bwauto poll, ev'
        >>> reason.endswith("or import its history (bwauto samples import FILE.csv)")
        True

        A window under a day counts in hours:

        >>> coverage_reason(0.0, 1 / 24, 80.0).text.split(": ")[0]
        'data covers 0.0% of the window, below the 80% needed to judge (1 of 1 hours missing)'
    """
    missing = window_days * (100.0 - coverage) / 100.0
    wanted = window_days * (needed_pct - coverage) / 100.0
    if window_days < 1.0:
        return Reason.said(
            Code.COVERAGE_LOW,
            say.COVERAGE_LOW_HOURS,
            coverage=f"{coverage:.1f}", needed=f"{needed_pct:g}", missing=_hours(missing),
            hours=_hours(window_days), wanted=_hours(wanted),
        )  # fmt: skip
    return Reason.said(
        Code.COVERAGE_LOW,
        say.COVERAGE_LOW,
        coverage=f"{coverage:.1f}", needed=f"{needed_pct:g}", missing=_days(missing),
        days=_days(window_days), wanted=_days(wanted),
    )  # fmt: skip


def _days(days: float) -> str:
    """Days with one decimal, ``.0`` dropped.

    Examples:
        >>> _days(7.0), _days(5.6), _days(0.04)
        ('7', '5.6', '0')
    """
    return f"{days:.1f}".removesuffix(".0")


def _hours(days: float) -> str:
    """``days`` in hours with up to two decimals, trailing zeros dropped.

    Examples:
        >>> _hours(1 / 24), _hours(0.8 / 24), _hours(5 / 1440)
        ('1', '0.8', '0.08')
    """
    return f"{days * 24:.2f}".rstrip("0").rstrip(".")


def judge_directions(
    link: LinkInfo,
    stats: LinkStats | None,
    requested: tuple[int | None, int | None],
    settings: AnalysisSettings,
) -> tuple[DirectionJudgement, DirectionJudgement]:
    """Upload and download, each against its own committed rate and requested rate."""
    p95s = (None, None) if stats is None else (stats.inbound.p95_bps, stats.outbound.p95_bps)
    enough = stats is not None and stats.coverage_pct >= settings.min_coverage_pct
    out = []
    for name, committed, p95, asked in zip(
        ("upload", "download"),
        (link.committed_up_bps, link.committed_down_bps),
        p95s,
        requested,
        strict=True,
    ):
        recommended = recommend_direction(committed, p95, settings, enough)
        saturated = p95 is not None and p95 * 100.0 >= settings.saturated_pct * committed
        out.append(DirectionJudgement(name, committed, p95, asked, recommended, saturated))
    return out[0], out[1]


def direction_findings(
    directions: Sequence[DirectionJudgement], settings: AnalysisSettings
) -> list[Reason]:
    """Per direction: a raised direction that is underused; a saturated one not raised."""
    reasons = []
    for d in directions:
        util = d.utilisation_pct
        if d.raised and util is not None and util < settings.underuse_pct:
            reasons.append(Reason.said(Code.UNDERUSED, say.UNDERUSED_DIRECTION,
                direction=d.direction, util=f"{util:.1f}", limit=f"{settings.underuse_pct:g}",
                committed=mbps(d.committed_bps),
            ))  # fmt: skip
        if d.saturated and not d.raised and util is not None:
            template = say.SATURATED_ADVICE if d.recommended_bps else say.SATURATED
            reasons.append(Reason.said(
                Code.SATURATED, template, direction=d.direction, p95=mbps(d.p95_bps or 0.0),
                committed=mbps(d.committed_bps), util=f"{util:.1f}",
                recommended=mbps(d.recommended_bps or 0),
            ))  # fmt: skip
    return reasons


def link_findings(
    link: LinkInfo,
    stats: LinkStats | None,
    settings: AnalysisSettings,
    window_days: float = 7.0,
    with_usage: bool = True,
) -> tuple[list[Reason], int | None]:
    """What the link's own data says: coverage, usage, and the recommended rate."""
    reasons: list[Reason] = []
    coverage = 0.0 if stats is None else stats.coverage_pct
    if coverage < settings.min_coverage_pct:
        reasons.append(coverage_reason(coverage, window_days, settings.min_coverage_pct))
    util = (
        None
        if stats is None or not with_usage
        else p95_utilisation(stats, link.committed_up_bps, link.committed_down_bps)
    )
    if util is not None and util * 100.0 < settings.underuse_pct:
        reasons.append(
            Reason.said(
                Code.UNDERUSED,
                say.UNDERUSED,
                util=f"{util * 100.0:.1f}",
                limit=f"{settings.underuse_pct:g}",
            )
        )
    p95 = None if stats is None else stats.p95_max_bps
    recommended = None  # per direction: judge_directions and recommend_direction
    above = p95 is not None and recommend_rate(p95, settings.ladder_bps, settings.target_pct)
    if p95 is not None and settings.ladder_bps and above is None:
        reasons.append(Reason.said(Code.ABOVE_LADDER, say.ABOVE_LADDER, p95=mbps(p95),
                                   largest=mbps(max(settings.ladder_bps)),
                                   target=f"{settings.target_pct:g}"))  # fmt: skip
    return reasons, recommended


def request_findings(load: UpstreamLoad, impact: RaiseImpact) -> list[Reason]:
    """What the upstream says about a raise: headroom and oversubscription."""
    name = load.upstream.upstream_id
    if not impact.is_increase:
        return [Reason.said(Code.NOT_AN_INCREASE, say.NOT_AN_INCREASE)]
    reasons: list[Reason] = []
    if load.free_bps is None:
        reasons.append(
            Reason.said(
                Code.UPSTREAM_LOAD_UNKNOWN,
                say.UPSTREAM_LOAD_UNKNOWN,
                name=name,
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
            Reason.said(
                Code.UPSTREAM_HEADROOM,
                say.UPSTREAM_HEADROOM,
                name=name,
                free=mbps(free),
                direction=label,
                need=mbps(inc),
            )
        )
    limit = load.upstream.max_oversubscription
    if limit is not None and impact.oversubscription_after > limit:
        reasons.append(
            Reason.said(
                Code.OVERSUBSCRIBED,
                say.OVERSUBSCRIBED,
                name=name,
                ratio=f"{impact.oversubscription_after:.2f}",
                limit=f"{limit:g}",
            )
        )
    return reasons


def decide(
    link: LinkInfo,
    stats: LinkStats | None,
    load: UpstreamLoad,
    request_bps: int | None,
    settings: AnalysisSettings,
    request_up_bps: int | None = None,
    window_days: float = 7.0,
) -> Decision:
    """The decision for one link: a verdict when a rate is requested, findings always.

    Args:
        link: the link.
        stats: its statistics over the window (``None`` when it has no samples).
        load: its upstream's load.
        request_bps: the requested download rate, or ``None`` (then no verdict, only findings).
        settings: the thresholds.
        request_up_bps: the requested upload rate (``None``: the upload stays as it is).
        window_days: the window's length, to say how many days of data are missing.
    """
    asked = (request_up_bps, request_bps)
    directions = judge_directions(link, stats, asked, settings)
    recommended = _largest(directions)
    if request_bps is None:
        reasons, _unused = link_findings(link, stats, settings, window_days)
        return Decision(None, tuple(reasons), recommended, directions=directions)
    reasons, _unused = link_findings(link, stats, settings, window_days, with_usage=False)
    if any(r.code is Code.COVERAGE_LOW for r in reasons):
        return Decision(Verdict.NOT_ENOUGH_DATA, tuple(_blocking_first(reasons)), None,
                        directions=directions)  # fmt: skip
    impact = raise_impact(load, link, request_bps, request_up_bps)
    found = [*direction_findings(directions, settings), *reasons]
    reasons = _blocking_first([*found, *request_findings(load, impact)])
    if any(r.blocking for r in reasons):
        return Decision(Verdict.CANNOT, tuple(reasons), recommended, impact, directions)
    down = mbps(request_bps)
    ok = (
        Reason.said(Code.OK, say.OK_DOWN, down=down)
        if request_up_bps is None
        else Reason.said(Code.OK, say.OK_BOTH, up=mbps(request_up_bps), down=down)
    )  # fmt: skip
    granted = tuple(_at_least_requested(d) for d in directions)
    return Decision(Verdict.CAN, (ok, *reasons), _largest(granted), impact, granted)


def _at_least_requested(d: DirectionJudgement) -> DirectionJudgement:
    """A direction the request raises, decided CAN: recommended at least the requested rate."""
    if not d.raised or d.requested_bps is None:
        return d
    return replace(d, recommended_bps=max(d.recommended_bps or 0, d.requested_bps))


def _largest(directions: Sequence[DirectionJudgement]) -> int | None:
    """The larger direction's recommended rate (``None`` when neither has one)."""
    rates = [d.recommended_bps for d in directions if d.recommended_bps is not None]
    return max(rates, default=None)


def _blocking_first(reasons: list[Reason]) -> list[Reason]:
    return sorted(reasons, key=lambda r: not r.blocking)
