"""The prometheus backend without a server: files written atomically, only when they change."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bwauto.errors import MonitoringError
from bwauto.monitoring.base import MonitoredLink, SnmpAuth
from bwauto.monitoring.prometheus import PrometheusBackend
from bwauto.monitoring.settings import MonitoringSettings, default_settings

LINK = MonitoredLink(
    link_id="dinkes", opd="Dinas Kesehatan", router="edge-bc-01", router_host="10.20.0.1",
    snmp_port=161, snmp=SnmpAuth(community="c0mm"), if_name="vlan110-dinkes",
    capacity_up_bps=50_000_000, capacity_down_bps=100_000_000, upstream="telkom-astinet",
)  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> MonitoringSettings:
    return default_settings(tmp_path)


def files(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}


def test_first_registration_writes_every_file_and_verifies_them(
    settings: MonitoringSettings,
) -> None:
    registration = PrometheusBackend(settings).register(LINK)

    assert registration.changes == (
        "wrote targets/edge-bc-01.json", "wrote rules/link-dinkes.yml",
        "wrote rules/bwauto-alerts.yml", "wrote snmp.yml", "wrote scrape-config.yml",
    )  # fmt: skip
    assert registration.verification is not None and registration.verification.ok
    assert [c.name for c in registration.verification.checks] == [
        "target file", "rules file", "snmp module",
    ]  # fmt: skip
    out = settings.prometheus_dir
    assert set(files(out)) == {c.removeprefix("wrote ") for c in registration.changes}
    assert not list(out.rglob(".*.tmp"))


def test_only_snmp_yml_holds_the_community_and_it_is_0600(settings: MonitoringSettings) -> None:
    PrometheusBackend(settings).register(LINK)
    out = settings.prometheus_dir

    holding = [name for name, text in files(out).items() if "c0mm" in text]
    assert holding == ["snmp.yml"]
    assert stat.S_IMODE((out / "snmp.yml").stat().st_mode) == 0o600
    (out / "snmp.yml").chmod(0o644)
    PrometheusBackend(settings).register(LINK)
    assert stat.S_IMODE((out / "snmp.yml").stat().st_mode) == 0o600


def test_registering_twice_changes_nothing(settings: MonitoringSettings) -> None:
    backend = PrometheusBackend(settings)
    backend.register(LINK)
    before = files(settings.prometheus_dir)

    again = backend.register(LINK)

    assert (again.changed, again.changes) == (False, ())
    assert files(settings.prometheus_dir) == before


def test_a_raise_rewrites_only_the_links_rules(settings: MonitoringSettings) -> None:
    backend = PrometheusBackend(settings)
    backend.register(LINK)

    registration = backend.register(replace(LINK, capacity_down_bps=200_000_000))

    assert registration.changes == ("wrote rules/link-dinkes.yml",)
    rules = yaml.safe_load((settings.prometheus_dir / "rules/link-dinkes.yml").read_text())
    assert [r["expr"] for r in rules["groups"][0]["rules"][:2]] == [
        "vector(50000000)", "vector(200000000)",
    ]  # fmt: skip


def test_links_of_one_router_share_its_file_and_a_moved_link_leaves_the_old_one(
    settings: MonitoringSettings,
) -> None:
    backend = PrometheusBackend(settings)
    other = replace(LINK, link_id="bpkad", opd="BPKAD", if_name="vlan130-bpkad")
    backend.register(LINK)
    backend.register(other)
    out = settings.prometheus_dir
    groups = json.loads((out / "targets/edge-bc-01.json").read_text())
    assert [g["labels"]["link_id"] for g in groups] == ["bpkad", "dinkes"]

    moved = backend.register(replace(other, router="edge-sk-01", router_host="10.30.0.1"))

    assert "wrote targets/edge-bc-01.json" in moved.changes
    assert "wrote targets/edge-sk-01.json" in moved.changes
    old = json.loads((out / "targets/edge-bc-01.json").read_text())
    assert [g["labels"]["link_id"] for g in old] == ["dinkes"]
    modules = yaml.safe_load((out / "snmp.yml").read_text())
    assert sorted(modules) == ["bwauto_edge_bc_01", "bwauto_edge_sk_01"]
    backend.register(replace(LINK, router="edge-sk-01", router_host="10.30.0.1"))
    assert not (out / "targets/edge-bc-01.json").exists()


def test_verify_notices_a_file_changed_by_hand(settings: MonitoringSettings) -> None:
    backend = PrometheusBackend(settings)
    backend.register(LINK)
    (settings.prometheus_dir / "rules/link-dinkes.yml").write_text("groups: []\n")

    verification = backend.verify(LINK)

    assert not verification.ok
    assert verification.summary() == "rules file: rules/link-dinkes.yml: missing or different"


def test_a_broken_snmp_yml_is_refused_not_overwritten(settings: MonitoringSettings) -> None:
    out = settings.prometheus_dir
    out.mkdir(parents=True)
    (out / "snmp.yml").write_text("bwauto_r9: [\n")

    with pytest.raises(MonitoringError, match=r"snmp\.yml is not valid YAML"):
        PrometheusBackend(settings).register(LINK)
    assert (out / "snmp.yml").read_text() == "bwauto_r9: [\n"


def test_an_unwritable_output_dir_is_one_clear_error(
    settings: MonitoringSettings, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    prom = settings.prometheus.model_copy(update={"output_dir": blocker / "sub"})

    with pytest.raises(MonitoringError, match=r"^prometheus files in .*/file/sub: cannot write: "):
        PrometheusBackend(settings.model_copy(update={"prometheus": prom})).register(LINK)
