"""Pure rendering of the Prometheus side: what is monitored, and every file that says so.

Layout of the output dir (each file is rewritten only when its text changes; bwauto's own
files that are no longer wanted are removed)::

    bwauto-links.json          what is monitored (no secret): the links and their routers
    snmp.yml                   snmp_exporter 0.21 config: one module per router (secrets: 0640)
    targets/<router>.json      file_sd: ONE target per router, labelled ``router``
    rules/bwauto-links.yml     one rule group: per link ``bwauto_link_info`` and its capacity
    rules/bwauto-recording.yml shared recording rules joining the counters with the info metric
    rules/bwauto-alerts.yml    utilisation high, target down, no data
    scrape-config.yml          the job and rule_files to merge into an existing prometheus.yml
    prometheus.yml             a complete prometheus.yml for a fresh install
    debian/...service.d/bwauto.conf   systemd drop-ins for Debian's packages

One target per router walks its interface table once; snmp_exporter labels each row with
``if_name`` (ifName) and ``if_descr`` (ifDescr). A link is an info metric,
``bwauto_link_info{link_id, opd, router, upstream, if_name, if_column}``, and the shared rule
``link:if_octets:rate5m`` joins each counter row with it on ``(router, if_name)``: the row's
``if_name`` (or, for ``if_column="ifDescr"``, its ``if_descr``) must be the link's interface, so
no series can carry one link's id and another link's interface. The capacity is
``bwauto_link_capacity_bps{link_id, direction}``, never a target label.

In 0.21 the SNMP credentials live in the module, so ``snmp.yml`` holds the community (or v3
keys) in clear: it is never world-readable (see :mod:`bwauto.monitoring.files`).

Directions: ``up`` is the OPD's upload (router ingress, ``ifHCInOctets``), ``down`` its
download (``ifHCOutOctets``). YAML is dumped without anchors and with sorted inputs, so the
same state always gives the same bytes.

Examples:
    >>> file_stem("edge-bc-01"), module_name("edge/bc 01")
    ('edge-bc-01', 'bwauto_edge_bc_01')
    >>> promql_string('a"b')
    '"a\\\\"b"'
    >>> rate_window(60), rate_window(300)
    ('5m', '20m')
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from bwauto.monitoring.base import MonitoredLink, SnmpAuth
from bwauto.monitoring.durations import duration_seconds
from bwauto.monitoring.promconfig import (
    EXPORTER_DROPIN,
    HEADER,
    PROMETHEUS_DROPIN,
    PROMETHEUS_FILE,
    SCRAPE_FILE,
    SNMP_FILE,
    exporter_dropin,
    prometheus_config,
    prometheus_dropin,
    scrape_config,
)
from bwauto.monitoring.settings import MonitoringSettings

CAPACITY_METRIC = "bwauto_link_capacity_bps"
INFO_METRIC = "bwauto_link_info"
ALERT_NAME = "BwautoLinkUtilisationHigh"
TARGET_DOWN_ALERT = "BwautoTargetDown"
NO_DATA_ALERT = "BwautoLinkNoData"
MANIFEST_FILE = "bwauto-links.json"
LINKS_FILE = "rules/bwauto-links.yml"
RECORDING_FILE = "rules/bwauto-recording.yml"
ALERTS_FILE = "rules/bwauto-alerts.yml"
SECRET_FILES = frozenset({SNMP_FILE})
EXPORTER_FILES = frozenset({SNMP_FILE})
OWNED_GLOBS = ("targets/*.json", "rules/bwauto-*.yml", "rules/link-*.yml")

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT_OCTETS = "1.3.6.1.2.1.31.1.1.1.10"
COUNTERS = {"up": ("ifHCInOctets", IF_HC_IN_OCTETS), "down": ("ifHCOutOctets", IF_HC_OUT_OCTETS)}
LOOKUP_LABEL = {"ifName": "if_name", "ifDescr": "if_descr"}
_LOOKUPS = (("if_name", IF_NAME), ("if_descr", IF_DESCR))
_AUTH_PROTOCOL = {"SHA": "SHA", "SHA-256": "SHA256"}
_PRIV_PROTOCOL = {"AES-128": "AES", "AES-256": "AES256C"}  # Reeder key extension, as bwauto.snmp


def file_stem(name: str) -> str:
    """A file-name-safe form of a router or link name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def module_name(router: str) -> str:
    """The snmp_exporter module of ``router``."""
    return "bwauto_" + re.sub(r"[^A-Za-z0-9_]", "_", router)


