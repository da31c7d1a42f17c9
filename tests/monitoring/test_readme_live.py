"""The README's monitoring section, run command by command against real servers.

Each backend's "from zero" guide is read from README.md: its YAML block becomes
``monitoring.yaml`` and every line of its ``sh`` blocks is run, with only these changes:
the README's paths and ports become a temp dir and free ports; ``sudo`` is dropped; and
``systemctl``, which has no systemd to talk to here, is done as systemd would do it: the
unit Debian's package installed (``/lib/systemd/system/<unit>.service``: its ``User=``)
with the drop-in ``monitor setup`` wrote (its ``ExecStart=``), ``$ARGS`` being what an
operator's ``/etc/default/<unit>`` would hold. Prometheus is told to scrape every 2 s instead
of 60 s so the test is quick. The routers are the lab's simulated SNMP agents.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from zabbix_utils import ZabbixAPI

if TYPE_CHECKING:
    from bwauto.lab.model import LabRouter
    from conftest import ZabbixEnv

servers: Any = sys.modules["bwauto_monitoring_test_servers"]  # loaded by conftest.py

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SYSTEMD_UNITS = Path("/lib/systemd/system")
TOKEN_PLACEHOLDER = "0123456789abcdef"


def section(title: str) -> str:
    """The README text under ``### title`` up to the next heading of level 2 or 3."""
    text = README.read_text()
    heading = f"### {title}\n"
    rest = text[text.index(heading) + len(heading) :]
    end = re.search(r"^#{2,3} ", rest, re.M)
    return rest[: end.start()] if end else rest


def blocks(text: str, lang: str) -> list[str]:
    """The fenced ``lang`` blocks of ``text`` (list-item indentation removed)."""
    found = re.finditer(rf"^( *)```{lang}\n(.*?)^\1```", text, re.M | re.S)
    return [textwrap.dedent(m.group(2)) for m in found]


def lines(block: str) -> list[str]:
    return [x.strip() for x in block.splitlines() if x.strip() and not x.startswith("#")]


@dataclass
class Machine:
    """A temp dir standing in for /, free ports for the servers, and what runs there."""

    root: Path
    subs: dict[str, str]
    env: dict[str, str]
    procs: list[servers.Proc] = field(default_factory=list)
    default_args: dict[str, str] = field(default_factory=dict)

    def path(self, readme_path: str) -> Path:
        return Path(self.sub(readme_path))

    def sub(self, text: str, *, keep: tuple[str, ...] = ()) -> str:
        for old, new in self.subs.items():
            if old not in keep:
                text = text.replace(old, new)
        return text

    def run(self, line: str) -> str:
        """Run one README line (``sudo -u USER``: as that user); return its output."""
        line = self.sub(line).removeprefix("sudo ")
        user = None
        if line.startswith("-u "):
            _, user, line = line.split(" ", 2)
        if line.startswith("export "):
            name, value = line.removeprefix("export ").split("=", 1)
            self.env[name] = value
            return ""
        if line.endswith("&"):
            args = shlex.split(line[:-1])
            self.start(args[0], args, user)
            return ""
        args = shlex.split(line)
        if args[:2] == ["systemctl", "daemon-reload"]:
            return ""  # no systemd here: the drop-ins are read by restart below
        if args[:2] == ["systemctl", "restart"]:
            for unit in args[2:]:
                self.systemd_start(unit)
            return ""
        if args[0] == "bwauto":
            args = [sys.executable, "-m", "bwauto", *args[1:]]
        done = subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    def systemd_start(self, unit: str) -> None:
        """What systemd runs for ``unit``: the package's User=, the drop-in's ExecStart=."""
        base = (SYSTEMD_UNITS / f"{unit}.service").read_text()
        user = re.search(r"^User=(.+)$", base, re.M)
        drop_in = self.path(f"/etc/systemd/system/{unit}.service.d/bwauto.conf").read_text()
        exec_start = [x for x in re.findall(r"^ExecStart=(.*)$", drop_in, re.M) if x][-1]
        command = exec_start.replace("$ARGS", self.default_args.get(unit, ""))
        self.start(unit, shlex.split(command), user.group(1) if user else None)

    def start(self, name: str, args: list[str], user: str | None) -> None:
        proc = servers.Proc(name, args, self.root / f"{name}.log", user=user)
        self.procs.append(proc)
        proc.start()

    def stop(self) -> None:
        while self.procs:
            self.procs.pop().stop()


