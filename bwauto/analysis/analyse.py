"""SOP step 6 end to end: stored samples to one report row (and decision) per link.

``analyse_links`` is what ``bwauto analyse`` calls. Pass **every** link of the inventory in
``links``: an upstream's aggregate load needs all the links that share it, even when the report
is wanted for one link only (``select``). Links are read from the store one at a time, so memory
stays at one link's samples plus the upstreams' bins.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bwauto.analysis.availability import UpstreamAccumulator, UpstreamLoad, bin_edges
from bwauto.analysis.counters import Intervals, flag_counts, intervals_of
from bwauto.analysis.decision import Decision, decide
from bwauto.analysis.model import AnalysisSettings, LinkInfo, RaiseRequest, UpstreamInfo
from bwauto.analysis.parallel import default_workers, measure_in_processes
from bwauto.analysis.report import ReportRow, make_row
from bwauto.analysis.stats import LinkStats, link_stats
from bwauto.analysis.window import Window, format_ts
from bwauto.errors import AnalysisError
from bwauto.store.samples import SampleArrays, SampleStore
from bwauto.store.sources import OWN, SourceInfo

Samples = Mapping[str, SampleArrays] | Iterable[tuple[str, SampleArrays]]


@dataclass(frozen=True, slots=True)
class LinkResult:
    """Everything the analysis found about one reported link."""

    link: LinkInfo
    stats: LinkStats | None
    decision: Decision
    row: ReportRow


@dataclass(frozen=True, slots=True)
class Analysis:
    """The results for the selected links and the load of every upstream."""

    window: Window
    results: tuple[LinkResult, ...]
    loads: Mapping[str, UpstreamLoad]

    @property
    def rows(self) -> list[ReportRow]:
        """The report rows, in the order of ``links``."""
        return [r.row for r in self.results]


def analyse_links(
    store: SampleStore | str | Path,
    links: Sequence[LinkInfo],
    upstreams: Iterable[UpstreamInfo],
    window: Window,
    request: RaiseRequest | None = None,
    settings: AnalysisSettings | None = None,
    *,
    select: Collection[str] | None = None,
) -> list[ReportRow]:
    """The step-6 report rows; see ``analyse`` (this is ``analyse(...).rows``)."""
    return analyse(store, links, upstreams, window, request, settings, select=select).rows


def analyse(
    store: SampleStore | str | Path,
    links: Sequence[LinkInfo],
    upstreams: Iterable[UpstreamInfo],
    window: Window,
    request: RaiseRequest | None = None,
    settings: AnalysisSettings | None = None,
    *,
    select: Collection[str] | None = None,
    workers: int | None = None,
) -> Analysis:
    """Analyse the links' usage over ``window`` and decide a raise request if one is given.

    Args:
        store: the sample store, or the path of its file.
        links: every link of the inventory (upstream aggregates need them all).
        upstreams: every upstream the links draw from.
        window: the analysis window (``window.parse_window``).
        request: the OPD's request, or ``None`` for a report without a verdict.
        settings: thresholds (default ``AnalysisSettings()``).
        select: the link ids to report (default: all of ``links``); the request's link is
            always reported.
        workers: processes that read and analyse the store, each for whole upstreams (the
            results are the same bit for bit); default ``parallel.default_workers``: one for
            less than a few months of 1,000 links, else one per CPU.

    Raises:
        StoreError: the store is missing, corrupt or locked.
        AnalysisError: a link is unknown or its upstream is; no selected link has samples in
            the window; every interval is invalid; the requested link has no valid data.
    """
    own = not isinstance(store, SampleStore)
    opened = SampleStore(store) if not isinstance(store, SampleStore) else store
    try:
        settings = settings or AnalysisSettings()
        ups, chosen = _inputs(links, upstreams, select, request)
        measured = _measure_store(opened, links, ups, window, settings, chosen, workers)
        return _conclude(links, chosen, measured, request, settings, window, _named(opened))
    finally:
        if own:
            opened.close()


def analyse_requests(
    store: str | Path,
    links: Sequence[LinkInfo],
    upstreams: Iterable[UpstreamInfo],
    window: Window,
    requests: Sequence[RaiseRequest],
    settings: AnalysisSettings | None = None,
) -> dict[str, Analysis]:
    """``analyse`` of each request, reporting its link only (by link id), from one reading of
    the store: a raise over many links used to read every link of the inventory per link.

    Raises:
        StoreError: the store is missing, corrupt or locked.
        AnalysisError: a link is unknown or its upstream is.
    """
    settings = settings or AnalysisSettings()
    chosen = {r.link_id for r in requests}
    with SampleStore(store) as opened:
        ups, chosen = _inputs(links, upstreams, chosen, None)
        measured = _measure_store(opened, links, ups, window, settings, chosen, None)
    return {
        r.link_id: _conclude(links, {r.link_id}, measured, r, settings, window, _named(opened))
        for r in requests
    }


def _named(store: SampleStore) -> str:
    return f"sample store {store.path}"


def _measure_store(
    store: SampleStore,
    links: Sequence[LinkInfo],
    ups: Mapping[str, UpstreamInfo],
    window: Window,
    settings: AnalysisSettings,
    chosen: set[str],
    workers: int | None,
) -> Measured:
    """``measure`` of the store's samples, in one process per CPU for long windows (each
    taking whole upstreams; the results are the same bit for bit)."""
    workers = default_workers(links, window) if workers is None else workers
    if workers > 1:
        return measure_in_processes(store.path, links, ups, window, settings, chosen, workers)
    sources: dict[str, SourceInfo] = {}
    samples = sourced(store, links, window, sources)
    return measure(samples, links, ups, window, settings, chosen, sources)


def analyse_samples(
    samples: Samples,
    links: Sequence[LinkInfo],
    upstreams: Iterable[UpstreamInfo],
    window: Window,
    request: RaiseRequest | None = None,
    settings: AnalysisSettings | None = None,
    *,
    select: Collection[str] | None = None,
    source: str = "the samples given",
    sources: Mapping[str, SourceInfo] | None = None,
) -> Analysis:
    """``analyse`` on samples already in memory (``samples`` may be a generator).

    Samples outside ``window`` must already be left out; ``source`` names where they came
    from in error messages; ``sources`` says, per link, which source its samples are from
    (filled while ``samples`` is consumed; default: bwauto's own). A source coarser than the
    link's polling interval sets the interval its gaps are measured against.
    """
    settings = settings or AnalysisSettings()
    ups, chosen = _inputs(links, upstreams, select, request)
    measured = measure(samples, links, ups, window, settings, chosen, sources)
    return _conclude(links, chosen, measured, request, settings, window, source)


def sourced(
    store: SampleStore, links: Sequence[LinkInfo], window: Window, sources: dict[str, SourceInfo]
) -> Iterator[tuple[str, SampleArrays]]:
    """The store's samples of ``links`` in ``window``, one link at a time, noting each link's
    source in ``sources`` as it goes."""
    ids = [link.link_id for link in links]
    for link_id, src, arrays in store.iter_sourced(ids, window.start, window.end):
        sources[link_id] = src
        yield link_id, arrays


@dataclass(frozen=True, slots=True)
class Measured:
    """What the samples gave: statistics of the links with samples, why a chosen link has no
    valid data, every upstream's load, and the source of each link's samples."""

    stats: dict[str, LinkStats]
    problems: dict[str, str]
    loads: dict[str, UpstreamLoad]
    sources: dict[str, SourceInfo]


def measure(
    samples: Samples,
    links: Sequence[LinkInfo],
    ups: Mapping[str, UpstreamInfo],
    window: Window,
    settings: AnalysisSettings,
    chosen: Collection[str],
    sources: Mapping[str, SourceInfo] | None = None,
) -> Measured:
    """Statistics of every link and the loads of ``ups``, whose links are all in ``links``;
    ``sources`` (filled while ``samples`` is consumed) gives each link's source, whose step
    sets the interval gaps are measured against when it is coarser than the polling.

    Each upstream adds its links' rates in the order of ``links``, then the links without
    samples: the order of the additions, hence every bit of the sums, depends on nothing else.
    """
    sources = {} if sources is None else sources
    by_id = {link.link_id: link for link in links}
    accumulators = _accumulators(ups, links, window, settings)
    stats: dict[str, LinkStats] = {}
    problems: dict[str, str] = {}
    for link_id, arrays in samples.items() if isinstance(samples, Mapping) else samples:
        link = by_id.get(link_id)
        if link is None:
            continue
        step = sources[link_id].step_s if link_id in sources else 0.0
        intervals = intervals_of(
            arrays, speed_bps=link.speed_bps, poll_interval_s=max(link.poll_interval_s, step)
        )
        stats[link_id] = link_stats(intervals, window.seconds)
        accumulators[link.upstream].add(link, intervals, stats[link_id])
        if link_id in chosen and stats[link_id].samples == 0:
            problems[link_id] = _invalid_text(intervals)
    for link in links:
        if link.link_id not in stats:
            accumulators[link.upstream].add(link, None, None)
    loads = {uid: acc.result() for uid, acc in accumulators.items()}
    return Measured(stats, problems, loads, dict(sources))


def _inputs(
    links: Sequence[LinkInfo],
    upstreams: Iterable[UpstreamInfo],
    select: Collection[str] | None,
    request: RaiseRequest | None,
) -> tuple[dict[str, UpstreamInfo], set[str]]:
    if not links:
        raise AnalysisError("no links to analyse: the inventory has none")
    by_id = _index_links(links)
    return _index_upstreams(upstreams, links), _chosen(select, request, by_id)


def _conclude(
    links: Sequence[LinkInfo],
    chosen: set[str],
    measured: Measured,
    request: RaiseRequest | None,
    settings: AnalysisSettings,
    window: Window,
    source: str,
) -> Analysis:
    stats, loads = measured.stats, measured.loads
    _check_data(chosen, stats, measured.problems, request, window, source)
    results = []
    for link in links:
        if link.link_id not in chosen:
            continue
        asked = request if request and request.link_id == link.link_id else None
        rate = asked.rate_bps if asked else None
        link_st, load = stats.get(link.link_id), loads[link.upstream]
        decision = decide(link, link_st, load, rate, settings, asked.up_bps if asked else None,
                          window.seconds / 86400.0)  # fmt: skip
        src = measured.sources.get(link.link_id, OWN) if link_st is not None else None
        row = make_row(link, link_st, load, decision, window, rate, src)
        results.append(LinkResult(link, link_st, decision, row))
    return Analysis(window, tuple(results), loads)


def link_intervals(
    store: SampleStore, link: LinkInfo, window: Window, *, through_end: bool = False
) -> Intervals:
    """One link's intervals over ``window`` (none if it has no samples), e.g. for its chart.

    With ``through_end`` the first sample after the window's end is kept too, so the interval
    that spans the end counts (a window of seconds after a change, ending between two polls).
    """
    end = window.end + (link.poll_interval_s if through_end else 0.0)
    found = list(store.iter_sourced([link.link_id], window.start, end))
    if not found:
        arrays, step = SampleArrays(
            np.empty(0), np.empty(0), np.empty(0, np.uint64), np.empty(0, np.uint64),
            np.empty(0, np.uint8),
        ), 0.0  # fmt: skip
    else:
        arrays, step = found[0][2], found[0][1].step_s
        if through_end:
            keep = int(np.searchsorted(arrays.ts, window.end, side="left")) + 1
            arrays = SampleArrays(
                arrays.ts[:keep], arrays.uptime[:keep], arrays.in_octets[:keep],
                arrays.out_octets[:keep], arrays.counter_bits[:keep],
            )  # fmt: skip
    return intervals_of(
        arrays, speed_bps=link.speed_bps, poll_interval_s=max(link.poll_interval_s, step)
    )


def write_charts(store: SampleStore, analysis: Analysis, out_dir: Path) -> list[Path]:
    """A PNG per reported link, ``<out_dir>/<link_id>.png``; returns the files written."""
    from bwauto.analysis.chart import write_chart  # matplotlib: only when charts are wanted

    written = []
    for result in analysis.results:
        intervals = link_intervals(store, result.link, analysis.window)
        path = out_dir / f"{result.link.link_id}.png"
        written.append(write_chart(result.link, intervals, result.row, path))
    return written


def _index_links(links: Sequence[LinkInfo]) -> dict[str, LinkInfo]:
    by_id: dict[str, LinkInfo] = {}
    for link in links:
        if link.link_id in by_id:
            raise AnalysisError(f"link {link.link_id!r} is given twice")
        by_id[link.link_id] = link
    return by_id


def _index_upstreams(
    upstreams: Iterable[UpstreamInfo], links: Sequence[LinkInfo]
) -> dict[str, UpstreamInfo]:
    ups = {u.upstream_id: u for u in upstreams}
    for link in links:
        if link.upstream not in ups:
            raise AnalysisError(
                f"link {link.link_id!r}: its upstream {link.upstream!r} is not defined"
            )
    return ups


def _chosen(
    select: Collection[str] | None, request: RaiseRequest | None, by_id: Mapping[str, LinkInfo]
) -> set[str]:
    chosen = set(by_id) if select is None else set(select)
    if request is not None:
        chosen.add(request.link_id)
    unknown = sorted(chosen - set(by_id))
    if unknown:
        names = ", ".join(repr(u) for u in unknown)
        raise AnalysisError(f"unknown link {names}: not in the inventory")
    return chosen


def _accumulators(
    ups: Mapping[str, UpstreamInfo],
    links: Sequence[LinkInfo],
    window: Window,
    settings: AnalysisSettings,
) -> dict[str, UpstreamAccumulator]:
    accumulators = {}
    for uid, upstream in ups.items():
        polls = [link.poll_interval_s for link in links if link.upstream == uid]
        bin_s = max([settings.bin_s, *polls])
        edges = bin_edges(window, bin_s)
        accumulators[uid] = UpstreamAccumulator(upstream, edges, settings.min_bin_fill)
    return accumulators


def _invalid_text(intervals: Intervals) -> str:
    if len(intervals) == 0:
        return "only one sample: a rate needs two"
    counts = flag_counts(np.maximum(intervals.in_flag, intervals.out_flag))
    detail = ", ".join(f"{n} {flag.name.lower().replace('_', ' ')}" for flag, n in counts.items())
    return f"all {len(intervals)} intervals are invalid ({detail})"


def _check_data(
    chosen: set[str],
    stats: Mapping[str, LinkStats],
    problems: Mapping[str, str],
    request: RaiseRequest | None,
    window: Window,
    source: str,
) -> None:
    span = f"between {format_ts(window.start)} and {format_ts(window.end)}"
    if request is not None:
        return  # too little data for the request's link is the verdict NOT ENOUGH DATA
    with_samples = chosen & set(stats)
    if not with_samples:
        what = f"link {next(iter(chosen))!r}" if len(chosen) == 1 else f"any of {len(chosen)} links"
        raise AnalysisError(f"no samples {span} for {what} in {source}")
    if all(stats[i].samples == 0 for i in with_samples):
        if len(with_samples) == 1:
            only = next(iter(with_samples))
            raise AnalysisError(f"link {only!r}: {problems[only]} {span} in {source}")
        raise AnalysisError(f"every interval {span} is invalid, for all links, in {source}")
