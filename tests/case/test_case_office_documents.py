"""The documents as the office prints them: rendered to PDF by LibreOffice, read back as text.

One ``soffice --convert-to pdf`` call converts every document of the module (LibreOffice
starts slowly); ``pdfinfo``/``pdftotext`` (poppler-utils) read page size and text.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docx
import numpy as np
import pytest
from case_inputs import (
    Clock,
    analysis_row,
    change_evidence,
    new_request,
    walk_to_analysis,
    write_png,
)
from language import foreign_words

from bwauto.analysis.counters import Intervals, compute_intervals
from bwauto.analysis.outcome import compare
from bwauto.analysis.outcome_run import outcome_json
from bwauto.case.documents import write_document
from bwauto.case.mutu_baku import WIB
from bwauto.case.office import ba_number, load_office
from bwauto.case.register import Register

REPO_INVENTORY = Path(__file__).resolve().parents[2] / "inventory"
A4_PT = (595.3, 841.9)
F4_PT = (609.4, 935.4)  # 215 x 330 mm
NEEDS = ("soffice", "pdftotext", "pdfinfo")
Pdfs = dict[str, tuple[str, tuple[float, float]]]
"""Document name → (its PDF text, whitespace folded; page size in pt); ``path:NAME`` → DOCX."""

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in NEEDS),
    reason="needs LibreOffice (libreoffice-writer) and poppler-utils (.ci/install-test-deps)",
)


def _inventory(tmp: Path, paper: str = "A4") -> Path:
    inv = tmp / f"inventory-{paper}"
    shutil.copytree(REPO_INVENTORY, inv)
    office = inv / "office.yaml"
    office.write_text(office.read_text("utf-8").replace("paper: A4", f"paper: {paper}"), "utf-8")
    return inv


def _walk_to_report(reg: Register, clock: Clock, tmp: Path, inv: Path, out: Path) -> list[Path]:
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id, clock)
    clock.advance(hours=20)
    row = analysis_row("CAN") | {"in_p95_mbps": 49.75}  # the upload (50 Mbps) is saturated
    reg.attach_analysis(case_id, row, [write_png(tmp / "analisa.png", 300, 120)])
    reg.decide(case_id, can=True)
    clock.advance(hours=24, minutes=20)
    evidence = tmp / "CH-20260304-021500-3f9a.json"
    evidence.write_text("{}", encoding="utf-8")
    change = change_evidence() | {"operator": "root"}
    change["rate_before"] = {"up": None, "down": 100_000_000}  # upload not shaped here
    change["rate_after"] = {"up": None, "down": 200_000_000}
    reg.attach_change(case_id, change, evidence)
    written = {"backend": "prometheus", "ok": True, "verified": False, "detail": "wrote files"}
    reg.attach_monitoring(case_id, written)
    clock.advance(hours=1)
    number = ba_number(inv, case_id, clock.now.date())  # as `request ba` and the playbook do
    reg.ba(case_id, {"team_name": "Andi Pratama", "opd_name": "Rudi Hartono", "number": number})
    ba = write_document(reg, case_id, "ba", out, inventory_dir=inv)
    ba_en = write_document(reg, case_id, "ba", out / "en", lang="en", inventory_dir=inv)
    reg.attach_outcome(case_id, _outcome(change["ended"], AFTER_S))
    photo = write_png(tmp / "foto-rak-server.png", 200, 150)
    reg.report(case_id, {"summary": "Kenaikan berjalan baik.", "files": [str(photo)]})
    report = write_document(reg, case_id, "report", out, inventory_dir=inv)
    return [ba, report, ba_en]


AFTER_S = 3 * 86_400 + 2 * 3600
"""The window after the change: 3 days and 2 hours."""


def _constant(t0: float, seconds: float, rate_bps: float) -> Intervals:
    n = int(seconds // 300) + 1
    ts = t0 + 300.0 * np.arange(n)
    octets = (np.arange(n) * rate_bps * 300 / 8).astype(np.uint64)
    return compute_intervals(ts, np.full(n, np.nan), octets, octets, np.full(n, 64, np.uint8),
                             speed_bps=10**9, poll_interval_s=300)  # fmt: skip


def _outcome(ended: str, after_s: float) -> dict[str, object]:
    """``request outcome``'s summary: 7 days at 95 Mbps before, ``after_s`` at 150 after."""
    change_at = dt.datetime.fromisoformat(ended).timestamp()
    before = _constant(change_at - 7 * 86_400, 7 * 86_400, 95e6)
    after = _constant(change_at, after_s, 150e6)
    windows = (change_at - 7 * 86_400, change_at, change_at, change_at + after_s)
    outcome = compare("dinkes", before, after, {"up": None, "down": 100_000_000},
                      {"up": None, "down": 200_000_000}, windows)  # fmt: skip
    return outcome_json(outcome, change_at + after_s)


