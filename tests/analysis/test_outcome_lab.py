"""``bwauto request outcome`` (issue 15) against the lab: after a raise, the poller's samples show
a link whose demand exceeds its old cap rising to the new cap, and a link whose demand stays
below its old cap not using the new rate."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from bwauto.analysis.counters import compute_intervals
from bwauto.analysis.outcome import compare_direction
from bwauto.case.documents import render_document
from bwauto.case.documents.text_writer import to_text
from bwauto.case.register import Register
from bwauto.cli.app import main
from bwauto.inventory.loader import load_inventory
from bwauto.lab.history import write_history
from bwauto.lab.runner import Lab
from bwauto.lab.snmp.faults import traffic_of
from bwauto.playbooks import load_playbook, load_tasks, plan, run
from bwauto.store.importer import import_history
from bwauto.store.samples import SampleStore, store_path
from tests.case.case_inputs import walk_to_analysis

M = 1_000_000
STEPS_6_TO_8 = """
name: langkah 6-8
vars: {request: ~, link: ~, rate: ~}
steps:
  - {name: analisa, task: analyse, with: {link: "{{ link }}", request: "{{ request }}"}}
  - {name: keputusan, id: decide, task: decide, with: {request: "{{ request }}"}}
  - name: kenaikan
    when: steps.decide.data.decision == 'CAN'
    task: raise
    with: {link: "{{ link }}", to: "{{ rate }}", request: "{{ request }}"}
  - name: monitoring
    task: monitor_register
    with: {link: "{{ link }}", request: "{{ request }}"}
