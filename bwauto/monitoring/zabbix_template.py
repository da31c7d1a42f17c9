"""Pure side of Zabbix's one-host-per-router layout: the bwauto template and a router's macros.

The way Zabbix operators run interface monitoring (as Zabbix's own "Network interfaces by
SNMP" templates do): one host per router, linked to a template whose low-level discovery
finds the interfaces and whose filter keeps only the inventory's links.

The template (``zabbix.template``, default "bwauto SNMP links") holds two SNMP discovery
rules, because IOS names an interface in full only in ``ifDescr``:

- ``bwauto.if.discovery.name``: ``discovery[{#IFNAME},ifName,{#IFDESCR},ifDescr]``, filter
  ``{#IFNAME}`` matches ``{$BWAUTO.IFNAME.MATCHES}``; its prototypes use ``{#IFNAME}``;
- ``bwauto.if.discovery.descr``: the same walk, filter ``{#IFDESCR}`` matches
  ``{$BWAUTO.IFDESCR.MATCHES}``; its prototypes use ``{#IFDESCR}``.

Each has item prototypes ``bwauto.link.bps[up|down,<name>]`` (``ifHCInOctets`` /
``ifHCOutOctets`` of ``{#SNMPINDEX}``, change per second x 8) and trigger prototypes: traffic
over ``{$LINK.UTIL.WARN}`` x ``{$LINK.CAPACITY.BPS.UP:"<name>"}`` (``.DOWN``) for the alert's
duration, and no data for 15 minutes. Lost resources are deleted at once (lifetime 0), so a
link that leaves the host's filter loses its items at the next discovery.

A router's host carries, per link, context macros keyed by its interface name::

    {$LINK.ID:"ether2"} = dinkes          (description: "bwauto: link, ifName")
    {$LINK.OPD:"ether2"} = Dinas Kesehatan
    {$LINK.CAPACITY.BPS.UP:"ether2"} = 50000000, {$LINK.CAPACITY.BPS.DOWN:"ether2"} = ...
    {$LINK.CAPACITY.BPS:"ether2"} = the larger of the two

and the two filter regexes built from them. The macros are the state: the links a host
monitors are read back from them (:func:`links_from_macros`).

Examples:
    >>> filter_regex(["ether2", "vlan110-dinkes"])
    '^(ether2|vlan110\\\\-dinkes)$'
    >>> filter_regex([])
    '(?!)'
    >>> context_macro("{$LINK.ID}", "Gi0/1.201")
    '{$LINK.ID:"Gi0/1.201"}'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bwauto.monitoring.base import IfColumn, MonitoredLink
from bwauto.monitoring.durations import zabbix_period
from bwauto.monitoring.promfiles import COUNTERS, IF_DESCR, IF_NAME
from bwauto.monitoring.settings import MonitoringSettings
from bwauto.monitoring.zabbix_model import (
    MACRO_TEXT,
    PREPROC_CHANGE_PER_SECOND,
    PREPROC_MULTIPLIER,
    SEVERITY,
    SNMP_ITEM,
    THRESHOLD_MACRO,
    VALUE_UINT64,
)

ID_MACRO = "{$LINK.ID}"
OPD_MACRO = "{$LINK.OPD}"
CAP_MACROS = {"up": "{$LINK.CAPACITY.BPS.UP}", "down": "{$LINK.CAPACITY.BPS.DOWN}"}
MAX_MACRO = "{$LINK.CAPACITY.BPS}"
MATCH_MACROS: dict[IfColumn, str] = {
    "ifName": "{$BWAUTO.IFNAME.MATCHES}",
    "ifDescr": "{$BWAUTO.IFDESCR.MATCHES}",
}
LLD_MACRO: dict[IfColumn, str] = {"ifName": "{#IFNAME}", "ifDescr": "{#IFDESCR}"}
RULE_KEY: dict[IfColumn, str] = {
    "ifName": "bwauto.if.discovery.name",
    "ifDescr": "bwauto.if.discovery.descr",
}
NOTHING = "(?!)"  # a regex that matches no name
FILTER_OR, OPERATOR_MATCHES = "2", "8"
DIRECTION_WORD = {"up": "upload", "down": "download"}
_CONTEXT = re.compile(r'^\{\$([A-Z0-9_.]+):"(.*)"\}$')
_REGEX_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}\-/])")


@dataclass(frozen=True)
class RouterLink:
    """A link as its router's host records it (no secret, no address)."""

    link_id: str
    opd: str
    if_name: str
    if_column: IfColumn
    up: int
    down: int

    @classmethod
    def of(cls, link: MonitoredLink) -> RouterLink:
        """The record of ``link``."""
        return cls(link.link_id, link.opd, link.if_name, link.if_column,
                   link.capacity_up_bps, link.capacity_down_bps)  # fmt: skip


