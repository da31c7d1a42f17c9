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

Schema (version 1)
------------------
::

    meta(key TEXT PRIMARY KEY, value TEXT)     -- ('format', 'bwauto-samples'), ('version', '1')
    segments(
        id      INTEGER PRIMARY KEY,           -- write order
        link_id TEXT NOT NULL,
        day     INTEGER NOT NULL,              -- floor(ts / 86400): the UTC day of the samples
        n       INTEGER NOT NULL,              -- number of samples in data
        data    BLOB NOT NULL                  -- n packed little-endian records, sorted by ts
    )
    INDEX segments_link_day ON segments(link_id, day)

A record is 33 bytes, ``RECORD`` below: ``ts`` float64 (unix seconds, manager clock),
``uptime`` float64 (seconds; NaN when unknown), ``in`` and ``out`` uint64 (octet counters),
``bits`` uint8 (counter width, 32 or 64). Within a link, a timestamp is stored once: appending a
sample whose ``ts`` is already stored does nothing (so re-running an import adds nothing).

Concurrency and crashes: every append is one ``BEGIN IMMEDIATE`` transaction (writers queue on
SQLite's lock, waiting up to ``busy_timeout_s``); readers are never blocked (WAL). A crash or
kill mid-append rolls back that append only; everything committed before stays.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType

import numpy as np

from bwauto.errors import StoreError
from bwauto.store.records import (
    RECORD,
    SECONDS_PER_DAY,
    Records,
    Sample,
    SampleArrays,
    check_arrays,
    check_sample,
    samples_to_arrays,
    split_days,
)

__all__ = ["DEFAULT_FILENAME", "RECORD", "Sample", "SampleArrays", "SampleStore", "store_path"]

DEFAULT_FILENAME = "samples.sqlite"
"""The store's file name inside the state dir."""

SCHEMA_VERSION = 1

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY, link_id TEXT NOT NULL, "
    "day INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS segments_link_day ON segments(link_id, day)",
    "INSERT OR IGNORE INTO meta VALUES ('format', 'bwauto-samples'), "
    f"('version', '{SCHEMA_VERSION}')",
)


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
                for statement in _SCHEMA:
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

    def _errors(self, action: str) -> _SqliteErrors:
        return _SqliteErrors(self.path, action)

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
        groups: list[tuple[str, int, Records]] = []
        for link_id, arrays in series.items():
            check_arrays(link_id, arrays)
            groups.extend((link_id, day, rec) for day, rec in split_days(arrays.to_records()))
        if not groups:
            return 0
        with self._errors("write to"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                added = sum(self._merge(link_id, day, rec) for link_id, day, rec in groups)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        return added

    def _merge(self, link_id: str, day: int, new: Records) -> int:
        rows = self._db.execute(
            "SELECT id, n, data FROM segments WHERE link_id = ? AND day = ? ORDER BY id",
            (link_id, day),
        ).fetchall()
        old = [self._decode(link_id, day, n, data) for _, n, data in rows]
        if old:
            new = new[~np.isin(new["ts"], np.concatenate([r["ts"] for r in old]))]
        if new.shape[0] == 0:
            return 0
        if len(rows) + 1 > self.max_segments:
            merged = np.concatenate([*old, new])
            merged = merged[np.argsort(merged["ts"], kind="stable")]
            self._db.execute("DELETE FROM segments WHERE link_id = ? AND day = ?", (link_id, day))
            self._insert(link_id, day, merged)
        else:
            self._insert(link_id, day, new)
        return int(new.shape[0])

    def _insert(self, link_id: str, day: int, records: Records) -> None:
        self._db.execute(
            "INSERT INTO segments (link_id, day, n, data) VALUES (?, ?, ?, ?)",
            (link_id, day, int(records.shape[0]), records.tobytes()),
        )

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
    ) -> dict[str, SampleArrays]:
        """The samples with ``since <= ts <= until``, per link; links without any are left out.

        Args:
            link_ids: the links to read; ``None`` for every stored link.
            since: first unix second included (``None``: from the start).
            until: last unix second included (``None``: to the end).
        """
        return dict(self.iter_read(link_ids, since, until))

    def iter_read(
        self,
        link_ids: Iterable[str] | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> Iterator[tuple[str, SampleArrays]]:
        """Like ``read`` but yields one link at a time, so only one link is in memory."""
        ids = self.links() if link_ids is None else list(dict.fromkeys(link_ids))
        lo = -(2**62) if since is None else math.floor(since / SECONDS_PER_DAY)
        hi = 2**62 if until is None else math.floor(until / SECONDS_PER_DAY)
        for link_id in ids:
            arrays = self._read_link(link_id, lo, hi, since, until)
            if arrays is not None:
                yield link_id, arrays

    def _read_link(
        self, link_id: str, lo: int, hi: int, since: float | None, until: float | None
    ) -> SampleArrays | None:
        with self._errors("read"):
            rows = self._db.execute(
                "SELECT day, n, data FROM segments WHERE link_id = ? AND day BETWEEN ? AND ? "
                "ORDER BY day, id",
                (link_id, lo, hi),
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


class _SqliteErrors:
    """Turn sqlite3 errors into one-line ``StoreError``s saying what and where."""

    def __init__(self, path: Path, action: str) -> None:
        self.path = path
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or not isinstance(exc, sqlite3.Error):
            return
        if "locked" in str(exc) or "busy" in str(exc):
            msg = f"sample store {self.path} is locked by another bwauto process: try again later"
        else:
            msg = f"cannot {self.action} sample store {self.path}: {exc}"
        raise StoreError(msg) from exc