"""


def _raised_case(lab: Lab, tmp_path: Path, link: str, opd: str, rate: str) -> str:
    """A request for ``link`` walked to a completed step 8 (7 days of history imported)."""
    state = lab.dir.parent
    reg = Register.for_office(state, lab.inventory_dir)  # signed, as the lab's tasks sign
    case_id = reg.new(opd=opd, letter_no=f"{link}/2026", letter_date=dt.date.today(),
                      link_id=link, rate_bps=int(rate[:-1]) * M, purpose="layanan")  # fmt: skip
    walk_to_analysis(reg, case_id)
    book = tmp_path / f"{link}.yaml"
    book.write_text(STEPS_6_TO_8)
    validated = plan(load_playbook(book), load_tasks(),
                     {"request": case_id, "link": link, "rate": rate})  # fmt: skip
    report = run(validated, dry_run=False, inventory_dir=lab.inventory_dir, state_dir=state)
    assert report.exit_code == 0, report.to_dict()
    assert reg.state(case_id).change_ok
    reg.ba(case_id, {"team_name": "Budi Santoso", "opd_name": "Rudi Hartono"})
    return case_id


def _outcome(lab: Lab, case_id: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    """Poll the case's link for ~14 s, then ``request outcome`` over the time since the change."""
    base = ["--inventory", str(lab.inventory_dir), "--state-dir", str(lab.dir.parent)]
    reg = Register.for_office(lab.dir.parent, lab.inventory_dir)
    change = reg.state(case_id).latest["change"].data
    assert main([*base, "poll", "--link", change["link"], "--count", "8", "--interval", "2"]) == 0
    ended = dt.datetime.fromisoformat(change["ended"] or change["started"]).timestamp()
    after = f"{int(time.time() - ended) + 1}s"
    capsys.readouterr()
    assert main([*base, "request", "outcome", case_id, "--after", after, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


def _report(lab: Lab, case_id: str) -> str:
    """The step-10 report of the case, as text."""
    case = Register.for_office(lab.dir.parent, lab.inventory_dir).get(case_id)
    return to_text(render_document("report", case))


def test_a_link_held_back_by_its_old_cap_rises_to_the_new_one(
    fresh_lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    end = time.time()
    history = write_history(fresh_lab.routers.values(), tmp_path / "h.csv", 7, end)
    with SampleStore(store_path(fresh_lab.dir.parent), create=True) as store:
        import_history(store, history, set(load_inventory(fresh_lab.inventory_dir).links))
    router = fresh_lab.router("edge-bc-01")
    traffic_of(router).set_demand("dinkes", 400 * M, 400 * M)  # far above both caps
    traffic_of(router).set_demand("bpkad", 10 * M, 20 * M)  # below its old caps (30M/50M)
    held = _raised_case(fresh_lab, tmp_path, "dinkes", "Dinas Kesehatan", "150M")
    unmeasured = _report(fresh_lab, held)  # documents carry words, not commands (issue 11)
    assert "Hasil sesudah perubahan belum diukur." in unmeasured
    assert "jalankan" not in unmeasured and "request outcome" not in unmeasured
    data = _outcome(fresh_lab, held, capsys)
    assert data["enough_after"] is True, data
    up, down = data["directions"]
    assert (down["old_cap_bps"], down["new_cap_bps"]) == (100 * M, 150 * M)
    assert down["after"]["p95_bps"] == pytest.approx(150 * M, rel=0.03)
    assert down["new_rate_used"] is True and down["at_cap_after"] > 0.9
    assert up["new_cap_bps"] == up["old_cap_bps"] == 50 * M and up["new_rate_used"] is None
    folder = fresh_lab.dir.parent / "cases" / held
    assert json.loads((folder / "outcome.json").read_text())["link_id"] == "dinkes"
    for lang in ("id", "en"):  # the chart in each report language
        assert (folder / f"outcome-{lang}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    reg = Register.for_office(fresh_lab.dir.parent, fresh_lab.inventory_dir)
    recorded = reg.state(held).latest["outcome"]
    assert recorded.data["summary"]["directions"][1]["new_rate_used"] is True
    names = [Path(f["path"]).name for f in recorded.files()]
    assert names == ["outcome.json", "outcome-id.png", "outcome-en.png"]
    report = _report(fresh_lab, held)  # the step-10 report embeds the table and the chart
    assert "Hasil Kenaikan (sesudah dibanding sebelum)" in report
    assert "100 Mbps → 150 Mbps" in report and "Bandwidth baru terpakai" in report
    assert "Pemakaian link sebelum dan sesudah perubahan" in report

    idle = _raised_case(fresh_lab, tmp_path, "bpkad", "BPKAD", "100M")
    data = _outcome(fresh_lab, idle, capsys)
    down = data["directions"][1]
    assert down["after"]["p95_bps"] == pytest.approx(20 * M, rel=0.03)
    assert down["new_rate_used"] is False and down["at_cap_after"] == 0.0


def test_outcome_before_the_change_names_the_missing_step(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = Register.for_office(tmp_path, lab.inventory_dir)
    case_id = reg.new(opd="Dinas Kesehatan", letter_no="1/2026", letter_date=dt.date.today(),
                      link_id="dinkes", rate_bps=150 * M, purpose="SIMRS")  # fmt: skip
    base = ["--inventory", str(lab.inventory_dir), "--state-dir", str(tmp_path)]
    assert main([*base, "request", "outcome", case_id]) == 2
    err = capsys.readouterr().err
    assert "langkah 6" in err and f"bwauto analyse --request {case_id}" in err
    assert main([*base, "request", "outcome", case_id, "--after", "0h"]) == 2
    assert "--after '0h'" in capsys.readouterr().err


def test_too_little_data_after_says_when() -> None:
    import numpy as np

    ts = np.array([0.0, 300.0, 600.0])
    octets = np.array([0, 3_750_000, 7_500_000], dtype=np.uint64)
    iv = compute_intervals(ts, np.full(3, np.nan), octets, octets, np.full(3, 64, np.uint8),
                           speed_bps=10**9, poll_interval_s=300)  # fmt: skip
    d = compare_direction("down", iv, iv, 100_000, 200_000, after_window_s=86_400.0)
    assert not d.enough_after and d.after.coverage_pct < 1
