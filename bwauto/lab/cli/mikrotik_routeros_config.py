"""The live configuration of a simulated MikroTik RouterOS router, and RouterOS value syntax.

``RouterOsConfig`` satisfies ``bwauto.lab.model.PlatformConfig`` (caps from simple queues:
``max-limit=UPLOAD/DOWNLOAD`` seen from the target, i.e. router ingress / egress on that
interface) and ``bwauto.lab.cli.base.ScheduledConfig`` (``/system scheduler`` entries fire
against this config when their interval has elapsed).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bwauto.lab.model import LabRouterSpec

if TYPE_CHECKING:
    from bwauto.lab.model import LabRouter

ROS_VERSION = "7.12.1"
BOARD = "RB4011iGS+"
_RATE_RE = re.compile(r"^(\d+(?:\.\d+)?)([kKmMgG]?)$")
_FACTORS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}
_TIME_RE = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_CLOCK_RE = re.compile(r"^(?:(\d+)d)?(\d+):(\d\d):(\d\d)$")
_PLAIN_RE = re.compile(r"^[A-Za-z0-9_.,:/@+*-]+$")


def parse_ros_rate(text: str) -> int:
    """One RouterOS rate (``512k``, ``50M``, ``1G``, ``2000000``) in bit/s.

    Raises:
        ValueError: not a rate.

    Examples:
        >>> parse_ros_rate("512k"), parse_ros_rate("1.5M"), parse_ros_rate("0")
        (512000, 1500000, 0)
    """
    match = _RATE_RE.match(text)
    if match is None:
        raise ValueError(text)
    value = float(match.group(1)) * _FACTORS[match.group(2).lower()]
    if value != int(value) or value > 10**12:
        raise ValueError(text)
    return int(value)


def parse_rate_pair(text: str) -> tuple[int, int]:
    """``UP/DOWN`` (or one value for both) in bit/s.

    Examples:
        >>> parse_rate_pair("50M/100M"), parse_rate_pair("10M")
        ((50000000, 100000000), (10000000, 10000000))
    """
    up, slash, down = text.partition("/")
    return parse_ros_rate(up), parse_ros_rate(down if slash else up)


def format_ros_rate(bps: int) -> str:
    """A rate as RouterOS prints it.

    Examples:
        >>> [format_ros_rate(x) for x in (0, 10**9, 150_000_000, 512_000, 1234)]
        ['0', '1G', '150M', '512k', '1234']
    """
    for suffix, factor in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if bps and bps % factor == 0:
            return f"{bps // factor}{suffix}"
    return str(bps)


def parse_ros_time(text: str) -> int:
    """A RouterOS duration (``30s``, ``5m``, ``1h30m``, ``00:05:00``, ``120``) in seconds.

    Raises:
        ValueError: not a duration.

    Examples:
        >>> parse_ros_time("1h30m"), parse_ros_time("00:05:00"), parse_ros_time("120")
        (5400, 300, 120)
    """
    if text.isdigit():
        return int(text)
    clock = _CLOCK_RE.match(text)
    if clock:
        days, hours, minutes, seconds = (int(g or 0) for g in clock.groups())
        return ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    match = _TIME_RE.match(text)
    if not text or match is None:
        raise ValueError(text)
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds


def format_ros_time(seconds: int) -> str:
    """A duration as RouterOS prints it.

    Examples:
        >>> format_ros_time(0), format_ros_time(90), format_ros_time(9 * 86400 + 3723)
        ('0s', '1m30s', '1w2d1h2m3s')
    """
    parts, left = [], seconds
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def quote_value(value: str) -> str:
    """Quote a value the way ``export`` does (only when needed).

    Examples:
        >>> quote_value("ether2"), quote_value("OPD link"), quote_value('a "b"')
        ('ether2', '"OPD link"', '"a \\\\"b\\\\""')
    """
    if _PLAIN_RE.match(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


@dataclass
class RosInterface:
    """An entry of ``/interface``."""

    name: str
    default_name: str
    mac: str
    speed_bps: int
    comment: str = ""
    disabled: bool = False
    running: bool = True

    @property
    def type(self) -> str:
        """RouterOS interface type from the name."""
        return "vlan" if self.name.startswith("vlan") else "ether"


@dataclass
class RosQueue:
    """An entry of ``/queue simple``; rates are (upload, download) in bit/s, 0 = unlimited."""

    name: str
    target: str
    max_limit: tuple[int, int] = (0, 0)
    limit_at: tuple[int, int] = (0, 0)
    burst_limit: tuple[int, int] = (0, 0)
    burst_threshold: tuple[int, int] = (0, 0)
    burst_time: tuple[int, int] = (0, 0)
    priority: tuple[int, int] = (8, 8)
    comment: str = ""
    disabled: bool = False

    def targets(self) -> list[str]:
        """The target list (interfaces or prefixes)."""
        return [t for t in self.target.split(",") if t]


@dataclass
class RosScheduler:
    """An entry of ``/system scheduler``; ``next_run`` on the config's clock."""

    name: str
    interval_s: int
    on_event: str
    start: float
    next_run: float | None
    owner: str = "admin"
    run_count: int = 0
    comment: str = ""
    disabled: bool = False


