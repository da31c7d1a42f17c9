"""What the poller is asked (:class:`PollTarget`) and what it answers (:class:`PollResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bwauto.errors import SnmpError, UsageError


@dataclass(frozen=True)
class V3Credentials:
    """SNMPv3 authPriv credentials (auth "SHA" | "SHA-256", priv "AES-128" | "AES-256")."""

    user: str
    auth_key: str
    priv_key: str
    auth_proto: str = "SHA"
    priv_proto: str = "AES-128"

    def __repr__(self) -> str:
        return (
            f"V3Credentials(user={self.user!r}, {self.auth_proto}/{self.priv_proto}, keys hidden)"
        )


@dataclass(frozen=True)
class LinkRef:
    """A link to sample: its id and the interface name it lives on (ifName, or ifDescr)."""

    link_id: str
    if_name: str


@dataclass(frozen=True)
class PollTarget:
    """One router to poll, and the links wanted from it.

    Exactly one of ``community`` (SNMPv2c) and ``v3`` must be given. ``retries`` counts the
    requests sent after the first, so a request is tried ``retries + 1`` times, each waiting
    ``timeout_s``.
    """

    router: str
    host: str
    links: tuple[LinkRef, ...]
    port: int = 161
    community: str | None = None
    v3: V3Credentials | None = None
    timeout_s: float = 2.0
    retries: int = 1

    def __post_init__(self) -> None:
        if (self.community is None) == (self.v3 is None):
            raise UsageError(f"{self.router}: give either an SNMP community or v3 credentials")
        if self.timeout_s <= 0 or self.retries < 0:
            raise UsageError(f"{self.router}: SNMP timeout must be > 0 and retries >= 0")

    @property
    def where(self) -> str:
        """How errors name this router: ``r1 (10.0.0.1:161)``."""
        return f"{self.router} ({self.host}:{self.port})"

    @property
    def tries(self) -> int:
        """Requests sent before giving up: the first one and the retries."""
        return self.retries + 1

    def __repr__(self) -> str:
        auth = "v3" if self.v3 else "v2c"
        return f"PollTarget({self.where}, {auth}, {len(self.links)} links)"


@dataclass(frozen=True)
class Sample:
    """One link's counters at one instant.

    ``ts`` is the manager's clock (unix seconds, the middle of the request that read the
    counters); ``uptime_s`` is the router's sysUpTime read in that same request, the time base
    for rates. ``in_octets`` is ifHC/ifInOctets (router ingress = the OPD's upload),
    ``out_octets`` ifHC/ifOutOctets (the OPD's download); ``counter_bits`` says which width
    was read (64 = ifHC*, 32 = the fallback). ``speed_bps`` is ifHighSpeed x 10^6, or ifSpeed
    when ifHighSpeed is absent or 0.
    """

    link_id: str
    router: str
    ts: float
    uptime_s: float
    in_octets: int
    out_octets: int
    counter_bits: Literal[32, 64]
    speed_bps: int
    oper_up: bool
    if_name: str = ""
    if_index: int = 0


@dataclass
class PollResult:
    """Everything one poll run produced.

    ``router_errors`` maps a router that could not be polled at all to why; ``link_errors``
    maps a link id to why that link alone has no sample (e.g. its ifName is not on the router).
    """

    samples: list[Sample] = field(default_factory=list)
    router_errors: dict[str, SnmpError] = field(default_factory=dict)
    link_errors: dict[str, SnmpError] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every router and every link produced a sample."""
        return not self.router_errors and not self.link_errors

    def by_link(self) -> dict[str, Sample]:
        """Samples keyed by link id."""
        return {s.link_id: s for s in self.samples}
