"""Zabbix, one host per router: the bwauto template, router hosts, their link macros.

What is created is described in :mod:`bwauto.monitoring.zabbix_template`. Each step reads
first and changes only what differs, so a repeated registration changes nothing. After a
host's links changed, its discovery rules are run now (``task.create``, "check now"), so
that new links get their items and removed ones lose them without waiting for the
discovery interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bwauto.monitoring import zabbix_model as zm
from bwauto.monitoring import zabbix_template as zt
from bwauto.monitoring.base import Check, IfColumn, MonitoredLink
from bwauto.monitoring.settings import MonitoringSettings

if TYPE_CHECKING:
    from zabbix_utils import ZabbixAPI

LAYOUT_TAG = "bwauto_layout"
CHECK_NOW = 6  # task.create type "check now" (items and LLD rules)
DISCOVERED = 4  # item.flags of an item created by low-level discovery
_RULE_FIELDS = ["itemid", "key_", "name", "type", "snmp_oid", "delay", "lifetime"]
_PROTO_FIELDS = ["itemid", "key_", "name", "type", "snmp_oid", "value_type", "units", "delay"]


class TemplateSync:
    """The bwauto template: created, or brought to the wanted state (rules, prototypes)."""

    def __init__(self, api: ZabbixAPI, settings: MonitoringSettings) -> None:
        self.api, self.settings = api, settings
        self.name = settings.zabbix.template
        self.changes: list[str] = []

    def run(self, group_id: str) -> str:
        """Ensure the template; return its id."""
        found = self.api.template.get(filter={"host": [self.name]}, output=["templateid"],
                                      selectMacros="extend")  # fmt: skip
        wanted = zt.template_macros(self.settings)
        if not found:
            created = self.api.template.create(host=self.name, groups=[{"groupid": group_id}],
                                               macros=wanted)  # fmt: skip
            template_id = str(created["templateids"][0])
            self.changes.append(f"created template {self.name!r}")
        else:
            template_id = str(found[0]["templateid"])
            if _macro_diff(found[0]["macros"], wanted):
                self.api.template.update(templateid=template_id, macros=wanted)
                self.changes.append(f"updated template {self.name!r}: macros")
        columns: tuple[IfColumn, ...] = ("ifName", "ifDescr")
        for spec, column in zip(zt.discovery_rules(self.settings), columns, strict=True):
            rule_id = self._rule(template_id, spec)
            keys = self._items(template_id, rule_id, zt.item_prototypes(self.settings, column))
            self._triggers(rule_id, keys, zt.trigger_prototypes(self.settings, column, self.name))
        return template_id

    def _rule(self, template_id: str, spec: dict[str, Any]) -> str:
        found = self.api.discoveryrule.get(templateids=[template_id], output=_RULE_FIELDS,
                                           selectFilter="extend",
                                           filter={"key_": spec["key_"]})  # fmt: skip
        if not found:
            created = self.api.discoveryrule.create(hostid=template_id, **spec)
            self.changes.append(f"created discovery rule {spec['key_']}")
            return str(created["itemids"][0])
        rule = found[0]
        diff = [f for f in zm.differences(rule, spec) if f != "filter"]
        if _filter_differs(rule.get("filter", {}), spec["filter"]):
            diff.append("filter")
        if diff:
            self.api.discoveryrule.update(itemid=rule["itemid"], **{f: spec[f] for f in diff})
            self.changes.append(f"updated discovery rule {spec['key_']}: {', '.join(diff)}")
        return str(rule["itemid"])

    def _get_items(self, rule_id: str) -> dict[str, dict[str, Any]]:
        return {i["key_"]: i for i in self.api.itemprototype.get(
            discoveryids=[rule_id], output=_PROTO_FIELDS, selectPreprocessing="extend",
            selectTags="extend")}  # fmt: skip

    def _items(self, template_id: str, rule_id: str, specs: list[dict[str, Any]]) -> dict[str, str]:
        """Create or update the rule's item prototypes; return itemid -> key."""
        have = self._get_items(rule_id)
        for spec in specs:
            item = have.get(spec["key_"])
            if item is None:
                self.api.itemprototype.create(hostid=template_id, ruleid=rule_id, **spec)
                self.changes.append(f"created item prototype {spec['key_']}")
                continue
            diff = zm.differences(item, spec)
            if diff:
                self.api.itemprototype.update(itemid=item["itemid"], **{f: spec[f] for f in diff})
                self.changes.append(f"updated item prototype {spec['key_']}: {', '.join(diff)}")
        return {i["itemid"]: k for k, i in self._get_items(rule_id).items()}

    def _triggers(self, rule_id: str, keys: dict[str, str], specs: list[dict[str, Any]]) -> None:
        have = {zt.trigger_tag(t): t for t in self.api.triggerprototype.get(
            discoveryids=[rule_id], output=["triggerid", "description", "expression",
                                            "priority"],
            selectTags="extend", selectFunctions="extend")}  # fmt: skip
        for spec in specs:
            tag = zt.trigger_tag(spec)
            trigger = have.get(tag)
            if trigger is None:
                self.api.triggerprototype.create(**spec)
                self.changes.append(f"created trigger prototype {tag}")
                continue
            actual = {**trigger, "expression": zm.trigger_expression(trigger, keys, self.name)}
            diff = zm.differences(actual, spec)
            if diff:
                self.api.triggerprototype.update(triggerid=trigger["triggerid"],
                                                 **{f: spec[f] for f in diff})  # fmt: skip
                self.changes.append(f"updated trigger prototype {tag}: {', '.join(diff)}")


