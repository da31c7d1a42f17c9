"""``raise --request`` (issue 11, seen 2): the case file decides, before any router is touched;
a raise of a case decided CAN records step 8 by itself."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import pytest

from bwauto.case.register import Register
from bwauto.cli.app import main
from bwauto.inventory.loader import load_inventory
from bwauto.lab.history import write_history
from bwauto.lab.runner import Lab
from bwauto.lab.testing import device_config
from bwauto.store.importer import import_history
from bwauto.store.samples import SampleStore, store_path

WIB = dt.timezone(dt.timedelta(hours=7))


def bw(lab: Lab, *args: str) -> int:
    return main(["--inventory", str(lab.inventory_dir), "--state-dir", str(lab.dir.parent), *args])


def to_step_5(lab: Lab, rate: str = "150M") -> str:
    state = lab.dir.parent
    reg = Register.for_office(state, lab.inventory_dir)
    case_id = reg.new(opd="Dinas Kesehatan", letter_no=f"1/{time.time_ns()}",
                      letter_date=dt.date(2026, 1, 5), link_id="dinkes", rate_bps=150_000_000,
                      purpose="SIMRS")  # fmt: skip
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi"), ("kasi", "staf")):
        reg.dispose(case_id, from_role=frm, to_role=to)
    reg.form(case_id, {"contact_name": "Rudi", "purpose": "SIMRS"})
    return case_id


def ssh_logins(caplog: pytest.LogCaptureFixture) -> int:
    return sum("Accepted SSH client connection" in r.getMessage() for r in caplog.records)


def test_raise_before_a_can_decision_is_refused_before_any_router(
    fresh_lab: Lab, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``raise --request KB-2026-0001 --yes`` changed the router at step 6."""
    caplog.set_level(logging.INFO, logger="asyncssh")
    before = device_config(fresh_lab, "edge-bc-01")  # one SSH login, ours
    logins = ssh_logins(caplog)
    assert logins >= 1  # the log does show logins
    case_id = to_step_5(fresh_lab)
    assert bw(fresh_lab, "raise", "--request", case_id, "--yes") == 2
    err = capsys.readouterr().err
    assert "langkah 6" in err and f"catat dengan: bwauto analyse --request {case_id}" in err
    reg = Register.for_office(fresh_lab.dir.parent, fresh_lab.inventory_dir)
    reg.attach_analysis(case_id, {"link_id": "dinkes", "decision": "CANNOT",
                                  "requested_mbps": 150})  # fmt: skip
    reg.decide(case_id, can=False)
    assert bw(fresh_lab, "raise", "--request", case_id, "--link", "dinkes", "--to", "150M",
              "--yes") == 2  # fmt: skip
    assert "tidak dapat dinaikkan" in capsys.readouterr().err
    assert ssh_logins(caplog) == logins  # no router was even logged into
    assert device_config(fresh_lab, "edge-bc-01") == before
    assert not (fresh_lab.dir.parent / "evidence").exists()


def test_raise_of_another_rate_than_decided_is_refused(
    fresh_lab: Lab, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="asyncssh")
    case_id = to_step_5(fresh_lab)
    reg = Register.for_office(fresh_lab.dir.parent, fresh_lab.inventory_dir)
    reg.attach_analysis(case_id, {"link_id": "dinkes", "decision": "CAN", "requested_mbps": 150})
    reg.decide(case_id, can=True)
    assert bw(fresh_lab, "raise", "--request", case_id, "--to", "300M", "--yes") == 2
    assert f"{case_id} memohon 150M" in capsys.readouterr().err
    assert bw(fresh_lab, "raise", "--request", case_id, "--link", "rsud", "--yes") == 2
    assert ssh_logins(caplog) == 0


def test_analyse_then_raise_by_request_records_steps_6_and_8(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    state = fresh_lab.dir.parent
    history = write_history(fresh_lab.routers.values(), state / "h.csv", 7, time.time())
    with SampleStore(store_path(state), create=True) as store:
        import_history(store, history, set(load_inventory(fresh_lab.inventory_dir).links), tz=WIB)
    case_id = to_step_5(fresh_lab)
    assert bw(fresh_lab, "analyse", "--request", case_id) == 0
    out = capsys.readouterr().out
    assert "(langkah 6): DAPAT" in out and "unggah jenuh" in out
    reg = Register.for_office(state, fresh_lab.inventory_dir)
    analysis = reg.state(case_id).latest["analysis"]
    assert {Path(f["path"]).suffix for f in analysis.data["files"]} == {".csv", ".xlsx", ".png"}
    assert 6 in reg.state(case_id).done
    assert bw(fresh_lab, "request", "decide", case_id, "--can") == 0
    assert bw(fresh_lab, "raise", "--request", case_id, "--yes") == 0
    done = capsys.readouterr()
    assert "langkah 8 (Penambahan Bandwidth dan Sistem Monitoring) dicatat" in done.out
    assert "--to 150M: arah unduh; arah unggah tetap" in done.err
    state_8 = reg.state(case_id)
    assert 8 in state_8.done and state_8.change_ok and state_8.monitoring_ok
    assert "max-limit=50M/150M" in device_config(fresh_lab, "edge-bc-01")


def test_raise_to_a_rate_without_unit_is_refused(
    lab: Lab, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO, logger="asyncssh")
    args = ["-i", str(lab.inventory_dir), "--state-dir", str(tmp_path), "raise", "--link",
            "dinkes", "--to", "150", "--dry-run"]  # fmt: skip
    assert main(args) == 2
    assert "'150' tanpa satuan: 150M?" in capsys.readouterr().err
    assert ssh_logins(caplog) == 0
