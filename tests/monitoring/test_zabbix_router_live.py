"""The zabbix backend's default layout against a real Zabbix 6.0 polling the lab: one host per
router linked to the bwauto template, interfaces found by low-level discovery filtered to the
inventory's links, capacities as context macros, removal by sync."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from zabbix_utils import ZabbixAPI

from bwauto.monitoring.settings import AlertSettings
from bwauto.monitoring.zabbix import ZabbixBackend

if TYPE_CHECKING:
    from conftest import ZabbixEnv

DISCOVERED = 4  # item.flags of an item created by low-level discovery


@pytest.fixture(scope="module")
def zapi(zabbix: ZabbixEnv) -> Iterator[ZabbixAPI]:
    """An independent API session to read back what the backend did."""
    api = ZabbixAPI(url=zabbix.frontend.url, user="Admin", password="zabbix")
    yield api
    api.logout()


def router_host(api: ZabbixAPI, router: str) -> dict[str, Any] | None:
    found = api.host.get(filter={"host": f"bwauto-{router}"}, selectMacros="extend",
                         selectParentTemplates=["host"], selectInterfaces="extend",
                         selectTags="extend")  # fmt: skip
    return found[0] if found else None


def macros(host: dict[str, Any]) -> dict[str, str | None]:
    return {m["macro"]: m.get("value") for m in host["macros"]}


def discovered(api: ZabbixAPI, host_id: str) -> dict[str, dict[str, Any]]:
    fields = ["key_", "lastclock", "lastvalue", "error", "snmp_oid"]
    items = api.item.get(hostids=[host_id], filter={"flags": DISCOVERED}, output=fields)
    return {i["key_"]: i for i in items}


def discover_now(zabbix: ZabbixEnv, api: ZabbixAPI, host_id: str) -> None:
    """Make the server see the host's current config and run its discovery rules now."""
    zabbix.server.reload_config_cache()
    rules = api.discoveryrule.get(hostids=[host_id], output=["itemid"])
    api.task.create([{"type": 6, "request": {"itemid": r["itemid"]}} for r in rules])


def wait_discovered(zabbix: ZabbixEnv, api: ZabbixAPI, host_id: str, keys: set[str]) -> Any:
    deadline = time.monotonic() + 40
    while True:
        discover_now(zabbix, api, host_id)
        time.sleep(1.0)
        have = discovered(api, host_id)
        if set(have) == keys or time.monotonic() > deadline:
            return have


def test_register_links_the_router_host_to_the_template_with_context_macros(
    zabbix: ZabbixEnv, zapi: ZabbixAPI, lab_routers: Any, lab_link: Any
) -> None:
    link = lab_link(lab_routers["lab-mt"], 0, up=10_000_000, down=20_000_000, poll_s=1)
    settings = zabbix.settings.model_copy(
        update={"zabbix": zabbix.settings.zabbix.model_copy(update={"item_interval": "1s"})}
    )
    backend = ZabbixBackend(settings, credentials=zabbix.credentials)

    registration = backend.register(link)

    assert registration.verification is not None and registration.verification.ok, (
        registration.verification.summary() if registration.verification else ""
    )
    # the server loaded the change and discovered the link's items before register returned
    # (outside look: discovery was requested before the server had the host; items came later)
    want = {"bwauto.link.bps[up,ether2]", "bwauto.link.bps[down,ether2]"}
    host = router_host(zapi, "lab-mt")
    assert host is not None and set(discovered(zapi, host["hostid"])) == want
    checks = {c.name: c.ok for c in registration.verification.checks}
    assert checks["discovered items"] and registration.verification.elapsed_s < 30
    assert "created template 'bwauto SNMP links'" in registration.changes
    assert "created host bwauto-lab-mt" in registration.changes
    assert [t["host"] for t in host["parentTemplates"]] == ["bwauto SNMP links"]
    values = macros(host)
    assert values['{$LINK.CAPACITY.BPS.UP:"ether2"}'] == "10000000"
    assert values['{$LINK.CAPACITY.BPS.DOWN:"ether2"}'] == "20000000"
    assert values['{$LINK.CAPACITY.BPS:"ether2"}'] == "20000000"
    assert values['{$LINK.ID:"ether2"}'] == link.link_id
    assert values["{$BWAUTO.IFNAME.MATCHES}"] == "^(ether2)$"
    assert values["{$BWAUTO.SNMP.COMMUNITY}"] is None  # secret: the API never shows it
    # the server discovers the router's interfaces and keeps the inventory's link only
    assert set(wait_discovered(zabbix, zapi, host["hostid"], want)) == want
    triggers = zapi.trigger.get(hostids=[host["hostid"]], expandExpression=True,
                                output=["description", "expression"])  # fmt: skip
    expressions = sorted(t["expression"] for t in triggers)
    assert "min(/bwauto-lab-mt/bwauto.link.bps[up,ether2],15m)>0.8*10000000" in expressions
    assert "nodata(/bwauto-lab-mt/bwauto.link.bps[down,ether2],15m)=1" in expressions

    again = backend.register(link)
    assert (again.changed, again.changes) == (False, ())


