"""Holidays (issue 11, seen 11): national holidays from the ``holidays`` package, cuti bersama
from office.yaml; ``request list`` and ``status`` print no warning about a sample list."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cli_harness import Bw

from bwauto.case.holidays import office_holidays

NEW = ("request", "new", "--link", "dinkes", "--rate", "150M", "--letter-no", "1/X",
       "--letter-date", "2026-02-27", "--purpose", "SIMRS", "--json")  # fmt: skip


def test_list_and_status_do_not_warn(bw: Bw) -> None:
    code, out, err = bw(*NEW)
    case_id = json.loads(out)["request"]
    for args in (("request", "list"), ("request", "status", case_id)):
        code, out, err = bw(*args)
        assert code == 0 and err == "", err
        assert "CONTOH" not in out and "sample" not in out.lower()
    assert f"berikutnya, langkah 2: bwauto request dispose {case_id} --from kadis --to kabid" in out


def test_national_holidays_and_cuti_bersama_from_office_settings(tmp_path: Path) -> None:
    (tmp_path / "office.yaml").write_text("cuti_bersama: [2027-12-24]\n", encoding="utf-8")
    (tmp_path / "holidays.yaml").write_text(
        "holidays: [{date: 2027-05-29, name: Hari jadi Kota Batam}]\n", encoding="utf-8"
    )
    days = office_holidays(tmp_path, [2027])
    assert dt.date(2027, 8, 17) in days.dates  # from the package: the year is covered
    assert dt.date(2027, 1, 1) in days.dates
    assert days.names[dt.date(2027, 12, 24)] == "Cuti bersama"
    assert days.names[dt.date(2027, 5, 29)] == "Hari jadi Kota Batam"
    assert not days.sample
