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
