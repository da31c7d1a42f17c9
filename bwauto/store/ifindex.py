"""The poller's ifName -> ifIndex map, kept in the sample store between ``bwauto poll`` runs.

A cron-run ``bwauto poll`` is a new process every 5 minutes; keeping the map in the store lets
each run read the counters with a GET straight away instead of walking ifName on every router
(see :mod:`bwauto.snmp.ifcache`, which also says why a stale entry is harmless). Table::

    if_index(router TEXT, if_name TEXT, if_index INTEGER, name_column TEXT, name_value TEXT,
             high_speed INTEGER, PRIMARY KEY (router, if_name))

It is created on first use; a bwauto that does not know it ignores it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from bwauto.snmp.ifcache import CachedIndex, Column, MemoryIfIndexCache
from bwauto.store.schema import SqliteErrors

_CREATE = (
    "CREATE TABLE IF NOT EXISTS if_index (router TEXT NOT NULL, if_name TEXT NOT NULL, "
    "if_index INTEGER NOT NULL, name_column TEXT NOT NULL, name_value TEXT NOT NULL, "
    "high_speed INTEGER NOT NULL, PRIMARY KEY (router, if_name))"
)

_UPSERT = "INSERT OR REPLACE INTO if_index VALUES (?, ?, ?, ?, ?, ?)"


class StoreIfIndexCache:
    """An ``IfIndexCache`` (``bwauto.snmp.ifcache``) in the sample store's SQLite file.

    The whole table is read once, at the first ``load``; ``save`` changes memory only and
    ``flush`` writes what changed in one transaction (the poller calls it at the end of a run).
    """

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path
        self._memory: MemoryIfIndexCache | None = None
        self._dirty: dict[tuple[str, str], CachedIndex] = {}

    def load(self, router: str) -> dict[str, CachedIndex]:
        """The entries last saved for ``router``."""
        return self._read().load(router)

    def save(self, router: str, entries: Mapping[str, CachedIndex]) -> None:
        """Add or replace ``entries`` of ``router`` (written by ``flush``)."""
        self._read().save(router, entries)
        self._dirty.update(((router, name), entry) for name, entry in entries.items())

    def flush(self) -> None:
        """Write the entries saved since the last flush, in one transaction."""
        if not self._dirty:
            return
        rows = [
            (r, n, e.if_index, e.column, e.value, e.high_speed) for (r, n), e in self._dirty.items()
        ]
        with SqliteErrors(self._path, "write to"):
            self._db.execute(_CREATE)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO if_index VALUES (?, ?, ?, ?, ?, ?)", rows
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        self._dirty.clear()

    def _read(self) -> MemoryIfIndexCache:
        if self._memory is None:
            memory = MemoryIfIndexCache()
            with SqliteErrors(self._path, "read"):
                self._db.execute(_CREATE)
                rows = self._db.execute(
                    "SELECT router, if_name, if_index, name_column, name_value, high_speed "
                    "FROM if_index"
                ).fetchall()
            by_router: dict[str, dict[str, CachedIndex]] = {}
            for router, name, index, column, value, speed in rows:
                kind: Column = "ifDescr" if column == "ifDescr" else "ifName"
                by_router.setdefault(str(router), {})[str(name)] = CachedIndex(
                    int(index), kind, str(value), int(speed)
                )
            for router, entries in by_router.items():
                memory.save(router, entries)
            self._memory = memory
        return self._memory
