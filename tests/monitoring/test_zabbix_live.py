"""The zabbix backend's one-host-per-link layout against a real Zabbix 6.0 (server, API,
PostgreSQL) polling the lab. The default layout, one host per router: test_zabbix_router_live."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from zabbix_utils import ZabbixAPI

from bwauto.credentials import CredentialResolver
from bwauto.errors import MonitoringError
from bwauto.monitoring.settings import MonitoringSettings, ZabbixSettings
from bwauto.monitoring.zabbix import ZabbixBackend

if TYPE_CHECKING:
    from conftest import ZabbixEnv


@pytest.fixture(scope="module")
def zapi(zabbix: ZabbixEnv) -> Iterator[ZabbixAPI]:
    """An independent API session to read back what the backend did."""
    api = ZabbixAPI(url=zabbix.frontend.url, user="Admin", password="zabbix")
    yield api
    api.logout()


def per_link(env: ZabbixEnv) -> MonitoringSettings:
    """The one-host-per-link layout (``zabbix.host_per: link``), tested in this module."""
    z = env.settings.zabbix.model_copy(update={"host_per": "link"})
    return env.settings.model_copy(update={"zabbix": z})


def host_of(api: ZabbixAPI, link_id: str) -> dict[str, Any]:
    found = api.host.get(
        filter={"host": f"bwauto-{link_id}"}, selectInterfaces="extend", selectMacros="extend",
        selectGroups="extend", selectTags="extend",
    )  # fmt: skip
    assert len(found) == 1, f"host bwauto-{link_id} not found"
    host: dict[str, Any] = found[0]
    return host


def macros(host: dict[str, Any]) -> dict[str, str | None]:
    return {m["macro"]: m.get("value") for m in host["macros"]}


def test_register_creates_host_items_macro_and_trigger(
    zabbix: ZabbixEnv, zapi: ZabbixAPI, lab_routers: Any, lab_link: Any
) -> None:
    link = lab_link(lab_routers["lab-mt"], 0, up=10_000_000, down=20_000_000)
    backend = ZabbixBackend(per_link(zabbix), credentials=zabbix.credentials)

    registration = backend.register(link)

    assert registration.changed and "created host bwauto-lab-mt-opd0" in registration.changes
    assert registration.verification is not None and registration.verification.ok
    host = host_of(zapi, link.link_id)
    assert {g["name"] for g in host["groups"]} == {f"OPD/{link.opd}", "bwauto"}
    assert {t["tag"]: t["value"] for t in host["tags"]}["link_id"] == link.link_id
    iface = host["interfaces"][0]
    assert (iface["type"], iface["ip"], iface["port"]) == ("2", "127.0.0.1", str(link.snmp_port))
    assert iface["details"]["community"] == "{$BWAUTO.SNMP.COMMUNITY}"
    values = macros(host)
    assert values["{$LINK.CAPACITY.BPS:up}"] == "10000000"
    assert values["{$LINK.CAPACITY.BPS:down}"] == "20000000"
    assert values["{$LINK.CAPACITY.BPS}"] == "20000000"
    assert values["{$BWAUTO.SNMP.COMMUNITY}"] is None  # secret: the API never shows it
    items = zapi.item.get(hostids=[host["hostid"]], selectPreprocessing="extend")
    by_key = {i["key_"]: i for i in items}
    assert set(by_key) == {"bwauto.link.bps[up]", "bwauto.link.bps[down]"}
    up = by_key["bwauto.link.bps[up]"]
    assert up["snmp_oid"] == '1.3.6.1.2.1.31.1.1.1.6["index","1.3.6.1.2.1.31.1.1.1.1","ether2"]'
    assert [(p["type"], p["params"]) for p in up["preprocessing"]] == [("10", ""), ("1", "8")]
    triggers = zapi.trigger.get(hostids=[host["hostid"]], expandExpression=True)
    expressions = sorted(t["expression"] for t in triggers)
    assert expressions == [
        "min(/bwauto-lab-mt-opd0/bwauto.link.bps[down],15m)>0.8*20000000",
        "min(/bwauto-lab-mt-opd0/bwauto.link.bps[up],15m)>0.8*10000000",
    ]


def test_registering_again_changes_nothing(
    zabbix: ZabbixEnv, lab_routers: Any, lab_link: Any
) -> None:
    link = lab_link(lab_routers["lab-mt"], 0, up=10_000_000, down=20_000_000)
    backend = ZabbixBackend(per_link(zabbix), credentials=zabbix.credentials)
    backend.register(link)

    again = backend.register(link)

    assert (again.changed, again.changes) == (False, ())
    assert again.verification is not None and again.verification.ok


def test_a_capacity_change_updates_the_macro(
    zabbix: ZabbixEnv, zapi: ZabbixAPI, lab_routers: Any, lab_link: Any
) -> None:
    backend = ZabbixBackend(per_link(zabbix), credentials=zabbix.credentials)
    backend.register(lab_link(lab_routers["lab-mt"], 0, up=10_000_000, down=20_000_000))

    registration = backend.register(
        lab_link(lab_routers["lab-mt"], 0, up=50_000_000, down=100_000_000)
    )

    assert registration.changes == ("updated host bwauto-lab-mt-opd0: macros",)
    values = macros(host_of(zapi, "lab-mt-opd0"))
    assert values["{$LINK.CAPACITY.BPS:up}"] == "50000000"
    assert values["{$LINK.CAPACITY.BPS}"] == "100000000"


def test_a_changed_community_is_noticed_without_reading_the_secret(
    zabbix: ZabbixEnv, lab_routers: Any, lab_link: Any
) -> None:
    from dataclasses import replace

    backend = ZabbixBackend(per_link(zabbix), credentials=zabbix.credentials)
    link = lab_link(lab_routers["lab-mt"], 1)
    backend.register(link)
    other = replace(link, snmp=replace(link.snmp, community="another-one"))

    assert backend.register(other).changes == ("updated host bwauto-lab-mt-opd1: macros",)
    assert backend.register(link).changes == ("updated host bwauto-lab-mt-opd1: macros",)
    assert backend.register(link).changes == ()


def test_a_moved_agent_updates_the_interface_and_the_items_keep_it(
    zabbix: ZabbixEnv, zapi: ZabbixAPI, lab_routers: Any, lab_link: Any
) -> None:
    from dataclasses import replace

    backend = ZabbixBackend(per_link(zabbix), credentials=zabbix.credentials)
    link = lab_link(lab_routers["lab-mt"], 0)
    backend.register(link)

    moved = backend.register(replace(link, snmp_port=16100, router_host="lab-mt.example"))

    assert moved.changes == ("updated SNMP interface of bwauto-lab-mt-opd0: useip, ip, dns, port",)
    assert moved.verification is not None and moved.verification.ok
    iface = host_of(zapi, link.link_id)["interfaces"][0]
    assert (iface["useip"], iface["dns"], iface["port"]) == ("0", "lab-mt.example", "16100")
    assert backend.register(link).changes == (
        "updated SNMP interface of bwauto-lab-mt-opd0: useip, ip, dns, port",
    )


def test_zabbix_server_polls_the_lab_agents_over_v2c_and_v3(
    zabbix: ZabbixEnv, zapi: ZabbixAPI, lab_routers: Any, lab_link: Any
) -> None:
    links = [
        lab_link(lab_routers["lab-mt"], 1, poll_s=1),  # v2c, ifName
        lab_link(lab_routers["lab-ios"], 0, poll_s=1, v3=True),  # SHA-256/AES-256, ifDescr
    ]
    backend = ZabbixBackend(per_link(zabbix), credentials=zabbix.credentials)
    for link in links:
        backend.register(link)
    zabbix.server.reload_config_cache()
    host_ids = [host_of(zapi, link.link_id)["hostid"] for link in links]

    deadline = time.monotonic() + 30
    while True:
        items = zapi.item.get(hostids=host_ids, output=["key_", "hostid", "lastclock",
                                                        "lastvalue", "error"])  # fmt: skip
        if all(i["lastclock"] != "0" for i in items) or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    assert len(items) == 4
    for item in items:
        where = f"host {item['hostid']} {item['key_']}"
        assert item["lastclock"] != "0", f"{where}: no value in 30 s (error: {item['error']!r})"
        assert 0 < int(item["lastvalue"]) <= 20_000_000 * 1.2, f"{where}: {item['lastvalue']} bit/s"


def test_an_unreachable_zabbix_is_one_clear_error(
    zabbix: ZabbixEnv, dead_url: str, lab_routers: Any, lab_link: Any
) -> None:
    url = f"{dead_url}/api_jsonrpc.php"
    settings = zabbix.settings.model_copy(update={"zabbix": ZabbixSettings(url=url)})

    with pytest.raises(MonitoringError) as info:
        ZabbixBackend(settings, credentials=zabbix.credentials).register(
            lab_link(lab_routers["lab-mt"], 0)
        )

    assert str(info.value) == f"zabbix at {url}: connection refused"


def test_refused_credentials_are_one_clear_error(
    zabbix: ZabbixEnv, lab_routers: Any, lab_link: Any
) -> None:
    wrong = CredentialResolver(
        env={"BWAUTO_ZABBIX_USERNAME": "Admin", "BWAUTO_ZABBIX_PASSWORD": "nope"},
        interactive=False,
    )

    with pytest.raises(MonitoringError) as info:
        ZabbixBackend(per_link(zabbix), credentials=wrong).register(
            lab_link(lab_routers["lab-mt"], 0)
        )

    message = str(info.value)
    assert message.startswith(f"zabbix at {zabbix.frontend.url}: ")
    assert "\n" not in message and "incorrect" in message.lower()
