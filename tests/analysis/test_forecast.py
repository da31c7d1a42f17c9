"""The saturation forecast (issue 15): the robust trend, the crossing dates against a history of
known linear growth, the upstream aggregate, the outputs and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from openpyxl import load_workbook

from bwauto.analysis.availability import bin_edges, binned_rates_by_direction
from bwauto.analysis.counters import intervals_of
from bwauto.analysis.forecast import (
    UpstreamSum,
    crossing,
    daily_p95,
    day_of,
    forecast_series,
    theil_sen,
)
from bwauto.analysis.window import Window
from bwauto.cli.app import main
from bwauto.inventory.loader import load_inventory
from bwauto.lab.snmp.traffic import CounterSeries, link_history
from bwauto.lab.specs import LabSecrets, router_specs
from bwauto.store.samples import SampleArrays
from tests.conftest import SAMPLE_INVENTORY
from tests.language import foreign_words

LEVEL, PER_WEEK, DAYS = 0.15, 0.02, 105
"""The generated history: demand from 15 % of the lab model's, +2 % of it per week, 105 days."""
UNTIL = "2026-11-27T17:00:00+07:00"
"""The history ends, and the forecast is made, on a fixed Friday evening: a repeatable run."""
THRESHOLD = 0.5


# -- the trend -----------------------------------------------------------------------------


def test_theil_sen_ignores_outliers_that_tilt_least_squares() -> None:
    rng = np.random.default_rng(7)
    days = np.arange(60.0)
    p95 = 40e6 + 0.5e6 * days + rng.normal(0, 1e6, days.size)
    p95[50:55] = 5e6  # a holiday week near the end, far below the trend
    trend = theil_sen(days, p95)
    assert trend.slope == pytest.approx(0.5e6, rel=0.05)
    assert trend.slope_lo < 0.5e6 < trend.slope_hi
    least_squares = np.polyfit(days, p95, 1)[0]
    assert abs(least_squares - 0.5e6) > abs(trend.slope - 0.5e6)


def test_crossing_statuses() -> None:
    days = np.arange(30.0)
    rising = theil_sen(days, 50e6 + 1e6 * days)
    assert crossing(rising, 60e6, today=29.0, horizon_days=90).status == "already"
    assert crossing(rising, 100e6, today=29.0, horizon_days=90).day == pytest.approx(50.0)
    assert crossing(rising, 500e6, today=29.0, horizon_days=90).status == "not-within-horizon"
    flat = theil_sen(days, np.full(30, 50e6))
    assert crossing(flat, 80e6, today=29.0, horizon_days=3650).status == "not-within-horizon"


def test_too_little_history_is_refused_with_the_reason() -> None:
    daily = daily_p95(np.arange(0.0, 5 * 86400, 300.0), np.full(5 * 288, 1e6), 300.0)
    row = forecast_series("link", "x", "down", daily, 8e6, today=5.0, horizon_days=90, min_days=14)
    assert row.trend is None and row.crossing is None
    assert "a forecast needs at least 14" in row.refused


def test_weekends_and_thin_days_are_left_out() -> None:
    starts = np.arange(0.0, 7 * 86400, 3600.0) - 7 * 3600  # Thursday 00:00 WIB, a week
    rates = np.ones(starts.size)
    rates[24:36] = np.nan  # Friday: half measured, kept; Saturday, Sunday: weekend
    rates[4 * 24 : 4 * 24 + 13] = np.nan  # Monday: 11 of 24 bins, too thin
    assert daily_p95(starts, rates, 3600.0).day.tolist() == [0, 1, 5, 6]


# -- against a history of known growth -----------------------------------------------------


def _arrays(series: CounterSeries) -> SampleArrays:
    ts = series.ts
    return SampleArrays(
        ts, ts - ts[0], series.in_octets.astype(np.uint64), series.out_octets.astype(np.uint64),
        np.full(ts.size, 64, np.uint8),
    )  # fmt: skip


