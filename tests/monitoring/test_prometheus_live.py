"""The prometheus backend against a real Prometheus and snmp_exporter polling the lab's agents."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from bwauto.cli import app as cli_app
from bwauto.cli import monitor_cmd
from bwauto.cli.app import main
from bwauto.errors import MonitoringError
from bwauto.monitoring.prometheus import PrometheusBackend, scraped_after
from bwauto.monitoring.settings import MonitoringSettings

if TYPE_CHECKING:
    from conftest import PromEnv


def api(url: str, path: str, **params: str) -> Any:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"{url}{path}{query}", timeout=5) as reply:
        body = json.loads(reply.read())
    assert body["status"] == "success"
    return body["data"]


def query(url: str, promql: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = api(url, "/api/v1/query", query=promql)["result"]
    return result


def capacities(url: str, link_id: str) -> dict[str, float]:
    rows = query(url, f'bwauto_link_capacity_bps{{link_id="{link_id}"}}')
    return {r["metric"]["direction"]: float(r["value"][1]) for r in rows}


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Any, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def reload_times(env: PromEnv) -> tuple[float, int]:
    """When Prometheus last (re)loaded its configuration; how often snmp_exporter did (0.21
    has no metric for it, its log says "Loaded config file" at each load)."""
    with urllib.request.urlopen(f"{env.stack.url}/metrics", timeout=5) as reply:
        metrics = reply.read().decode().splitlines()
    name = "prometheus_config_last_reload_success_timestamp_seconds "
    prom = next(float(x.split()[-1]) for x in metrics if x.startswith(name))
    log = (env.stack.workdir / "snmp_exporter.log").read_text()
    return prom, log.count("Loaded config file")


def test_register_makes_the_router_scraped_and_the_link_known_with_its_capacity(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any
) -> None:
    url = prometheus.stack.url
    link = lab_link(lab_routers["lab-mt"], 0, up=10_000_000, down=20_000_000)
    registration = PrometheusBackend(prometheus.settings).register(link)

    assert registration.changed
    assert registration.verification is not None and registration.verification.ok
    targets = [t for t in api(url, "/api/v1/targets")["activeTargets"]
               if t["labels"].get("router") == "lab-mt"]  # fmt: skip
    assert len(targets) == 1 and targets[0]["health"] == "up"
    assert targets[0]["scrapePool"] == "bwauto_snmp"
    assert not any(k in targets[0]["labels"] for k in ("link_id", "opd", "capacity"))
    info = query(url, f'bwauto_link_info{{link_id="{link.link_id}"}}')
    assert [r["metric"]["if_name"] for r in info] == ["ether2"]
    assert {k: info[0]["metric"][k] for k in ("opd", "router", "upstream")} == {
        "opd": link.opd, "router": "lab-mt", "upstream": "lab-isp"}  # fmt: skip
    for metric in ("ifHCInOctets", "ifHCOutOctets"):
        rows = query(url, f'{metric}{{router="lab-mt", if_name="ether2"}}')
        assert len(rows) == 1 and float(rows[0]["value"][1]) > 0, metric
    assert capacities(url, link.link_id) == {"up": 10e6, "down": 20e6}


def test_only_a_scrape_made_after_the_reload_verifies_a_registration(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any
) -> None:
    """Outside look: verification took the target's last scrape, made with the former
    configuration, as proof. Here the new snmp.yml holds a community the agent ignores: the
    target is still "up" from before the reload, but the first scrape of the new module fails."""
    link = lab_link(lab_routers["lab-mt"], 0, up=10_000_000, down=20_000_000)
    assert PrometheusBackend(prometheus.settings).register(link).ok
    wrong = replace(link, snmp=replace(link.snmp, community="not-the-community"))
    prom = prometheus.settings.prometheus.model_copy(update={"verify_timeout_s": 3})
    quick = prometheus.settings.model_copy(update={"prometheus": prom})
    try:
        registration = PrometheusBackend(quick).register(wrong)

        assert registration.verification is not None and not registration.ok
        assert registration.verification.summary().startswith("target up: ")
    finally:
        backend = PrometheusBackend(prometheus.settings)
        again = backend.register(link)
    assert again.ok and backend.reloaded_at is not None
    [target] = [t for t in api(prometheus.stack.url, "/api/v1/targets")["activeTargets"]
                if t["labels"].get("router") == "lab-mt"]  # fmt: skip
    assert scraped_after(target["lastScrape"], backend.reloaded_at)


def test_traffic_rule_is_the_links_interface_in_bits_per_second(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any
) -> None:
    link = lab_link(lab_routers["lab-mt"], 0, up=10_000_000, down=20_000_000)
    PrometheusBackend(prometheus.settings).register(link)
    promql = f'link:traffic_bps:rate5m{{link_id="{link.link_id}"}}'

    rows = wait_for(lambda: len(query(prometheus.stack.url, promql)) == 2 and
                    query(prometheus.stack.url, promql))  # fmt: skip
    assert rows, "no traffic series after 30 s"
    by_direction = {r["metric"]["direction"]: float(r["value"][1]) for r in rows}
    assert set(by_direction) == {"up", "down"}
    assert {r["metric"]["if_name"] for r in rows} == {"ether2"}
    # The lab shapes this link at 10/20 Mbit/s: the measured rate is below, and not zero.
    assert 0 < by_direction["up"] <= 10e6 * 1.2
    assert 0 < by_direction["down"] <= 20e6 * 1.2


def test_every_series_of_a_link_carries_its_own_interface_one_target_per_router(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any
) -> None:
    """What was seen 7: 10 targets for 3 routers, and ifHCOutOctets{link_id="dinkes",
    if_name="vlan120-disdukcapil"}. Three links on two routers: two targets, and every series
    carrying a link_id has that link's interface."""
    url = prometheus.stack.url
    links = [lab_link(lab_routers["lab-mt"], 0), lab_link(lab_routers["lab-mt"], 1),
             lab_link(lab_routers["lab-ios"], 0, v3=True)]  # fmt: skip
    backend = PrometheusBackend(prometheus.settings)
    backend.sync(links)
    wanted = {link.link_id: link.if_name for link in links}
    rate = "link:if_octets:rate5m"

    rows = wait_for(lambda: len(query(url, rate)) == 6 and query(url, rate))
    assert rows, f"{rate}: {query(url, rate)}"
    series = query(url, '{link_id!=""}')
    assert len({r["metric"]["__name__"] for r in series}) >= 5
    for row in series:
        labels = row["metric"]
        assert labels["link_id"] in wanted, labels
        if "if_name" in labels:
            assert labels["if_name"] == wanted[labels["link_id"]], labels
    pools = [t for t in api(url, "/api/v1/targets")["activeTargets"]
             if t["scrapePool"] == "bwauto_snmp"]  # fmt: skip
    assert sorted(t["labels"]["router"] for t in pools) == ["lab-ios", "lab-mt"]


