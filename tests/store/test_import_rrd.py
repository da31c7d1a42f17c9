"""``samples import --from rrd``: RRD files made with Debian's ``rrdtool`` from known rates.

A Cacti-shaped file (``traffic_in``/``traffic_out`` COUNTER data sources, a 5-minute archive of
two days and a 30-minute one of a month) is fed counters whose 5-minute rates are known, with
one hour never updated. The imported rates must be those rates (5-minute archive) or their
30-minute means (coarse archive, labelled so by ``analyse``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bwauto.analysis.counters import intervals_of
from bwauto.cli.app import main
from bwauto.store import SampleStore
from bwauto.store.sources import RULE_ID

pytestmark = pytest.mark.skipif(shutil.which("rrdtool") is None, reason="rrdtool not installed")

INVENTORY = Path(__file__).resolve().parents[2] / "inventory"
STEP = 300
END = 1_790_000_100  # 2026-09-21T14:15:00Z, a multiple of 300
N = 30 * 86400 // STEP
HOLE = slice(N - 100, N - 88)  # one hour never updated, inside the 5-minute archive


def rates(seed: int) -> np.ndarray:
    """Whole bytes/s per 5-minute interval, a daily curve with noise: shape (N, 2)."""
    rng = np.random.default_rng(seed)
    hour = (np.arange(N) * STEP / 3600) % 24
    base = 1e6 * (0.2 + np.clip(np.sin((hour - 6) / 14 * np.pi), 0, None))
    return np.round(base[:, None] * rng.uniform(0.5, 1.5, (N, 2)))


def make_rrd(
    path: Path, r: np.ndarray, ds: tuple[str, str] = ("traffic_in", "traffic_out")
) -> Path:
    start = END - N * STEP
    subprocess.run(["rrdtool", "create", str(path), "--start", str(start - 1), "--step", str(STEP),
                    f"DS:{ds[0]}:COUNTER:600:0:U", f"DS:{ds[1]}:COUNTER:600:0:U",
                    "RRA:AVERAGE:0.5:1:576", "RRA:AVERAGE:0.5:6:1500", "RRA:MAX:0.5:6:1500"],
                   check=True)  # fmt: skip
    counters = np.vstack(([0, 0], np.cumsum(r * STEP, axis=0))).astype(np.int64)
    updates = [f"{start + k * STEP}:{c[0]}:{c[1]}" for k, c in enumerate(counters)
               if not (HOLE.start < k < HOLE.stop)]  # fmt: skip
    for i in range(0, len(updates), 1000):
        subprocess.run(["rrdtool", "update", str(path), *updates[i : i + 1000]], check=True)
    return path


def bw(state: Path, *args: str) -> int:
    return main(["--inventory", str(INVENTORY), "--state-dir", str(state), *args])


def iso(ts: float) -> str:
    return np.datetime_as_string(np.datetime64(int(ts), "s")) + "Z"


def test_rrd_rates_come_back_and_coarse_windows_are_labelled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = rates(1)
    rrd = make_rrd(tmp_path / "dinkes.rrd", r)
    state = tmp_path / "state"
    since, until = iso(END - 31 * 86400), iso(END)
    assert bw(state, "samples", "import", "--from", "rrd", str(rrd), "--since", since,
              "--until", until) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "rrd @300s: 1 link," in out and "rrd @1800s (kasar): 1 link," in out
    assert "kasar (rata-rata)" in out
    with SampleStore(state / "samples.sqlite") as store:
        fine = store.read(source="rrd @300s")["dinkes"]
        coarse = store.read(source="rrd @1800s")["dinkes"]
    iv = intervals_of(fine, speed_bps=10**10, poll_interval_s=STEP)
    ends = ((iv.end - (END - N * STEP)) // STEP).astype(int) - 1  # index of each interval's rate
    valid = ~np.isnan(iv.in_bps)
    assert valid.sum() >= 576 - 14  # two days, less the hour never updated
    assert np.allclose(iv.in_bps[valid], 8 * r[ends[valid], 0], rtol=1e-12)
    assert np.allclose(iv.out_bps[valid], 8 * r[ends[valid], 1], rtol=1e-12)
    hole_ts = END - N * STEP + np.arange(HOLE.start + 1, HOLE.stop) * STEP
    assert not np.any(np.isin(iv.end[valid], hole_ts))  # the hour without data is no rate at all
    civ = intervals_of(coarse, speed_bps=10**10, poll_interval_s=1800)
    last = ((civ.end - (END - N * STEP)) // STEP).astype(int)  # 5-minute rows in (end-30m, end]
    ok = ~np.isnan(civ.in_bps) & (last >= 6) & ((last <= HOLE.start) | (last - 6 >= HOLE.stop))
    means = np.array([r[j - 6 : j].mean(axis=0) for j in last[ok]])
    assert ok.sum() > 1400 and np.allclose(civ.in_bps[ok], 8 * means[:, 0], rtol=0, atol=0.01)
    # one octet of rounding in the synthetic counter is 8 / 1800 bit/s
    assert np.allclose(civ.out_bps[ok], 8 * means[:, 1], rtol=0, atol=0.01)

    def analysed(first: float) -> dict[str, object]:
        capsys.readouterr()
        assert bw(state, "analyse", "--link", "dinkes", "--since", iso(first), "--until",
                  iso(END), "--json") == 0  # fmt: skip
        return json.loads(capsys.readouterr().out)[0]  # type: ignore[no-any-return]

    month, day = analysed(END - 30 * 86400), analysed(END - 86400)
    chosen = f"(dipilih dari 2 sumber: {RULE_ID})"  # the 5-minute and the 30-minute archive
    assert (month["source"], month["resolution_s"]) == (f"rrd @1800s (kasar) {chosen}", 1800)
    assert (day["source"], day["resolution_s"]) == (f"rrd @300s {chosen}", 300)
    assert month["coverage_pct"] > 95
    assert bw(state, "samples", "import", "--from", "rrd", str(rrd), "--since", since,
              "--until", until) == 0  # fmt: skip
    assert "0 baru" in capsys.readouterr().out  # idempotent


@pytest.mark.parametrize("shape", ["one data source", "not an rrd"])
def test_an_rrd_of_the_wrong_shape_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: str
) -> None:
    good = make_rrd(tmp_path / "dinkes.rrd", rates(2))
    bad = tmp_path / "bpkad.rrd"
    if shape == "not an rrd":
        bad.write_bytes(b"this is not an RRD\n")
    else:
        subprocess.run(["rrdtool", "create", str(bad), "--step", "300", "DS:temp:GAUGE:600:U:U",
                        "RRA:AVERAGE:0.5:1:10"], check=True)  # fmt: skip
    state = tmp_path / "state"
    assert bw(state, "samples", "import", "--from", "rrd", str(good), str(bad), "--since",
              iso(END - 86400), "--until", iso(END)) == 2  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err and "bpkad.rrd" in err
    assert ("data sources temp" in err) if shape == "one data source" else ("rrdtool info" in err)
    assert not state.exists()  # dinkes.rrd was fine, but nothing is imported
