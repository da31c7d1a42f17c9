"""The shipped playbooks and the step-6/8 tasks against the lab (real SSH CLIs and SNMP agents):
one request through all 14 steps, a refused one, a dry-run, a drift audit, a rollback, the
review of every link."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from bwauto.case.chain import export, verify
from bwauto.case.errors import StepOrderError
from bwauto.case.register import Register
from bwauto.case.workflow import CaseState
from bwauto.errors import UsageError
from bwauto.inventory.loader import load_inventory
from bwauto.lab.history import write_history
from bwauto.lab.runner import Lab
from bwauto.lab.testing import device_config, lab_secrets
from bwauto.monitoring.runner import load_records
from bwauto.playbooks import PlayReport, load_playbook, load_tasks, plan, run
from bwauto.store.importer import import_history
from bwauto.store.samples import SampleStore, store_path

PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
M = 1_000_000
KB_VARS = {"link": "dinkes", "team_name": "Budi Santoso", "opd_name": "Rudi Hartono"}


@dataclass
class Case:
    """A lab, a state dir with 7 days of history, and a request recorded up to step 5."""

    lab: Lab
    state: Path
    reg: Register
    case_id: str

    def play(self, name: str, dry_run: bool = False, **overrides: str) -> PlayReport:
        validated = plan(load_playbook(PLAYBOOKS / name), load_tasks(), overrides, dry_run)
        return run(validated, dry_run=dry_run, inventory_dir=self.lab.inventory_dir,
                   state_dir=self.state)  # fmt: skip

    def kenaikan(self, rate: str, dry_run: bool = False) -> PlayReport:
        return self.play("kenaikan-bandwidth.yaml", dry_run, request=self.case_id, rate=rate,
                         **KB_VARS)  # fmt: skip

    @property
    def case_state(self) -> CaseState:
        return self.reg.state(self.case_id)


def history(lab: Lab, state: Path) -> None:
    end = dt.datetime.now().timestamp()
    path = write_history(lab.routers.values(), state / "history.csv", 7, end)
    links = set(load_inventory(lab.inventory_dir).links)
    with SampleStore(store_path(state), create=True) as store:
        assert import_history(store, path, links) == (7 * 288 + 1) * len(links)


def open_case(lab: Lab, state: Path, rate_bps: int) -> Case:
    """History imported, a request for dinkes at ``rate_bps``, steps 2–5 by the playbook."""
    history(lab, state)
    reg = Register.for_office(state, lab.inventory_dir)
    case_id = reg.new(opd="Dinas Kesehatan", letter_no="045/DINKES/2026",
                      letter_date=dt.date.today(), link_id="dinkes", rate_bps=rate_bps,
                      purpose="SIMRS")  # fmt: skip
    case = Case(lab, state, reg, case_id)
    report = case.play("permohonan-disposisi.yaml", request=case_id, staf="Budi Santoso",
                       contact_name="Rudi Hartono", purpose="SIMRS")  # fmt: skip
    assert report.exit_code == 0, report.to_dict()
    assert set(case.case_state.done) == {1, 2, 3, 4, 5}
    return case


@pytest.fixture
def fresh_case(fresh_lab: Lab) -> Case:
    """A request on a lab of its own (its routers will be changed)."""
    return open_case(fresh_lab, fresh_lab.dir.parent, 150 * M)


@pytest.fixture
def shared_state(lab: Lab, tmp_path: Path) -> Iterator[Path]:
    """A state dir of the test's own beside the session lab, whose configs must not change."""
    configs = {name: device_config(lab, name) for name in lab.routers}
    yield tmp_path / "state"
    assert {name: device_config(lab, name) for name in lab.routers} == configs


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def statuses(report: PlayReport) -> list[str]:
    return [o.result.status for o in report.outcomes]


def step_data(report: PlayReport, task: str) -> dict[str, Any]:
    return next(o.result.data for o in report.outcomes if o.task == task)