def _by_engineer(reg: Register, clock: Clock, inv: Path, out: Path) -> Path:
    """A BA whose step-9 team member (Budi Santoso) is not who did the raise (``raise --by
    "Dewi Lestari"``, in the office's team)."""
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id, clock)
    reg.attach_analysis(case_id, analysis_row("CAN"))
    reg.decide(case_id, can=True)
    evidence = out / "CH-20260304-021500-dewi.json"
    evidence.parent.mkdir(parents=True, exist_ok=True)
    evidence.write_text("{}", encoding="utf-8")
    change = change_evidence() | {"operator": "Dewi Lestari", "operator_source": "--by"}
    reg.attach_change(case_id, change, evidence)
    reg.attach_monitoring(case_id, {"backend": "prometheus", "ok": True})
    reg.ba(case_id, {"team_name": "Budi Santoso", "team_nip": "19850101 201001 1 001",
                     "opd_name": "Rudi Hartono"})  # fmt: skip
    return write_document(reg, case_id, "ba", out, inventory_dir=inv)


def _by_stranger(reg: Register, clock: Clock, inv: Path, out: Path) -> Path:
    """A BA whose engineer (``raise --by "Joko Susilo"``) is not in office.yaml's team."""
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id, clock)
    reg.attach_analysis(case_id, analysis_row("CAN"))
    reg.decide(case_id, can=True)
    evidence = out / "CH-20260304-021500-joko.json"
    evidence.parent.mkdir(parents=True, exist_ok=True)
    evidence.write_text("{}", encoding="utf-8")
    change = change_evidence() | {"operator": "Joko Susilo", "operator_source": "--by"}
    reg.attach_change(case_id, change, evidence)
    reg.attach_monitoring(case_id, {"backend": "prometheus", "ok": True})
    reg.ba(case_id, {"team_name": "Joko Susilo", "opd_name": "Rudi Hartono"})
    return write_document(reg, case_id, "ba", out, inventory_dir=inv)


GUARD_CHECKS = [
    {"name": "commit-confirm possible", "ok": True, "detail": "the router can arm the guard"},
    {"name": "commit-confirm guard gone", "ok": True, "detail": "no scheduler entry"},
    {"name": "saved", "ok": True, "detail": "/system backup save"},
]