def targets_file(router: str) -> str:
    """Path (relative to the output dir) of ``router``'s file_sd file."""
    return f"targets/{file_stem(router)}.json"


def promql_string(value: str) -> str:
    """A PromQL double-quoted string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def address(host: str, port: int) -> str:
    """``host:port``, an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def rate_window(scrape_interval_s: int) -> str:
    """The rate() window: 5m, or four scrapes when the interval is longer than 75 s."""
    seconds = max(300, 4 * scrape_interval_s)
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def rate_record(settings: MonitoringSettings) -> str:
    """The name of the shared per-link octet-rate rule (``link:if_octets:rate5m``)."""
    return f"link:if_octets:rate{_window(settings)}"


def traffic_record(settings: MonitoringSettings) -> str:
    """The name of the per-link traffic rule in bit/s."""
    return f"link:traffic_bps:rate{_window(settings)}"


def utilisation_record(settings: MonitoringSettings) -> str:
    """The name of the per-link utilisation rule (traffic / capacity)."""
    return f"link:utilisation:ratio_rate{_window(settings)}"


def _window(settings: MonitoringSettings) -> str:
    return rate_window(math.ceil(duration_seconds(settings.prometheus.scrape_interval)))


# --- what is monitored ------------------------------------------------------------------


@dataclass
class PromState:
    """What is monitored: links (no secret) and, per router, its address and snmp module."""

    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    routers: dict[str, dict[str, Any]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)

    def with_link(self, link: MonitoredLink) -> PromState:
        """A copy with ``link`` added or replaced (and its router's address and module)."""
        links = {**self.links, link.link_id: link_entry(link)}
        routers = {**self.routers, link.router: {"address": address(link.router_host,
                                                                     link.snmp_port)}}  # fmt: skip
        modules = {**self.modules, module_name(link.router): snmp_module(link.snmp)}
        return PromState(links, routers, modules).pruned()

    def without(self, link_ids: set[str]) -> PromState:
        """A copy without ``link_ids`` (and without routers left with no link)."""
        links = {k: v for k, v in self.links.items() if k not in link_ids}
        return PromState(links, dict(self.routers), dict(self.modules)).pruned()

    def pruned(self) -> PromState:
        """Only the routers and modules some link uses, everything sorted."""
        used = {v["router"] for v in self.links.values()}
        routers = {k: self.routers[k] for k in sorted(used) if k in self.routers}
        names = {module_name(r) for r in routers}
        modules = {k: v for k, v in sorted(self.modules.items()) if k in names}
        return PromState(dict(sorted(self.links.items())), routers, modules)


def link_entry(link: MonitoredLink) -> dict[str, Any]:
    """What the manifest keeps of a link (everything but the secrets and the address)."""
    return {"opd": link.opd, "router": link.router, "upstream": link.upstream,
            "if_name": link.if_name, "if_column": link.if_column,
            "capacity": {"up": link.capacity_up_bps, "down": link.capacity_down_bps}}  # fmt: skip


def from_links(links: list[MonitoredLink]) -> PromState:
    """The state monitoring exactly ``links``."""
    state = PromState()
    for link in links:
        state = state.with_link(link)
    return state


def parse_state(manifest: str | None, snmp_yml: dict[str, Any]) -> PromState:
    """The state recorded in the manifest text and the parsed snmp.yml (empty when absent)."""
    try:
        data = json.loads(manifest) if manifest else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    links = data.get("links") if isinstance(data.get("links"), dict) else {}
    routers = data.get("routers") if isinstance(data.get("routers"), dict) else {}
    modules = {k: v for k, v in snmp_yml.items() if isinstance(v, dict)}
    return PromState(dict(links or {}), dict(routers or {}), modules).pruned()