def test_one_request_walks_all_14_steps(fresh_case: Case) -> None:
    case, lab = fresh_case, fresh_case.lab
    report = case.kenaikan("150M")
    assert report.exit_code == 0, report.to_dict()
    no_outcome = ["skipped"]  # outcome_after not given: neither its poll nor the outcome
    assert (
        statuses(report)
        == ["changed", "changed", "skipped", "changed"]
        + no_outcome
        + ["ok"]
        + ["changed"] * 2
        + no_outcome
        + ["changed"] * 2
    )
    review = case.play("permohonan-tinjauan.yaml", request=case.case_id, kasi="Siti")
    assert statuses(review) == ["changed"] * 4

    state = case.case_state
    assert state.closed and set(state.done) == set(range(1, 15)) - {7} and state.decision
    assert verify(case.reg.get(case.case_id)).ok
    reviews = [r for r in case.reg.get(case.case_id).records() if r.kind == "review"]
    assert [(r.step, r.data["approve"]) for r in reviews] == [(11, True), (12, True), (13, True)]
    assert reviews[0].by == "Siti"

    change = step_data(report, "raise")  # the router really is at the new rate
    assert change["outcome"] == "changed"
    assert "max-limit=50M/150M name=q-dinkes" in device_config(lab, "edge-bc-01")
    assert load_inventory(lab.inventory_dir).links["dinkes"].committed.down == 150 * M
    evidence = json.loads(Path(change["evidence"]).read_text())
    assert evidence["outcome"] == "changed" and evidence["request"] == case.case_id
    assert evidence["rate_before"] == {"up": 50 * M, "down": 100 * M}
    assert evidence["rate_after"] == {"up": 50 * M, "down": 150 * M}
    assert lab_secrets(lab)["password"] not in Path(change["evidence"]).read_text()

    registered = load_records(case.state)["dinkes"]["prometheus"]  # monitoring
    assert registered["ok"] and registered["capacity"] == {"up": 50 * M, "down": 150 * M}
    assert state.latest["change"].data["monitoring"]["ok"]
    rules = (case.state / "monitoring/prometheus/rules/bwauto-links.yml").read_text()
    assert "150000000" in rules

    analysis = state.latest["analysis"]  # step 6: the row and its CSV, XLSX and chart
    assert analysis.data["summary"]["decision"] == "CAN"
    assert analysis.data["summary"]["requested_mbps"] == 150.0
    files = {Path(f["path"]).suffix: Path(f["path"]) for f in analysis.files()}
    assert set(files) == {".csv", ".xlsx", ".png"}
    assert "dinkes,Dinas Kesehatan,edge-bc-01" in files[".csv"].read_text()
    assert load_workbook(files[".xlsx"]).active is not None
    assert files[".png"].read_bytes().startswith(b"\x89PNG")

    docs = {k: Path(r.data["file"]["path"]) for k, r in state.documents.items()}
    assert set(docs) == {"form", "ba", "report"}
    form, ba, rep = (docx_text(docs[k]) for k in ("form", "ba", "report"))
    assert "Dinas Kesehatan" in form and "150 Mbps" in form and "Rudi Hartono" in form
    for text in (ba, rep):
        assert "dinkes" in text and "edge-bc-01" in text and change["change_id"] in text
        assert "100 Mbps" in text and "150 Mbps" in text and "50 Mbps" in text
    assert "max-limit=50M/150M" in rep and "prometheus" in rep
    # PIHAK PERTAMA is who did the raise: the playbook gives no `by`, so the engineer the Kasi
    # assigned at step 4 (before office.yaml's operator), with his NIP from office.yaml's team
    assert "Budi Santoso" in ba and "Rudi Hartono" in ba and "Andi Pratama" not in ba
    assert "19880605 201402 1 001" in ba

    zipped = export(case.reg.get(case.case_id), case.state / "case.zip")
    names = zipfile.ZipFile(zipped).namelist()
    assert sum(n.endswith(".docx") for n in names) == 3
    assert any(n.endswith("dinkes.json") for n in names) and any(n.endswith(".png") for n in names)


def test_a_refused_request_ends_at_step_7_with_its_reply_letter(
    lab: Lab, shared_state: Path
) -> None:
    case = open_case(lab, shared_state, 900 * M)  # more than the upstream has free
    report = case.kenaikan("900M")
    assert report.exit_code == 0, report.to_dict()
    assert statuses(report) == ["changed", "changed", "changed"] + ["skipped"] * 8
    assert step_data(report, "decide")["decision"] == "CANNOT"
    state = case.case_state
    assert state.refused and 7 in state.done and 8 not in state.done
    reply = docx_text(Path(state.documents["reply"].data["file"]["path"]))
    assert "900 Mbps" in reply and "dinkes" in reply and "Dinas Kesehatan" in reply
    free = state.latest["analysis"].data["summary"]["upstream_free_mbps"]
    assert f"{free:.1f}".replace(".", ",") in reply  # the figure the refusal rests on
    assert not (shared_state / "evidence").exists()  # no router was touched
    case.reg.close(case.case_id, note="surat balasan dikirim")
    assert case.case_state.closed and verify(case.reg.get(case.case_id)).ok


