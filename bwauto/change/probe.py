"""The SNMP probe a change uses before and after: ifOperStatus and counters of its links."""

from __future__ import annotations

from bwauto.change.task import LinkProbe, SnmpProbe
from bwauto.credentials import CredentialResolver
from bwauto.errors import SnmpError
from bwauto.inventory.models import Inventory


def snmp_probe(inventory: Inventory, secrets_file: str | None) -> SnmpProbe:
    """A probe polling one router's links with the inventory's SNMP settings."""
    from bwauto.snmp.poller import poll_once
    from bwauto.snmp.targets import poll_targets

    resolver = CredentialResolver.from_files(secrets_file, inventory.secrets_file)

    def probe(router: str, link_ids: list[str]) -> dict[str, LinkProbe]:
        links = [inventory.links[i] for i in link_ids]
        result = poll_once(poll_targets(inventory, links, resolver))
        if router in result.router_errors:
            raise result.router_errors[router]
        if not result.samples and result.link_errors:
            raise SnmpError(str(next(iter(result.link_errors.values()))))
        return {
            s.link_id: LinkProbe(s.oper_up, s.in_octets, s.out_octets, s.uptime_s)
            for s in result.samples
        }

    return probe
