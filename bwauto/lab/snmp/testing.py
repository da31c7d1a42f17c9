"""Small ready-made routers for tests and demos of the SNMP side (like httpx's mock transport).

The real platform configuration is the CLI emulation's (``bwauto.lab.cli``); the SNMP side only
needs something that answers ``shaper_limits()`` and ``interface_enabled()``, which
:class:`StaticConfig` does from a dict.

Examples:
    >>> router = make_router("r1", links=2)
    >>> [i.name for i in router.spec.interfaces], router.config.shaper_limits()["ether2"]
    (['ether1', 'ether2', 'ether3'], (10000000, 20000000))
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from bwauto.lab.model import LabInterface, LabLink, LabRouter, LabRouterSpec, SnmpV3User
from bwauto.lab.snmp.faults import reset_snmp_faults
from bwauto.lab.snmp.traffic import RouterTraffic


class StaticConfig:
    """A minimal ``PlatformConfig``: shaper caps in a dict, shut interfaces in a set."""

    def __init__(
        self, caps: dict[str, tuple[int | None, int | None]] | None = None, shut: Iterable[str] = ()
    ) -> None:
        self.caps = dict(caps or {})
        self.shut = set(shut)

    def shaper_limits(self) -> dict[str, tuple[int | None, int | None]]:
        """Interface name -> (ingress cap, egress cap) in bit/s."""
        return dict(self.caps)

    def interface_enabled(self, name: str) -> bool:
        """False when the interface is shut."""
        return name not in self.shut


def set_cap(router: LabRouter, if_name: str, ingress: int | None, egress: int | None) -> None:
    """Change a shaper the way the CLI emulation does: account traffic first, then change."""
    config = router.config
    if not isinstance(config, StaticConfig):
        raise TypeError("set_cap works on StaticConfig routers only")
    with router.lock:
        router.before_config_change()
        config.caps[if_name] = (ingress, egress)


def reset_routers(routers: Iterable[LabRouter]) -> None:
    """Between two tests on a shared agent: every SNMP fault off and every link's demand back to
    its traffic model's."""
    for router in routers:
        reset_snmp_faults(router)
        assert isinstance(router.traffic, RouterTraffic)
        for link in router.spec.links:
            router.traffic.set_demand(link.link_id, None)


def make_router(
    name: str,
    links: int = 2,
    *,
    platform: str = "mikrotik_routeros",
    committed: tuple[int, int] = (10_000_000, 20_000_000),
    speed_bps: int = 1_000_000_000,
    community: str = "public",
    v3: SnmpV3User | None = None,
    seed: int = 0,
    boot_time: float | None = None,
) -> LabRouter:
    """A router with an uplink and ``links`` shaped OPD links, traffic model attached.

    Link ``i`` is ``{name}-opd{i}`` on ``ether{i+2}`` (MikroTik) or
    ``GigabitEthernet0/0/1.{100+i}`` (Cisco), shaped at its committed (up, down) rates.
    """
    cisco = platform == "cisco_ios"
    uplink = "GigabitEthernet0/0/0" if cisco else "ether1"
    names = [f"GigabitEthernet0/0/1.{100 + i}" if cisco else f"ether{i + 2}" for i in range(links)]
    interfaces = tuple(
        LabInterface(n, idx + 1, speed_bps, f"{name} if {idx + 1}")
        for idx, n in enumerate([uplink, *names])
    )
    link_specs = tuple(
        LabLink(f"{name}-opd{i}", n, f"shape-opd{i}", committed[0], committed[1])
        for i, n in enumerate(names)
    )
    spec = LabRouterSpec(
        name, platform, interfaces, link_specs, snmp_community=community, snmp_v3=v3, seed=seed
    )
    config = StaticConfig({n: committed for n in names})
    router = LabRouter(spec, config, boot_time=time.time() if boot_time is None else boot_time)
    RouterTraffic(router)
    return router
