"""monitoring.yaml, Zabbix credentials, and finding backends by name."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from bwauto.credentials import CredentialResolver
from bwauto.errors import CredentialError, InventoryError, UsageError
from bwauto.monitoring.base import MonitoringBackend, backend_names, get_backend
from bwauto.monitoring.durations import duration_seconds, zabbix_period
from bwauto.monitoring.prometheus import PrometheusBackend
from bwauto.monitoring.settings import ZabbixSettings, load_settings, zabbix_credentials
from bwauto.monitoring.zabbix import ZabbixBackend


def test_without_a_file_everything_has_its_default(tmp_path: Path) -> None:
    s = load_settings(tmp_path, tmp_path / "state")

    assert s.backend == "prometheus" and s.source is None
    assert s.prometheus_dir == (tmp_path / "state" / "monitoring" / "prometheus").absolute()
    assert (s.alert.threshold, s.alert.for_, s.alert.severity) == (0.8, "15m", "warning")
    assert s.prometheus.url is None and s.prometheus.snmp_exporter == "127.0.0.1:9116"
    assert s.zabbix.url is None


def test_a_file_is_read_and_relative_paths_are_from_the_inventory(tmp_path: Path) -> None:
    (tmp_path / "monitoring.yaml").write_text(
        "backend: zabbix\n"
        "alert: {threshold: 0.9, for: 30m}\n"
        "prometheus: {output_dir: prom, url: 'http://127.0.0.1:9090/'}\n"
        "zabbix: {url: 'https://zbx.example/api_jsonrpc.php', credentials_env: {token: ZT}}\n"
    )

    s = load_settings(tmp_path, tmp_path / "state")

    assert s.backend == "zabbix" and s.source == str(tmp_path / "monitoring.yaml")
    assert (s.alert.threshold, s.alert.for_) == (0.9, "30m")
    assert s.prometheus_dir == (tmp_path / "prom").absolute()
    assert s.prometheus.url == "http://127.0.0.1:9090"
    assert s.zabbix.credentials_env == {"token": "ZT"}


CASES = {
    "alert:\n  threshold: 0\n": "2: alert.threshold: Input should be greater than 0",
    "alert:\n  for: 15 minutes\n": "2: alert.for: '15 minutes' is not a duration",
    "prometheus:\n  scrape_interval: 0s\n": "2: prometheus.scrape_interval: '0s' is zero",
    "prometheus:\n  scrape_interval: 60\n": "2: prometheus.scrape_interval: 60 has no unit: "
    "write 60s",
    "prometheus:\n  rule_interval: '30'\n": "2: prometheus.rule_interval: 30 has no unit",
    "alert:\n  for: 0\n": "2: alert.for: 0 is zero: give a duration longer than 0",
    "prometheus:\n  scrape_interval: 2m31s\n": "2: prometheus.scrape_interval: '2m31s' is "
    "longer than 2m30s",
    "prometheus:\n  scrape_interval: 30s1m\n": "2: prometheus.scrape_interval: '30s1m' is not "
    "a duration: a number and a unit (ms, s, m, h, d, w, y), several longest first",
    "alert:\n  threshold: 1.5\n": "2: alert.threshold: 1.5 is over 1",
    "zabbix:\n  item_interval: 1m30s\n": "2: zabbix.item_interval: '1m30s': Zabbix takes one "
    "number and one unit (s, m, h, d, w); write 90s",
    "prometheus:\n  url: localhost:9090\n": "2: prometheus.url: 'localhost:9090' is not an http",
    "prometheus:\n  snmp_exportr: x\n": "2: prometheus.snmp_exportr: unknown field",
    "zabbix:\n  url: http://z\n  token: abc\n": "3: zabbix.token: secrets must not be in",
    "backend: [\n": "2: YAML syntax error",
    "- a\n": "1: expected a mapping",
}


@pytest.mark.parametrize(("text", "expected"), CASES.items())
def test_invalid_files_name_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "monitoring.yaml").write_text(text)

    with pytest.raises(InventoryError) as info:
        load_settings(tmp_path, tmp_path)

    assert len(info.value.problems) == 1
    assert str(info.value.problems[0]).startswith(f"{tmp_path}/monitoring.yaml:{expected}")


def resolver(env: dict[str, str], secrets: dict[str, object] | None = None) -> CredentialResolver:
    return CredentialResolver(secrets=dict(secrets or {}), env=env, interactive=False)


@pytest.mark.parametrize(
    ("value", "seconds"), [("2m30s", 150), ("1m30s", 90), ("1500ms", 1.5), ("45s", 45)]
)
def test_scrape_interval_takes_prometheus_compound_durations(
    tmp_path: Path, value: str, seconds: float
) -> None:
    (tmp_path / "monitoring.yaml").write_text(f"prometheus:\n  scrape_interval: {value}\n"
                                              "alert:\n  threshold: 1\n  for: 1h30m\n")  # fmt: skip
    s = load_settings(tmp_path, tmp_path)

    assert duration_seconds(s.prometheus.scrape_interval) == seconds
    assert (s.alert.threshold, zabbix_period(s.alert.for_)) == (1.0, "5400s")


def test_zabbix_credentials_token_first_then_user_from_env_or_secrets_file() -> None:
    z = ZabbixSettings(credentials_env={"token": "MY_TOKEN"})
    secrets = {"monitoring": {"zabbix": {"username": "api", "password": "from-file"}}}

    assert zabbix_credentials(z, resolver({"MY_TOKEN": "t1", "BWAUTO_ZABBIX_TOKEN": "t2"})) == {
        "token": "t1"
    }
    assert zabbix_credentials(z, resolver({"BWAUTO_ZABBIX_TOKEN": "t2"})) == {"token": "t2"}
    assert zabbix_credentials(z, resolver({"BWAUTO_ZABBIX_PASSWORD": "env"}, secrets)) == {
        "username": "api", "password": "env",
    }  # fmt: skip
    assert zabbix_credentials(z, resolver({}, secrets)) == {
        "username": "api", "password": "from-file",
    }  # fmt: skip


def test_missing_zabbix_credentials_say_how_to_provide_them() -> None:
    with pytest.raises(CredentialError, match="BWAUTO_ZABBIX_TOKEN"):
        zabbix_credentials(ZabbixSettings(), resolver({"BWAUTO_PASSWORD": "router-password"}))


def test_backends_are_found_by_entry_point_name(tmp_path: Path) -> None:
    s = load_settings(tmp_path, tmp_path)

    assert {"prometheus", "zabbix"} <= set(backend_names())
    prometheus = get_backend("prometheus", s)
    zabbix = get_backend("zabbix", s, credentials=resolver({}))
    assert isinstance(prometheus, PrometheusBackend) and isinstance(prometheus, MonitoringBackend)
    assert isinstance(zabbix, ZabbixBackend) and zabbix.name == "zabbix"
    with pytest.raises(UsageError, match=r"unknown monitoring backend 'nagios' \(installed: "):
        get_backend("nagios", s)


def test_scrape_interval_group_and_zabbix_layout_have_operator_defaults(tmp_path: Path) -> None:
    s = load_settings(tmp_path, tmp_path / "state")

    assert (s.prometheus.scrape_interval, s.prometheus.group) == ("60s", "prometheus")
    assert (s.zabbix.host_per, s.zabbix.template) == ("router", "bwauto SNMP links")
    assert s.lock_dir == tmp_path / "state" / "monitoring"
    (tmp_path / "monitoring.yaml").write_text(
        "prometheus: {scrape_interval: 15s, job_name: routers, group: null, user: "
        f"{pwd.getpwuid(os.geteuid()).pw_name}}}\n"
        "zabbix: {host_per: link}\n"
    )
    s = load_settings(tmp_path, tmp_path / "state")
    assert (s.prometheus.scrape_interval, s.prometheus.job_name) == ("15s", "routers")
    assert s.prometheus.group is None and s.zabbix.host_per == "link"
    (tmp_path / "monitoring.yaml").write_text("zabbix: {host_per: opd}\n")
    with pytest.raises(InventoryError, match="host_per"):
        load_settings(tmp_path, tmp_path / "state")