def test_a_link_removed_by_sync_disappears_from_prometheus(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any
) -> None:
    """Done when: a removed link disappears from Prometheus after sync (and its router's
    target, when it was the router's last link)."""
    url = prometheus.stack.url
    kept = lab_link(lab_routers["lab-mt"], 0)
    gone = [lab_link(lab_routers["lab-mt"], 1), lab_link(lab_routers["lab-ios"], 0, v3=True)]
    backend = PrometheusBackend(prometheus.settings)
    backend.sync([kept, *gone])
    assert wait_for(lambda: len(query(url, "bwauto_link_info")) == 3)

    outcome = backend.sync([kept])

    assert outcome.removed == tuple(sorted(link.link_id for link in gone))
    info = wait_for(
        lambda: len(query(url, "bwauto_link_info")) == 1 and query(url, "bwauto_link_info")
    )
    assert info and info[0]["metric"]["link_id"] == kept.link_id
    assert query(url, f'bwauto_link_capacity_bps{{link_id="{gone[0].link_id}"}}') == []

    def routers() -> list[str]:
        active = api(url, "/api/v1/targets")["activeTargets"]
        return sorted(t["labels"]["router"] for t in active if t["scrapePool"] == "bwauto_snmp")

    assert wait_for(lambda: routers() == ["lab-mt"]), routers()


