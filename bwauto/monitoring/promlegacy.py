"""Reading the Prometheus files of bwauto's former layout (one target per link), so that the
first registration after an upgrade keeps every link already monitored.

The former layout had no manifest: each link was a file_sd group in ``targets/<router>.json``
labelled ``link_id``, ``opd``, ``router``, ``upstream``, and a rules file
``rules/link-<id>.yml`` holding its capacity (``vector(N)`` per direction) and a traffic rule
selecting its row by ``if_name="..."`` (ifName) or ``if_descr="..."`` (ifDescr). The routers'
snmp_exporter modules in ``snmp.yml`` are the same in both layouts.

Examples:
    >>> rules = '''groups:
    ... - name: bwauto_link_dinkes
    ...   rules:
    ...   - {record: bwauto_link_capacity_bps, expr: vector(50000000), labels: {direction: up}}
    ...   - {record: bwauto_link_capacity_bps, expr: vector(100000000), labels: {direction: down}}
    ...   - record: bwauto_link_traffic_bps
    ...     expr: 8 * rate(ifHCInOctets{job="j", link_id="dinkes", if_name="ether2"}[20m])
    ... '''
    >>> link_rules(rules)
    ({'up': 50000000, 'down': 100000000}, 'ether2', 'ifName')
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from bwauto.monitoring.promfiles import PromState, parse_targets

_VECTOR = re.compile(r"^vector\((\d+)\)$")
_ROW = re.compile(r'\bif_(name|descr)="((?:[^"\\]|\\.)*)"')


def link_rules(text: str | None) -> tuple[dict[str, int], str, str] | None:
    """Capacity, interface name and IF-MIB column from a former ``rules/link-<id>.yml``."""
    try:
        data: Any = yaml.safe_load(text) if text else {}
        rules = data["groups"][0]["rules"]
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        return None
    capacity: dict[str, int] = {}
    row: tuple[str, str] | None = None
    for rule in rules:
        expr = str(rule.get("expr", ""))
        match = _VECTOR.match(expr)
        if match and isinstance(rule.get("labels"), dict):
            capacity[str(rule["labels"].get("direction"))] = int(match.group(1))
        found = _ROW.search(expr)
        if found:
            column = "ifName" if found.group(1) == "name" else "ifDescr"
            row = (found.group(2).replace('\\"', '"').replace("\\\\", "\\"), column)
    if set(capacity) != {"up", "down"} or row is None:
        return None
    return capacity, row[0], row[1]


def legacy_state(
    targets: dict[str, str], rules: dict[str, str], modules: dict[str, Any]
) -> PromState:
    """The links of the former layout: ``targets`` and ``rules`` map file names to texts."""
    links: dict[str, dict[str, Any]] = {}
    routers: dict[str, dict[str, Any]] = {}
    for text in targets.values():
        for group in parse_targets(text):
            labels, addresses = group["labels"], group.get("targets") or []
            link_id = str(labels.get("link_id", ""))
            parsed = link_rules(rules.get(f"link-{link_id}.yml"))
            if not link_id or not addresses or parsed is None:
                continue
            capacity, if_name, column = parsed
            router = str(labels.get("router", ""))
            links[link_id] = {"opd": str(labels.get("opd", "")), "router": router,
                              "upstream": str(labels.get("upstream", "")), "if_name": if_name,
                              "if_column": column, "capacity": capacity}  # fmt: skip
            routers[router] = {"address": str(addresses[0])}
    return PromState(links, routers, modules).pruned()