@pytest.fixture
def machine(lab_routers: dict[str, LabRouter]) -> Iterator[Machine]:
    # world-traversable, as /var/lib is: the prometheus user must reach the files
    root = Path(tempfile.mkdtemp(prefix="bwauto-readme-"))
    root.chmod(0o755)
    prom, exporter = servers.free_port(), servers.free_port()
    subs = {"/etc/bwauto/inventory": str(root / "etc/bwauto/inventory"),
            "/var/lib/bwauto": str(root / "var/lib/bwauto"),
            "/etc/systemd/system": str(root / "etc/systemd/system"),
            "127.0.0.1:9116": f"127.0.0.1:{exporter}",
            "127.0.0.1:9090": f"127.0.0.1:{prom}"}  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name, router in lab_routers.items():
        env[f"BWAUTO_{name.upper().replace('-', '_')}_SNMP_COMMUNITY"] = router.spec.snmp_community
    m = Machine(root, subs, env)
    write_inventory(m.path("/etc/bwauto/inventory"), lab_routers)
    try:
        yield m
    finally:
        m.stop()
        shutil.rmtree(root, ignore_errors=True)


def write_inventory(inv: Path, routers: dict[str, LabRouter]) -> None:
    inv.mkdir(parents=True)
    hosts, links = {}, []
    for name, router in routers.items():
        spec = router.spec
        interfaces = {lab.interface: "1G" for lab in spec.links}
        hosts[name] = {"hostname": "127.0.0.1", "platform": spec.platform,
                       "data": {"interfaces": interfaces,
                                "snmp": {"port": router.snmp_port, "timeout_s": 1}}}  # fmt: skip
        for lab in spec.links:
            links.append({"id": lab.link_id, "opd": f"OPD {lab.link_id}", "router": name,
                          "interface": lab.interface, "shaper": f"q-{lab.link_id}",
                          "committed": {"up": "10M", "down": "20M"}, "upstream": "lab-isp",
                          "contact": {"name": "Lab"}})  # fmt: skip
    (inv / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    upstream = {"id": "lab-isp", "capacity": "1G"}
    (inv / "links.yaml").write_text(yaml.safe_dump({"upstreams": [upstream], "links": links}))


def prom_api(url: str, path: str, **params: str) -> Any:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"{url}{path}{query}", timeout=5) as reply:
        return json.loads(reply.read())["data"]


def wait_ready(url: str, machine: Machine) -> None:
    deadline = time.monotonic() + 30
    while True:
        for proc in machine.procs:
            proc.check()
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            assert time.monotonic() < deadline, f"{url} not ready"
            time.sleep(0.1)


def check_prometheus(url: str, routers: dict[str, LabRouter], job: str) -> None:
    """One target per router, up; every link's capacity, info and traffic on its interface."""
    targets = [t for t in prom_api(url, "/api/v1/targets")["activeTargets"]
               if t["scrapePool"] == job]  # fmt: skip
    assert sorted((t["labels"]["router"], t["health"]) for t in targets) == [
        (name, "up") for name in sorted(routers)]  # fmt: skip
    want = {lab.link_id: lab.interface for r in routers.values() for lab in r.spec.links}
    caps = prom_api(url, "/api/v1/query", query="bwauto_link_capacity_bps")["result"]
    assert {(r["metric"]["link_id"], r["metric"]["direction"], r["value"][1]) for r in caps} == {
        (k, d, v) for k in want for d, v in (("up", "10000000"), ("down", "20000000"))}  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        rates = prom_api(url, "/api/v1/query", query="link:traffic_bps:rate5m")["result"]
        if len(rates) == 2 * len(want) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert sorted((r["metric"]["link_id"], r["metric"]["if_name"]) for r in rates) == sorted(
        (k, v) for k, v in want.items() for _ in range(2))  # fmt: skip