def context_macro(macro: str, context: str) -> str:
    """``{$NAME}`` with a quoted context."""
    return f'{macro[:-1]}:"{context}"}}'


def filter_regex(names: list[str]) -> str:
    """A regex matching exactly ``names`` (none: a regex that matches nothing)."""
    if not names:
        return NOTHING
    return "^(" + "|".join(_REGEX_SPECIAL.sub(r"\\\1", n) for n in sorted(names)) + ")$"


def host_macros(links: list[RouterLink]) -> dict[str, tuple[str, str]]:
    """The bwauto text macros of a router's host: name -> (value, description)."""
    out: dict[str, tuple[str, str]] = {}
    for column, macro in MATCH_MACROS.items():
        names = [x.if_name for x in links if x.if_column == column]
        out[macro] = (filter_regex(names), f"bwauto: the inventory's links, by {column}")
    for x in sorted(links, key=lambda x: x.if_name):
        ctx = x.if_name
        out[context_macro(ID_MACRO, ctx)] = (x.link_id, f"bwauto: link, {x.if_column}")
        out[context_macro(OPD_MACRO, ctx)] = (x.opd, "bwauto: OPD")
        out[context_macro(CAP_MACROS["up"], ctx)] = (str(x.up), "bwauto: OPD upload, bit/s")
        out[context_macro(CAP_MACROS["down"], ctx)] = (str(x.down), "bwauto: OPD download, bit/s")
        out[context_macro(MAX_MACRO, ctx)] = (str(max(x.up, x.down)), "bwauto: larger, bit/s")
    return out


def links_from_macros(macros: list[dict[str, Any]]) -> list[RouterLink]:
    """The links a router's host monitors, read back from its macros."""
    values: dict[tuple[str, str], dict[str, str]] = {}
    for m in macros:
        match = _CONTEXT.match(str(m.get("macro", "")))
        if match:
            name = "{$" + match.group(1) + "}"
            values.setdefault((match.group(2), name), {}).update(
                value=str(m.get("value", "")), description=str(m.get("description", ""))
            )
    out = []
    for (ctx, name), data in sorted(values.items()):
        if name != ID_MACRO:
            continue
        column: IfColumn = "ifDescr" if data["description"].endswith("ifDescr") else "ifName"

        def get(macro: str, ctx: str = ctx) -> str:
            return values.get((ctx, macro), {}).get("value", "")

        up, down = get(CAP_MACROS["up"]), get(CAP_MACROS["down"])
        out.append(RouterLink(data["value"], get(OPD_MACRO), ctx, column,
                              int(up) if up.isdigit() else 0,
                              int(down) if down.isdigit() else 0))  # fmt: skip
    return out


def is_bwauto_macro(name: str) -> bool:
    """Whether bwauto manages the host macro ``name`` (its text macros, not the secrets)."""
    base = name.split(":", 1)[0].rstrip("}") + "}"
    return base in {ID_MACRO, OPD_MACRO, MAX_MACRO, *CAP_MACROS.values(), *MATCH_MACROS.values()}


# --- the template ------------------------------------------------------------------------