def _filter_differs(have: dict[str, Any], want: dict[str, Any]) -> bool:
    if str(have.get("evaltype")) != want["evaltype"]:
        return True
    keys = ("macro", "value", "operator")
    a = sorted(tuple(str(c.get(k)) for k in keys) for c in have.get("conditions", []))
    b = sorted(tuple(str(c.get(k)) for k in keys) for c in want["conditions"])
    return a != b


def _macro_diff(have: list[dict[str, Any]], want: list[dict[str, str]]) -> bool:
    got = {m["macro"]: (m.get("value"), m.get("description")) for m in have}
    return got != {m["macro"]: (m["value"], m["description"]) for m in want}


class RouterHostSync:
    """One router's host: SNMP interface, template link, group, tags and the link macros."""

    def __init__(self, api: ZabbixAPI, settings: MonitoringSettings, first: MonitoredLink) -> None:
        self.api, self.settings, self.first = api, settings, first
        self.host = f"{settings.zabbix.host_prefix}{first.router}"
        self.changes: list[str] = []

    def get(self) -> dict[str, Any] | None:
        """The router's host as the API has it, or None."""
        found = self.api.host.get(
            filter={"host": [self.host]}, output=["hostid", "host", "name", "status"],
            selectInterfaces="extend", selectMacros="extend", selectGroups=["groupid", "name"],
            selectTags="extend", selectParentTemplates=["templateid", "host"],
        )  # fmt: skip
        return found[0] if found else None

    def links(self) -> list[zt.RouterLink]:
        """The links the host monitors now (none if there is no host)."""
        host = self.get()
        return zt.links_from_macros(host["macros"]) if host else []

    def run(self, links: list[zt.RouterLink], template_id: str, group_id: str) -> None:
        """Make the host monitor exactly ``links`` (delete it when there are none)."""
        host = self.get()
        if not links:
            if host is not None:
                self.api.host.delete(host["hostid"])
                self.changes.append(f"deleted host {self.host}")
            return
        macros = self._macros(links, host["macros"] if host else [])
        tags = [{"tag": "managed_by", "value": "bwauto"}, {"tag": LAYOUT_TAG, "value": "router"},
                {"tag": "router", "value": self.first.router}]  # fmt: skip
        wanted = {"name": f"{self.first.router} (bwauto)", "status": "0", "tags": tags}
        templates = [{"templateid": template_id}]
        if host is None:
            self.api.host.create(host=self.host, groups=[{"groupid": group_id}], macros=macros,
                                 interfaces=[zm.interface_spec(self.first)], templates=templates,
                                 **wanted)  # fmt: skip
            self.changes.append(f"created host {self.host}")
            self.discover_now()
            return
        update = self._update(host, wanted, macros, template_id)
        if update:
            self.api.host.update(hostid=host["hostid"], **update)
            self.changes.append(f"updated host {self.host}: {', '.join(sorted(update))}")
        self._interface(host)
        if "macros" in update or "templates" in update:
            self.discover_now()

    def remove(self, link_ids: set[str]) -> list[str]:
        """Stop monitoring ``link_ids`` on this host (delete it if none is left); return them.

        Only macros are touched (``usermacro.delete`` / ``.update``), so the secret macros,
        whose values the API never shows, stay as they are.
        """
        host = self.get()
        if host is None:
            return []
        links = zt.links_from_macros(host["macros"])
        gone = [x for x in links if x.link_id in link_ids]
        if not gone:
            return []
        rest = [x for x in links if x.link_id not in link_ids]
        if not rest:
            self.api.host.delete(host["hostid"])
            self.changes.append(f"deleted host {self.host}")
            return [x.link_id for x in gone]
        wanted = zt.host_macros(rest)
        by_name = {m["macro"]: m for m in host["macros"]}
        stale = [m["hostmacroid"] for name, m in by_name.items()
                 if zt.is_bwauto_macro(name) and name not in wanted]  # fmt: skip
        if stale:
            self.api.usermacro.delete(*stale)
        for name in zt.MATCH_MACROS.values():
            if name in by_name and by_name[name].get("value") != wanted[name][0]:
                self.api.usermacro.update(hostmacroid=by_name[name]["hostmacroid"],
                                          value=wanted[name][0])  # fmt: skip
        self.changes.append(
            f"updated host {self.host}: removed {', '.join(x.link_id for x in gone)}"
        )
        self.discover_now()
        return [x.link_id for x in gone]

    def _update(self, host: dict[str, Any], wanted: dict[str, Any], macros: list[dict[str, str]],
                template_id: str) -> dict[str, Any]:  # fmt: skip
        update: dict[str, Any] = {f: wanted[f] for f in zm.differences(host, wanted)}
        linked = [str(t["templateid"]) for t in host.get("parentTemplates", [])]
        if template_id not in linked:
            update["templates"] = [{"templateid": t} for t in [*linked, template_id]]
        if _host_macros_differ(host["macros"], macros):
            update["macros"] = macros
        return update

    def _macros(
        self, links: list[zt.RouterLink], have: list[dict[str, Any]]
    ) -> list[dict[str, str]]:
        kept = [{"macro": m["macro"], "value": m.get("value", ""), "description":
                 m.get("description", ""), "type": str(m.get("type", zm.MACRO_TEXT))}
                for m in have if not zt.is_bwauto_macro(m["macro"])
                and m["macro"] not in zm.secret_values(self.first)
                and str(m.get("type")) != zm.MACRO_SECRET]  # fmt: skip
        text = [{"macro": k, "value": v, "description": d, "type": zm.MACRO_TEXT}
                for k, (v, d) in zt.host_macros(links).items()]  # fmt: skip
        fps = {m["macro"]: m.get("description", "") for m in have}
        secret = []
        for name, value in zm.secret_values(self.first).items():
            fp = fps.get(name, "")
            fp = fp if zm.fingerprint_matches(fp, value) else zm.fingerprint(value)
            secret.append({"macro": name, "value": value, "description": fp,
                           "type": zm.MACRO_SECRET})  # fmt: skip
        return [*kept, *text, *secret]

    def _interface(self, host: dict[str, Any]) -> None:
        wanted = zm.interface_spec(self.first)
        snmp = [i for i in host["interfaces"] if str(i["type"]) == zm.SNMP_INTERFACE]
        if not snmp:
            self.api.hostinterface.create(hostid=host["hostid"], **wanted)
            self.changes.append(f"created SNMP interface of {self.host}")
            return
        current = next((i for i in snmp if str(i["main"]) == "1"), snmp[0])
        diff = zm.differences(current, wanted)
        if diff:
            self.api.hostinterface.update(interfaceid=current["interfaceid"], **wanted)
            self.changes.append(f"updated SNMP interface of {self.host}: {', '.join(diff)}")

    def discover_now(self) -> None:
        """Ask the server to run the host's discovery rules now (``task.create`` "check now";
        the server ignores it for a rule it has not loaded yet: see
        :meth:`ZabbixBackend.register <bwauto.monitoring.zabbix.ZabbixBackend.register>`)."""
        host = self.get()
        if host is None:
            return
        rules = self.api.discoveryrule.get(hostids=[host["hostid"]], output=["itemid"])
        if rules:
            self.api.task.create([{"type": CHECK_NOW, "request": {"itemid": r["itemid"]}}
                                  for r in rules])  # fmt: skip

    def checks(self, link: MonitoredLink, template: str) -> list[Check]:
        """Is the router's host there, linked, reaching the agent, with the link's macros?"""
        host = self.get()
        if host is None:
            return [Check("host", False, f"no host {self.host}")]
        linked = [t["host"] for t in host.get("parentTemplates", [])]
        snmp = [i for i in host["interfaces"] if str(i["type"]) == zm.SNMP_INTERFACE]
        iface_diff = zm.differences(snmp[0], zm.interface_spec(link)) if snmp else ["missing"]
        mine = [x for x in zt.links_from_macros(host["macros"]) if x.link_id == link.link_id]
        want = zt.RouterLink.of(link)
        caps = f"up={link.capacity_up_bps}, down={link.capacity_down_bps}"
        regex = {m["macro"]: m.get("value", "") for m in host["macros"]}.get(
            zt.MATCH_MACROS[link.if_column], ""
        )
        in_filter = regex != zt.NOTHING and f"|{_escaped(link.if_name)}|" in f"|{regex[2:-2]}|"
        enabled = host["status"] == "0"
        return [
            Check("host", enabled, f"{self.host} ({'enabled' if enabled else 'disabled'})"),
            Check("template", template in linked, ", ".join(linked) or "no template linked"),
            Check("SNMP interface", not iface_diff, ", ".join(iface_diff) or "as registered"),
            Check("link macros", mine == [want],
                  f"{link.if_name}: {caps}" if mine == [want] else f"{link.if_name}: {mine}"),
            Check("discovery filter", in_filter, f"{zt.MATCH_MACROS[link.if_column]} = {regex}"),
            self._discovered_check(host["hostid"], link),
        ]  # fmt: skip

    def _discovered_check(self, host_id: str, link: MonitoredLink) -> Check:
        """Has the server's discovery created the link's items (both directions)?"""
        items = self.api.item.get(hostids=[host_id], filter={"flags": DISCOVERED},
                                  output=["key_"])  # fmt: skip
        have = {str(i["key_"]) for i in items}
        missing = [d for d in ("up", "down") if not have & discovered_keys(d, link.if_name)]
        detail = (f"{link.if_name}: " + (f"no item for {'/'.join(missing)} yet" if missing
                  else "traffic items up and down"))  # fmt: skip
        return Check("discovered items", not missing, detail)


