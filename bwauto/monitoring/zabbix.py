"""The ``zabbix`` backend (Zabbix 6.0+, through its API with zabbix-utils).

Two layouts (``zabbix.host_per``):

- ``router`` (default), as Zabbix operators run interface monitoring: one host per router
  linked to the bwauto template, whose low-level discovery finds the interfaces and keeps only
  the inventory's links; capacities are context macros ``{$LINK.CAPACITY.BPS:"<ifname>"}``
  (see :mod:`bwauto.monitoring.zabbix_template` and :mod:`bwauto.monitoring.zabbix_router`);
- ``link``: one host per link with its own items and triggers
  (:mod:`bwauto.monitoring.zabbix_model`), for OPD-level permissions by host group.

``register`` reads first and changes only what differs (so a second run changes nothing),
then reads everything back. ``sync`` makes Zabbix monitor exactly the given links: hosts and
link macros of links no longer in the inventory are removed. Changes made by bwauto on one
machine hold a lock (``<state_dir>/monitoring/.zabbix.lock``), as the Prometheus files do.
Credentials: see :func:`~bwauto.monitoring.settings.zabbix_credentials` (API token, or user
and password; never in a file but the 0600 secrets).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from bwauto.credentials import CredentialResolver
from bwauto.errors import MonitoringError
from bwauto.monitoring import zabbix_model as zm
from bwauto.monitoring import zabbix_router as zr
from bwauto.monitoring import zabbix_template as zt
from bwauto.monitoring.base import Check, MonitoredLink, Registration, SyncOutcome, Verification
from bwauto.monitoring.files import locked
from bwauto.monitoring.settings import MonitoringSettings, zabbix_credentials

if TYPE_CHECKING:
    from zabbix_utils import ZabbixAPI

_HOST_FIELDS = ["hostid", "host", "name", "status"]
_ITEM_FIELDS = ["itemid", "key_", "name", "type", "snmp_oid", "interfaceid", "value_type",
                "units", "delay"]  # fmt: skip
_TRIGGER_FIELDS = ["triggerid", "description", "expression", "priority", "comments"]


class ZabbixBackend:
    """Registers links with a Zabbix server through its JSON-RPC API (zabbix-utils)."""

    name = "zabbix"

    def __init__(
        self, settings: MonitoringSettings, *, credentials: CredentialResolver | None = None
    ) -> None:
        self.settings = settings
        self.url = settings.zabbix.url
        self._credentials = credentials or CredentialResolver(interactive=False)

    @property
    def where(self) -> str:
        """How messages name this backend."""
        return f"zabbix at {self.url}"

    @property
    def per_router(self) -> bool:
        """True for the one-host-per-router layout."""
        return self.settings.zabbix.host_per == "router"

    def register(self, target: MonitoredLink) -> Registration:
        """Create or update what monitors the link; read it back.

        Raises:
            MonitoringError: the API is unreachable, refused the login or a request.
        """
        with self._locked(), self._session() as api:
            if self.per_router:
                changes = self._router_register(api, target)
            else:
                changes = _Sync(api, target, self.settings).run()
            start = time.monotonic()
            checks = self._checks(api, target)
        verification = Verification(
            self.name, target.link_id, tuple(checks), time.monotonic() - start
        )
        return Registration(self.name, target.link_id, bool(changes), tuple(changes), verification)

    def verify(self, target: MonitoredLink) -> Verification:
        """Read the link's objects back and check each is as registered."""
        start = time.monotonic()
        with self._session() as api:
            checks = self._checks(api, target)
        return Verification(self.name, target.link_id, tuple(checks), time.monotonic() - start)

    def sync(self, targets: list[MonitoredLink], keep: Sequence[str] = ()) -> SyncOutcome:
        """Monitor exactly ``targets`` (and ``keep``, left as they are); remove the rest."""
        wanted = {t.link_id for t in targets} | set(keep)
        with self._locked(), self._session() as api:
            if self.per_router:
                changes, gone = self._router_sync(api, targets, set(keep))
            else:
                changes = [c for t in targets for c in _Sync(api, t, self.settings).run()]
                gone = self._delete_link_hosts(api, wanted, changes)
        return SyncOutcome(tuple(changes), tuple(sorted(set(gone) - wanted)))

    def deregister(self, link_ids: list[str]) -> tuple[str, ...]:
        """Stop monitoring ``link_ids``."""
        changes: list[str] = []
        with self._locked(), self._session() as api:
            if self.per_router:
                for host in zr.bwauto_hosts(api, "router"):
                    sync = zr.RouterHostSync(api, self.settings, _stub(host))
                    sync.remove(set(link_ids))
                    changes += sync.changes
            else:
                keep = {_tag(h, "link_id") for h in zr.bwauto_hosts(api, "link")} - set(link_ids)
                self._delete_link_hosts(api, keep, changes)
        return tuple(changes)

    # --- one host per router ---

    def _base(self, api: ZabbixAPI, changes: list[str]) -> tuple[str, str]:
        group = zr.group_id(api, self.settings.zabbix.common_group, changes)
        template = zr.TemplateSync(api, self.settings)
        template_id = template.run(group)
        changes += template.changes
        return group, template_id

    def _router_register(self, api: ZabbixAPI, target: MonitoredLink) -> list[str]:
        changes: list[str] = []
        group, template_id = self._base(api, changes)
        host = zr.RouterHostSync(api, self.settings, target)
        links = [x for x in host.links() if x.link_id != target.link_id]
        host.run([*links, zt.RouterLink.of(target)], template_id, group)
        changes += host.changes
        for other in zr.bwauto_hosts(api, "router"):  # the link moved from another router
            if other["host"] != host.host:
                sync = zr.RouterHostSync(api, self.settings, _stub(other))
                sync.remove({target.link_id})
                changes += sync.changes
        return changes

    def _router_sync(
        self, api: ZabbixAPI, targets: list[MonitoredLink], keep: set[str]
    ) -> tuple[list[str], list[str]]:
        changes: list[str] = []
        group, template_id = self._base(api, changes)
        gone: list[str] = []
        routers = zr.by_router(targets)
        hosts = {h["host"]: h for h in zr.bwauto_hosts(api, "router")}
        for links in routers.values():
            host = zr.RouterHostSync(api, self.settings, links[0])
            current = host.links()
            kept = [x for x in current if x.link_id in keep]
            host.run([*kept, *map(zt.RouterLink.of, links)], template_id, group)
            gone += [x.link_id for x in current]
            changes += host.changes
            hosts.pop(host.host, None)
        for other in hosts.values():
            current = zt.links_from_macros(other["macros"])
            sync = zr.RouterHostSync(api, self.settings, _stub(other))
            gone += sync.remove({x.link_id for x in current} - keep)
            changes += sync.changes
        return changes, gone

    # --- one host per link ---

    def _delete_link_hosts(self, api: ZabbixAPI, wanted: set[str], changes: list[str]) -> list[str]:
        gone = []
        for host in zr.bwauto_hosts(api, "link"):
            link_id = _tag(host, "link_id")
            if link_id and link_id not in wanted:
                api.host.delete(host["hostid"])
                changes.append(f"deleted host {host['host']}")
                gone.append(link_id)
        return gone

    def _checks(self, api: ZabbixAPI, target: MonitoredLink) -> list[Check]:
        if self.per_router:
            host = zr.RouterHostSync(api, self.settings, target)
            return host.checks(target, self.settings.zabbix.template)
        return _Sync(api, target, self.settings).checks()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with locked(self.settings.lock_dir / ".zabbix.lock"):
            yield

    @contextmanager
    def _session(self) -> Iterator[ZabbixAPI]:
        if not self.url:
            raise MonitoringError("zabbix: no URL: set zabbix.url in monitoring.yaml")
        from zabbix_utils import ZabbixAPI
        from zabbix_utils.exceptions import ModuleBaseException

        creds = zabbix_credentials(self.settings.zabbix, self._credentials)
        z = self.settings.zabbix
        api: ZabbixAPI | None = None
        try:
            api = ZabbixAPI(
                url=self.url,
                token=creds.get("token"),
                user=creds.get("username"),
                password=creds.get("password"),
                timeout=max(1, round(z.request_timeout_s)),
                validate_certs=z.validate_certs,
            )
            yield api
        except ModuleBaseException as exc:
            raise MonitoringError(f"{self.where}: {_reason(exc)}") from None
        finally:
            if api is not None and creds.get("username"):
                with suppress(ModuleBaseException):
                    api.logout()


def _tag(host: dict[str, Any], name: str) -> str:
    return next((str(t["value"]) for t in host.get("tags", []) if t["tag"] == name), "")


def _stub(host: dict[str, Any]) -> MonitoredLink:
    """A stand-in for a router host's first link, for removing links from it (only its name
    is used: removal touches macros, never the interface or the secrets)."""
    from bwauto.monitoring.base import SnmpAuth

    router = _tag(host, "router") or str(host["host"])
    return MonitoredLink("", "", router, "", 0, SnmpAuth(), "", 0, 0, "")


def _reason(exc: Exception) -> str:
    """One short line from a zabbix-utils error ("connection refused", the API's message)."""
    text = " ".join(str(exc).split())
    errno_text = re.search(r"\[Errno -?\d+\] ([^>\]]+)", text)
    if errno_text:
        return errno_text.group(1).strip().lower()
    if "timed out" in text:
        return "timed out"
    return text.removeprefix("Unable to connect to ").strip() or type(exc).__name__


class _Sync:
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
