"""Which ifIndex each polled interface had last time, and how to prove it still has it. No I/O.

A poller that walks ifName on every router every cycle spends most of its requests (and the
agents' CPU) finding what it already knew. RFC 2863 (section 3.1.5) only lets an agent renumber
ifIndex at a re-initialisation of its management system, and some platforms do exactly that
after a reboot; so the poller keeps each router's ``interface name -> ifIndex`` map in an
:class:`IfIndexCache` and, in every GET that reads the counters, also reads the column that
named the interface (ifName, or ifDescr when the name was found there). A GET whose name
column still says the cached name proves the index; any other answer (another name,
noSuchInstance) makes the poller walk ifName again and retry that link once. ifHighSpeed is
read with the walk and kept with the index (an interface's speed changes far less often than
its counters; ``Sample.speed_bps`` is the speed at the last walk).

Examples:
    >>> entries = cache_entries(["vlan101", "GigabitEthernet0/0/1.100", "ether9"],
    ...                         {2: "vlan101", 5: "Gi0/0/1.100"}, {}, {2: 1000})
    >>> sorted(entries.items())  # doctest: +NORMALIZE_WHITESPACE
    [('GigabitEthernet0/0/1.100',
      CachedIndex(if_index=5, column='ifName', value='Gi0/0/1.100', high_speed=0)),
     ('vlan101', CachedIndex(if_index=2, column='ifName', value='vlan101', high_speed=1000))]
    >>> cache = MemoryIfIndexCache()
    >>> cache.save("r1", entries)
    >>> cache.load("r1")["vlan101"].oid_column == IF_NAME
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from bwauto.snmp.ifmap import match_if_indexes
from bwauto.snmp.oids import IF_DESCR, IF_NAME, Oid

Column = Literal["ifName", "ifDescr"]
_COLUMNS: dict[Column, Oid] = {"ifName": IF_NAME, "ifDescr": IF_DESCR}


@dataclass(frozen=True, slots=True)
class CachedIndex:
    """Where an interface was found: its ifIndex, what the naming column said there, and its
    ifHighSpeed (Mbit/s; 0 when the agent has none, then the poller reads ifSpeed)."""

    if_index: int
    column: Column
    value: str
    high_speed: int = 0

    @property
    def oid_column(self) -> Oid:
        """The OID of the naming column (instance = ``oid_column + (if_index,)``)."""
        return _COLUMNS[self.column]


class IfIndexCache(Protocol):
    """Per router, the interface name -> :class:`CachedIndex` map of the last resolution."""

    def load(self, router: str) -> dict[str, CachedIndex]:
        """The cached entries of ``router`` (empty when none)."""
        ...

    def save(self, router: str, entries: Mapping[str, CachedIndex]) -> None:
        """Add or replace ``entries`` of ``router`` (other names are left as they are)."""
        ...

    def flush(self) -> None:
        """Make the saved entries last (the poller calls it once, at the end of a run)."""
        ...


class MemoryIfIndexCache:
    """An :class:`IfIndexCache` in a dict, for one process (a long-running poller, tests)."""

    def __init__(self) -> None:
        self._routers: dict[str, dict[str, CachedIndex]] = {}

    def load(self, router: str) -> dict[str, CachedIndex]:
        """The cached entries of ``router`` (a copy)."""
        return dict(self._routers.get(router, {}))

    def save(self, router: str, entries: Mapping[str, CachedIndex]) -> None:
        """Add or replace ``entries`` of ``router``."""
        self._routers.setdefault(router, {}).update(entries)

    def routers(self) -> list[str]:
        """The routers with entries."""
        return list(self._routers)

    def flush(self) -> None:
        """Nothing to do: the entries live as long as this object."""


class SeededIfIndexCache(MemoryIfIndexCache):
    """A :class:`MemoryIfIndexCache` that starts from a kept map (the sample store's) and
    remembers what was saved since, to be kept back: one change's probes share it across
    their threads, where the store's SQLite connection cannot go.

    Examples:
        >>> cache = SeededIfIndexCache({"r1": {"ether2": CachedIndex(3, "ifName", "ether2")}})
        >>> cache.load("r1")["ether2"].if_index, cache.learned()
        (3, {})
        >>> cache.save("r2", {"vlan101": CachedIndex(7, "ifName", "vlan101")})
        >>> sorted(cache.learned())
        ['r2']
    """

    def __init__(self, seed: Mapping[str, Mapping[str, CachedIndex]] | None = None) -> None:
        super().__init__()
        for router, entries in (seed or {}).items():
            super().save(router, entries)
        self._learned: dict[str, dict[str, CachedIndex]] = {}

    def save(self, router: str, entries: Mapping[str, CachedIndex]) -> None:
        """Add or replace ``entries`` of ``router``, and remember them as learned."""
        super().save(router, entries)
        self._learned.setdefault(router, {}).update(entries)

    def learned(self) -> dict[str, dict[str, CachedIndex]]:
        """A copy of what was saved since the seed (a probe still running may add more)."""
        return {router: dict(entries) for router, entries in list(self._learned.items())}


def cache_entries(
    wanted: Iterable[str],
    names: Mapping[int, str],
    descrs: Mapping[int, str],
    high_speeds: Mapping[int, int],
) -> dict[str, CachedIndex]:
    """Cache entries for the wanted interfaces found in a walk of ifName (and ifDescr).

    The proof column is ifName when the agent has one at that index, else ifDescr.
    """
    entries: dict[str, CachedIndex] = {}
    for want, index in match_if_indexes(wanted, names, descrs).items():
        speed = high_speeds.get(index, 0)
        if index in names:
            entries[want] = CachedIndex(index, "ifName", names[index], speed)
        else:
            entries[want] = CachedIndex(index, "ifDescr", descrs[index], speed)
    return entries