def _weekday_p95(arrays: SampleArrays, edges: npt.NDArray[np.float64]) -> dict[str, float]:
    """Median weekday p95 per IF-MIB direction of a series (the trend's level 1)."""
    iv = intervals_of(arrays, speed_bps=None, poll_interval_s=300)
    rates = binned_rates_by_direction(iv, edges)
    return {d: float(np.median(daily_p95(edges[:-1], r, 300.0).p95_bps)) for d, r in rates.items()}


def _true_day(start: float, level_one_p95: float, limit: float) -> float:
    """When the known trend ``LEVEL + PER_WEEK x weeks`` takes the p95 to ``limit``."""
    weeks = (limit / level_one_p95 - LEVEL) / PER_WEEK
    return day_of(start + weeks * 7 * 86400)


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The sample inventory (icon-plus shrunk to cross within the horizon), a generated
    history with known linear growth imported into a store, and each subject's true crossing
    day: where the known trend takes the model's weekday p95 to the limit. The thresholds are
    low enough that the lab's shapers (which clip bursts) hardly bend the trend."""
    tmp = tmp_path_factory.mktemp("grown")
    inv_dir = tmp / "inventory"
    shutil.copytree(SAMPLE_INVENTORY, inv_dir)
    state = tmp / "state"
    history = tmp / "history.csv"
    base = ["--inventory", str(inv_dir), "--state-dir", str(state)]
    assert main([*base, "lab", "history", "--out", str(history), "--days", str(DAYS),
                 "--growth", f"{PER_WEEK:.0%}", "--start-level", f"{LEVEL:.0%}",
                 "--until", UNTIL]) == 0  # fmt: skip
    with history.open() as fh:
        rows = csv.reader(fh)
        next(rows)
        start = dt.datetime.fromisoformat(next(rows)[0]).timestamp()
    end = start + DAYS * 86400
    edges = bin_edges(Window(start, end), 300.0)
    inventory = load_inventory(inv_dir)
    truth: dict[tuple[str, str], float] = {}
    icon = UpstreamSum(edges.size - 1, ("in", "out"))
    for spec in router_specs(inventory, LabSecrets.generate()):
        for link in spec.links:  # the model's own demand, no shaper: the trend's level 1
            arrays = _arrays(link_history(link, spec.seed, start, end, 300.0, (1e15, 1e15)))
            p95 = _weekday_p95(arrays, edges)
            committed = {"in": link.committed_up_bps, "out": link.committed_down_bps}
            for d, name in (("in", "up"), ("out", "down")):
                truth[(link.link_id, name)] = _true_day(start, p95[d], THRESHOLD * committed[d])
            if inventory.links[link.link_id].upstream == "icon-plus":
                iv = intervals_of(arrays, speed_bps=None, poll_interval_s=300)
                icon.add(binned_rates_by_direction(iv, edges))
    agg = float(np.median(daily_p95(edges[:-1], icon.result("out"), 300.0).p95_bps))
    capacity = round(agg * (LEVEL + PER_WEEK * (DAYS / 7 + 3)))  # 3 weeks after the end
    text = (inv_dir / "links.yaml").read_text()
    text = text.replace("capacity: 500M\n    max_oversubscription: 1.2",
                        f"capacity: {capacity}\n    max_oversubscription: 10")  # fmt: skip
    (inv_dir / "links.yaml").write_text(text)
    truth[("icon-plus", "down")] = _true_day(start, agg, capacity)
    assert main([*base, "samples", "import", str(history)]) == 0
    return {"base": base, "truth": truth, "today": day_of(end), "tmp": tmp}