def test_registering_again_touches_and_reloads_nothing(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any
) -> None:
    """What was seen 9: a no-op register reloaded both servers (sync --all: once per link)."""
    link = lab_link(lab_routers["lab-mt"], 0, up=10_000_000, down=20_000_000)
    backend = PrometheusBackend(prometheus.settings)
    backend.sync([link])
    out = prometheus.settings.prometheus_dir
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    reloaded = reload_times(prometheus)
    time.sleep(1.1)  # Prometheus's reload timestamp has a resolution of one second

    again = backend.register(link)
    synced = backend.sync([link])

    assert (again.changed, again.changes) == (False, ())
    assert again.verification is not None and again.verification.ok
    assert synced.changes == () and synced.removed == ()
    assert reload_times(prometheus) == reloaded
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    # a change reloads each server once, and only the one whose files changed
    backend.register(lab_link(lab_routers["lab-mt"], 0, up=11_000_000, down=20_000_000))
    after = reload_times(prometheus)
    assert after[0] > reloaded[0] and after[1] == reloaded[1]


def test_a_capacity_change_shows_the_new_value(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any
) -> None:
    backend = PrometheusBackend(prometheus.settings)
    backend.register(lab_link(lab_routers["lab-mt"], 0, up=10_000_000, down=20_000_000))
    raised = lab_link(lab_routers["lab-mt"], 0, up=50_000_000, down=100_000_000)

    registration = backend.register(raised)

    assert registration.changes == ("wrote bwauto-links.json", "wrote rules/bwauto-links.yml")
    assert registration.verification is not None and registration.verification.ok
    assert capacities(prometheus.stack.url, raised.link_id) == {"up": 50e6, "down": 100e6}


def test_an_ios_link_over_snmpv3_is_found_by_its_full_name_in_ifdescr(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any
) -> None:
    link = lab_link(lab_routers["lab-ios"], 0, v3=True)  # SNMPv3 SHA-256 / AES-256 (Reeder)
    assert link.if_column == "ifDescr" and link.if_name.startswith("GigabitEthernet")

    registration = PrometheusBackend(prometheus.settings).register(link)

    assert registration.verification is not None and registration.verification.ok
    rows = query(prometheus.stack.url, 'ifHCInOctets{router="lab-ios"}')
    row = next(r for r in rows if r["metric"]["if_descr"] == link.if_name)
    assert row["metric"]["if_name"] == "Gi0/0/1.100"  # IOS's short ifName
    rate = f'link:if_octets:rate5m{{link_id="{link.link_id}"}}'
    joined = wait_for(lambda: query(prometheus.stack.url, rate))
    assert {r["metric"]["if_name"] for r in joined} == {link.if_name}


def test_an_unreachable_prometheus_is_one_clear_error(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any, tmp_path: Any, dead_url: str
) -> None:
    dead = dead_url
    prom = prometheus.settings.prometheus.model_copy(
        update={"url": dead, "output_dir": tmp_path, "verify_timeout_s": 2}
    )
    settings = MonitoringSettings(prometheus=prom)

    with pytest.raises(MonitoringError) as info:
        PrometheusBackend(settings).register(lab_link(lab_routers["lab-mt"], 1))

    assert str(info.value) == f"prometheus at {dead}: connection refused"
    assert info.value.exit_code == 1


def test_a_target_that_does_not_answer_is_an_unverified_registration(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any
) -> None:
    silent = replace(lab_link(lab_routers["lab-mt"], 1), snmp_port=free_udp_port())
    prom = prometheus.settings.prometheus.model_copy(update={"verify_timeout_s": 2})
    settings = prometheus.settings.model_copy(update={"prometheus": prom})

    registration = PrometheusBackend(settings).register(silent)

    assert registration.verification is not None and not registration.ok
    assert registration.verification.summary().startswith("target up: ")
    assert "bwauto_link_capacity_bps" not in registration.verification.summary()


