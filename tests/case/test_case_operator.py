"""The report's "Pelaksana" is the operator named in the change evidence; a fallback to the OS
user says so, in the document's language (issue 10: Build 11)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from case_inputs import MONITORING, analysis_row, change_evidence, new_request, walk_to_analysis

from bwauto.case.documents import render_document, to_text
from bwauto.case.register import Register


def report_text(reg: Register, tmp_path: Path, png: Callable[[str], Path], operator: str,
                source: str, lang: str) -> str:  # fmt: skip
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row("CAN"))
    reg.decide(case_id, can=True)
    evidence = tmp_path / "CH-20260304-021500-3f9a.json"
    evidence.write_text("{}", encoding="utf-8")
    record = change_evidence() | {"operator": operator, "operator_source": source}
    reg.attach_change(case_id, record, evidence)
    reg.attach_monitoring(case_id, MONITORING)
    reg.ba(case_id, {"team_name": "Budi Santoso", "opd_name": "Rudi Hartono"})
    reg.report(case_id, {"summary": "Kenaikan berjalan baik.", "chart": str(png("c.png"))})
    return to_text(render_document("report", reg.get(case_id), lang=lang))


@pytest.mark.parametrize(
    ("operator", "source", "lang", "shown"),
    [
        ("Budi Santoso", "--by", "id", "Pelaksana *: Budi Santoso\n"),
        ("root (OS user)", "os-user", "id", r"Pelaksana *: root \(pengguna OS\)\n"),
        ("root (OS user)", "os-user", "en", r"Carried out by *: root \(OS user\)\n"),
    ],
)
def test_the_report_names_the_operator(
    reg: Register, tmp_path: Path, png: Callable[[str], Path], operator: str, source: str,
    lang: str, shown: str,
) -> None:  # fmt: skip
    text = report_text(reg, tmp_path, png, operator, source, lang)
    assert re.search(shown, text), text


def test_inventory_check_warns_of_an_operator_not_in_the_team(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 11 (outside look, 2): an engineer not in office.yaml's team would leave PIHAK
    PERTAMA without NIP or position: ``inventory check`` says so (exit 0)."""
    import shutil

    from bwauto.cli.app import main

    inv = tmp_path / "inventory"
    shutil.copytree(Path(__file__).resolve().parents[2] / "inventory", inv)
    monkeypatch.setenv("BWAUTO_LANG", "en")
    monkeypatch.setenv("BWAUTO_OPERATOR", "Joko Susilo")
    assert main(["--inventory", str(inv), "inventory", "check"]) == 0
    err = capsys.readouterr().err
    assert "Joko Susilo is not in the team of office.yaml" in err and "Andi" not in err
    monkeypatch.setenv("BWAUTO_OPERATOR", "Budi Santoso")  # in the sample team
    assert main(["--inventory", str(inv), "inventory", "check"]) == 0
    assert "not in the team" not in capsys.readouterr().err
