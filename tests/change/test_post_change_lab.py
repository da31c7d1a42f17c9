"""The post-change step of a real raise (committed rates into the inventory, the links back
into monitoring: SOP step 8) on a large lab inventory: done once for all the change's links,
not once per link; and Ctrl-C during it is told at once and does not leave it unfinished.

An outside look (issue 16, 250 routers, 5,000 links) measured ~10 s of CPU per changed link
after the routers were done, with Ctrl-C silently ignored all that time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import bwauto.change.inventory_update as iu
import bwauto.monitoring.runner as monitoring_runner
from bwauto.inventory.loader import load_inventory
from bwauto.lab.inventory_out import synthetic_inventory, write_inventory
from bwauto.lab.runner import Lab
from bwauto.monitoring.prometheus import PrometheusBackend
from tests.change.test_raise_lab import bw

ROOT = Path(__file__).resolve().parents[2]
M = 1_000_000
ROUTERS, LINKS_PER_ROUTER = 25, 40  # 1,000 links
LINKS = ["opd-001-01", "opd-001-02", "opd-003-01", "opd-003-02", "opd-005-07"]  # RouterOS
FINISHING = "interrupted: the routers are changed; bwauto is finishing the inventory"


@pytest.fixture
def big_lab(tmp_path: Path) -> Iterator[Lab]:
    """A lab of its own on a 1,000-link synthetic inventory; state dir is its parent."""
    source = tmp_path / "source"
    write_inventory(source, synthetic_inventory(ROUTERS, LINKS_PER_ROUTER), "synthetic")
    running = Lab(load_inventory(source), tmp_path / "state").start()
    yield running
    running.stop()


def spy(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, calls: Counter[str]) -> None:
    """Count the calls of ``owner.name``; the real function does the work."""
    real = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)


def raise_args(lab: Lab) -> list[str]:
    links = [arg for link in LINKS for arg in ("--link", link)]
    return ["raise", *links, "--to", "200M", "--yes", "--force"]


def assert_recorded(lab: Lab) -> None:
    """Every link's new rate in links.yaml, and its monitoring registration beside its
    evidence and in the ledger, with the new capacity."""
    links = load_inventory(lab.inventory_dir).links
    assert {link: links[link].committed.down for link in LINKS} == dict.fromkeys(LINKS, 200 * M)
    state = lab.dir.parent
    for link in LINKS:
        [path] = (state / "evidence").glob(f"*/{link}.monitoring.json")
        assert json.loads(path.read_text())["ok"] is True
    ledger = monitoring_runner.load_records(state)
    capacities = {link: ledger[link]["prometheus"]["capacity"]["down"] for link in LINKS}
    assert capacities == dict.fromkeys(LINKS, 200 * M)


def test_a_raise_of_several_links_writes_inventory_and_monitoring_once(
    big_lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BWAUTO_LANG", "en")
    calls: Counter[str] = Counter()
    spy(monkeypatch, iu, "_update", calls)  # one ruamel round trip of links.yaml
    spy(monkeypatch, iu, "atomic_write", calls)  # links.yaml written
    spy(monkeypatch, monitoring_runner, "_write_records", calls)  # the registration ledger
    spy(monkeypatch, PrometheusBackend, "update", calls)  # the Prometheus files
    assert bw(big_lab, *raise_args(big_lab)) == 0
    assert calls == {"_update": 1, "atomic_write": 1, "_write_records": 1, "update": 1}
    assert_recorded(big_lab)


def test_ctrl_c_after_the_routers_changed_is_told_at_once_and_the_records_finish(
    big_lab: Lab,
) -> None:
    env = os.environ | {"PYTHONPATH": str(ROOT), "BWAUTO_LANG": "en"}
    cmd = [sys.executable, "-m", "bwauto", "--inventory", str(big_lab.inventory_dir),
           "--state-dir", str(big_lab.dir.parent), *raise_args(big_lab)]  # fmt: skip
    links_yaml = big_lab.inventory_dir / "links.yaml"
    before = links_yaml.stat().st_mtime_ns
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not all_changed(big_lab):  # every router done: the post-change step starts
            assert proc.poll() is None, f"bwauto ended first: {proc.communicate()}"
            assert time.monotonic() < deadline, "the routers were never all changed"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGINT)
        assert proc.stderr is not None
        said = []
        for line in proc.stderr:  # the line comes while bwauto is still at work
            said.append(line)
            if line.startswith(FINISHING):
                assert proc.poll() is None
                break
        else:
            raise AssertionError(f"never told: {''.join(said)}")
        _, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert links_yaml.stat().st_mtime_ns != before
    assert_recorded(big_lab)
    assert sum(line.startswith(FINISHING) for line in [*said, *rest.splitlines()]) == 1


def all_changed(lab: Lab) -> bool:
    for link in LINKS:
        paths = list((lab.dir.parent / "evidence").glob(f"*/{link}.json"))
        try:
            if not paths or json.loads(paths[0].read_text())["outcome"] != "changed":
                return False
        except ValueError:
            return False
    return True
