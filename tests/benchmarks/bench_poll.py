"""Benchmark of the SOP step-6 poller (issue 4): 1,000 links over 50 lab routers in one cycle.

Run by hand (pytest does not collect it)::

    python tests/benchmarks/bench_poll.py [--routers 50] [--links 20] [--rounds 3]

The lab runs in a process of its own (``bwauto lab up --detach``), so this process measures the
poller alone (the two still share the machine's cores). Each round, one after the other:

* ``bwauto -i LAB_INVENTORY poll --all`` as a child process: its wall time (Python start-up,
  inventory and store included) and the cycle time it prints (``polled N links in X s``);
* the library, ``poll_once(poll_targets(...))`` in this process, timed around the call.

Target: one cycle <= 10 s (every round is checked), with every link sampled and no error.
The lab is stopped at the end (``bwauto lab down``). Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 10.0
BWAUTO = [sys.executable, "-m", "bwauto"]


def lab_up(state_dir: Path, routers: int, links: int) -> float:
    """Start the lab in the background; seconds until it is ready."""
    began = time.perf_counter()
    subprocess.run([*BWAUTO, "--state-dir", str(state_dir), "lab", "up", "--detach",
                    "--routers", str(routers), "--links-per-router", str(links)],
                   check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - began


def lab_down(state_dir: Path) -> None:
    subprocess.run([*BWAUTO, "--state-dir", str(state_dir), "lab", "down"],
                   check=False, capture_output=True)  # fmt: skip


def cli_poll(inventory: Path, state_dir: Path) -> tuple[float, float, int, int, str]:
    """``bwauto poll --all``: (wall s, cycle s it reports, links polled, exit code, stderr)."""
    began = time.perf_counter()
    args = [*BWAUTO, "-i", str(inventory), "--state-dir", str(state_dir), "poll", "--all"]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    match = re.search(r"polled (\d+) links in ([\d.]+) s", proc.stdout)
    if match is None:
        return wall, float("nan"), 0, proc.returncode or 1, proc.stderr + proc.stdout
    return wall, float(match.group(2)), int(match.group(1)), proc.returncode, proc.stderr


def library_poll(inventory_dir: Path) -> tuple[float, int, int]:
    """``poll_once`` over every link: (seconds, samples, errors)."""
    from bwauto.credentials import CredentialResolver
    from bwauto.inventory.loader import load_inventory
    from bwauto.snmp.poller import poll_once
    from bwauto.snmp.targets import poll_targets

    inventory = load_inventory(inventory_dir)
    resolver = CredentialResolver.from_files(None, inventory.secrets_file)
    targets = poll_targets(inventory, inventory.links.values(), resolver)
    began = time.perf_counter()
    result = poll_once(targets)
    seconds = time.perf_counter() - began
    return seconds, len(result.samples), len(result.router_errors) + len(result.link_errors)


def summary(values: list[float]) -> str:
    return (f"{statistics.median(values):6.2f} s median  "
            f"(min {min(values):.2f}, max {max(values):.2f})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=50)
    parser.add_argument("--links", type=int, default=20, help="links per router")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    n_links = args.routers * args.links
    cli_wall: list[float] = []
    cli_cycle: list[float] = []
    lib: list[float] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        lab_state, poll_state = Path(tmp) / "lab", Path(tmp) / "poll"
        up_s = lab_up(lab_state, args.routers, args.links)
        inventory = lab_state / "lab" / "inventory"
        try:
            for _ in range(args.rounds):
                wall, cycle, polled, rc, err = cli_poll(inventory, poll_state)
                cli_wall.append(wall)
                cli_cycle.append(cycle)
                if rc != 0 or polled != n_links:
                    problems.append(f"CLI: exit {rc}, {polled}/{n_links} links: {err.strip()}")
                seconds, samples, errors = library_poll(inventory)
                lib.append(seconds)
                if samples != n_links or errors:
                    problems.append(f"library: {samples}/{n_links} samples, {errors} errors")
        finally:
            down_began = time.perf_counter()
            lab_down(lab_state)
            down_s = time.perf_counter() - down_began

    worst = max(cli_cycle + lib)
    ok = worst <= TARGET_S and not problems
    print(f"bwauto poll benchmark: {n_links} links on {args.routers} lab routers "
          f"(lab in its own process), {args.rounds} rounds")  # fmt: skip
    print(f"  lab up --detach / down          {up_s:6.2f} s / {down_s:.2f} s")
    print(f"  bwauto poll --all, one cycle    {summary(cli_cycle)}   target <= {TARGET_S:g} s")
    print(f"    same, process wall time       {summary(cli_wall)}   (start-up, inventory, store)")
    print(f"  library poll_once               {summary(lib)}   target <= {TARGET_S:g} s")
    print(f"  worst cycle                     {worst:6.2f} s   {'OK' if ok else 'MISSED'}")
    load = os.getloadavg()
    print(f"  machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f}")
    for problem in problems:
        print(f"  problem: {problem}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
