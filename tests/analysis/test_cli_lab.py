"""``bwauto poll``, ``samples import`` and ``analyse`` from the shell, against the lab."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bwauto.analysis.report import COLUMNS  # the column list, asserted in test_report
from bwauto.analysis.xlsx import XLSX_COLUMNS
from bwauto.cli.app import main
from bwauto.lab.runner import Lab
from bwauto.lab.testing import saturate


def bw(lab: Lab, *args: str) -> int:
    return main(["--inventory", str(lab.inventory_dir), "--state-dir", str(lab.dir.parent), *args])


def test_poll_recovers_every_links_configured_rate(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    for router in fresh_lab.routers.values():
        for link in router.spec.links:
            saturate(fresh_lab, router.spec.name, link.link_id)
    assert bw(fresh_lab, "poll", "--all", "--count", "2", "--interval", "3") == 0
    capsys.readouterr()
    assert bw(fresh_lab, "analyse", "--all", "--since", "1h", "--json") == 0
    rows = {r["link_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert len(rows) == 10
    for router in fresh_lab.routers.values():
        for link in router.spec.links:
            row = rows[link.link_id]
            assert row["samples"] == 1, row
            assert row["out_mean_mbps"] == pytest.approx(link.committed_down_bps / 1e6, rel=0.02)
            if router.spec.platform == "mikrotik_routeros" or link.shaper_in:  # upload capped
                assert row["in_mean_mbps"] == pytest.approx(link.committed_up_bps / 1e6, rel=0.02)


def test_a_silent_router_fails_alone(fresh_lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    fresh_lab.fault("edge-sk-01", "snmp-timeout")
    assert bw(fresh_lab, "poll", "--all") == 1
    out = capsys.readouterr()
    assert "edge-sk-01 (127.0.0.1:" in out.err and "tidak ada jawaban SNMP" in out.err
    assert "8 link di-poll" in out.out


def test_import_then_report_in_every_format(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"

    def run(*args: str) -> int:
        return main(["--inventory", str(lab.inventory_dir), "--state-dir", str(state), *args])

    history = tmp_path / "history.csv"
    assert run("lab", "history", "--out", str(history), "--days", "2") == 0
    assert run("samples", "import", str(history)) == 0
    assert run("samples", "import", str(history)) == 0
    assert "0 sampel baru diimpor (sudah diimpor sebelumnya)" in capsys.readouterr().out
    out = tmp_path / "out"
    assert run("analyse", "--since", "2d", "--csv", str(out / "r.csv"), "--xlsx",
               str(out / "r.xlsx"), "--chart", str(out / "charts")) == 0  # fmt: skip
    with (out / "r.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 10
    assert all(float(r["coverage_pct"]) > 95 for r in rows)
    assert all(r["decision"] == "" and r["requested_mbps"] == "" for r in rows)
    book = load_workbook(out / "r.xlsx")
    sheet = book["Semua link"]  # Indonesian by default; the machine names are in Keterangan
    assert "Unduh p95 (Mbps)" in [c.value for c in sheet[6]] and sheet.max_row == 6 + 10
    named = [r[1].value for r in book["Keterangan"].iter_rows(min_row=2)][: len(XLSX_COLUMNS)]
    assert named == [c if c in COLUMNS else "(tidak ada di CSV)" for c in XLSX_COLUMNS]
    pngs = sorted((out / "charts").glob("*.png"))
    assert len(pngs) == 10 and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert run("analyse", "--link", "rsud", "--since", "3d", "--csv", str(out / "id.csv"),
               "--excel-id", "--request-rate", "300M") == 0  # fmt: skip
    raw = (out / "id.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw
    row = raw.decode("utf-8-sig").splitlines()[1].split(";")
    assert row[0] == "rsud" and row[COLUMNS.index("requested_mbps")] == "300"
    assert (
        row[COLUMNS.index("decision")] in ("CAN", "CANNOT", "NOT ENOUGH DATA")
        and "," in row[COLUMNS.index("coverage_pct")]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyse", "--link", "nope"], "link 'nope' tidak dikenal"),
        (["analyse", "--all"], "belum ada: poll link-link atau impor riwayatnya lebih dulu"),
        (["analyse", "--link", "rsud", "--link", "dinkes", "--request-rate", "1G"],
         "--request-rate memerlukan tepat satu link"),
        (["analyse", "--since", "yesterday-ish"], "--since"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = main(["--inventory", str(lab.inventory_dir), "--state-dir", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
