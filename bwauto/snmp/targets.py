"""Poll targets from the inventory: each router's SNMP address, credentials and its links."""

from __future__ import annotations

from collections.abc import Iterable

from bwauto.credentials import CredentialResolver
from bwauto.inventory.models import Inventory, Link, Router
from bwauto.snmp.models import LinkRef, PollTarget, V3Credentials


def poll_targets(
    inventory: Inventory, links: Iterable[Link], resolver: CredentialResolver
) -> list[PollTarget]:
    """One target per router hosting any of ``links``, in inventory order.

    Raises:
        CredentialError: a router's SNMP community (v2c) or v3 user/keys cannot be found.
    """
    by_router: dict[str, list[Link]] = {}
    for link in links:
        by_router.setdefault(link.router, []).append(link)
    return [
        _target(inventory.routers[name], by_router[name], resolver)
        for name in inventory.routers
        if name in by_router
    ]


def _target(router: Router, links: list[Link], resolver: CredentialResolver) -> PollTarget:
    env = {str(k): v for k, v in router.credentials_env.items()}
    need = ("snmp_community",) if router.snmp.version == "v2c" else ()
    creds = resolver.resolve(router.name, router.groups, env, need=need)
    community, v3 = None, None
    if router.snmp.version == "v2c":
        community = creds.require("snmp_community", router.name)
    else:
        v3 = V3Credentials(
            user=creds.require("snmpv3_user", router.name),
            auth_key=creds.require("snmpv3_auth_key", router.name),
            priv_key=creds.require("snmpv3_priv_key", router.name),
            auth_proto=router.snmp.auth_protocol,
            priv_proto=router.snmp.priv_protocol,
        )
    return PollTarget(
        router=router.name, host=router.hostname,
        links=tuple(LinkRef(link.id, link.ifname) for link in links),
        port=router.snmp.port, community=community, v3=v3,
        timeout_s=router.snmp.timeout_s, retries=router.snmp.retries,
    )  # fmt: skip
