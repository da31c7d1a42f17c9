"""Plain data shared by the lab's SSH side (``bwauto.lab.cli``) and SNMP side (``bwauto.lab.snmp``).

A ``LabRouter`` is one simulated router: its spec (what the inventory says), its live platform
config (owned by the CLI emulation, read by the SNMP agent to cap traffic), its fault switches
and its boot time. Nothing here does I/O.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass
class LabInterface:
    """An interface as the router's CLI and IF-MIB show it."""

    name: str
    if_index: int
    speed_bps: int
    description: str = ""
    oper_up: bool = True


@dataclass(frozen=True)
class LabLink:
    """An OPD link on this router: where it is and how it is shaped at boot.

    ``up`` is the OPD's upload (router ingress on ``interface``, IF-MIB ``ifHCInOctets``);
    ``down`` is the OPD's download (router egress, ``ifHCOutOctets``).
    """

    link_id: str
    interface: str
    shaper: str
    committed_up_bps: int
    committed_down_bps: int
    shaper_in: str | None = None


@dataclass(frozen=True)
class SnmpV3User:
    user: str
    auth_key: str
    priv_key: str
    auth_proto: str = "SHA"  # SHA | SHA-256
    priv_proto: str = "AES-128"  # AES-128 | AES-256


@dataclass(frozen=True)
class LabRouterSpec:
    """What a simulated router is made of; the lab builds one per inventory router."""

    name: str
    platform: str  # netmiko name: cisco_ios | mikrotik_routeros
    interfaces: tuple[LabInterface, ...]
    links: tuple[LabLink, ...]
    username: str = "admin"
    password: str = "admin"
    enable_secret: str = "enable"
    snmp_community: str = "public"
    snmp_v3: SnmpV3User | None = None
    seed: int = 0
    archive_path: str | None = None  # IOS: boots with ``archive`` / ``path`` (see lab.yaml)
    minute_s: float = 60.0  # how long one IOS revert-timer minute lasts in this lab


@dataclass
class Faults:
    """Fault switches of one router; all off by default. ``reset()`` turns them all off."""

    refuse_auth: bool = False
    hang_after_login: bool = False
    drop_after_config_lines: int | None = None  # drop the SSH session after N config lines
    drop_once: bool = False  # the drop fires once, then switches itself off
    reply_delay_s: float = 0.0
    snmp_timeout: bool = False  # the SNMP agent drops every datagram
    snmp_no_hc: bool = False  # the agent serves no ifHCIn/OutOctets (a 32-bit-only agent)
    snmp_if_index_shift: int = 0  # added to every ifIndex (renumbering, as after some reboots)
    snmp_if_index_reversed: bool = False  # interfaces take each other's ifIndex (reversed order)

    def reset(self) -> None:
        self.refuse_auth = False
        self.hang_after_login = False
        self.drop_after_config_lines = None
        self.drop_once = False
        self.reply_delay_s = 0.0
        self.snmp_timeout = False
        self.snmp_no_hc = False
        self.snmp_if_index_shift = 0
        self.snmp_if_index_reversed = False


class PlatformConfig(Protocol):
    """The live configuration of a simulated router, as its CLI emulation keeps it."""

    def shaper_limits(self) -> dict[str, tuple[int | None, int | None]]:
        """Interface name -> (ingress cap, egress cap) in bit/s currently enforced (None: none)."""
        ...

    def interface_enabled(self, name: str) -> bool:
        """False when the interface is administratively shut down in the config."""
        ...


@runtime_checkable
class Reloadable(Protocol):
    """A config that a reload changes: IOS goes back to its startup config; RouterOS keeps its
    configuration but resets its scheduler run-counts and re-arms ``startup`` entries."""

    def reload(self) -> None:
        """What the platform does to its configuration when the router reloads."""
        ...


class TrafficSource(Protocol):
    """What makes the counters grow (implemented in ``bwauto.lab.snmp.traffic``)."""

    def advance(self, now: float) -> None:
        """Account traffic up to ``now`` under the caps in force until now."""
        ...


@dataclass
class LabRouter:
    """One simulated router's whole live state. ``lock`` guards config and counters."""

    spec: LabRouterSpec
    config: PlatformConfig
    faults: Faults = field(default_factory=Faults)
    boot_time: float = field(default_factory=time.time)
    ssh_port: int = 0
    snmp_port: int = 0
    traffic: TrafficSource | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    ssh_connections: int = 0
    """SSH connections accepted since start (tests assert that a refusal opened none)."""

    def before_config_change(self) -> None:
        """Called by the CLI emulation just before it changes a shaper or interface state,
        so traffic up to now is accounted under the old caps."""
        if self.traffic is not None:
            self.traffic.advance(time.time())