@dataclass
class RouterOsConfig:
    """The live configuration of one simulated RouterOS router."""

    identity: str
    interfaces: list[RosInterface] = field(default_factory=list)
    queues: list[RosQueue] = field(default_factory=list)
    schedulers: list[RosScheduler] = field(default_factory=list)
    snmp_community: str = "public"
    serial: str = "HD0000000000"
    clock: Callable[[], float] = time.time

    @classmethod
    def from_spec(
        cls, spec: LabRouterSpec, clock: Callable[[], float] = time.time
    ) -> RouterOsConfig:
        """The boot configuration: the spec's interfaces and one simple queue per link."""
        config = cls(
            identity=spec.name,
            snmp_community=spec.snmp_community,
            serial=f"HD{spec.seed % 10**10:010d}",
            clock=clock,
        )
        for iface in spec.interfaces:
            index = iface.if_index % 65536
            mac = f"DC:2C:6E:{spec.seed % 256:02X}:{index // 256:02X}:{index % 256:02X}"
            config.interfaces.append(
                RosInterface(iface.name, iface.name, mac, iface.speed_bps, iface.description)
            )
        for link in spec.links:
            limit = (link.committed_up_bps, link.committed_down_bps)
            comment = f"OPD link {link.link_id}"
            config.queues.append(RosQueue(link.shaper, link.interface, limit, comment=comment))
        return config

    def shaper_limits(self) -> dict[str, tuple[int | None, int | None]]:
        """Interface -> (ingress, egress) cap from the first enabled queue targeting it."""
        limits: dict[str, tuple[int | None, int | None]] = {}
        for iface in self.interfaces:
            queue = next(
                (q for q in self.queues if not q.disabled and iface.name in q.targets()), None
            )
            up, down = queue.max_limit if queue else (0, 0)
            limits[iface.name] = (up or None, down or None)
        return limits

    def interface_enabled(self, name: str) -> bool:
        """False when the interface is disabled (or does not exist)."""
        return any(i.name == name and not i.disabled for i in self.interfaces)

    def next_deadline(self) -> float | None:
        """When the next scheduler entry is due, on ``clock``."""
        due = [s.next_run for s in self.schedulers if not s.disabled and s.next_run is not None]
        return min(due) if due else None

    def run_due(self, router: LabRouter) -> int:
        """Run the ``on-event`` script of every scheduler entry that is due now."""
        from bwauto.lab.cli.mikrotik_routeros import RouterOsShell

        now, ran = self.clock(), 0
        for entry in sorted(self.schedulers, key=lambda s: s.next_run or 0.0):
            if entry.disabled or entry.next_run is None or entry.next_run > now:
                continue
            entry.run_count += 1
            entry.next_run = _following(entry, now)
            RouterOsShell(router, entry.owner).run_script(entry.on_event)
            ran += 1
        return ran


def _following(entry: RosScheduler, now: float) -> float | None:
    if entry.interval_s <= 0:
        return None
    assert entry.next_run is not None
    later = entry.next_run + entry.interval_s
    return later if later > now else now + entry.interval_s
