"""The SOP's order is enforced: a skipped step is refused, naming the step that is missing."""

from __future__ import annotations

import pytest
from case_inputs import (
    FORM,
    MONITORING,
    analysis_row,
    change_evidence,
    new_request,
    walk_to_analysis,
)

from bwauto.case.errors import CaseError, StepOrderError
from bwauto.case.register import Register
from bwauto.errors import BwautoError


def test_form_before_dispositions_names_step_4(reg: Register) -> None:
    case_id = new_request(reg)
    with pytest.raises(StepOrderError) as exc:
        reg.form(case_id, FORM)
    assert exc.value.missing == 4
    assert isinstance(exc.value, BwautoError) and exc.value.exit_code == 2
    assert "langkah 4 (Penunjukan Staf / Tim Data Center) belum dicatat" in str(exc.value)
    assert "not recorded" not in str(exc.value)  # one language per output
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BWAUTO_LANG", "en")
        with pytest.raises(StepOrderError) as exc:
            reg.form(case_id, FORM)
    assert str(exc.value) == "step 4 (Kasi assigns the data-center team) not recorded yet"


def test_dispositions_in_order(reg: Register) -> None:
    case_id = new_request(reg)
    with pytest.raises(StepOrderError, match=r"langkah 2 \(Disposisi Kepala Dinas\)") as exc:
        reg.dispose(case_id, from_role="kabid", to_role="kasi")
    assert exc.value.missing == 2
    reg.dispose(case_id, from_role="kadis", to_role="kabid")
    with pytest.raises(StepOrderError, match=r"langkah 2 .* sudah dicatat"):
        reg.dispose(case_id, from_role="kadis", to_role="kabid")
    with pytest.raises(CaseError, match="kadis→kabid, kabid→kasi or kasi→staf"):
        reg.dispose(case_id, from_role="kadis", to_role="staf")


def test_analysis_needs_the_form(reg: Register) -> None:
    case_id = new_request(reg)
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi"), ("kasi", "staf")):
        reg.dispose(case_id, from_role=frm, to_role=to)
    with pytest.raises(StepOrderError, match=r"langkah 5 \(Dokumen Isian Kelengkapan\)") as exc:
        reg.attach_analysis(case_id, analysis_row())
    assert exc.value.missing == 5


def test_decision_needs_the_analysis(reg: Register) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    with pytest.raises(StepOrderError) as exc:
        reg.decide(case_id, can=True)
    assert exc.value.missing == 6


def test_step_8_parts_are_named_before_the_berita_acara(reg: Register) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row("CAN"))
    ba = {"team_name": "Budi Santoso", "opd_name": "Rudi Hartono"}
    with pytest.raises(StepOrderError, match="keputusan dapat dinaikkan belum dicatat"):
        reg.ba(case_id, ba)
    reg.decide(case_id, can=True)
    with pytest.raises(StepOrderError, match="bukti perubahan bandwidth belum dilampirkan") as e:
        reg.ba(case_id, ba)
    assert e.value.missing == 8
    reg.attach_change(case_id, change_evidence("dry-run", dry_run=True))
    reg.attach_change(case_id, change_evidence("failed"))
    with pytest.raises(StepOrderError, match="bukti perubahan bandwidth belum dilampirkan"):
        reg.ba(case_id, ba)
    reg.attach_change(case_id, change_evidence("changed"))
    with pytest.raises(StepOrderError, match="pendaftaran ke sistem monitoring belum dicatat"):
        reg.ba(case_id, ba)
    reg.attach_monitoring(case_id, {"backend": "prometheus", "ok": False, "detail": "timeout"})
    with pytest.raises(StepOrderError, match="pendaftaran ke sistem monitoring"):
        reg.ba(case_id, ba)
    reg.attach_monitoring(case_id, MONITORING)
    assert reg.ba(case_id, ba).step == 9
    with pytest.raises(StepOrderError, match=r"langkah 8 .* sudah dicatat"):
        reg.attach_change(case_id, change_evidence("changed"))


