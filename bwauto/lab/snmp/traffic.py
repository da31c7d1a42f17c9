"""Interface counters of a simulated router, integrated lazily from the demand model. No I/O.

A :class:`RouterTraffic` implements ``model.TrafficSource``. Its counters are Python ints that
only move when :meth:`RouterTraffic.advance` is called: traffic from the last accounted time to
``now`` is added under the caps read *now* from ``router.config.shaper_limits()`` (ingress cap
for the OPD's upload / ``ifIn``, egress cap for its download / ``ifOut``; ``None`` = interface
speed) and is zero while the interface is down. The CLI emulation calls
``router.before_config_change()`` → ``advance`` just before it changes a cap, so a raise takes
effect from that instant; the SNMP agent calls ``advance`` before answering.

Counters are 0 when accounting starts (``start``, by default when the model is attached; pass
the boot time to get every octet since boot), and :meth:`RouterTraffic.history` computes the
same model as a vectorised series.

Examples:
    >>> from bwauto.lab.model import LabInterface, LabLink, LabRouter, LabRouterSpec
    >>> class Config:
    ...     def shaper_limits(self): return {"ether2": (10_000_000, 10_000_000)}
    ...     def interface_enabled(self, name): return True
    >>> spec = LabRouterSpec("r1", "mikrotik_routeros",
    ...     (LabInterface("ether2", 2, 1_000_000_000),),
    ...     (LabLink("opd-a", "ether2", "q-opd-a", 10_000_000, 10_000_000),))
    >>> router = LabRouter(spec, Config(), boot_time=1_700_000_000.0)
    >>> traffic = RouterTraffic(router, start=router.boot_time)
    >>> traffic.set_demand("opd-a", 50_000_000, now=1_700_000_000.0)
    >>> traffic.advance(1_700_000_010.0)
    >>> traffic.counters("ether2")  # 10 s at the 10 Mbit/s cap = 12.5 MB each way
    (12500000, 12500000)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from bwauto.errors import LabError
from bwauto.lab.model import LabInterface, LabLink, LabRouter
from bwauto.lab.snmp.demand import (
    BUCKET_S,
    DOWN,
    UP,
    FloatArray,
    Growth,
    IntArray,
    LinkProfile,
    bucket_span,
    cumulative_octets,
    demand_bps,
    integrate_lanes,
    integrate_octets,
)

COUNTER32 = 2**32
COUNTER64 = 2**64


@dataclass(slots=True)
class _Counter:
    """One interface direction: whole octets plus the fraction not yet counted."""

    octets: int = 0
    fraction: float = 0.0
    offset32: int = 0  # added to the 32-bit view only (the "wrap soon" fault)

    def add(self, octets: float) -> None:
        total = self.fraction + octets
        whole = math.floor(total)
        self.octets += whole
        self.fraction = total - whole


@dataclass(frozen=True)
class CounterSeries:
    """Counters of one link every ``step`` seconds, starting at 0 at ``ts[0]``."""

    link_id: str
    ts: FloatArray
    in_octets: IntArray  # ifHCInOctets (OPD upload)
    out_octets: IntArray  # ifHCOutOctets (OPD download)


@dataclass
class _Iface:
    spec: LabInterface
    links: list[LinkProfile] = field(default_factory=list)
    counters: tuple[_Counter, _Counter] = field(default_factory=lambda: (_Counter(), _Counter()))


class RouterTraffic:
    """Lazily integrated counters of every interface of one :class:`LabRouter`."""

    def __init__(self, router: LabRouter, start: float | None = None) -> None:
        """Attach a traffic model to ``router`` (sets ``router.traffic``).

        Args:
            router: the simulated router.
            start: unix time at which the counters are 0 and accounting begins; defaults to
                now (or the boot time if later). Integrating from a boot days ago is exact but
                costs ~0.1 s per router, which 50 agents starting together should not pay.
        """
        self._router = router
        self._last = max(router.boot_time, time.time()) if start is None else start
        self._overrides: dict[tuple[str, int], float] = {}
        self._ifaces = {i.name: _Iface(i) for i in router.spec.interfaces}
        self._links: dict[str, LinkProfile] = {}
        for link in router.spec.links:
            profile = _profile(link, router.spec.seed)
            self._links[link.link_id] = profile
            if link.interface not in self._ifaces:
                raise LabError(
                    f"{router.spec.name}: link {link.link_id} on unknown {link.interface}"
                )
            self._ifaces[link.interface].links.append(profile)
        router.traffic = self

    @property
    def last_accounted(self) -> float:
        """Unix time up to which traffic has been accounted."""
        return self._last

    def advance(self, now: float) -> None:
        """Account traffic from the last accounted time to ``now`` under the caps in force."""
        with self._router.lock:
            if now <= self._last:
                return
            limits = self._router.config.shaper_limits()
            batch: list[tuple[LinkProfile, int, float, _Counter]] = []
            for name, iface in self._ifaces.items():
                caps = self._caps(iface, limits.get(name, (None, None)))
                for direction in (UP, DOWN):
                    counter, cap = iface.counters[direction], caps[direction]
                    if self._modelled_alone(iface, direction):
                        if cap > 0:
                            batch.append((iface.links[0], direction, cap, counter))
                    else:
                        counter.add(self._carried(iface, direction, self._last, now, cap))
            lanes = [(profile, direction) for profile, direction, _, _ in batch]
            octets = integrate_lanes(lanes, [b[2] for b in batch], self._last, now)
            for (_, _, _, counter), value in zip(batch, octets.tolist(), strict=True):
                counter.add(value)
            self._last = now

    def _modelled_alone(self, iface: _Iface, direction: int) -> bool:
        """One link, demand from the model: can join the router-wide vectorised pass."""
        return len(iface.links) == 1 and (iface.links[0].link_id, direction) not in self._overrides

    def set_demand(
        self,
        link_id: str,
        up_bps: float | None,
        down_bps: float | None = None,
        now: float | None = None,
    ) -> None:
        """Replace the model's demand of a link by constants (``None``: back to the model).

        Traffic up to ``now`` is accounted first, so the new demand applies from ``now``.

        Args:
            link_id: the link.
            up_bps: constant upload demand in bit/s, or None to use the model again.
            down_bps: constant download demand; defaults to ``up_bps``.
            now: unix time of the change; defaults to the wall clock.
        """
        if link_id not in self._links:
            raise LabError(f"{self._router.spec.name}: no link {link_id}")
        with self._router.lock:
            self.advance(time.time() if now is None else now)
            for direction, bps in ((UP, up_bps), (DOWN, up_bps if down_bps is None else down_bps)):
                if bps is None:
                    self._overrides.pop((link_id, direction), None)
                else:
                    self._overrides[(link_id, direction)] = float(bps)

    def counters(self, if_name: str) -> tuple[int, int]:
        """64-bit (in, out) octet counters of an interface as last accounted."""
        c_in, c_out = self._iface(if_name).counters
        return c_in.octets % COUNTER64, c_out.octets % COUNTER64

    def counters32(self, if_name: str) -> tuple[int, int]:
        """32-bit (in, out) octet counters of an interface, including any "wrap soon" jump."""
        c_in, c_out = self._iface(if_name).counters
        return (c_in.octets + c_in.offset32) % COUNTER32, (
            c_out.octets + c_out.offset32
        ) % COUNTER32

    def carried_bps(self, if_name: str, at: float) -> tuple[float, float]:
        """Rate (in, out) the interface carries in the bucket holding ``at``, caps as now."""
        iface = self._iface(if_name)
        with self._router.lock:
            caps = self._caps(iface, self._router.config.shaper_limits().get(if_name, (None, None)))
            start = math.floor(at / BUCKET_S) * BUCKET_S
            rates = [self._carried(iface, d, start, start + 1.0, caps[d]) * 8.0 for d in (UP, DOWN)]
        return rates[0], rates[1]

    def reset(self, now: float) -> None:
        """Reboot: account up to ``now``, then counters (and any 32-bit jump) restart at 0."""
        with self._router.lock:
            self.advance(now)
            for iface in self._ifaces.values():
                iface.counters = (_Counter(), _Counter())

    def jump_counter32(self, now: float, within_s: float = 30.0) -> None:
        """Move every 32-bit counter to just below 2^32 so it wraps ``within_s`` from ``now``.

        The 64-bit counters are untouched. The distance is the interface's current rate times
        ``within_s`` (at least 1,000 octets), so the wrap happens within about that time.
        """
        with self._router.lock:
            self.advance(now)
            for name, iface in self._ifaces.items():
                rates = self.carried_bps(name, now)
                for counter, bps in zip(iface.counters, rates, strict=True):
                    ahead = max(1000, int(bps / 8.0 * within_s))
                    counter.offset32 = (COUNTER32 - ahead - counter.octets) % COUNTER32

    def clear_counter32_jump(self) -> None:
        """Undo :meth:`jump_counter32` (the 32-bit counters jump back to the 64-bit ones)."""
        with self._router.lock:
            for iface in self._ifaces.values():
                for counter in iface.counters:
                    counter.offset32 = 0

    def history(
        self,
        link_id: str,
        start: float,
        end: float,
        step: float = 300.0,
        growth: Growth | None = None,
    ) -> CounterSeries:
        """The model's counters of one link every ``step`` s, under the caps configured now.

        Args:
            link_id: the link.
            start: first sample (counters are 0 there), unix seconds.
            end: last sample time at most.
            step: seconds between samples.
            growth: a known demand trend from ``start`` (``demand.Growth``), or None.
        """
        link = next((lk for lk in self._router.spec.links if lk.link_id == link_id), None)
        if link is None:
            raise LabError(f"{self._router.spec.name}: no link {link_id}")
        iface = self._ifaces[link.interface]
        with self._router.lock:
            limits = self._router.config.shaper_limits().get(link.interface, (None, None))
            caps = self._caps(iface, limits)
        return link_history(link, self._router.spec.seed, start, end, step, caps, growth)

    # -- internals -------------------------------------------------------------------------

    def _iface(self, if_name: str) -> _Iface:
        try:
            return self._ifaces[if_name]
        except KeyError:
            raise LabError(f"{self._router.spec.name}: no interface {if_name}") from None

    def _caps(self, iface: _Iface, limits: tuple[int | None, int | None]) -> tuple[float, float]:
        """Effective (ingress, egress) caps in bit/s: 0 when down, speed when unshaped."""
        if not (iface.spec.oper_up and self._router.config.interface_enabled(iface.spec.name)):
            return 0.0, 0.0
        speed = float(iface.spec.speed_bps)
        cap_in, cap_out = limits
        return (
            speed if cap_in is None else float(min(cap_in, speed)),
            speed if cap_out is None else float(min(cap_out, speed)),
        )

    def _carried(self, iface: _Iface, direction: int, t0: float, t1: float, cap: float) -> float:
        """Octets carried by all links of an interface in one direction over ``[t0, t1)``."""
        if cap <= 0 or t1 <= t0 or not iface.links:
            return 0.0
        if len(iface.links) == 1:
            profile = iface.links[0]
            override = self._overrides.get((profile.link_id, direction))
            return integrate_octets(profile, t0, t1, cap, direction, override)
        return _shared_cap_octets(iface.links, self._overrides, direction, t0, t1, cap)


def _profile(link: LabLink, seed: int) -> LinkProfile:
    return LinkProfile.of(link.link_id, seed, link.committed_up_bps, link.committed_down_bps)


def _shared_cap_octets(
    links: list[LinkProfile],
    overrides: dict[tuple[str, int], float],
    direction: int,
    t0: float,
    t1: float,
    cap: float,
) -> float:
    """Several links on one interface share its cap: carried = min(sum of demands, cap)."""
    buckets, seconds = bucket_span(t0, t1)
    total = np.zeros(buckets.size)
    for profile in links:
        override = overrides.get((profile.link_id, direction))
        total += override if override is not None else demand_bps(profile, direction, buckets)
    return float(np.dot(np.minimum(total, cap), seconds)) / 8.0


def link_history(
    link: LabLink,
    seed: int,
    start: float,
    end: float,
    step: float,
    caps: tuple[float, float],
    growth: Growth | None = None,
) -> CounterSeries:
    """Vectorised counter series of one link under fixed (ingress, egress) caps in bit/s.

    Args:
        link: the link (its committed rates drive the demand).
        seed: the router spec's seed.
        start: first sample time (counters 0), unix seconds.
        end: last sample time at most.
        step: seconds between samples.
        caps: (ingress, egress) caps in bit/s; 0 means the link carries nothing.
        growth: a known demand trend from ``start`` (``demand.Growth``), or None.

    Examples:
        >>> link = LabLink("opd-a", "ether2", "q", 10_000_000, 20_000_000)
        >>> s = link_history(link, 0, 0.0, 3600.0, 300.0, (1e9, 1e9))
        >>> len(s.ts), int(s.in_octets[0]), bool((np.diff(s.out_octets) >= 0).all())
        (13, 0, True)
    """
    if step <= 0 or end < start:
        raise LabError(f"history of {link.link_id}: need step > 0 and end >= start")
    ts = start + step * np.arange(math.floor((end - start) / step) + 1, dtype=np.float64)
    profile = _profile(link, seed)
    in_o = np.floor(cumulative_octets(profile, UP, ts, caps[0], growth))
    out_o = np.floor(cumulative_octets(profile, DOWN, ts, caps[1], growth))
    return CounterSeries(link.link_id, ts, in_o.astype(np.int64), out_o.astype(np.int64))
