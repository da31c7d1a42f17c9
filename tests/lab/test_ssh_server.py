"""The simulated routers over real SSH on 127.0.0.1, driven by the real clients: Netmiko
(``cisco_ios`` with enable secret, ``mikrotik_routeros``), NAPALM's ``ios`` driver and paramiko,
plus the four SSH fault switches and many routers in one event loop."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator
from typing import Any

import paramiko
import pytest
from napalm import get_network_driver
from netmiko import ConnectHandler
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoBaseException,
    NetmikoTimeoutException,
)

from bwauto.errors import LabError
from bwauto.lab.cli import make_router
from bwauto.lab.model import LabInterface, LabLink, LabRouter, LabRouterSpec
from bwauto.lab.ssh_server import SshLab, generate_host_key

G = 1_000_000_000
HOST_KEY = generate_host_key()
USER, PASSWORD, SECRET = "netops", "s3cret", "en4ble"


def ios_spec(name: str = "r1") -> LabRouterSpec:
    return LabRouterSpec(
        name=name,
        platform="cisco_ios",
        interfaces=(
            LabInterface("GigabitEthernet0/0", 1, G, "uplink to ISP"),
            LabInterface("GigabitEthernet0/1", 2, G),
            LabInterface("GigabitEthernet0/1.201", 3, G),
        ),
        links=(
            LabLink(
                "rsud",
                "GigabitEthernet0/1.201",
                "PM-RSUD-OUT",
                100_000_000,
                200_000_000,
                "PM-RSUD-IN",
            ),
            LabLink("disdik", "GigabitEthernet0/1", "PM-DISDIK", 10_000_000, 30_000_000),
        ),
        username=USER,
        password=PASSWORD,
        enable_secret=SECRET,
    )


def ros_spec(name: str = "r2") -> LabRouterSpec:
    return LabRouterSpec(
        name=name,
        platform="mikrotik_routeros",
        interfaces=(LabInterface("ether1", 1, G, "uplink"), LabInterface("ether2", 2, G)),
        links=(LabLink("disdik", "ether2", "q-disdik", 10_000_000, 30_000_000),),
        username=USER,
        password=PASSWORD,
    )


@pytest.fixture
def ios() -> LabRouter:
    return make_router(ios_spec())


@pytest.fixture
def ros() -> LabRouter:
    return make_router(ros_spec())


@pytest.fixture
def lab(ios: LabRouter, ros: LabRouter) -> Iterator[SshLab]:
    with SshLab([ios, ros], host_key=HOST_KEY) as running:
        yield running


def netmiko(router: LabRouter, **extra: Any) -> Any:
    params: dict[str, Any] = {
        "device_type": router.spec.platform,
        "host": "127.0.0.1",
        "port": router.ssh_port,
        "username": USER,
        "password": PASSWORD,
        "conn_timeout": 5,
        "auth_timeout": 5,
        "banner_timeout": 5,
    }
    if router.spec.platform == "cisco_ios":
        params["secret"] = SECRET
    params.update(extra)
    return ConnectHandler(**params)


def test_ports_are_set_on_the_routers(lab: SshLab, ios: LabRouter, ros: LabRouter) -> None:
    assert lab.ports == {"r1": ios.ssh_port, "r2": ros.ssh_port}
    assert 0 not in lab.ports.values()


def test_netmiko_ios_enable_show_and_config(lab: SshLab, ios: LabRouter) -> None:
    conn = netmiko(ios)
    try:
        assert conn.find_prompt() == "r1>"
        conn.enable()
        assert conn.find_prompt() == "r1#"
        assert "r1 uptime is" in conn.send_command("show version")
        brief = conn.send_command("show ip interface brief", use_textfsm=True)
        assert [row["interface"] for row in brief][-1] == "GigabitEthernet0/1.201"
        output = conn.send_config_set(
            ["policy-map PM-DISDIK", "class class-default", "shape average 45000000"]
        )
        assert "r1(config-pmap-c)#" in output and "%" not in output
        assert "[OK]" in conn.save_config()
    finally:
        conn.disconnect()
    assert ios.config.shaper_limits()["GigabitEthernet0/1"] == (None, 45_000_000)


def test_a_change_persists_into_the_next_session(lab: SshLab, ios: LabRouter) -> None:
    first = netmiko(ios)
    first.enable()
    first.send_config_set(["interface GigabitEthernet0/1", "description raised per ND-17"])
    first.disconnect()
    second = netmiko(ios)
    second.enable()
    section = second.send_command("show running-config | section interface GigabitEthernet0/1$")
    second.disconnect()
    assert " description raised per ND-17" in section


def test_netmiko_mikrotik_show_and_set(lab: SshLab, ros: LabRouter) -> None:
    conn = netmiko(ros)
    try:
        assert conn.find_prompt() == "[netops@r2] >"
        assert conn.send_command("/system identity print") == "name: r2"
        assert "max-limit=10M/30M" in conn.send_command("/queue simple print")
        output = conn.send_config_set(
            ['/queue simple set [find name="q-disdik"] max-limit=20M/40M']
        )
        assert "failure" not in output and "bad command" not in output
        assert conn.send_command("/queue simple set nope max-limit=1M") == "no such item"
    finally:
        conn.disconnect()
    assert ros.config.shaper_limits()["ether2"] == (20_000_000, 40_000_000)
    again = netmiko(ros)
    export = again.send_command("/queue simple export terse")
    again.disconnect()
    assert '/queue simple add comment="OPD link disdik" max-limit=20M/40M name=q-disdik' in export


def test_napalm_ios_getters(lab: SshLab, ios: LabRouter) -> None:
    driver = get_network_driver("ios")(
        "127.0.0.1",
        USER,
        PASSWORD,
        timeout=10,
        optional_args={"port": ios.ssh_port, "secret": SECRET},
    )
    driver.open()
    try:
        facts = driver.get_facts()
        interfaces = driver.get_interfaces()
        configs = driver.get_config()
    finally:
        driver.close()
    assert facts["hostname"] == "r1" and facts["fqdn"] == "r1.batam.lab"
    assert facts["vendor"] == "Cisco" and facts["model"] == "CISCO2911/K9"
    assert "Version 15.7(3)M5" in facts["os_version"]
    assert facts["serial_number"].startswith("FTX")
    assert 0 <= facts["uptime"] < 120
    assert facts["interface_list"] == [
        "GigabitEthernet0/0",
        "GigabitEthernet0/1",
        "GigabitEthernet0/1.201",
    ]
    sub = interfaces["GigabitEthernet0/1.201"]
    assert sub["description"] == "OPD link rsud"
    assert (sub["is_enabled"], sub["is_up"], sub["speed"], sub["mtu"]) == (True, True, 1000.0, 1500)
    assert interfaces["GigabitEthernet0/0"]["mac_address"] == "52:54:00:00:00:01"
    assert configs["running"].startswith("!") and configs["running"].endswith("end")
    assert (
        "policy-map PM-RSUD-OUT\n class class-default\n  shape average 200000000"
        in configs["running"]
    )
    assert "hostname r1" in configs["startup"] and configs["candidate"] == ""


def test_exec_request_runs_one_command(lab: SshLab, ros: LabRouter) -> None:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        "127.0.0.1", ros.ssh_port, USER, PASSWORD, timeout=5, look_for_keys=False, allow_agent=False
    )
    try:
        _, stdout, _ = client.exec_command("/system identity print", timeout=5)
        assert stdout.read().decode() == "  name: r2\r\n"
        assert stdout.channel.recv_exit_status() == 0
    finally:
        client.close()


def test_fault_refuse_auth(lab: SshLab, ios: LabRouter) -> None:
    ios.faults.refuse_auth = True
    with pytest.raises(NetmikoAuthenticationException):
        netmiko(ios)
    ios.faults.reset()
    netmiko(ios).disconnect()


def test_wrong_password_is_refused(lab: SshLab, ros: LabRouter) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        netmiko(ros, password="guess")


def test_fault_hang_after_login_times_out(lab: SshLab, ios: LabRouter, ros: LabRouter) -> None:
    for router in (ios, ros):
        router.faults.hang_after_login = True
        started = time.monotonic()
        with pytest.raises((NetmikoTimeoutException, NetmikoBaseException)):
            netmiko(router, read_timeout_override=1)
        assert time.monotonic() - started < 8


def test_fault_drop_mid_config_keeps_the_first_lines(lab: SshLab, ios: LabRouter) -> None:
    ios.faults.drop_after_config_lines = 2
    conn = netmiko(ios, read_timeout_override=1.5)
    conn.enable()
    lines = ["interface GigabitEthernet0/1", "description dropped-after-this", "shutdown"]
    with pytest.raises((OSError, EOFError, NetmikoBaseException)):
        conn.send_config_set(lines)
    conn.disconnect()
    config = ios.config
    assert config.interface_enabled("GigabitEthernet0/1")
    assert config.interfaces["GigabitEthernet0/1"].description == "dropped-after-this"  # type: ignore[attr-defined]
    assert lab.handles[0].connections == set()


def test_fault_drop_on_routeros(lab: SshLab, ros: LabRouter) -> None:
    ros.faults.drop_after_config_lines = 0
    conn = netmiko(ros, read_timeout_override=1.5)
    assert "max-limit=10M/30M" in conn.send_command("/queue simple print")
    with pytest.raises((OSError, EOFError, NetmikoBaseException)):
        conn.send_config_set(["/queue simple set q-disdik max-limit=1M/1M"])
    conn.disconnect()
    assert ros.config.shaper_limits()["ether2"] == (10_000_000, 30_000_000)


def test_fault_reply_delay_slows_every_reply(lab: SshLab, ios: LabRouter) -> None:
    conn = netmiko(ios)
    try:
        started = time.monotonic()
        conn.send_command("show clock", auto_find_prompt=False)
        fast = time.monotonic() - started
        ios.faults.reply_delay_s = 0.5
        started = time.monotonic()
        assert conn.send_command("show clock", auto_find_prompt=False).startswith("*")
        slow = time.monotonic() - started
    finally:
        ios.faults.reset()
        conn.disconnect()
    assert slow >= 0.5 > fast


def test_scheduler_fires_while_nobody_is_connected(lab: SshLab, ros: LabRouter) -> None:
    conn = netmiko(ros)
    conn.send_config_set(
        [
            '/queue simple set [find name="q-disdik"] max-limit=50M/90M',
            '/system scheduler add name=bwauto-CH-9 interval=1s on-event="/queue simple set '
            '[find name=\\"q-disdik\\"] max-limit=10M/30M; '
            '/system scheduler remove [find name=\\"bwauto-CH-9\\"]"',
        ]
    )
    conn.disconnect()
    assert ros.config.shaper_limits()["ether2"] == (50_000_000, 90_000_000)
    deadline = time.monotonic() + 5
    while ros.config.shaper_limits()["ether2"] != (10_000_000, 30_000_000):
        assert time.monotonic() < deadline, "the scheduler never fired"
        time.sleep(0.1)
    assert ros.config.schedulers == []  # type: ignore[attr-defined]


def test_a_bad_router_stops_the_whole_lab_from_starting(ios: LabRouter) -> None:
    junos = LabRouter(dataclasses.replace(ios_spec("j1"), platform="junos"), ios.config)
    lab = SshLab([ios, junos], host_key=HOST_KEY)
    with pytest.raises(LabError, match="junos"):
        lab.start()
    assert lab.handles == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", ios.ssh_port), timeout=2).close()


def test_fifty_routers_share_one_loop_start_fast_and_stop_fast() -> None:
    routers = [
        make_router(ios_spec(f"ios{n}") if n % 2 else ros_spec(f"ros{n}")) for n in range(50)
    ]
    started = time.monotonic()
    lab = SshLab(routers, host_key=HOST_KEY).start()
    try:
        assert time.monotonic() - started < 5
        assert len(set(lab.ports.values())) == 50
        conn = netmiko(routers[7])
        assert conn.find_prompt() == "ios7>"
        idle = paramiko.SSHClient()
        idle.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        idle.connect(
            "127.0.0.1", routers[8].ssh_port, USER, PASSWORD, timeout=5, look_for_keys=False
        )
        shell = idle.invoke_shell()
    finally:
        stopping = time.monotonic()
        lab.stop()
        assert time.monotonic() - stopping <= 2
    shell.settimeout(2)
    received = b"ignored"
    while received:  # the banner may still be buffered; then EOF, not a timeout
        received = shell.recv(65535)
    idle.close()
    conn.disconnect()
