"""Benchmark of SOP step 6: 1,000 links x 30 days of 5-minute samples, store -> statistics -> CSV.

Run by hand (pytest does not collect it)::

    python tests/benchmarks/bench_analyse.py [--links 1000] [--days 30]

It generates realistic counters (daily traffic curve, poll jitter, 64- and 32-bit counters that
wrap, a few reboots and polling gaps), stores them in a temporary sample store, then, in a fresh
process so that memory figures are the analysis' own:

* times ``analyse_links`` + ``write_csv`` from the store (target <= 5 s, peak RSS <= 2 GiB);
* times the same analysis on samples already in memory (``analyse_samples``) and a plain
  vectorised numpy computation of the same statistics on the same in-memory data, and prints
  both side by side (target: bwauto within 3x of numpy) with how far their figures differ.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from bwauto.analysis.analyse import analyse_links, analyse_samples
from bwauto.analysis.model import LinkInfo, UpstreamInfo
from bwauto.analysis.report import write_csv
from bwauto.analysis.window import Window
from bwauto.store import SampleArrays, SampleStore

STEP = 300.0
T0 = 1_714_496_400.0  # 2024-05-01T00:00:00+07:00
UPSTREAMS = 10
T = TypeVar("T")


def make_links(n: int) -> tuple[list[LinkInfo], list[UpstreamInfo]]:
    rng = np.random.default_rng(1)
    ladder = [10, 20, 30, 50, 100]
    links = [
        LinkInfo(
            link_id=f"opd-{i:04d}",
            committed_up_bps=int(rng.choice(ladder)) * 1_000_000,
            committed_down_bps=int(rng.choice(ladder)) * 1_000_000,
            upstream=f"isp-{i % UPSTREAMS}",
            speed_bps=1_000_000_000,
            poll_interval_s=STEP,
            opd=f"OPD {i}",
            router=f"edge-{i % 7}",
            interface=f"vlan{100 + i}",
        )
        for i in range(n)
    ]
    ups = [UpstreamInfo(f"isp-{u}", 10_000_000_000, 1.5) for u in range(UPSTREAMS)]
    return links, ups


def make_series(link: LinkInfo, i: int, days: int) -> SampleArrays:
    """One link's samples: a daily curve with noise, poll jitter, wraps, maybe a reboot or gap."""
    rng = np.random.default_rng(1000 + i)
    n = int(days * 86400 / STEP) + 1
    true_t = T0 + STEP * np.arange(n) + rng.uniform(-5, 5, n)
    hour = ((true_t - T0) / 3600 + 7) % 24
    curve = 0.15 + 0.6 * np.clip(np.sin((hour - 6) / 14 * np.pi), 0, None)
    level = rng.uniform(0.3, 1.0)
    rates = {
        d: np.clip(c * level * curve * rng.lognormal(0, 0.25, n), 0, c)
        for d, c in (("in", link.committed_up_bps), ("out", link.committed_down_bps))
    }
    bits = 32 if i % 10 == 0 else 64
    counters = {}
    for d, r in rates.items():
        octets = np.concatenate(([0.0], np.cumsum(r[1:] * np.diff(true_t) / 8))).astype(np.uint64)
        start = np.uint64(rng.integers(0, 2**63)) * np.uint64(2)  # near anywhere in 64 bits
        counters[d] = octets + start  # uint64 addition wraps modulo 2^64
        if bits == 32:
            counters[d] &= np.uint64(0xFFFF_FFFF)
    uptime = 5_000_000.0 + (true_t - T0)
    if i % 50 == 7:  # a reboot: counters and uptime restart
        k = n // 2
        uptime[k:] -= uptime[k] - 60.0
        for d in counters:
            counters[d][k:] -= counters[d][k] - np.uint64(1000)
    keep = np.ones(n, dtype=bool)
    if i % 20 == 3:  # two hours not polled
        keep[n // 3 : n // 3 + 24] = False
    ts = true_t + rng.normal(0.2, 0.05, n)  # the manager stamps a little after the agent
    return SampleArrays(
        ts=ts[keep],
        uptime=uptime[keep],
        in_octets=counters["in"][keep],
        out_octets=counters["out"][keep],
        counter_bits=np.full(int(keep.sum()), bits, dtype=np.uint8),
    )


def fill_store(path: Path, links: list[LinkInfo], days: int) -> tuple[float, int]:
    t = time.perf_counter()
    total = 0
    with SampleStore(path, create=True) as store:
        batch: dict[str, SampleArrays] = {}
        for i, link in enumerate(links):
            batch[link.link_id] = make_series(link, i, days)
            if len(batch) == 50:
                total += store.append_arrays(batch)
                batch = {}
        total += store.append_arrays(batch)
    return time.perf_counter() - t, total


# -- the numpy reference ------------------------------------------------------------------------

F64 = npt.NDArray[np.float64]


def _pad(series: list[SampleArrays]) -> dict[str, npt.NDArray[Any]]:
    """Stack the links into 2-D arrays (rows padded at the end by repeating the last sample)."""
    n = max(len(s) for s in series)
    out: dict[str, npt.NDArray[Any]] = {}
    for name in ("ts", "uptime", "in_octets", "out_octets", "counter_bits"):
        rows = [getattr(s, name) for s in series]
        out[name] = np.stack([np.pad(r, (0, n - r.shape[0]), mode="edge") for r in rows])
    out["length"] = np.array([len(s) for s in series])
    return out


def numpy_reference(
    data: dict[str, npt.NDArray[Any]], speed: F64, committed: F64, window: Window
) -> dict[str, F64]:
    """The same rules and statistics, written directly on 2-D arrays (one row per link)."""
    ts, up, bits = data["ts"], data["uptime"], data["counter_bits"]
    dts = np.diff(ts, axis=1)
    dup = np.diff(up, axis=1)
    real = np.arange(dts.shape[1])[None, :] < (data["length"][:, None] - 1)
    link_ok = real & (dts <= 2 * STEP) & (dts > 0) & (dup >= 0)
    link_ok &= np.abs(dup - dts) <= np.maximum(10.0, 0.1 * dts)
    link_ok &= bits[:, 1:] == bits[:, :-1]
    result: dict[str, F64] = {}
    for d in ("in", "out"):
        c = data[f"{d}_octets"]
        delta = c[:, 1:] - c[:, :-1]
        delta = np.where(bits[:, 1:] == 32, delta & np.uint64(0xFFFF_FFFF), delta)
        bits_moved = delta.astype(np.float64) * 8
        ok = link_ok & (bits_moved <= speed[:, None] * dup)
        rate = np.where(ok, bits_moved / np.where(dup > 0, dup, 1), np.nan)
        n = ok.sum(axis=1)
        srt = np.sort(rate, axis=1)  # NaN last
        k = (95 * n + 99) // 100 - 1
        result[f"{d}_p95"] = np.take_along_axis(srt, k[:, None], axis=1)[:, 0]
        result[f"{d}_max"] = np.nanmax(rate, axis=1)
        result[f"{d}_mean"] = np.where(ok, bits_moved, 0).sum(axis=1) / np.where(ok, dup, 0).sum(
            axis=1
        )
        result[f"{d}_coverage"] = 100 * np.where(ok, dts, 0).sum(axis=1) / window.seconds
        result[f"{d}_bins"] = _binned(ts, ok, bits_moved, dts, window)
    return result


def _binned(ts: F64, ok: npt.NDArray[np.bool_], bits: F64, dts: F64, window: Window) -> F64:
    """Per link, the rate in each 5-minute bin, by interpolating cumulative sums (flattened)."""
    edges = np.arange(window.start // STEP * STEP, window.end + STEP, STEP)
    cum_b = np.concatenate((np.zeros((ts.shape[0], 1)), np.cumsum(np.where(ok, bits, 0), 1)), 1)
    cum_t = np.concatenate((np.zeros((ts.shape[0], 1)), np.cumsum(np.where(ok, dts, 0), 1)), 1)
    span = window.seconds * 4 + 1e7
    offset = span * np.arange(ts.shape[0])[:, None]
    e = np.clip(edges[None, :], ts[:, :1], ts[:, -1:]) + offset
    flat_t = (ts + offset).ravel()
    b = np.interp(e.ravel(), flat_t, cum_b.ravel()).reshape(e.shape)
    t = np.interp(e.ravel(), flat_t, cum_t.ravel()).reshape(e.shape)
    db, dt = np.diff(b, axis=1), np.diff(t, axis=1)
    return np.where(dt >= 0.5 * STEP, db / np.where(dt > 0, dt, 1), np.nan)


def upstream_p95(bins: F64, p95: F64, committed: F64, members: list[int]) -> float:
    rows = bins[members]
    filled = np.where(np.isnan(rows), np.where(np.isnan(p95[members]), committed[members],
                                               p95[members])[:, None], rows)  # fmt: skip
    seen = ~np.isnan(rows).all(axis=0)
    total = np.sort(filled.sum(axis=0)[seen])
    return float(total[(95 * total.shape[0] + 99) // 100 - 1])


# -- the measured process -----------------------------------------------------------------------


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def in_memory(
    store_path: str, links: list[LinkInfo], ups: list[UpstreamInfo], window: Window
) -> tuple[float, float, float, dict[str, float]]:
    """Read once, then time bwauto and the numpy reference on the same arrays; compare them."""
    with SampleStore(store_path) as store:
        read_s, samples = timed(lambda: store.read([link.link_id for link in links], window.start,
                                                   window.end))  # fmt: skip
    compute_s, analysis = timed(lambda: analyse_samples(samples, links, ups, window))
    series = [samples[link.link_id] for link in links]
    data = _pad(series)
    speed = np.array([float(link.speed_bps or 0) for link in links])
    committed = np.array([float(link.committed_down_bps) for link in links])
    ref_s, ref = timed(lambda: numpy_reference(data, speed, committed, window))
    got = {
        "out_p95": np.array([r.out_p95_mbps or np.nan for r in analysis.rows]) * 1e6,
        "in_mean": np.array([r.in_mean_mbps or np.nan for r in analysis.rows]) * 1e6,
        "out_max": np.array([r.out_max_mbps or np.nan for r in analysis.rows]) * 1e6,
    }
    diffs = {k: float(np.nanmax(np.abs(got[k] / ref[k] - 1))) for k in got}
    members = [i for i, link in enumerate(links) if link.upstream == "isp-0"]
    ref_up = upstream_p95(ref["out_bins"], ref["out_p95"], committed, members)
    diffs["isp-0 aggregate out p95"] = abs(analysis.loads["isp-0"].agg_p95_out_bps / ref_up - 1)
    return read_s, compute_s, ref_s, diffs


def measure(store_path: str, out_dir: str, n_links: int, days: int, queue: Any) -> None:
    links, ups = make_links(n_links)
    window = Window(T0 - 1, T0 + days * 86400 + 60)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def end_to_end() -> int:
        rows = analyse_links(store_path, links, ups, window)
        write_csv(rows, Path(out_dir) / "report.csv")
        return len(rows)

    e2e_s, rows = timed(end_to_end)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    read_s, compute_s, ref_s, diffs = in_memory(store_path, links, ups, window)
    tracemalloc.start()
    analyse_links(store_path, links, ups, window)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    queue.put(
        {
            "rows": rows, "e2e_s": e2e_s, "read_s": read_s, "compute_s": compute_s,
            "ref_s": ref_s, "base_rss_kib": base_rss, "peak_rss_kib": peak_rss,
            "traced_peak": traced_peak, "diffs": diffs,
        }
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    links, _ = make_links(args.links)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "samples.sqlite"
        write_s, total = fill_store(path, links, args.days)
        size = path.stat().st_size + sum(p.stat().st_size for p in Path(tmp).glob("*-wal"))
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=measure, args=(str(path), tmp, args.links, args.days, queue))
        proc.start()
        r = queue.get()
        proc.join()
    gib = 1024**3
    peak = r["peak_rss_kib"] * 1024
    ratio = r["compute_s"] / r["ref_s"]
    print(f"bwauto step-6 benchmark: {args.links} links x {args.days} days of 5-minute samples")
    print(f"  samples stored           {total:>12,}   ({size / 2**20:.0f} MiB on disk)")
    print(f"  store write (bulk)       {write_s:>10.2f} s")
    print(f"  store -> stats -> CSV    {r['e2e_s']:>10.2f} s   target <= 5 s   "
          f"{'OK' if r['e2e_s'] <= 5 else 'MISSED'}   ({r['rows']} rows)")  # fmt: skip
    print(f"    of which store read    {r['read_s']:>10.2f} s   (timed separately)")
    print(f"  peak RSS of that process {peak / 2**20:>10.0f} MiB (baseline after imports "
          f"{r['base_rss_kib'] / 1024:.0f} MiB)   target <= 2 GiB   "
          f"{'OK' if peak <= 2 * gib else 'MISSED'}")  # fmt: skip
    print(f"  tracemalloc peak         {r['traced_peak'] / 2**20:>10.0f} MiB (allocations during "
          "store -> stats)")  # fmt: skip
    print("  in memory, same data:")
    print(f"    bwauto analyse_samples {r['compute_s']:>10.2f} s")
    print(f"    numpy reference        {r['ref_s']:>10.2f} s   bwauto / numpy = {ratio:.2f}x   "
          f"target <= 3x   {'OK' if ratio <= 3 else 'MISSED'}")  # fmt: skip
    print("  agreement with the reference (max relative difference):")
    for name, diff in r["diffs"].items():
        print(f"    {name:<26} {diff:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
