"""``bwauto raise`` / ``rollback`` against the simulated routers (real SSH and SNMP)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bwauto.change.plan import ChangeOptions
from bwauto.change.probe import snmp_probe
from bwauto.change.runner import make_plan, run_plan
from bwauto.cli.app import main
from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab
from bwauto.lab.snmp.faults import set_interface_down
from bwauto.lab.testing import device_config, lab_secrets, measured_rate, saturate

M = 1_000_000
CASES = {  # platform -> (router, link, ifname, old down, new down)
    "mikrotik_routeros": ("edge-bc-01", "dinkes", "vlan110-dinkes", 100 * M, 150 * M),
    "cisco_ios": ("edge-bc-02", "rsud", "GigabitEthernet0/1.201", 200 * M, 300 * M),
}


def bw(lab: Lab, *args: str) -> int:
    state = lab.dir.parent
    return main(["--inventory", str(lab.inventory_dir), "--state-dir", str(state), *args])


def evidence(lab: Lab) -> list[dict[str, Any]]:
    """Every evidence record, oldest first (by when it was written)."""
    paths = sorted(
        (lab.dir.parent / "evidence").glob("*/*.json"), key=lambda p: p.stat().st_mtime_ns
    )
    return [json.loads(p.read_text()) for p in paths if not p.name.endswith(".monitoring.json")]


def latest(lab: Lab, link: str) -> dict[str, Any]:
    return [r for r in evidence(lab) if r["link"] == link][-1]


@pytest.mark.parametrize("platform", CASES)
def test_dry_run_changes_nothing_and_its_diff_is_what_apply_does(
    fresh_lab: Lab, platform: str, capsys: pytest.CaptureFixture[str]
) -> None:
    router, link, _, _, new = CASES[platform]
    before = device_config(fresh_lab, router)
    assert bw(fresh_lab, "raise", "--link", link, "--to", f"{new // M}M", "--dry-run",
              "--force") == 0  # fmt: skip
    assert device_config(fresh_lab, router) == before  # byte for byte
    dry = latest(fresh_lab, link)
    assert dry["outcome"] == "dry-run" and dry["dry_run"] is True and dry["diff"]
    assert "+" in str(dry["diff"]) and str(dry["diff"]) in capsys.readouterr().out

    assert bw(fresh_lab, "raise", "--link", link, "--to", f"{new // M}M", "--yes", "--force") == 0
    applied = latest(fresh_lab, link)
    assert applied["outcome"] == "changed"
    assert applied["diff"] == dry["diff"]  # the diff the device really went through
    assert device_config(fresh_lab, router) != before
    assert applied["rate_after"] == {"up": applied["rate_before"]["up"], "down": new}
    names = [c["name"] for c in applied["checks"]]
    assert {"commit-confirm armed", "rate read back", "SNMP answers", "link still up"} <= set(names)
    committed = load_inventory(fresh_lab.inventory_dir).links[link].committed.down
    assert committed == new  # inventory updated after success


@pytest.mark.parametrize("platform", CASES)
def test_apply_moves_the_counters_and_a_second_apply_is_a_no_op(
    fresh_lab: Lab, platform: str
) -> None:
    router, link, ifname, old, new = CASES[platform]
    saturate(fresh_lab, router, link)
    _, out_before = measured_rate(fresh_lab, router, link, ifname)
    assert out_before == pytest.approx(old, rel=0.02)
    assert bw(fresh_lab, "raise", "--link", link, "--to", f"{new // M}M", "--yes", "--force") == 0
    _, out_after = measured_rate(fresh_lab, router, link, ifname)
    assert out_after == pytest.approx(new, rel=0.02)
    config = device_config(fresh_lab, router)
    assert bw(fresh_lab, "raise", "--link", link, "--to", f"{new // M}M", "--yes", "--force") == 0
    assert latest(fresh_lab, link)["outcome"] == "no-op"
    assert device_config(fresh_lab, router) == config


@pytest.mark.parametrize(("platform", "lines"), [("mikrotik_routeros", 1), ("cisco_ios", 4)])
def test_session_dropped_mid_change_ends_on_the_old_config(
    fresh_lab: Lab, platform: str, lines: int
) -> None:
    router, link, *_ = CASES[platform]
    before = device_config(fresh_lab, router)
    fresh_lab.fault(router, "drop-mid-config", arg=str(lines))
    code = bw(fresh_lab, "raise", "--link", link, "--to", "400M", "--yes", "--force")
    fresh_lab.fault(router, "drop-mid-config", on=False)
    assert code == 1
    record = latest(fresh_lab, link)
    assert record["outcome"] == "rolled-back"
    assert any("during the change" in e for e in record["errors"])
    assert device_config(fresh_lab, router) == before


def test_failing_post_check_restores_the_old_config(fresh_lab: Lab) -> None:
    router, link, *_ = CASES["mikrotik_routeros"]
    before = device_config(fresh_lab, router)
    lab_router = fresh_lab.router(router)
    start_caps = lab_router.config.shaper_limits()
    stop = threading.Event()

    def link_down_when_the_shaper_moves() -> None:  # the change breaks the link
        while not stop.wait(0.01):
            if lab_router.config.shaper_limits() != start_caps:
                set_interface_down(lab_router, "vlan110-dinkes")
                return

    watcher = threading.Thread(target=link_down_when_the_shaper_moves)
    watcher.start()
    try:
        code = bw(fresh_lab, "raise", "--link", link, "--to", "400M", "--yes", "--force")
    finally:
        stop.set()
        watcher.join()
        fresh_lab.reset_faults()
    assert code == 1
    record = latest(fresh_lab, link)
    assert record["outcome"] == "rolled-back"
    failed = [c["name"] for c in record["checks"] if not c["ok"]]
    assert "link still up" in failed  # --force lifts SNMP silence, never a link down
    assert device_config(fresh_lab, router) == before
    assert load_inventory(fresh_lab.inventory_dir).links[link].committed.down == 100 * M


def test_two_concurrent_raises_on_one_router_one_is_refused(fresh_lab: Lab) -> None:
    inventory = load_inventory(fresh_lab.inventory_dir)
    state = fresh_lab.dir.parent
    fresh_lab.fault("edge-bc-01", "slow", arg="0.3")
    outcomes = []

    def one(link: str) -> None:
        plan = make_plan(inventory, [link], None, "300M", ChangeOptions(force=True))
        with snmp_probe(inventory, None) as probe:
            outcomes.append(run_plan(plan, fresh_lab.inventory_dir, state, probe))

    threads = [threading.Thread(target=one, args=(x,)) for x in ("dinkes", "bpkad")]
    for t in threads:
        t.start()
        time.sleep(0.2)
    for t in threads:
        t.join()
    results = sorted(r.outcome for o in outcomes for r in o.records)
    errors = [e for o in outcomes for r in o.records for e in r.errors]
    assert results == ["changed", "failed"]
    assert any("edge-bc-01 is being changed by change CH-" in e for e in errors)


def test_secrets_never_in_evidence_or_output(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    bw(fresh_lab, "raise", "--link", "rsud", "--link", "dinkes", "--to", "300M", "--yes",
       "--force")  # fmt: skip
    bw(fresh_lab, "raise", "--link", "rsud", "--to", "350M", "--dry-run", "--force")
    out = capsys.readouterr()
    texts = [out.out, out.err] + [
        p.read_text() for p in (fresh_lab.dir.parent / "evidence").rglob("*.json")
    ]
    records = evidence(fresh_lab)
    assert any("running_config_before" in r and r["running_config_before"] for r in records)
    for secret in lab_secrets(fresh_lab).values():
        if len(secret) > 8:
            assert all(secret not in text for text in texts), secret


def test_bad_input_is_refused_with_evidence_and_nothing_changes(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    before = device_config(fresh_lab, "edge-bc-01")
    assert bw(fresh_lab, "raise", "--link", "nope", "--to", "300M", "--yes") == 2
    assert bw(fresh_lab, "raise", "--link", "dinkes", "--to", "fast", "--yes") == 2
    err = capsys.readouterr().err
    assert "link 'nope' tidak dikenal" in err and "'fast' bukan bandwidth" in err
    assert "Traceback" not in err
    assert bw(fresh_lab, "raise", "--link", "dinkes", "--to", "80M", "--yes", "--force") == 2
    assert "use --allow-decrease" in str(latest(fresh_lab, "dinkes")["errors"])  # before SSH
    fresh_lab.fault("edge-bc-01", "refuse-auth")
    assert bw(fresh_lab, "raise", "--link", "dinkes", "--to", "300M", "--yes", "--force") == 1
    fresh_lab.fault("edge-bc-01", "refuse-auth", on=False)
    assert "authentication failed" in str(latest(fresh_lab, "dinkes")["errors"])
    outcomes = [r["outcome"] for r in evidence(fresh_lab)]
    assert outcomes.count("refused") >= 3 and "failed" in outcomes
    assert device_config(fresh_lab, "edge-bc-01") == before


def test_no_terminal_and_no_yes_refuses(fresh_lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    before = device_config(fresh_lab, "edge-bc-01")
    assert bw(fresh_lab, "raise", "--link", "dinkes", "--to", "300M", "--force") == 2
    assert "tidak ada terminal untuk konfirmasi" in capsys.readouterr().err
    assert device_config(fresh_lab, "edge-bc-01") == before


def test_rollback_returns_to_the_rate_before(fresh_lab: Lab, tmp_path: Path) -> None:
    before = device_config(fresh_lab, "edge-bc-02")
    assert bw(fresh_lab, "raise", "--link", "rsud", "--to", "300M", "--yes", "--force") == 0
    change = latest(fresh_lab, "rsud")["change_id"]
    assert bw(fresh_lab, "rollback", "--change", str(change), "--yes") == 0
    assert device_config(fresh_lab, "edge-bc-02") == before
    assert load_inventory(fresh_lab.inventory_dir).links["rsud"].committed.down == 200 * M


def test_a_raise_puts_the_link_back_into_monitoring(fresh_lab: Lab) -> None:
    assert bw(fresh_lab, "raise", "--link", "dinkes", "--to", "150M", "--yes", "--force") == 0
    change = latest(fresh_lab, "dinkes")["change_id"]
    folder = fresh_lab.dir.parent / "evidence" / str(change)
    monitoring = json.loads((folder / "dinkes.monitoring.json").read_text())
    assert monitoring["backend"] == "prometheus" and monitoring["ok"] is True
    rules = fresh_lab.dir.parent / "monitoring" / "prometheus" / "rules" / "bwauto-links.yml"
    assert "vector(150000000)" in rules.read_text()


def test_a_failing_monitoring_backend_leaves_the_raise_in_place(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    (fresh_lab.inventory_dir / "monitoring.yaml").write_text(
        "backend: prometheus\nprometheus: {url: 'http://127.0.0.1:9'}\n"
    )
    # 3: the router change is done, only monitoring failed
    assert bw(fresh_lab, "raise", "--link", "dinkes", "--to", "150M", "--yes", "--force") == 3
    assert latest(fresh_lab, "dinkes")["outcome"] == "changed"
    assert load_inventory(fresh_lab.inventory_dir).links["dinkes"].committed.down == 150 * M
    change = latest(fresh_lab, "dinkes")["change_id"]
    folder = fresh_lab.dir.parent / "evidence" / str(change)
    monitoring = json.loads((folder / "dinkes.monitoring.json").read_text())
    assert monitoring["ok"] is False and "connection refused" in monitoring["detail"]
    # Indonesian, the default, as the rest of the raise's output
    assert "coba lagi dengan: bwauto monitor register --link dinkes" in capsys.readouterr().err
