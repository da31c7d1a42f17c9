"""The register's SQLite file: connection settings and schema migrations.

Schema (version 4)::

    schema_version(version)                     one row: the schema's version
    requests(id, year, seq, opd, link_id, rate_bps, created_at,
             head_hash, record_count, closed_at)    one row per request (KB-<year>-<NNNN>)
    records(case_id, seq, step, kind, body, hash, sig)  the chained records, seq 1..n
    request_seq(year, last)                     last sequence number given out per year

``body`` is the record's canonical JSON (``bwauto.case.records``); ``hash`` its SHA-256;
``sig`` the author's signature of ``hash``; ``head_hash``/``record_count`` the case's last hash
and length. Each record's hash is also appended to ``register.journal`` beside the file, an
anchor outside the database. Every write runs in a ``BEGIN IMMEDIATE`` transaction: two
processes never interleave, and a crash leaves the previous state. ``MIGRATIONS[i]`` takes the
schema from version ``i`` to ``i + 1``; a file is migrated when opened.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bwauto.errors import StoreError

FILENAME = "register.sqlite"

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 0 -> 1: requests and their chained records
        """CREATE TABLE requests (
            id TEXT PRIMARY KEY, year INTEGER NOT NULL, seq INTEGER NOT NULL,
            opd TEXT NOT NULL, link_id TEXT NOT NULL, rate_bps INTEGER NOT NULL,
            created_at TEXT NOT NULL, head_hash TEXT NOT NULL, record_count INTEGER NOT NULL,
            UNIQUE (year, seq))""",
        """CREATE TABLE records (
            case_id TEXT NOT NULL REFERENCES requests(id), seq INTEGER NOT NULL,
            step INTEGER NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, hash TEXT NOT NULL,
            PRIMARY KEY (case_id, seq))""",
    ),
    (  # 1 -> 2: a sequence table per year (ids were MAX(seq) + 1 before)
        "CREATE TABLE request_seq (year INTEGER PRIMARY KEY, last INTEGER NOT NULL)",
        "INSERT INTO request_seq (year, last) SELECT year, MAX(seq) FROM requests GROUP BY year",
    ),
    (  # 2 -> 3: closed_at for listing open requests without replaying them; index by OPD
        "ALTER TABLE requests ADD COLUMN closed_at TEXT",
        """UPDATE requests SET closed_at = (
            SELECT json_extract(r.body, '$.at') FROM records r
            WHERE r.case_id = requests.id AND r.kind = 'close')""",
        "CREATE INDEX requests_opd ON requests (opd)",
    ),
    (  # 3 -> 4: each record's signature (bwauto.case.signing), beside its hash
        "ALTER TABLE records ADD COLUMN sig TEXT",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def register_path(state_dir: Path) -> Path:
    """``<state_dir>/register.sqlite``."""
    return Path(state_dir) / FILENAME


def connect(path: Path) -> sqlite3.Connection:
    """Open the register (creating its directory) in autocommit mode; waits up to 30 s for locks.

    Raises:
        StoreError: if the file cannot be opened as SQLite.
    """
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
    except (OSError, sqlite3.DatabaseError) as exc:
        raise StoreError(f"register {path}: {exc}") from exc
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any error)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    """The file's schema version (0 for a new file)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema to ``target`` (default: the latest) in one transaction.

    Returns:
        The version the file had before.

    Raises:
        StoreError: if the file is newer than this bwauto knows.
    """
    with transaction(conn):
        before = schema_version(conn)
        if before > SCHEMA_VERSION:
            raise StoreError(
                f"register schema version {before} is newer than this bwauto "
                f"(knows {SCHEMA_VERSION}): upgrade bwauto"
            )
        for statements in MIGRATIONS[before:target]:
            for sql in statements:
                conn.execute(sql)
        if before < target:
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))
    return before