def test_links_of_one_router_share_its_host_and_an_ios_link_is_found_by_ifdescr(
    zabbix: ZabbixEnv, zapi: ZabbixAPI, lab_routers: Any, lab_link: Any
) -> None:
    backend = ZabbixBackend(zabbix.settings, credentials=zabbix.credentials)
    mt = [lab_link(lab_routers["lab-mt"], 0), lab_link(lab_routers["lab-mt"], 1)]
    ios = lab_link(lab_routers["lab-ios"], 0, v3=True)

    outcome = backend.sync([*mt, ios])

    assert outcome.removed == ()
    hosts = zapi.host.get(tags=[{"tag": "managed_by", "value": "bwauto"}], output=["host"])
    assert sorted(h["host"] for h in hosts) == ["bwauto-lab-ios", "bwauto-lab-mt"]
    for link in [*mt, ios]:
        verification = backend.verify(link)
        assert verification.ok, verification.summary()
    host = router_host(zapi, "lab-ios")
    assert host is not None
    name = ios.if_name  # IOS's full name, in ifDescr
    assert macros(host)["{$BWAUTO.IFDESCR.MATCHES}"] == "^(" + name.replace(".", "\\.").replace(
        "/", "\\/") + ")$"  # fmt: skip
    want = {f"bwauto.link.bps[up,{name}]", f"bwauto.link.bps[down,{name}]"}
    assert set(wait_discovered(zabbix, zapi, host["hostid"], want)) == want


def test_sync_removes_a_link_and_then_its_router_host(
    zabbix: ZabbixEnv, zapi: ZabbixAPI, lab_routers: Any, lab_link: Any
) -> None:
    """A link no longer in the inventory loses its macros and, at the discovery run bwauto
    requests, its items; a router left without links loses its host."""
    backend = ZabbixBackend(zabbix.settings, credentials=zabbix.credentials)
    first, second = lab_link(lab_routers["lab-mt"], 0), lab_link(lab_routers["lab-mt"], 1)
    ios = lab_link(lab_routers["lab-ios"], 0, v3=True)
    backend.sync([first, second, ios])
    host = router_host(zapi, "lab-mt")
    assert host is not None
    both = {f"bwauto.link.bps[{d},{x.if_name}]" for d in ("up", "down") for x in (first, second)}
    assert set(wait_discovered(zabbix, zapi, host["hostid"], both)) == both

    outcome = backend.sync([first])

    assert outcome.removed == tuple(sorted([second.link_id, ios.link_id]))
    assert router_host(zapi, "lab-ios") is None
    host = router_host(zapi, "lab-mt")
    assert host is not None
    assert not [m for m in macros(host) if second.if_name in m]
    one = {f"bwauto.link.bps[{d},{first.if_name}]" for d in ("up", "down")}
    assert set(wait_discovered(zabbix, zapi, host["hostid"], one)) == one
    assert backend.sync([first]).changes == ()


def test_sync_applies_a_changed_threshold_to_the_template(
    zabbix: ZabbixEnv, zapi: ZabbixAPI, lab_routers: Any, lab_link: Any
) -> None:
    link = lab_link(lab_routers["lab-mt"], 0)
    ZabbixBackend(zabbix.settings, credentials=zabbix.credentials).sync([link])
    higher = zabbix.settings.model_copy(update={"alert": AlertSettings(threshold=0.9)})

    outcome = ZabbixBackend(higher, credentials=zabbix.credentials).sync([link])

    assert "updated template 'bwauto SNMP links': macros" in outcome.changes
    [template] = zapi.template.get(filter={"host": "bwauto SNMP links"}, selectMacros="extend")
    assert {m["macro"]: m["value"] for m in template["macros"]}["{$LINK.UTIL.WARN}"] == "0.9"
    ZabbixBackend(zabbix.settings, credentials=zabbix.credentials).sync([link])


def test_switching_layouts_replaces_the_hosts_of_the_other_one(
    zabbix: ZabbixEnv, zapi: ZabbixAPI, lab_routers: Any, lab_link: Any
) -> None:
    """zabbix.host_per: link -> router (bwauto's default before and after this layout): the
    link's own host goes, its router's host takes over; and back."""
    link = lab_link(lab_routers["lab-mt"], 1)
    per_link = zabbix.settings.model_copy(
        update={"zabbix": zabbix.settings.zabbix.model_copy(update={"host_per": "link"})}
    )
    ZabbixBackend(per_link, credentials=zabbix.credentials).sync([link])
    assert zapi.host.get(filter={"host": f"bwauto-{link.link_id}"}, output=["hostid"])

    outcome = ZabbixBackend(zabbix.settings, credentials=zabbix.credentials).sync([link])

    assert f"deleted host bwauto-{link.link_id}" in outcome.changes and outcome.removed == ()
    assert not zapi.host.get(filter={"host": f"bwauto-{link.link_id}"}, output=["hostid"])
    assert router_host(zapi, "lab-mt") is not None
    back = ZabbixBackend(per_link, credentials=zabbix.credentials).sync([link])
    assert "deleted host bwauto-lab-mt" in back.changes and back.removed == ()
