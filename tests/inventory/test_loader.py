"""The sample inventory loads; every broken variant under broken/ fails with its message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bwauto.cli.app import main
from bwauto.errors import InventoryError
from bwauto.inventory.loader import load_inventory

SAMPLE = Path(__file__).parents[2] / "inventory"
BROKEN = Path(__file__).parent / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())


def test_sample_inventory_is_valid_and_realistic() -> None:
    inv = load_inventory(SAMPLE)
    assert len(inv.links) >= 8
    platforms = {r.platform for r in inv.routers.values()}
    assert platforms == {"cisco_ios", "mikrotik_routeros"}
    assert len(inv.upstreams) >= 2
    rsud = inv.links["rsud"]
    assert (rsud.committed.up, rsud.committed.down) == (100_000_000, 200_000_000)
    assert inv.routers[rsud.router].interface_speed(rsud.interface) == 1_000_000_000
    assert inv.routers["edge-bc-01"].snmp.port == 161  # from defaults.yaml


def test_check_passes_on_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--inventory", str(SAMPLE), "inventory", "check"]) == 0
    assert "inventory OK: 4 router, 10 link, 2 upstream" in capsys.readouterr().out


@pytest.mark.parametrize("case", CASES)
def test_broken_variant_is_refused(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inv = tmp_path / "inventory"
    shutil.copytree(SAMPLE, inv)
    for f in (BROKEN / case).glob("*.yaml"):
        shutil.copy(f, inv / f.name)
    code = main(["--inventory", str(inv), "inventory", "check"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    for expected in (BROKEN / case / "expected.txt").read_text().splitlines():
        expected = expected.replace("\\n", "\n")
        assert expected.replace("\n", "\\n") in err or expected in err, (expected, err)


def test_all_problems_are_reported_not_just_the_first(tmp_path: Path) -> None:
    inv = tmp_path / "inventory"
    shutil.copytree(SAMPLE, inv)
    text = (inv / "links.yaml").read_text()
    text = text.replace("upstream: icon-plus", "upstream: nowhere").replace("up: 50M", "up: 5Q")
    (inv / "links.yaml").write_text(text)
    with pytest.raises(InventoryError) as info:
        load_inventory(inv)
    fields = [(p.where, p.field) for p in info.value.problems]
    assert ("kec-batamkota", "upstream") in fields
    assert ("satpolpp", "upstream") in fields
    assert ("dinkes", "committed.up") in fields
    assert ("dpmptsp", "committed.up") in fields
    assert all(p.line is not None for p in info.value.problems)


def test_missing_inventory_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--inventory", str(tmp_path / "nope"), "inventory", "check"]) == 2
    assert "inventory directory not found" in capsys.readouterr().err


def test_list_json_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--inventory", str(SAMPLE), "inventory", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["link"] for r in rows} >= {"dinkes", "rsud", "disdik"}
    dinkes = next(r for r in rows if r["link"] == "dinkes")
    assert dinkes == {
        "link": "dinkes", "opd": "Dinas Kesehatan", "router": "edge-bc-01",
        "platform": "mikrotik_routeros", "interface": "vlan110-dinkes",
        "committed_up_bps": 50_000_000, "committed_down_bps": 100_000_000,
        "upstream": "telkom-astinet",
    }  # fmt: skip


def test_list_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--inventory", str(SAMPLE), "inventory", "list"]) == 0
    out = capsys.readouterr().out
    assert "dinkes" in out and "50M/100M" in out
