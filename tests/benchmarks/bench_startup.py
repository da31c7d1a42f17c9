"""Benchmark of start-up: ``bwauto --help`` and ``bwauto inventory check`` on 1,000 links.

Run by hand (pytest does not collect it)::

    python tests/benchmarks/bench_startup.py [--repeat 7] [--links 1000]

Each command runs ``--repeat`` times in a fresh process (wall time from here, CPU time of the
child from ``wait4``), beside the reference measured in the same run: the bare
interpreter (``python -c pass``) and ``python -c "import typer"`` (the CLI framework alone).
Targets: ``--help`` <= 0.2 s, ``inventory check`` on a 1,000-link inventory (a synthetic one,
``synthetic_inventory``) <= 0.5 s. Then ``python -X importtime`` names the slowest imports of
each bwauto command, to show where the rest goes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
"""The children run in ROOT too: ``python -m`` puts the current directory first on the path, so
run from another checkout they would measure that checkout's bwauto."""


def run(cmd: list[str]) -> tuple[float, float]:
    """One run of ``cmd``: (wall s, CPU s)."""
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd)} failed: {err.strip()}")
    return wall, usage.ru_utime + usage.ru_stime


def slowest_imports(cmd: list[str], n: int = 5) -> str:
    """The ``n`` top-level imports with the largest cumulative time (``-X importtime``)."""
    out = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], env=ENV, cwd=ROOT, text=True,
                         capture_output=True, check=False).stderr  # fmt: skip
    rows = []
    for line in out.splitlines():
        parts = line.split("|")
        top = (
            parts[2].startswith(" ") and not parts[2].startswith("  ") if len(parts) == 3 else False
        )
        if top and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].strip()))
    return ", ".join(f"{name} {us / 1000:.0f} ms" for us, name in sorted(rows)[::-1][:n])


def verdict_of(target: float | str | None, best: float) -> str:
    """The target and whether ``best`` meets it; a text target is printed as it is (the target
    is judged only at the size it is set for)."""
    if target is None or isinstance(target, str):
        return target or ""
    return f"target <= {target:g} s  {'OK' if best <= target else 'MISSED'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=" ".join((__doc__ or "").split("\n\n")[0].split()),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=7, help="runs of each command")
    parser.add_argument("--links", type=int, default=1000, help="links in the inventory")
    args = parser.parse_args(argv)
    from bwauto.lab.inventory_out import synthetic_inventory, write_inventory

    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        inv = Path(tmp) / "inventory"
        write_inventory(inv, synthetic_inventory(max(1, args.links // 20), 20), "bench_startup")
        cases = [
            ("python -c pass (reference)", [py, "-c", "pass"], None),
            ("python -c 'import typer' (reference)", [py, "-c", "import typer"], None),
            ("bwauto --help", [py, "-m", "bwauto", "--help"], 0.2),
            (f"bwauto inventory check ({args.links} links)",
             [py, "-m", "bwauto", "--inventory", str(inv), "inventory", "check"],
             0.5 if args.links == 1000 else "the 0.5 s target is for 1,000 links"),
        ]  # fmt: skip
        results = {name: [run(cmd) for _ in range(args.repeat)] for name, cmd, _ in cases}
        imports = {name: slowest_imports(cmd) for name, cmd, target in cases if target is not None}
    load = os.getloadavg()[0]
    print(f"bwauto start-up benchmark, best of {args.repeat} ({os.cpu_count()} CPUs, "
          f"load average {load:.1f})")  # fmt: skip
    for name, _, target in cases:
        walls = [r[0] for r in results[name]]
        cpus = [r[1] for r in results[name]]
        verdict = verdict_of(target, min(walls))
        print(f"  {name:<40} wall best {min(walls):5.3f} s (worst {max(walls):5.3f})  CPU best "
              f"{min(cpus):5.3f} s  {verdict}")  # fmt: skip
    for name, text in imports.items():
        print(f"  slowest imports of {name}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