def test_crossing_dates_within_ten_percent_of_the_true_ones(
    grown: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    base, truth, today = grown["base"], grown["truth"], grown["today"]
    assert isinstance(base, list) and isinstance(truth, dict) and isinstance(today, float)
    capsys.readouterr()
    assert (
        main([*base, "forecast", "--all", "--horizon", "150d", "--threshold", "50%", "--json"]) == 0
    )
    rows = {(r["subject"], r["direction"]): r for r in json.loads(capsys.readouterr().out)}
    checked = 0
    for (subject, direction), true_day in truth.items():
        row = rows[(subject, direction)]
        if true_day < today - 7:  # crossed well before the end of the history
            assert row["status"] == "already", (subject, direction, row)
        elif true_day > today + 170:  # well beyond the 150-day horizon
            assert row["status"] == "not-within-horizon", (subject, direction, row)
        elif today + 7 <= true_day <= today + 140:
            assert row["status"] == "date", (subject, direction, row)
            midnight = dt.datetime.fromisoformat(row["crossing_date"] + "T00:00+07:00")
            predicted = day_of(midnight.timestamp()) + 0.5  # the date holds the crossing
            assert abs(predicted - true_day) <= 0.1 * (true_day - today) + 0.5, (subject, row)
            checked += 1
    assert checked >= 3
    assert rows[("icon-plus", "down")]["status"] == "date"


def test_flat_history_is_not_within_the_horizon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--inventory", str(SAMPLE_INVENTORY), "--state-dir", str(tmp_path)]
    history = tmp_path / "flat.csv"
    assert main([*base, "lab", "history", "--out", str(history), "--days", "30",
                 "--start-level", "40%"]) == 0  # fmt: skip
    assert main([*base, "samples", "import", str(history)]) == 0
    capsys.readouterr()
    assert main([*base, "forecast", "--link", "dinkes", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    link_rows = [r for r in rows if r["kind"] == "link"]
    assert {r["status"] for r in link_rows} == {"not-within-horizon"}
    assert all(abs(r["slope_bps_per_day"]) < 0.01 * r["limit_bps"] for r in link_rows)


def test_outputs_csv_xlsx_charts_and_table(
    grown: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    base, tmp = grown["base"], grown["tmp"]
    assert isinstance(base, list) and isinstance(tmp, Path)
    out = tmp / "out"
    assert main([*base, "forecast", "--opd", "Dinas Kesehatan", "--csv", str(out / "f.csv"),
                 "--xlsx", str(out / "f.xlsx"), "--chart", str(out / "charts")]) == 0  # fmt: skip
    table = capsys.readouterr().out
    assert "Prakiraan saturasi" in table and "dinkes" in table and "telkom-astinet" in table
    with (out / "f.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["subject"], r["direction"]) for r in rows] == [
        ("dinkes", "up"),
        ("dinkes", "down"),
        ("telkom-astinet", "up"),
        ("telkom-astinet", "down"),
    ]
    sheet = load_workbook(out / "f.xlsx")["Prakiraan"]
    assert sheet["A4"].value == "Jenis" and sheet.freeze_panes == "A5"
    assert "Batas: 80% dari bandwidth terpasang" in sheet["A2"].value
    assert isinstance(sheet["D5"].value, (int, float)) and isinstance(sheet["E5"].value, int)
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert not foreign_words(cells, "id") and not foreign_words(table, "id")
    assert {c.value for c in sheet["B"][4:]} == {"dinkes", "telkom-astinet"}
    pngs = sorted(p.name for p in (out / "charts").glob("*.png"))
    assert pngs == ["dinkes.forecast.png", "telkom-astinet.forecast.png"]
    assert main(["--lang", "en", *base, "forecast", "--link", "dinkes"]) == 0
    english = capsys.readouterr().out
    assert "Saturation forecast" in english and not foreign_words(english, "en")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--horizon", "0d"], "--horizon '0d': give a positive span"),
        (["--horizon", "-5d"], "--horizon '-5d': give a positive span"),
        (["--link", "nope"], "link 'nope' tidak dikenal"),
        (["--threshold", "lots"], "--threshold 'lots'"),
        (["--min-days", "1"], "a trend needs at least 2 days"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    grown: dict[str, object], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    base = grown["base"]
    assert isinstance(base, list)
    capsys.readouterr()
    assert main([*base, "forecast", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_too_little_history_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--inventory", str(SAMPLE_INVENTORY), "--state-dir", str(tmp_path)]
    history = tmp_path / "short.csv"
    assert main([*base, "lab", "history", "--out", str(history), "--days", "5"]) == 0
    assert main([*base, "samples", "import", str(history)]) == 0
    capsys.readouterr()
    assert main([*base, "forecast", "--link", "rsud"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "a forecast needs at least 14" in err
    assert "rsud" in err and "samples import" in err
