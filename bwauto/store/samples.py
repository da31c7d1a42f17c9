"""The sample store: interface counter samples kept in one SQLite file in the state dir.

Why SQLite with packed arrays
-----------------------------
One row per sample took 10 s to write and 8.5-15 s to read for 1,000 links x 30 days; DuckDB
reads in about 2 s but lets only one process open the file for writing, and an overlapping cron
run of ``bwauto poll`` must not fail. So samples are packed into numpy arrays stored as BLOBs of
SQLite, which gives both: SQLite's locking and crash safety (WAL journal, ``synchronous=FULL``,
``BEGIN IMMEDIATE``) and fast reads (about 30,000 BLOBs for a month of 1,000 links instead of
8.6 million rows, each turned into arrays by ``numpy.frombuffer`` without a per-sample loop).

Appends do not rewrite a whole day: each append adds a small *segment* for each (link, day) it
touches, and when a (link, day) holds more than ``max_segments`` segments they are merged into
one. A poller every 5 minutes thus writes a few pages per run instead of every link's whole day,
and a reader never meets more than ``max_segments`` segments per link and day.

Schema (version 2)
------------------
::

    meta(key TEXT PRIMARY KEY, value TEXT)     -- ('format', 'bwauto-samples'), ('version', '2')
    segments(
        id      INTEGER PRIMARY KEY,           -- write order
        link_id TEXT NOT NULL,
        day     INTEGER NOT NULL,              -- floor(ts / 86400): the UTC day of the samples
        n       INTEGER NOT NULL,              -- number of samples in data
        data    BLOB NOT NULL,                 -- n packed little-endian records, sorted by ts
        source  TEXT NOT NULL DEFAULT ''       -- sources.name ('' = bwauto's own samples)
    )
    INDEX segments_link_day ON segments(link_id, day)
    sources(name TEXT PRIMARY KEY, kind TEXT, step_s REAL, coarse INTEGER)  -- see .sources
    progress(source TEXT, link_id TEXT, until REAL, PRIMARY KEY (source, link_id))

Version 1 had no ``source`` column, ``sources`` or ``progress``; it is upgraded on opening.
Samples of different sources are kept apart (``bwauto.store.sources``): ``read`` gives each link
the samples of one source, chosen by the rule stated there.

A record is 33 bytes, ``RECORD`` below: ``ts`` float64 (unix seconds, manager clock),
``uptime`` float64 (seconds; NaN when unknown), ``in`` and ``out`` uint64 (octet counters),
``bits`` uint8 (counter width, 32 or 64). Within a link and source, a timestamp is stored
once: appending a sample whose ``ts`` is already stored does nothing (so re-running an import
adds nothing).

Concurrency and crashes: every append is one ``BEGIN IMMEDIATE`` transaction (writers queue on
SQLite's lock, waiting up to ``busy_timeout_s``); readers are never blocked (WAL). A crash or
kill mid-append rolls back that append only; everything committed before stays.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

from bwauto.errors import StoreError
from bwauto.store.bulk import BulkWriter, Conflict, OnConflict
from bwauto.store.records import (
    RECORD,
    SECONDS_PER_DAY,
    Records,
    Sample,
    SampleArrays,
    check_sample,
    samples_to_arrays,
)
from bwauto.store.schema import SCHEMA, SCHEMA_VERSION, UPGRADE_1_TO_2, SqliteErrors
from bwauto.store.sources import OWN, SourceInfo, SourceUse, choose_source

if TYPE_CHECKING:
    from bwauto.store.ifindex import StoreIfIndexCache

__all__ = [
    "DEFAULT_FILENAME",
    "OWN",
    "RECORD",
    "BulkWriter",
    "Conflict",
    "OnConflict",
    "Sample",
    "SampleArrays",
    "SampleStore",
    "SourceInfo",
    "store_path",
]


DEFAULT_FILENAME = "samples.sqlite"
"""The store's file name inside the state dir."""


def store_path(state_dir: Path) -> Path:
    """Where the sample store lives in ``state_dir``.

    Examples:
        >>> store_path(Path("/var/lib/bwauto"))
        PosixPath('/var/lib/bwauto/samples.sqlite')
    """
    return state_dir / DEFAULT_FILENAME


