"""SOP step 6: read the OPD links' interface counters from the edge routers over SNMP.

One run polls every :class:`~bwauto.snmp.models.PollTarget` concurrently (pysnmp 7 asyncio,
one event loop, at most ``concurrency`` routers at a time). Per router:

1. take each link's ifIndex from the :class:`~bwauto.snmp.ifcache.IfIndexCache`; only when a
   link is not in it, walk ifName and ifHighSpeed together with GETBULK (and ifDescr when a
   wanted name is not an ifName, e.g. Cisco's long names) and remember what was found;
2. GETBULK over the rows of the links' ifIndexes (:mod:`bwauto.snmp.rows`), each PDU with
   sysUpTime.0 as its time base: the naming column that found the interface (ifName or
   ifDescr, proving the index still names it), ifHCInOctets, ifHCOutOctets, ifOperStatus. A
   link whose name column says something else (ifIndex renumbered after a re-initialisation,
   RFC 2863 section 3.1.5) or nothing makes the router's interfaces be walked again and that
   link be read again, once;
3. only for links without HC counters (or without ifHighSpeed), GET ifInOctets, ifOutOctets
   and ifSpeed (``counter_bits`` 32 when the 32-bit counters had to be used); a GET the agent
   answers with tooBig is split in two and sent again.

A router that fails gives a :class:`~bwauto.errors.SnmpError` in ``router_errors`` and the
others go on; a wanted interface that is not on its router is an error for that link only. In
a steady state a router of 20 links costs two GETBULKs of 64 var-binds at most (pysnmp's
agent answers no more) and nothing else; the old walk-then-GET cycle cost three requests, two
of them carrying one var-bind per link and column.

Examples:
    Polling two routers from synchronous code, remembering ifIndexes between cycles::

        targets = [
            PollTarget("r1", "10.0.0.1", (LinkRef("opd-a", "ether2"),), community="s3cret"),
            PollTarget("r2", "10.0.0.2", (LinkRef("opd-b", "Gi0/0/1.100"),),
                       v3=V3Credentials("bwauto", "authpass", "privpass", "SHA-256", "AES-256")),
        ]
        cache = MemoryIfIndexCache()
        result = poll_once(targets, if_indexes=cache, progress=lambda router, error: ...)
        result.samples, result.router_errors, result.link_errors
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bwauto.errors import SnmpError, UsageError
from bwauto.snmp.ifcache import CachedIndex, IfIndexCache, MemoryIfIndexCache, cache_entries
from bwauto.snmp.ifmap import speed_bps
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
from bwauto.snmp.rows import MAX_IF_INDEX, Row, read_rows, spans
from bwauto.snmp.session import ABSENT, EnginePool, SnmpSession, SnmpTooBig

Progress = Callable[[str, "SnmpError | None"], None]
"""Called once per router when it is done: (router name, its error or None)."""

LINKS_PER_GET = 10  # 10 links x 5 objects + sysUpTime = 51 var-binds, ~1.4 kB: one frame
_COLUMNS_64 = (IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_OPER_STATUS)
_COLUMNS_32 = (IF_IN_OCTETS, IF_OUT_OCTETS, IF_SPEED)


def _int(value: Any) -> int | None:
    """An SNMP integer value as int; None when absent (noSuchObject/Instance, endOfMibView)."""
    if value is None or isinstance(value, ABSENT):
        return None
    return int(value)


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _walk_names(session: SnmpSession, links: Sequence[LinkRef]) -> dict[str, CachedIndex]:
    """Where each wanted interface is, from a walk of ifName and ifHighSpeed together (and of
    ifDescr when needed)."""
    rows = await read_rows(session, (IF_NAME, IF_HIGH_SPEED), 1, MAX_IF_INDEX)
    names = {i: str(row[IF_NAME]) for i, (_, _, row) in rows.items() if IF_NAME in row}
    speeds = {i: int(row[IF_HIGH_SPEED]) for i, (_, _, row) in rows.items() if IF_HIGH_SPEED in row}
    wanted = {link.if_name for link in links}
    found = cache_entries(wanted, names, {}, speeds)
    if wanted - found.keys():
        descrs = {oid[-1]: str(v) for oid, v in (await session.walk(IF_DESCR)).items()}
        found = cache_entries(wanted, names, descrs, speeds)
    return found


def _take(reading: _Reading, rows: dict[int, tuple[float, float, Row]]) -> bool:
    """Fill ``reading`` from its row; False when the row no longer names its interface."""
    if reading.idx not in rows:
        return False
    ts, uptime, row = rows[reading.idx]
    name = row.get(reading.where.oid_column)
    c_in, c_out, oper = (_int(row.get(col)) for col in _COLUMNS_64)
    if name is None or str(name) != reading.where.value or not oper:
        return False
    reading.high_speed, reading.oper_up = reading.where.high_speed, oper == 1
    if c_in is not None and c_out is not None:
        reading.counters = (c_in, c_out, ts, uptime, 64)
    return True


@dataclass(eq=False)
class _Reading:
    """One link while its router is being read."""

    link: LinkRef
    where: CachedIndex
    oper_up: bool = False
    high_speed: int | None = None
    speed: int | None = None
    counters: tuple[int, int, float, float, Literal[32, 64]] | None = None  # in, out, ts, up, bits

    @property
    def idx(self) -> int:
        return self.where.if_index


class _RouterPoll:
    """Samples of one router's links (steps 1 to 3 of the module docstring)."""

    def __init__(self, session: SnmpSession, cache: IfIndexCache) -> None:
        self.session = session
        self.cache = cache
        self.samples: list[Sample] = []
        self.link_errors: dict[str, SnmpError] = {}
        self._walked = False

    async def run(self, links: Sequence[LinkRef]) -> None:
        known = self.cache.load(self.session.target.router)
        if any(link.if_name not in known for link in links):
            known = await self._walk(links)
        readings = await self._read_proven(self._readings(links, known))
        second = [r for r in readings if r.counters is None or not r.high_speed]
        for chunk in _chunks(second, LINKS_PER_GET * 4 // 3):
            await self._split_if_too_big(chunk, self._read32)
        for reading in readings:
            self._finish(reading)

    async def _walk(self, links: Sequence[LinkRef]) -> dict[str, CachedIndex]:
        self._walked = True
        found = await _walk_names(self.session, links)
        self.cache.save(self.session.target.router, found)
        return found

    def _readings(self, links: Sequence[LinkRef], known: dict[str, CachedIndex]) -> list[_Reading]:
        readings: list[_Reading] = []
        for link in links:
            if link.if_name in known:
                readings.append(_Reading(link, known[link.if_name]))
            else:
                self._link_error(link, f"interface {link.if_name!r} not found in ifName/ifDescr")
        return readings

    async def _read_proven(self, readings: list[_Reading]) -> list[_Reading]:
        """Pass 1 for every reading; links whose index is no longer theirs are walked and
        read again once. Returns the readings whose index was proven."""
        stale: list[_Reading] = []
        for column in {r.where.oid_column for r in readings}:
            group = [r for r in readings if r.where.oid_column == column]
            for lo, hi in spans(r.idx for r in group):
                rows = await read_rows(self.session, (column, *_COLUMNS_64), lo, hi)
                stale += [r for r in group if lo <= r.idx <= hi and not _take(r, rows)]
        if stale and not self._walked:
            known = await self._walk([r.link for r in stale])
            retry = self._readings([r.link for r in stale], known)
            proven = [r for r in readings if r not in stale]
            return proven + await self._read_proven(retry)
        for reading in stale:
            why = f"interface {reading.link.if_name!r} (ifIndex {reading.idx}) vanished"
            self._link_error(reading.link, why)
        return [r for r in readings if r not in stale]

    async def _split_if_too_big(
        self, chunk: Sequence[_Reading], read: Callable[[Sequence[_Reading]], Any]
    ) -> list[_Reading]:
        """``read(chunk)``; when the agent says tooBig, the two halves one after the other."""
        try:
            return list(await read(chunk))
        except SnmpTooBig:
            if len(chunk) == 1:
                raise
        half = len(chunk) // 2
        first = await self._split_if_too_big(chunk[:half], read)
        return first + await self._split_if_too_big(chunk[half:], read)

    async def _get(self, oids: list[Oid]) -> tuple[float, float, dict[Oid, Any]]:
        """GET with sysUpTime.0 first: (manager time, router uptime in s, values by OID)."""
        ts, values = await self.session.get([SYS_UPTIME, *oids])
        uptime = _int(values.get(SYS_UPTIME))
        if uptime is None:
            raise SnmpError(f"{self.session.target.where}: no sysUpTime.0 in the answer")
        return ts, uptime / 100.0, values

    async def _read32(self, chunk: Sequence[_Reading]) -> list[_Reading]:
        """32-bit counters and ifSpeed of each link (the index was proven by pass 1)."""
        ts, uptime, values = await self._get([(*c, r.idx) for r in chunk for c in _COLUMNS_32])
        for r in chunk:
            c_in, c_out, r.speed = (_int(values.get((*col, r.idx))) for col in _COLUMNS_32)
            if r.counters is None and c_in is not None and c_out is not None:
                r.counters = (c_in, c_out, ts, uptime, 32)
        return []

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
    targets: Sequence[PollTarget],
    *,
    concurrency: int = 32,
    progress: Progress | None = None,
    if_indexes: IfIndexCache | None = None,
) -> PollResult:
    """Poll every target concurrently in the running event loop.

    Args:
        targets: routers and the links wanted from each (router names must be unique).
        concurrency: at most this many routers are polled at the same time.
        progress: called as ``progress(router, error_or_None)`` each time a router is done.
        if_indexes: where each router's ifIndexes are remembered between runs (e.g. the
            sample store's); None walks every router's ifName in this run.

    Returns:
        Samples in target and link order, plus per-router and per-link errors.
    """
    _check_unique(targets)
    started = time.monotonic()
    result = PollResult()
    engines = EnginePool()
    gate = asyncio.Semaphore(max(1, concurrency))
    done: dict[str, _RouterPoll] = {}
    cache = MemoryIfIndexCache() if if_indexes is None else if_indexes

    async def one(target: PollTarget) -> None:
        error: SnmpError | None = None
        async with gate:
            try:
                router_poll = _RouterPoll(await SnmpSession.open(target, engines), cache)
                await router_poll.run(target.links)
                done[target.router] = router_poll
            except SnmpError as exc:
                error = exc
                result.router_errors[target.router] = exc
            finally:
                engines.release(target)
        if progress is not None:
            progress(target.router, error)

    try:
        await asyncio.gather(*(one(t) for t in targets))
    finally:
        engines.close()
        cache.flush()
    for target in targets:
        if target.router in done:
            result.samples.extend(_in_link_order(done[target.router].samples, target.links))
            result.link_errors.update(done[target.router].link_errors)
    result.elapsed_s = time.monotonic() - started
    return result


def poll_once(
    targets: Sequence[PollTarget],
    *,
    concurrency: int = 32,
    progress: Progress | None = None,
    if_indexes: IfIndexCache | None = None,
) -> PollResult:
    """Synchronous :func:`poll`: runs it in a fresh event loop (``asyncio.run``)."""
    return asyncio.run(
        poll(targets, concurrency=concurrency, progress=progress, if_indexes=if_indexes)
    )


def _in_link_order(samples: list[Sample], links: Sequence[LinkRef]) -> list[Sample]:
    order = {link.link_id: i for i, link in enumerate(links)}
    return sorted(samples, key=lambda s: order[s.link_id])


def _check_unique(targets: Sequence[PollTarget]) -> None:
    seen: set[str] = set()
    for target in targets:
        if target.router in seen:
            raise UsageError(f"router {target.router} is listed twice in one poll")
        seen.add(target.router)
