"""The reply letter (SOP step 7) for real analyses: its reasons are plain sentences, per
direction, and every figure a reason quotes is one of the letter's own figures.

Each analysis is made by ``bwauto.analysis`` from samples of a constant rate (so its p95 is
known) and recorded as ``analyse --request`` records it; the letters are rendered to PDF by
LibreOffice in one call and read back with pdftotext; the DOCX gives the tables and the list
of reasons. (Outside look: one letter said the upload was at 98.8 % and also that the link
used 43.8 % of its bandwidth, and gave a generic "temuan lain".)
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
import numpy as np
import pytest
from case_inputs import Clock, walk_to_analysis
from language import foreign_words

from bwauto.analysis.analyse import analyse_samples
from bwauto.analysis.decision import Decision
from bwauto.analysis.model import LinkInfo, RaiseRequest, UpstreamInfo
from bwauto.analysis.tasks import _summary
from bwauto.analysis.window import Window
from bwauto.case.documents import write_document
from bwauto.case.errors import CaseError, StepOrderError
from bwauto.case.mutu_baku import WIB
from bwauto.case.register import Register
from bwauto.store import SampleArrays

REPO_INVENTORY = Path(__file__).resolve().parents[2] / "inventory"
M = 1_000_000
T0 = dt.datetime(2026, 2, 23, 0, 0, tzinfo=WIB).timestamp()
WEEK = 7 * 86_400.0
NEEDS = ("soffice", "pdftotext")
GENERIC = ("temuan lain", "another finding", "lihat laporannya", "see its report")

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in NEEDS),
    reason="needs LibreOffice (libreoffice-writer) and poppler-utils (.ci/install-test-deps)",
)


@dataclass(frozen=True)
class Scenario:
    """dinkes (50M up / 100M down) at constant rates, another link on its upstream."""

    name: str
    up_bps: float
    down_bps: float
    request_down: int
    request_up: int | None = None
    upstream_capacity: int = 1000 * M
    other_down_bps: float = 100 * M
    days: float = 7.0
    lang: str = "id"


SCENARIOS = {
    # a CAN analysis the team still refuses (with a note): the letter quotes the OK finding
    "can": Scenario("can", up_bps=20 * M, down_bps=80 * M, request_down=150 * M),
    # the download is saturated and raised, the upstream is full: no headroom at all
    "saturated-link": Scenario(
        "saturated-link",
        up_bps=20 * M,
        down_bps=98 * M,
        request_down=150 * M,
        upstream_capacity=250 * M,
        other_down_bps=170 * M,
    ),
    # the upstream has 22 Mbps left in the download, the raise needs 50
    "headroom": Scenario(
        "headroom",
        up_bps=20 * M,
        down_bps=98 * M,
        request_down=150 * M,
        upstream_capacity=300 * M,
        other_down_bps=180 * M,
    ),
    # the outside look's case: upload saturated (not requested), download underused (raised)
    "upload-saturated": Scenario(
        "upload-saturated", up_bps=49.4 * M, down_bps=43.8 * M, request_down=150 * M
    ),
    "upload-saturated-en": Scenario(
        "upload-saturated-en", up_bps=49.4 * M, down_bps=43.8 * M, request_down=150 * M, lang="en"
    ),
}


def _samples(up_bps: float, down_bps: float, days: float) -> SampleArrays:
    n = int(days * 86_400 / 300) + 1
    ts = T0 + WEEK - (n - 1) * 300.0 + 300.0 * np.arange(n)
    step = np.arange(n, dtype=np.uint64)
    return SampleArrays(ts, ts - ts[0] + 1000.0, step * np.uint64(up_bps * 300 / 8),
                        step * np.uint64(down_bps * 300 / 8),
                        np.full(n, 64, dtype=np.uint8))  # fmt: skip


def analysed(s: Scenario) -> tuple[dict[str, object], Decision]:
    """The step-6 summary as ``analyse --request`` records it, and the decision."""
    links = [
        LinkInfo("dinkes", 50 * M, 100 * M, "telkom-astinet", opd="Dinas Kesehatan",
                 router="edge-bc-01", interface="vlan110-dinkes"),
        LinkInfo("bpkad", 100 * M, 200 * M, "telkom-astinet", opd="BPKAD"),
    ]  # fmt: skip
    samples = {"dinkes": _samples(s.up_bps, s.down_bps, s.days),
               "bpkad": _samples(10 * M, s.other_down_bps, 7.0)}  # fmt: skip
    upstream = UpstreamInfo("telkom-astinet", s.upstream_capacity)
    request = RaiseRequest("dinkes", s.request_down, s.request_up)
    result = analyse_samples(samples, links, [upstream], Window(T0, T0 + WEEK), request,
                             select=["dinkes"])  # fmt: skip
    link = result.results[0]
    return _summary(link.row, link.decision, s.request_up), link.decision


def _register(tmp: Path, s: Scenario) -> tuple[Register, str]:
    clock = Clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=WIB))
    reg = Register(tmp / s.name / "register.sqlite", clock=clock, user="budi")
    case_id = reg.new(opd="Dinas Kesehatan", letter_no=f"045/DINKES/{len(s.name)}",
                      letter_date=dt.date(2026, 2, 27), link_id="dinkes",
                      rate_bps=s.request_down, rate_up_bps=s.request_up,
                      purpose="SIMRS dan telekonsultasi puskesmas")  # fmt: skip
    walk_to_analysis(reg, case_id)
    return reg, case_id


@dataclass
class Letter:
    scenario: Scenario
    summary: dict[str, object]
    decision: Decision
    pdf_text: str
    tables: dict[str, list[str]]
    reasons: list[str]
    body: str


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Letter]]:
    tmp = tmp_path_factory.mktemp("reply-letters")
    flat = tmp / "flat"
    flat.mkdir()
    made = {}
    for name, s in SCENARIOS.items():
        summary, decision = analysed(s)
        reg, case_id = _register(tmp, s)
        reg.attach_analysis(case_id, summary)
        note = "Anggaran upstream tahun ini sudah terpakai." if name == "can" else ""
        reg.decide(case_id, can=False, note=note)
        path = write_document(reg, case_id, "reply", tmp / name, lang=s.lang,
                              inventory_dir=REPO_INVENTORY)  # fmt: skip
        shutil.copy(path, flat / f"{name}.docx")
        made[name] = (s, summary, decision)
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/lo-profile",
         "--convert-to", "pdf", "--outdir", str(flat), *sorted(map(str, flat.glob("*.docx")))],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    out = {}
    for name, (s, summary, decision) in made.items():
        text = subprocess.run(["pdftotext", str(flat / f"{name}.pdf"), "-"], check=True,
                              capture_output=True, text=True).stdout  # fmt: skip
        document = docx.Document(str(flat / f"{name}.docx"))
        tables = {r.cells[0].text: [c.text for c in r.cells[1:]]
                  for t in document.tables for r in t.rows}  # fmt: skip
        reasons = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
        body = " ".join(p.text for p in document.paragraphs)
        out[name] = Letter(s, summary, decision, " ".join(text.split()), tables, reasons, body)
    yield out


def _id(value: float, decimals: int = 1) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


FIGURE = re.compile(r"(-?\d[\d.]*(?:,\d+)?) ?(%|Mbps)")


def _figures(text: str) -> set[tuple[float, str]]:
    """Every ``N %`` and ``N Mbps`` in ``text`` (Indonesian or English numbers)."""
    found = set()
    for number, unit in FIGURE.findall(text):
        value = number.replace(".", "").replace(",", ".") if "," in number else number
        found.add((round(float(value), 1), unit))
    return found


def _direction_cells(letter: Letter, label_id: str, label_en: str) -> tuple[str, str]:
    cells = letter.tables.get(label_id) or letter.tables[label_en]
    return cells[0], cells[1]


def test_each_figure_a_reason_quotes_is_one_of_the_letter_s_own(letters: dict[str, Letter]) -> None:
    settings_figures = {(50.0, "%"), (95.0, "%"), (70.0, "%")}  # the thresholds it names
    for name, letter in letters.items():
        own = set().union(*(_figures(" ".join(cells)) for cells in letter.tables.values()))
        own |= {(abs(v), unit) for v, unit in own}  # "-18 Mbps free": "exceeds by 18 Mbps"
        assert letter.reasons, name
        for reason in letter.reasons:
            quoted = _figures(reason)
            assert quoted, (name, reason)  # every reason gives its figures
            assert quoted <= own | settings_figures, (name, reason, quoted - own)
            assert not any(g in reason.lower() for g in GENERIC), (name, reason)
            assert " ".join(reason.split()) in letter.pdf_text, (name, reason)
        for code in ("UNDERUSED", "SATURATED", "UPSTREAM_HEADROOM", "OK:", "temuan lain"):
            assert code not in letter.pdf_text, (name, code)


def test_the_table_gives_each_direction_as_the_analysis_measured_it(
    letters: dict[str, Letter],
) -> None:
    for name, letter in letters.items():
        if letter.scenario.lang != "id":
            continue
        by = {d.direction: d for d in letter.decision.directions}
        down, up = by["download"], by["upload"]
        assert _direction_cells(letter, "Bandwidth saat ini", "") == ("100 Mbps", "50 Mbps")
        assert _direction_cells(letter, "Pemakaian persentil ke-95", "") == (
            f"{_id((down.p95_bps or 0) / M)} Mbps",
            f"{_id((up.p95_bps or 0) / M)} Mbps",
        )
        util = _direction_cells(letter, "Utilisasi persentil ke-95", "")
        for cell, d in zip(util, (down, up), strict=True):
            assert cell == f"{_id(d.utilisation_pct or 0)} %" + (" (jenuh)" if d.saturated else "")
        asked = _direction_cells(letter, "Bandwidth yang dimohonkan", "")
        assert asked == ("150 Mbps", "tidak diubah"), name
        free = _direction_cells(letter, "Sisa kapasitas upstream (persentil ke-95)", "")
        summary = letter.summary
        figures = [float(str(summary[f"upstream_free_{d}_mbps"])) for d in ("down", "up")]
        assert free == tuple(f"{_id(v)} Mbps" for v in figures), name


def test_saturated_upload_and_underused_download_are_told_apart(
    letters: dict[str, Letter],
) -> None:
    letter = letters["upload-saturated"]
    assert letter.decision.verdict is not None and letter.decision.verdict.value == "CANNOT"
    (under,) = [r for r in letter.reasons if "belum terpakai penuh" in r]
    (saturated,) = [r for r in letter.reasons if "jenuh" in r]
    assert "arah unduh memakai 43,8 % dari bandwidthnya saat ini sebesar 100 Mbps" in under
    assert "Arah unggah jenuh" in saturated and "49,4 Mbps" in saturated
    assert "98,8 %" in saturated and "50 Mbps" in saturated
    assert "Bandwidth unggah yang direkomendasikan 100 Mbps" in saturated
    assert "43,8 %" not in saturated and "98,8 %" not in under
    text = letter.pdf_text
    assert "apabila pemakaian arah unduh telah mendekati bandwidthnya saat ini" in text
    assert "dengan sekaligus memohon kenaikan arah unggah yang telah jenuh" in text
    assert "pemakaian link telah mendekati" not in text
    assert not foreign_words(text, "id"), foreign_words(text, "id")


def test_upstream_without_headroom_in_words_and_figures(letters: dict[str, Letter]) -> None:
    full, short = letters["saturated-link"], letters["headroom"]
    (reason,) = full.reasons
    assert reason == (
        "Upstream telkom-astinet tidak memiliki sisa kapasitas pada arah unduh: pemakaiannya "
        "pada persentil ke-95 melebihi kapasitasnya sebesar 18 Mbps, sedangkan kenaikan yang "
        "dimohonkan memerlukan 50 Mbps."
    )
    assert full.tables["Sisa kapasitas upstream (persentil ke-95)"][0] == "-18,0 Mbps"
    assert full.tables["Utilisasi persentil ke-95"][0] == "98,0 % (jenuh)"
    (reason,) = short.reasons
    assert "pada arah unduh hanya 22 Mbps" in reason and "memerlukan 50 Mbps" in reason
    for letter in (full, short):  # not "when the use approaches its bandwidth" at 98 %
        assert "mendekati" not in letter.pdf_text
        assert "setelah kapasitas upstream ditambah" in letter.pdf_text


def test_a_can_analysis_refused_by_the_team_says_what_the_analysis_allowed(
    letters: dict[str, Letter],
) -> None:
    letter = letters["can"]
    (reason,) = letter.reasons
    assert reason == ("Kelengkapan data, pemakaian dan kapasitas upstream memungkinkan bandwidth "
                      "yang dimohonkan sebesar 150 Mbps unduh.")  # fmt: skip
    assert "Anggaran upstream tahun ini sudah terpakai." in letter.pdf_text


def test_the_letter_in_english(letters: dict[str, Letter]) -> None:
    letter = letters["upload-saturated-en"]
    text = letter.pdf_text
    assert "The upload direction is saturated: at the 95th percentile it uses 49.4 Mbps" in text
    assert "the download direction uses 43.8 % of its current bandwidth of 100 Mbps" in text
    assert letter.tables["95th-percentile utilisation"] == ["43.8 %", "98.8 % (saturated)"]
    for word in ("Unduh", "Unggah", "jenuh", "arah"):
        assert word not in text, word


def test_not_enough_data_makes_no_letter(tmp_path: Path) -> None:
    s = Scenario("thin", up_bps=20 * M, down_bps=80 * M, request_down=150 * M, days=1.0)
    summary, decision = analysed(s)
    assert decision.verdict is not None and decision.verdict.value == "NOT ENOUGH DATA"
    reg, case_id = _register(tmp_path, s)
    reg.attach_analysis(case_id, summary)  # e.g. `request analysis --summary` of its CSV
    with pytest.raises(CaseError, match="NOT ENOUGH DATA"):
        reg.decide(case_id, can=False)
    with pytest.raises(StepOrderError):
        write_document(reg, case_id, "reply", tmp_path / "out", inventory_dir=REPO_INVENTORY)
    assert not list((tmp_path / "out").glob("*.docx")) if (tmp_path / "out").exists() else True
