"""SIGINT and SIGKILL at three points of a real ``bwauto raise`` (a subprocess) against the lab:
before config mode, in the middle of the configuration, in the confirm window.

After SIGINT: exit 130, one line, evidence closed, the router on its old or new config and
``links.yaml`` agreeing with it. After SIGKILL: an ``in-progress`` record, which the next
command (``bwauto evidence reconcile``) closes after putting the router on old or new config.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bwauto.change.inventory_update import update_committed
from bwauto.i18n import gettext
from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab
from bwauto.lab.testing import device_config
from bwauto.platforms.cisco_ios import CiscoIos
from tests.change.test_raise_lab import bw

ROOT = Path(__file__).resolve().parents[2]
M = 1_000_000
OLD, NEW = 200 * M, 300 * M


def records(lab: Lab, link: str) -> list[dict[str, Any]]:
    paths = sorted((lab.dir.parent / "evidence").glob(f"*/{link}.json"),
                   key=lambda p: p.stat().st_mtime_ns)  # fmt: skip
    out = []
    for p in paths:
        try:
            out.append(json.loads(p.read_text()))
        except ValueError:  # never: records are replaced atomically
            raise AssertionError(f"torn evidence file {p}") from None
    return out


def phase(lab: Lab, link: str, wanted: str) -> Callable[[], bool]:
    def seen() -> bool:
        return any(r["outcome"] == "in-progress" and r["phase"] == wanted
                   for r in records(lab, link))  # fmt: skip

    return seen


def in_config_mode(lab: Lab) -> Callable[[], bool]:
    config: Any = lab.router("edge-bc-02").config
    return lambda: config.revert_at is not None


POINTS: dict[str, Callable[[Lab], Callable[[], bool]]] = {
    "before-config-mode": lambda lab: phase(lab, "rsud", "started"),
    "mid-config": in_config_mode,
    "confirm-window": lambda lab: phase(lab, "rsud", "applied"),
}


def start_raise(lab: Lab) -> subprocess.Popen[str]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "bwauto", "--inventory", str(lab.inventory_dir),
           "--state-dir", str(lab.dir.parent), "raise", "--link", "rsud", "--to", "300M",
           "--yes", "--force"]  # fmt: skip
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            raise AssertionError(f"bwauto ended first: {proc.communicate()}")
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("the point was never reached")


def router_rate(lab: Lab) -> int | None:
    link = load_inventory(lab.inventory_dir).links["rsud"]
    config = device_config(lab, "edge-bc-02")
    return CiscoIos().parse_rate(CiscoIos().section([config, config], link), link).down


def interrupted_at(lab: Lab, point: str, sig: int) -> tuple[int, str]:
    lab.fault("edge-bc-02", "slow", arg="0.12")  # room to land between two steps
    proc = start_raise(lab)
    wait_for(POINTS[point](lab), proc, timeout=90)
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=90)
    lab.reset_faults()
    return proc.returncode, err


@pytest.mark.parametrize("point", POINTS)
def test_sigint_leaves_old_or_new_config_evidence_and_inventory_in_agreement(
    fresh_lab: Lab, point: str
) -> None:
    code, err = interrupted_at(fresh_lab, point, signal.SIGINT)
    assert code == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("terhenti:"), err
    record = records(fresh_lab, "rsud")[-1]
    assert record["outcome"] in ("interrupted", "changed"), record
    rate = router_rate(fresh_lab)
    assert rate in (OLD, NEW)
    assert load_inventory(fresh_lab.inventory_dir).links["rsud"].committed.down == rate
    if record["outcome"] == "interrupted":
        assert rate == OLD and any("interrupted" in e for e in record["errors"])


@pytest.mark.parametrize("point", POINTS)
def test_sigkill_leaves_in_progress_evidence_that_the_next_command_reconciles(
    fresh_lab: Lab, point: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = interrupted_at(fresh_lab, point, signal.SIGKILL)
    assert code == -signal.SIGKILL
    left = records(fresh_lab, "rsud")[-1]
    assert left["outcome"] == "in-progress"
    if point == "mid-config":  # the next raise on that router reconciles first, then raises
        assert bw(fresh_lab, "raise", "--link", "rsud", "--to", "300M", "--yes", "--force") == 0
        assert "dirapikan: " + left["change_id"] in capsys.readouterr().err
        assert records(fresh_lab, "rsud")[-1]["outcome"] == "changed"
        assert router_rate(fresh_lab) == NEW
        assert load_inventory(fresh_lab.inventory_dir).links["rsud"].committed.down == NEW
    assert bw(fresh_lab, "evidence", "reconcile") == 0
    out = capsys.readouterr().out
    record = next(r for r in records(fresh_lab, "rsud") if r["change_id"] == left["change_id"])
    assert record["outcome"] in ("changed", "rolled-back"), record
    assert record["reconciled"]
    if point != "mid-config":  # said in the default Indonesian ("dipulihkan: ...")
        assert gettext(record["reconciled"], "id") in out, out
    if record["outcome"] == "changed":  # finished: back into monitoring, as after a raise
        state = fresh_lab.dir.parent
        assert (state / "evidence" / left["change_id"] / "rsud.monitoring.json").is_file()
    rate = router_rate(fresh_lab)
    assert rate in (OLD, NEW)
    assert load_inventory(fresh_lab.inventory_dir).links["rsud"].committed.down == rate
    assert bw(fresh_lab, "evidence", "reconcile") == 0  # nothing left open
    assert "tidak ada yang perlu dirapikan" in out + capsys.readouterr().out


def test_a_change_killed_after_it_was_saved_is_finished_and_monitored(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGKILL between 'saved' and closing the record: the router runs the target with no guard,
    so reconcile finishes the change — the inventory and monitoring follow, as after a raise."""
    assert bw(fresh_lab, "raise", "--link", "rsud", "--to", "300M", "--yes", "--force") == 0
    state = fresh_lab.dir.parent
    (path,) = [p for p in (state / "evidence").glob("*/rsud.json")]
    record = json.loads(path.read_text())
    record.update(outcome="in-progress", ended=None)  # as a killed process leaves it
    path.write_text(json.dumps(record))
    (path.parent / "rsud.monitoring.json").unlink()
    assert load_inventory(fresh_lab.inventory_dir).links["rsud"].committed.down == NEW
    update_committed(fresh_lab.inventory_dir, "rsud", 100 * M, OLD)  # not written yet
    capsys.readouterr()
    assert bw(fresh_lab, "evidence", "reconcile") == 0
    closed = json.loads(path.read_text())
    assert closed["outcome"] == "changed" and closed["reconciled"].startswith("finished")
    assert load_inventory(fresh_lab.inventory_dir).links["rsud"].committed.down == NEW
    assert (path.parent / "rsud.monitoring.json").is_file()
