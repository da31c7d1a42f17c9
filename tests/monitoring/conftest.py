"""Fixtures of the monitoring tests: the lab's SNMP agents and real monitoring servers.

The SNMP target every server polls is the lab's simulated router agent
(``bwauto.lab.snmp.agent.AgentThread``, real UDP on 127.0.0.1). Servers are module-scoped and
skip with the reason when their binaries are not installed (``.ci/install-monitoring``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bwauto.credentials import CredentialResolver
from bwauto.lab.model import LabRouter, SnmpV3User
from bwauto.lab.snmp.agent import AgentThread
from bwauto.lab.snmp.testing import make_router
from bwauto.monitoring.base import MonitoredLink, SnmpAuth
from bwauto.monitoring.prometheus import PrometheusBackend
from bwauto.monitoring.settings import (
    MonitoringSettings,
    PrometheusSettings,
    ZabbixSettings,
    resolve_paths,
)

# Loaded under a name of its own: test dirs have no __init__.py, and "servers" is common.
_spec = importlib.util.spec_from_file_location(
    "bwauto_monitoring_test_servers", Path(__file__).with_name("servers.py")
)
assert _spec is not None and _spec.loader is not None
servers = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = servers
_spec.loader.exec_module(servers)

COMMUNITY = "lab-community-7"
V3_USER = SnmpV3User("bwauto-v3", "lab-auth-key-1", "lab-priv-key-1", "SHA-256", "AES-256")


@pytest.fixture
def dead_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{servers.free_port()}"


@pytest.fixture(scope="module")
def lab_routers() -> Iterator[dict[str, LabRouter]]:
    """Two simulated routers answering SNMP on 127.0.0.1: a MikroTik and a Cisco."""
    routers = {
        "lab-mt": make_router("lab-mt", links=2, community=COMMUNITY, seed=1),
        "lab-ios": make_router(
            "lab-ios", links=1, platform="cisco_ios", community=COMMUNITY, v3=V3_USER
        ),
    }
    with AgentThread(list(routers.values())):
        yield routers


@pytest.fixture(scope="session")
def lab_link() -> Callable[..., MonitoredLink]:
    """``lab_link(router, index=0, up=..., down=..., poll_s=2)``: a lab link to monitor."""
    return _lab_link


def _lab_link(
    router: LabRouter, index: int = 0, up: int = 10_000_000, down: int = 20_000_000,
    poll_s: int = 2, link_id: str | None = None, v3: bool = False,
) -> MonitoredLink:  # fmt: skip
    spec = router.spec
    lab = spec.links[index]
    snmp = SnmpAuth(community=spec.snmp_community, timeout_s=1, retries=1)
    if v3:
        u = spec.snmp_v3
        assert u is not None, f"{spec.name} has no SNMPv3 user"
        snmp = SnmpAuth("v3", None, u.user, u.auth_key, u.priv_key, u.auth_proto, u.priv_proto,
                        timeout_s=1, retries=1)  # fmt: skip
    return MonitoredLink(
        link_id=link_id or lab.link_id, opd=f"OPD {lab.link_id}", router=spec.name,
        router_host="127.0.0.1", snmp_port=router.snmp_port, snmp=snmp, if_name=lab.interface,
        capacity_up_bps=up, capacity_down_bps=down, upstream="lab-isp", poll_interval_s=poll_s,
        if_column="ifDescr" if spec.platform == "cisco_ios" else "ifName",
    )  # fmt: skip


@dataclass
class PromEnv:
    """A running Prometheus + snmp_exporter and the settings that point bwauto at them."""

    stack: servers.PrometheusStack
    settings: MonitoringSettings


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PromEnv]:
    """Real Prometheus and snmp_exporter reading the files the backend writes."""
    reason = servers.missing("prometheus", "prometheus-snmp-exporter")
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("prometheus")
    stack = servers.PrometheusStack(work, work / "out")
    prom = PrometheusSettings(
        url=stack.url, snmp_exporter=stack.exporter, rule_interval="1s", verify_timeout_s=40,
        output_dir=stack.out_dir, scrape_interval="2s",
    )  # fmt: skip
    settings = resolve_paths(MonitoringSettings(prometheus=prom), work, work)
    PrometheusBackend(settings).sync([], reload=False)  # what `monitor setup` writes
    try:
        stack.start()
        yield PromEnv(stack, settings)
    finally:
        stack.stop()


def zabbix_missing() -> str | None:
    """Why the Zabbix tests cannot run here, or None."""
    if servers.pg_bin() is None:
        return "PostgreSQL server binaries not found (run .ci/install-monitoring)"
    reason = servers.missing(
        "zabbix_server", "php", "zcat",
        files=(servers.ZABBIX_SQL / "schema.sql.gz", servers.ZABBIX_PHP / "api_jsonrpc.php"),
    )  # fmt: skip
    if reason is None and os.geteuid() != 0 and not os.access("/etc/zabbix", os.W_OK):
        reason = "the Zabbix frontend reads /etc/zabbix/zabbix.conf.php, which we cannot write"
    return reason


_template: list[servers.TemplateLoader] = []


@pytest.hookimpl(trylast=True)  # after -k / -m deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start loading the Zabbix template now if a selected test needs it (overlaps ~9 s).

    Not in an xdist worker: every worker collects every test, and only the one that runs the
    Zabbix group needs the database (its fixture loads it then)."""
    if config.option.collectonly or hasattr(config, "workerinput"):
        return
    wanted = any("zabbix_postgres" in getattr(i, "fixturenames", ()) for i in items)
    bin_dir = servers.pg_bin()
    if wanted and not _template and bin_dir is not None and zabbix_missing() is None:
        _template.append(servers.TemplateLoader(bin_dir))


