"""The lab's IOS as real IOS behaves around commit-confirm and saving, over real SSH with
Netmiko: the revert timer needs ``archive`` / ``path``, an unconfirmed change is restored when
the timer expires, ``configure confirm`` cancels it, ``write memory`` / ``copy running-config
startup-config`` save, and a wrong enable secret is refused with IOS's words.

Sample inventory (``inventory/lab.yaml``): edge-bc-02 boots with ``archive`` / ``path
flash:archive``, edge-bc-03 without (the IOS default).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netmiko import BaseConnection, ConnectHandler

from bwauto.inventory.loader import load_inventory
from bwauto.lab.cli.cisco_ios_config import IosConfig
from bwauto.lab.runner import Lab
from bwauto.lab.testing import archive_paths, device_config, lab_secrets

ARCHIVED, BARE = "edge-bc-02", "edge-bc-03"
SAMPLE_INVENTORY = Path(__file__).parents[2] / "inventory"
DISHUB = ["policy-map PM-DISHUB-OUT", "class class-default"]  # on edge-bc-02, 50M down


def connect(lab: Lab, router: str, secret: str | None = None, **extra: Any) -> BaseConnection:
    creds = lab_secrets(lab)
    return ConnectHandler(
        device_type="cisco_ios", host="127.0.0.1", port=lab.router(router).ssh_port,
        username=creds["username"], password=creds["password"],
        secret=creds["enable_secret"] if secret is None else secret,
        conn_timeout=5, auth_timeout=5, banner_timeout=5, **extra,
    )  # fmt: skip


def ios_config(lab: Lab, router: str) -> IosConfig:
    config = lab.router(router).config
    assert isinstance(config, IosConfig)
    return config


@pytest.fixture
def short_minute_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """A fresh lab whose revert-timer minute lasts 0.5 s (``BWAUTO_LAB_MINUTE_S``)."""
    monkeypatch.setenv("BWAUTO_LAB_MINUTE_S", "0.5")
    running = Lab(load_inventory(SAMPLE_INVENTORY), tmp_path / "state").start()
    yield running
    running.stop()


def test_the_sample_has_one_ios_router_with_an_archive_and_one_without(lab: Lab) -> None:
    assert archive_paths(lab) == {"edge-bc-01": None, ARCHIVED: "flash:archive", BARE: None,
                                  "edge-sk-01": None}  # fmt: skip
    shapes = {(link.router, link.shaper_in is not None) for link in lab.source.links.values()}
    assert {(ARCHIVED, True), (ARCHIVED, False), (BARE, True), (BARE, False)} <= shapes


def test_revert_timer_is_refused_without_an_archive(lab: Lab) -> None:
    """Cisco, "Configuration Rollback Confirmed Change": "You must configure a configuration
    archive before performing this procedure". The session stays in privileged EXEC, so
    Netmiko cannot enter config mode, as NAPALM's ios driver expects."""
    conn = connect(lab, BARE)
    try:
        conn.enable()
        assert conn.send_command("show archive").strip() == "Archive feature not enabled"
        with pytest.raises(ValueError, match="Failed to enter configuration mode"):
            conn.config_mode(config_command="configure terminal revert timer 2")
        assert conn.find_prompt() == f"{BARE}#"
        reply = conn.send_command_timing("configure terminal revert timer 2", strip_prompt=False)
        assert "%Please turn config archive on" in reply and reply.rstrip().endswith(f"{BARE}#")
        assert "No Rollback Confirmed Change pending" in conn.send_command(
            "show archive config rollback timer"
        )
    finally:
        conn.disconnect()
    assert ios_config(lab, BARE).revert is None
    assert "\narchive" not in device_config(lab, BARE)


def test_revert_timer_is_accepted_once_archive_path_is_configured(fresh_lab: Lab) -> None:
    """Adding ``archive`` / ``path`` is all the revert timer needs (Cisco, "Configuring the
    Configuration Archive"); the lines are in the running config."""
    conn = connect(fresh_lab, BARE)
    try:
        conn.enable()
        conn.send_config_set(["archive", "path flash:archive", "maximum 5", "write-memory"])
        shown = conn.send_command("show archive")
        assert shown.startswith("The maximum archive configurations allowed is 5.")
        assert "flash:archive-<timestamp>-0" in shown
        out = conn.config_mode(config_command="configure terminal revert timer 2")
        assert "Backing up current running config to flash:archive-" in out
        conn.exit_config_mode()
        assert conn.send_command("configure confirm").strip() == ""
    finally:
        conn.disconnect()
    running = device_config(fresh_lab, BARE)
    assert "archive\n path flash:archive\n maximum 5\n write-memory\n" in running


def test_with_an_archive_the_timer_backs_up_and_shows_as_pending(fresh_lab: Lab) -> None:
    """``configure terminal revert timer N`` backs the running config up to the next archive
    file, and ``show archive config rollback timer`` shows the pending revert with the fields
    NAPALM's ios driver reads (Time configured, Timer type, Timer value, User)."""
    conn = connect(fresh_lab, ARCHIVED)
    try:
        conn.enable()
        out = conn.config_mode(config_command="configure terminal revert timer 3")
        assert "Rollback Confirmed Change: Backing up current running config to" in out
        conn.exit_config_mode()
        timer = conn.send_command("show archive config rollback timer")
        assert "Timer type: Revert Timer" in timer and "Timer value: 3 min" in timer
        assert f"User: {lab_secrets(fresh_lab)['username']}" in timer
        assert "<- Most Recent" in conn.send_command("show archive")
        assert conn.send_command("configure confirm").strip() == ""
        assert "No Rollback Confirmed Change pending" in conn.send_command(
            "show archive config rollback timer"
        )
    finally:
        conn.disconnect()


