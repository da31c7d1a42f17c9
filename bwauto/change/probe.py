"""The SNMP probe a change uses before and after: ifOperStatus and counters of its links.

The probe starts from the ifName -> ifIndex map the poller keeps in the sample store
(``bwauto.store.ifindex``), so that a change reads each router's links with one GETBULK
instead of walking its ifName first, and keeps back what it had to walk. The map is only a
hint: every read proves the index with the name column (``bwauto.snmp.ifcache``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bwauto.change.task import LinkProbe
from bwauto.credentials import CredentialResolver
from bwauto.errors import SnmpError
from bwauto.inventory.models import Inventory
from bwauto.snmp.ifcache import IfIndexCache, MemoryIfIndexCache, SeededIfIndexCache
from bwauto.snmp.models import PollResult


class InventoryProbe:
    """Polls links with the inventory's SNMP settings (satisfies ``task.SnmpProbe``); every
    call shares ``if_indexes`` (safe across the change's threads: a dict, no connection)."""

    def __init__(
        self, inventory: Inventory, secrets_file: str | None,
        if_indexes: IfIndexCache | None = None,
    ) -> None:  # fmt: skip
        self.inventory = inventory
        self.resolver = CredentialResolver.from_files(secrets_file, inventory.secrets_file)
        self.if_indexes = if_indexes if if_indexes is not None else MemoryIfIndexCache()

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
        targets = poll_targets(self.inventory, links, self.resolver)
        return poll_once(targets, if_indexes=self.if_indexes)


def _by_link(result: PollResult) -> dict[str, LinkProbe]:
    return {
        s.link_id: LinkProbe(s.oper_up, s.in_octets, s.out_octets, s.uptime_s)
        for s in result.samples
    }


@contextmanager
def snmp_probe(
    inventory: Inventory, secrets_file: str | None, state_dir: Path | None = None
) -> Iterator[InventoryProbe]:
    """The probe for a change over ``inventory``; with ``state_dir``, it starts from the
    ifIndex map of its sample store and keeps there what it walked, when the block ends."""
    from bwauto.store.ifindex import keep_if_indexes, kept_if_indexes

    cache = SeededIfIndexCache(kept_if_indexes(state_dir) if state_dir else None)
    try:
        yield InventoryProbe(inventory, secrets_file, cache)
    finally:
        if state_dir is not None:
            keep_if_indexes(state_dir, cache.learned())
