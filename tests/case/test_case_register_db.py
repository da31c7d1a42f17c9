"""The register's file: migrations from an old schema, ids per year, two processes at once."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from case_inputs import Clock, new_request

from bwauto.case.db import MIGRATIONS, SCHEMA_VERSION, connect, migrate, schema_version
from bwauto.case.mutu_baku import WIB
from bwauto.case.register import Register
from bwauto.errors import StoreError


def test_new_file_gets_the_latest_schema(reg: Register) -> None:
    new_request(reg)
    conn = connect(reg.path)
    assert schema_version(conn) == SCHEMA_VERSION == 4
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"schema_version", "requests", "records", "request_seq"} <= tables


def test_a_version_1_register_is_migrated(tmp_path: Path) -> None:
    """Build a register as bwauto with schema 1 wrote it (a closed case), then open it."""
    path = tmp_path / "register.sqlite"
    old = Register(tmp_path / "scratch.sqlite", clock=Clock(dt.datetime(2026, 1, 5, 9, tzinfo=WIB)))
    case_id = old.new(
        opd="Bapenda",
        letter_no="7",
        letter_date=dt.date(2026, 1, 2),
        link_id="bapenda",
        rate_bps=50_000_000,
        purpose="e-PBB",
    )
    body, digest = sqlite3.connect(old.path).execute("SELECT body, hash FROM records").fetchone()
    conn = connect(path)
    migrate(conn, target=1)
    assert schema_version(conn) == 1
    conn.execute(
        "INSERT INTO requests VALUES (?, 2026, 1, 'Bapenda', 'bapenda', 50000000, "
        "'2026-01-05T02:00:00+00:00', ?, 2)",
        (case_id, "h"),
    )
    conn.execute("INSERT INTO records VALUES (?, 1, 1, 'new', ?, ?)", (case_id, body, digest))
    conn.execute(
        "INSERT INTO records VALUES (?, 2, 14, 'close', ?, 'x')",
        (case_id, '{"at": "2026-01-09T03:00:00+00:00"}'),
    )
    conn.close()

    reg = Register(path, clock=Clock(dt.datetime(2026, 1, 12, 9, tzinfo=WIB)))
    row = reg.get(case_id).row
    assert row is not None and row[4] == "2026-01-09T03:00:00+00:00"  # backfilled by 2 -> 3
    assert schema_version(connect(path)) == SCHEMA_VERSION
    assert new_request(reg) == "KB-2026-0002"  # the sequence continues (migration 1 -> 2)
    assert [c.id for c in reg.cases(opd="bapenda", open_only=False)] == [case_id]
    # listed on what the hashed records say: this hand-made 'close' is not a record
    assert [c.id for c in reg.cases(open_only=True)] == [case_id, "KB-2026-0002"]


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    conn = connect(tmp_path / "r.sqlite")
    migrate(conn)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="schema version 5 is newer than this bwauto"):
        migrate(conn)


def test_migrations_are_ordered_sql() -> None:
    assert len(MIGRATIONS) == SCHEMA_VERSION
    assert "CREATE TABLE requests" in MIGRATIONS[0][0]
    assert "request_seq" in MIGRATIONS[1][0]


def test_ids_per_year(tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2026, 12, 31, 16, 59, tzinfo=dt.UTC))  # 23:59 WIB
    reg = Register(tmp_path / "r.sqlite", clock=clock)
    assert [new_request(reg), new_request(reg)] == ["KB-2026-0001", "KB-2026-0002"]
    clock.advance(minutes=2)  # 00:01 WIB on 1 January 2027
    assert new_request(reg) == "KB-2027-0001"


def _create(path: str, n: int) -> list[str]:
    reg = Register(Path(path), user="worker")
    return [new_request(reg) for _ in range(n)]


def test_two_processes_get_distinct_consecutive_ids(tmp_path: Path) -> None:
    path = tmp_path / "register.sqlite"
    Register(path).cases()  # create and migrate once, as the first command would
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        batches = pool.starmap(_create, [(str(path), 15), (str(path), 15)])
    ids = sorted(batches[0] + batches[1])
    year = dt.datetime.now(WIB).year
    assert ids == [f"KB-{year}-{n:04d}" for n in range(1, 31)]
    assert all(len(Register(path).get(i).stored) == 1 for i in ids[:3])
