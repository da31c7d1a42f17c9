"""From the inventory (and the router's SNMP secrets) to the :class:`MonitoredLink` backends take.

Which IF-MIB column holds the link's interface name is platform data: IOS reports the short
name (``Gi0/1.201``) in ``ifName`` and the full one in ``ifDescr``; RouterOS reports the
interface name in both. A link's ``snmp_ifname`` in the inventory is always an ``ifName``.

Examples:
    >>> if_column("cisco_ios", None), if_column("cisco_ios", "Gi0/1.201")
    ('ifDescr', 'ifName')
    >>> if_column("mikrotik_routeros", None)
    'ifName'
"""

from __future__ import annotations

from bwauto.credentials import CredentialResolver
from bwauto.errors import UsageError
from bwauto.inventory.models import Inventory, Link, Router
from bwauto.monitoring.base import IfColumn, MonitoredLink, SnmpAuth

FULL_NAME_COLUMN: dict[str, IfColumn] = {"cisco_ios": "ifDescr", "mikrotik_routeros": "ifName"}
"""Per platform, the IF-MIB column whose value is the interface's full (inventory) name."""


def if_column(platform: str, snmp_ifname: str | None) -> IfColumn:
    """The column to match the link's interface name in."""
    if snmp_ifname:
        return "ifName"
    return FULL_NAME_COLUMN.get(platform, "ifName")


def find_link(inventory: Inventory, link_id: str) -> Link:
    """The link ``link_id``, or a ``UsageError`` naming the known ones."""
    try:
        return inventory.links[link_id]
    except KeyError:
        known = ", ".join(sorted(inventory.links)) or "none"
        raise UsageError(f"unknown link {link_id!r} (links: {known})") from None


def snmp_auth(router: Router, credentials: CredentialResolver) -> SnmpAuth:
    """The router's SNMP access, secrets resolved (never prompted for).

    Raises:
        CredentialError: the community (v2c) or the v3 user and keys are missing.
    """
    env = {str(k): v for k, v in router.credentials_env.items()}
    creds = credentials.resolve(router.name, router.groups, env)
    snmp = router.snmp
    if snmp.version == "v2c":
        community = creds.require("snmp_community", router.name)
        return SnmpAuth("v2c", community, timeout_s=snmp.timeout_s, retries=snmp.retries)
    return SnmpAuth(
        "v3",
        user=creds.require("snmpv3_user", router.name),
        auth_key=creds.require("snmpv3_auth_key", router.name),
        priv_key=creds.require("snmpv3_priv_key", router.name),
        auth_protocol=snmp.auth_protocol,
        priv_protocol=snmp.priv_protocol,
        timeout_s=snmp.timeout_s,
        retries=snmp.retries,
    )


def monitored_link(
    inventory: Inventory, link: Link, credentials: CredentialResolver
) -> MonitoredLink:
    """What monitoring needs to know about ``link``, its capacity being its committed rate."""
    router = inventory.routers[link.router]
    return MonitoredLink(
        link_id=link.id,
        opd=link.opd,
        router=router.name,
        router_host=router.hostname,
        snmp_port=router.snmp.port,
        snmp=snmp_auth(router, credentials),
        if_name=link.ifname,
        capacity_up_bps=link.committed.up,
        capacity_down_bps=link.committed.down,
        upstream=link.upstream,
        poll_interval_s=router.poll_interval_s,
        if_column=if_column(router.platform, link.snmp_ifname),
    )
