"""Decisions a Kasi would sign (issue 11, seen 3): right after polling starts there is NOT
ENOUGH DATA — never CANNOT — and it says how many days are missing and how to get them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bwauto.case.register import Register
from bwauto.cli.app import main
from bwauto.lab.runner import Lab


def test_right_after_polling_starts_there_is_not_enough_data(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: "decision: CANNOT (next: SOP step 7)" at coverage 0 %."""
    base = ["-i", str(lab.inventory_dir), "--state-dir", str(tmp_path)]
    assert main([*base, "poll", "--link", "dinkes", "--count", "2", "--interval", "1"]) == 0
    capsys.readouterr()
    assert main([*base, "analyse", "--link", "dinkes", "--request-rate", "150M"]) == 0
    out = capsys.readouterr().out
    assert "keputusan: DATA TIDAK CUKUP (bukan langkah 7 maupun 8" in out
    assert "TIDAK DAPAT" not in out and "langkah 7, surat balasan" not in out
    assert "hari belum ada" in out and "bwauto poll" in out and "bwauto samples import" in out

    reg = Register.for_office(tmp_path, lab.inventory_dir)
    case_id = reg.new(opd="Dinas Kesehatan", letter_no="1/A", letter_date=dt.date(2026, 1, 5),
                      link_id="dinkes", rate_bps=150_000_000, purpose="SIMRS")  # fmt: skip
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi"), ("kasi", "staf")):
        reg.dispose(case_id, from_role=frm, to_role=to)
    reg.form(case_id, {"contact_name": "Rudi", "purpose": "SIMRS"})
    assert main([*base, "analyse", "--request", case_id]) == 1
    err = capsys.readouterr().err
    assert "DATA TIDAK CUKUP" in err and "langkah 6 tidak dicatat" in err
    assert 6 not in reg.state(case_id).done and reg.state(case_id).decision is None
    assert main([*base, "request", "decide", case_id, "--cannot"]) == 2  # nothing to decide on


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", r"\([\d.]+ of 1 hours missing\): poll the link for [\d.]+ more hours"),
     ("id", r"\([\d.]+ dari 1 jam belum ada\): poll link ini [\d.]+ jam lagi")],
)  # fmt: skip
def test_a_window_under_a_day_counts_its_missing_data_in_hours(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str, expected: str
) -> None:
    """Before: "(0 of 0 days missing): poll the link for 0 more days" for ``--since 1h``."""
    base = ["-i", str(lab.inventory_dir), "--state-dir", str(tmp_path), "--lang", lang]
    assert main([*base, "poll", "--link", "dinkes", "--count", "2", "--interval", "1"]) == 0
    capsys.readouterr()
    assert (
        main([*base, "analyse", "--link", "dinkes", "--since", "1h", "--request-rate", "150M"]) == 0
    )
    out = " ".join(capsys.readouterr().out.split())
    assert re.search(expected, out), out
    assert "0 of 0" not in out and "0 dari 0" not in out
    assert "--since 7d" in out