def test_reviews_in_order_and_a_return_reopens_the_report(reg: Register) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row("CAN"))
    reg.decide(case_id, can=True)
    reg.attach_change(case_id, change_evidence(), monitoring=MONITORING)
    reg.ba(case_id, {"team_name": "Budi Santoso", "opd_name": "Rudi Hartono"})
    with pytest.raises(StepOrderError, match=r"langkah 10 \(Laporan Hasil Pelaksanaan\)"):
        reg.review(case_id, role="kasi", approve=True)
    reg.report(case_id, {"summary": "selesai"})
    with pytest.raises(StepOrderError, match=r"langkah 11 \(Pemeriksaan Laporan"):
        reg.review(case_id, role="kabid", approve=True)
    with pytest.raises(CaseError, match="needs a note"):
        reg.review(case_id, role="kasi", approve=False)
    with pytest.raises(StepOrderError, match="ke langkah 5, 6 atau 8–10"):
        reg.review(case_id, role="kasi", approve=False, note="x", return_to=7)
    back = reg.review(case_id, role="kasi", approve=False, note="lampirkan grafik")
    assert back.data["return_to"] == 10
    state = reg.state(case_id)
    assert 10 not in state.done and state.next_steps() == (10,)
    with pytest.raises(StepOrderError, match=r"langkah 10 .* belum dicatat"):
        reg.review(case_id, role="kasi", approve=True)
    reg.report(case_id, {"summary": "selesai, grafik terlampir"})
    reg.review(case_id, role="kasi", approve=True)
    reg.review(case_id, role="kabid", approve=True)
    with pytest.raises(StepOrderError, match=r"langkah 13 \(Review Kepala Dinas\)"):
        reg.close(case_id)
    reg.review(case_id, role="kadis", approve=True)
    reg.close(case_id)
    with pytest.raises(StepOrderError, match="sudah ditutup"):
        reg.review(case_id, role="kadis", approve=True)


def test_kadis_return_to_the_raise_redoes_step_8(reg: Register) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row("CAN"))
    reg.decide(case_id, can=True)
    reg.attach_change(case_id, change_evidence(), monitoring=MONITORING)
    reg.ba(case_id, {"team_name": "Budi Santoso", "opd_name": "Rudi Hartono"})
    reg.report(case_id, {"summary": "selesai"})
    for role in ("kasi", "kabid"):
        reg.review(case_id, role=role, approve=True)
    reg.review(case_id, role="kadis", approve=False, note="burst salah", return_to=8)
    state = reg.state(case_id)
    assert state.decision is True and not state.change_ok and state.next_steps() == (8,)
    with pytest.raises(StepOrderError, match="bukti perubahan"):
        reg.ba(case_id, {"team_name": "Budi Santoso", "opd_name": "Rudi Hartono"})
    reg.attach_change(case_id, change_evidence("no-op"), monitoring=MONITORING)
    assert reg.state(case_id).next_steps() == (9,)


def test_a_decision_against_the_analysis_needs_a_note(reg: Register) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row("CANNOT"))
    with pytest.raises(CaseError, match="the analysis says CANNOT; deciding CAN needs a note"):
        reg.decide(case_id, can=True)
    rec = reg.decide(case_id, can=True, note="Kadis: prioritas layanan kesehatan")
    assert rec.step == 8 and rec.data["analysis_decision"] == "CANNOT"
    with pytest.raises(StepOrderError, match="keputusan sudah dicatat"):
        reg.attach_analysis(case_id, analysis_row("CAN"))


def test_refused_request_closes_only_after_the_reply_letter(reg: Register) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row("CANNOT"))
    assert reg.decide(case_id, can=False).step == 7
    with pytest.raises(StepOrderError, match="surat balasan belum dibuat") as exc:
        reg.close(case_id)
    assert exc.value.missing == 7
    with pytest.raises(StepOrderError, match=r"tidak dapat dinaikkan .* langkah 8–13"):
        reg.attach_change(case_id, change_evidence())
    with pytest.raises(StepOrderError, match="langkah 8–13 tidak berlaku"):
        reg.ba(case_id, {"team_name": "Budi Santoso", "opd_name": "Rudi Hartono"})


def test_inputs_are_checked(reg: Register) -> None:
    with pytest.raises(CaseError, match="rate"):
        reg.new(
            opd="X",
            letter_no="1",
            letter_date=__import__("datetime").date(2026, 1, 5),
            link_id="dinkes",
            rate_bps=0,
            purpose="p",
        )
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    with pytest.raises(CaseError, match="analysis is of link 'bapenda'"):
        reg.attach_analysis(case_id, analysis_row() | {"link_id": "bapenda"})
    with pytest.raises(CaseError, match="analysis: decision"):
        reg.attach_analysis(case_id, analysis_row() | {"decision": "MAYBE"})
    with pytest.raises(CaseError, match="no request 'KB-2026-9999'"):
        reg.get("KB-2026-9999")
