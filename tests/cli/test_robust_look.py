"""An outside look at issue 16 (a new user trying the README by hand on the lab): a state dir
that cannot be written, SIGTERM, Ctrl-C during a poll, and the words of an interrupted or
dropped change. Real ``python3 -m bwauto`` processes against the lab."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bwauto.change.crash import crash_log
from bwauto.lab.runner import Lab
from bwauto.snmp.models import PollTarget
from bwauto.snmp.oids import SYS_UPTIME
from bwauto.snmp.session import EnginePool, SnmpSession

ROOT = Path(__file__).resolve().parents[2]

UNWRITABLE = [  # root may write anywhere else (tests run as root): chmod would not stop it
    pytest.param("/sys/kernel/bwx", id="missing-under-sys"),
    pytest.param("/sys/kernel", id="sys-dir"),
    pytest.param("/proc/bwx", id="missing-under-proc"),
]


def command(lab: Lab, state: Path | str, *args: str, lang: str = "en") -> list[str]:
    return [sys.executable, "-m", "bwauto", "-i", str(lab.inventory_dir), "--state-dir",
            str(state), "--lang", lang, *args]  # fmt: skip


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    env.pop("BWAUTO_LANG", None)
    return env


def ssh_sessions(lab: Lab) -> int:
    return sum(router.ssh_connections for router in lab.routers.values())


@pytest.mark.parametrize("state", UNWRITABLE)
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["poll", "--link", "dinkes"], id="poll"),
        pytest.param(["raise", "--link", "dinkes", "--to", "60M", "--dry-run"], id="dry-run"),
    ],
)
def test_a_state_dir_that_cannot_be_written_is_one_line_before_any_router(
    lab: Lab, state: str, args: list[str]
) -> None:
    """Before: a PermissionError traceback (poll); the dry-run logged in to the routers, then
    failed writing evidence/ and again writing its crash log (two tracebacks)."""
    before = ssh_sessions(lab)
    done = subprocess.run(command(lab, state, *args), env=environment(), capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    out = done.stdout + done.stderr
    assert "Traceback" not in out, out
    assert done.returncode == 2, out
    line = done.stderr.strip()
    assert "\n" not in line and not done.stdout.strip(), out
    assert line.startswith(f"error: {state}: --state-dir: cannot write in "), line
    assert "--state-dir or $BWAUTO_STATE_DIR" in line, line  # what to do
    assert ssh_sessions(lab) == before  # refused before any router was contacted


def test_a_command_that_only_reads_still_runs_with_a_state_dir_it_cannot_write(
    lab: Lab,
) -> None:
    done = subprocess.run(command(lab, "/sys/kernel", "inventory", "check"), env=environment(),
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0 and "inventory OK" in done.stdout, done.stderr


def test_a_crash_log_the_state_dir_cannot_take_goes_to_the_temporary_dir() -> None:
    """Before: the crash log's own PermissionError was a second traceback."""
    try:
        raise RuntimeError("a bug")
    except RuntimeError as exc:
        log = crash_log(Path("/sys/kernel/bwx"), exc)
    assert log.is_file() and "RuntimeError: a bug" in log.read_text()
    log.unlink()
    log.parent.rmdir()


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout_s: float = 60) -> None:
    """Until ``path`` exists (the process announced it started its work)."""
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