def discovered_keys(direction: str, if_name: str) -> set[str]:
    """The keys low-level discovery gives the link's item (its name quoted or not).

    Examples:
        >>> sorted(discovered_keys("up", "ether2"))
        ['bwauto.link.bps[up,"ether2"]', 'bwauto.link.bps[up,ether2]']
    """
    key = zt.prototype_key(direction, "ifName")
    return {key.replace(zt.LLD_MACRO["ifName"], v) for v in (if_name, f'"{if_name}"')}


def _escaped(name: str) -> str:
    return zt.filter_regex([name])[2:-2]


def _host_macros_differ(have: list[dict[str, Any]], want: list[dict[str, str]]) -> bool:
    def key(m: dict[str, Any]) -> tuple[str, str, str, str]:
        secret = str(m.get("type")) == zm.MACRO_SECRET
        value = "" if secret else str(m.get("value", ""))
        return (str(m["macro"]), value, str(m.get("description", "")), str(m.get("type")))

    return sorted(map(key, have)) != sorted(map(key, want))


def group_id(api: ZabbixAPI, name: str, changes: list[str]) -> str:
    """The id of host group ``name``, created if missing."""
    found = api.hostgroup.get(filter={"name": [name]}, output=["groupid"])
    if found:
        return str(found[0]["groupid"])
    changes.append(f"created host group {name!r}")
    return str(api.hostgroup.create(name=name)["groupids"][0])


def bwauto_hosts(api: ZabbixAPI, layout: str) -> list[dict[str, Any]]:
    """Every host bwauto made in ``layout`` ("router" or "link"), with macros and tags."""
    hosts = api.host.get(tags=[{"tag": "managed_by", "value": "bwauto", "operator": "1"}],
                         output=["hostid", "host"], selectMacros="extend",
                         selectTags="extend")  # fmt: skip
    out = []
    for h in hosts:
        tags = {t["tag"]: t["value"] for t in h["tags"]}
        is_router = tags.get(LAYOUT_TAG) == "router"
        if is_router == (layout == "router"):
            out.append(h)
    return out


def by_router(targets: Iterable[MonitoredLink]) -> dict[str, list[MonitoredLink]]:
    """``targets`` grouped by router, sorted."""
    out: dict[str, list[MonitoredLink]] = {}
    for t in sorted(targets, key=lambda t: (t.router, t.link_id)):
        out.setdefault(t.router, []).append(t)
    return out
