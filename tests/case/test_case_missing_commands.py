"""Every "step N not recorded" error names the command that records it, with the request's id
(issue 11, seen 2: ``request ba`` failed with "langkah 6 … belum dicatat" and nothing more)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from case_inputs import FORM

from bwauto.case.errors import StepOrderError
from bwauto.case.register import Register
from bwauto.case.workflow import RECORDED_BY


@pytest.mark.parametrize("number", sorted(RECORDED_BY))
def test_each_step_has_a_command(number: int) -> None:
    assert RECORDED_BY[number].startswith("bwauto ")


def test_errors_name_the_command_and_the_request(tmp_path: Path) -> None:
    reg = Register.in_state_dir(tmp_path)
    case_id = reg.new(opd="Dinkes", letter_no="1", letter_date=dt.date(2026, 1, 5),
                      link_id="dinkes", rate_bps=150_000_000, purpose="SIMRS")  # fmt: skip
    with pytest.raises(StepOrderError, match=rf"catat dengan: bwauto request dispose "
                       rf"{case_id} --from kadis --to kabid$"):  # fmt: skip
        reg.dispose(case_id, from_role="kabid", to_role="kasi")
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi"), ("kasi", "staf")):
        reg.dispose(case_id, from_role=frm, to_role=to)
    reg.form(case_id, FORM)
    with pytest.raises(StepOrderError, match=rf"catat dengan: bwauto analyse --request {case_id}$"):
        reg.ba(case_id, {"team_name": "Budi", "opd_name": "Rudi"})
    reg.attach_analysis(case_id, {"link_id": "dinkes", "decision": "CAN"})
    with pytest.raises(StepOrderError, match=rf"bwauto request decide {case_id} --can$"):
        reg.ba(case_id, {"team_name": "Budi", "opd_name": "Rudi"})
    reg.decide(case_id, can=True)
    with pytest.raises(StepOrderError, match=rf"bwauto raise --request {case_id} --yes$"):
        reg.ba(case_id, {"team_name": "Budi", "opd_name": "Rudi"})