def template_macros(settings: MonitoringSettings) -> list[dict[str, str]]:
    """Defaults on the template: match nothing, and the alert threshold."""
    out = [{"macro": m, "value": NOTHING, "description": f"bwauto: links by {c} (host sets it)"}
           for c, m in MATCH_MACROS.items()]  # fmt: skip
    out.append({"macro": THRESHOLD_MACRO, "value": f"{settings.alert.threshold:g}",
                "description": "bwauto: utilisation alert threshold"})  # fmt: skip
    return [{**m, "type": MACRO_TEXT} for m in out]


def discovery_rules(settings: MonitoringSettings) -> list[dict[str, Any]]:
    """The two discovery rules (without prototypes), by the column they match on."""
    walk = f"discovery[{{#IFNAME}},{IF_NAME},{{#IFDESCR}},{IF_DESCR}]"
    return [_rule(column, walk, settings) for column in ("ifName", "ifDescr")]


def _rule(column: IfColumn, walk: str, settings: MonitoringSettings) -> dict[str, Any]:
    condition = {"macro": LLD_MACRO[column], "value": MATCH_MACROS[column],
                 "operator": OPERATOR_MATCHES, "formulaid": "A"}  # fmt: skip
    return {
        "key_": RULE_KEY[column],
        "name": f"bwauto: OPD links by {column}",
        "type": SNMP_ITEM,
        "snmp_oid": walk,
        "delay": settings.zabbix.discovery_interval,
        "lifetime": "0",
        "filter": {"evaltype": FILTER_OR, "conditions": [condition]},
    }


def prototype_key(direction: str, column: IfColumn) -> str:
    """The key of a traffic item prototype."""
    return f"bwauto.link.bps[{direction},{LLD_MACRO[column]}]"


def item_prototypes(settings: MonitoringSettings, column: IfColumn) -> list[dict[str, Any]]:
    """Traffic per direction in bit/s for one rule's discovered interfaces."""
    name = LLD_MACRO[column]
    out = []
    for direction, (metric, oid) in COUNTERS.items():
        out.append({
            "key_": prototype_key(direction, column),
            "name": f"{name}: OPD {DIRECTION_WORD[direction]} ({metric})",
            "type": SNMP_ITEM,
            "snmp_oid": f"{oid}.{{#SNMPINDEX}}",
            "value_type": VALUE_UINT64,
            "units": "bps",
            "delay": settings.zabbix.item_interval,
            "preprocessing": [
                {"type": PREPROC_CHANGE_PER_SECOND, "params": "", "error_handler": "0",
                 "error_handler_params": ""},
                {"type": PREPROC_MULTIPLIER, "params": "8", "error_handler": "0",
                 "error_handler_params": ""},
            ],
            "tags": [{"tag": "direction", "value": direction},
                     {"tag": "interface", "value": name}],
        })  # fmt: skip
    return out


def trigger_prototypes(
    settings: MonitoringSettings, column: IfColumn, template: str
) -> list[dict[str, Any]]:
    """Per direction: utilisation over the threshold, and no data."""
    alert, name = settings.alert, LLD_MACRO[column]
    out = []
    for direction in COUNTERS:
        key = prototype_key(direction, column)
        cap = context_macro(CAP_MACROS[direction], name)
        word = DIRECTION_WORD[direction]
        out.append({
            "description": f"Link {name}: OPD {word} above {alert.threshold * 100:g}% of "
            f"capacity for {alert.for_}",
            "expression": f"min(/{template}/{key},{zabbix_period(alert.for_)})>"
            f"{THRESHOLD_MACRO}*{cap}",
            "priority": SEVERITY[alert.severity],
            "tags": [{"tag": "bwauto", "value": f"utilisation-{direction}"}],
        })  # fmt: skip
        out.append({
            "description": f"Link {name}: no {word} data for 15m",
            "expression": f"nodata(/{template}/{key},15m)=1",
            "priority": SEVERITY[alert.severity],
            "tags": [{"tag": "bwauto", "value": f"nodata-{direction}"}],
        })  # fmt: skip
    return out


def trigger_tag(trigger: dict[str, Any]) -> str:
    """The ``bwauto`` tag value that identifies a trigger (prototype)."""
    return next((str(t["value"]) for t in trigger.get("tags", []) if t["tag"] == "bwauto"), "")