# --- rendering --------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (PromQL expressions) as literal blocks, and never an anchor."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    """YAML text with bwauto's header: no anchors, key order as given, one line per value."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1000)
    return HEADER + text


def render(state: PromState, settings: MonitoringSettings) -> dict[str, str]:
    """Every file of the output dir for ``state``: relative path -> text."""
    files = {
        MANIFEST_FILE: render_manifest(state),
        SNMP_FILE: dump_yaml(state.modules) if state.modules else HEADER + "{}\n",
        LINKS_FILE: dump_yaml(link_rules(state, settings)),
        RECORDING_FILE: dump_yaml(recording_rules(settings)),
        ALERTS_FILE: dump_yaml(alert_rules(settings)),
        SCRAPE_FILE: dump_yaml(scrape_config(settings)),
        PROMETHEUS_FILE: dump_yaml(prometheus_config(settings)),
        EXPORTER_DROPIN: exporter_dropin(settings),
        PROMETHEUS_DROPIN: prometheus_dropin(settings),
    }
    for router, entry in state.routers.items():
        files[targets_file(router)] = render_targets(router, entry["address"])
    return dict(sorted(files.items()))


def render_manifest(state: PromState) -> str:
    """The manifest text."""
    data = {"links": state.links, "routers": state.routers}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def target_group(router: str, addr: str) -> dict[str, Any]:
    """The file_sd group of one router: its agent, its name and its snmp module."""
    return {"targets": [addr], "labels": {"router": router, "__param_module": module_name(router)}}


def render_targets(router: str, addr: str) -> str:
    """A file_sd JSON file with the router's one target."""
    return json.dumps([target_group(router, addr)], indent=2, ensure_ascii=False) + "\n"


def parse_targets(text: str | None) -> list[dict[str, Any]]:
    """The target groups of a file_sd JSON text (an unreadable file counts as empty)."""
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [g for g in data if isinstance(g, dict) and isinstance(g.get("labels"), dict)]


def _auth(snmp: SnmpAuth) -> dict[str, Any]:
    if snmp.version == "v2c":
        return {"version": 2, "auth": {"community": snmp.community}}
    return {
        "version": 3,
        "auth": {
            "username": snmp.user,
            "security_level": "authPriv",
            "password": snmp.auth_key,
            "auth_protocol": _AUTH_PROTOCOL[snmp.auth_protocol],
            "priv_protocol": _PRIV_PROTOCOL[snmp.priv_protocol],
            "priv_password": snmp.priv_key,
        },
    }


def snmp_module(snmp: SnmpAuth) -> dict[str, Any]:
    """The snmp_exporter 0.21 module for a router: its auth and the IF-MIB objects bwauto needs."""
    metrics = [
        {
            "name": name,
            "oid": oid,
            "type": "counter",
            "help": f"IF-MIB {name} ({oid}), walked by bwauto",
            "indexes": [{"labelname": "ifIndex", "type": "gauge"}],
            "lookups": [
                {"labels": ["ifIndex"], "labelname": label, "oid": lookup, "type": "DisplayString"}
                for label, lookup in _LOOKUPS
            ],
        }
        for name, oid in COUNTERS.values()
    ]
    return {
        **_auth(snmp),
        "timeout": f"{snmp.timeout_s:g}s",
        "retries": snmp.retries,
        "walk": [IF_DESCR, IF_NAME, IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS],
        "metrics": metrics,
    }


def link_rules(state: PromState, settings: MonitoringSettings) -> dict[str, Any]:
    """One group: per link its info metric and its capacity per direction."""
    rules: list[dict[str, Any]] = []
    for link_id, e in state.links.items():
        info = {"link_id": link_id, "opd": e["opd"], "router": e["router"],
                "upstream": e["upstream"], "if_name": e["if_name"],
                "if_column": e["if_column"]}  # fmt: skip
        rules.append({"record": INFO_METRIC, "expr": "vector(1)", "labels": info})
        for direction in ("up", "down"):
            rules.append({"record": CAPACITY_METRIC, "expr": f"vector({e['capacity'][direction]})",
                          "labels": {"link_id": link_id, "direction": direction}})  # fmt: skip
    group = {"name": "bwauto_links", "interval": settings.prometheus.rule_interval}
    return {"groups": [{**group, "rules": rules}]}