def pytest_sessionfinish() -> None:
    """Stop the early-started PostgreSQL if no test ended up using it."""
    while _template:
        _template.pop().stop()


@pytest.fixture(scope="session")
def zabbix_postgres() -> Iterator[servers.Postgres]:
    """PostgreSQL with the Zabbix schema loaded once into a template database."""
    reason = zabbix_missing()
    if reason:
        pytest.skip(reason)
    bin_dir = servers.pg_bin()
    assert bin_dir is not None
    loader = _template.pop() if _template else servers.TemplateLoader(bin_dir)
    try:
        yield loader.result()
    finally:
        loader.stop()


@dataclass
class ZabbixEnv:
    """A running zabbix_server and API on a fresh database, and bwauto's settings for it."""

    server: servers.ZabbixServer
    frontend: servers.ZabbixFrontend
    settings: MonitoringSettings
    credentials: CredentialResolver


@pytest.fixture(scope="module")
def zabbix(
    zabbix_postgres: servers.Postgres, tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[ZabbixEnv]:  # fmt: skip
    """zabbix_server and the API (Admin/zabbix) on a clone of the template database."""
    work = tmp_path_factory.mktemp("zabbix")
    db = zabbix_postgres.clone(f"zbx_{request.module.__name__.rsplit('.', 1)[-1]}".lower())
    server = servers.ZabbixServer(zabbix_postgres, db, work)
    frontend = servers.ZabbixFrontend(zabbix_postgres, db, server.port, work)
    try:
        server.start()
        frontend.start()
        reload = f"zabbix_server -c {server.config} -R config_cache_reload"
        zabbix = ZabbixSettings(url=frontend.url, reload_command=reload, verify_timeout_s=40)
        settings = resolve_paths(MonitoringSettings(backend="zabbix", zabbix=zabbix), work, work)
        creds = CredentialResolver(
            env={"BWAUTO_ZABBIX_USERNAME": "Admin", "BWAUTO_ZABBIX_PASSWORD": "zabbix"},
            interactive=False,
        )
        yield ZabbixEnv(server, frontend, settings, creds)
    finally:
        frontend.stop()
        server.stop()