def test_the_readme_lists_every_setting_as_monitor_settings_prints_them(
    machine: Machine,
) -> None:
    """Outside look: the settings were documented only in settings.py."""
    from bwauto.i18n import gettext
    from bwauto.monitoring.settings import default_settings
    from bwauto.monitoring.settings_doc import setting_rows

    text = section("Settings (`monitoring.yaml`)")
    [block] = blocks(text, "sh")
    machine.path("/etc/bwauto/inventory/monitoring.yaml").write_text("alert: {threshold: 0.9}\n")

    [printed] = [machine.run(line) for line in lines(block)]

    rows = setting_rows(default_settings(machine.root))
    assert "alert.threshold: 0.9  (bawaan: 0.8)" in printed  # --lang id, the default
    table = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z_.]+)` \| `([^`]*)` \|",
                                                         text, re.M)}  # fmt: skip
    assert list(table) == [r.key for r in rows]
    for row in rows:
        meaning = gettext(row.meaning, "id")  # --lang id: one language per output
        assert f"{row.key}: " in printed and f"    {meaning}" in printed, row.key
        assert table[row.key] == row.default, row.key


def test_the_readme_says_what_an_operator_must_know() -> None:
    """What was seen 2 and 3: the job name rule and --web.enable-lifecycle were not in the
    README; neither was snmp_exporter's user."""
    text = section("Prometheus from zero")
    assert "--web.enable-lifecycle" in text
    assert "job_name: bwauto_snmp            # any name" in text
    assert "group: prometheus" in text and "monitor setup prometheus" in text
    assert "host_per: router" in section("Zabbix from zero")


def test_the_readme_says_what_a_rules_only_change_verifies_and_that_a_job_rename_leaves_a_gap(
) -> None:  # fmt: skip
    """Second outside look: a threshold change was "verified in 0.2 s" though the README said a
    registration is verified once Prometheus scraped the router after the reload; a job rename
    leaves ~2 scrape intervals without data, documented nowhere."""
    whole = README.read_text()
    text = whole[whole.index("## Step 8: monitoring\n") :]
    assert "A change of rules only (`alert.*`, `rule_interval`)" in text
    assert '(`/api/v1/rules`, the check "rules loaded")' in text
    [row] = [x for x in whole.splitlines() if x.startswith("| `prometheus.job_name` |")]
    assert "about two scrape intervals the rules see no data (`BwautoLinkNoData`" in row


