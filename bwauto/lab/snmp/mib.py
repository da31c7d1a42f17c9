"""What a simulated router's SNMP agent serves: SNMPv2-MIB system and IF-MIB objects. No I/O.

:func:`snapshot` reads a :class:`~bwauto.lab.model.LabRouter` at one instant (accounting its
traffic first) into a :class:`RouterState`; :func:`mib_table` lays that out as a sorted OID
table of plain ``(kind, value)`` pairs that the agent turns into SNMP types. One snapshot is
taken per request PDU, so ``sysUpTime`` and the counters in one answer belong to the same instant.

Objects (numeric OIDs: pysnmp 7 ships no compiled IF-MIB)::

    1.3.6.1.2.1.1.{1,2,3,5}.0        sysDescr, sysObjectID, sysUpTime, sysName
    1.3.6.1.2.1.2.1.0                ifNumber
    1.3.6.1.2.1.2.2.1.C.ifIndex      ifIndex(1) ifDescr(2) ifType(3) ifSpeed(5) ifAdminStatus(7)
                                     ifOperStatus(8) ifInOctets(10) ifOutOctets(16)
    1.3.6.1.2.1.31.1.1.1.C.ifIndex   ifName(1) ifHCInOctets(6) ifHCOutOctets(10) ifHighSpeed(15)

Examples:
    >>> state = RouterState("d", (1, 3, 6, 1, 4, 1, 8072), "r1", 100, (), has_hc=True)
    >>> table = mib_table(state)
    >>> table.get(SYS_UPTIME), table.next((1, 3, 6, 1, 2, 1, 1, 3))
    (('ticks', 100), ((1, 3, 6, 1, 2, 1, 1, 3, 0), ('ticks', 100)))
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass
from typing import Literal

from netutils.interface import abbreviated_interface_name, canonical_interface_name

from bwauto.errors import LabError
from bwauto.lab.model import LabRouter
from bwauto.lab.snmp.traffic import RouterTraffic
from bwauto.snmp.oids import (
    IF_ADMIN_STATUS,
    IF_DESCR,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_IN_OCTETS,
    IF_INDEX,
    IF_NAME,
    IF_NUMBER,
    IF_OPER_STATUS,
    IF_OUT_OCTETS,
    IF_SPEED,
    IF_TYPE,
    SYS_DESCR,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_UPTIME,
    Oid,
)

Kind = Literal["str", "oid", "int", "ticks", "gauge", "c32", "c64"]
Value = tuple[Kind, "int | str | Oid"]

GAUGE32_MAX = 2**32 - 1
ETHERNET_CSMACD, L2VLAN = 6, 135


@dataclass(frozen=True)
class PlatformMib:
    """How a platform identifies itself and names its interfaces in IF-MIB."""

    sys_descr: str
    sys_object_id: Oid
    short_if_names: bool  # ifName is the abbreviated name (Cisco: Gi0/0/1), ifDescr the full one


PLATFORMS: dict[str, PlatformMib] = {
    "cisco_ios": PlatformMib(
        "Cisco IOS Software [Gibraltar], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), "
        "Version 16.9.4, RELEASE SOFTWARE (fc2)",
        (1, 3, 6, 1, 4, 1, 9, 1, 2068),
        short_if_names=True,
    ),
    "mikrotik_routeros": PlatformMib(
        "RouterOS CCR1036-12G-4S", (1, 3, 6, 1, 4, 1, 14988, 1), short_if_names=False
    ),
}
GENERIC = PlatformMib("Linux bwauto-lab", (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10), False)


@dataclass(frozen=True, slots=True)
class IfState:
    """One interface row at one instant."""

    if_index: int
    name: str
    descr: str
    if_type: int
    speed_bps: int
    admin_up: bool
    oper_up: bool
    hc_in: int
    hc_out: int
    in32: int
    out32: int


@dataclass(frozen=True)
class RouterState:
    """Everything the agent serves, at one instant."""

    sys_descr: str
    sys_object_id: Oid
    sys_name: str
    uptime_ticks: int
    interfaces: tuple[IfState, ...]
    has_hc: bool


class MibTable:
    """A sorted OID table with GET and GETNEXT lookups."""

    __slots__ = ("_keys", "_objects", "_values")

    def __init__(self, values: dict[Oid, Value]) -> None:
        self._values = values
        self._keys = sorted(values)
        self._objects = {oid[:-1] for oid in values}

    def get(self, oid: Oid) -> Value | None:
        """The value at exactly ``oid``, or None."""
        return self._values.get(oid)

    def has_object(self, oid: Oid) -> bool:
        """True when ``oid`` is an instance of an object this agent implements."""
        return oid[:-1] in self._objects

    def next(self, oid: Oid) -> tuple[Oid, Value] | None:
        """The first entry after ``oid`` in lexicographic order, or None at the end of the MIB."""
        i = bisect.bisect_right(self._keys, oid)
        if i == len(self._keys):
            return None
        key = self._keys[i]
        return key, self._values[key]


def mib_table(state: RouterState) -> MibTable:
    """Lay out a router state as the OID table the agent serves."""
    values: dict[Oid, Value] = {
        SYS_DESCR: ("str", state.sys_descr),
        SYS_OBJECT_ID: ("oid", state.sys_object_id),
        SYS_UPTIME: ("ticks", state.uptime_ticks),
        SYS_NAME: ("str", state.sys_name),
        IF_NUMBER: ("int", len(state.interfaces)),
    }
    for row in state.interfaces:
        i = (row.if_index,)
        values[IF_INDEX + i] = ("int", row.if_index)
        values[IF_DESCR + i] = ("str", row.descr)
        values[IF_TYPE + i] = ("int", row.if_type)
        values[IF_SPEED + i] = ("gauge", min(row.speed_bps, GAUGE32_MAX))
        values[IF_ADMIN_STATUS + i] = ("int", 1 if row.admin_up else 2)
        values[IF_OPER_STATUS + i] = ("int", 1 if row.oper_up else 2)
        values[IF_IN_OCTETS + i] = ("c32", row.in32)
        values[IF_OUT_OCTETS + i] = ("c32", row.out32)
        values[IF_NAME + i] = ("str", row.name)
        values[IF_HIGH_SPEED + i] = ("gauge", row.speed_bps // 1_000_000)
        if state.has_hc:
            values[IF_HC_IN_OCTETS + i] = ("c64", row.hc_in)
            values[IF_HC_OUT_OCTETS + i] = ("c64", row.hc_out)
    return MibTable(values)


def if_names(platform: str, name: str) -> tuple[str, str]:
    """(ifName, ifDescr) of an interface as the platform's agent reports them.

    Examples:
        >>> if_names("cisco_ios", "GigabitEthernet0/0/1.100")
        ('Gi0/0/1.100', 'GigabitEthernet0/0/1.100')
        >>> if_names("mikrotik_routeros", "vlan-opd1")
        ('vlan-opd1', 'vlan-opd1')
    """
    if PLATFORMS.get(platform, GENERIC).short_if_names:
        return abbreviated_interface_name(name), canonical_interface_name(name)
    return name, name


def snapshot(router: LabRouter, now: float | None = None) -> RouterState:
    """Account the router's traffic up to ``now`` and read everything the agent serves."""
    now = time.time() if now is None else now
    traffic = router.traffic
    if not isinstance(traffic, RouterTraffic):
        raise LabError(f"{router.spec.name}: no traffic model attached (RouterTraffic)")
    platform = PLATFORMS.get(router.spec.platform, GENERIC)
    with router.lock:
        traffic.advance(now)
        rows = tuple(_if_state(router, traffic, i) for i in range(len(router.spec.interfaces)))
        uptime = int(max(0.0, now - router.boot_time) * 100) % 2**32
        return RouterState(
            platform.sys_descr,
            platform.sys_object_id,
            router.spec.name,
            uptime,
            rows,
            has_hc=not router.faults.snmp_no_hc,
        )


def _if_index(router: LabRouter, position: int) -> int:
    """The ifIndex the agent gives the interface at ``position``, after any renumbering."""
    interfaces = router.spec.interfaces
    if router.faults.snmp_if_index_reversed:
        position = len(interfaces) - 1 - position
    return interfaces[position].if_index + router.faults.snmp_if_index_shift


def _if_state(router: LabRouter, traffic: RouterTraffic, position: int) -> IfState:
    iface = router.spec.interfaces[position]
    name, descr = if_names(router.spec.platform, iface.name)
    admin_up = router.config.interface_enabled(iface.name)
    hc_in, hc_out = traffic.counters(iface.name)
    in32, out32 = traffic.counters32(iface.name)
    is_vlan = "." in iface.name or iface.name.lower().startswith("vlan")
    return IfState(
        if_index=_if_index(router, position),
        name=name,
        descr=descr,
        if_type=L2VLAN if is_vlan else ETHERNET_CSMACD,
        speed_bps=iface.speed_bps,
        admin_up=admin_up,
        oper_up=admin_up and iface.oper_up,
        hc_in=hc_in,
        hc_out=hc_out,
        in32=in32,
        out32=out32,
    )
