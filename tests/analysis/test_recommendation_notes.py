"""The recommendation rule is stated where the Kasi reads the figures (issue 11, outside look 4):
the XLSX "Keterangan" sheet, in the chosen language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook
from test_office_outputs import ROW

from bwauto.analysis.xlsx import write_xlsx
from bwauto.case.documents.context import MEASURES
from bwauto.i18n import gettext

WHEN = dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC)


def _notes(path: Path) -> str:
    ws = load_workbook(path)["Keterangan"]
    return " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


def test_the_keterangan_sheet_states_the_recommendation_rule(tmp_path: Path) -> None:
    notes = _notes(write_xlsx([ROW], tmp_path / "id.xlsx", lang="id", generated=WHEN))
    assert "Aturan rekomendasi, per arah: tidak ada bila data belum cukup" in notes
    assert "sekurang-kurangnya sebesar yang dimohonkan" in notes
    assert "70 %" in notes and "Jenjang unduh terkecil" not in notes


def test_the_outcome_measures_are_translated() -> None:
    for _key, label in MEASURES:
        assert gettext(label, "id") != label, label
