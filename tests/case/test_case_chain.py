"""Evidence integrity: verify names an edited, deleted or reordered record; export has it all."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from case_inputs import MONITORING, analysis_row, change_evidence, new_request, walk_to_analysis

from bwauto.case.chain import export, verify
from bwauto.case.documents import write_document
from bwauto.case.errors import IntegrityError
from bwauto.case.records import canonical_json
from bwauto.case.register import Register


@pytest.fixture
def case_id(reg: Register, png: Callable[[str], Path], tmp_path: Path) -> str:
    """A case at step 9: 11 records (1 new, 3 dispose, 1 form, analysis, decision, change,
    monitoring, ba, document)."""
    cid = new_request(reg)
    walk_to_analysis(reg, cid)
    csv_file = tmp_path / "analysis.csv"
    csv_file.write_text("link_id,decision\ndinkes,CAN\n", encoding="utf-8")
    reg.attach_analysis(cid, analysis_row(), [csv_file, png("dinkes-7d.png")])
    reg.decide(cid, can=True)
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(change_evidence()), encoding="utf-8")
    reg.attach_change(cid, change_evidence(), evidence)
    reg.attach_monitoring(cid, MONITORING)
    reg.ba(cid, {"team_name": "Budi Santoso", "opd_name": "Rudi Hartono"})
    write_document(reg, cid, "ba", tmp_path / "docs")
    return cid


def _sql(reg: Register, sql: str, *args: object) -> None:
    with sqlite3.connect(reg.path) as conn:
        conn.execute(sql, args)


def _problems(reg: Register, case_id: str) -> list[str]:
    return [str(p) for p in verify(reg.get(case_id)).problems]


def test_intact_case_verifies(reg: Register, case_id: str) -> None:
    report = verify(reg.get(case_id))
    assert report.ok and report.records == 11
    assert report.to_dict()["ok"] is True


def test_edited_record_is_named(reg: Register, case_id: str) -> None:
    _sql(reg, "UPDATE records SET body = replace(body, 'Budi Santoso', 'Joko') WHERE seq = 10")
    assert _problems(reg, case_id) == [
        "record 10 (step 9 (work report (Berita Acara)), ba): edited: its content no longer "
        "matches the hash stored with it"
    ]


def test_edit_with_a_recomputed_hash_is_caught_by_the_next_record(
    reg: Register, case_id: str
) -> None:
    with sqlite3.connect(reg.path) as conn:
        (body,) = conn.execute("SELECT body FROM records WHERE seq = 6").fetchone()
        doc = json.loads(body)
        doc["data"]["summary"]["out_p95_mbps"] = 40.0  # make the link look less used
        digest = hashlib.sha256(canonical_json(doc)).hexdigest()
        conn.execute(
            "UPDATE records SET body = ?, hash = ? WHERE seq = 6",
            (canonical_json(doc).decode(), digest),
        )
    problems = verify(reg.get(case_id)).problems
    assert [(p.record, p.step, p.kind, p.problem) for p in problems] == [
        (6, 6, "analysis", "edited"),
        (6, None, None, "rewritten"),  # the journal beside the register has the old hash
    ]
    assert "record 7 holds a different hash for it" in problems[0].message


def test_deleted_record_is_named_by_its_successor(reg: Register, case_id: str) -> None:
    _sql(reg, "DELETE FROM records WHERE seq = 5")
    problems = verify(reg.get(case_id)).problems
    assert [(p.record, p.step, p.kind, p.problem) for p in problems] == [(5, 5, "form", "missing")]
    assert str(problems[0]).startswith("record 5 (step 5 (completeness form), form): missing")


def test_deleted_last_record_is_caught_by_the_head(reg: Register, case_id: str) -> None:
    _sql(reg, "DELETE FROM records WHERE seq = 11")
    assert _problems(reg, case_id) == [
        "record 11: missing: the register counted 11 records; record 11 is gone",
        "record 11: truncated: the journal holds record 11, which the register no longer has",
    ]


def test_reordered_records_are_named(reg: Register, case_id: str) -> None:
    _sql(reg, "UPDATE records SET seq = -1 WHERE seq = 3")
    _sql(reg, "UPDATE records SET seq = 3 WHERE seq = 4")
    _sql(reg, "UPDATE records SET seq = 4 WHERE seq = -1")
    problems = verify(reg.get(case_id)).problems
    assert [(p.record, p.problem, p.message) for p in problems] == [
        (3, "reordered", "position 3 holds record 4"),
        (4, "reordered", "position 4 holds record 3"),
    ]


def test_changed_and_missing_files_are_named(reg: Register, case_id: str, tmp_path: Path) -> None:
    (tmp_path / "analysis.csv").write_text("link_id,decision\ndinkes,CANNOT\n", encoding="utf-8")
    (tmp_path / "evidence.json").unlink()
    assert _problems(reg, case_id) == [
        f"record 6 (step 6 (usage and availability analysis), analysis): file-changed: "
        f"{tmp_path / 'analysis.csv'} changed since it was attached",
        f"record 8 (step 8 (bandwidth raised and monitored), change): file-missing: "
        f"{tmp_path / 'evidence.json'} is no longer there",
    ]


def test_nothing_is_recorded_on_a_tampered_case(reg: Register, case_id: str) -> None:
    _sql(reg, "DELETE FROM records WHERE seq = 2")
    with pytest.raises(IntegrityError, match=r"KB-2026-0001 fails verification .*record 2"):
        reg.report(case_id, {"summary": "x"})
    assert reg.get(case_id).record_count == 11


def test_export_zip_holds_everything(reg: Register, case_id: str, tmp_path: Path) -> None:
    path = export(reg.get(case_id), tmp_path / "out" / "case.zip")
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
        records = json.loads(zf.read("KB-2026-0001/records.json"))
        manifest = json.loads(zf.read("KB-2026-0001/manifest.json"))
        verified = json.loads(zf.read("KB-2026-0001/verify.json"))
        assert (
            zf.read("KB-2026-0001/files/01-analysis-analysis.csv")
            == (tmp_path / "analysis.csv").read_bytes()
        )
    assert names == [
        "KB-2026-0001/anchors.json",
        "KB-2026-0001/files/01-analysis-analysis.csv",
        "KB-2026-0001/files/02-analysis-dinkes-7d.png",
        "KB-2026-0001/files/03-change-evidence-evidence.json",
        "KB-2026-0001/files/04-document-ba-KB-2026-0001-berita-acara-pekerjaan.docx",
        "KB-2026-0001/manifest.json",
        "KB-2026-0001/records.json",
        "KB-2026-0001/verify.json",
    ]
    assert [r["body"]["kind"] for r in records][:5] == [
        "new",
        "dispose",
        "dispose",
        "dispose",
        "form",
    ]
    assert len(records) == 11 and verified["ok"] is True and manifest["verified"] is True
    assert all(f["sha256_recorded"] == f["sha256_now"] for f in manifest["files"])
    assert manifest["rate_bps"] == 200_000_000 and manifest["link_id"] == "dinkes"


def test_export_of_a_case_with_a_lost_file_says_so(
    reg: Register, case_id: str, tmp_path: Path
) -> None:
    (tmp_path / "evidence.json").unlink()
    path = export(reg.get(case_id), tmp_path / "case.zip")
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("KB-2026-0001/manifest.json"))
        assert "KB-2026-0001/files/03-change-evidence-evidence.json" not in zf.namelist()
    lost = [f for f in manifest["files"] if not f["present"]]
    assert [f["role"] for f in lost] == ["change-evidence"] and manifest["verified"] is False
