"""The analysis' plain inputs built from the inventory (the analysis never reads it itself)."""

from __future__ import annotations

from bwauto.analysis.model import LinkInfo, UpstreamInfo
from bwauto.inventory.models import Inventory


def link_infos(inventory: Inventory) -> list[LinkInfo]:
    """Every link of the inventory, in inventory order."""
    out = []
    for link in inventory.links.values():
        router = inventory.routers[link.router]
        out.append(LinkInfo(
            link_id=link.id, committed_up_bps=link.committed.up,
            committed_down_bps=link.committed.down, upstream=link.upstream,
            speed_bps=router.interface_speed(link.interface),
            poll_interval_s=float(router.poll_interval_s), opd=link.opd, router=link.router,
            interface=link.interface,
        ))  # fmt: skip
    return out


def upstream_infos(inventory: Inventory) -> list[UpstreamInfo]:
    """Every upstream of the inventory."""
    return [
        UpstreamInfo(u.id, u.capacity, u.max_oversubscription) for u in inventory.upstreams.values()
    ]