def _short_outcome(ended: str, after_s: float) -> dict[str, object]:
    """``request outcome`` judged on ``after_s`` seconds polled every 3 s (as the demo does)."""
    change_at = dt.datetime.fromisoformat(ended).timestamp()
    before = _constant(change_at - 7 * 86_400, 7 * 86_400, 70e6)
    n = int(after_s // 3) + 1
    ts = change_at + 3.0 * np.arange(n)
    octets = (np.arange(n) * 13e6 * 3 / 8).astype(np.uint64)
    after = compute_intervals(ts, np.full(n, np.nan), octets, octets, np.full(n, 64, np.uint8),
                              speed_bps=10**9, poll_interval_s=3)  # fmt: skip
    windows = (change_at - 7 * 86_400, change_at, change_at, change_at + after_s)
    outcome = compare("dinkes", before, after, {"up": None, "down": 100_000_000},
                      {"up": None, "down": 150_000_000}, windows)  # fmt: skip
    return outcome_json(outcome, change_at + after_s)


def _plain_report(
    reg: Register, clock: Clock, inv: Path, out: Path, after_s: float | None, lang: str = "id"
) -> Path:
    """A report whose change ran the commit-confirm checks, with the outcome judged on
    ``after_s`` seconds after the change (``None``: not measured)."""
    case_id = new_request(reg)
    walk_to_analysis(reg, case_id, clock)
    out.mkdir(parents=True, exist_ok=True)
    reg.attach_analysis(case_id, analysis_row("CAN"), [write_png(out / "analisa.png", 300, 120)])
    reg.decide(case_id, can=True)
    evidence = out / f"CH-20260304-021500-{case_id}.json"
    evidence.parent.mkdir(parents=True, exist_ok=True)
    evidence.write_text("{}", encoding="utf-8")
    change = change_evidence() | {"operator": "Andi Pratama", "operator_source": "--by"}
    change["checks"] = [*change["checks"], *GUARD_CHECKS]
    reg.attach_change(case_id, change, evidence)
    reg.attach_monitoring(case_id, {"backend": "prometheus", "ok": True})
    reg.ba(case_id, {"team_name": "Andi Pratama", "opd_name": "Rudi Hartono"})
    if after_s is not None:
        reg.attach_outcome(case_id, _short_outcome(change["ended"], after_s))
    reg.report(case_id, {"summary": "Kenaikan berjalan baik."})
    return write_document(reg, case_id, "report", out, lang=lang, inventory_dir=inv)


def _refused(reg: Register, tmp: Path, inv: Path, out: Path) -> Path:
    case_id = reg.new(opd="Dinas Pendidikan", letter_no="421/DISDIK/III/2026",
                      letter_date=dt.date(2026, 2, 27), link_id="dinkes", rate_bps=300_000_000,
                      purpose="ujian daring")  # fmt: skip
    walk_to_analysis(reg, case_id)
    row = analysis_row("CANNOT") | {"p95_utilisation_pct": 96.0, "out_p95_mbps": 96.0}
    reg.attach_analysis(case_id, row, [write_png(tmp / "tolak.png", 300, 120)])
    reg.decide(case_id, can=False)
    return write_document(reg, case_id, "reply", out, inventory_dir=inv)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pdfs]:
    """name → (PDF text, page size in pt) for the BA, the report and the reply (A4), and the BA
    on F4; every document written through ``write_document`` with the sample office.yaml."""
    tmp = tmp_path_factory.mktemp("office-docs")
    out = tmp / "docs"
    docs: dict[str, Path] = {}
    for paper in ("A4", "F4"):
        clock = Clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=WIB))
        reg = Register(tmp / paper / "register.sqlite", clock=clock, user="budi")
        inv = _inventory(tmp, paper)
        ba, report, ba_en = _walk_to_report(reg, clock, tmp / paper, inv, out / paper)
        docs[f"ba-{paper}"] = ba
        if paper == "A4":
            docs["report"], docs["reply"] = report, _refused(reg, tmp, inv, out / "reply")
            docs["ba-en"] = ba_en
            docs["ba-by"] = _by_engineer(reg, clock, inv, out / "by")
            docs["ba-stranger"] = _by_stranger(reg, clock, inv, out / "stranger")
            docs["report-12s"] = _plain_report(reg, clock, inv, out / "12s", 12.0)
            docs["report-none"] = _plain_report(reg, clock, inv, out / "none", None)
            docs["report-en"] = _plain_report(reg, clock, inv, out / "en-none", None, "en")
    flat = tmp / "flat"
    flat.mkdir()
    for name, path in docs.items():
        shutil.copy(path, flat / f"{name}.docx")
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/lo-profile",
         "--convert-to", "pdf", "--outdir", str(flat), *sorted(map(str, flat.glob("*.docx")))],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    result: Pdfs = {}
    for name in docs:
        pdf = flat / f"{name}.pdf"
        text = subprocess.run(["pdftotext", str(pdf), "-"], check=True,
                              capture_output=True, text=True).stdout  # fmt: skip
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                              text=True).stdout  # fmt: skip
        size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
        assert size, info
        result[name] = (" ".join(text.split()), (float(size[1]), float(size[2])))
    yield result | {f"path:{k}": (str(v), (0.0, 0.0)) for k, v in docs.items()}


