"""Where samples come from, and which source a link's window is analysed from.

One store holds samples of several *sources*: ``OWN`` (bwauto's polls and its CSV imports, the
counters as the router gave them) and each imported monitoring system (a Prometheus, a Zabbix,
an RRD file). Samples are kept apart per source: an import is idempotent within its source,
and counters of two sources are never mixed in one series (an RRD's synthetic counter has
nothing in common with the router's).

The rule for a link whose window has samples from several sources (``choose_source``), stated
in the report: **the finest resolution among the sources that cover the window about as well
as the best one** (at least 90 % of its days with samples); ties go to ``OWN``, then by name.
So a month of Prometheus history is used over two days of polls, and 5-minute history over
hourly trends of the same days.

Examples:
    >>> prom = SourceInfo("prometheus http://p:9090", "prometheus", 15.0)
    >>> trend = SourceInfo("zabbix-trend http://z", "zabbix-trend", 3600.0, coarse=True)
    >>> choose_source([SourceUse(prom, days=28), SourceUse(trend, days=30)]).name
    'prometheus http://p:9090'
    >>> choose_source([SourceUse(prom, days=3), SourceUse(trend, days=30)]).name
    'zabbix-trend http://z'
    >>> choose_source([SourceUse(OWN, days=30), SourceUse(prom, days=30)]).name
    ''
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

COVERAGE_RATIO = 0.9
RULE_ID = "terhalus yang mencakup jendela"
"""The rule, as the report states it next to a source chosen among several (Indonesian:
"the finest that covers the window")."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One source of samples.

    Attributes:
        name: unique in the store (``""`` for ``OWN``), e.g. ``"prometheus http://p:9090"``.
        kind: ``own``, ``prometheus``, ``zabbix``, ``zabbix-trend`` or ``rrd``.
        step_s: its resolution in seconds (0 for ``OWN``: the link's polling interval).
        coarse: its values are averages over ``step_s`` (trends, RRD archives), not counters
            read at each poll; a p95 over them is not a 5-minute p95.
        among: when read for a window, how many sources had samples for it (the others were
            set aside by ``choose_source``); not stored.
    """

    name: str
    kind: str
    step_s: float
    coarse: bool = False
    among: int = 1

    def label(self, lang: str | None = None) -> str:
        """How the report names it, in ``lang`` (default: the current language).

        Examples:
            >>> OWN.label()
            'bwauto'
            >>> SourceInfo("rrd @3600s", "rrd", 3600.0, True).label("id")
            'rrd @3600s (kasar)'
            >>> SourceInfo("prometheus http://p", "prometheus", 15.0, among=3).label("en")
            'prometheus http://p (chosen from 3 sources: the finest that covers the window)'
        """
        from bwauto.i18n import translator

        _ = translator(lang)
        label = self.name or "bwauto"
        if self.coarse:
            label += " " + _("(coarse)")
        if self.among > 1:
            label += " " + _("(chosen from {n} sources: the finest that covers the window)").format(
                n=self.among
            )
        return label


OWN = SourceInfo("", "own", 0.0)
"""bwauto's own samples: its polls and CSV imports."""


@dataclass(frozen=True, slots=True)
class SourceUse:
    """A source's samples for one link in a window: on how many UTC days it has some."""

    source: SourceInfo
    days: int


def choose_source(uses: Sequence[SourceUse]) -> SourceInfo:
    """The source a link's window is analysed from (see the module's rule)."""
    if not uses:
        raise ValueError("no source to choose from")
    best = max(u.days for u in uses)
    candidates = [u.source for u in uses if u.days >= COVERAGE_RATIO * best]
    return min(candidates, key=lambda s: (s.step_s, s.name != "", s.name))
