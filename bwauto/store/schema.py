"""The sample store's SQLite schema (see ``bwauto.store.samples``) and its error mapping."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType

from bwauto.errors import StoreError

SCHEMA_VERSION = 2

V2_TABLES = (
    "CREATE TABLE IF NOT EXISTS sources (name TEXT PRIMARY KEY, kind TEXT NOT NULL, "
    "step_s REAL NOT NULL, coarse INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS progress (source TEXT NOT NULL, link_id TEXT NOT NULL, "
    "until REAL NOT NULL, PRIMARY KEY (source, link_id))",
)
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY, link_id TEXT NOT NULL, "
    "day INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL, "
    "source TEXT NOT NULL DEFAULT '')",
    "CREATE INDEX IF NOT EXISTS segments_link_day ON segments(link_id, day)",
    *V2_TABLES,
    "INSERT OR IGNORE INTO meta VALUES ('format', 'bwauto-samples'), "
    f"('version', '{SCHEMA_VERSION}')",
)
UPGRADE_1_TO_2 = (
    "ALTER TABLE segments ADD COLUMN source TEXT NOT NULL DEFAULT ''",
    *V2_TABLES,
    "UPDATE meta SET value = '2' WHERE key = 'version'",
)


class SqliteErrors:
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