def _page(pdfs: Pdfs, name: str) -> tuple[float, float]:
    return pdfs[name][1]


def test_paper_is_a4_by_default_and_f4_when_configured(pdfs: Pdfs) -> None:
    for name in ("ba-A4", "report", "reply"):
        assert _page(pdfs, name) == pytest.approx(A4_PT, abs=1.0), name
    assert _page(pdfs, "ba-F4") == pytest.approx(F4_PT, abs=1.0)


def test_berita_acara_carries_kop_signatories_router_and_rates(pdfs: Pdfs) -> None:
    text = pdfs["ba-A4"][0]
    for expected in (
        "PEMERINTAH KOTA BATAM",
        "DINAS KOMUNIKASI DAN INFORMATIKA",
        "Jl. Engku Putri No. 1, Batam Centre, Batam 29461",
        "Telepon (0778) 462 000, Pos-el kominfo@batam.go.id, Laman kominfo.batam.go.id",
        "Nomor: 1/BA/Kominfo-PE/III/2026",
        "edge-bc-01",
        "vlan110-dinkes",
        "q-dinkes (simple queue)",
        "100 Mbps",
        "200 Mbps",
        "tidak dibatasi di router ini",
        "CH-20260304-021500-3f9a",
        "4 Maret 2026 09:18 WIB",
        "Pelaksana Andi Pratama",
        "berkas ditulis, belum diverifikasi",
        "Siti Rahmawati, S.Kom.",
        "NIP. 19840722 201001 2 011",
        "NIP. 19910214 201503 1 002",  # PIHAK PERTAMA's NIP, from office.yaml's team
    ):
        assert expected in text, expected
    assert "BA/KB-2026" not in text and "root" not in text and "terverifikasi di" not in text
    assert not foreign_words(text, "id"), foreign_words(text, "id")


def test_report_in_indonesian_with_numbered_sections_charts_and_photos(pdfs: Pdfs) -> None:
    text = pdfs["report"][0]
    numbers = [int(n) for n in re.findall(r"(?<!Gambar )(?<![\d.:/-])(\d)\. (?=[A-Z][a-z])", text)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 7, numbers
    for expected in (
        "Andi Pratama",
        "200 Mbps / tidak dibatasi di router ini",
        "berhasil diterapkan",
        "Gambar 1. Pemakaian link selama periode analisa (sebelum kenaikan)",
        "Gambar 2. Dokumentasi: foto-rak-server.png",
        "1/BA/Kominfo-PE/III/2026",
        "Siti Rahmawati, S.Kom.",
    ):
        assert expected in text, expected
    for raw in ("ShaperRate", "987654321", "rate read back", "changed", "/tmp/", "root"):
        assert raw not in text, raw
    assert not foreign_words(text, "id"), foreign_words(text, "id")
    document = docx.Document(pdfs["path:report"][0])
    rows = [[c.text for c in r.cells] for t in document.tables for r in t.rows]
    assert ["Pelaksana", "Andi Pratama"] in rows
    # each direction's own utilisation (the upload's rate from the inventory: 49,75 of 50 Mbps)
    assert ["Utilisasi persentil ke-95 (unduh / unggah)", "93,4 % / 99,5 % (jenuh)"] in rows
    assert [
        "Bandwidth terbaca dari router",
        "berhasil",
        "router kini membatasi 200 Mbps unduh / tidak dibatasi di router ini unggah",
    ] in rows
    assert ["Penghitung trafik", "berhasil", "penghitung trafik terbaca setelah perubahan"] in rows
    assert len(document.inline_shapes) == 3  # the logo, the analysis chart, the photo
    props = document.core_properties
    assert props.author == "Dinas Komunikasi dan Informatika"
    assert props.created is not None and props.created.year == dt.datetime.now(dt.UTC).year
    created = props.created.replace(tzinfo=None)
    assert abs((dt.datetime.now(dt.UTC).replace(tzinfo=None) - created).total_seconds()) < 900


def test_reply_letter_reasons_in_plain_indonesian(pdfs: Pdfs) -> None:
    text = pdfs["reply"][0]
    for expected in (
        "Drs. Rudi Sakyakirti, M.M.",
        "NIP. 19690312 199003 1 004",
        "Nomor : 2/Kominfo-PE/III/2026",  # the second request of the register
        "Sisa kapasitas upstream telkom-astinet pada arah unduh hanya 37,8 Mbps (persentil "
        "ke-95), sedangkan kenaikan yang dimohonkan memerlukan 100 Mbps.",
        "Permohonan dapat diajukan kembali setelah kapasitas upstream ditambah.",
        "96,0 %",
    ):
        assert expected in text, expected
    assert "UPSTREAM_HEADROOM" not in text and "mendekati" not in text
    assert not foreign_words(text, "id"), foreign_words(text, "id")


def test_berita_acara_in_english_when_asked(pdfs: Pdfs) -> None:
    text = pdfs["ba-en"][0]
    for expected in (
        "WORK REPORT",
        "Number: 1/BA/Kominfo-PE/III/2026",
        "Phone (0778) 462 000, E-mail kominfo@batam.go.id, Website kominfo.batam.go.id",
        "not shaped on this router",
        "files written, not yet verified",
        "Andi Pratama",
        "Siti Rahmawati, S.Kom.",
    ):
        assert expected in text, expected
    assert _page(pdfs, "ba-en") == pytest.approx(A4_PT, abs=1.0)
    office = load_office(REPO_INVENTORY)  # the office's own names stay as they are
    names = [office.agency.name, office.agency_full, office.signatories.kasi.position]
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "").replace(name.upper(), "")
    assert not foreign_words(text, "en"), foreign_words(text, "en")


