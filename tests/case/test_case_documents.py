"""Documents from templates: the blank form, office overrides, template errors, the SOP's order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest
from case_inputs import analysis_row, new_request, walk_to_analysis

from bwauto.case.documents import (
    DOCUMENTS,
    LANGS,
    blank_form,
    render_document,
    to_text,
    write_document,
    write_docx,
)
from bwauto.case.documents.templates import PACKAGE_TEMPLATES, load_template
from bwauto.case.errors import DocumentError, StepOrderError
from bwauto.case.register import Register


def test_blank_form_as_text_lists_what_the_opd_fills_in() -> None:
    text = to_text(blank_form("id", today=dt.date(2026, 3, 2)))
    for label in (
        "DOKUMEN ISIAN KELENGKAPAN",
        "Nama OPD Pemohon",
        "Bandwidth yang dimohonkan",
        "Peruntukan (untuk keperluan apa)",
        "Perkiraan jumlah pengguna",
        "Nama penanggung jawab",
        "Diisi oleh Staf / Tim Data Center",
    ):
        assert label in text
    assert "Nama penanggung jawab    : ......." in text
    assert "Batam, ......." in text  # a blank form has no date
    assert "Expected number of users" in to_text(blank_form("en"))


def test_blank_form_as_docx(tmp_path: Path) -> None:
    path = write_docx(blank_form(), tmp_path / "blanko.docx")
    document = docx.Document(str(path))
    labels = [row.cells[0].text for table in document.tables for row in table.rows]
    assert "Nomor telepon / HP" in labels and "Aplikasi / layanan yang digunakan" in labels
    assert document.core_properties.title == "Dokumen Isian Kelengkapan"


def test_every_shipped_template_exists_in_both_languages() -> None:
    for lang in LANGS:
        for name in DOCUMENTS.values():
            doc = load_template(PACKAGE_TEMPLATES / lang / f"{name}.yaml")
            assert doc["blocks"] and doc["title"]


def test_office_override_is_used(reg: Register, tmp_path: Path) -> None:
    office = tmp_path / "inventory" / "templates" / "id"
    office.mkdir(parents=True)
    source = (PACKAGE_TEMPLATES / "id" / "dokumen-isian-kelengkapan.yaml").read_text("utf-8")
    (office / "dokumen-isian-kelengkapan.yaml").write_text(
        source.replace("kota: Batam", "kota: Kota Batam, Batam Centre").replace(
            "DOKUMEN ISIAN KELENGKAPAN", "FORMULIR ISIAN KELENGKAPAN (REV. 2026)"
        ),
        encoding="utf-8",
    )
    text = to_text(blank_form("id", tmp_path / "inventory" / "templates"))
    assert "FORMULIR ISIAN KELENGKAPAN (REV. 2026)" in text
    assert "Kota Batam, Batam Centre, ....." in text
    assert "FORMULIR" not in to_text(blank_form("id", tmp_path / "nowhere"))


def test_a_template_error_names_the_template_and_block(tmp_path: Path) -> None:
    office = tmp_path / "id"
    office.mkdir()
    (office / "dokumen-isian-kelengkapan.yaml").write_text(
        "title: x\nblocks:\n  - paragraph: ok\n  - paragraph: '{{ case.opdd }}'\n", encoding="utf-8"
    )
    with pytest.raises(DocumentError, match=r"dokumen-isian-kelengkapan.yaml: block 2: .*opdd"):
        blank_form("id", tmp_path)
    (office / "dokumen-isian-kelengkapan.yaml").write_text(
        "title: x\nblocks:\n  - paragraf: typo\n", encoding="utf-8"
    )
    with pytest.raises(DocumentError, match="block 1: a block needs exactly one of heading"):
        blank_form("id", tmp_path)
    with pytest.raises(DocumentError, match="unknown language 'fr'"):
        blank_form("fr")


def test_documents_follow_the_sop_order(reg: Register, tmp_path: Path) -> None:
    case_id = new_request(reg)
    with pytest.raises(StepOrderError, match=r"langkah 5 \(Dokumen Isian Kelengkapan\)"):
        write_document(reg, case_id, "form", tmp_path)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row("CAN"))
    reg.decide(case_id, can=True)
    with pytest.raises(StepOrderError, match="surat balasan hanya untuk permohonan"):
        write_document(reg, case_id, "reply", tmp_path)
    with pytest.raises(StepOrderError, match=r"langkah 9 \(Berita Acara Pekerjaan\) belum"):
        write_document(reg, case_id, "ba", tmp_path)
    assert not list(tmp_path.glob("*.docx"))


def test_dry_run_renders_but_writes_and_records_nothing(reg: Register, tmp_path: Path) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    before = reg.get(case_id).record_count
    path = write_document(reg, case_id, "form", tmp_path, dry_run=True)
    assert path.name == "KB-2026-0001-dokumen-isian-kelengkapan.docx" and not path.exists()
    assert reg.get(case_id).record_count == before


def test_a_missing_chart_is_an_error(reg: Register, tmp_path: Path) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row("CANNOT"))
    reg.decide(case_id, can=False)
    doc = render_document("reply", reg.get(case_id), chart=str(tmp_path / "nope.png"))
    with pytest.raises(DocumentError, match=r"nope\.png does not exist"):
        write_docx(doc, tmp_path / "x.docx")


def test_report_embeds_the_chart_of_the_hours_after_the_raise(tmp_path: Path) -> None:
    """The poller's samples since the raise (here: the lab's traffic model for the last 12 h,
    imported like any history) are drawn into the report next to the analysis chart."""
    import shutil

    from case_inputs import change_evidence, walk_to_analysis, write_png

    from bwauto.case.mutu_baku import WIB as wib
    from bwauto.cli.app import main

    inv, state = tmp_path / "inventory", tmp_path / "state"
    shutil.copytree(Path(__file__).resolve().parents[2] / "inventory", inv)
    base = ["-i", str(inv), "--state-dir", str(state)]
    assert main([*base, "lab", "history", "--out", str(tmp_path / "h.csv"), "--days", "0.5"]) == 0
    assert main([*base, "samples", "import", str(tmp_path / "h.csv")]) == 0
    now = dt.datetime.now(wib).replace(microsecond=0)
    reg = Register.in_state_dir(state, clock=lambda: now, user="budi")
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row("CAN"), [write_png(tmp_path / "a.png", 60, 30)])
    reg.decide(case_id, can=True)
    raised = (now - dt.timedelta(hours=6)).astimezone(dt.UTC).isoformat()
    evidence = tmp_path / "e.json"
    evidence.write_text("{}", encoding="utf-8")
    reg.attach_change(case_id, change_evidence() | {"ended": raised}, evidence)
    reg.attach_monitoring(case_id, {"backend": "prometheus", "ok": True})
    reg.ba(case_id, {"team_name": "Andi Pratama", "opd_name": "Rudi Hartono"})
    reg.report(case_id, {"summary": "baik"})
    path = write_document(reg, case_id, "report", tmp_path / "docs", inventory_dir=inv)
    document = docx.Document(str(path))
    assert len(document.inline_shapes) == 3  # the logo, before, after
    captions = [p.text for p in document.paragraphs if p.text.startswith("Gambar")]
    assert captions == [
        "Gambar 1. Pemakaian link selama periode analisa (sebelum kenaikan)",
        "Gambar 2. Pemakaian link pada jam-jam setelah kenaikan",
    ]
    after = tmp_path / "docs" / f"{case_id}-grafik-setelah-kenaikan.png"
    assert after.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and after.stat().st_size > 20_000
