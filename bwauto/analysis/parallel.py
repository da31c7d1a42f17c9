"""Analyse a large store in several processes, with results identical bit for bit.

Per-link statistics are independent, but an upstream's aggregate is a sum of floats whose bits
depend on the order of the additions. So each process takes whole upstreams: it reads their
links from the store itself (SQLite lets any number of readers in) and adds them in the same
order as one process would; the parent only gathers the statistics and the loads. The groups of
upstreams are balanced by their number of links, so an inventory with one upstream gets no
speed-up.

Processes are started with ``spawn`` (no fork of a process that may hold threads, e.g. the lab's
event loop), which costs a fresh interpreter and numpy each (a fraction of a second): worth it
only for long windows, hence ``default_workers``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from bwauto.analysis.model import AnalysisSettings, LinkInfo, UpstreamInfo
from bwauto.analysis.window import Window

if TYPE_CHECKING:
    from bwauto.analysis.analyse import Measured
    from bwauto.store.sources import SourceInfo

PARALLEL_FROM_SAMPLES = 30_000_000
"""Below this many expected samples (about 3.5 months of 1,000 links) one process is faster."""
MAX_WORKERS = 4


def default_workers(links: Sequence[LinkInfo], window: Window) -> int:
    """One process for small jobs, else one per CPU (at most ``MAX_WORKERS``).

    Examples:
        >>> links = [LinkInfo(f"l{i}", 1, 1, "isp") for i in range(1000)]
        >>> default_workers(links, Window(0.0, 30 * 86400.0))
        1
    """
    expected = sum(window.seconds / max(link.poll_interval_s, 1.0) for link in links)
    if expected < PARALLEL_FROM_SAMPLES:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def upstream_groups(ups: Sequence[str], links: Sequence[LinkInfo], groups: int) -> list[list[str]]:
    """Split upstream ids into at most ``groups`` groups with about as many links each.

    Examples:
        >>> links = [LinkInfo(str(i), 1, 1, u) for i, u in enumerate("aaaabbbcc")]
        >>> upstream_groups(["a", "b", "c", "d"], links, 2)
        [['a', 'd'], ['b', 'c']]
    """
    count = {uid: 0 for uid in ups}
    for link in links:
        count[link.upstream] += 1
    out: list[list[str]] = [[] for _ in range(max(1, groups))]
    size = [0] * len(out)
    for uid in sorted(ups, key=lambda u: -count[u]):
        k = size.index(min(size))
        out[k].append(uid)
        size[k] += count[uid]
    return [g for g in out if g]


def measure_in_processes(
    path: Path,
    links: Sequence[LinkInfo],
    ups: Mapping[str, UpstreamInfo],
    window: Window,
    settings: AnalysisSettings,
    chosen: Collection[str],
    workers: int,
) -> Measured:
    """``analyse.measure`` over the store at ``path``, upstream groups in parallel processes."""
    from bwauto.analysis.analyse import Measured

    jobs = []
    for group in upstream_groups(list(ups), links, workers):
        wanted = set(group)
        mine = [link for link in links if link.upstream in wanted]
        ids = {link.link_id for link in mine}
        jobs.append((str(path), mine, {u: ups[u] for u in group}, window, settings,
                     {c for c in chosen if c in ids}))  # fmt: skip
    if len(jobs) == 1:  # one upstream: nothing to share out
        return _measure_group(*jobs[0])
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=context) as pool:
        parts = [f.result() for f in [pool.submit(_measure_group, *job) for job in jobs]]
    stats, problems, loads, sources = {}, {}, {}, {}
    for part in parts:
        stats.update(part.stats)
        problems.update(part.problems)
        loads.update(part.loads)
        sources.update(part.sources)
    return Measured(stats, problems, {uid: loads[uid] for uid in ups}, sources)


def _measure_group(
    path: str,
    links: list[LinkInfo],
    ups: dict[str, UpstreamInfo],
    window: Window,
    settings: AnalysisSettings,
    chosen: set[str],
) -> Measured:
    from bwauto.analysis.analyse import measure, sourced
    from bwauto.store.samples import SampleStore

    sources: dict[str, SourceInfo] = {}
    with SampleStore(path) as store:
        samples = sourced(store, links, window, sources)
        return measure(samples, links, ups, window, settings, chosen, sources)
