"""SNMP-side faults of a simulated router: what the lab can do to a router's agent.

Switches live on ``router.faults`` (``model.Faults``) and are read by the agent at every
request; events change the router's state and its traffic model's counters. Everything
here may be called from any thread (state changes hold ``router.lock``).

- ``set_snmp_timeout``: the agent drops every datagram (v2c and v3). Undo: ``on=False``.
- ``set_no_hc``: no ifHCIn/OutOctets, as on a 32-bit-only agent. Undo: ``on=False``.
- ``renumber_if_index``: every ifIndex moves by ``shift``, as after a reboot on some platforms.
  Undo: ``shift=0``.
- ``reinit_renumbering``: a reboot after which the interfaces take each other's ifIndex
  (RFC 2863 section 3.1.5). An event; ``reset_snmp_faults`` restores the spec's numbering.
- ``set_interface_down``: ifOperStatus 2 and the interface carries nothing. Undo: ``down=False``.
- ``wrap_counters_soon``: the 32-bit counters jump to just below 2^32 and wrap within
  ``within_s`` at the current rate; the HC counters go on unchanged. Undo: ``clear_counter_wrap``
  (the 32-bit counters jump back).
- ``reboot``: sysUpTime restarts at 0 and every counter restarts at 0. An event, not a switch.

:func:`reset_snmp_faults` undoes every switch (not a reboot, which is history).
"""

from __future__ import annotations

import time

from bwauto.errors import LabError
from bwauto.lab.model import LabInterface, LabRouter
from bwauto.lab.snmp.traffic import RouterTraffic


def traffic_of(router: LabRouter) -> RouterTraffic:
    """The router's traffic model, creating and attaching one if it has none."""
    with router.lock:
        if router.traffic is None:
            return RouterTraffic(router)
        if not isinstance(router.traffic, RouterTraffic):
            raise LabError(f"{router.spec.name}: traffic source is not a RouterTraffic")
        return router.traffic


def set_snmp_timeout(router: LabRouter, on: bool = True) -> None:
    """Make the router's agent silent (``on``) or answer again."""
    router.faults.snmp_timeout = on


def set_no_hc(router: LabRouter, on: bool = True) -> None:
    """Serve (``on=False``) or hide (``on=True``) the 64-bit HC counters."""
    router.faults.snmp_no_hc = on


def renumber_if_index(router: LabRouter, shift: int = 100) -> None:
    """Move every ifIndex by ``shift`` (0 restores the spec's numbering)."""
    router.faults.snmp_if_index_shift = shift


def set_interface_down(
    router: LabRouter, if_name: str, down: bool = True, now: float | None = None
) -> None:
    """Take an interface operationally down (or up): ifOperStatus 2 and no traffic.

    Traffic up to ``now`` is accounted under the old state first.
    """
    iface = _interface(router, if_name)
    with router.lock:
        traffic_of(router).advance(time.time() if now is None else now)
        iface.oper_up = not down


def wrap_counters_soon(router: LabRouter, within_s: float = 30.0, now: float | None = None) -> None:
    """Jump the 32-bit counters to just below 2^32 so they wrap within ``within_s``."""
    traffic_of(router).jump_counter32(time.time() if now is None else now, within_s)


def clear_counter_wrap(router: LabRouter) -> None:
    """Undo :func:`wrap_counters_soon` (the 32-bit counters jump back)."""
    traffic_of(router).clear_counter32_jump()


def reboot(router: LabRouter, now: float | None = None) -> None:
    """Reboot the router's agent: sysUpTime and all counters restart from 0 at ``now``."""
    now = time.time() if now is None else now
    with router.lock:
        traffic_of(router).reset(now)
        router.boot_time = now


def reinit_renumbering(router: LabRouter, now: float | None = None) -> None:
    """Reboot the agent and give the interfaces each other's ifIndex (the order reversed).

    RFC 2863 section 3.1.5 ("Interface Numbering") requires an interface's ifIndex to stay
    constant only "from one re-initialization of the entity's network management system to the
    next"; after a re-initialisation an agent may number its interfaces differently, and an
    index the manager knew may now name another interface. JUNOSe's documentation states it of
    its RFC 1213 numbering mode: "renumbering of ifIndexes occurs after a system reboot"
    (Configuring Interface Numbering Mode). sysUpTime and the counters restart, as in
    :func:`reboot`.
    """
    with router.lock:
        reboot(router, now)
        router.faults.snmp_if_index_reversed = not router.faults.snmp_if_index_reversed


def reset_snmp_faults(router: LabRouter, now: float | None = None) -> None:
    """Turn every SNMP-side switch off: agent answers, HC served, spec ifIndex, interfaces up."""
    with router.lock:
        router.faults.snmp_timeout = False
        router.faults.snmp_no_hc = False
        router.faults.snmp_if_index_shift = 0
        router.faults.snmp_if_index_reversed = False
        clear_counter_wrap(router)
        for iface in router.spec.interfaces:
            if not iface.oper_up:
                set_interface_down(router, iface.name, down=False, now=now)


def _interface(router: LabRouter, if_name: str) -> LabInterface:
    for iface in router.spec.interfaces:
        if iface.name == if_name:
            return iface
    raise LabError(f"{router.spec.name}: no interface {if_name}")