STOPPED = {"id": "galat: terhenti", "en": "error: interrupted"}


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_poll_exits_130_with_one_line(
    lab_faults: Lab, tmp_path: Path, sig: signal.Signals, lang: str
) -> None:
    """Before: SIGTERM exited 143 and SIGINT 130, both printing nothing. The signal lands
    while the poll waits for a silent agent (2 s), after the sample store was opened."""
    lab_faults.fault("edge-bc-01", "snmp-timeout")
    state = tmp_path / "state"
    proc = subprocess.Popen(command(lab_faults, state, "poll", "--all", lang=lang),
                            env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    _wait_for(state / "samples.sqlite", proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert err.strip() == STOPPED[lang], err
    assert "Exception" not in out + err


HOOKED = """
import importlib, os, signal, sys
module = importlib.import_module({module!r})
real = getattr(module, {name!r})
def hooked(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    return real(*args, **kwargs)
setattr(module, {name!r}, hooked)
from bwauto.cli.app import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    ("module", "name", "args"),
    [
        pytest.param("bwauto.cli.context", "_mtime", ["raise", "--link", "dinkes", "--to",
                                                      "150M", "--dry-run"], id="raise-start"),
        pytest.param("bwauto.cli.context", "_mtime", ["analyse", "--link", "dinkes"],
                     id="analyse-start"),
        pytest.param("bwauto.cli.context", "_mtime", ["samples", "import", "/nonexistent.csv"],
                     id="import-start"),
    ],
)  # fmt: skip
def test_sigterm_while_the_inventory_loads_exits_130_with_one_line(
    lab: Lab, tmp_path: Path, module: str, name: str, args: list[str]
) -> None:
    """Before: SIGTERM in the first seconds of a raise (the inventory loading) exited 143
    without a word, and 130 later. The process sends itself SIGTERM as it starts reading the
    inventory."""
    code = HOOKED.format(module=module, name=name)
    argv = command(lab, tmp_path / "state", *args)[3:]
    done = subprocess.run([sys.executable, "-c", code, *argv], env=environment(),
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == STOPPED["en"], done.stderr


def test_a_poll_closed_with_an_answer_queued_says_nothing(lab: Lab) -> None:
    """Before: Ctrl-C during a poll of 250 routers sometimes printed "Exception in callback
    ... CarrierError: Unregistered transport": the engines were closed while an answer read
    from the socket waited on the event loop for pysnmp. Here the answer is in the socket
    before the request is cancelled and the engines closed, as an interrupt leaves them."""
    router = lab.routers["edge-bc-01"]
    target = PollTarget(router.spec.name, "127.0.0.1", (), router.snmp_port,
                        community=router.spec.snmp_community, timeout_s=5, retries=0)  # fmt: skip
    assert asyncio.run(_close_with_an_answer_queued(target)) == []


async def _close_with_an_answer_queued(target: PollTarget) -> list[dict[str, Any]]:
    from pysnmp.carrier.asyncio.dgram import udp

    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    engines = EnginePool()
    session = await SnmpSession.open(target, engines)
    await session.get([SYS_UPTIME])  # the engine's socket is open and connected
    engine, _ = engines.for_target(target)
    sock = engine.transport_dispatcher.get_transport(udp.DOMAIN_NAME).transport
    request = asyncio.ensure_future(session.get([SYS_UPTIME]))
    await asyncio.sleep(0)  # the request is sent (a connected socket sends at once)
    # the loop waits here, so nothing reads the socket until the answer is in it
    assert select.select([sock.get_extra_info("socket")], [], [], 10)[0], "no answer"
    await asyncio.sleep(0)  # the socket is read: the answer is queued for pysnmp
    await asyncio.sleep(0)
    assert not request.done()  # pysnmp has not seen the answer yet
    request.cancel()  # the interrupt
    engines.close()
    for _ in range(5):
        await asyncio.sleep(0.01)
    assert request.cancelled()
    return seen


INTERRUPTING = """
import importlib, os, signal, sys
from bwauto.change import device
from bwauto.change.interrupt import STOP
real = device.connect
def hooked(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    assert STOP.wait(30)  # the main thread took it
    return real(*args, **kwargs)
device.connect = hooked
from bwauto.cli.app import main
sys.exit(main(sys.argv[1:]))
"""
DRY_RUN_STOPPED = {
    "id": "terhenti: dry-run tidak mengubah apa pun: setiap router tetap seperti semula",
    "en": "interrupted: a dry-run changes nothing: every router is as it was",
}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_ctrl_c_during_a_dry_run_says_nothing_was_changed(
    lab: Lab, tmp_path: Path, lang: str
) -> None:
    """Before: "setiap router kembali ke konfigurasi sebelum perubahan" (every router back to
    its pre-change config), after a dry-run that changes nothing. Ctrl-C lands as the dry-run
    opens its session to the router."""
    argv = command(lab, tmp_path / "state", "raise", "--link", "dinkes", "--to", "150M",
                   "--dry-run", lang=lang)[3:]  # fmt: skip
    done = subprocess.run([sys.executable, "-c", INTERRUPTING, *argv], env=environment(),
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    out = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 130, out
    assert DRY_RUN_STOPPED[lang] in out, out
    assert "pre-change" not in out and "sebelum perubahan" not in out, out


CUT = {
    "id": "edge-bc-01: sesi SSH terputus: periksa router dan jaringan ke router itu",
    "en": "edge-bc-01: the SSH session was cut: check the router and the network to it",
}


@pytest.mark.parametrize("lang", ["id"])
def test_a_session_dropped_mid_config_is_said_dropped_not_slow(fresh_lab: Lab, lang: str) -> None:
    """Before: the lab's ``drop-mid-config`` (the router closes the session after a line) was
    said "the router answered too slowly (timeout) ... raise ssh_timeout_s": Netmiko waits
    for the prompt on the closed session until its read timeout."""
    fresh_lab.fault("edge-bc-01", "drop-mid-config")
    args = command(fresh_lab, fresh_lab.dir.parent, "raise", "--link", "dinkes", "--to",
                   "150M", "--yes", "--force", lang=lang)  # fmt: skip
    done = subprocess.run(args, env=environment(), capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    out = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 1, out
    assert CUT[lang] in out, out
    assert "ssh_timeout_s" not in out, out
