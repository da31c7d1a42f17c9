"""The prometheus backend without a server: files written atomically, only when they change."""

from __future__ import annotations

import fcntl
import grp
import http.server
import json
import os
import stat
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from bwauto.errors import MonitoringError
from bwauto.monitoring import promfiles as pf
from bwauto.monitoring.base import MonitoredLink, SnmpAuth
from bwauto.monitoring.files import usable_gid
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
    found = sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))
    return {str(p.relative_to(out)): p.read_text() for p in found}


def test_first_registration_writes_every_file_and_verifies_them(
    settings: MonitoringSettings,
) -> None:
    registration = PrometheusBackend(settings).register(LINK)

    assert registration.changes == (
        "wrote bwauto-links.json",
        "wrote debian/prometheus-snmp-exporter.service.d/bwauto.conf",
        "wrote debian/prometheus.service.d/bwauto.conf",
        "wrote prometheus.yml",
        "wrote rules/bwauto-alerts.yml",
        "wrote rules/bwauto-links.yml",
        "wrote rules/bwauto-recording.yml",
        "wrote scrape-config.yml",
        "wrote snmp.yml",
        "wrote targets/edge-bc-01.json",
    )
    assert registration.verification is not None and registration.verification.ok
    assert [c.name for c in registration.verification.checks] == [
        "target file", "link rules", "snmp module",
    ]  # fmt: skip
    out = settings.prometheus_dir
    assert set(files(out)) == {c.removeprefix("wrote ") for c in registration.changes}
    assert not list(out.rglob(".*.tmp"))


def test_without_a_usable_group_only_snmp_yml_holds_the_community_and_it_is_0600(
    tmp_path: Path,
) -> None:
    s = default_settings(tmp_path)
    s = s.model_copy(update={"prometheus": s.prometheus.model_copy(update={"group": None})})
    PrometheusBackend(s).register(LINK)
    out = s.prometheus_dir

    holding = [name for name, text in files(out).items() if "c0mm" in text]
    assert holding == ["snmp.yml"]
    assert stat.S_IMODE((out / "snmp.yml").stat().st_mode) == 0o600
    (out / "snmp.yml").chmod(0o644)
    assert PrometheusBackend(s).register(LINK).changes == ("chmod snmp.yml (0600)",)
    assert stat.S_IMODE((out / "snmp.yml").stat().st_mode) == 0o600


@pytest.mark.skipif(usable_gid("prometheus") is None, reason="no usable 'prometheus' group")
def test_the_prometheus_group_reads_every_file_and_nobody_else_does(
    settings: MonitoringSettings,
) -> None:
    """What was seen 4: snmp.yml was recreated 0600 on every write, so snmp_exporter had to
    run as bwauto's user. Now the documented group (prometheus.group) reads it: 0640."""
    PrometheusBackend(settings).register(LINK)
    out = settings.prometheus_dir
    gid = grp.getgrnam("prometheus").gr_gid

    for path in [out, *out.rglob("*")]:
        if path.name == ".bwauto.lock":
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        assert path.stat().st_gid == gid, path
        assert mode == (0o2750 if path.is_dir() else 0o640), (path, oct(mode))
    (out / "snmp.yml").chmod(0o644)
    PrometheusBackend(settings).register(LINK)
    assert stat.S_IMODE((out / "snmp.yml").stat().st_mode) == 0o640


def test_registering_twice_touches_nothing(settings: MonitoringSettings) -> None:
    """What was seen 9 and 10: a no-op rewrote snmp.yml (anchors) and reloaded."""
    backend = PrometheusBackend(settings)
    backend.register(LINK)
    out = settings.prometheus_dir
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}

    again = backend.register(LINK)

    assert (again.changed, again.changes) == (False, ())
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before


