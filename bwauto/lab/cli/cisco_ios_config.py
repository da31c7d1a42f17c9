"""The live configuration of a simulated Cisco IOS router: data, rendering and shaper caps.

``IosConfig`` satisfies ``bwauto.lab.model.PlatformConfig``. It lives in the ``LabRouter``, so
a change made in one SSH session is seen by the next one and by the SNMP traffic model.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bwauto.lab.cli.cisco_ios_files import Archive, ArchiveFiles, PendingRevert
from bwauto.lab.model import LabRouterSpec

if TYPE_CHECKING:
    from bwauto.lab.model import LabRouter

IOS_VERSION = "15.7(3)M5"
DEFAULT_DOMAIN = "batam.lab"
CLASS_DEFAULT = "class-default"
INTERFACE_TYPES = (
    "GigabitEthernet",
    "FastEthernet",
    "TenGigabitEthernet",
    "Ethernet",
    "Loopback",
    "Tunnel",
    "Vlan",
    "Port-channel",
    "Serial",
)
_IFNAME_RE = re.compile(r"^([A-Za-z-]+?)\s*(\d+(?:/\d+)*(?:\.\d+)?)$")
_CREATABLE = ("Loopback", "Tunnel", "Vlan", "Port-channel")


def canonical_interface(text: str) -> str | None:
    """Expand an IOS interface name as typed (``gi0/1``, ``Gi 0/1.101``) to its full form.

    Examples:
        >>> canonical_interface("gi0/1.101")
        'GigabitEthernet0/1.101'
        >>> canonical_interface("lo0")
        'Loopback0'
        >>> canonical_interface("xyz0") is None
        True
    """
    match = _IFNAME_RE.match(text.strip())
    if match is None:
        return None
    typed, number = match.group(1).lower(), match.group(2)
    hits = [t for t in INTERFACE_TYPES if t.lower().startswith(typed)]
    exact = [t for t in hits if t.lower() == typed]
    chosen = exact or hits
    return f"{chosen[0]}{number}" if chosen else None


def fake_secret_hash(secret: str) -> str:
    """A stable stand-in for an IOS type-9 secret hash (never the secret itself)."""
    digest = base64.b64encode(hashlib.sha256(secret.encode()).digest(), b"./").decode()
    return f"$9${digest[:14]}${digest[14:57].ljust(43, '.')}"


@dataclass
class IosInterface:
    """One interface block of the running config plus its hardware facts."""

    name: str
    speed_bps: int
    mac: str
    description: str = ""
    shutdown: bool = False
    ip_address: tuple[str, str] | None = None
    vlan: int | None = None
    policy_in: str | None = None
    policy_out: str | None = None
    oper_up: bool = True

    @property
    def parent(self) -> str | None:
        """The physical interface of a sub-interface, else None."""
        return self.name.split(".", 1)[0] if "." in self.name else None


@dataclass
class PolicyClass:
    """One ``class`` of a policy-map: a shaper and/or a policer (bit/s)."""

    shape_average: int | None = None
    police_cir: int | None = None
    conform_action: str = "transmit"
    exceed_action: str = "drop"

    def cap(self) -> int | None:
        """The lowest rate this class lets through, or None when it limits nothing."""
        rates = [r for r in (self.shape_average, self.police_cir) if r is not None]
        return min(rates) if rates else None


@dataclass
class PolicyMap:
    """A policy-map; only ``class-default`` decides the cap of the whole interface."""

    name: str
    description: str = ""
    classes: dict[str, PolicyClass] = field(default_factory=dict)

    def cap(self) -> int | None:
        """The rate cap this policy puts on an interface (None: no cap)."""
        default = self.classes.get(CLASS_DEFAULT)
        return default.cap() if default is not None else None


@dataclass
class IosConfig:
    """The running (and startup) configuration of one simulated IOS router."""

    hostname: str
    enable_secret: str
    users: dict[str, str]
    interfaces: dict[str, IosInterface] = field(default_factory=dict)
    policy_maps: dict[str, PolicyMap] = field(default_factory=dict)
    snmp_communities: dict[str, str] = field(default_factory=dict)
    domain_name: str = DEFAULT_DOMAIN
    clock: Callable[[], float] = time.time
    last_change: float = 0.0
    last_change_by: str = ""
    archive: Archive = field(default_factory=lambda: Archive())
    archive_files: ArchiveFiles = field(default_factory=lambda: ArchiveFiles())
    startup_text: str = ""
    saved_at: float | None = None
    minute_s: float = 60.0
    revert: PendingRevert | None = None
    _snapshot: dict[str, Any] | None = field(default=None, repr=False)
    _startup: dict[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def from_spec(cls, spec: LabRouterSpec, clock: Callable[[], float] = time.time) -> IosConfig:
        """Build the boot configuration of ``spec``: interfaces, one shaper policy per link."""
        config = cls(
            hostname=spec.name,
            enable_secret=spec.enable_secret,
            users={spec.username: spec.password},
            snmp_communities={spec.snmp_community: "RO"},
            clock=clock,
            archive=Archive(path=spec.archive_path),
            minute_s=spec.minute_s,
        )
        config._add_spec_interfaces(spec)
        for link in spec.links:
            config._add_link(link.interface, link.link_id, link.shaper, link.committed_down_bps)
            if link.shaper_in:
                config._add_policer(link.interface, link.shaper_in, link.committed_up_bps)
        config.last_change = clock()
        config.save()
        return config

    def _add_spec_interfaces(self, spec: LabRouterSpec) -> None:
        subnet = spec.seed % 200 + 1
        for iface in spec.interfaces:
            parent = self.interfaces.get(iface.name.split(".", 1)[0])
            speed = parent.speed_bps if parent is not None and "." in iface.name else 0
            new = self.add_interface(iface.name, speed or iface.speed_bps, spec.seed)
            new.description, new.oper_up = iface.description, iface.oper_up
            new.ip_address = (f"10.{subnet}.{iface.if_index % 250}.1", "255.255.255.252")

    def _add_link(self, name: str, link_id: str, shaper: str, down_bps: int) -> None:
        iface = self.interfaces.get(name) or self.add_interface(name, 1_000_000_000, 0)
        iface.description = iface.description or f"OPD link {link_id}"
        self.policy_map(shaper).classes[CLASS_DEFAULT] = PolicyClass(shape_average=down_bps)
        iface.policy_out = shaper

    def _add_policer(self, name: str, policy: str, up_bps: int) -> None:
        self.policy_map(policy).classes[CLASS_DEFAULT] = PolicyClass(police_cir=up_bps)
        self.interfaces[name].policy_in = policy

    def add_interface(self, name: str, speed_bps: int, seed: int) -> IosInterface:
        """Create an interface (and the physical parent of a sub-interface) if missing."""
        if name in self.interfaces:
            return self.interfaces[name]
        parent_name = name.split(".", 1)[0]
        if parent_name != name:
            parent = self.add_interface(parent_name, speed_bps, seed)
            speed_bps, seed = parent.speed_bps, int(parent.mac[5:9], 16)
        mac = f"5254.{seed % 0x10000:04x}.{len(self.interfaces) + 1:04x}"
        iface = IosInterface(name, speed_bps, mac)
        if "." in name:
            iface.vlan = int(name.rsplit(".", 1)[1])
        self.interfaces[name] = iface
        self._sort_interfaces()
        return iface

    def remove_interface(self, name: str) -> None:
        """Delete a sub-interface or a virtual interface."""
        del self.interfaces[name]

    def can_create(self, name: str) -> bool:
        """True when ``interface NAME`` may create NAME (sub-interface or virtual type)."""
        if "." in name:
            return name.split(".", 1)[0] in self.interfaces
        return name.startswith(_CREATABLE)

    def _sort_interfaces(self) -> None:
        def key(name: str) -> tuple[int, str, list[int]]:
            kind = re.match(r"[A-Za-z-]+", name)
            type_name = kind.group() if kind else name
            rank = INTERFACE_TYPES.index(type_name) if type_name in INTERFACE_TYPES else 99
            return rank, type_name, [int(n) for n in re.findall(r"\d+", name)]

        self.interfaces = {n: self.interfaces[n] for n in sorted(self.interfaces, key=key)}

    def policy_map(self, name: str) -> PolicyMap:
        """The policy-map ``name``, created empty if missing."""
        return self.policy_maps.setdefault(name, PolicyMap(name))

    def policy_users(self, name: str) -> list[str]:
        """Interfaces that have policy-map ``name`` attached in either direction."""
        return [i.name for i in self.interfaces.values() if name in (i.policy_in, i.policy_out)]

    def shaper_limits(self) -> dict[str, tuple[int | None, int | None]]:
        """Interface name -> (ingress cap, egress cap) in bit/s from the attached policies."""
        return {
            name: (self._cap(i.policy_in), self._cap(i.policy_out))
            for name, i in self.interfaces.items()
        }

    def _cap(self, policy: str | None) -> int | None:
        found = self.policy_maps.get(policy) if policy else None
        return found.cap() if found is not None else None

    def interface_enabled(self, name: str) -> bool:
        """False when the interface is ``shutdown`` (or does not exist)."""
        iface = self.interfaces.get(name)
        return iface is not None and not iface.shutdown

    def touch(self, user: str) -> None:
        """Record a configuration change by ``user`` now."""
        self.last_change, self.last_change_by = self.clock(), user

    def save(self) -> str:
        """``write memory``: the running config becomes the startup config; with ``archive``
        / ``write-memory`` a copy also goes to the archive. Returns what IOS prints.

        Follows Cisco, "Configuration Replace and Configuration Rollback" (IOS 12.3T feature
        guide, ``write-memory``: "enables automatic generation of a configuration archive
        file when the running configuration is copied to the startup configuration").
        """
        self.startup_text = self.render()
        self.saved_at = self.clock()
        self._startup = self._state()
        if self.archive.configured and self.archive.write_memory:
            self.archive_files.add(self.archive, self.clock())
        return "Building configuration...\n[OK]"

    def reload(self) -> None:
        """The router reloads: the running config is read back from the startup config, an
        unsaved change is lost, and a pending revert timer dies with the old running config.

        Follows Cisco IOS Configuration Fundamentals ("Managing Configuration Files": the
        startup configuration in NVRAM is what the router loads at boot; changes that were
        not copied to it with ``copy running-config startup-config`` are lost on reload).
        """
        if self._startup is not None:
            for key, value in copy.deepcopy(self._startup).items():
                setattr(self, key, value)
        self._snapshot, self.revert = None, None
        self.last_change, self.last_change_by = self.clock(), ""

    def _state(self) -> dict[str, Any]:
        return copy.deepcopy({k: getattr(self, k) for k in _REVERTIBLE})

    @property
    def revert_at(self) -> float | None:
        """When the pending Rollback Confirmed Change fires (None: none pending)."""
        return self.revert.due_at if self.revert is not None else None

    def arm_revert(self, minutes: int, user: str) -> str | None:
        """``configure terminal revert timer N``: archive the running config now (unless a
        timer already runs) and roll back to it after N minutes unless ``configure confirm``
        comes first. Returns the archive file written, None when a timer was already running.

        Follows Cisco, "Configuration Rollback Confirmed Change" (IOS XE 17 System Management
        guide): "You must configure a configuration archive before performing this
        procedure"; the caller refuses when ``archive.configured`` is False.
        """
        written = None
        if self._snapshot is None:
            self._snapshot = self._state()
            written = self.archive_files.add(self.archive, self.clock())
        now = self.clock()
        self.revert = PendingRevert(now, now + self.minute_s * minutes, minutes, user)
        return written

    def confirm(self) -> bool:
        """``configure confirm``: keep the change; False when no revert timer was running."""
        armed = self._snapshot is not None
        self._snapshot, self.revert = None, None
        return armed

    def next_deadline(self) -> float | None:
        """When the pending rollback is due (``ScheduledConfig``)."""
        return self.revert_at

    def run_due(self, router: LabRouter) -> int:
        """Roll back to the snapshot once the revert timer has expired."""
        if self.revert is None or self.revert.due_at > self.clock():
            return 0
        self.revert_now(router)
        return 1

    def revert_now(self, router: LabRouter) -> None:
        """``configure revert now``: restore the snapshot taken when the timer was armed."""
        if self._snapshot is None:
            return
        router.before_config_change()
        for key, value in self._snapshot.items():
            setattr(self, key, value)
        self._snapshot, self.revert = None, None
        self.touch("rollback")

    def render(self) -> str:
        """The configuration body as ``show running-config`` prints it, from ``version``."""
        parts = [_HEAD.format(version=IOS_VERSION.split("(")[0], hostname=self.hostname)]
        parts.append(
            f"enable secret 9 {fake_secret_hash(self.enable_secret)}\n!\nno aaa new-model\n!\n"
        )
        parts.append(f"ip domain name {self.domain_name}\nip cef\nno ipv6 cef\n!\n")
        parts += [f"username {u} secret 9 {fake_secret_hash(p)}\n" for u, p in self.users.items()]
        parts.append("!\n" + self.archive.render())
        parts += [render_policy_map(p) for p in self.policy_maps.values()]
        parts += [render_interface(i) for i in self.interfaces.values()]
        parts.append(_MIDDLE)
        parts += [f"snmp-server community {c} {m}\n" for c, m in self.snmp_communities.items()]
        parts.append(_TAIL)
        return "".join(parts)


def render_policy_map(policy: PolicyMap) -> str:
    """One ``policy-map`` block as IOS prints it, ending with ``!``."""
    lines = [f"policy-map {policy.name}"]
    if policy.description:
        lines.append(f" description {policy.description}")
    for name, cls in policy.classes.items():
        lines.append(f" class {name}")
        if cls.shape_average is not None:
            lines.append(f"  shape average {cls.shape_average}")
        if cls.police_cir is not None:
            lines.append(f"  police cir {cls.police_cir}")
            lines.append(f"   conform-action {cls.conform_action} ")
            lines.append(f"   exceed-action {cls.exceed_action} ")
    return "\n".join(lines) + "\n!\n"


def render_interface(iface: IosInterface) -> str:
    """One ``interface`` block as IOS prints it, ending with ``!``."""
    lines = [f"interface {iface.name}"]
    if iface.description:
        lines.append(f" description {iface.description}")
    if iface.vlan is not None:
        lines.append(f" encapsulation dot1Q {iface.vlan}")
    lines.append(
        f" ip address {' '.join(iface.ip_address)}" if iface.ip_address else " no ip address"
    )
    if iface.shutdown:
        lines.append(" shutdown")
    if iface.parent is None and not iface.name.startswith(_CREATABLE):
        lines += [" duplex auto", " speed auto"]
    if iface.policy_in:
        lines.append(f" service-policy input {iface.policy_in}")
    if iface.policy_out:
        lines.append(f" service-policy output {iface.policy_out}")
    return "\n".join(lines) + "\n!\n"


_REVERTIBLE = (
    "hostname",
    "enable_secret",
    "users",
    "interfaces",
    "policy_maps",
    "snmp_communities",
    "domain_name",
    "archive",
)
_HEAD = """version {version}
service timestamps debug datetime msec
service timestamps log datetime msec
no service password-encryption
!
hostname {hostname}
!
boot-start-marker
boot-end-marker
!
"""
_MIDDLE = """ip forward-protocol nd
!
no ip http server
no ip http secure-server
ip ssh version 2
!
"""
_TAIL = """!
control-plane
!
line con 0
line aux 0
line vty 0 4
 login local
 transport preferred none
 transport input ssh
!
end
"""
