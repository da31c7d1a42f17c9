"""What the Kasi reads from step 6: the XLSX workbook and the charts, in one language."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import replace
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pytest
from language import foreign_words
from openpyxl import load_workbook
from test_report import ROW

from bwauto.analysis.chart import build_figure
from bwauto.analysis.counters import Intervals
from bwauto.analysis.model import LinkInfo
from bwauto.analysis.report import COLUMNS
from bwauto.analysis.xlsx import XLSX_COLUMNS, write_xlsx
from bwauto.cli.app import main
from bwauto.store import SampleArrays, SampleStore
from bwauto.store.samples import store_path

ASKED = replace(ROW, reason="UPSTREAM_HEADROOM: upstream telkom has 12.5 Mbps free (download, "
                "at p95), the raise needs 50 Mbps")  # fmt: skip
OTHER = replace(ROW, link_id="bpkad", upstream="icon-plus", p95_utilisation_pct=42.0,
                requested_mbps=None, decision=None, reason="")  # fmt: skip
WHEN = dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC)


def _cells(ws: object) -> str:
    return " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)  # type: ignore[attr-defined]


def test_xlsx_is_a_workbook_a_kasi_can_read_and_print(tmp_path: Path) -> None:
    agency = "Dinas Komunikasi dan Informatika Kota Batam"
    path = write_xlsx([ASKED, OTHER], tmp_path / "r.xlsx", lang="id", agency=agency, generated=WHEN)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Semua link", "icon-plus", "telkom", "Keterangan"]
    ws = wb["Semua link"]
    assert ws["A1"].value == "Analisa Pemakaian Bandwidth (SOP langkah 6)"
    assert ws["A2"].value == "Dinas Komunikasi dan Informatika Kota Batam"
    assert ws["A3"].value == "Periode: 2024-05-01 00:00 s.d. 2024-05-08 00:00 WIB"
    assert ws["A4"].value == "Dibuat: 2026-11-30 16:15 WIB"
    headers = [c.value for c in ws[6]]
    assert "Unduh p95 (Mbps)" in headers and "Unggah p95 (Mbps)" in headers
    assert "Utilisasi p95 (%)" in headers and "Akhir periode (WIB)" in headers
    assert not any("_" in h for h in headers), headers  # no snake_case machine names
    last = ws.cell(row=6, column=len(XLSX_COLUMNS)).column_letter
    assert ws.freeze_panes == "B7" and ws.auto_filter.ref == f"A6:{last}8"
    setup = ws.page_setup
    assert setup.orientation == "landscape" and int(setup.paperSize) == 9  # A4
    assert setup.fitToWidth == 1 and setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$6:$6"
    rules = [(str(cf.sqref), r) for cf in ws.conditional_formatting for r in cf.rules]
    letters = [
        ws.cell(row=6, column=XLSX_COLUMNS.index(c) + 1).column_letter
        for c in ("down_utilisation_pct", "up_utilisation_pct", "p95_utilisation_pct")
    ]
    assert sorted((ref, r.operator, r.formula) for ref, r in rules) == [
        (f"{letter}7:{letter}8", "greaterThanOrEqual", ["80"]) for letter in letters
    ]
    data = {h: c for h, c in zip(XLSX_COLUMNS, ws[7], strict=True)}
    assert data["in_p95_mbps"].value == pytest.approx(38.12345)
    assert data["window_start"].value == dt.datetime(2024, 5, 1, 0, 0)
    assert data["decision"].value == "TIDAK DAPAT dinaikkan"
    assert "12,5 Mbps" in data["reason"].value and "UPSTREAM_HEADROOM" not in data["reason"].value
    assert [r[0].value for r in wb["telkom"].iter_rows(min_row=7)] == ["dinkes"]
    notes = _cells(wb["Keterangan"])
    assert "in_p95_mbps" in notes and "Persentil ke-95 pemakaian unggah" in notes
    assert "Aturan keputusan" in notes and "Unggah = trafik dari OPD ke internet" in notes
    for sheet in wb.worksheets:
        text = " ".join(w for w in _cells(sheet).split() if w not in COLUMNS)  # CSV names
        assert not foreign_words(text, "id"), (sheet.title, foreign_words(text, "id"))


def test_xlsx_in_english_when_asked(tmp_path: Path) -> None:
    wb = load_workbook(write_xlsx([ROW], tmp_path / "r.xlsx", lang="en", generated=WHEN))
    assert wb.sheetnames == ["All links", "telkom", "Notes"]
    assert "Download p95 (Mbps)" in [c.value for c in wb["All links"][6]]


def _intervals(start: dt.datetime, hours: int) -> Intervals:
    t0 = start.timestamp()
    edges = t0 + np.arange(hours * 12 + 1) * 300.0
    n = len(edges) - 1
    rate = 40e6 + 10e6 * np.sin(np.arange(n) / 20.0)
    zeros = np.zeros(n, np.uint64)
    flags = np.zeros(n, np.uint8)
    seconds = np.full(n, 300.0)
    return Intervals(edges[:-1], edges[1:], seconds, zeros, zeros, flags, flags, rate / 2, rate,
                     seconds, edges, rate / 2 * 300.0, rate * 300.0)  # fmt: skip


def _texts(lang: str) -> tuple[list[tuple[str, dt.datetime]], list[str], str]:
    """Tick labels with their positions (WIB), legend and offset text of a chart whose window
    ends in the evening of 30 November (the demo's): the axis margin reaches 1 December."""
    wib = dt.timezone(dt.timedelta(hours=7))
    start = dt.datetime(2026, 11, 23, 18, 42, tzinfo=wib)
    link = LinkInfo("dinkes", 50_000_000, 100_000_000, "telkom", opd="Dinas Kesehatan")
    row = replace(ROW, window_start=start.isoformat(),
                  window_end=(start + dt.timedelta(days=7)).isoformat())  # fmt: skip
    fig = build_figure(link, _intervals(start, 7 * 24), row, lang)
    fig.canvas.draw()
    ax = fig.axes[0]
    ticks = [
        (t.get_text(), mdates.num2date(t.get_position()[0]).astimezone(wib))
        for t in ax.get_xticklabels()
        if t.get_text()
    ]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    return ticks, legend, ax.get_xaxis().get_offset_text().get_text()


def test_chart_dates_requested_rate_and_legend_in_indonesian() -> None:
    ticks, legend, offset = _texts("id")
    months = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
    assert len(ticks) >= 5 and offset == ""  # no "2026-Dec" standing under November days
    for label, when in ticks:  # every tick names its own day, month and time, in WIB
        assert label == f"{when.day} {months[when.month - 1]}\n{when:%H:%M}", (label, when)
    assert [w.day for _l, w in ticks if w.month == 11][:1] == [24]
    assert "Dimohonkan (unduh) 150 Mbps" in legend, legend
    assert "Unduh" in legend and "Unggah" in legend
    assert not foreign_words(" ".join(legend), "id"), legend


def test_chart_in_english_when_asked() -> None:
    _ticks, legend, _offset = _texts("en")
    assert "Requested download 150 Mbps" in legend and "Download" in legend


REPO_INVENTORY = Path(__file__).resolve().parents[2] / "inventory"
WIB_TZ = dt.timezone(dt.timedelta(hours=7))


def _constant(t0: float, days: float, up_bps: float, down_bps: float) -> SampleArrays:
    n = int(days * 86_400 / 300) + 1
    ts = t0 + 300.0 * np.arange(n)
    step = np.arange(n, dtype=np.uint64)
    return SampleArrays(ts, ts - t0 + 1000.0, step * np.uint64(up_bps * 300 / 8),
                        step * np.uint64(down_bps * 300 / 8), np.full(n, 64, np.uint8))  # fmt: skip


def test_cli_xlsx_gives_each_direction_and_the_csv_keeps_its_columns(tmp_path: Path) -> None:
    """The outside look: the XLSX had only the download. dinkes (50M up / 100M down) with its
    upload saturated (49.4 Mbps) and its download at 43.8 Mbps, asked 150M download."""
    state, out = tmp_path / "state", tmp_path / "out"
    start = dt.datetime(2026, 11, 23, tzinfo=WIB_TZ)
    with SampleStore(store_path(state), create=True) as store:
        store.append_arrays({"dinkes": _constant(start.timestamp(), 7, 49.4e6, 43.8e6),
                             "bpkad": _constant(start.timestamp(), 7, 10e6, 60e6)})  # fmt: skip
    code = main(["--inventory", str(REPO_INVENTORY), "--state-dir", str(state), "analyse",
                 "--link", "dinkes", "--since", start.isoformat(),
                 "--until", (start + dt.timedelta(days=7)).isoformat(),
                 "--request-rate", "150M", "--xlsx", str(out / "r.xlsx"),
                 "--csv", str(out / "r.csv")])  # fmt: skip
    assert code == 0
    with (out / "r.csv").open(newline="") as fh:
        assert tuple(next(csv.reader(fh))) == COLUMNS  # the machine columns, unchanged
    book = load_workbook(out / "r.xlsx")
    assert book.sheetnames == ["Semua link", "telkom-astinet", "Keterangan"]
    for name in ("Semua link", "telkom-astinet"):
        ws = book[name]
        row = {h.value: c.value for h, c in zip(ws[6], ws[7], strict=True)}
        assert row["Link"] == "dinkes"
        assert row["Bandwidth saat ini (unduh) (Mbps)"] == 100
        assert row["Bandwidth saat ini (unggah) (Mbps)"] == 50
        assert row["Utilisasi unduh p95 (%)"] == pytest.approx(43.8)
        assert row["Utilisasi unggah p95 (%)"] == pytest.approx(98.8)
        assert row["Unggah jenuh"] == "JENUH" and row["Unduh jenuh"] in ("", None)
        assert row["Dimohonkan (unduh) (Mbps)"] == 150 and row["Dimohonkan (unggah) (Mbps)"] is None
        assert row["Rekomendasi (unduh) (Mbps)"] == 100
        assert row["Rekomendasi (unggah) (Mbps)"] == 100
        assert row["Sisa upstream (unduh) (Mbps)"] is not None
        assert row["Sisa upstream (unggah) (Mbps)"] is not None
        assert row["Keputusan"] == "TIDAK DAPAT dinaikkan"
        reasons = row["Alasan"]
        assert "arah unduh memakai 43,8 %" in reasons and "Arah unggah jenuh" in reasons
        assert "Another" not in reasons and "temuan lain" not in reasons
        assert ws.auto_filter.ref.endswith(f"{ws.cell(row=6, column=len(row)).column_letter}7")
        coloured = {str(cf.sqref)[:2].rstrip("0123456789") for cf in ws.conditional_formatting}
        assert len(coloured) == 3  # each direction's utilisation and the larger one
    notes = book["Keterangan"]
    explained = {r[0].value: (r[1].value, r[2].value) for r in notes.iter_rows(min_row=2)}
    assert explained["Utilisasi unggah p95 (%)"] == (
        "(tidak ada di CSV)",
        "Unggah p95 / bandwidth unggah saat ini.",
    )
    assert explained["Unggah jenuh"][1].startswith("JENUH bila unggah p95 mencapai 95 %")
    assert explained["Bandwidth saat ini (unggah) (Mbps)"][0] == "(tidak ada di CSV)"
    assert explained["Unduh p95 (Mbps)"][0] == "out_p95_mbps"
    rule = " ".join(str(r[0].value) for r in notes.iter_rows() if r[0].value)
    assert "Setiap arah dinilai sendiri" in rule and "DATA BELUM CUKUP" in rule
    for sheet in book.worksheets:
        text = " ".join(w for w in _cells(sheet).split() if w not in COLUMNS)
        assert not foreign_words(text, "id"), (sheet.title, foreign_words(text, "id"))
