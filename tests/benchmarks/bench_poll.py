"""Benchmark of the SOP step-6 poller: 5,000 links on 250 lab routers in one cycle, beside
net-snmp's ``snmpbulkwalk`` run in parallel over the same routers in the same run.

Run by hand (pytest does not collect it)::

    python tests/benchmarks/bench_poll.py [--routers 250] [--links 20] [--rounds 3]
                                          [--concurrency 16]

One lab process answers for all 250 routers on the same 2 CPUs: more than about 16 requests in
flight only queue in it (and, on a loaded machine, run into the lab inventory's 1 s timeout),
where real routers would each answer their own.

The lab runs in a process of its own (``bwauto lab up --detach``); its start-up time, resident
memory (VmRSS after start, VmHWM peak) and the CPU it spends answering are reported. Each
round, one after the other:

* ``bwauto poll --all`` as a child process: the cycle time it prints (``polled N links in X s``)
  and its wall time (Python start-up, inventory and store included). Its first run walks every
  router's ifName; the later ones find the ifIndexes in the sample store (one GETBULK per
  router and span of links);
* the library, ``poll_once(poll_targets(...), concurrency=N, if_indexes=cache)`` in this
  process with one ``MemoryIfIndexCache`` for all rounds (a long-running poller), timed around
  the call, with the most file descriptors this process held during it (sampled every 5 ms);
* the reference: one ``snmpbulkwalk -v2c -Cr25`` of ifXTable (ifName, the 64-bit counters and
  ifHighSpeed of every interface) per router, at most N processes at a time.

Target: one bwauto cycle <= 5 s, every link sampled, no error; the figure is the best cached
cycle (CLI or library), the first (walking) cycles are printed apart. The machine's load moves
every figure (the agents, the poller and snmpbulkwalk share its CPUs): each is printed as best
and spread, with the load average before and after. The lab is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

TARGET_S = 5.0
BWAUTO = [sys.executable, "-m", "bwauto"]
IF_X_TABLE = "1.3.6.1.2.1.31.1.1"


def lab_up(state_dir: Path, routers: int, links: int) -> tuple[float, int]:
    """Start the lab in the background: (seconds until it is ready, its pid)."""
    began = time.perf_counter()
    subprocess.run([*BWAUTO, "--state-dir", str(state_dir), "lab", "up", "--detach",
                    "--routers", str(routers), "--links-per-router", str(links)],
                   check=True, capture_output=True)  # fmt: skip
    seconds = time.perf_counter() - began
    return seconds, int((state_dir / "lab" / "lab.pid").read_text().strip())


def lab_down(state_dir: Path) -> None:
    subprocess.run([*BWAUTO, "--state-dir", str(state_dir), "lab", "down"],
                   check=False, capture_output=True)  # fmt: skip


def proc_status(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` field in KiB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cli_poll(inventory: Path, state_dir: Path, concurrency: int) -> dict[str, Any]:
    """``bwauto poll --all`` in a child process."""
    began = time.perf_counter()
    args = [*BWAUTO, "-i", str(inventory), "--state-dir", str(state_dir), "poll", "--all",
            "--concurrency", str(concurrency)]  # fmt: skip
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    match = re.search(r"(\d+) link di-poll dalam ([\d.]+) dtk", proc.stdout)
    polled, cycle = (int(match.group(1)), float(match.group(2))) if match else (0, float("nan"))
    return {"wall": wall, "cycle": cycle, "links": polled, "rc": proc.returncode,
            "err": (proc.stderr + proc.stdout).strip().splitlines()[:2]}  # fmt: skip


class FdSampler(threading.Thread):
    """The most file descriptors this process holds while it runs (sampled every 5 ms)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.005):
            self.peak = max(self.peak, len(os.listdir("/proc/self/fd")))

    def __enter__(self) -> FdSampler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.join()


def library_poll(targets: list[Any], concurrency: int, cache: Any) -> dict[str, Any]:
    from bwauto.snmp.poller import poll_once

    before = len(os.listdir("/proc/self/fd"))
    with FdSampler() as fds:
        began = time.perf_counter()
        result = poll_once(targets, concurrency=concurrency, if_indexes=cache)
        seconds = time.perf_counter() - began
    errors = [*result.router_errors.values(), *result.link_errors.values()]
    return {"cycle": seconds, "links": len(result.samples), "errors": len(errors),
            "fds": fds.peak - before, "first_error": str(errors[0]) if errors else ""}  # fmt: skip


def reference_poll(
    agents: list[tuple[str, int]], community: str, concurrency: int
) -> dict[str, Any]:
    """``snmpbulkwalk`` of ifXTable on every router, ``concurrency`` processes at a time."""

    def walk(agent: tuple[str, int]) -> tuple[int, int]:
        out = subprocess.run(
            ["snmpbulkwalk", "-v2c", "-c", community, "-On", "-Cr25", "-t", "2", "-r", "1",
             f"{agent[0]}:{agent[1]}", IF_X_TABLE],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        return out.returncode, out.stdout.count("\n")

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(walk, agents))
    return {"cycle": time.perf_counter() - began, "rows": sum(r[1] for r in results),
            "errors": sum(1 for r in results if r[0] != 0)}  # fmt: skip


def spread(values: list[float]) -> str:
    return f"best {min(values):6.2f} s  (runs {', '.join(f'{v:.2f}' for v in values)})"


