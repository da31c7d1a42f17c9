"""Plain data the analysis takes: links, upstreams, a raise request and the thresholds.

The CLI builds these from the inventory (``bwauto.inventory.models``); the analysis never reads
the inventory itself. Rates are bit/s (``int``), as everywhere in bwauto.

Directions follow IF-MIB on the router's interface towards the OPD: *in* is what the OPD
sends (its upload, committed ``up``), *out* is what it receives (its download, ``down``).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LADDER_BPS: tuple[int, ...] = tuple(
    mbps * 1_000_000 for mbps in (10, 20, 30, 50, 100, 150, 200, 300, 500, 1000)
)
"""The rates an OPD link can be set to, smallest first."""


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """One OPD link as the analysis needs it.

    Attributes:
        link_id: inventory id; samples are stored under it.
        committed_up_bps: the OPD's committed upload (router ingress, ``in``).
        committed_down_bps: the OPD's committed download (router egress, ``out``).
        upstream: id of the upstream the link draws from.
        speed_bps: the interface's speed, bounding plausible counter deltas; ``None`` if
            unknown (then no counter decrease is trusted as a wrap).
        poll_interval_s: how often the link is polled (gaps are > 2x this).
        opd: the agency's name, for the report.
        router: the edge router's name, for the report.
        interface: the router interface, for the report.
    """

    link_id: str
    committed_up_bps: int
    committed_down_bps: int
    upstream: str
    speed_bps: int | None = None
    poll_interval_s: float = 300.0
    opd: str = ""
    router: str = ""
    interface: str = ""

    @property
    def committed_max_bps(self) -> int:
        """The larger committed direction: what the link takes of its upstream's sales."""
        return max(self.committed_up_bps, self.committed_down_bps)


@dataclass(frozen=True, slots=True)
class UpstreamInfo:
    """An ISP uplink shared by OPD links.

    Attributes:
        upstream_id: inventory id.
        capacity_bps: its capacity, taken as the same in both directions.
        max_oversubscription: the most its links' committed rates may add up to, as a
            multiple of ``capacity_bps`` (1.5 = 150 %); ``None`` for no policy.
    """

    upstream_id: str
    capacity_bps: int
    max_oversubscription: float | None = None


@dataclass(frozen=True, slots=True)
class RaiseRequest:
    """An OPD's request: raise ``link_id``'s download to ``rate_bps`` (and its upload to
    ``up_bps``, when the request says ``UP/DOWN``; otherwise the upload stays as it is).
    """

    link_id: str
    rate_bps: int
    up_bps: int | None = None


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    """Thresholds of the analysis and the decision (all configurable).

    Attributes:
        min_coverage_pct: below this coverage the data is too thin to judge a request.
        underuse_pct: a link whose p95 utilisation is below this does not use what it has.
        target_pct: the recommended rate keeps the link's p95 at or below this share of it.
        ladder_bps: the rates a link can be set to, smallest first.
        bin_s: width of the time bins links are aligned to for an upstream's aggregate
            (raised to the slowest polling interval among the upstream's links).
        min_bin_fill: share of a bin that valid data must cover for the bin to be measured.
        saturated_pct: a direction whose p95 reaches this share of its rate is saturated.
    """

    min_coverage_pct: float = 80.0
    underuse_pct: float = 50.0
    target_pct: float = 70.0
    ladder_bps: tuple[int, ...] = DEFAULT_LADDER_BPS
    bin_s: float = 300.0
    min_bin_fill: float = 0.5
    saturated_pct: float = 95.0
