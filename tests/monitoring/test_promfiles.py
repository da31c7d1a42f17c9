"""The generated Prometheus and snmp_exporter files: pure rendering, checked by the real tools
(promtool check/test rules, snmp_exporter --dry-run)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from bwauto.monitoring import promconfig as pc
from bwauto.monitoring import promfiles as pf
from bwauto.monitoring.base import MonitoredLink, SnmpAuth
from bwauto.monitoring.settings import (
    AlertSettings,
    MonitoringSettings,
    PrometheusSettings,
    duration_seconds,
    resolve_paths,
)

LINK = MonitoredLink(
    link_id="dinkes", opd="Dinas Kesehatan", router="edge-bc-01", router_host="10.20.0.1",
    snmp_port=161, snmp=SnmpAuth(community="c0mm"), if_name="vlan110-dinkes",
    capacity_up_bps=100_000_000, capacity_down_bps=100_000_000, upstream="telkom-astinet",
)  # fmt: skip
OTHER = replace(LINK, link_id="disdukcapil", opd="Disdukcapil", if_name="vlan120-disdukcapil")
V3 = SnmpAuth("v3", user="mon", auth_key="a" * 12, priv_key="p" * 12, auth_protocol="SHA-256",
              priv_protocol="AES-256", timeout_s=1.5, retries=2)  # fmt: skip
IOS = replace(LINK, link_id="bpkad", opd="BPKAD", router="edge-bc-02", router_host="10.20.0.2",
              snmp=V3, if_name="GigabitEthernet0/1.201", if_column="ifDescr")  # fmt: skip
promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")


def settings(tmp_path: Path, job: str = "bwauto_snmp", **alert: Any) -> MonitoringSettings:
    prom = PrometheusSettings(job_name=job)
    return resolve_paths(
        MonitoringSettings(alert=AlertSettings(**alert), prometheus=prom), tmp_path, tmp_path
    )


def write(tmp_path: Path, s: MonitoringSettings, links: list[MonitoredLink]) -> Path:
    out = s.prometheus_dir
    for rel, text in pf.render(pf.from_links(links), s).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    return out


def test_one_target_per_router_labelled_with_the_router_only(tmp_path: Path) -> None:
    """What was seen 7: 10 targets for 3 routers; now one per router, no link labels."""
    files = pf.render(pf.from_links([LINK, OTHER, IOS]), settings(tmp_path))

    targets = {k: json.loads(v) for k, v in files.items() if k.startswith("targets/")}
    assert targets == {
        "targets/edge-bc-01.json": [{"targets": ["10.20.0.1:161"], "labels": {
            "router": "edge-bc-01", "__param_module": "bwauto_edge_bc_01"}}],
        "targets/edge-bc-02.json": [{"targets": ["10.20.0.2:161"], "labels": {
            "router": "edge-bc-02", "__param_module": "bwauto_edge_bc_02"}}],
    }  # fmt: skip


def test_ipv6_router_addresses_are_bracketed() -> None:
    state = pf.from_links([replace(LINK, router_host="2001:db8::1")])
    assert state.routers == {"edge-bc-01": {"address": "[2001:db8::1]:161"}}


def test_the_scrape_interval_is_its_own_setting_not_the_poll_interval(tmp_path: Path) -> None:
    """What was seen 11: the scrape interval was the 300 s poll interval; default now 60 s."""
    link = replace(LINK, poll_interval_s=300)
    files = pf.render(pf.from_links([link]), settings(tmp_path))

    job = yaml.safe_load(files[pc.SCRAPE_FILE])["scrape_configs"][0]
    assert (job["scrape_interval"], job["scrape_timeout"]) == ("60s", "50s")
    assert "300" not in files["targets/edge-bc-01.json"]
    assert "__scrape_interval__" not in "".join(files.values())
    fast = resolve_paths(MonitoringSettings(prometheus=PrometheusSettings(scrape_interval="15s")),
                         tmp_path, tmp_path)  # fmt: skip
    assert pc.scrape_job(fast)["scrape_interval"] == "15s"
    assert pf.rate_record(fast) == "link:if_octets:rate5m"


def test_the_job_name_is_used_everywhere_it_matters(tmp_path: Path) -> None:
    """What was seen 2: the job had to be named bwauto_snmp."""
    files = pf.render(pf.from_links([LINK]), settings(tmp_path, job="routers_snmp"))

    assert "bwauto_snmp" not in "".join(files.values())
    for rel in (pc.SCRAPE_FILE, pc.PROMETHEUS_FILE):
        assert yaml.safe_load(files[rel])["scrape_configs"][0]["job_name"] == "routers_snmp"
    assert 'job="routers_snmp"' in files[pf.RECORDING_FILE]
    assert 'up{job="routers_snmp"}' in files[pf.ALERTS_FILE]


def test_snmp_module_walks_if_mib_by_numeric_oid_with_both_name_labels() -> None:
    module = pf.snmp_module(LINK.snmp)

    assert module["version"] == 2 and module["auth"] == {"community": "c0mm"}
    assert module["walk"] == ["1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.31.1.1.1.1",
                              "1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.31.1.1.1.10"]  # fmt: skip
    names = {m["name"]: m["oid"] for m in module["metrics"]}
    assert names == {"ifHCInOctets": "1.3.6.1.2.1.31.1.1.1.6",
                     "ifHCOutOctets": "1.3.6.1.2.1.31.1.1.1.10"}  # fmt: skip
    labels = {lk["labelname"] for m in module["metrics"] for lk in m["lookups"]}
    assert labels == {"if_name", "if_descr"}  # "ifName" would collide with the exporter's own


def test_snmp_module_v3_maps_protocols_to_snmp_exporter_names() -> None:
    module = pf.snmp_module(V3)

    assert module["version"] == 3
    assert module["auth"] == {
        "username": "mon", "security_level": "authPriv", "password": "a" * 12,
        "auth_protocol": "SHA256", "priv_protocol": "AES256C", "priv_password": "p" * 12,
    }  # fmt: skip
    assert (module["timeout"], module["retries"]) == ("1.5s", 2)


def test_links_file_has_the_info_metric_and_the_capacity_of_every_link(tmp_path: Path) -> None:
    rules = pf.link_rules(pf.from_links([LINK, IOS]), settings(tmp_path))["groups"]
    assert len(rules) == 1  # one group for every link, not one per link
    by = [(r["record"], r["expr"], r["labels"]) for r in rules[0]["rules"]]

    assert by == [
        ("bwauto_link_info", "vector(1)", {"link_id": "bpkad", "opd": "BPKAD",
         "router": "edge-bc-02", "upstream": "telkom-astinet", "if_name": "GigabitEthernet0/1.201",
         "if_column": "ifDescr"}),
        ("bwauto_link_capacity_bps", "vector(100000000)", {"link_id": "bpkad", "direction": "up"}),
        ("bwauto_link_capacity_bps", "vector(100000000)",
         {"link_id": "bpkad", "direction": "down"}),
        ("bwauto_link_info", "vector(1)", {"link_id": "dinkes", "opd": "Dinas Kesehatan",
         "router": "edge-bc-01", "upstream": "telkom-astinet", "if_name": "vlan110-dinkes",
         "if_column": "ifName"}),
        ("bwauto_link_capacity_bps", "vector(100000000)", {"link_id": "dinkes", "direction": "up"}),
        ("bwauto_link_capacity_bps", "vector(100000000)",
         {"link_id": "dinkes", "direction": "down"}),
    ]  # fmt: skip


def test_rendering_is_byte_stable_and_has_no_yaml_anchors(tmp_path: Path) -> None:
    """What was seen 10: PyYAML anchors (&id003) made snmp.yml differ on every write."""
    s = settings(tmp_path)
    once = pf.render(pf.from_links([LINK, OTHER, IOS]), s)
    again = pf.render(pf.from_links([IOS, OTHER, LINK]), s)

    assert once == again
    for rel, text in once.items():
        assert "&id" not in text and "*id" not in text, rel
        if rel.endswith(".yml"):
            assert text.startswith(pc.HEADER) and yaml.safe_load(text) is not None, rel
    state = pf.parse_state(once[pf.MANIFEST_FILE], yaml.safe_load(once[pc.SNMP_FILE]))
    assert pf.render(state, s) == once


def test_removing_a_link_drops_its_router_when_it_was_the_last(tmp_path: Path) -> None:
    state = pf.from_links([LINK, OTHER, IOS])

    files = pf.render(state.without({"bpkad"}), settings(tmp_path))

    assert "targets/edge-bc-02.json" not in files
    assert list(yaml.safe_load(files[pc.SNMP_FILE])) == ["bwauto_edge_bc_01"]
    assert "bpkad" not in files[pf.LINKS_FILE] + files[pf.MANIFEST_FILE]


def test_with_no_link_snmp_yml_is_still_a_valid_empty_config(tmp_path: Path) -> None:
    files = pf.render(pf.PromState(), settings(tmp_path))
    assert yaml.safe_load(files[pc.SNMP_FILE]) == {}
    assert not [k for k in files if k.startswith("targets/")]


@promtool
def test_promtool_accepts_the_generated_config_and_rules(tmp_path: Path) -> None:
    out = write(tmp_path, settings(tmp_path), [LINK, OTHER, IOS])

    for rel in (pc.PROMETHEUS_FILE, pc.SCRAPE_FILE):
        config = subprocess.run(["promtool", "check", "config", str(out / rel)],
                                capture_output=True, text=True)  # fmt: skip
        assert config.returncode == 0, config.stdout + config.stderr
    assert "SUCCESS: 3 rule files found" in config.stdout


def _promtool_test(tmp_path: Path, out: Path, series: list[dict[str, str]], **tests: Any) -> None:
    spec = {
        "rule_files": [str(out / pf.LINKS_FILE), str(out / pf.RECORDING_FILE),
                       str(out / pf.ALERTS_FILE)],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, **tests}],
    }  # fmt: skip
    test_file = tmp_path / "rules-test.yml"
    test_file.write_text(yaml.safe_dump(spec))
    result = subprocess.run(["promtool", "test", "rules", str(test_file)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def _row(
    metric: str, router: str, index: int, name: str, descr: str, values: str
) -> dict[str, str]:
    labels = (f'job="bwauto_snmp", instance="{router}:161", router="{router}", '
              f'ifIndex="{index}", if_name="{name}", if_descr="{descr}"')  # fmt: skip
    return {"series": f"{metric}{{{labels}}}", "values": values}


def _joined(link_id: str, opd: str, router: str, idx: int, name: str, descr: str, value: float,
            metric: str = "link:if_octets:rate5m") -> dict[str, Any]:  # fmt: skip
    direction = "up"
    labels = {"job": "bwauto_snmp", "instance": f"{router}:161", "router": router,
              "ifIndex": str(idx), "if_name": name, "if_descr": descr, "link_id": link_id,
              "opd": opd, "upstream": "telkom-astinet", "direction": direction}  # fmt: skip
    inner = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return {"labels": f"{metric}{{{inner}}}", "value": value}


@promtool
def test_each_links_series_is_the_row_of_its_own_interface(tmp_path: Path) -> None:
    """What was seen 7: ifHCOutOctets{link_id="dinkes", if_name="vlan120-disdukcapil"} existed.
    Now the join keeps only the row whose name is the link's interface (ifName, or ifDescr on
    IOS, where ifName is the short name)."""
    out = write(tmp_path, settings(tmp_path), [LINK, OTHER, IOS])
    per_min = "0+6000000x30"  # 6e6 octets a minute = 100000 octets/s
    series = [
        _row("ifHCInOctets", "edge-bc-01", 3, "vlan110-dinkes", "vlan110-dinkes", per_min),
        _row("ifHCInOctets", "edge-bc-01", 4, "vlan120-disdukcapil", "vlan120-disdukcapil",
             "0+12000000x30"),
        _row("ifHCInOctets", "edge-bc-01", 9, "ether9", "ether9", per_min),  # not a link
        _row("ifHCInOctets", "edge-bc-02", 7, "Gi0/1.201", "GigabitEthernet0/1.201", per_min),
        _row("ifHCInOctets", "edge-bc-02", 8, "GigabitEthernet0/1.201", "other", per_min),
    ]  # fmt: skip
    ios = _joined("bpkad", "BPKAD", "edge-bc-02", 7, "GigabitEthernet0/1.201",
                  "GigabitEthernet0/1.201", 100000.0)  # fmt: skip
    _promtool_test(tmp_path, out, series, promql_expr_test=[
        {"expr": 'link:if_octets:rate5m{direction="up"}', "eval_time": "10m", "exp_samples": [
            _joined("dinkes", "Dinas Kesehatan", "edge-bc-01", 3, "vlan110-dinkes",
                    "vlan110-dinkes", 100000.0),
            _joined("disdukcapil", "Disdukcapil", "edge-bc-01", 4, "vlan120-disdukcapil",
                    "vlan120-disdukcapil", 200000.0),
            ios,
        ]},
        {"expr": 'link:traffic_bps:rate5m{link_id="dinkes"}', "eval_time": "10m",
         "exp_samples": [_joined("dinkes", "Dinas Kesehatan", "edge-bc-01", 3, "vlan110-dinkes",
                                 "vlan110-dinkes", 800000.0, metric="link:traffic_bps:rate5m")]},
        {"expr": 'link:utilisation:ratio_rate5m{link_id="disdukcapil"}', "eval_time": "10m",
         "exp_samples": [_joined("disdukcapil", "Disdukcapil", "edge-bc-01", 4,
                                 "vlan120-disdukcapil", "vlan120-disdukcapil", 0.016,
                                 metric="link:utilisation:ratio_rate5m")]},
    ])  # fmt: skip


@promtool
def test_alerts_utilisation_target_down_and_no_data(tmp_path: Path) -> None:
    out = write(tmp_path, settings(tmp_path, threshold=0.8), [LINK, OTHER])
    # dinkes: 90 Mbit/s up = 675e6 octets a minute (90 % of 100M); disdukcapil: no row at all.
    series = [
        _row("ifHCInOctets", "edge-bc-01", 3, "vlan110-dinkes", "vlan110-dinkes",
             "0+675000000x60"),
        _row("ifHCOutOctets", "edge-bc-01", 3, "vlan110-dinkes", "vlan110-dinkes",
             "0+75000000x60"),
        {"series": 'up{job="bwauto_snmp", instance="edge-bc-01:161", router="edge-bc-01"}',
         "values": "1x10 0x50"},
    ]  # fmt: skip
    high = {"severity": "warning", "link_id": "dinkes", "direction": "up",
            "opd": "Dinas Kesehatan", "router": "edge-bc-01", "upstream": "telkom-astinet",
            "if_name": "vlan110-dinkes", "if_descr": "vlan110-dinkes", "ifIndex": "3",
            "instance": "edge-bc-01:161", "job": "bwauto_snmp"}  # fmt: skip
    _promtool_test(tmp_path, out, series, alert_rule_test=[
        {"eval_time": "10m", "alertname": pf.ALERT_NAME, "exp_alerts": []},
        {"eval_time": "40m", "alertname": pf.ALERT_NAME, "exp_alerts": [{
            "exp_labels": high,
            "exp_annotations": {
                "summary": "Link dinkes (Dinas Kesehatan) up above 80% of its capacity",
                "description": "Traffic on edge-bc-01 vlan110-dinkes has been 90% of the "
                               "link's capacity for 15m.",
            }}]},
        {"eval_time": "40m", "alertname": pf.TARGET_DOWN_ALERT, "exp_alerts": [{
            "exp_labels": {"severity": "warning", "job": "bwauto_snmp", "router": "edge-bc-01",
                           "instance": "edge-bc-01:161"},
            "exp_annotations": {"summary": "snmp_exporter cannot walk router edge-bc-01 "
                                           "(edge-bc-01:161)"}}]},
        {"eval_time": "40m", "alertname": pf.NO_DATA_ALERT, "exp_alerts": [{
            "exp_labels": {"severity": "warning", "link_id": "disdukcapil", "opd": "Disdukcapil",
                           "router": "edge-bc-01", "upstream": "telkom-astinet",
                           "if_name": "vlan120-disdukcapil", "if_column": "ifName"},
            "exp_annotations": {"summary": "No traffic data for link disdukcapil: interface "
                                "vlan120-disdukcapil not found on edge-bc-01, or not scraped"},
        }]},
    ])  # fmt: skip


@pytest.mark.skipif(shutil.which("prometheus-snmp-exporter") is None,
                    reason="prometheus-snmp-exporter not installed")  # fmt: skip
def test_snmp_exporter_accepts_the_generated_modules(tmp_path: Path) -> None:
    out = write(tmp_path, settings(tmp_path), [LINK, IOS])

    result = subprocess.run(
        ["prometheus-snmp-exporter", f"--config.file={out / pc.SNMP_FILE}", "--dry-run"],
        capture_output=True, text=True,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "Configuration parsed successfully" in result.stderr


def test_the_debian_dropins_listen_where_the_settings_say() -> None:
    """Outside look: the prometheus drop-in had no --web.listen-address, so with a port other
    than 9090 the printed commands gave a Prometheus bwauto could not find (Debian 12's units
    run the binary with $ARGS, ARGS="" in /etc/default/prometheus*)."""
    prom = PrometheusSettings(url="http://127.0.0.1:9391", snmp_exporter="127.0.0.1:9117")
    settings = resolve_paths(MonitoringSettings(prometheus=prom), Path("/i"), Path("/var/lib/b"))

    [prom_exec] = [
        x for x in pc.prometheus_dropin(settings).splitlines() if x.startswith("ExecStart=/")
    ]
    assert prom_exec == (
        "ExecStart=/usr/bin/prometheus "
        "--config.file=/var/lib/b/monitoring/prometheus/prometheus.yml "
        "--web.enable-lifecycle --web.listen-address=127.0.0.1:9391 $ARGS"
    )
    assert "--web.listen-address=127.0.0.1:9117 $ARGS" in pc.exporter_dropin(settings)


@pytest.mark.parametrize("interval", [15, 60, 75, 90, 120, 150])
def test_every_allowed_scrape_interval_gives_a_rate_window_of_at_least_two_scrapes(
    interval: int,
) -> None:
    seconds = duration_seconds(pf.rate_window(interval))
    assert seconds >= max(300, 2 * interval) and seconds // interval >= 4
