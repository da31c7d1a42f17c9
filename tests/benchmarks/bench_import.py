"""Benchmark of ``samples import``: a 1,000 links x 30 days history CSV into a fresh store.

Run by hand (pytest does not collect it)::

    python tests/benchmarks/bench_import.py [--links 1000] [--days 30]

It writes the history of ``bench_analyse`` (daily curve, jitter, 32- and 64-bit wraps, reboots,
gaps) as a CSV, then in the same run and each in a fresh process (so RSS is its own):

* bwauto: ``import_files`` of the CSV into a new sample store (parse, validate every row,
  write), rows/s and peak RSS; target >= 1 M rows/s;
* pandas: a plain ``pandas.read_csv`` of the same file (C engine, explicit dtypes, ISO 8601
  timestamps parsed) plus the numpy per-link counter differences; target bwauto <= 1.5x it;

and checks that the store holds exactly the generated samples.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

sys.path.insert(0, str(Path(__file__).parent))

from bench_analyse import STEP, make_series

from bwauto.analysis.model import LinkInfo


def make_links(n: int) -> tuple[list[LinkInfo], None]:
    """``n`` links with committed rates from the usual ladder (the generator's input)."""
    rng = np.random.default_rng(1)
    ladder = [10, 20, 30, 50, 100]
    links = [
        LinkInfo(
            link_id=f"opd-{i:04d}",
            committed_up_bps=int(rng.choice(ladder)) * 1_000_000,
            committed_down_bps=int(rng.choice(ladder)) * 1_000_000,
            upstream=f"isp-{i % 10}",
            speed_bps=1_000_000_000,
            poll_interval_s=STEP,
        )
        for i in range(n)
    ]
    return links, None


WIB_S = 7 * 3600


def write_csv(path: Path, n_links: int, days: int) -> int:
    """The generated history as a CSV in WIB without offsets; returns the row count."""
    links, _ = make_links(n_links)
    total = 0
    with open(path, "wb") as fh:
        fh.write(b"timestamp,link_id,in_octets,out_octets,uptime_s,counter_bits\n")
        for i, link in enumerate(links):
            s = make_series(link, i, days)
            local_ms = np.round((s.ts + WIB_S) * 1000).astype("datetime64[ms]")
            table = pa.table(
                {
                    "timestamp": np.datetime_as_string(local_ms, unit="ms"),
                    "link_id": np.full(len(s), link.link_id),
                    "in_octets": s.in_octets,
                    "out_octets": s.out_octets,
                    "uptime_s": np.round(s.uptime, 3),
                    "counter_bits": s.counter_bits,
                }
            )
            options = pcsv.WriteOptions(include_header=False, quoting_style="none")
            pcsv.write_csv(table, fh, write_options=options)
            total += len(s)
    return total


def run_bwauto(csv_path: str, store_dir: str, n_links: int, queue: Any) -> None:
    from bwauto.store import SampleStore
    from bwauto.store.importer import import_files

    links, _ = make_links(n_links)
    t = time.perf_counter()
    with SampleStore(Path(store_dir) / "samples.sqlite", create=True) as store:
        result = import_files(store, [Path(csv_path)], [link.link_id for link in links])
    elapsed = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put({"s": elapsed, "rows": result.rows, "added": result.added, "rss_kib": rss})


def run_pandas(csv_path: str, queue: Any) -> None:
    import pandas as pd

    t = time.perf_counter()
    df = pd.read_csv(
        csv_path,
        engine="c",
        dtype={
            "link_id": "category",
            "in_octets": "uint64",
            "out_octets": "uint64",
            "uptime_s": "float64",
            "counter_bits": "uint8",
        },
    )
    ts = pd.to_datetime(df["timestamp"], format="ISO8601").to_numpy().astype(np.int64) / 1e9
    link = df["link_id"].cat.codes.to_numpy()
    order = np.argsort(link, kind="stable")
    same = link[order][1:] == link[order][:-1]
    dts = np.diff(ts[order])[same]
    din = np.diff(df["in_octets"].to_numpy()[order])[same]
    dout = np.diff(df["out_octets"].to_numpy()[order])[same]
    elapsed = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put(
        {
            "s": elapsed,
            "rows": len(df),
            "diffs": int(din.shape[0] + dout.shape[0] + dts.shape[0]),
            "rss_kib": rss,
        }
    )


def in_process(target: Any, *args: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def check_store(store_dir: str, n_links: int, days: int) -> bool:
    from bwauto.store import SampleStore

    links, _ = make_links(n_links)
    with SampleStore(Path(store_dir) / "samples.sqlite") as store:
        for i in (0, 3, 7, n_links - 1):
            want, got = make_series(links[i], i, days), store.read([links[i].link_id])
            g = got[links[i].link_id]
            if not (np.array_equal(g.in_octets, want.in_octets)
                    and np.allclose(g.ts, want.ts, atol=6e-4)):  # fmt: skip
                return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=" ".join((__doc__ or "").split("\n\n")[0].split()),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--links", type=int, default=1000, help="links generated")
    parser.add_argument("--days", type=int, default=30, help="days of 5-minute samples per link")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "history.csv"
        t = time.perf_counter()
        total = write_csv(csv_path, args.links, args.days)
        gen_s = time.perf_counter() - t
        size = csv_path.stat().st_size
        pandas = in_process(run_pandas, str(csv_path))
        bw = in_process(run_bwauto, str(csv_path), tmp, args.links)
        ok = check_store(tmp, args.links, args.days)
    rate = bw["rows"] / bw["s"]
    ratio = bw["s"] / pandas["s"]
    full = (args.links, args.days) == (1000, 30)

    def judge(met: bool) -> str:  # the targets are set for 1,000 links x 30 days
        return ("OK" if met else "MISSED") if full else "(the target is for 1,000 links x 30 days)"

    print(f"bwauto import benchmark: {args.links} links x {args.days} days, {total:,} rows, "
          f"{size / 2**20:.0f} MiB CSV (written in {gen_s:.1f} s)")  # fmt: skip
    print(f"  bwauto samples import   {bw['s']:>8.2f} s  {rate / 1e6:>6.2f} M rows/s  "
          f"peak RSS {bw['rss_kib'] / 1024:>5.0f} MiB  target >= 1 M rows/s  "
          f"{judge(rate >= 1e6)}")  # fmt: skip
    print(f"  pandas.read_csv + diff  {pandas['s']:>8.2f} s  "
          f"{pandas['rows'] / pandas['s'] / 1e6:>6.2f} M rows/s  "
          f"peak RSS {pandas['rss_kib'] / 1024:>5.0f} MiB")  # fmt: skip
    print(f"  bwauto / pandas         {ratio:>8.2f}x   target <= 1.5x   "
          f"{judge(ratio <= 1.5)}")  # fmt: skip
    print(f"  rows stored {bw['added']:,} of {total:,}; samples equal to the generated ones: "
          f"{'yes' if ok and bw['added'] == total else 'NO'}")  # fmt: skip
    return 0 if ok and bw["added"] == total else 1


if __name__ == "__main__":
    sys.exit(main())
