"""The report: exact CSV columns and values, the Excel-Indonesia CSV, XLSX, PNG, terminal."""

from __future__ import annotations

import csv
import io
import os
import struct
from dataclasses import replace
from pathlib import Path

import pytest
from known_history import History
from rich.console import Console

from bwauto.analysis.analyse import analyse, write_charts
from bwauto.analysis.model import RaiseRequest
from bwauto.analysis.report import (
    COLUMNS,
    ReportRow,
    format_cell,
    render_csv,
    report_table,
    write_csv,
)

EXPECTED_COLUMNS = [
    "link_id",
    "opd",
    "router",
    "interface",
    "upstream",
    "committed_mbps",
    "window_start",
    "window_end",
    "samples",
    "invalid_intervals",
    "coverage_pct",
    "in_mean_mbps",
    "in_p95_mbps",
    "in_max_mbps",
    "out_mean_mbps",
    "out_p95_mbps",
    "out_max_mbps",
    "p95_utilisation_pct",
    "upstream_capacity_mbps",
    "upstream_free_mbps",
    "requested_mbps",
    "decision",
    "recommended_mbps",
    "reason",
    "source",  # issue 14: trailing, so older readers of the first columns are unaffected
    "resolution_s",
]

ROW = ReportRow(
    link_id="dinkes",
    opd="Dinas Kesehatan; Kota Batam",
    router="edge-bc-01",
    interface="vlan110-dinkes",
    upstream="telkom",
    committed_mbps=100.0,
    window_start="2024-05-01T00:00:00+07:00",
    window_end="2024-05-08T00:00:00+07:00",
    samples=2010,
    invalid_intervals=3,
    coverage_pct=99.702380952,
    in_mean_mbps=21.0,
    in_p95_mbps=38.12345,
    in_max_mbps=40.0,
    out_mean_mbps=52.5,
    out_p95_mbps=95.0,
    out_max_mbps=100.0,
    p95_utilisation_pct=95.0,
    upstream_capacity_mbps=1000.0,
    upstream_free_mbps=-12.5,
    requested_mbps=150.0,
    decision="CANNOT",
    recommended_mbps=150.0,
    reason="UPSTREAM_HEADROOM: upstream telkom has 12.5 Mbps free; UNDERUSED: x",
)
NO_REQUEST = replace(ROW, link_id="bpkad", requested_mbps=None, decision=None, reason="")


def test_columns_are_exactly_these_in_this_order() -> None:
    assert list(COLUMNS) == EXPECTED_COLUMNS


def test_dot_csv_values() -> None:
    text = render_csv([ROW, NO_REQUEST])
    assert text.splitlines()[0] == ",".join(EXPECTED_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0] == {
        "link_id": "dinkes",
        "opd": "Dinas Kesehatan; Kota Batam",
        "router": "edge-bc-01",
        "interface": "vlan110-dinkes",
        "upstream": "telkom",
        "committed_mbps": "100",
        "window_start": "2024-05-01T00:00:00+07:00",
        "window_end": "2024-05-08T00:00:00+07:00",
        "samples": "2010",
        "invalid_intervals": "3",
        "coverage_pct": "99.7",
        "in_mean_mbps": "21",
        "in_p95_mbps": "38.123",
        "in_max_mbps": "40",
        "out_mean_mbps": "52.5",
        "out_p95_mbps": "95",
        "out_max_mbps": "100",
        "p95_utilisation_pct": "95",
        "upstream_capacity_mbps": "1000",
        "upstream_free_mbps": "-12.5",
        "requested_mbps": "150",
        "decision": "CANNOT",
        "recommended_mbps": "150",
        "reason": "UPSTREAM_HEADROOM: upstream telkom has 12.5 Mbps free; UNDERUSED: x",
        "source": "",
        "resolution_s": "",
    }
    assert (rows[1]["requested_mbps"], rows[1]["decision"], rows[1]["reason"]) == ("", "", "")
    assert "\r" not in text


def test_excel_indonesia_csv(tmp_path: Path) -> None:
    path = write_csv([ROW, NO_REQUEST], tmp_path / "report-id.csv", dialect="excel-id")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    text = raw[3:].decode("utf-8")
    assert text.split("\r\n")[0] == ";".join(EXPECTED_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0]["coverage_pct"] == "99,7"
    assert rows[0]["in_p95_mbps"] == "38,123"
    assert rows[0]["out_mean_mbps"] == "52,5"
    assert rows[0]["upstream_free_mbps"] == "-12,5"
    assert rows[0]["samples"] == "2010" and rows[0]["committed_mbps"] == "100"
    assert rows[0]["opd"] == "Dinas Kesehatan; Kota Batam"  # quoted: it holds the separator
    assert '"Dinas Kesehatan; Kota Batam"' in text
    assert rows[0]["window_start"] == "2024-05-01T00:00:00+07:00"
    assert text.endswith("\r\n")


def test_dot_csv_file_has_no_bom(tmp_path: Path) -> None:
    path = write_csv([ROW], tmp_path / "report.csv")
    assert path.read_bytes().startswith(b"link_id,opd,")


def test_csv_is_written_atomically_over_an_old_file(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("old")
    write_csv([ROW], path)
    assert path.read_text().startswith("link_id,")
    assert os.listdir(tmp_path) == ["report.csv"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("value", "decimals", "dot", "comma"),
    [
        (None, 3, "", ""),
        (0.0, 3, "0", "0"),
        (-0.0004, 3, "0", "0"),
        (1234567.891, 3, "1234567.891", "1234567,891"),
        (83.33333, 2, "83.33", "83,33"),
        (7, 3, "7", "7"),
        ("a.b", 3, "a.b", "a.b"),
    ],
)
def test_format_cell(value: float | str | None, decimals: int, dot: str, comma: str) -> None:
    assert format_cell(value, decimals) == dot
    assert format_cell(value, decimals, "excel-id") == comma


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_a_png_per_link(history: History, tmp_path: Path) -> None:
    result = analyse(
        history.store, history.links, history.upstreams, history.window,
        RaiseRequest("dinkes", 150_000_000),
    )  # fmt: skip
    paths = write_charts(history.store, result, tmp_path / "charts")
    assert [p.name for p in paths] == ["dinkes.png", "bpkad.png"]
    for path in paths:
        assert png_size(path) == (1100, 450)
        assert 20_000 < path.stat().st_size < 1_000_000


def test_terminal_table(history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BWAUTO_LANG", "en")  # the table speaks the chosen language
    rows = analyse(
        history.store, history.links, history.upstreams, history.window,
        RaiseRequest("dinkes", 150_000_000),
    ).rows  # fmt: skip
    console = Console(record=True, width=200, color_system=None)
    console.print(report_table(rows, title="step 6"))
    text = console.export_text()
    assert "step 6" in text
    assert "dinkes" in text and "CAN" in text and "95 M" in text and "83.3%" in text
    assert "bpkad" in text and "underused" in text
