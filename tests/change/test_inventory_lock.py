"""``links.yaml`` updates from concurrent processes lose nothing (issue 10: Build 8): the
read-modify-write holds the inventory directory's lock and re-reads the file inside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bwauto.inventory.loader import load_inventory
from bwauto.lab.inventory_out import synthetic_inventory, write_inventory
from bwauto.lab.runner import Lab

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
M = 1_000_000

WORKER = """
import sys, time
from pathlib import Path
from bwauto.change.inventory_update import update_committed
inventory, link, sync, rounds = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
(sync / f"ready-{link}").touch()
for r in range(rounds):
    while not (sync / f"go-{r}").exists():
        time.sleep(0.0005)
    update_committed(inventory, link, None, (200 + r) * 1_000_000)
    (sync / f"done-{r}-{link}").touch()
"""


def committed_down(inventory: Path) -> dict[str, str]:
    links = yaml.safe_load((inventory / "links.yaml").read_text())["links"]
    return {x["id"]: str(x["committed"]["down"]) for x in links}


def wait_for(paths: list[Path], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not all(p.exists() for p in paths):
        assert time.monotonic() < deadline, f"workers never wrote {paths}"
        time.sleep(0.002)


def test_two_processes_updating_together_lose_no_update(tmp_path: Path) -> None:
    inventory, sync = tmp_path / "inventory", tmp_path / "sync"
    shutil.copytree(ROOT / "inventory", inventory)
    sync.mkdir()
    links, rounds = ["dinkes", "disdukcapil"], 10
    command = [sys.executable, "-c", WORKER, str(inventory)]
    workers = [
        subprocess.Popen([*command, link, str(sync), str(rounds)], env=ENV) for link in links
    ]
    try:
        wait_for([sync / f"ready-{link}" for link in links])
        lost = []
        for r in range(rounds):
            (sync / f"go-{r}").touch()
            wait_for([sync / f"done-{r}-{link}" for link in links])
            now = committed_down(inventory)
            lost += [(r, link, now[link]) for link in links if now[link] != f"{200 + r}M"]
    finally:
        codes = [w.wait(timeout=60) for w in workers]
    assert codes == [0, 0]
    assert lost == []  # before the lock: 9 rounds of 10 lost an update
    assert load_inventory(inventory).links["dinkes"].committed.down == (200 + rounds - 1) * M


@pytest.fixture
def lab8(tmp_path: Path) -> Iterator[Lab]:
    """A lab of 8 MikroTik routers with one link each (from a synthetic inventory)."""
    data = synthetic_inventory(16, 1)
    data["hosts.yaml"] = {
        name: host for name, host in data["hosts.yaml"].items() if "mikrotik" in host["groups"]
    }
    links = data["links.yaml"]["links"]
    data["links.yaml"]["links"] = [x for x in links if x["router"] in data["hosts.yaml"]]
    data.pop("lab.yaml", None)  # IOS device state only: no IOS router is left
    source = tmp_path / "source"
    write_inventory(source, data, "8 routers for the concurrent-raise test")
    running = Lab(load_inventory(source), tmp_path / "state").start()
    yield running
    running.stop()


def test_eight_concurrent_raises_on_eight_routers_keep_every_new_rate(lab8: Lab) -> None:
    inventory = load_inventory(lab8.inventory_dir)
    assert len(inventory.routers) == 8 and len(inventory.links) == 8
    targets = {link: (60 + i) * M for i, link in enumerate(sorted(inventory.links))}
    state = lab8.dir.parent
    raises = [
        subprocess.Popen([sys.executable, "-m", "bwauto", "--inventory", str(lab8.inventory_dir),
                          "--state-dir", str(state), "raise", "--link", link,
                          "--to", f"{rate // M}M", "--yes", "--force"],
                         env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for link, rate in targets.items()
    ]  # fmt: skip
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else b"") for p in raises]
    assert [code for code, _ in results] == [0] * 8, results
    after = load_inventory(lab8.inventory_dir)
    assert {link: after.links[link].committed.down for link in targets} == targets
    for link, rate in targets.items():  # and the routers agree
        router = lab8.router(after.links[link].router)
        assert rate in {caps[1] for caps in router.config.shaper_limits().values()}