def test_a_dry_run_changes_no_router_and_records_no_step(lab: Lab, shared_state: Path) -> None:
    case = open_case(lab, shared_state, 150 * M)
    records = case.reg.get(case.case_id).record_count
    links_yaml = (lab.inventory_dir / "links.yaml").read_bytes()
    report = case.kenaikan("150M", dry_run=True)
    assert report.exit_code == 0, report.to_dict()
    assert statuses(report) == ["would_change", "would_change", "skipped", "would_change",
                                "skipped", "would_change"] + ["skipped"] * 5  # fmt: skip
    assert step_data(report, "decide")["decision"] == "CAN"
    raised = step_data(report, "raise")
    assert raised["outcome"] == "dry-run" and "+add comment" in raised["diff"]
    assert "max-limit=50M/150M" in raised["diff"]
    assert case.reg.get(case.case_id).record_count == records
    assert set(case.case_state.done) == {1, 2, 3, 4, 5}
    assert (lab.inventory_dir / "links.yaml").read_bytes() == links_yaml
    assert not (shared_state / "monitoring").exists()
    assert not (shared_state / "cases" / case.case_id / "analisa").exists()


def test_audit_drift_finds_a_rate_changed_behind_bwautos_back(fresh_lab: Lab) -> None:
    from netmiko import ConnectHandler

    state = fresh_lab.dir.parent
    validated = plan(load_playbook(PLAYBOOKS / "audit-drift.yaml"), load_tasks())
    clean = run(validated, dry_run=False, inventory_dir=fresh_lab.inventory_dir, state_dir=state)
    assert statuses(clean) == ["ok"] and len(clean.outcomes[0].result.data["in_sync"]) == 10

    creds = lab_secrets(fresh_lab)
    for router, platform, commands in [
        ("edge-bc-01", "mikrotik_routeros", ['/queue simple set [find name="q-dinkes"] '
                                             "max-limit=50M/120M"]),
        ("edge-bc-02", "cisco_ios", ["policy-map PM-DISHUB-OUT", " class class-default",
                                     "  shape average 70000000"]),
    ]:  # fmt: skip
        port = fresh_lab.router(router).ssh_port
        conn = ConnectHandler(device_type=platform, host="127.0.0.1", port=port,
                              username=creds["username"], password=creds["password"],
                              secret=creds["enable_secret"])  # fmt: skip
        if platform == "cisco_ios":
            conn.enable()
        conn.send_config_set(commands)
        conn.disconnect()

    before = {name: device_config(fresh_lab, name) for name in fresh_lab.routers}
    found = run(validated, dry_run=False, inventory_dir=fresh_lab.inventory_dir, state_dir=state)
    result = found.outcomes[0].result
    assert result.status == "failed" and found.exit_code == 1
    drifted = {d["link"]: d for d in result.data["drifted"]}
    assert drifted == {
        "dinkes": {"link": "dinkes", "router": "edge-bc-01",
                   "committed": "upload 50M, download 100M",
                   "on_router": "upload 50M, download 120M"},
        "dishub": {"link": "dishub", "router": "edge-bc-02",
                   "committed": "upload not shaped on this router, download 50M",
                   "on_router": "upload not shaped on this router, download 70M"},
    }  # fmt: skip
    assert len(result.data["in_sync"]) == 8 and not result.data["unread"]
    assert "dinkes" in result.message and "dishub" in result.message
    assert {name: device_config(fresh_lab, name) for name in fresh_lab.routers} == before
    assert not (state / "evidence").exists()  # a read, not a change attempt


def test_a_raise_then_the_rollback_playbook_restores_rate_inventory_and_monitoring(
    fresh_lab: Lab,
) -> None:
    from bwauto.change.tasks import RaiseParams, raise_task
    from bwauto.playbooks import TaskContext

    state = fresh_lab.dir.parent
    history(fresh_lab, state)
    before = device_config(fresh_lab, "edge-bc-02")
    ctx = TaskContext(dry_run=False, inventory_dir=fresh_lab.inventory_dir, state_dir=state)
    raised = raise_task(RaiseParams(link="rsud", to="300M"), ctx)
    assert raised.status == "changed", raised.message
    assert "shape average 300000000" in device_config(fresh_lab, "edge-bc-02")

    report = run(
        plan(load_playbook(PLAYBOOKS / "rollback.yaml"), load_tasks(),
             {"change": raised.data["change_id"], "link": "rsud"}),
        dry_run=False, inventory_dir=fresh_lab.inventory_dir, state_dir=state,
    )  # fmt: skip
    assert statuses(report) == ["changed", "ok"], report.to_dict()
    assert device_config(fresh_lab, "edge-bc-02") == before
    assert load_inventory(fresh_lab.inventory_dir).links["rsud"].committed.down == 200 * M
    assert load_records(state)["rsud"]["prometheus"]["capacity"]["down"] == 200 * M


