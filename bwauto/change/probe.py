"""The SNMP probe a change uses before and after: ifOperStatus and counters of its links."""

from __future__ import annotations

from collections.abc import Iterable

from bwauto.change.task import LinkProbe
from bwauto.credentials import CredentialResolver
from bwauto.errors import SnmpError
from bwauto.inventory.models import Inventory
from bwauto.snmp.models import PollResult


class InventoryProbe:
    """Polls links with the inventory's SNMP settings (satisfies ``task.SnmpProbe``)."""

    def __init__(self, inventory: Inventory, secrets_file: str | None) -> None:
        self.inventory = inventory
        self.resolver = CredentialResolver.from_files(secrets_file, inventory.secrets_file)

    def __call__(self, router: str, link_ids: list[str]) -> dict[str, LinkProbe]:
        """One router's links now; raises ``SnmpError`` when its agent is silent."""
        result = self._poll(link_ids)
        if router in result.router_errors:
            raise result.router_errors[router]
        if not result.samples and result.link_errors:
            raise SnmpError(str(next(iter(result.link_errors.values()))))
        return _by_link(result)

    def many(self, link_ids: Iterable[str]) -> dict[str, LinkProbe]:
        """Every link at once, all routers concurrently; a silent router's links are absent."""
        return _by_link(self._poll(list(link_ids)))

    def _poll(self, link_ids: list[str]) -> PollResult:
        from bwauto.snmp.poller import poll_once
        from bwauto.snmp.targets import poll_targets

        links = [self.inventory.links[i] for i in link_ids]
        return poll_once(poll_targets(self.inventory, links, self.resolver))


def _by_link(result: PollResult) -> dict[str, LinkProbe]:
    return {
        s.link_id: LinkProbe(s.oper_up, s.in_octets, s.out_octets, s.uptime_s)
        for s in result.samples
    }


def snmp_probe(inventory: Inventory, secrets_file: str | None) -> InventoryProbe:
    """The probe for a change over ``inventory``."""
    return InventoryProbe(inventory, secrets_file)
