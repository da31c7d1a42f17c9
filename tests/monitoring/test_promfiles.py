"""The generated Prometheus and snmp_exporter files: pure rendering, checked by the real tools."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bwauto.monitoring import promfiles as pf
from bwauto.monitoring.base import MonitoredLink, SnmpAuth
from bwauto.monitoring.settings import AlertSettings, MonitoringSettings, resolve_paths

LINK = MonitoredLink(
    link_id="dinkes", opd="Dinas Kesehatan", router="edge-bc-01", router_host="10.20.0.1",
    snmp_port=161, snmp=SnmpAuth(community="c0mm"), if_name="vlan110-dinkes",
    capacity_up_bps=100_000_000, capacity_down_bps=100_000_000, upstream="telkom-astinet",
)  # fmt: skip
V3 = SnmpAuth("v3", user="mon", auth_key="a" * 12, priv_key="p" * 12, auth_protocol="SHA-256",
              priv_protocol="AES-256", timeout_s=1.5, retries=2)  # fmt: skip
promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")


def settings(tmp_path: Path, **alert: object) -> MonitoringSettings:
    return resolve_paths(MonitoringSettings(alert=AlertSettings(**alert)), tmp_path, tmp_path)


def test_target_group_has_the_link_labels_and_never_the_capacity() -> None:
    group = pf.target_group(LINK)

    assert group["targets"] == ["10.20.0.1:161"]
    assert group["labels"] == {
        "link_id": "dinkes", "opd": "Dinas Kesehatan", "router": "edge-bc-01",
        "upstream": "telkom-astinet", "__param_module": "bwauto_edge_bc_01",
        "__scrape_interval__": "300s", "__scrape_timeout__": "30s",
    }  # fmt: skip
    assert "100000000" not in json.dumps(group)


def test_ipv6_router_addresses_are_bracketed() -> None:
    assert pf.target_group(replace(LINK, router_host="2001:db8::1"))["targets"] == [
        "[2001:db8::1]:161"
    ]


def test_merging_targets_replaces_the_link_and_keeps_the_others() -> None:
    other = replace(LINK, link_id="bpkad", opd="BPKAD")
    text = pf.merge_targets(pf.merge_targets(None, LINK), other)
    moved = pf.merge_targets(text, replace(LINK, snmp_port=1161))

    groups = json.loads(moved)
    assert [g["labels"]["link_id"] for g in groups] == ["bpkad", "dinkes"]
    assert groups[1]["targets"] == ["10.20.0.1:1161"]
    assert pf.remove_target(moved, "dinkes") == pf.merge_targets(None, other)
    assert pf.remove_target(pf.merge_targets(None, LINK), "dinkes") is None
    assert pf.parse_targets("not json") == []


def test_snmp_module_v2c_walks_if_mib_by_numeric_oid_without_an_ifname_label() -> None:
    module = pf.snmp_module(LINK.snmp)

    assert module["version"] == 2 and module["auth"] == {"community": "c0mm"}
    assert module["walk"] == ["1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.31.1.1.1.1",
                              "1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.31.1.1.1.10"]  # fmt: skip
    names = {m["name"]: m["oid"] for m in module["metrics"]}
    assert names == {"ifHCInOctets": "1.3.6.1.2.1.31.1.1.1.6",
                     "ifHCOutOctets": "1.3.6.1.2.1.31.1.1.1.10"}  # fmt: skip
    labels = {lk["labelname"] for m in module["metrics"] for lk in m["lookups"]}
    assert labels == {"if_name", "if_descr"}  # "ifName" would collide with the exporter's own
    assert all(lk["oid"] in module["walk"] for m in module["metrics"] for lk in m["lookups"])


def test_snmp_module_v3_maps_protocols_to_snmp_exporter_names() -> None:
    module = pf.snmp_module(V3)

    assert module["version"] == 3
    assert module["auth"] == {
        "username": "mon", "security_level": "authPriv", "password": "a" * 12,
        "auth_protocol": "SHA256", "priv_protocol": "AES256C", "priv_password": "p" * 12,
    }  # fmt: skip
    assert (module["timeout"], module["retries"]) == ("1.5s", 2)


def test_merging_snmp_modules_keeps_other_routers() -> None:
    modules = pf.merge_snmp_config({"bwauto_r2": {"x": 1}}, "edge-bc-01", LINK.snmp)

    assert list(modules) == ["bwauto_edge_bc_01", "bwauto_r2"]
    assert modules["bwauto_r2"] == {"x": 1}


def test_link_rules_record_capacity_per_direction_and_traffic_of_the_links_row(
    tmp_path: Path,
) -> None:
    link = replace(LINK, capacity_up_bps=50_000_000, if_column="ifDescr", poll_interval_s=60)
    rules = pf.link_rules(link, settings(tmp_path))["groups"][0]["rules"]

    capacity = [(r["expr"], r["labels"]["direction"]) for r in rules if r.get("record") ==
                pf.CAPACITY_METRIC]  # fmt: skip
    assert capacity == [("vector(50000000)", "up"), ("vector(100000000)", "down")]
    assert rules[0]["labels"] == {"link_id": "dinkes", "opd": "Dinas Kesehatan",
                                  "router": "edge-bc-01", "upstream": "telkom-astinet",
                                  "direction": "up"}  # fmt: skip
    traffic = [r["expr"] for r in rules if r.get("record") == pf.TRAFFIC_METRIC]
    row = '{job="bwauto_snmp", link_id="dinkes", if_descr="vlan110-dinkes"}[4m]'
    assert traffic == [f"8 * rate(ifHCInOctets{row})", f"8 * rate(ifHCOutOctets{row})"]


def test_alert_uses_the_configured_threshold_and_duration(tmp_path: Path) -> None:
    rule = pf.alert_rules(settings(tmp_path, threshold=0.9, **{"for": "30m"}))["groups"][0]
    alert = rule["rules"][0]

    assert alert["alert"] == "BwautoLinkUtilisationHigh" and alert["for"] == "30m"
    assert alert["expr"].rstrip().endswith("> 0.9")
    assert "90%" in alert["annotations"]["summary"]


def test_scrape_config_points_at_the_exporter_targets_and_rules(tmp_path: Path) -> None:
    config = pf.scrape_config(settings(tmp_path))
    out = tmp_path / "monitoring" / "prometheus"

    assert config["rule_files"] == [f"{out}/rules/*.yml"]
    job = config["scrape_configs"][0]
    assert job["metrics_path"] == "/snmp"
    assert job["file_sd_configs"] == [{"files": [f"{out}/targets/*.json"]}]
    assert job["relabel_configs"][-1] == {"target_label": "__address__",
                                          "replacement": "127.0.0.1:9116"}  # fmt: skip


def test_rendering_is_deterministic_and_marked_generated(tmp_path: Path) -> None:
    s = settings(tmp_path)

    def render() -> list[str]:
        snmp = pf.render_snmp_config({"m": pf.snmp_module(LINK.snmp)})
        return [pf.render_link_rules(LINK, s), pf.render_alert_rules(s),
                pf.render_scrape_config(s), snmp]  # fmt: skip

    texts = render()
    assert texts == render()
    assert all(t.startswith(pf.HEADER) and yaml.safe_load(t) for t in texts)


def _write_all(tmp_path: Path) -> MonitoringSettings:
    s = settings(tmp_path)
    out = s.prometheus_dir
    (out / "rules").mkdir(parents=True)
    (out / pf.rules_file(LINK.link_id)).write_text(pf.render_link_rules(LINK, s))
    (out / pf.ALERTS_FILE).write_text(pf.render_alert_rules(s))
    (out / pf.SCRAPE_FILE).write_text(pf.render_scrape_config(s))
    return s


@promtool
def test_promtool_accepts_the_generated_config_and_rules(tmp_path: Path) -> None:
    s = _write_all(tmp_path)
    out = s.prometheus_dir

    config = subprocess.run(["promtool", "check", "config", str(out / pf.SCRAPE_FILE)],
                            capture_output=True, text=True)  # fmt: skip
    rules = subprocess.run(["promtool", "check", "rules", *map(str, (out / "rules").glob("*.yml"))],
                           capture_output=True, text=True)  # fmt: skip

    assert config.returncode == 0, config.stdout + config.stderr
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert "SUCCESS: 4 rules found" in rules.stdout and "SUCCESS: 1 rules found" in rules.stdout


@promtool
def test_promtool_alert_fires_above_the_threshold_only_after_15_minutes(tmp_path: Path) -> None:
    s = _write_all(tmp_path)
    rules = s.prometheus_dir / "rules"
    series = 'if{d}{{job="bwauto_snmp", link_id="dinkes", if_name="vlan110-dinkes", ifIndex="3"}}'
    # 90 Mbit/s up = 675e6 octets a minute (90 % of 100M); 50 Mbit/s down (50 %).
    tests = {
        "rule_files": [str(rules / f"link-{LINK.link_id}.yml"), str(rules / "bwauto-alerts.yml")],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                {"series": series.format(d="HCInOctets"), "values": "0+675000000x60"},
                {"series": series.format(d="HCOutOctets"), "values": "0+375000000x60"},
            ],
            "alert_rule_test": [
                {"eval_time": "10m", "alertname": pf.ALERT_NAME, "exp_alerts": []},
                {"eval_time": "40m", "alertname": pf.ALERT_NAME, "exp_alerts": [{
                    "exp_labels": {"severity": "warning", "link_id": "dinkes", "direction": "up",
                                   "opd": "Dinas Kesehatan", "router": "edge-bc-01",
                                   "upstream": "telkom-astinet"},
                    "exp_annotations": {
                        "summary": "Link dinkes (Dinas Kesehatan) up above 80% of its capacity",
                        "description": "Traffic on edge-bc-01 has been 90% of the link's "
                                       "capacity for 15m.",
                    },
                }]},
            ],
        }],
    }  # fmt: skip
    test_file = tmp_path / "alert-test.yml"
    test_file.write_text(yaml.safe_dump(tests))

    result = subprocess.run(["promtool", "test", "rules", str(test_file)],
                            capture_output=True, text=True)  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("prometheus-snmp-exporter") is None,
                    reason="prometheus-snmp-exporter not installed")  # fmt: skip
def test_snmp_exporter_accepts_the_generated_modules(tmp_path: Path) -> None:
    config = tmp_path / "snmp.yml"
    modules = pf.merge_snmp_config(pf.merge_snmp_config({}, "r1", LINK.snmp), "r2", V3)
    config.write_text(pf.render_snmp_config(modules))

    result = subprocess.run(["prometheus-snmp-exporter", f"--config.file={config}", "--dry-run"],
                            capture_output=True, text=True)  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "Configuration parsed successfully" in result.stderr
