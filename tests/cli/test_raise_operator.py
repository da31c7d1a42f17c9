"""Who does a raise by request (issue 11, outside look 1 and 2): without ``--by`` or
``$BWAUTO_OPERATOR``, the engineer the Kasi assigned at step 4, said on stderr; an engineer not
in office.yaml's team is warned about (the Berita Acara would have no NIP for him)."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from bwauto.case.register import Register
from bwauto.cli.app import main
from bwauto.inventory.loader import load_inventory
from bwauto.lab.history import write_history
from bwauto.lab.runner import Lab
from bwauto.store.importer import import_history
from bwauto.store.samples import SampleStore, store_path

WIB = dt.timezone(dt.timedelta(hours=7))


def bw(lab: Lab, *args: str) -> int:
    return main(["--inventory", str(lab.inventory_dir), "--state-dir", str(lab.dir.parent), *args])


def test_raise_by_request_is_done_by_the_engineer_assigned_at_step_4(
    fresh_lab: Lab, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BWAUTO_OPERATOR", raising=False)
    monkeypatch.setenv("BWAUTO_LANG", "id")
    state = fresh_lab.dir.parent
    history = write_history(fresh_lab.routers.values(), state / "h.csv", 7, time.time())
    with SampleStore(store_path(state), create=True) as store:
        import_history(store, history, set(load_inventory(fresh_lab.inventory_dir).links), tz=WIB)
    reg = Register.for_office(state, fresh_lab.inventory_dir)
    case_id = reg.new(opd="Dinas Kesehatan", letter_no=f"1/{time.time_ns()}",
                      letter_date=dt.date(2026, 1, 5), link_id="dinkes", rate_bps=150_000_000,
                      purpose="SIMRS")  # fmt: skip
    reg.dispose(case_id, from_role="kadis", to_role="kabid")
    reg.dispose(case_id, from_role="kabid", to_role="kasi")
    reg.dispose(case_id, from_role="kasi", to_role="staf", assignees=["Budi Santoso"])
    reg.form(case_id, {"contact_name": "Rudi", "purpose": "SIMRS"})
    assert bw(fresh_lab, "analyse", "--request", case_id) == 0
    assert bw(fresh_lab, "request", "decide", case_id, "--can") == 0
    capsys.readouterr()
    # a stranger by --by: warned, the dry-run changes nothing
    assert bw(fresh_lab, "raise", "--request", case_id, "--dry-run", "--by", "Joko Susilo") == 0
    err = capsys.readouterr().err
    assert "Joko Susilo tidak ada dalam tim di office.yaml" in err
    assert bw(fresh_lab, "raise", "--request", case_id, "--yes") == 0
    err = capsys.readouterr().err
    assert f"pelaksana: Budi Santoso, staf yang ditugaskan pada langkah 4 {case_id}" in err
    assert "tidak ada dalam tim" not in err  # Budi is in the sample office's team
    records = [json.loads(Path(p).read_text()) for p in (state / "evidence").glob("*/dinkes.json")]
    (record,) = [r for r in records if not r["dry_run"]]
    assert (record["operator"], record["operator_source"]) == ("Budi Santoso", "step 4")
