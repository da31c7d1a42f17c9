"""``bwauto monitor sync`` as an operator runs it: a real process, real Prometheus and
snmp_exporter, waits that overlap, progress while waiting, signals, servers that are down.

The links are on a router whose SNMP port answers nothing, and the files go to a dir this
Prometheus does not read: every verification waits its whole ``verify_timeout_s``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

servers: Any = sys.modules["bwauto_monitoring_test_servers"]  # loaded by conftest.py

if TYPE_CHECKING:
    from conftest import PromEnv

ROOT = Path(__file__).resolve().parents[2]
LINKS = ("l2", "l3", "l4")


def inventory(tmp_path: Path, url: str, exporter: str, timeout_s: float) -> Path:
    """Three links on one silent router; monitoring.yaml pointing at ``url``/``exporter``."""
    inv = tmp_path / "inventory"
    inv.mkdir()
    silent = servers.free_port()
    ifaces = {f"ether{n[1]}": "1G" for n in LINKS}
    hosts = {
        "r1": {
            "hostname": "127.0.0.1",
            "platform": "mikrotik_routeros",
            "data": {
                "interfaces": ifaces,
                "poll_interval_s": 10,
                "snmp": {"port": silent, "timeout_s": 1},
            },
        }
    }
    links = {
        "upstreams": [{"id": "isp", "capacity": "1G"}],
        "links": [
            {
                "id": n,
                "opd": f"Dinas {n}",
                "router": "r1",
                "interface": f"ether{n[1]}",
                "shaper": f"shape-{n}",
                "committed": {"up": "10M", "down": "20M"},
                "upstream": "isp",
                "contact": {"name": "Lab"},
            }
            for n in LINKS
        ],
    }
    monitoring = {
        "prometheus": {
            "output_dir": str(tmp_path / "out"),
            "url": url,
            "snmp_exporter": exporter,
            "verify_timeout_s": timeout_s,
        }
    }
    for name, data in (("hosts", hosts), ("links", links), ("monitoring", monitoring)):
        (inv / f"{name}.yaml").write_text(yaml.safe_dump(data))
    return inv  # fmt: skip


def start_sync(inv: Path, err: Path, *command: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BWAUTO_SNMP_COMMUNITY": "c0mm"}
    args = [sys.executable, "-m", "bwauto", "--lang", "en", "--inventory", str(inv),
            "--state-dir", str(inv.parent / "state"), "monitor",
            *(command or ["sync"])]  # fmt: skip
    with err.open("wb") as stderr:
        return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=stderr)


def wait_for_text(path: Path, text: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while text not in path.read_text():
        assert proc.poll() is None, path.read_text()
        assert time.monotonic() < end, path.read_text()
        time.sleep(0.1)


def test_links_are_verified_at_once_with_a_line_per_link_while_waiting(
    prometheus: PromEnv, tmp_path: Path
) -> None:
    """Outside look: nothing was shown while waiting, and each link waited in turn."""
    p = prometheus.settings.prometheus
    inv = inventory(tmp_path, p.url or "", p.snmp_exporter, timeout_s=6)
    err = tmp_path / "err"

    start = time.monotonic()
    proc = start_sync(inv, err)
    code = proc.wait(timeout=60)
    elapsed = time.monotonic() - start

    lines = err.read_text().splitlines()
    assert code == 1, lines
    for link_id in LINKS:
        assert f"{link_id}: waiting for prometheus to show it (at most 6 s)" in lines
        assert any(x.startswith(f"error: {link_id}: NOT verified: target up: no active target")
                   for x in lines), lines  # fmt: skip
    assert elapsed < 6 * len(LINKS) - 4, (elapsed, lines)  # the waits overlap
    assert lines[-1] == ("error: monitor sync: 3 of 3 links failed; run 'bwauto monitor sync' "
                         "again to retry them")  # fmt: skip


def test_a_down_snmp_exporter_fails_the_sync_at_once_in_one_line(
    prometheus: PromEnv, tmp_path: Path
) -> None:
    """Outside look: with snmp_exporter down, sync waited 90 s for each link in turn."""
    dead = f"127.0.0.1:{servers.free_port()}"
    inv = inventory(tmp_path, prometheus.settings.prometheus.url or "", dead, timeout_s=90)
    err = tmp_path / "err"

    start = time.monotonic()
    code = start_sync(inv, err).wait(timeout=120)

    lines = err.read_text().splitlines()
    assert (code, time.monotonic() - start < 15) == (1, True), lines
    assert lines == [f"error: snmp_exporter at http://{dead}: connection refused",
                     "error: monitor sync: files written, nothing verified; run 'bwauto monitor "
                     "sync' again when the servers answer"]  # fmt: skip


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_waiting_exits_130_in_one_line_with_the_ledger_whole(
    prometheus: PromEnv, tmp_path: Path, sig: int
) -> None:
    """Outside look: SIGTERM exited 143 with no message, Ctrl-C 130 with no line."""
    p = prometheus.settings.prometheus
    inv = inventory(tmp_path, p.url or "", p.snmp_exporter, timeout_s=120)
    err = tmp_path / "err"
    proc = start_sync(inv, err)
    wait_for_text(err, "waiting for prometheus", proc, timeout_s=30)

    sent = time.monotonic()
    proc.send_signal(sig)
    code = proc.wait(timeout=30)

    lines = [x for x in err.read_text().splitlines() if "waiting for" not in x]
    assert (code, time.monotonic() - sent < 10) == (130, True), lines
    assert lines == ["interrupted: files written, 0 of 3 links verified; run 'bwauto monitor "
                     "sync' to verify the rest"]  # fmt: skip
    ledger: dict[str, Any] = json.loads((tmp_path / "state/monitoring/registrations.json")
                                        .read_text())  # fmt: skip
    assert not any(e["prometheus"]["ok"] for e in ledger.values())  # each retried by the next sync
    targets = json.loads((tmp_path / "out/targets/r1.json").read_text())
    assert len(targets) == 1  # the files are whole: one target for the router


def test_sigterm_while_a_register_waits_exits_130_in_one_line(
    prometheus: PromEnv, tmp_path: Path
) -> None:
    p = prometheus.settings.prometheus
    inv = inventory(tmp_path, p.url or "", p.snmp_exporter, timeout_s=120)
    err = tmp_path / "err"
    proc = start_sync(inv, err, "register", "--link", "l3")
    wait_for_text(err, "l3: waiting for prometheus", proc, timeout_s=30)

    proc.send_signal(signal.SIGTERM)

    assert proc.wait(timeout=15) == 130
    lines = [x for x in err.read_text().splitlines() if "waiting for" not in x]
    assert lines == ["interrupted: l3 is in the prometheus files but not verified; run "
                     "'bwauto monitor register --link l3'"]  # fmt: skip
    ledger = json.loads((tmp_path / "state/monitoring/registrations.json").read_text())
    assert ledger["l3"]["prometheus"]["ok"] is False  # the next sync retries it