@pytest.mark.skipif(os.geteuid() != 0, reason="starts the servers as the prometheus user")
def test_prometheus_from_zero_with_the_readme_alone(
    machine: Machine, lab_routers: dict[str, LabRouter]
) -> None:
    """What was seen 1-4 and the Done-when: snmp.yml exists before any registration, the job
    name is any name, --web.enable-lifecycle is in the commands, and the services run as
    the prometheus user read what setup wrote."""
    reason = servers.missing("prometheus", "prometheus-snmp-exporter")
    if reason:
        pytest.skip(reason)
    try:
        pwd.getpwnam("prometheus")
    except KeyError:
        pytest.skip("no prometheus user (Debian's package creates it)")
    text = section("Prometheus from zero")
    [settings_yaml] = blocks(text, "yaml")
    setup, debian, foreground, sync = blocks(text, "sh")
    settings = yaml.safe_load(machine.sub(settings_yaml))
    settings["prometheus"].update(job_name="routers", scrape_interval="2s", rule_interval="1s")
    machine.path("/etc/bwauto/inventory/monitoring.yaml").write_text(yaml.safe_dump(settings))
    url = settings["prometheus"]["url"]
    data = machine.root / "prometheus-data"  # Debian's /var/lib/prometheus
    data.mkdir()
    shutil.chown(data, "prometheus")
    # an operator's ARGS: the storage only (Debian's is /var/lib/prometheus/metrics2/); the
    # drop-in listens where monitoring.yaml says (a port other than 9090 here)
    machine.default_args["prometheus"] = f"--storage.tsdb.path={data}"

    [printed] = [machine.run(line) for line in lines(setup)]

    out = machine.path("/var/lib/bwauto/monitoring/prometheus")
    assert (out / "snmp.yml").exists() and (out / "prometheus.yml").exists()
    assert "--web.enable-lifecycle" in printed
    for line in lines(debian) + lines(foreground):  # the README's commands are those printed
        line = machine.sub(line, keep=("/etc/systemd/system",))
        assert line.removesuffix(" &") in printed, line
    for line in lines(debian):
        machine.run(line)
    wait_ready(f"{url}/-/ready", machine)
    assert [p.popen.args[0] for p in machine.procs if p.popen] == [  # type: ignore[index]
        "/usr/bin/prometheus-snmp-exporter", "/usr/bin/prometheus"]  # fmt: skip
    assert {p.user for p in machine.procs} == {"prometheus"}

    [synced] = [machine.run(line) for line in lines(sync)]

    assert "failed" not in synced
    check_prometheus(url, lab_routers, "routers")
    machine.stop()
    for line in lines(foreground):  # the same files, started by hand as the prometheus user
        machine.run(line)
    assert {p.user for p in machine.procs} == {"prometheus"}
    wait_ready(f"{url}/-/ready", machine)
    for line in lines(sync):
        machine.run(line)
    check_prometheus(url, lab_routers, "routers")


def test_zabbix_from_zero_with_the_readme_alone(
    machine: Machine, zabbix: ZabbixEnv, lab_routers: dict[str, LabRouter]
) -> None:
    text = section("Zabbix from zero")
    [settings_yaml] = blocks(text, "yaml")
    [commands] = blocks(text, "sh")
    machine.subs["https://zabbix.example/api_jsonrpc.php"] = zabbix.frontend.url
    admin = ZabbixAPI(url=zabbix.frontend.url, user="Admin", password="zabbix")
    try:
        token_id = admin.token.create(name="bwauto-readme", userid="1")["tokenids"][0]
        machine.subs[TOKEN_PLACEHOLDER] = admin.token.generate(token_id)[0]["token"]
        machine.path("/etc/bwauto/inventory/monitoring.yaml").write_text(machine.sub(settings_yaml))
        for key in ("BWAUTO_ZABBIX_USERNAME", "BWAUTO_ZABBIX_PASSWORD"):
            machine.env.pop(key, None)

        for line in lines(commands):
            machine.run(line)

        hosts = admin.host.get(tags=[{"tag": "managed_by", "value": "bwauto"}],
                               output=["host"], selectParentTemplates=["host"],
                               selectMacros="extend")  # fmt: skip
        assert sorted(h["host"] for h in hosts) == sorted(f"bwauto-{r}" for r in lab_routers)
        for host in hosts:
            assert [t["host"] for t in host["parentTemplates"]] == ["bwauto SNMP links"]
        macros = {m["macro"]: m["value"] for h in hosts for m in h["macros"] if "value" in m}
        for router in lab_routers.values():
            for lab in router.spec.links:
                assert macros[f'{{$LINK.CAPACITY.BPS.DOWN:"{lab.interface}"}}'] == "20000000"
                assert macros[f'{{$LINK.ID:"{lab.interface}"}}'] == lab.link_id
    finally:
        admin.logout()
