"""A request walked through all 14 steps, and a refused one ending at step 7 — with documents."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import docx
from case_inputs import (
    FORM,
    MONITORING,
    Clock,
    analysis_row,
    change_evidence,
    new_request,
    walk_to_analysis,
)

from bwauto.case.chain import verify
from bwauto.case.documents import write_document
from bwauto.case.register import Register


def _text(path: Path) -> tuple[str, list[list[str]]]:
    """A DOCX's paragraphs (including those in tables) and its tables' cell texts."""
    document = docx.Document(str(path))
    paras = [p.text for p in document.paragraphs]
    tables = [[c.text for row in t.rows for c in row.cells] for t in document.tables]
    cells = [
        p.text for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs
    ]
    return "\n".join(paras + cells), tables


def test_full_walk_through_14_steps(
    reg: Register, clock: Clock, tmp_path: Path, png: Callable[[str], Path]
) -> None:
    out = tmp_path / "docs"
    case_id = new_request(reg)
    assert case_id == "KB-2026-0001"
    walk_to_analysis(reg, case_id, clock)
    form_doc = write_document(reg, case_id, "form", out)
    clock.advance(hours=20)
    chart_6 = png("dinkes-7d.png")
    reg.attach_analysis(case_id, analysis_row("CAN"), [chart_6])
    reg.decide(case_id, can=True)
    clock.advance(hours=24, minutes=20)  # Wednesday 09:20, after the change of 09:15-09:18
    evidence = tmp_path / "CH-20260304-021500-3f9a.json"
    evidence.write_text("{}", encoding="utf-8")
    reg.attach_change(case_id, change_evidence(), evidence)
    reg.attach_monitoring(case_id, MONITORING)
    clock.advance(hours=1)
    ba = {
        "team_name": "Budi Santoso",
        "opd_name": "Rudi Hartono",
        "team_nip": "19850101",
        "opd_position": "Kepala Seksi Data dan Informasi",
    }
    reg.ba(case_id, ba)
    ba_doc = write_document(reg, case_id, "ba", out)
    reg.report(
        case_id,
        {"summary": "Kenaikan 200 Mbps berjalan baik.", "chart": str(png("before-after.png"))},
    )
    report_doc = write_document(reg, case_id, "report", out)
    for role in ("kasi", "kabid", "kadis"):
        clock.advance(hours=3)
        reg.review(case_id, role=role, approve=True, by=role)
    reg.close(case_id)

    state = reg.state(case_id)
    assert state.closed and set(state.done) == set(range(1, 15)) - {7}
    assert [e.step for e in state.events] == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14]
    case = reg.get(case_id)
    assert verify(case).ok and case.closed_at is not None
    records = case.records()
    assert [r.by for r in records[-4:-1]] == ["kasi", "kabid", "kadis"]
    assert all(r.by == "budi" for r in records[:5])

    text, _ = _text(form_doc)
    for expected in (
        "DOKUMEN ISIAN KELENGKAPAN",
        "Rudi Hartono",
        "+62 778 460001",
        "240",
        "045/DINKES-SI/III/2026",
        "27 Februari 2026",
        "200 Mbps",
    ):
        assert expected in text

    text, tables = _text(ba_doc)
    assert "BERITA ACARA PEKERJAAN" in text and "Nomor: ......" in text
    assert "Pada hari ini Rabu, tanggal 4 Maret 2026" in text
    assert [
        "Bandwidth",
        "Sebelum",
        "Sesudah",
        "Unduh",
        "100 Mbps",
        "200 Mbps",
        "Unggah",
        "50 Mbps",
        "200 Mbps",
    ] in tables
    for expected in (
        "CH-20260304-021500-3f9a",
        "4 Maret 2026 09:18 WIB",
        "3 dari 3 pemeriksaan",
        "PIHAK PERTAMA",
        "PIHAK KEDUA",
        "Budi Santoso",
        "Rudi Hartono",
        "NIP. 19850101",
        "prometheus: terverifikasi di prometheus pada 4 Maret 2026 09:20 WIB",
    ):
        assert expected in text, expected

    text, tables = _text(report_doc)
    assert "1 baris ditambah, 1 baris dihapus" in text
    assert "+/queue simple set [find name=q-dinkes] max-limit=200M/200M" in text
    assert tables[-3][:6] == [
        "Pemeriksaan",
        "Hasil",
        "Keterangan",
        "Status link",
        "berhasil",
        "antarmuka aktif",
    ]
    assert "terverifikasi di prometheus pada 4 Maret 2026 09:20 WIB" in text and "93,4 %" in text
    assert "router kini membatasi 200 Mbps unduh / 200 Mbps unggah" in text
    assert "ShaperRate" not in text and "987654321" not in text
    assert len(docx.Document(str(report_doc)).inline_shapes) == 1


def test_refused_request_ends_at_step_7_with_its_reply_letter(
    reg: Register, tmp_path: Path, png: Callable[[str], Path]
) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row("CANNOT"), [png("dinkes-7d.png")])
    reg.decide(case_id, can=False, note="Menunggu penambahan kapasitas upstream Telkom.")
    letter = write_document(reg, case_id, "reply", tmp_path, reply_no="555/KOMINFO-PE/III/2026")
    reg.close(case_id, note="surat balasan dikirim")

    state = reg.state(case_id)
    assert state.closed and state.refused
    assert [e.step for e in state.events] == [1, 2, 3, 4, 5, 6, 7, 14]
    assert letter.name == "KB-2026-0001-draft-surat-balasan.docx"
    text, tables = _text(letter)
    for expected in (
        "Kepala Dinas Kesehatan",
        "555/KOMINFO-PE/III/2026",
        "Nomor 045/DINKES-SI/III/2026 tanggal\n27 Februari 2026".replace("\n", " "),
        "tidak dapat dinaikkan / tidak tersedia",
        "Sisa kapasitas upstream telkom-astinet pada arah unduh hanya 37,8 Mbps (persentil "
        "ke-95), sedangkan kenaikan yang dimohonkan memerlukan 100 Mbps.",
        "Permohonan dapat diajukan kembali setelah kapasitas upstream ditambah.",
        "Menunggu penambahan kapasitas upstream Telkom.",
    ):
        assert expected in text, expected
    figures = dict(zip(tables[1][2::2], tables[1][3::2], strict=True))
    assert figures["Kelengkapan data pengamatan"] == "99,8 %"
    assert figures["Periode pengamatan"] == "23 Februari 2026 00:00 WIB s.d. 2 Maret 2026 00:00 WIB"
    # each direction on its own; a row read from the CSV (no link given) has no upload rate
    rows = tables[2]
    per = {rows[i]: rows[i + 1 : i + 3] for i in range(3, len(rows), 3)}
    assert per["Bandwidth saat ini"] == ["100 Mbps", "–"]
    assert per["Bandwidth yang dimohonkan"] == ["200 Mbps", "tidak diubah"]
    assert per["Tambahan yang dimohonkan"] == ["100 Mbps", "–"]
    assert per["Pemakaian persentil ke-95"] == ["58,4 Mbps", "20,5 Mbps"]
    assert per["Utilisasi persentil ke-95"] == ["58,4 %", "–"]
    free = "37,8 Mbps (arah tersempit)"
    assert per["Sisa kapasitas upstream (persentil ke-95)"] == [free, free]
    assert len(docx.Document(str(letter)).inline_shapes) == 1


def test_english_reply_letter(reg: Register, tmp_path: Path) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row("CANNOT"))
    reg.decide(case_id, can=False)
    letter = write_document(reg, case_id, "reply", tmp_path, lang="en")
    text, tables = _text(letter)
    assert "we regret to inform you" in text and "27 February 2026" in text
    assert ["95th-percentile utilisation", "58.4 %", "–"] in [
        tables[2][i : i + 3] for i in range(0, len(tables[2]), 3)
    ]
    assert "draft-reply-letter" in letter.name


def test_form_document_names_what_is_requested(reg: Register, tmp_path: Path) -> None:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    path = write_document(reg, case_id, "form", tmp_path)
    again = write_document(reg, case_id, "form", tmp_path)
    assert again.name == path.stem + "-2.docx"
    text, _ = _text(path)
    assert str(FORM["purpose"]) in text and "Kepala Seksi Data dan Informasi" in text
    docs = reg.state(case_id).documents
    assert docs["form"].data["file"]["path"] == str(again.resolve())
