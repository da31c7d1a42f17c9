"""SOP step 8 end to end: ``bwauto raise`` against the lab, then the link is in a real
Prometheus and a real Zabbix with its new capacity, verified through their APIs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from language import foreign_words
from zabbix_utils import ZabbixAPI

from bwauto.cli.app import main
from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab

if TYPE_CHECKING:
    from conftest import PromEnv, ZabbixEnv


def raise_dinkes(lab: Lab, to: str) -> dict[str, Any]:
    """Raise dinkes on the lab; return the monitoring record written beside the evidence."""
    state = lab.dir.parent
    args = ["--inventory", str(lab.inventory_dir), "--state-dir", str(state)]
    assert main([*args, "raise", "--link", "dinkes", "--to", to, "--yes", "--force"]) == 0
    [record] = sorted((state / "evidence").glob("*/dinkes.monitoring.json"))[-1:]
    data: dict[str, Any] = json.loads(record.read_text())
    return data


def test_a_raise_whose_monitoring_failed_exits_3_and_says_only_monitoring_is_left(
    fresh_lab: Lab, dead_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside look: the raise exited 0 when the registration failed (Prometheus stopped:
    nothing listens at its URL). The router change is done, so not 1 either: 3."""
    exporter = dead_url.removeprefix("http://")
    monitoring = {"prometheus": {"url": dead_url, "snmp_exporter": exporter}}
    (fresh_lab.inventory_dir / "monitoring.yaml").write_text(yaml.safe_dump(monitoring))
    state = fresh_lab.dir.parent
    args = ["--inventory", str(fresh_lab.inventory_dir), "--state-dir", str(state), "--lang", "en"]

    code = main([*args, "raise", "--link", "dinkes", "--to", "150M", "--yes", "--force"])

    err = capsys.readouterr().err
    assert code == 3, err
    assert ("the router change is done; only monitoring failed for dinkes: run "
            "'bwauto monitor sync' (exit 3)") in err  # fmt: skip
    [record] = sorted((state / "evidence").glob("*/dinkes.monitoring.json"))
    assert json.loads(record.read_text())["ok"] is False
    assert load_inventory(fresh_lab.inventory_dir).links["dinkes"].committed.down == 150_000_000


def test_a_raise_with_no_monitoring_server_says_not_verified_and_exits_0(
    fresh_lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside look: without monitoring.yaml the registration was called verified."""
    record = raise_dinkes(fresh_lab, "150M")

    assert (record["ok"], record["verified"]) == (True, False)
    out = capsys.readouterr().out
    assert "dinkes berkas ditulis, TIDAK diverifikasi (tidak ada server monitoring" in out
    [line] = [x for x in out.splitlines() if x.startswith("monitoring (")]
    assert not foreign_words(line, "id"), line  # outside look: English check names in it


def prom_query(url: str, promql: str) -> list[dict[str, Any]]:
    import urllib.parse
    import urllib.request

    with urllib.request.urlopen(f"{url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}",
                                timeout=5) as reply:  # fmt: skip
        result: list[dict[str, Any]] = json.loads(reply.read())["data"]["result"]
    return result


def test_after_a_raise_prometheus_scrapes_the_link_with_its_new_capacity(
    fresh_lab: Lab, prometheus: PromEnv
) -> None:
    p = prometheus.settings.prometheus
    monitoring = {"backend": "prometheus", "prometheus": {
        "output_dir": str(p.output_dir), "url": p.url, "snmp_exporter": p.snmp_exporter,
        "rule_interval": "1s", "verify_timeout_s": 40, "scrape_interval": "2s"}}  # fmt: skip
    (fresh_lab.inventory_dir / "monitoring.yaml").write_text(yaml.safe_dump(monitoring))

    record = raise_dinkes(fresh_lab, "150M")

    assert record["ok"] and record["verified"], record
    rows = prom_query(prometheus.stack.url, 'bwauto_link_capacity_bps{link_id="dinkes"}')
    assert {r["metric"]["direction"]: float(r["value"][1]) for r in rows} == {
        "up": 50e6, "down": 150e6}  # fmt: skip
    up = prom_query(prometheus.stack.url, 'up{job="bwauto_snmp", router="edge-bc-01"}')
    assert [float(r["value"][1]) for r in up] == [1.0]


def test_after_a_raise_zabbix_has_the_new_capacity_and_polls_the_link(
    fresh_lab: Lab, zabbix: ZabbixEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monitoring = {"backend": "zabbix", "zabbix": {"url": zabbix.frontend.url}}
    (fresh_lab.inventory_dir / "monitoring.yaml").write_text(yaml.safe_dump(monitoring))
    monkeypatch.setenv("BWAUTO_ZABBIX_USERNAME", "Admin")
    monkeypatch.setenv("BWAUTO_ZABBIX_PASSWORD", "zabbix")

    first = raise_dinkes(fresh_lab, "150M")
    second = raise_dinkes(fresh_lab, "200M")

    assert first["ok"] and second["ok"], (first, second)
    api = ZabbixAPI(url=zabbix.frontend.url, user="Admin", password="zabbix")
    try:
        [host] = api.host.get(filter={"host": "bwauto-edge-bc-01"}, selectMacros="extend",
                              selectParentTemplates=["host"])  # fmt: skip
        values = {m["macro"]: m.get("value") for m in host["macros"]}
        assert values['{$LINK.CAPACITY.BPS.DOWN:"vlan110-dinkes"}'] == "200000000"
        assert values['{$LINK.CAPACITY.BPS.UP:"vlan110-dinkes"}'] == "50000000"
        assert values['{$LINK.ID:"vlan110-dinkes"}'] == "dinkes"
        assert [t["host"] for t in host["parentTemplates"]] == ["bwauto SNMP links"]
    finally:
        api.logout()
