"""Benchmark of SOP step 8's dry-run (issues 5, 16): 50 lab routers against one, in the same run.

Run by hand (pytest does not collect it)::

    python tests/benchmarks/bench_dry_run.py [--routers 50] [--links 20] [--rounds 3]

The lab (``--routers`` routers of ``--links`` links each, platforms alternating) runs in a
process of its own (``bwauto lab up --detach``). The dry-runs go through the CLI in this process
(``bwauto.cli.app.main``; Nornir's threaded runner, one worker per router up to 100, as
``bwauto raise`` uses it):

* one router:   ``raise --link opd-001-01 --to 200M --dry-run --force --prepare-archive``;
* all routers:  the same with one ``--link opd-NNN-01`` per router (the first link of each).

``--force`` lifts the upstream-headroom pre-check: there are no samples in the state dir, so
that check fails ("cannot judge") and would refuse every link. The check still runs, so its
cost is in both figures. ``--prepare-archive``: a quarter of the lab's IOS routers have no
configuration archive, and a dry-run there is refused without it (issue 10); with it, the
archive lines are part of the diff, as an operator would run it. A warm-up dry-run (not
counted) loads the imports first; rounds alternate one/all. Each run must end with exit 0
and a ``dry-run`` evidence record per link. The CPU used by bwauto's process and by the lab's
is measured around each run (informational: the lab's routers share the machine's cores with
bwauto here, which real routers do not). Then one more run of each, broken down: the
``load_inventory`` calls and their time, and ``RouterSessions.run`` (the Nornir run itself);
and each of the two as a child process (Python start-up included). Both informational.

The warm-up run walks each router's ifName once and keeps the ifName -> ifIndex map in the
state dir's sample store, as ``bwauto poll`` does at SOP step 6; the counted runs start from it
(the map is proven by every read). Then, with ``--history-days`` (default 7), that many days of
5-minute samples of every link of the inventory, ending now, go into the same store and one
more run of each is timed: the headroom check is then judged from the samples, as after step 6
(before issue 16 it analysed the whole store once per link).

Target (issue 16): the median of all routers <= 2x the median of one router, printed side by
side with the two figures. Exits 1 when missed.
The lab is stopped at the end (``bwauto lab down``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

RATIO_TARGET = 2.0
TO = "200M"  # above every synthetic link's committed download (at most 100M)
BWAUTO = [sys.executable, "-m", "bwauto"]


def dry_run_args(inventory: Path, state_dir: Path, links: list[str]) -> list[str]:
    args = ["-i", str(inventory), "--state-dir", str(state_dir), "raise", "--to", TO]
    for link in links:
        args += ["--link", link]
    return [*args, "--dry-run", "--force", "--prepare-archive"]


def dry_runs_recorded(state_dir: Path) -> int:
    """How many ``dry-run`` evidence records the state dir holds."""
    return sum(
        json.loads(path.read_text())["outcome"] == "dry-run"
        for path in (state_dir / "evidence").glob("*/*.json")
    )


class Cpu:
    """CPU seconds used by this process (bwauto, all its threads) and by the lab's process
    (the routers: on a real network their CPU is not on the machine that runs bwauto)."""

    def __init__(self, lab_pid: int | None) -> None:
        self.lab_pid = lab_pid
        self.used: dict[str, list[tuple[float, float]]] = {}

    def now(self) -> tuple[float, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        lab = 0.0
        if self.lab_pid is not None:
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{self.lab_pid}/stat").read_text().rsplit(")", 1)[1].split()
                lab = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return own.ru_utime + own.ru_stime, lab

    @contextlib.contextmanager
    def measure(self, key: str) -> Iterator[None]:
        before = self.now()
        yield
        after = self.now()
        self.used.setdefault(key, []).append((after[0] - before[0], after[1] - before[1]))

    def median(self, key: str, which: int) -> float:
        return statistics.median(x[which] for x in self.used[key])


def in_process(inventory: Path, state_dir: Path, links: list[str]) -> tuple[float, bool]:
    """One dry-run through ``main()`` (output swallowed): (seconds, exit 0 and a record each)."""
    from bwauto.cli.app import main

    recorded = dry_runs_recorded(state_dir)
    sink = io.StringIO()
    began = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = main(dry_run_args(inventory, state_dir, links))
    seconds = time.perf_counter() - began
    ok = code == 0 and dry_runs_recorded(state_dir) - recorded == len(links)
    if not ok:
        print(sink.getvalue()[-2000:], file=sys.stderr)
    return seconds, ok


@contextlib.contextmanager
def breakdown() -> Iterator[dict[str, list[float]]]:
    """Seconds of every ``load_inventory`` and Nornir run (``RouterSessions.run``) meanwhile."""
    from unittest import mock

    import bwauto.change.runner as runner
    import bwauto.inventory.loader as loader
    import bwauto.inventory.nornir_plugin as plugin

    spent: dict[str, list[float]] = {"load_inventory": [], "run_plan": []}

    def timing(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[name].append(time.perf_counter() - began)

        return timed

    load = timing("load_inventory", loader.load_inventory)
    with (
        mock.patch.object(loader, "load_inventory", load),
        mock.patch.object(plugin, "load_inventory", load),
        mock.patch.object(
            runner.RouterSessions, "run", timing("run_plan", runner.RouterSessions.run)
        ),
    ):
        yield spent


def explained(inventory: Path, state_dir: Path, links: list[str]) -> dict[str, float]:
    """One more dry-run, broken down: total, inventory loads (count and s), Nornir run."""
    with breakdown() as spent:
        total, _ = in_process(inventory, state_dir, links)
    loads = spent["load_inventory"]
    return {
        "total": total,
        "loads": len(loads),
        "load_s": sum(loads),
        "run_plan_s": sum(spent["run_plan"]),
    }


def child_process(inventory: Path, state_dir: Path, links: list[str]) -> tuple[float, bool]:
    began = time.perf_counter()
    proc = subprocess.run([*BWAUTO, *dry_run_args(inventory, state_dir, links)],
                          capture_output=True, check=False)  # fmt: skip
    return time.perf_counter() - began, proc.returncode == 0


def import_history(inventory: Path, state_dir: Path, days: int) -> int:
    """``days`` of samples of every link, ending now, into the state dir's store (the
    generator of ``bench_analyse``, shifted in time)."""
    from bench_analyse import T0, make_series

    from bwauto.analysis.sources import link_infos
    from bwauto.inventory.loader import load_inventory
    from bwauto.store.samples import SampleStore, store_path

    shift = time.time() - days * 86400 - T0
    total = 0
    with SampleStore(store_path(state_dir), create=True) as store:
        for i, link in enumerate(link_infos(load_inventory(inventory))):
            arrays = make_series(link, i, days)
            total += store.append_arrays({link.link_id: replace(arrays, ts=arrays.ts + shift)})
    return total


def median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=" ".join((__doc__ or "").split("\n\n")[0].split()),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--routers", type=int, default=50, help="lab routers")
    parser.add_argument("--links", type=int, default=20, help="links per lab router")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each")
    parser.add_argument("--history-days", type=int, default=7,
                        help="days of samples for the last runs (0: none)")  # fmt: skip
    args = parser.parse_args(argv)
    every = [f"opd-{r:03d}-01" for r in range(1, args.routers + 1)]
    one: list[float] = []
    all_: list[float] = []
    bad: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        lab_state, state = Path(tmp) / "lab", Path(tmp) / "state"
        began = time.perf_counter()
        up = subprocess.run([*BWAUTO, "--state-dir", str(lab_state), "lab", "up", "--detach",
                             "--routers", str(args.routers), "--links-per-router",
                             str(args.links)],
                            check=True, capture_output=True, text=True)  # fmt: skip
        up_s = time.perf_counter() - began
        pid = re.search(r"pid (\d+)", up.stdout + up.stderr)
        cpu = Cpu(int(pid.group(1)) if pid else None)
        inventory = lab_state / "lab" / "inventory"
        try:
            warm_s, warm_ok = in_process(inventory, state, every[:1])
            bad += [] if warm_ok else ["warm-up"]
            for _ in range(args.rounds):
                for runs, links in ((one, every[:1]), (all_, every)):
                    with cpu.measure(str(len(links))):
                        seconds, ok = in_process(inventory, state, links)
                    runs.append(seconds)
                    bad += [] if ok else [f"{len(links)} router(s)"]
            parts = [explained(inventory, state, links) for links in (every[:1], every)]
            child_one, ok_one = child_process(inventory, state, every[:1])
            child_all, ok_all = child_process(inventory, state, every)
            bad += [] if ok_one and ok_all else ["child process"]
            history: list[float] = []
            if args.history_days > 0:
                samples = import_history(inventory, state, args.history_days)
                for links in (every[:1], every):
                    seconds, ok = in_process(inventory, state, links)
                    history.append(seconds)
                    bad += [] if ok else [f"{len(links)} router(s) with history"]
        finally:
            subprocess.run([*BWAUTO, "--state-dir", str(lab_state), "lab", "down"],
                           check=False, capture_output=True)  # fmt: skip

    ratio = median(all_) / median(one)
    ok = ratio <= RATIO_TARGET and not bad
    n = args.routers
    verdict = ("OK" if ok else "MISSED") if n == 50 else "(the target is for 50 routers)"
    print(f"bwauto raise --dry-run benchmark: {n} lab routers x {args.links} links (lab in its "
          f"own process, {up_s:.1f} s to start), one link per router, --force (no samples), "
          f"{args.rounds} rounds")  # fmt: skip
    print(f"  warm-up, 1 router (imports)   {warm_s:6.2f} s")
    print(f"  {'':30}{'target':>10}{'bwauto':>10}")
    print(f"  {f'ratio {n} routers / 1 router':30}{f'<= {RATIO_TARGET:g} x':>10}"
          f"{ratio:>8.2f} x   {verdict}")  # fmt: skip
    print(f"  {'1 router (median)':30}{'':>10}{median(one):>8.2f} s   "
          f"({', '.join(f'{x:.2f}' for x in one)})")  # fmt: skip
    print(f"  {f'{n} routers (median)':30}{'':>10}{median(all_):>8.2f} s   "
          f"({', '.join(f'{x:.2f}' for x in all_)})")  # fmt: skip
    for label, which in (("CPU, bwauto (median)", 0), ("CPU, the lab's routers (median)", 1)):
        c1, cn = cpu.median("1", which), cpu.median(str(n), which)
        print(f"  {label:30}{'':>10}{c1:>8.2f} s 1 router, {cn:.2f} s {n} routers, "
              f"ratio {cn / c1 if c1 else 0:.2f} x")  # fmt: skip
    print(f"  as child processes            1 router {child_one:.2f} s, {n} routers "
          f"{child_all:.2f} s, ratio {child_all / child_one:.2f} x (with start-up)")  # fmt: skip
    print(f"  one more run of each, broken down ({args.routers * args.links}-link inventory):")
    print(f"    {'':32}{'1 router':>10}{f'{n} routers':>12}")
    rows = (("total", "total", "s"), ("load_inventory calls", "loads", ""),
            ("  their time", "load_s", "s"),
            ("Nornir run", "run_plan_s", "s"))  # fmt: skip
    for label, key, unit in rows:
        print(f"    {label:<32}{parts[0][key]:>8.2f} {unit:1}{parts[1][key]:>10.2f} {unit:1}")
    rest = [part["total"] - part["load_s"] for part in parts]
    print(f"    {'total without inventory loads':<32}{rest[0]:>8.2f} s{rest[1]:>10.2f} s   "
          f"ratio {rest[1] / rest[0]:.2f} x")  # fmt: skip
    print(
        "    (the per-router part alone: the inventory loads cost the same for 1 router and "
        f"for {n}, so they lower the headline ratio;\n     the target is judged on the "
        "headline, the whole dry-run as a user waits for it)"
    )
    if history:
        print(f"  with {args.history_days} days of history of the {args.routers * args.links} "
              f"links ({samples:,} samples; the headroom check judged from them), one run "
              f"each:\n    1 router {history[0]:.2f} s, {n} routers {history[1]:.2f} s, "
              f"ratio {history[1] / history[0]:.2f} x")  # fmt: skip
    load = os.getloadavg()
    print(f"  machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f}")
    for what in bad:
        print(f"  problem: the {what} dry-run did not end with exit 0 and a record per link")
    return 0 if ok or n != 50 else 1


if __name__ == "__main__":
    sys.exit(main())
