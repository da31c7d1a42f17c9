"""The seams: what the analysis, the change and monitoring write is what the register takes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from case_inputs import new_request, walk_to_analysis

from bwauto.analysis.report import ReportRow, render_csv
from bwauto.case.chain import verify
from bwauto.case.register import Register
from bwauto.change.evidence import Check, EvidenceRecord, write_evidence
from bwauto.monitoring.base import Check as MonitoringCheck
from bwauto.monitoring.base import Registration, Verification

ROW = ReportRow(
    link_id="dinkes",
    opd="Dinas Kesehatan",
    router="edge-bc-01",
    interface="vlan110-dinkes",
    upstream="telkom-astinet",
    committed_mbps=100.0,
    window_start="2026-02-23T00:00:00+07:00",
    window_end="2026-03-02T00:00:00+07:00",
    samples=2016,
    invalid_intervals=0,
    coverage_pct=100.0,
    in_mean_mbps=12.3,
    in_p95_mbps=20.5,
    in_max_mbps=30.0,
    out_mean_mbps=71.2,
    out_p95_mbps=93.4,
    out_max_mbps=99.6,
    p95_utilisation_pct=93.4,
    upstream_capacity_mbps=1000.0,
    upstream_free_mbps=420.5,
    requested_mbps=200.0,
    decision="CAN",
    recommended_mbps=150.0,
    reason="",
)


def test_a_report_row_and_its_csv_are_taken(reg: Register, tmp_path: Path) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    csv_file = tmp_path / "report.csv"
    csv_file.write_text(render_csv([ROW], "excel-id"), encoding="utf-8")
    rec = reg.attach_analysis(case_id, dataclasses.asdict(ROW), [csv_file])
    assert rec.data["summary"]["out_p95_mbps"] == 93.4 and rec.data["summary"]["decision"] == "CAN"
    assert rec.data["files"][0]["role"] == "analysis"


def test_a_change_evidence_file_and_a_registration_are_taken(reg: Register, tmp_path: Path) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, dataclasses.asdict(ROW))
    reg.decide(case_id, can=True)
    record = EvidenceRecord(
        change_id="CH-20260304-021500-3f9a",
        link="dinkes",
        router="edge-bc-01",
        platform="cisco_ios",
        dry_run=False,
        request=case_id,
        operator="budi",
        rate_before={"up": 50_000_000, "down": 100_000_000},
        rate_after={"up": 200_000_000, "down": 200_000_000},
        running_config_before="username admin secret 5 $1$abc",
        diff="-shape average 100000000\n+shape average 200000000\n",
        checks=[Check("rate read back", True, "200000000")],
        outcome="changed",
    )
    path = write_evidence(tmp_path / "state", record)
    evidence = json.loads(path.read_text(encoding="utf-8"))
    verification = Verification(
        "prometheus", "dinkes", (MonitoringCheck("target up", True, "up=1"),)
    )
    registration = Registration("prometheus", "dinkes", True, ("targets",), verification)
    rec = reg.attach_change(case_id, evidence, path, monitoring=registration.to_dict())
    assert "running_config_before" not in rec.data  # the file holds it, by hash
    assert rec.data["monitoring"]["verified"] is True
    assert rec.data["files"][0]["role"] == "change-evidence"
    assert reg.state(case_id).next_steps() == (9,)
    assert verify(reg.get(case_id)).ok
