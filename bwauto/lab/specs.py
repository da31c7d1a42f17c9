"""Turn an inventory into simulated routers, and make synthetic inventories of any size.

Pure: no sockets, no files. The lab runner starts servers from these specs and then writes
the lab inventory (``bwauto.lab.inventory_out``) pointing at them.
"""

from __future__ import annotations

import hashlib
import secrets as pysecrets
from collections.abc import Mapping
from dataclasses import dataclass, replace

from bwauto.errors import LabError
from bwauto.inventory.models import Inventory, Link, Router
from bwauto.lab.device_state import DeviceState
from bwauto.lab.model import LabInterface, LabLink, LabRouterSpec, SnmpV3User

UPLINK = {"cisco_ios": "GigabitEthernet0/0", "mikrotik_routeros": "ether1"}


@dataclass(frozen=True)
class LabSecrets:
    """Credentials of one lab run (random each time; written only to the 0600 secrets file)."""

    username: str
    password: str
    enable_secret: str
    snmp_community: str
    snmpv3_user: str
    snmpv3_auth_key: str
    snmpv3_priv_key: str

    @classmethod
    def generate(cls) -> LabSecrets:
        """Fresh random secrets."""
        return cls(
            username="bwauto",
            password=pysecrets.token_urlsafe(12),
            enable_secret=pysecrets.token_urlsafe(12),
            snmp_community=pysecrets.token_urlsafe(9),
            snmpv3_user="bwauto-v3",
            snmpv3_auth_key=pysecrets.token_urlsafe(12),
            snmpv3_priv_key=pysecrets.token_urlsafe(12),
        )


def router_specs(
    inventory: Inventory,
    creds: LabSecrets,
    device: Mapping[str, DeviceState] | None = None,
    minute_s: float = 60.0,
) -> list[LabRouterSpec]:
    """One simulated router per inventory router, carrying its links and interfaces.

    Args:
        inventory: the routers and links to simulate.
        creds: the lab run's credentials.
        device: per router, what it boots with beyond the inventory (``lab.yaml``).
        minute_s: seconds in one IOS revert-timer minute.

    Raises:
        LabError: ``device`` names a router that the inventory does not have.
    """
    device = device or {}
    unknown = sorted(set(device) - set(inventory.routers))
    if unknown:
        raise LabError(f"lab.yaml names routers not in the inventory: {', '.join(unknown)}")
    return [
        replace(_spec(router, inventory, creds), minute_s=minute_s,
                archive_path=device.get(name, DeviceState()).archive_path)
        for name, router in inventory.routers.items()
    ]  # fmt: skip


def _seed(name: str) -> int:
    """A stable seed from a name (``hash()`` is salted per process).

    Examples:
        >>> _seed("edge-bc-01") == _seed("edge-bc-01")
        True
    """
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")


def _spec(router: Router, inventory: Inventory, creds: LabSecrets) -> LabRouterSpec:
    links = inventory.links_on(router.name)
    names = [UPLINK[router.platform], *router.interfaces]
    names += [link.interface for link in links if link.interface not in names]
    interfaces = tuple(
        LabInterface(
            name=name,
            if_index=index,
            speed_bps=router.interface_speed(name) or 1_000_000_000,
            description=_description(name, links),
        )
        for index, name in enumerate(names, start=1)
    )
    lab_links = tuple(
        LabLink(
            link_id=link.id,
            interface=link.interface,
            shaper=link.shaper,
            shaper_in=link.shaper_in,
            committed_up_bps=link.committed.up,
            committed_down_bps=link.committed.down,
        )
        for link in links
    )
    v3 = SnmpV3User(creds.snmpv3_user, creds.snmpv3_auth_key, creds.snmpv3_priv_key)
    return LabRouterSpec(
        name=router.name, platform=router.platform, interfaces=interfaces, links=lab_links,
        username=creds.username, password=creds.password, enable_secret=creds.enable_secret,
        snmp_community=creds.snmp_community, snmp_v3=v3, seed=_seed(router.name),
    )  # fmt: skip


def _description(interface: str, links: list[Link]) -> str:
    for link in links:
        if link.interface == interface:
            return f"OPD {link.opd} ({link.id})"
    return "UPLINK" if interface in UPLINK.values() else ""
