"""Look at the lab as an engineer would, for tests and the demo (like httpx's mock transport,
shipped so users can test their own playbooks against the lab): Netmiko for configs, the
poller for rates."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from bwauto.lab.runner import Lab
from bwauto.snmp.models import LinkRef, PollTarget

SHOW_CONFIG = {"cisco_ios": "show running-config", "mikrotik_routeros": "/export"}
METADATA = ("# 20", "Current configuration :", "! Last configuration change", "! NVRAM config last")
"""Lines that say when and by whom, not what: the export's date, IOS's change stamp and size."""


def import_lab_history(lab: Lab, state_dir: Path, days: float) -> int:
    """``days`` of the lab's counters up to now into ``state_dir``'s sample store, through the
    history CSV (written as ``state_dir/h.csv``) as ``bwauto samples import`` reads it; returns
    the rows imported."""
    from bwauto.inventory.loader import load_inventory
    from bwauto.lab.history import write_history
    from bwauto.store.importer import import_history
    from bwauto.store.samples import SampleStore, store_path

    history = write_history(lab.routers.values(), state_dir / "h.csv", days, time.time())
    with SampleStore(store_path(state_dir), create=True) as store:
        return import_history(store, history, set(load_inventory(lab.inventory_dir).links))


def lab_secrets(lab: Lab) -> dict[str, str]:
    """The lab's random credentials, as written to its 0600 secrets file."""
    data: dict[str, dict[str, str]] = yaml.safe_load(lab.secrets_path.read_text())
    return data["defaults"]


def device_config(lab: Lab, router: str) -> str:
    """The router's whole running config read over SSH, without the ``METADATA`` lines."""
    from netmiko import ConnectHandler

    r, creds = lab.router(router), lab_secrets(lab)
    conn = ConnectHandler(device_type=r.spec.platform, host="127.0.0.1", port=r.ssh_port,
                          username=creds["username"], password=creds["password"],
                          secret=creds["enable_secret"])  # fmt: skip
    try:
        if r.spec.platform == "cisco_ios":
            conn.enable()
        text = str(conn.send_command(SHOW_CONFIG[r.spec.platform]))
    finally:
        conn.disconnect()
    return "\n".join(line for line in text.splitlines() if not line.startswith(METADATA))


def measured_rate(
    lab: Lab, router: str, link_id: str, if_name: str, gap_s: float = 2.0
) -> tuple[float, float]:
    """(in, out) bit/s of a link over ``gap_s``: two real SNMP polls, sysUpTime as time base."""
    from bwauto.snmp.poller import poll_once

    r = lab.router(router)
    community = lab_secrets(lab)["snmp_community"]
    target = PollTarget(router=router, host="127.0.0.1", port=r.snmp_port, timeout_s=1.0,
                        links=(LinkRef(link_id, if_name),), community=community)  # fmt: skip
    first = poll_once([target]).by_link()[link_id]
    time.sleep(gap_s)
    second = poll_once([target]).by_link()[link_id]
    dt = second.uptime_s - first.uptime_s
    return ((second.in_octets - first.in_octets) * 8 / dt,
            (second.out_octets - first.out_octets) * 8 / dt)  # fmt: skip


def saturate(lab: Lab, router: str, link_id: str) -> None:
    """Make a link demand 90 % of its interface's speed, so it runs at its shaper's cap."""
    from bwauto.lab.snmp.faults import traffic_of

    r = lab.router(router)
    link = next(x for x in r.spec.links if x.link_id == link_id)
    speed = next(i.speed_bps for i in r.spec.interfaces if i.name == link.interface)
    traffic_of(r).set_demand(link_id, 0.9 * speed, 0.9 * speed)


def archive_paths(lab: Lab) -> dict[str, str | None]:
    """Router -> the ``archive`` ``path`` it booted with (None: no archive, so IOS refuses the
    revert timer). From the source inventory's ``lab.yaml``; ``lab status`` shows the same."""
    return {name: r.spec.archive_path for name, r in lab.routers.items()}
