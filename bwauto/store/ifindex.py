"""The poller's ifName -> ifIndex map, kept in the sample store between ``bwauto poll`` runs.

A cron-run ``bwauto poll`` is a new process every 5 minutes; keeping the map in the store lets
each run read the counters with a GET straight away instead of walking ifName on every router
(see :mod:`bwauto.snmp.ifcache`, which also says why a stale entry is harmless). Table::

    if_index(router TEXT, if_name TEXT, if_index INTEGER, name_column TEXT, name_value TEXT,
             high_speed INTEGER, PRIMARY KEY (router, if_name))

It is created on first use; a bwauto that does not know it ignores it. A change's SNMP probe
reads the map once (``kept_if_indexes``) and keeps back what it walked (``keep_if_indexes``):
its threads cannot share the store's connection.
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
                self._db.executemany(_UPSERT, rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        self._dirty.clear()

    def entries(self) -> dict[str, dict[str, CachedIndex]]:
        """Every router's entries."""
        memory = self._read()
        return {router: memory.load(router) for router in memory.routers()}

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


KEEP_BUSY_TIMEOUT_S = 2.0
"""How long ``keep_if_indexes`` waits for a poller that is writing: it is a cache, not worth
holding up the end of a change."""


def kept_if_indexes(state_dir: Path) -> dict[str, dict[str, CachedIndex]]:
    """The map kept in ``state_dir``'s sample store; empty when there is no store or it cannot
    be read (``bwauto analyse`` and ``bwauto poll`` say why; a change only walks ifName)."""
    from bwauto.errors import StoreError
    from bwauto.store.samples import SampleStore, store_path

    path = store_path(state_dir)
    if not path.is_file():
        return {}
    try:
        with SampleStore(path, busy_timeout_s=KEEP_BUSY_TIMEOUT_S) as store:
            return store.if_index_cache().entries()
    except StoreError:
        return {}


def keep_if_indexes(state_dir: Path, entries: Mapping[str, Mapping[str, CachedIndex]]) -> None:
    """Add ``entries`` (per router) to the map in ``state_dir``'s sample store, creating the
    store if needed; a store that cannot be written is left as it is (the map is a cache)."""
    from bwauto.errors import StoreError
    from bwauto.store.samples import SampleStore, store_path

    if not entries:
        return
    try:
        with SampleStore(
            store_path(state_dir), create=True, busy_timeout_s=KEEP_BUSY_TIMEOUT_S
        ) as store:
            cache = store.if_index_cache()
            for router, found in entries.items():
                cache.save(router, found)
            cache.flush()
    except (StoreError, OSError):
        return