def test_review_all_links_writes_the_report_for_kasi(
    lab: Lab, shared_state: Path, tmp_path: Path
) -> None:
    history(lab, shared_state)
    out = tmp_path / "laporan"
    validated = plan(load_playbook(PLAYBOOKS / "review-all-links.yaml"), load_tasks(),
                     {"out_dir": str(out), "since": "7d"})  # fmt: skip
    dry = run(validated, dry_run=True, inventory_dir=lab.inventory_dir, state_dir=shared_state)
    assert statuses(dry) == ["would_change", "would_change"] and not out.exists()
    report = run(validated, dry_run=False, inventory_dir=lab.inventory_dir,
                 state_dir=shared_state)  # fmt: skip
    assert statuses(report) == ["ok", "changed"]
    rows = report.outcomes[0].result.data["rows"]
    assert len(rows) == 10 and all(r["coverage_pct"] > 99 for r in rows)
    csv_lines = (out / "semua-link.csv").read_text().splitlines()
    assert len(csv_lines) == 11 and csv_lines[0].startswith("link_id,opd,router")
    assert load_workbook(out / "semua-link.xlsx").active.max_row >= 11
    assert len(list((out / "grafik").glob("*.png"))) == 10 + 10 + 2  # links, forecasts
    forecast = report.outcomes[1].result.data["rows"]
    assert len(forecast) == (10 + 2) * 2 and {r["status"] for r in forecast} == {"refused"}
    sheet = load_workbook(out / "semua-link.xlsx")["Prakiraan"]
    assert sheet.max_row == 4 + 24 and "perlu sedikitnya 14" in str(sheet["H5"].value)


def test_skipping_steps_is_refused_before_any_router_is_touched(
    lab: Lab, shared_state: Path
) -> None:
    from bwauto.change.tasks import RaiseParams, raise_task
    from bwauto.playbooks import TaskContext

    history(lab, shared_state)
    reg = Register.for_office(shared_state, lab.inventory_dir)
    case_id = reg.new(opd="Dinas Kesehatan", letter_no="046/DINKES/2026",
                      letter_date=dt.date.today(), link_id="dinkes", rate_bps=150 * M,
                      purpose="SIMRS")  # fmt: skip
    case = Case(lab, shared_state, reg, case_id)
    report = case.kenaikan("150M")  # steps 2–5 were never recorded
    assert statuses(report) == ["failed"] and report.not_run == 10
    assert report.outcomes[0].result.message.startswith(
        "langkah 5 (Dokumen Isian Kelengkapan) belum dicatat"
    )

    ctx = TaskContext(dry_run=False, inventory_dir=lab.inventory_dir, state_dir=shared_state)
    with pytest.raises(StepOrderError, match="langkah 6"):
        raise_task(RaiseParams(link="dinkes", to="150M", request=case_id), ctx)
    with pytest.raises(UsageError, match="is for link 'dinkes', not 'rsud'"):
        raise_task(RaiseParams(link="rsud", to="300M", request=case_id), ctx)
    assert reg.get(case_id).record_count == 1
    assert not (shared_state / "evidence").exists()


def test_a_raise_failed_by_a_lab_fault_resumes_when_run_again(fresh_case: Case) -> None:
    """Seen 12: a second run failed at its first step; a failed raise said only "rolled-back:
    see the evidence"; skipped steps showed "when: ... is false"."""
    case, lab = fresh_case, fresh_case.lab
    lab.fault("edge-bc-01", "drop-mid-config", arg="1")
    failed = case.kenaikan("150M")
    lab.fault("edge-bc-01", "drop-mid-config", on=False)
    assert failed.exit_code == 1 and failed.stopped_at == 4
    raise_step = failed.outcomes[-1].result
    assert raise_step.status == "failed" and "dikembalikan" in raise_step.message
    assert "selama perubahan: edge-bc-01: " in raise_step.message  # the reason, said
    assert "periksa" in raise_step.message  # and what to check
    assert "ReadTimeout" not in raise_step.message  # the raw text stays in the evidence
    evidence = raise_step.message.split("bukti: ")[-1]
    assert Path(evidence).is_file() and json.loads(Path(evidence).read_text())["link"] == "dinkes"
    skipped = failed.outcomes[2].result
    assert skipped.status == "skipped" and skipped.message == "keputusan DAPAT"
    assert 8 not in case.case_state.done

    again = case.kenaikan("150M")  # the same command, the fault cleared
    assert again.exit_code == 0, again.to_dict()
    assert statuses(again)[:2] == ["ok", "ok"]
    assert all(o.result.message.startswith("(already recorded)") for o in again.outcomes[:2])
    assert statuses(again)[3] == "changed"  # resumed at the raise
    assert {8, 9, 10} <= set(case.case_state.done)
    assert "max-limit=50M/150M name=q-dinkes" in device_config(lab, "edge-bc-01")

    third = case.kenaikan("150M")
    assert third.exit_code == 0 and "changed" not in statuses(third)