def test_outcome_period_in_hours_and_days_with_its_dates(pdfs: Pdfs) -> None:
    """The outside look: the period after the change was hard to read; it is given in human
    units and between two WIB timestamps with their dates."""
    text = pdfs["report"][0]
    assert (
        "Periode sesudah perubahan: 3 hari 2 jam, 4 Maret 2026 09:18 WIB s.d. 7 Maret 2026 "
        "11:18 WIB." in text
    ), text[text.find("Periode sesudah") - 50 :][:300]
    document = docx.Document(pdfs["path:report"][0])
    rows = [[c.text for c in r.cells] for t in document.tables for r in t.rows]
    assert ["Uraian", "Unduh", "Unggah"] in rows  # a column per direction
    assert ["Batas (lama → baru)", "100 Mbps → 200 Mbps"] in [r[:2] for r in rows]
    assert ["p95 (sebelum → sesudah)", "95 Mbps → 150 Mbps"] in [r[:2] for r in rows]


def test_berita_acara_first_party_is_the_engineer_who_did_the_raise(pdfs: Pdfs) -> None:
    """SOP step 9 (actors 4 and 5): the Staf / Tim Data Center who did step 8's work signs as
    PIHAK PERTAMA, the requesting OPD as PIHAK KEDUA, the Kasi acknowledges. Before, PIHAK
    PERTAMA was the name typed at step 9 and the Pelaksana the raise's engineer: two people
    for the same act."""
    text = pdfs["ba-by"][0]
    first = re.search(r"PIHAK PERTAMA.*?Nama : (.+?) NIP : (.+?) Jabatan : (.+?) Nama : Rudi", text)
    assert first, text
    assert first.groups() == (
        "Dewi Lestari",
        "19930907 201902 2 005",  # from office.yaml's team, not the step-9 member's
        "Staf / Tim Data Center, Dinas Komunikasi dan Informatika Kota Batam",
    ), first.groups()
    assert "Budi Santoso" not in text and "19850101" not in text
    document = docx.Document(pdfs["path:ba-by"][0])
    rows = [[c.text for c in r.cells] for t in document.tables for r in t.rows]
    assert ["Pelaksana", ":", "Dewi Lestari"] in rows or ["Pelaksana", "Dewi Lestari"] in rows
    signatures = [c for r in rows for c in r if "PIHAK PERTAMA" in c]
    assert signatures and all("Dewi Lestari" in c for c in signatures), signatures
    assert "Mengetahui, Kepala Seksi Infrastruktur dan Teknologi Siti Rahmawati, S.Kom." in text