def test_monitor_register_end_to_end_from_the_inventory(
    prometheus: PromEnv, lab_routers: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """`bwauto monitor register` with monitoring.yaml pointing at the live servers."""
    router = lab_routers["lab-mt"]
    inv = tmp_path / "inventory"
    inv.mkdir()
    hosts = {"lab-mt": {"hostname": "127.0.0.1", "platform": "mikrotik_routeros", "data": {
        "interfaces": {"ether3": "1G"}, "poll_interval_s": 10,
        "snmp": {"port": router.snmp_port, "timeout_s": 1}}}}  # fmt: skip
    links = {"upstreams": [{"id": "lab-isp", "capacity": "1G"}], "links": [{
        "id": "e2e", "opd": "Dinas E2E", "router": "lab-mt", "interface": "ether3",
        "shaper": "shape-opd1", "committed": {"up": "10M", "down": "20M"}, "upstream": "lab-isp",
        "contact": {"name": "Lab"}}]}  # fmt: skip
    p = prometheus.settings.prometheus
    monitoring = {"prometheus": {
        "output_dir": str(p.output_dir), "url": p.url, "snmp_exporter": p.snmp_exporter,
        "rule_interval": "1s", "scrape_interval": "2s", "verify_timeout_s": 40}}  # fmt: skip
    for name, data in (("hosts", hosts), ("links", links), ("monitoring", monitoring)):
        (inv / f"{name}.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("BWAUTO_LAB_MT_SNMP_COMMUNITY", router.spec.snmp_community)
    if not any(g.name == "monitor" for g in cli_app.app.registered_groups):
        cli_app.app.add_typer(monitor_cmd.app, name="monitor")
    args = ["--inventory", str(inv), "--state-dir", str(tmp_path / "state"), "monitor"]

    assert main([*args, "register", "--link", "e2e", "--json"]) == 0, capsys.readouterr().err

    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["changed"]
    checks = {c["name"]: c for c in result["verification"]["checks"]}
    assert checks["target up"]["ok"] and checks["ifHCInOctets scraped"]["ok"]
    assert checks["bwauto_link_info"]["ok"]
    assert capacities(prometheus.stack.url, "e2e") == {"up": 10e6, "down": 20e6}


def test_a_rules_only_change_is_verified_by_the_rules_prometheus_loaded(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any
) -> None:
    """Outside look: after a change of the alert threshold only, links were "verified in
    0.2 s" on a scrape made before the reload. Such a change verifies what it can: Prometheus
    loaded bwauto's rule groups as written, with the new threshold, and evaluated them after
    the reload (``/api/v1/rules``)."""
    link = lab_link(lab_routers["lab-mt"], 0, up=10_000_000, down=20_000_000)
    PrometheusBackend(prometheus.settings).sync([link])
    s = prometheus.settings
    stricter = s.model_copy(update={"alert": s.alert.model_copy(update={"threshold": 0.9})})
    backend = PrometheusBackend(stricter)

    outcome = backend.sync([link])
    verification = backend.verify(link)

    assert outcome.changes == ("wrote rules/bwauto-alerts.yml",)
    assert backend.reloaded_at is None and backend.rules_reloaded_at is not None
    rules = {c.name: c for c in verification.checks}["rules loaded"]
    assert rules.ok and rules.detail.endswith(": evaluated after the reload"), rules
    loaded = api(prometheus.stack.url, "/api/v1/rules")["groups"]
    alert = next(r for g in loaded for r in g["rules"] if r["name"] == "BwautoLinkUtilisationHigh")
    assert alert["query"].endswith("> 0.9")
    # the same check fails while Prometheus still has the former rules (reload not made)
    stale = PrometheusBackend(s.model_copy(update={"alert": s.alert.model_copy(
        update={"threshold": 0.7})}))  # fmt: skip
    stale.update(lambda state: state)
    assert not stale._rules_check().ok
