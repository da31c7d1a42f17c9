"""The live configuration of a simulated MikroTik RouterOS router, and RouterOS value syntax.

``RouterOsConfig`` satisfies ``bwauto.lab.model.PlatformConfig`` (caps from simple queues:
``max-limit=UPLOAD/DOWNLOAD`` seen from the target, i.e. router ingress / egress on that
interface) and ``bwauto.lab.cli.base.ScheduledConfig`` (``/system scheduler`` entries fire
against this config when their interval has elapsed).
"""

from __future__ import annotations

import calendar
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
    start_time: str | None = None  # as typed: "startup" or "HH:MM:SS"; None: when added
    start_date: str | None = None  # as typed: "YYYY-MM-DD" or "mmm/DD/YYYY"; None: when added

    @property
    def at_startup(self) -> bool:
        """True for ``start-time=startup``."""
        return self.start_time == "startup"


STARTUP_DELAY_S = 3.0
"""``start-time=startup`` means "3 seconds after the system startup" (MikroTik, Scheduler)."""
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_start_time(text: str) -> str:
    """A scheduler ``start-time``: ``startup`` or a time of day ``HH:MM:SS``.

    Raises:
        ValueError: neither.

    Examples:
        >>> parse_start_time("startup"), parse_start_time("3:05:00")
        ('startup', '03:05:00')
    """
    if text == "startup":
        return text
    match = re.fullmatch(r"(\d{1,2}):(\d\d):(\d\d)", text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3]) > 59:
        raise ValueError(text)
    return f"{int(match[1]):02d}:{match[2]}:{match[3]}"


def parse_start_date(text: str) -> str:
    """A scheduler ``start-date``, ``YYYY-MM-DD`` (RouterOS 7.10+) or ``mmm/DD/YYYY``.

    Raises:
        ValueError: neither.

    Examples:
        >>> parse_start_date("2025-11-28"), parse_start_date("nov/28/2025")
        ('2025-11-28', '2025-11-28')
    """
    match = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", text)
    if match is None:
        old = re.fullmatch(r"([a-z]{3})/(\d\d)/(\d{4})", text.lower())
        if old is None or old[1] not in _MONTHS:
            raise ValueError(text)
        text = f"{old[3]}-{_MONTHS.index(old[1]) + 1:02d}-{old[2]}"
    time.strptime(text, "%Y-%m-%d")  # a real date, or ValueError
    return text


def schedule(entry: RosScheduler, now: float, booted: float) -> None:
    """Set ``entry.start`` and ``entry.next_run`` from its start-date/-time and interval.

    Follows MikroTik's RouterOS manual, "Scheduler": ``start-date``/``start-time`` are the
    first execution; ``interval`` is the time between two executions, and with an interval of
    zero "the script is only executed at its start time"; ``startup`` means "3 seconds after
    the system startup", and "if the interval is set to value other than 0 scheduler will not
    run at startup". Without a start-time the entry starts when it is added (so the first
    run is one interval later). The lab's router clock is UTC.

    Examples:
        >>> e = RosScheduler("g", 120, "", start=1_000.0, next_run=None)
        >>> schedule(e, 1_000.0, 0.0); e.next_run
        1120.0
        >>> e.interval_s = 0; schedule(e, 1_000.0, 0.0); e.next_run is None
        True
    """
    if entry.at_startup:
        entry.start = booted + STARTUP_DELAY_S
    elif entry.start_time is not None or entry.start_date is not None:
        day = entry.start_date or time.strftime("%Y-%m-%d", time.gmtime(entry.start))
        clock = entry.start_time or time.strftime("%H:%M:%S", time.gmtime(entry.start))
        entry.start = float(calendar.timegm(time.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M:%S")))
    entry.next_run = _first_after(entry, now)


def _first_after(entry: RosScheduler, now: float) -> float | None:
    start, every = entry.start, entry.interval_s
    if entry.at_startup and every > 0:
        start += every  # not at startup itself: every interval after it
    if start > now:
        return start
    if every <= 0:
        return None
    return start + (int((now - start) // every) + 1) * every


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

    def reload(self) -> None:
        """The router reboots. RouterOS has no startup config to fall back to: the running
        configuration is kept as it is (MikroTik RouterOS manual, "Console": a change is
        stored when it is made, only Safe Mode undoes changes, and only when its session ends
        abnormally). Scheduler entries stay; "Rebooting the router will reset run-count", and
        ``start-time=startup`` entries run again 3 s after the boot (MikroTik, "Scheduler")."""
        booted = self.clock()
        for entry in self.schedulers:
            entry.run_count = 0
            schedule(entry, booted, booted)

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
    while later <= now:  # runs missed while nobody looked are not run twice
        later += entry.interval_s
    return later
