"""SOP step 6: read the OPD links' interface counters from the edge routers over SNMP.

One run polls every :class:`~bwauto.snmp.models.PollTarget` concurrently (pysnmp 7 asyncio,
one event loop, at most ``concurrency`` routers at a time). Per router:

1. walk ifName with GETBULK (ifIndex can renumber after a reboot, so it is resolved every run;
   ifDescr is walked too when a wanted name is not an ifName, e.g. Cisco's long names);
2. GET, ten links per request and each request with sysUpTime.0 as its time base:
   ifHCInOctets, ifHCOutOctets, ifHighSpeed, ifOperStatus;
3. only for links without HC counters (or without ifHighSpeed), GET ifInOctets, ifOutOctets
   and ifSpeed (``counter_bits`` 32 when the 32-bit counters had to be used).

A router that fails gives a :class:`~bwauto.errors.SnmpError` in ``router_errors`` and the
others go on; a wanted interface that is not on its router is an error for that link only.

Examples:
    Polling two routers from synchronous code::

        targets = [
            PollTarget("r1", "10.0.0.1", (LinkRef("opd-a", "ether2"),), community="s3cret"),
            PollTarget("r2", "10.0.0.2", (LinkRef("opd-b", "Gi0/0/1.100"),),
                       v3=V3Credentials("bwauto", "authpass", "privpass", "SHA-256", "AES-256")),
        ]
        result = poll_once(targets, progress=lambda router, error: ...)
        result.samples, result.router_errors, result.link_errors
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bwauto.errors import SnmpError, UsageError
from bwauto.snmp.ifmap import match_if_indexes, speed_bps
from bwauto.snmp.models import LinkRef, PollResult, PollTarget, Sample
from bwauto.snmp.oids import (
    IF_DESCR,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_IN_OCTETS,
    IF_NAME,
    IF_OPER_STATUS,
    IF_OUT_OCTETS,
    IF_SPEED,
    SYS_UPTIME,
    Oid,
)
from bwauto.snmp.session import ABSENT, EnginePool, SnmpSession

Progress = Callable[[str, "SnmpError | None"], None]
"""Called once per router when it is done: (router name, its error or None)."""

LINKS_PER_GET = 10  # 10 links x 4 objects + sysUpTime = 41 var-binds, ~1.3 kB: one frame
_COLUMNS_64 = (IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_HIGH_SPEED, IF_OPER_STATUS)
_COLUMNS_32 = (IF_IN_OCTETS, IF_OUT_OCTETS, IF_SPEED)


def _int(value: Any) -> int | None:
    """An SNMP integer value as int; None when absent (noSuchObject/Instance, endOfMibView)."""
    if value is None or isinstance(value, ABSENT):
        return None
    return int(value)


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _resolve(session: SnmpSession, links: Sequence[LinkRef]) -> dict[str, int]:
    """ifIndex per wanted interface name, from ifName (and ifDescr when needed)."""
    names = {oid[-1]: str(v) for oid, v in (await session.walk(IF_NAME)).items()}
    wanted = {link.if_name for link in links}
    found = match_if_indexes(wanted, names)
    if wanted - found.keys():
        descrs = {oid[-1]: str(v) for oid, v in (await session.walk(IF_DESCR)).items()}
        found = match_if_indexes(wanted, names, descrs)
    return found


@dataclass
class _Reading:
    """One link while its router is being read."""

    link: LinkRef
    idx: int
    oper_up: bool = False
    high_speed: int | None = None
    speed: int | None = None
    counters: tuple[int, int, float, float, Literal[32, 64]] | None = None  # in, out, ts, up, bits


class _RouterPoll:
    """Samples of one router's links (steps 2 and 3 of the module docstring).

    Pass 1 reads HC counters, ifHighSpeed and ifOperStatus; pass 2, only for links that need
    it, reads the 32-bit counters and ifSpeed (agents without ifXTable HC columns, or
    interfaces whose ifHighSpeed is absent or 0).
    """

    def __init__(self, session: SnmpSession) -> None:
        self.session = session
        self.samples: list[Sample] = []
        self.link_errors: dict[str, SnmpError] = {}

    async def run(self, links: Sequence[LinkRef]) -> None:
        indexes = await _resolve(self.session, links)
        readings: list[_Reading] = []
        for link in links:
            if link.if_name in indexes:
                readings.append(_Reading(link, indexes[link.if_name]))
            else:
                self._link_error(link, f"interface {link.if_name!r} not found in ifName/ifDescr")
        for chunk in _chunks(readings, LINKS_PER_GET):
            await self._read(chunk, _COLUMNS_64)
        readings = [r for r in readings if r.link.link_id not in self.link_errors]
        second = [r for r in readings if r.counters is None or not r.high_speed]
        for chunk in _chunks(second, LINKS_PER_GET * 4 // 3):
            await self._read(chunk, _COLUMNS_32)
        for reading in readings:
            self._finish(reading)

    async def _read(self, chunk: Sequence[_Reading], columns: tuple[Oid, ...]) -> None:
        """One GET (sysUpTime.0 first) for the ``columns`` of every link in ``chunk``."""
        oids = [SYS_UPTIME] + [(*col, r.idx) for r in chunk for col in columns]
        ts, values = await self.session.get(oids)
        uptime = _int(values.get(SYS_UPTIME))
        if uptime is None:
            raise SnmpError(f"{self.session.target.where}: no sysUpTime.0 in the answer")
        for reading in chunk:
            row = [_int(values.get((*col, reading.idx))) for col in columns]
            if columns is _COLUMNS_64:
                if row[3] is None:
                    why = f"interface {reading.link.if_name!r} (ifIndex {reading.idx}) vanished"
                    self._link_error(reading.link, why)
                    continue
                reading.high_speed, reading.oper_up = row[2], row[3] == 1
            else:
                reading.speed = row[2]
            c_in, c_out = row[0], row[1]
            if reading.counters is None and c_in is not None and c_out is not None:
                bits: Literal[32, 64] = 64 if columns is _COLUMNS_64 else 32
                reading.counters = (c_in, c_out, ts, uptime / 100.0, bits)

    def _finish(self, reading: _Reading) -> None:
        link = reading.link
        if reading.counters is None:
            self._link_error(
                link, f"no octet counters for {link.if_name!r} (ifIndex {reading.idx})"
            )
            return
        c_in, c_out, ts, uptime, bits = reading.counters
        self.samples.append(
            Sample(
                link_id=link.link_id,
                router=self.session.target.router,
                ts=ts,
                uptime_s=uptime,
                in_octets=c_in,
                out_octets=c_out,
                counter_bits=bits,
                speed_bps=speed_bps(reading.high_speed, reading.speed),
                oper_up=reading.oper_up,
                if_name=link.if_name,
                if_index=reading.idx,
            )
        )

    def _link_error(self, link: LinkRef, why: str) -> None:
        where = self.session.target.where
        self.link_errors[link.link_id] = SnmpError(f"{where}: link {link.link_id}: {why}")


async def poll(
    targets: Sequence[PollTarget], *, concurrency: int = 32, progress: Progress | None = None
) -> PollResult:
    """Poll every target concurrently in the running event loop.

    Args:
        targets: routers and the links wanted from each (router names must be unique).
        concurrency: at most this many routers are polled at the same time.
        progress: called as ``progress(router, error_or_None)`` each time a router is done.

    Returns:
        Samples in target and link order, plus per-router and per-link errors.
    """
    _check_unique(targets)
    started = time.monotonic()
    result = PollResult()
    engines = EnginePool()
    gate = asyncio.Semaphore(max(1, concurrency))
    done: dict[str, _RouterPoll] = {}

    async def one(target: PollTarget) -> None:
        error: SnmpError | None = None
        async with gate:
            try:
                router_poll = _RouterPoll(await SnmpSession.open(target, engines))
                await router_poll.run(target.links)
                done[target.router] = router_poll
            except SnmpError as exc:
                error = exc
                result.router_errors[target.router] = exc
        if progress is not None:
            progress(target.router, error)

    try:
        await asyncio.gather(*(one(t) for t in targets))
    finally:
        engines.close()
    for target in targets:
        if target.router in done:
            result.samples.extend(_in_link_order(done[target.router].samples, target.links))
            result.link_errors.update(done[target.router].link_errors)
    result.elapsed_s = time.monotonic() - started
    return result


def poll_once(
    targets: Sequence[PollTarget], *, concurrency: int = 32, progress: Progress | None = None
) -> PollResult:
    """Synchronous :func:`poll`: runs it in a fresh event loop (``asyncio.run``)."""
    return asyncio.run(poll(targets, concurrency=concurrency, progress=progress))


def _in_link_order(samples: list[Sample], links: Sequence[LinkRef]) -> list[Sample]:
    order = {link.link_id: i for i, link in enumerate(links)}
    return sorted(samples, key=lambda s: order[s.link_id])


def _check_unique(targets: Sequence[PollTarget]) -> None:
    seen: set[str] = set()
    for target in targets:
        if target.router in seen:
            raise UsageError(f"router {target.router} is listed twice in one poll")
        seen.add(target.router)