def test_a_raise_rewrites_only_the_links_capacity(settings: MonitoringSettings) -> None:
    backend = PrometheusBackend(settings)
    backend.register(LINK)

    registration = backend.register(replace(LINK, capacity_down_bps=200_000_000))

    assert registration.changes == ("wrote bwauto-links.json", "wrote rules/bwauto-links.yml")
    rules = yaml.safe_load((settings.prometheus_dir / "rules/bwauto-links.yml").read_text())
    assert [r["expr"] for r in rules["groups"][0]["rules"][1:]] == [
        "vector(50000000)", "vector(200000000)",
    ]  # fmt: skip


def test_links_of_one_router_share_its_target_and_a_moved_link_leaves_the_old_one(
    settings: MonitoringSettings,
) -> None:
    backend = PrometheusBackend(settings)
    other = replace(LINK, link_id="bpkad", opd="BPKAD", if_name="vlan130-bpkad")
    backend.register(LINK)
    backend.register(other)
    out = settings.prometheus_dir
    groups = json.loads((out / "targets/edge-bc-01.json").read_text())
    assert [g["labels"]["router"] for g in groups] == ["edge-bc-01"]

    moved = backend.register(replace(other, router="edge-sk-01", router_host="10.30.0.1"))

    assert "wrote targets/edge-sk-01.json" in moved.changes
    modules = yaml.safe_load((out / "snmp.yml").read_text())
    assert sorted(modules) == ["bwauto_edge_bc_01", "bwauto_edge_sk_01"]
    backend.register(replace(LINK, router="edge-sk-01", router_host="10.30.0.1"))
    assert not (out / "targets/edge-bc-01.json").exists()
    assert sorted(yaml.safe_load((out / "snmp.yml").read_text())) == ["bwauto_edge_sk_01"]


def test_deregister_removes_the_link_and_its_router_when_last(
    settings: MonitoringSettings,
) -> None:
    backend = PrometheusBackend(settings)
    backend.register(LINK)

    assert "removed targets/edge-bc-01.json" in backend.deregister(["dinkes"])
    assert backend.monitored() == []
    assert "dinkes" not in (settings.prometheus_dir / "rules/bwauto-links.yml").read_text()
    assert backend.deregister(["dinkes"]) == ()


def test_after_an_upgrade_the_former_layouts_links_stay_monitored(
    settings: MonitoringSettings,
) -> None:
    """Files of the former one-target-per-link layout (as main wrote them): the first
    registration converts them, keeping the links already there, and removes the old files."""
    out = settings.prometheus_dir
    (out / "targets").mkdir(parents=True)
    (out / "rules").mkdir()
    (out / "targets/edge-bc-01.json").write_text(json.dumps([{
        "targets": ["10.20.0.1:161"], "labels": {
            "link_id": "bpkad", "opd": "BPKAD", "router": "edge-bc-01", "upstream": "telkom",
            "__param_module": "bwauto_edge_bc_01", "__scrape_interval__": "300s"}}]))  # fmt: skip
    (out / "rules/link-bpkad.yml").write_text(
        "groups:\n- name: bwauto_link_bpkad\n  interval: 30s\n  rules:\n"
        "  - {record: bwauto_link_capacity_bps, expr: vector(30000000),\n"
        "     labels: {direction: up}}\n"
        "  - {record: bwauto_link_capacity_bps, expr: vector(50000000),\n"
        "     labels: {direction: down}}\n"
        "  - record: bwauto_link_traffic_bps\n"
        '    expr: 8 * rate(ifHCInOctets{job="bwauto_snmp", link_id="bpkad", '
        'if_name="vlan130-bpkad"}[20m])\n'
        "    labels: {direction: up}\n"
    )
    (out / "snmp.yml").write_text(yaml.safe_dump({"bwauto_edge_bc_01": pf.snmp_module(LINK.snmp)}))

    changes = PrometheusBackend(settings).register(LINK).changes

    assert "removed rules/link-bpkad.yml" in changes
    links = json.loads((out / "bwauto-links.json").read_text())["links"]
    assert links["bpkad"] == {"opd": "BPKAD", "router": "edge-bc-01", "upstream": "telkom",
                              "if_name": "vlan130-bpkad", "if_column": "ifName",
                              "capacity": {"up": 30000000, "down": 50000000}}  # fmt: skip
    assert sorted(links) == ["bpkad", "dinkes"]
    assert not list((out / "rules").glob("link-*.yml"))