def cpu_spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=" ".join((__doc__ or "").split("\n\n")[0].split()),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--routers", type=int, default=250, help="lab routers")
    parser.add_argument("--links", type=int, default=20, help="links per router")
    parser.add_argument("--rounds", type=int, default=3, help="poll cycles of each")
    parser.add_argument("--concurrency", type=int, default=16, help="routers at a time")
    args = parser.parse_args(argv)
    if shutil.which("snmpbulkwalk") is None:
        raise SystemExit("net-snmp's snmpbulkwalk is needed (apt-get install snmp)")
    from bwauto.credentials import CredentialResolver
    from bwauto.inventory.loader import load_inventory
    from bwauto.snmp.ifcache import MemoryIfIndexCache
    from bwauto.snmp.targets import poll_targets

    n_links = args.routers * args.links
    cli: list[dict[str, Any]] = []
    lib: list[dict[str, Any]] = []
    ref: list[dict[str, Any]] = []
    lab_cpu: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        lab_state, poll_state = Path(tmp) / "lab", Path(tmp) / "poll"
        up_s, pid = lab_up(lab_state, args.routers, args.links)
        rss_up = proc_status(pid, "VmRSS")
        inventory_dir = lab_state / "lab" / "inventory"
        try:
            inventory = load_inventory(inventory_dir)
            resolver = CredentialResolver.from_files(None, inventory.secrets_file)
            targets = poll_targets(inventory, list(inventory.links.values()), resolver)
            agents = [(t.host, t.port) for t in targets]
            community = str(targets[0].community)
            cache = MemoryIfIndexCache()
            load_before = os.getloadavg()[0]
            for _ in range(args.rounds + 1):  # round 0 walks ifName: reported apart
                cpu = proc_cpu(pid)
                cli.append(cli_poll(inventory_dir, poll_state, args.concurrency))
                lib_cpu = proc_cpu(pid)
                lib.append(library_poll(targets, args.concurrency, cache))
                ref_cpu = proc_cpu(pid)
                ref.append(reference_poll(agents, community, args.concurrency))
                lib[-1]["lab_cpu"], ref[-1]["lab_cpu"] = ref_cpu - lib_cpu, proc_cpu(pid) - ref_cpu
                lab_cpu.append(proc_cpu(pid) - cpu)
            hwm = proc_status(pid, "VmHWM")
        finally:
            down_began = time.perf_counter()
            lab_down(lab_state)
            down_s = time.perf_counter() - down_began

    problems = [f"CLI: exit {r['rc']}, {r['links']}/{n_links} links: {r['err']}"
                for r in cli if r["rc"] != 0 or r["links"] != n_links]  # fmt: skip
    problems += [f"library: {r['links']}/{n_links} links, {r['errors']} errors: {r['first_error']}"
                 for r in lib if r["links"] != n_links or r["errors"]]  # fmt: skip
    problems += [f"snmpbulkwalk: {r['errors']} routers failed" for r in ref if r["errors"]]
    steady_cli, steady_lib = [r["cycle"] for r in cli[1:]], [r["cycle"] for r in lib[1:]]
    best = min(steady_cli + steady_lib)
    ok = best <= TARGET_S and not problems
    print(f"bwauto poll benchmark: {n_links} links on {args.routers} lab routers, {args.rounds} "
          f"rounds after a first (walking) one, {args.concurrency} routers at a time "
          f"({os.cpu_count()} CPUs, load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after)")  # fmt: skip
    print(f"  lab up --routers {args.routers} --detach   {up_s:6.2f} s; lab process RSS "
          f"{rss_up / 1024:.0f} MiB after start, peak {hwm / 1024:.0f} MiB; "
          f"lab down {down_s:.2f} s")  # fmt: skip
    reference = min(r["cycle"] for r in ref[1:])
    print(f"  target: one cycle <= {TARGET_S:g} s        bwauto best {best:.2f} s   "
          f"snmpbulkwalk x {args.routers} best {reference:.2f} s")  # fmt: skip
    print(f"  bwauto poll --all, cached cycle  {spread(steady_cli)}   "
          f"(first, walking: {cli[0]['cycle']:.2f} s)")  # fmt: skip
    print(f"    same, process wall             {spread([r['wall'] for r in cli[1:]])}   "
          "(start-up, inventory, store)")  # fmt: skip
    print(f"  library poll_once, cached cycle  {spread(steady_lib)}   "
          f"(first, walking: {lib[0]['cycle']:.2f} s); fds held at most "
          f"{max(r['fds'] for r in lib)} more than before")  # fmt: skip
    print(f"  reference: snmpbulkwalk x {args.routers:<4}   {spread([r['cycle'] for r in ref[1:]])}"
          f"   ({ref[-1]['rows']} ifXTable rows)")  # fmt: skip
    print(f"  lab process CPU per round (CLI, library, reference)  {spread(lab_cpu[1:])}")
    lib_lab, ref_lab = [r["lab_cpu"] for r in lib[1:]], [r["lab_cpu"] for r in ref[1:]]
    print(f"    of which answering a cached library cycle {cpu_spread(lib_lab)}, "
          f"an snmpbulkwalk cycle {cpu_spread(ref_lab)}")  # fmt: skip
    full = n_links == 5000
    print(f"  bwauto best cycle {best:.2f} s: "
          f"{('OK' if ok else 'MISSED') if full else '(target: 5,000 links)'}")  # fmt: skip
    for problem in problems:
        print(f"  problem: {problem}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