def test_an_unconfirmed_change_is_restored_when_the_timer_expires(
    short_minute_lab: Lab,
) -> None:
    """Cisco, "Configuration Rollback Confirmed Change": "If no confirmation is entered within
    the requested time limit, the configuration reverts to its previous state" -- the running
    config and the shaper that the traffic model obeys, with no session open."""
    lab = short_minute_lab
    assert ios_config(lab, ARCHIVED).minute_s == 0.5
    conn = connect(lab, ARCHIVED)
    try:
        conn.enable()
        conn.send_config_set(
            [*DISHUB, "shape average 90000000"],
            config_mode_command="configure terminal revert timer 2",
        )
        assert "shape average 90000000" in conn.send_command("show running-config")
    finally:
        conn.disconnect()
    deadline = time.monotonic() + 5
    while ios_config(lab, ARCHIVED).revert is not None and time.monotonic() < deadline:
        time.sleep(0.1)  # the lab's own timer fires: nobody is connected
    assert ios_config(lab, ARCHIVED).shaper_limits()["GigabitEthernet0/1.202"] == (None, 50_000_000)
    running = device_config(lab, ARCHIVED)
    assert "shape average 50000000" in running and "90000000" not in running


def test_configure_confirm_cancels_the_revert(short_minute_lab: Lab) -> None:
    """``configure confirm`` keeps the change: nothing is restored after the timer's time."""
    lab = short_minute_lab
    conn = connect(lab, ARCHIVED)
    try:
        conn.enable()
        conn.send_config_set(
            [*DISHUB, "shape average 90000000"],
            config_mode_command="configure terminal revert timer 1",
        )
        assert conn.send_command("configure confirm").strip() == ""
    finally:
        conn.disconnect()
    time.sleep(1.0)  # two revert-timer "minutes"
    assert ios_config(lab, ARCHIVED).revert is None
    assert "shape average 90000000" in device_config(lab, ARCHIVED)


def test_write_memory_and_copy_run_start_save_and_show_startup_reads_back(
    fresh_lab: Lab,
) -> None:
    """``write memory`` prints "Building configuration..." / "[OK]"; ``copy running-config
    startup-config`` first asks "Destination filename [startup-config]?" (Cisco IOS
    Configuration Fundamentals, "Managing Configuration Files"). ``show startup-config``
    then holds the change; a reload keeps it."""
    conn = connect(fresh_lab, BARE)
    try:
        conn.enable()
        conn.send_config_set(["policy-map PM-SATPOLPP-OUT", "class class-default",
                              "shape average 30000000"])  # fmt: skip
        assert "shape average 30000000" not in conn.send_command("show startup-config")
        out = conn.send_command_timing("copy running-config startup-config")
        assert out.strip().endswith("Destination filename [startup-config]?")
        out = conn.send_command_timing("\n")
        assert "Building configuration..." in out and "[OK]" in out
        assert "shape average 30000000" in conn.send_command("show startup-config")
        conn.send_config_set(["policy-map PM-SATPOLPP-OUT", "class class-default",
                              "shape average 40000000"])  # fmt: skip
        assert "[OK]" in conn.send_command("write memory")
    finally:
        conn.disconnect()
    fresh_lab.fault(BARE, "reload")
    assert "shape average 40000000" in device_config(fresh_lab, BARE)


def test_a_wrong_enable_secret_is_refused_with_ios_words(lab: Lab) -> None:
    """IOS asks "Password:" three times, then prints "% Bad secrets" and stays in user EXEC
    (O'Reilly, "CCIE Security Exam Certification Guide", password recovery: "Password:" x3,
    then "% Bad passwords"; with ``enable secret`` IOS says "% Bad secrets")."""
    conn = connect(lab, ARCHIVED, secret="not-the-secret")
    try:
        assert conn.find_prompt() == f"{ARCHIVED}>"
        out = conn.send_command_timing("enable")
        assert out.strip().endswith("Password:")
        out = conn.send_command_timing("not-the-secret")
        assert out.strip() == "Password:"  # asked again, nothing echoed
        conn.send_command_timing("still-wrong")
        out = conn.send_command_timing("wrong-again", strip_prompt=False)
        assert "% Bad secrets" in out and out.rstrip().endswith(f"{ARCHIVED}>")
        assert not conn.check_enable_mode()
    finally:
        conn.disconnect()


def test_synthetic_labs_mix_ios_routers_with_and_without_archive(tmp_path: Path) -> None:
    from bwauto.lab.inventory_out import synthetic_inventory, write_inventory

    write_inventory(tmp_path / "src", synthetic_inventory(4, 1), "synthetic")
    lab = Lab(load_inventory(tmp_path / "src"), tmp_path / "state")  # built, not started
    assert archive_paths(lab) == {"lab-r001": None, "lab-r002": "flash:archive",
                                  "lab-r003": None, "lab-r004": None}  # fmt: skip


def test_lab_yaml_naming_an_unknown_router_is_refused(tmp_path: Path) -> None:
    from bwauto.errors import LabError
    from bwauto.lab.inventory_out import synthetic_inventory, write_inventory

    data = synthetic_inventory(2, 1)
    data["lab.yaml"] = {"routers": {"no-such-router": {"archive_path": "flash:archive"}}}
    write_inventory(tmp_path / "src", data, "synthetic")
    with pytest.raises(LabError, match="no-such-router"):
        Lab(load_inventory(tmp_path / "src"), tmp_path / "state")