class SampleStore:
    """Counter samples of every link, safe for concurrent pollers and readers.

    Args:
        path: the SQLite file (see ``store_path``).
        create: create the file (and its directory) if missing; otherwise a missing file is a
            ``StoreError``, so that analysing before anything was polled says so.
        busy_timeout_s: how long a writer waits for another writer before giving up.
        max_segments: segments kept per (link, day) before they are merged into one.

    Raises:
        StoreError: the file is missing (and ``create`` is false), not a bwauto sample store,
            corrupt, or of a newer schema version.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = False,
        busy_timeout_s: float = 60.0,
        max_segments: int = 16,
    ) -> None:
        self.path = Path(path)
        self.max_segments = max(1, max_segments)
        if not self.path.exists() and not create:
            raise StoreError(
                f"sample store {self.path} does not exist: "
                "poll the links or import their history first"
            )
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        mode = "rwc" if create else "rw"
        try:
            self._db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode={mode}",
                uri=True,
                isolation_level=None,
                timeout=busy_timeout_s,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"sample store {self.path} cannot be opened: {exc}") from exc
        try:
            self._setup(create, busy_timeout_s)
        except BaseException:
            self._db.close()
            raise

    def _setup(self, create: bool, busy_timeout_s: float) -> None:
        with self._errors("open"):
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            self._wal(busy_timeout_s)
            self._db.execute("PRAGMA synchronous = FULL")
            if create:
                self._db.execute("BEGIN IMMEDIATE")
                for statement in SCHEMA:
                    self._db.execute(statement)
                self._db.execute("COMMIT")
            self._check_schema()

    def _wal(self, busy_timeout_s: float) -> None:
        """Switch to WAL. SQLite answers "locked" at once, without its busy handler, while
        another process switches a new file at the same moment: wait for it, within the
        busy timeout (two pollers started together by cron hit exactly this)."""
        deadline = time.monotonic() + busy_timeout_s
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _check_schema(self) -> None:
        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path} is not a bwauto sample store ({exc})") from exc
        if meta.get("format") != "bwauto-samples":
            raise StoreError(f"{self.path} is not a bwauto sample store")
        version = int(meta.get("version", "0"))
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"sample store {self.path} has schema version {version}; "
                f"this bwauto reads up to {SCHEMA_VERSION}: upgrade bwauto"
            )
        if version < SCHEMA_VERSION:
            self._upgrade()

    def _upgrade(self) -> None:
        """Version 1 -> 2 (sources), once, whoever opens the store first."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if row and int(row[0]) == 1:
                for statement in UPGRADE_1_TO_2:
                    self._db.execute(statement)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the connection (the store can no longer be used)."""
        self._db.close()

    def __enter__(self) -> SampleStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def if_index_cache(self) -> StoreIfIndexCache:
        """The poller's ifName -> ifIndex map kept in this store (``bwauto.store.ifindex``)."""
        from bwauto.store.ifindex import StoreIfIndexCache

        return StoreIfIndexCache(self._db, self.path)

    def _errors(self, action: str) -> SqliteErrors:
        return SqliteErrors(self.path, action)

    # -- writing ---------------------------------------------------------------------------

    def append(self, samples: Iterable[Sample]) -> int:
        """Store samples in one transaction; samples whose (link, ts) is stored are skipped.

        Args:
            samples: the samples, in any order and for any links.

        Returns:
            How many samples were new.

        Raises:
            ValueError: a sample is malformed (a bug in the caller).
            StoreError: the store is locked for longer than the busy timeout, or unusable.
        """
        by_link: dict[str, list[Sample]] = {}
        for sample in samples:
            check_sample(sample)
            by_link.setdefault(sample.link_id, []).append(sample)
        return self.append_arrays({link: samples_to_arrays(rows) for link, rows in by_link.items()})

    @contextmanager
    def bulk(
        self,
        on_conflict: OnConflict = "keep",
        keep_conflicts: int = 20,
        source: SourceInfo = OWN,
    ) -> Iterator[BulkWriter]:
        """One write transaction for many ``BulkWriter.add`` calls; rolled back on any error.

        Args:
            on_conflict: see ``OnConflict``.
            keep_conflicts: how many conflicts the writer keeps for the caller to list (all
                are counted).
            source: where the samples come from (``OWN``: polled by bwauto or its CSV);
                samples are deduplicated and compared within their source only.
        """
        writer = BulkWriter(self._db, self, source, on_conflict, keep_conflicts)
        with self._errors("write to"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                writer.register_source()
                yield writer
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def append_arrays(self, series: Mapping[str, SampleArrays]) -> int:
        """Store many samples per link in one transaction (the bulk form of ``append``).

        Args:
            series: per link id, its samples in any order (duplicates by ``ts`` keep the first).

        Returns:
            How many samples were new.

        Raises:
            ValueError: a value is out of range (a bug in the caller).
            StoreError: the store is locked for longer than the busy timeout, or unusable.
        """
        with self.bulk("keep") as writer:
            writer.add(series)
        return writer.added

    # -- reading ---------------------------------------------------------------------------

    def links(self) -> list[str]:
        """The ids of every link with at least one stored sample, sorted."""
        with self._errors("read"):
            rows = self._db.execute("SELECT DISTINCT link_id FROM segments ORDER BY 1").fetchall()
        return [str(r[0]) for r in rows]

    def read(
        self,
        link_ids: Iterable[str] | None = None,
        since: float | None = None,
        until: float | None = None,
        source: str | None = None,
    ) -> dict[str, SampleArrays]:
        """The samples with ``since <= ts <= until``, per link; links without any are left out.

        Args:
            link_ids: the links to read; ``None`` for every stored link.
            since: first unix second included (``None``: from the start).
            until: last unix second included (``None``: to the end).
            source: the source to read (``""``: bwauto's own); ``None``: per link, the one
                ``bwauto.store.sources.choose_source`` picks.
        """
        return dict(self.iter_read(link_ids, since, until, source))

    def iter_read(
        self,
        link_ids: Iterable[str] | None = None,
        since: float | None = None,
        until: float | None = None,
        source: str | None = None,
    ) -> Iterator[tuple[str, SampleArrays]]:
        """Like ``read`` but yields one link at a time, so only one link is in memory."""
        for link_id, _, arrays in self.iter_sourced(link_ids, since, until, source):
            yield link_id, arrays

    def iter_sourced(
        self,
        link_ids: Iterable[str] | None = None,
        since: float | None = None,
        until: float | None = None,
        source: str | None = None,
    ) -> Iterator[tuple[str, SourceInfo, SampleArrays]]:
        """Like ``iter_read``, with the source each link's samples come from."""
        ids = self.links() if link_ids is None else list(dict.fromkeys(link_ids))
        lo = -(2**62) if since is None else math.floor(since / SECONDS_PER_DAY)
        hi = 2**62 if until is None else math.floor(until / SECONDS_PER_DAY)
        known = self.sources()
        for link_id in ids:
            chosen, among = self._choose(link_id, lo, hi, known) if source is None else (source, 1)
            if chosen is None:
                continue
            arrays = self._read_link(link_id, lo, hi, since, until, chosen)
            if arrays is not None:
                yield link_id, replace(known.get(chosen, OWN), among=among), arrays

    def sources(self) -> dict[str, SourceInfo]:
        """Every source samples were imported from, by name (``""``: bwauto's own)."""
        with self._errors("read"):
            rows = self._db.execute("SELECT name, kind, step_s, coarse FROM sources").fetchall()
        known = {str(n): SourceInfo(str(n), str(k), float(st), bool(c)) for n, k, st, c in rows}
        known.setdefault("", OWN)
        return known

    def progress(self, source: str) -> dict[str, float]:
        """Per link, up to when ``source`` was imported (to resume an interrupted import)."""
        with self._errors("read"):
            rows = self._db.execute(
                "SELECT link_id, until FROM progress WHERE source = ?", (source,)
            ).fetchall()
        return {str(link): float(until) for link, until in rows}

    def _choose(
        self, link_id: str, lo: int, hi: int, known: Mapping[str, SourceInfo]
    ) -> tuple[str | None, int]:
        """The source chosen for the link's window, and among how many."""
        with self._errors("read"):
            rows = self._db.execute(
                "SELECT source, COUNT(DISTINCT day) FROM segments "
                "WHERE link_id = ? AND day BETWEEN ? AND ? GROUP BY source",
                (link_id, lo, hi),
            ).fetchall()
        if len(rows) <= 1:
            return (str(rows[0][0]) if rows else None), len(rows)
        uses = [SourceUse(known.get(str(name), OWN), int(days)) for name, days in rows]
        return choose_source(uses).name, len(rows)

    def _read_link(
        self,
        link_id: str,
        lo: int,
        hi: int,
        since: float | None,
        until: float | None,
        source: str = "",
    ) -> SampleArrays | None:
        with self._errors("read"):
            rows = self._db.execute(
                "SELECT day, n, data FROM segments WHERE link_id = ? AND day BETWEEN ? AND ? "
                "AND source = ? ORDER BY day, id",
                (link_id, lo, hi, source),
            ).fetchall()
        if not rows:
            return None
        for day, n, data in rows:
            self._check_segment(link_id, day, n, data)
        blob = rows[0][2] if len(rows) == 1 else b"".join(row[2] for row in rows)
        records: Records = np.frombuffer(blob, dtype=RECORD)
        ts = records["ts"]
        if ts.shape[0] > 1 and not bool(np.all(ts[1:] > ts[:-1])):
            records = records[np.argsort(ts, kind="stable")]
            ts = records["ts"]
            records = records[np.concatenate(([True], ts[1:] != ts[:-1]))]
            ts = records["ts"]
        first = 0 if since is None else int(np.searchsorted(ts, since, side="left"))
        stop = ts.shape[0] if until is None else int(np.searchsorted(ts, until, side="right"))
        return SampleArrays.from_records(records[first:stop]) if stop > first else None

    def _check_segment(self, link_id: str, day: int, n: int, data: object) -> None:
        if not isinstance(data, bytes) or len(data) != n * RECORD.itemsize:
            raise StoreError(
                f"sample store {self.path} is corrupt: segment of link {link_id!r} "
                f"day {day} does not hold {n} samples"
            )

    def _decode(self, link_id: str, day: int, n: int, data: object) -> Records:
        self._check_segment(link_id, day, n, data)
        assert isinstance(data, bytes)
        return np.frombuffer(data, dtype=RECORD)

    def prune(self, before: float) -> int:
        """Delete the samples of whole UTC days that end before ``before``; returns segments."""
        day = math.floor(before / SECONDS_PER_DAY)
        with self._errors("write to"):
            cur = self._db.execute("DELETE FROM segments WHERE day < ?", (day,))
        return int(cur.rowcount)
