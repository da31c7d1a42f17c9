"""``bwauto lab up --detach | status | fault | down`` run in-process (``main``), as a user types
them: the lab runs in a child process, is driven over its control socket and stops within 2 s."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bwauto.cli.app import main

SAMPLE_INVENTORY = Path(__file__).parents[2] / "inventory"


def bw(state_dir: Path, *args: str, inventory: Path = SAMPLE_INVENTORY) -> int:
    return main(["--inventory", str(inventory), "--state-dir", str(state_dir), *args])


def exited(pid: int) -> bool:
    """True once ``pid`` (a child of this process) has exited; reaps it if it has."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # already reaped (by subprocess's own clean-up)
        return True
    return done == pid


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    """A state dir; a lab still running there when the test ends is terminated."""
    state = tmp_path / "state"
    yield state
    pid_file = state / "lab" / "lab.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while not exited(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


def test_detached_lab_status_fault_and_down(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bw(state_dir, "lab", "up", "--detach") == 0
    inventory = state_dir / "lab" / "inventory"
    assert f"lab inventory: {inventory}" in capsys.readouterr().out
    assert bw(state_dir, "inventory", "check", inventory=inventory) == 0
    assert "inventory OK: 4 router, 10 link, 2 upstream" in capsys.readouterr().out
    assert stat.S_IMODE((state_dir / "lab" / "secrets.yaml").stat().st_mode) == 0o600

    assert bw(state_dir, "lab", "up", "--detach") == 1  # one lab per state dir
    assert "a lab is already running" in capsys.readouterr().err

    assert bw(state_dir, "lab", "fault", "edge-sk-01", "snmp-timeout") == 0
    assert bw(state_dir, "lab", "fault", "edge-sk-01", "interface-down", "--arg", "ether4") == 0
    assert bw(state_dir, "lab", "fault", "edge-bc-02", "slow") == 0
    assert bw(state_dir, "lab", "fault", "edge-bc-02", "slow", "--off") == 0
    assert bw(state_dir, "lab", "fault", "edge-sk-01", "melt") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown fault 'melt'" in err

    assert bw(state_dir, "lab", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    faults = {r["name"]: r["faults"] for r in status["routers"]}
    assert faults == {"edge-bc-01": [], "edge-bc-02": [], "edge-bc-03": [],
                      "edge-sk-01": ["snmp-timeout", "interface-down ether4"]}  # fmt: skip
    archives = {r["name"]: r["archive"] for r in status["routers"]}
    assert archives == {"edge-bc-01": None, "edge-bc-02": "flash:archive", "edge-bc-03": None,
                        "edge-sk-01": None}  # fmt: skip
    assert (inventory / "lab.yaml").exists()  # the lab inventory says so too
    assert status["pid"] == int((state_dir / "lab" / "lab.pid").read_text())
    assert bw(state_dir, "lab", "status") == 0
    table = capsys.readouterr().out  # a rich table: a long cell may wrap
    assert "snmp-timeout" in table and "interface-down" in table

    started = time.monotonic()
    assert bw(state_dir, "lab", "down") == 0
    took = time.monotonic() - started
    assert capsys.readouterr().out.strip() == "lab stopped"  # by itself, not terminated
    assert took <= 2.0
    assert exited(status["pid"])
    assert all(refused(r["ssh_port"]) for r in status["routers"])
    assert not (state_dir / "lab" / "lab.pid").exists()

    assert bw(state_dir, "lab", "status") == 1
    after = capsys.readouterr()
    assert after.out == ""
    assert after.err.count("\n") == 1 and "no lab is running" in after.err


def test_detached_lab_starts_from_a_dir_holding_a_bwauto_folder(
    state_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """Outside look: run next to the ``bwauto/`` checkout, the detached child imported that
    folder as a namespace package ("cannot import name '__version__'") and never started."""
    stray = tmp_path / "bwauto"
    stray.mkdir()  # not bwauto: whatever the cwd's "bwauto" is, the child must not import it
    (stray / "__init__.py").write_text("raise ImportError('the stray bwauto/ in the cwd')\n")
    monkeypatch.chdir(tmp_path)

    assert bw(state_dir, "lab", "up", "--detach") == 0, capsys.readouterr().err
    assert "lab running in the background" in capsys.readouterr().out
    assert bw(state_dir, "lab", "down") == 0
