"""Zabbix, one host per link (``zabbix.host_per: link``): host, SNMP interface, macros, items
and triggers of one link, as described in :mod:`bwauto.monitoring.zabbix_model`.

Each step reads first and changes only what differs, so registering twice changes nothing.
The host is bwauto's: macros, tags and groups set by hand on it are replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bwauto.monitoring import zabbix_model as zm
from bwauto.monitoring.base import Check, MonitoredLink
from bwauto.monitoring.settings import MonitoringSettings

if TYPE_CHECKING:
    from zabbix_utils import ZabbixAPI

_HOST_FIELDS = ["hostid", "host", "name", "status"]
_ITEM_FIELDS = ["itemid", "key_", "name", "type", "snmp_oid", "interfaceid", "value_type",
                "units", "delay"]  # fmt: skip
_TRIGGER_FIELDS = ["triggerid", "description", "expression", "priority", "comments"]


class LinkHostSync:
    """One link's objects in one API session: compare with the wanted state, fix, check."""

    def __init__(self, api: ZabbixAPI, link: MonitoredLink, settings: MonitoringSettings) -> None:
        self.api, self.link, self.settings = api, link, settings
        self.host = zm.host_name(link, settings)
        self.changes: list[str] = []

    def run(self) -> list[str]:
        group_ids = self._groups()
        host = self._host(group_ids)
        interface_id = self._interface(host)
        keys = self._items(host["hostid"], interface_id)
        self._triggers(host["hostid"], keys)
        return self.changes

    # --- reading ---

    def _get_host(self) -> dict[str, Any] | None:
        found = self.api.host.get(
            filter={"host": [self.host]}, output=_HOST_FIELDS, selectInterfaces="extend",
            selectMacros="extend", selectGroups=["groupid", "name"], selectTags="extend",
        )  # fmt: skip
        return found[0] if found else None

    def _get_items(self, host_id: str) -> dict[str, dict[str, Any]]:
        items = self.api.item.get(hostids=[host_id], output=_ITEM_FIELDS,
                                  selectPreprocessing="extend", selectTags="extend")  # fmt: skip
        return {i["key_"]: i for i in items}

    def _get_triggers(self, host_id: str) -> dict[str, dict[str, Any]]:
        triggers = self.api.trigger.get(hostids=[host_id], output=_TRIGGER_FIELDS,
                                        selectFunctions="extend", selectTags="extend")  # fmt: skip
        out = {}
        for t in triggers:
            tag = next((x["value"] for x in t["tags"] if x["tag"] == zm.TRIGGER_TAG), None)
            if tag:
                out[tag] = t
        return out

    # --- writing ---

    def _groups(self) -> list[str]:
        names = zm.group_names(self.link, self.settings)
        found = self.api.hostgroup.get(filter={"name": names}, output=["groupid", "name"])
        ids = {g["name"]: g["groupid"] for g in found}
        for name in names:
            if name not in ids:
                ids[name] = self.api.hostgroup.create(name=name)["groupids"][0]
                self.changes.append(f"created host group {name!r}")
        return [ids[n] for n in names]

    def _host(self, group_ids: list[str]) -> dict[str, Any]:
        host = self._get_host()
        link, settings = self.link, self.settings
        wanted = {"name": f"{link.link_id} ({link.opd})", "status": "0",
                  "tags": zm.host_tags(link)}  # fmt: skip
        groups = [{"groupid": g} for g in group_ids]
        if host is None:
            macros = zm.macros_for_update(link, settings, [])
            self.api.host.create(host=self.host, groups=groups, macros=macros,
                                 interfaces=[zm.interface_spec(link)], **wanted)  # fmt: skip
            self.changes.append(f"created host {self.host}")
            created = self._get_host()
            assert created is not None
            return created
        update: dict[str, Any] = {f: wanted[f] for f in zm.differences(host, wanted)}
        if sorted(g["groupid"] for g in host["groups"]) != sorted(group_ids):
            update["groups"] = groups
        if zm.macro_problems(link, settings, host["macros"]):
            update["macros"] = zm.macros_for_update(link, settings, host["macros"])
        if update:
            self.api.host.update(hostid=host["hostid"], **update)
            self.changes.append(f"updated host {self.host}: {', '.join(sorted(update))}")
        return host

    def _interface(self, host: dict[str, Any]) -> str:
        wanted = zm.interface_spec(self.link)
        snmp = [i for i in host["interfaces"] if str(i["type"]) == zm.SNMP_INTERFACE]
        if not snmp:
            created = self.api.hostinterface.create(hostid=host["hostid"], **wanted)
            self.changes.append(f"created SNMP interface of {self.host}")
            return str(created["interfaceids"][0])
        current = next((i for i in snmp if str(i["main"]) == "1"), snmp[0])
        diff = zm.differences(current, wanted)
        if diff:
            self.api.hostinterface.update(interfaceid=current["interfaceid"], **wanted)
            self.changes.append(f"updated SNMP interface of {self.host}: {', '.join(diff)}")
        return str(current["interfaceid"])

    def _items(self, host_id: str, interface_id: str) -> dict[str, str]:
        have = self._get_items(host_id)
        for spec in zm.item_specs(self.link, interface_id):
            item = have.get(spec["key_"])
            if item is None:
                self.api.item.create(hostid=host_id, **spec)
                self.changes.append(f"created item {spec['key_']}")
                continue
            diff = zm.differences(item, spec)
            if diff:
                self.api.item.update(itemid=item["itemid"], **{f: spec[f] for f in diff})
                self.changes.append(f"updated item {spec['key_']}: {', '.join(diff)}")
        return {i["itemid"]: k for k, i in self._get_items(host_id).items()}

    def _triggers(self, host_id: str, keys: dict[str, str]) -> None:
        have = self._get_triggers(host_id)
        for spec in zm.trigger_specs(self.link, self.settings):
            tag = spec["tags"][0]["value"]
            trigger = have.get(tag)
            if trigger is None:
                self.api.trigger.create(**spec)
                self.changes.append(f"created trigger {tag}")
                continue
            actual = {**trigger, "expression": zm.trigger_expression(trigger, keys, self.host)}
            diff = zm.differences(actual, spec)
            if diff:
                self.api.trigger.update(
                    triggerid=trigger["triggerid"], **{f: spec[f] for f in diff}
                )
                self.changes.append(f"updated trigger {tag}: {', '.join(diff)}")

    # --- checking ---

    def checks(self) -> list[Check]:
        host = self._get_host()
        if host is None:
            return [Check("host", False, f"no host {self.host}")]
        link, settings = self.link, self.settings
        groups = sorted(g["name"] for g in host["groups"])
        snmp = [i for i in host["interfaces"] if str(i["type"]) == zm.SNMP_INTERFACE]
        iface_diff = zm.differences(snmp[0], zm.interface_spec(link)) if snmp else ["missing"]
        macro_issues = zm.macro_problems(link, settings, host["macros"])
        items = self._get_items(host["hostid"])
        item_issues = self._item_issues(items, snmp[0]["interfaceid"] if snmp else "")
        trigger_issues = self._trigger_issues(host["hostid"], items)
        caps = f"up={link.capacity_up_bps}, down={link.capacity_down_bps}"
        enabled = host["status"] == "0"
        return [
            Check("host", enabled, f"{self.host} ({'enabled' if enabled else 'disabled'})"),
            Check("host groups", groups == zm.group_names(link, settings), ", ".join(groups)),
            Check("SNMP interface", not iface_diff, _iface_text(snmp, iface_diff)),
            Check("macros", not macro_issues, "; ".join(macro_issues) or f"capacity {caps}"),
            Check("items", not item_issues, "; ".join(item_issues) or ", ".join(sorted(items))),
            Check("triggers", not trigger_issues, "; ".join(trigger_issues) or "both directions"),
        ]

    def _item_issues(self, items: dict[str, dict[str, Any]], interface_id: str) -> list[str]:
        issues = []
        for spec in zm.item_specs(self.link, interface_id):
            item = items.get(spec["key_"])
            diff = zm.differences(item, spec) if item else ["missing"]
            if diff:
                issues.append(f"{spec['key_']}: {', '.join(diff)}")
        return issues

    def _trigger_issues(self, host_id: str, items: dict[str, dict[str, Any]]) -> list[str]:
        keys = {i["itemid"]: k for k, i in items.items()}
        triggers = self._get_triggers(host_id)
        issues = []
        for spec in zm.trigger_specs(self.link, self.settings):
            tag = spec["tags"][0]["value"]
            t = triggers.get(tag)
            actual = {**t, "expression": zm.trigger_expression(t, keys, self.host)} if t else {}
            diff = zm.differences(actual, spec) if t else ["missing"]
            if diff:
                issues.append(f"{tag}: {', '.join(diff)}")
        return issues


def _iface_text(snmp: list[dict[str, Any]], diff: list[str]) -> str:
    if not snmp:
        return "missing"
    where = f"{snmp[0].get('ip') or snmp[0].get('dns')}:{snmp[0].get('port')}"
    return where + (f" differs: {', '.join(diff)}" if diff else "")
