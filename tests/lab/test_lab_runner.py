"""The integrated lab as users meet it: the ``Lab`` runner's written inventory and secrets file,
real clients on its ports (Netmiko, NAPALM, pysnmp through the poller, net-snmp), and every fault
switch of ``bwauto.lab.faults.FAULTS`` turned on through ``Lab.fault`` with its visible effect.

The session ``lab`` is used where no config changes (``lab_faults`` switches every fault off
after the test); a test that changes a config gets a ``fresh_lab`` of its own.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoBaseException,
    NetmikoTimeoutException,
    ReadTimeout,
)

from bwauto.credentials import CredentialResolver, Credentials, load_secrets_file
from bwauto.inventory.loader import load_inventory
from bwauto.inventory.models import Inventory
from bwauto.lab.faults import FAULTS
from bwauto.lab.runner import Lab
from bwauto.lab.snmp.faults import traffic_of
from bwauto.lab.testing import device_config, measured_rate, saturate
from bwauto.snmp.models import PollResult, PollTarget
from bwauto.snmp.poller import poll_once
from bwauto.snmp.targets import poll_targets

M = 1_000_000
ROS, IOS = "edge-bc-01", "edge-bc-02"  # mikrotik_routeros, cisco_ios in the sample inventory
IOS_NA = "edge-bc-03"  # cisco_ios without an archive (inventory/lab.yaml)
IF_NAME_COLUMN = "1.3.6.1.2.1.31.1.1.1.1"
SESSION_ERRORS = (OSError, EOFError, NetmikoBaseException)
F = TypeVar("F", bound=Callable[..., None])


def lab_inventory(lab: Lab) -> Inventory:
    return load_inventory(lab.inventory_dir)


def resolver(inventory: Inventory) -> CredentialResolver:
    """Credentials from the secrets file the lab inventory names (environment ignored)."""
    assert inventory.secrets_file is not None
    secrets = load_secrets_file(Path(inventory.secrets_file))  # refuses a mode other than 0600
    return CredentialResolver(secrets=secrets, env={}, interactive=False)


def credentials(inventory: Inventory, router: str) -> Credentials:
    return resolver(inventory).resolve(router, inventory.routers[router].groups)


def connect(lab: Lab, router: str, **extra: Any) -> BaseConnection:
    """Netmiko to ``router`` with the host, port and secrets of the lab inventory."""
    inventory = lab_inventory(lab)
    host, creds = inventory.routers[router], credentials(inventory, router)
    params: dict[str, Any] = {
        "device_type": host.platform, "host": host.hostname, "port": host.port,
        "username": creds.require("username", router),
        "password": creds.require("password", router),
        "secret": creds.get("enable_secret") or "",
        "conn_timeout": 5, "auth_timeout": 5, "banner_timeout": 5, **extra,
    }  # fmt: skip
    return ConnectHandler(**params)


def targets(lab: Lab, **override: Any) -> list[PollTarget]:
    """Poll targets of every lab link, from the lab inventory (``override``: PollTarget fields)."""
    inventory = lab_inventory(lab)
    found = poll_targets(inventory, inventory.links.values(), resolver(inventory))
    return [dataclasses.replace(t, **override) for t in found]


def poll(lab: Lab, router: str | None = None, **override: Any) -> PollResult:
    """One poll of every lab link (or of ``router``'s only)."""
    chosen = [t for t in targets(lab, **override) if router in (None, t.router)]
    return poll_once(chosen)


# -- the lab inventory and real clients --------------------------------------------------------


def test_the_lab_inventory_points_at_the_lab(lab: Lab) -> None:
    inventory = lab_inventory(lab)
    assert set(inventory.routers) == set(lab.routers)
    for name, router in inventory.routers.items():
        assert (router.hostname, router.port) == ("127.0.0.1", lab.routers[name].ssh_port)
        assert router.snmp.port == lab.routers[name].snmp_port
    assert Path(str(inventory.secrets_file)) == lab.secrets_path.resolve()
    assert lab.secrets_path.stat().st_mode & 0o777 == 0o600
    assert (lab.inventory_dir / "office.yaml").is_file()  # documents made on the lab are signable
    for name in inventory.routers:  # the secrets are in the file only, never in the inventory
        password = credentials(inventory, name).require("password", name)
        assert password.encode() not in b"".join(
            p.read_bytes() for p in lab.inventory_dir.iterdir() if p.is_file()
        )  # fmt: skip (the logo: bytes)


@pytest.mark.parametrize(
    ("router", "command", "expected"),
    [
        (ROS, '/queue simple print where name="q-dinkes"', "max-limit=50M/100M"),
        (IOS, "show running-config | section policy-map PM-RSUD-OUT", "shape average 200000000"),
    ],
)
def test_netmiko_reads_each_platforms_shaper(
    lab: Lab, router: str, command: str, expected: str
) -> None:
    conn = connect(lab, router)
    try:
        if conn.secret:
            conn.enable()
        prompt = conn.find_prompt()
        output = str(conn.send_command(command))
    finally:
        conn.disconnect()
    assert router in prompt
    assert expected in output


def test_napalm_ios_getters(lab: Lab) -> None:
    from napalm import get_network_driver

    inventory = lab_inventory(lab)
    host, creds = inventory.routers[IOS], credentials(inventory, IOS)
    driver = get_network_driver("ios")(
        host.hostname, creds.require("username", IOS), creds.require("password", IOS),
        timeout=10, optional_args={"port": host.port, "secret": creds.get("enable_secret")},
    )  # fmt: skip
    driver.open()
    try:
        facts, interfaces, config = driver.get_facts(), driver.get_interfaces(), driver.get_config()
    finally:
        driver.close()
    links = inventory.links_on(IOS)
    assert facts["hostname"] == IOS and facts["vendor"] == "Cisco"
    assert {link.interface for link in links} <= set(facts["interface_list"])
    rsud = interfaces["GigabitEthernet0/1.201"]
    assert rsud["is_up"] and rsud["is_enabled"] and "rsud" in rsud["description"]
    assert "policy-map PM-RSUD-OUT" in config["running"]
    assert "shape average 200000000" in config["running"]


def test_net_snmp_bulkwalk_walks_if_name(lab: Lab) -> None:
    if shutil.which("snmpbulkwalk") is None:
        pytest.skip("net-snmp's snmpbulkwalk is not installed (apt-get install snmp)")
    inventory = lab_inventory(lab)
    community = credentials(inventory, ROS).require("snmp_community", ROS)
    agent = f"127.0.0.1:{inventory.routers[ROS].snmp.port}"
    out = subprocess.run(
        ["snmpbulkwalk", "-v2c", "-c", community, "-On", "-t", "2", "-r", "1", agent,
         IF_NAME_COLUMN],
        capture_output=True, text=True, timeout=20, check=True,
    ).stdout  # fmt: skip
    names = [line.split('STRING: "', 1)[1].rstrip('"') for line in out.strip().splitlines()]
    assert names == [i.name for i in lab.router(ROS).spec.interfaces]
    assert {link.interface for link in inventory.links_on(ROS)} <= set(names)


@pytest.mark.parametrize(
    ("router", "link", "old", "new", "commands"),
    [
        (ROS, "dinkes", 100 * M, 150 * M,
         ['/queue simple set [find name="q-dinkes"] max-limit=50M/150M']),
        (IOS, "rsud", 200 * M, 300 * M,
         ["policy-map PM-RSUD-OUT", "class class-default", "shape average 300000000"]),
    ],
)  # fmt: skip
def test_a_shaper_change_over_ssh_persists_and_moves_the_counters(
    fresh_lab: Lab, router: str, link: str, old: int, new: int, commands: list[str]
) -> None:
    ifname = lab_inventory(fresh_lab).links[link].interface
    saturate(fresh_lab, router, link)
    assert measured_rate(fresh_lab, router, link, ifname, gap_s=1.5)[1] == pytest.approx(
        old, rel=0.02
    )
    conn = connect(fresh_lab, router)
    try:
        if conn.secret:
            conn.enable()
        output = str(conn.send_config_set(commands))
    finally:
        conn.disconnect()
    assert "%" not in output and "failure" not in output
    shown = device_config(fresh_lab, router)  # a new session sees it
    assert ("max-limit=50M/150M" if router == ROS else "shape average 300000000") in shown
    assert measured_rate(fresh_lab, router, link, ifname, gap_s=1.5)[1] == pytest.approx(
        new, rel=0.02
    )


# -- every fault switch through Lab.fault -------------------------------------------------------

TESTED_FAULTS: set[str] = set()


def covers(*names: str) -> Callable[[F], F]:
    """Mark a test as showing the effect of these ``FAULTS``."""
    TESTED_FAULTS.update(names)

    def mark(test: F) -> F:
        return test

    return mark


@covers("refuse-auth")
def test_refuse_auth_fault(lab_faults: Lab) -> None:
    lab_faults.fault(IOS, "refuse-auth")
    with pytest.raises(NetmikoAuthenticationException):
        connect(lab_faults, IOS)
    lab_faults.fault(IOS, "refuse-auth", on=False)
    connect(lab_faults, IOS).disconnect()


@covers("hang-after-login")
@pytest.mark.parametrize("router", [ROS, IOS])
def test_hang_after_login_fault_times_out(lab_faults: Lab, router: str) -> None:
    lab_faults.fault(router, "hang-after-login")
    started = time.monotonic()
    with pytest.raises((ReadTimeout, NetmikoTimeoutException)):  # logged in, then no prompt
        connect(lab_faults, router, read_timeout_override=1)
    assert time.monotonic() - started < 8


@covers("drop-mid-config")
def test_drop_mid_config_fault_kills_the_session_after_n_lines(fresh_lab: Lab) -> None:
    fresh_lab.fault(ROS, "drop-mid-config", arg="1")
    conn = connect(fresh_lab, ROS, read_timeout_override=1)
    with pytest.raises(SESSION_ERRORS):
        conn.send_config_set([f'/queue simple set [find name="{name}"] max-limit={rate}'
                              for name, rate in (("q-dinkes", "60M/110M"),
                                                 ("q-bpkad", "40M/60M"))])  # fmt: skip
    assert not conn.is_alive()  # the session died; not merely a slow answer
    conn.disconnect()
    limits = fresh_lab.router(ROS).config.shaper_limits()
    assert limits["vlan110-dinkes"] == (60 * M, 110 * M)  # the first line was applied
    assert limits["vlan130-bpkad"] == (30 * M, 50 * M)  # the second never arrived
    status = {r["name"]: r for r in fresh_lab.status()["routers"]}
    assert "drop-mid-config" not in status[ROS]["faults"]  # it fired once, then switched off
    connect(fresh_lab, ROS).disconnect()  # the next session is spared


@covers("slow")
def test_slow_fault_delays_every_reply(lab_faults: Lab) -> None:
    conn = connect(lab_faults, IOS)
    try:
        lab_faults.fault(IOS, "slow", arg="0.5")
        started = time.monotonic()
        output = str(conn.send_command("show clock", auto_find_prompt=False))
        slow = time.monotonic() - started
        lab_faults.fault(IOS, "slow", on=False)
        started = time.monotonic()
        conn.send_command("show clock", auto_find_prompt=False)
        fast = time.monotonic() - started
    finally:
        conn.disconnect()
    assert output.startswith("*")  # IOS's clock, not yet synchronised
    assert slow >= 0.5 > fast


@covers("snmp-timeout")
def test_snmp_timeout_fault_is_reported_by_the_poll(lab_faults: Lab) -> None:
    lab_faults.fault("edge-sk-01", "snmp-timeout")
    result = poll(lab_faults, timeout_s=0.3, retries=0)
    assert set(result.router_errors) == {"edge-sk-01"}
    assert "no SNMP answer" in str(result.router_errors["edge-sk-01"])
    assert {s.router for s in result.samples} == {ROS, IOS, IOS_NA}


@covers("reboot")
def test_reboot_fault_restarts_uptime_and_counters(lab_faults: Lab) -> None:
    before = poll(lab_faults, ROS).by_link()["dinkes"]
    if before.uptime_s < 1.0:  # just started: let uptime and counters grow
        time.sleep(1.0 - before.uptime_s)
        before = poll(lab_faults, ROS).by_link()["dinkes"]
    lab_faults.fault(ROS, "reboot")
    after = poll(lab_faults, ROS).by_link()["dinkes"]
    assert after.uptime_s < min(before.uptime_s, 1.0)
    assert after.out_octets < before.out_octets


@covers("wrap32", "no-hc")
def test_wrap32_fault_wraps_the_32_bit_counters_in_the_window(lab_faults: Lab) -> None:
    saturate(lab_faults, ROS, "dinkes")
    try:
        lab_faults.fault(ROS, "no-hc")  # so that the poller reads the 32-bit counters
        lab_faults.fault(ROS, "wrap32", arg="1.5")  # wraps within 1.5 s at the current rate
        first = poll(lab_faults, ROS).by_link()["dinkes"]
        time.sleep(2.0)
        second = poll(lab_faults, ROS).by_link()["dinkes"]
    finally:
        traffic_of(lab_faults.router(ROS)).set_demand("dinkes", None)
    assert first.counter_bits == second.counter_bits == 32
    assert second.out_octets < first.out_octets  # wrapped
    seconds = second.uptime_s - first.uptime_s
    rate = (second.out_octets - first.out_octets) % 2**32 * 8 / seconds
    assert rate == pytest.approx(100 * M, rel=0.03)  # the shaper's cap, modulo 2^32


@covers("no-hc")
def test_no_hc_fault_makes_the_poll_fall_back_to_32_bit(lab_faults: Lab) -> None:
    assert {s.counter_bits for s in poll(lab_faults, IOS).samples} == {64}
    lab_faults.fault(IOS, "no-hc")
    result = poll(lab_faults, IOS)
    assert result.ok and len(result.samples) == 2  # rsud, dishub
    assert {s.counter_bits for s in result.samples} == {32}
    assert all(s.out_octets < 2**32 for s in result.samples)


@covers("interface-down")
def test_interface_down_fault_shows_in_if_oper_status(lab_faults: Lab) -> None:
    lab_faults.fault("edge-sk-01", "interface-down", arg="ether4")
    samples = poll(lab_faults, "edge-sk-01").by_link()
    assert samples["kec-sekupang"].oper_up is False
    assert samples["disdik"].oper_up is True


@covers("renumber")
def test_renumber_fault_moves_if_index_and_the_poller_follows(lab_faults: Lab) -> None:
    before = poll(lab_faults, ROS).by_link()
    lab_faults.fault(ROS, "renumber", arg="40")
    result = poll(lab_faults, ROS)
    assert result.ok
    after = result.by_link()
    assert set(after) == set(before)
    for link_id, sample in after.items():
        assert sample.if_index == before[link_id].if_index + 40
        assert sample.if_name == before[link_id].if_name


@covers("reload")
def test_reload_fault_loses_unsaved_ios_config_and_keeps_saved(fresh_lab: Lab) -> None:
    """IOS boots from the startup config: what ``write memory`` saved survives a reload, an
    unsaved change does not (Cisco IOS Configuration Fundamentals, "Managing Configuration
    Files"); an open session dies with the reload."""
    policy = ["policy-map PM-DISHUB-OUT", "class class-default"]
    conn = connect(fresh_lab, IOS)
    conn.enable()
    conn.send_config_set([*policy, "shape average 60000000"])
    assert "[OK]" in conn.save_config()
    conn.send_config_set([*policy, "shape average 70000000"])  # not saved
    fresh_lab.fault(IOS, "reload")
    time.sleep(0.2)
    assert not conn.is_alive()  # the reload took the TCP session with it
    conn.disconnect()
    running = device_config(fresh_lab, IOS)
    assert "shape average 60000000" in running and "shape average 70000000" not in running
    caps = fresh_lab.router(IOS).config.shaper_limits()
    assert caps["GigabitEthernet0/1.202"] == (None, 60_000_000)


@covers("reload")
def test_reload_fault_keeps_routeros_config(fresh_lab: Lab) -> None:
    """RouterOS has no startup config to save: a change is kept across a reboot by itself
    (MikroTik RouterOS manual, "Console": changes are stored when made; only Safe Mode undoes
    them, and only when its session ends abnormally)."""
    conn = connect(fresh_lab, ROS)
    try:
        conn.send_command('/queue simple set [find name="q-dinkes"] max-limit=50M/150M')
    finally:
        conn.disconnect()
    fresh_lab.fault(ROS, "reload")
    assert "max-limit=50M/150M" in device_config(fresh_lab, ROS)


@covers("short-minute")
def test_short_minute_fault_makes_an_unconfirmed_ios_change_revert_soon(fresh_lab: Lab) -> None:
    """With ``short-minute`` a revert-timer minute lasts a fraction of a second, so a test can
    watch IOS restore the config armed with ``configure terminal revert timer 1``."""
    fresh_lab.fault(IOS, "short-minute", arg="0.5")
    routers = {r["name"]: r for r in fresh_lab.status()["routers"]}
    assert "short-minute" in routers[IOS]["faults"]
    conn = connect(fresh_lab, IOS)
    try:
        conn.enable()
        conn.send_config_set(
            ["policy-map PM-DISHUB-OUT", "class class-default", "shape average 70000000"],
            config_mode_command="configure terminal revert timer 1",
        )
        assert "Timer value: 1 min" in conn.send_command("show archive config rollback timer")
        time.sleep(0.8)
        assert "No Rollback Confirmed Change pending" in conn.send_command(
            "show archive config rollback timer"
        )
    finally:
        conn.disconnect()
    assert "shape average 50000000" in device_config(fresh_lab, IOS)
    fresh_lab.fault(IOS, "short-minute", on=False)
    assert fresh_lab.router(IOS).config.minute_s == 60.0  # type: ignore[attr-defined]


def test_every_fault_has_a_test_showing_its_effect() -> None:
    assert set(FAULTS) == TESTED_FAULTS
