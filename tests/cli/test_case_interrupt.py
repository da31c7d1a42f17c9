"""A record and its journal line cannot be split by Ctrl-C; a crash between them is named
``journal-behind`` (not a tamper) and repaired by a recorded ``request rejournal``; any
unanchored record blocks the case; an interrupted ``analyse --request`` leaves no files.

The signals are sent by the bwauto process itself at the exact moment to test (a hook around
the function that runs then), in a real ``bwauto`` subprocess: a timer could not hit a window
of a few microseconds reliably.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_harness import Bw
from test_outside_look import request_at_step_5
from test_request_cli import _new, _to_step_5

from bwauto.case.register import Register
from bwauto.inventory.loader import load_inventory
from bwauto.lab.history import write_history
from bwauto.lab.runner import Lab
from bwauto.store.importer import import_history
from bwauto.store.samples import SampleStore, store_path

REPO = Path(__file__).resolve().parents[2]
WIB = dt.timezone(dt.timedelta(hours=7))

HOOKED = """
import os, signal, sys
import {module} as target
real = target.{name}
def hooked(*args, **kwargs):
    result = real(*args, **kwargs) if {after} else None
    os.kill(os.getpid(), signal.{signal})
    return result if {after} else real(*args, **kwargs)
target.{name} = hooked
from bwauto.cli.app import main
sys.exit(main(sys.argv[1:]))
"""


def run_hooked(
    tmp_path: Path, module: str, name: str, sig: str, *args: str, after: bool = False,
    inventory: Path | None = None, state: Path | None = None,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """``bwauto ARGS`` in a subprocess that sends itself ``sig`` when ``module.name`` is
    called (before it runs, or ``after``)."""
    code = HOOKED.format(module=module, name=name, signal=sig, after=after)
    base = ["--inventory", str(inventory or tmp_path / "inventory"),
            "--state-dir", str(state or tmp_path / "state")]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-c", code, *base, *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_signal_between_commit_and_journal_line_is_deferred(
    bw: Bw, tmp_path: Path, sig: str
) -> None:
    """Was: SIGINT after the commit left the record without its journal line: `verify` said
    "unanchored" for ever (a false tamper)."""
    case_id = _new(bw)
    dispose = ("request", "dispose", case_id, "--from", "kadis", "--to", "kabid")
    done = run_hooked(tmp_path, "bwauto.case.register", "append_journal", sig, *dispose)
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    code, out, _ = bw("request", "verify", case_id)
    assert code == 0 and "OK, 2 catatan" in out, out
    assert len((tmp_path / "state" / "register.journal").read_text().splitlines()) == 2


def test_a_crash_after_the_commit_is_journal_behind_and_repaired_on_record(
    bw: Bw, tmp_path: Path
) -> None:
    """SIGKILL between the commit and the journal line: named `journal-behind`, blocking,
    and `request rejournal` puts it right with a record saying who, when and why."""
    case_id = _new(bw)
    dispose = ("request", "dispose", case_id, "--from", "kadis", "--to", "kabid")
    killed = run_hooked(tmp_path, "bwauto.case.register", "append_journal", "SIGKILL", *dispose)
    assert killed.returncode == -9
    code, out, _ = bw("request", "verify", case_id)
    assert code == 1 and "catatan 2 " in out and ": journal-behind: " in out, out
    assert "unanchored" not in out
    code, _, err = bw("request", "dispose", case_id, "--from", "kabid", "--to", "kasi")
    assert code == 1 and "journal-behind" in err, err
    assert f'bwauto request rejournal {case_id} --reason "..."' in err
    code, out, err = bw("request", "rejournal", case_id, "--reason", "listrik padam")
    assert code == 0 and "(catatan 3)" in out, (out, err)
    code, out, _ = bw("request", "verify", case_id)
    assert code == 0 and "OK, 3 catatan" in out, out
    assert bw("request", "dispose", case_id, "--from", "kabid", "--to", "kasi")[0] == 0
    rec = Register.in_state_dir(tmp_path / "state").get(case_id).records()[2]
    assert rec.kind == "rejournal" and rec.data["record"] == 2
    assert rec.data["reason"] == "listrik padam"
    code, _, err = bw("request", "rejournal", case_id, "--reason", "lagi")
    assert code == 2 and "nothing to repair" in err


def test_an_unanchored_record_blocks_the_case(bw: Bw, tmp_path: Path) -> None:
    """Was: a record missing from the journal was reported but further records were taken."""
    case_id = _new(bw)
    _to_step_5(bw, case_id)
    journal = tmp_path / "state" / "register.journal"
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join(line for line in lines if " 2 " not in line))
    code, out, _ = bw("request", "verify", case_id)
    assert code == 1 and ": unanchored: " in out and "journal-behind" not in out
    code, _, err = bw("request", "close", case_id)
    assert code == 1 and "unanchored" in err and "nothing recorded" in err


@pytest.fixture
def week(lab: Lab, tmp_path: Path) -> Path:
    """A state dir with 7 days of the lab's counters."""
    state = tmp_path / "state"
    state.mkdir()
    history = write_history(lab.routers.values(), tmp_path / "h.csv", 7, time.time())
    with SampleStore(store_path(state), create=True) as store:
        import_history(store, history, set(load_inventory(lab.inventory_dir).links), tz=WIB)
    return state


def test_interrupted_analyse_request_leaves_no_files(lab: Lab, week: Path, tmp_path: Path) -> None:
    """Was: Ctrl-C during `analyse --request` left complete but unattached files in
    cases/ID/analisa/, and the next run wrote analisa-2."""
    case_id = request_at_step_5(lab, week, "1/A")
    reg = Register.for_office(week, lab.inventory_dir)
    cut = run_hooked(tmp_path, "bwauto.analysis.run", "write_outputs", "SIGINT",
                     "analyse", "--request", case_id, after=True,
                     inventory=lab.inventory_dir, state=week)  # fmt: skip
    assert cut.returncode != 0 and "Traceback" not in cut.stderr, cut.stderr
    folder = week / "cases" / case_id
    assert not folder.exists() or list(folder.iterdir()) == []
    assert 6 not in reg.state(case_id).done
    killed = folder / ".analisa-4194304-0123456789ab"  # a SIGKILLed run's (no such pid)
    (killed / "x").mkdir(parents=True)
    done = run_hooked(
        tmp_path,
        "bwauto.case.register",
        "append_journal",
        "SIGINT",
        "analyse",
        "--request",
        case_id,
        inventory=lab.inventory_dir,
        state=week,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["analisa"]
    analysis = reg.state(case_id).latest["analysis"]
    assert all("/analisa/" in f["path"] for f in analysis.data["files"])
    assert reg.verify(case_id).ok


@pytest.mark.parametrize("delay", [1.0, 2.0, 2.5, 3.5])
def test_ctrl_c_at_any_moment_of_analyse_request_leaves_a_whole_case(
    lab: Lab, week: Path, delay: float
) -> None:
    """The report's reproduction: SIGINT some seconds into `bwauto analyse --request ID`.
    Whenever it lands, the case verifies, and `analisa` exists only if step 6 was recorded."""
    case_id = request_at_step_5(lab, week, "1/A")
    reg = Register.for_office(week, lab.inventory_dir)
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    argv = [sys.executable, "-m", "bwauto", "-i", str(lab.inventory_dir), "--state-dir",
            str(week), "analyse", "--request", case_id]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err, err
    report = reg.verify(case_id)
    assert report.ok, report.problems
    folder = week / "cases" / case_id
    names = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    recorded = 6 in reg.state(case_id).done
    assert names == (["analisa"] if recorded else []), (delay, names, recorded)