def _join(metric: str, settings: MonitoringSettings) -> str:
    window = _window(settings)
    raw = f"rate({metric}{{job={promql_string(settings.prometheus.job_name)}}}[{window}])"
    on = "  * on (router, if_name) group_left (link_id, opd, upstream)\n"
    by_descr = f'label_replace({raw}, "if_name", "$1", "if_descr", "(.+)")'
    return (f"{raw}\n{on}{INFO_METRIC}{{if_column=\"ifName\"}}\nor\n"
            f"{by_descr}\n{on}{INFO_METRIC}{{if_column=\"ifDescr\"}}\n")  # fmt: skip


def recording_rules(settings: MonitoringSettings) -> dict[str, Any]:
    """The shared rules: octets/s per link and direction, traffic in bit/s, utilisation."""
    rules: list[dict[str, Any]] = [
        {"record": rate_record(settings), "expr": _join(metric, settings),
         "labels": {"direction": direction}}
        for direction, (metric, _) in COUNTERS.items()
    ]  # fmt: skip
    rules.append({"record": traffic_record(settings), "expr": f"8 * {rate_record(settings)}"})
    rules.append({
        "record": utilisation_record(settings),
        "expr": f"{traffic_record(settings)}\n  / on (link_id, direction) group_left ()\n"
        f"{CAPACITY_METRIC}\n",
    })  # fmt: skip
    group = {"name": "bwauto_recording", "interval": settings.prometheus.rule_interval}
    return {"groups": [{**group, "rules": rules}]}


def alert_rules(settings: MonitoringSettings) -> dict[str, Any]:
    """Utilisation over the threshold, a router's target down, a link without data."""
    alert, job = settings.alert, promql_string(settings.prometheus.job_name)
    pct = f"{alert.threshold * 100:g}%"
    high = {
        "alert": ALERT_NAME,
        "expr": f"{utilisation_record(settings)} > {alert.threshold:g}",
        "for": alert.for_,
        "labels": {"severity": alert.severity},
        "annotations": {
            "summary": "Link {{ $labels.link_id }} ({{ $labels.opd }}) {{ $labels.direction }} "
            f"above {pct} of its capacity",
            "description": "Traffic on {{ $labels.router }} {{ $labels.if_name }} has been "
            "{{ $value | humanizePercentage }} of the link's capacity for " + alert.for_ + ".",
        },
    }
    down = {
        "alert": TARGET_DOWN_ALERT,
        "expr": f"up{{job={job}}} == 0",
        "for": "5m",
        "labels": {"severity": alert.severity},
        "annotations": {"summary": "snmp_exporter cannot walk router {{ $labels.router }} "
                        "({{ $labels.instance }})"},
    }  # fmt: skip
    no_data = {
        "alert": NO_DATA_ALERT,
        "expr": f"{INFO_METRIC} unless on (link_id) {rate_record(settings)}",
        "for": "15m",
        "labels": {"severity": alert.severity},
        "annotations": {"summary": "No traffic data for link {{ $labels.link_id }}: interface "
                        "{{ $labels.if_name }} not found on {{ $labels.router }}, or not scraped"},
    }  # fmt: skip
    return {"groups": [{"name": "bwauto_alerts", "rules": [high, down, no_data]}]}


def counter_selector(link: MonitoredLink, metric: str, settings: MonitoringSettings) -> str:
    """The PromQL selector of the link's row of ``metric`` on its router's target."""
    label = LOOKUP_LABEL[link.if_column]
    matchers = (
        f"job={promql_string(settings.prometheus.job_name)}, "
        f"router={promql_string(link.router)}, {label}={promql_string(link.if_name)}"
    )
    return f"{metric}{{{matchers}}}"
