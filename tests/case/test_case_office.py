"""office.yaml: the sample is valid, defaults without it, and every mistake names file:line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bwauto.case.errors import OfficeError
from bwauto.case.office import copy_office, load_office

REPO_INVENTORY = Path(__file__).resolve().parents[2] / "inventory"


def test_the_sample_office_of_the_sample_inventory() -> None:
    office = load_office(REPO_INVENTORY)
    assert office.agency_full == "Dinas Komunikasi dan Informatika Kota Batam"
    assert office.paper == "A4" and office.paper_mm == (210, 297)
    assert office.logo_path is not None and office.logo_path.read_bytes()[:4] == b"\x89PNG"
    assert office.signatories.kasi.name == "Siti Rahmawati, S.Kom."
    assert office.signatories.kadis.nip == "19690312 199003 1 004"
    assert [p.name for p in office.team] == ["Andi Pratama", "Dewi Lestari", "Budi Santoso"]
    assert office.operator == "Andi Pratama"
    assert office.cuti_bersama == [dt.date(2026, 12, 24)]
    number = office.numbering.number("ba", "KB-2026-0012", dt.date(2026, 11, 30))
    assert number == "12/BA/Kominfo-PE/XI/2026"


def test_no_office_yaml_gives_defaults(tmp_path: Path) -> None:
    office = load_office(tmp_path)
    assert office.paper == "A4" and office.agency.name == "" and office.logo_path is None
    assert office.numbering.number("ba", "KB-2026-0001", dt.date(2026, 1, 5)) == ""
    assert load_office(None).paper == "A4"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("paper: Letter\n", r"office.yaml:1: paper: Input should be 'A4' or 'F4'"),
        ("agency:\n  name: X\nsignatories:\n  kasi:\n    nama: Budi\n",
         r"office.yaml:5: signatories.kasi.nama: unknown key \(did you mean 'name'\?\)"),
        ("numbering:\n  ba: '{seq}/BA/{bulan_romawi}/{year}'\n",
         r"office.yaml:2: numbering.ba: .*unknown placeholder \{year\}"),
        ("team:\n  - name: A\n  - name: B\n    nip: [1]\n",
         r"office.yaml:4: team.1.nip: Input should be a valid string"),
        ("agency:\n  name: X\n  logo: nowhere.png\n",
         r"office.yaml:3: agency.logo: no such file .*nowhere.png"),
        ("cuti_bersama: [2026-13-01]\n", r"office.yaml:1: cuti_bersama.0: "),
        ("agency: [\n", r"office.yaml:2: not valid YAML"),
    ],
)  # fmt: skip
def test_mistakes_name_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "office.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(OfficeError, match=message):
        load_office(tmp_path)


def test_f4_paper_and_copy_with_the_logo(tmp_path: Path) -> None:
    copy_office(REPO_INVENTORY, tmp_path / "lab")
    office_yaml = tmp_path / "lab" / "office.yaml"
    office_yaml.write_text(office_yaml.read_text("utf-8").replace("paper: A4", "paper: f4"))
    office = load_office(tmp_path / "lab")
    assert office.paper == "F4" and office.paper_mm == (215, 330)
    assert office.logo_path == tmp_path / "lab" / "logo-batam.png" and office.logo_path.is_file()