def test_verify_notices_a_file_changed_by_hand(settings: MonitoringSettings) -> None:
    backend = PrometheusBackend(settings)
    backend.register(LINK)
    (settings.prometheus_dir / "bwauto-links.json").write_text("{}")

    verification = backend.verify(LINK)

    assert not verification.ok
    assert verification.summary() == (
        "link rules: rules/bwauto-links.yml: link missing or different"
    )


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


_REGISTER = """
import sys
from bwauto.monitoring.base import MonitoredLink, SnmpAuth
from bwauto.monitoring.files import usable_gid
from bwauto.monitoring.prometheus import PrometheusBackend
from bwauto.monitoring.settings import default_settings
from pathlib import Path
link = MonitoredLink("dinkes", "Dinas Kesehatan", "edge-bc-01", "10.20.0.1", 161,
                     SnmpAuth(community="c0mm"), "vlan110-dinkes", 1, 2, "telkom")
PrometheusBackend(default_settings(Path(sys.argv[1]))).register(link)
"""


def test_a_registration_waits_for_the_lock_held_by_another_process(
    settings: MonitoringSettings, tmp_path: Path
) -> None:
    """What was seen 5: read-modify-write without a lock lost registrations. Another process
    holding the output dir's lock keeps a registration from reading or writing anything."""
    out = settings.prometheus_dir
    out.mkdir(parents=True)
    fd = os.open(out / ".bwauto.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", _REGISTER, str(tmp_path)], env=env)
    try:
        time.sleep(3.0)
        assert proc.poll() is None, "the registration did not wait for the lock"
        assert not (out / "bwauto-links.json").exists()
    finally:
        os.close(fd)  # releases the lock
    assert proc.wait(30) == 0
    assert json.loads((out / "bwauto-links.json").read_text())["links"]["dinkes"]


class _Reloads(http.server.BaseHTTPRequestHandler):
    """Prometheus's and snmp_exporter's HTTP surface as bwauto uses it: POST /-/reload
    (refused with 500 while ``failing``, as Prometheus does when a reload fails), and an API
    that knows no target."""

    failing = True
    posts: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        type(self).posts.append(self.path)
        self.send_response(500 if type(self).failing else 200)
        self.end_headers()

    def do_GET(self) -> None:
        body = b'{"status": "success", "data": {"activeTargets": [], "result": []}}'
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_reload_that_failed_is_made_by_the_next_registration(
    settings: MonitoringSettings,
) -> None:
    """The files were written but the reload failed: the next registration, with nothing
    left to write, still reloads both servers once, and a later one reloads nothing."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Reloads)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    addr = f"127.0.0.1:{server.server_address[1]}"
    prom = settings.prometheus.model_copy(
        update={"url": f"http://{addr}", "snmp_exporter": addr, "verify_timeout_s": 0.1}
    )
    backend = PrometheusBackend(settings.model_copy(update={"prometheus": prom}))
    pending = settings.prometheus_dir / ".bwauto-reload-pending"
    try:
        with pytest.raises(MonitoringError, match="HTTP 500"):
            backend.register(LINK)
        assert pending.read_text() == "prometheus\nsnmp_exporter\n"
        _Reloads.failing, _Reloads.posts = False, []

        assert backend.register(LINK).changes == ()
        assert _Reloads.posts == ["/-/reload", "/-/reload"] and not pending.exists()
        backend.register(LINK)
        assert _Reloads.posts == ["/-/reload", "/-/reload"]
    finally:
        server.shutdown()
