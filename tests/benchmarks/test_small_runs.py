"""A benchmark run at a small size still runs (README, "Benchmarks"): the figures are judged
only at the size a target is set for, but a small run checks the script and its reference.
Before: ``bench_analyse.py --links 20`` crashed in the numpy reference (an upstream with no
link of the 20: ``IndexError: index -1 is out of bounds for axis 0 with size 0``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_analyse_runs_and_agrees_at_20_links() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = ROOT / "tests" / "benchmarks" / "bench_analyse.py"
    done = subprocess.run([sys.executable, str(script), "--links", "20", "--days", "2",
                           "--repeat", "1"], env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    agreement = dict(re.findall(r"^\s{4}(\S.*?)\s{2,}(\S+)$", done.stdout, re.MULTILINE))
    for key in ("in_p95", "out_mean", "upstream aggregate in p95", "upstream aggregate out p95"):
        assert float(agreement[key]) < 1e-9, (key, done.stdout)
