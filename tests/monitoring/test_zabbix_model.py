"""What the zabbix backend asks Zabbix for: pure, no server."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bwauto.monitoring import zabbix_model as zm
from bwauto.monitoring.base import MonitoredLink, SnmpAuth
from bwauto.monitoring.settings import AlertSettings, MonitoringSettings, resolve_paths

LINK = MonitoredLink(
    link_id="rsud", opd="RSUD Embung Fatimah", router="edge-bc-02",
    router_host="10.20.0.2", snmp_port=1161, snmp=SnmpAuth(community="c0mm"),
    if_name="GigabitEthernet0/2.301", capacity_up_bps=100_000_000,
    capacity_down_bps=200_000_000, upstream="icon-plus", poll_interval_s=60, if_column="ifDescr",
)  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> MonitoringSettings:
    alert = AlertSettings(threshold=0.75, severity="high", **{"for": "10m"})
    return resolve_paths(MonitoringSettings(alert=alert), tmp_path, tmp_path)


def test_interface_v2c_takes_the_community_from_a_secret_macro() -> None:
    assert zm.interface_spec(LINK) == {
        "type": "2", "main": "1", "useip": "1", "ip": "10.20.0.2", "dns": "", "port": "1161",
        "details": {"version": "2", "bulk": "1", "community": "{$BWAUTO.SNMP.COMMUNITY}"},
    }  # fmt: skip
    assert zm.secret_values(LINK) == {"{$BWAUTO.SNMP.COMMUNITY}": "c0mm"}


def test_interface_v3_and_a_dns_name() -> None:
    v3 = SnmpAuth("v3", user="mon", auth_key="ak", priv_key="pk", auth_protocol="SHA-256",
                  priv_protocol="AES-256")  # fmt: skip
    spec = zm.interface_spec(replace(LINK, snmp=v3, router_host="edge-bc-02.kominfo.lan"))

    assert (spec["useip"], spec["ip"], spec["dns"]) == ("0", "", "edge-bc-02.kominfo.lan")
    assert spec["details"] == {
        "version": "3", "bulk": "1", "securityname": "mon", "securitylevel": "2",
        "authprotocol": "3", "authpassphrase": "{$BWAUTO.SNMPV3.AUTH}",
        "privprotocol": "5", "privpassphrase": "{$BWAUTO.SNMPV3.PRIV}", "contextname": "",
    }  # fmt: skip
    assert zm.secret_values(replace(LINK, snmp=v3)) == {
        "{$BWAUTO.SNMPV3.AUTH}": "ak", "{$BWAUTO.SNMPV3.PRIV}": "pk",
    }  # fmt: skip


def test_items_find_the_interface_by_dynamic_index_and_give_bits_per_second() -> None:
    up, down = zm.item_specs(LINK, "42")

    assert up["key_"] == "bwauto.link.bps[up]" and down["key_"] == "bwauto.link.bps[down]"
    assert up["snmp_oid"] == (
        '1.3.6.1.2.1.31.1.1.1.6["index","1.3.6.1.2.1.2.2.1.2","GigabitEthernet0/2.301"]'
    )
    assert down["snmp_oid"].startswith('1.3.6.1.2.1.31.1.1.1.10["index","1.3.6.1.2.1.2.2.1.2",')
    assert [(p["type"], p["params"]) for p in up["preprocessing"]] == [("10", ""), ("1", "8")]
    assert (up["interfaceid"], up["delay"], up["units"], up["type"]) == ("42", "60s", "bps", "20")
    by_name = zm.item_specs(replace(LINK, if_column="ifName", if_name="Gi0/2.301"), "42")[0]
    assert (
        by_name["snmp_oid"]
        == '1.3.6.1.2.1.31.1.1.1.6["index","1.3.6.1.2.1.31.1.1.1.1","Gi0/2.301"]'
    )


def test_macros_hold_capacity_per_direction_and_the_threshold(
    settings: MonitoringSettings,
) -> None:
    assert zm.text_macros(LINK, settings) == {
        "{$LINK.CAPACITY.BPS}": ("200000000", "bwauto: link capacity, bit/s (larger direction)"),
        "{$LINK.CAPACITY.BPS:up}": ("100000000", "bwauto: OPD upload capacity, bit/s"),
        "{$LINK.CAPACITY.BPS:down}": ("200000000", "bwauto: OPD download capacity, bit/s"),
        "{$LINK.UTIL.WARN}": ("0.75", "bwauto: utilisation alert threshold"),
    }


def test_triggers_compare_the_minimum_over_the_duration_with_the_macros(
    settings: MonitoringSettings,
) -> None:
    up, down = zm.trigger_specs(LINK, settings)

    assert up["expression"] == (
        "min(/bwauto-rsud/bwauto.link.bps[up],10m)>{$LINK.UTIL.WARN}*{$LINK.CAPACITY.BPS:up}"
    )
    assert down["expression"].endswith("*{$LINK.CAPACITY.BPS:down}")
    assert up["priority"] == "4"
    assert (
        up["description"] == "Link rsud (RSUD Embung Fatimah): upload above 75% of capacity for 10m"
    )
    assert up["tags"][0] == {"tag": "bwauto", "value": "utilisation-up"}


def test_macro_problems_see_a_new_capacity_and_a_new_secret(settings: MonitoringSettings) -> None:
    actual = zm.macros_for_update(LINK, settings, [])
    as_read = [
        {k: v for k, v in m.items() if not (k == "value" and m["type"] == "1")} for m in actual
    ]  # fmt: skip  (the API never returns a secret's value)

    assert zm.macro_problems(LINK, settings, as_read) == []
    raised = replace(LINK, capacity_up_bps=150_000_000)
    assert zm.macro_problems(raised, settings, as_read) == [
        "{$LINK.CAPACITY.BPS:up} should be 150000000"
    ]
    other = replace(LINK, snmp=SnmpAuth(community="new"))
    assert zm.macro_problems(other, settings, as_read) == [
        "{$BWAUTO.SNMP.COMMUNITY} has another value"
    ]
    extra = [*as_read, {"macro": "{$MINE}", "value": "1", "type": "0"}]
    assert zm.macro_problems(LINK, settings, extra) == ["{$MINE} is not bwauto's"]


def test_an_unchanged_secret_keeps_its_fingerprint(settings: MonitoringSettings) -> None:
    first = zm.macros_for_update(LINK, settings, [])
    second = zm.macros_for_update(LINK, settings, first)
    changed = zm.macros_for_update(replace(LINK, snmp=SnmpAuth(community="x")), settings, first)

    def secret(ms: list[dict[str, str]]) -> dict[str, str]:
        return next(m for m in ms if m["type"] == "1")

    assert secret(first)["description"] == secret(second)["description"]
    assert secret(changed)["description"] != secret(first)["description"]
    assert "c0mm" not in secret(first)["description"]


def test_stored_trigger_expression_is_written_back_with_host_and_key() -> None:
    stored = {
        "expression": "{101}>{$LINK.UTIL.WARN}*{$LINK.CAPACITY.BPS:up}",
        "functions": [
            {"functionid": "101", "itemid": "9", "function": "min", "parameter": "$,15m"}
        ],
    }

    text = zm.trigger_expression(stored, {"9": "bwauto.link.bps[up]"}, "bwauto-rsud")

    assert (
        text
        == "min(/bwauto-rsud/bwauto.link.bps[up],15m)>{$LINK.UTIL.WARN}*{$LINK.CAPACITY.BPS:up}"
    )


def test_differences_compare_as_the_api_returns_strings() -> None:
    spec = zm.item_specs(LINK, "42")[0]
    as_read = {k: v for k, v in spec.items()}
    as_read["preprocessing"] = [{**p, "type": int(p["type"])} for p in spec["preprocessing"]]
    as_read["tags"] = list(reversed(spec["tags"]))

    assert zm.differences(as_read, spec) == []
    assert zm.differences({**as_read, "delay": "5m"}, spec) == ["delay"]
