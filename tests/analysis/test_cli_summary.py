"""``bwauto analyse`` with a report file and many links: the terminal gets the per-upstream
summary, the file every row; with few links the terminal still gets every row."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from bwauto.analysis.sources import link_infos
from bwauto.cli.app import main
from bwauto.inventory.loader import load_inventory
from bwauto.lab.inventory_out import synthetic_inventory, write_inventory
from bwauto.store import SampleArrays, SampleStore

T0 = 1_714_496_400.0  # 2024-05-01T00:00:00+07:00


def _setup(tmp_path: Path, routers: int) -> tuple[Path, Path]:
    inv, state = tmp_path / "inventory", tmp_path / "state"
    write_inventory(inv, synthetic_inventory(routers, 20), "test")
    series = {}
    for i, link in enumerate(link_infos(load_inventory(inv))):
        ts = T0 + 300.0 * np.arange(25)
        octets = (np.arange(25) * (1_000_000 + 1000 * i)).astype(np.uint64)
        series[link.link_id] = SampleArrays(ts, ts - T0 + 1000.0, octets, octets * np.uint64(2),
                                            np.full(25, 64, dtype=np.uint8))  # fmt: skip
    with SampleStore(state / "samples.sqlite", create=True) as store:
        store.append_arrays(series)
    return inv, state


def _analyse(inv: Path, state: Path, out: Path, *extra: str) -> int:
    return main(["--lang", "en", "--inventory", str(inv), "--state-dir", str(state), "analyse",
                 *extra,
                 "--since", "2024-05-01T00:00:00+07:00", "--until", "2024-05-01T02:00:00+07:00",
                 "--csv", str(out)])  # fmt: skip


def test_many_links_summarised_on_the_terminal_every_row_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inv, state = _setup(tmp_path, 3)  # 60 links, 2 upstreams
    assert _analyse(inv, state, tmp_path / "r.csv", "--all") == 0
    out = capsys.readouterr().out
    assert "60 links, per upstream" in out and "isp-1" in out and "isp-2" in out
    assert "opd-001-01" not in out
    with (tmp_path / "r.csv").open(newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 60


def test_few_links_still_shown_row_by_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inv, state = _setup(tmp_path, 3)
    assert _analyse(inv, state, tmp_path / "r.csv", "--link", "opd-001-01") == 0
    out = capsys.readouterr().out
    assert "SOP step 6 analysis" in out and "per upstream" not in out
    assert "opd" in out and "every link's row is in the report file" not in out