def test_an_engineer_not_in_the_team_has_no_placeholder_nip(pdfs: Pdfs) -> None:
    """Issue 11 (outside look, 2): PIHAK PERTAMA not in office.yaml's team is printed by name,
    with no NIP line of dots (``raise`` and ``inventory check`` warn about it instead)."""
    text = pdfs["ba-stranger"][0]
    first = text.split("PIHAK PERTAMA", 1)[1].split("Nama : Rudi Hartono", 1)[0]
    assert "Joko Susilo" in first and "NIP" not in first and "…" not in first, first


def test_the_report_flags_a_saturated_direction_not_requested(pdfs: Pdfs) -> None:
    """Issue 11 (outside look, 3): the upload at 99,5 % is not raised by a download request;
    the report's conclusion says so, as the reply letter does, not only "dapat dinaikkan"."""
    text = pdfs["report"][0]
    assert (
        "dapat dinaikkan; arah unggah jenuh (99,5 % pada persentil ke-95) dan tidak termasuk "
        "permohonan ini: kenaikannya perlu dimohonkan tersendiri"
    ) in text, text


def test_the_outcome_table_fits_a4_and_every_check_is_named(pdfs: Pdfs) -> None:
    """Issue 11 (outside look, 5): section 6's table breaks no word on A4 ("Utilisa si",
    "Bandwi dth"); the commit-confirm and save checks have a name and a detail in the
    document's language; the English diff summary is singular for one line."""
    text = pdfs["report"][0]
    section = text[text.find("Hasil Kenaikan") :].split("Periode sesudah")[0]
    words = set(section.split())  # a word broken by the cell's width is two tokens
    for whole in ("Utilisasi", "Bandwidth", "terpakai", "Waktu", "Batas", "(lama", "baru)",
                  "(sebelum", "sesudah)", "Rata-rata", "Unduh", "Unggah"):  # fmt: skip
        assert whole in words, section
    rows = docx_rows(Path(pdfs["path:report-none"][0]))
    checks = [r for r in rows if r[1:2] == ["berhasil"]]
    assert len(checks) == 6 and all(r[2] for r in checks), checks
    for name in ("Pemulihan otomatis tersedia", "Pemulihan otomatis dibatalkan setelah "
                 "konfirmasi", "Konfigurasi disimpan"):  # fmt: skip
        assert name in pdfs["report-none"][0], name
    assert "Pemeriksaan tambahan" not in pdfs["report-none"][0]
    english = pdfs["report-en"][0]
    assert "1 line added, 1 line removed" in english and "Additional check" not in english
    assert "Configuration saved" in english


def test_an_outcome_on_seconds_is_provisional_and_none_is_said_in_words(pdfs: Pdfs) -> None:
    """Issue 11 (outside look, 6): judged on 12 s after the raise, the report says the period is
    too short (with its length) and does not judge "new bandwidth used"; with no data after
    the change it says so in words, never with a shell command."""
    short = pdfs["report-12s"][0]
    assert "Periode sesudah perubahan (12 detik) terlalu singkat untuk menilai hasilnya" in short
    assert "sementara" in short and "belum dapat dinilai" in short, short
    none = pdfs["report-none"][0]
    assert "Hasil sesudah perubahan belum diukur." in none
    assert "Belum ada grafik pemakaian sesudah perubahan" in none  # only the before chart
    assert "bwauto" not in none.replace("bwauto)", "") and "jalankan" not in none, none


def docx_rows(path: Path) -> list[list[str]]:
    """Every table row's cell texts (merged cells once)."""
    rows = []
    for table in docx.Document(str(path)).tables:
        for row in table.rows:
            cells = [c.text for c in row.cells]
            rows.append([c for i, c in enumerate(cells) if i == 0 or c != cells[i - 1]])
    return rows
