"""The sample store: round trips, duplicates, segments, windows, errors, concurrency, crashes."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from bwauto.errors import StoreError
from bwauto.store import Sample, SampleArrays, SampleStore, store_path
from bwauto.store.samples import RECORD

DAY = 86_400


def samples(link: str, start: float, count: int, step: float = 300.0) -> list[Sample]:
    return [Sample(link, start + i * step, 1000.0 + i * step, 10 * i, 20 * i) for i in range(count)]


def test_record_layout_is_33_packed_bytes() -> None:
    assert RECORD.itemsize == 33


def test_missing_store_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"samples.sqlite does not exist: poll the links"):
        SampleStore(tmp_path / "samples.sqlite")
    assert not (tmp_path / "samples.sqlite").exists()


def test_create_makes_the_state_dir(tmp_path: Path) -> None:
    path = store_path(tmp_path / "a" / "b")
    SampleStore(path, create=True).close()
    with SampleStore(path) as again:
        assert again.links() == []


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "samples.sqlite"
    bad.write_bytes(b"not sqlite at all " * 100)
    with pytest.raises(StoreError, match=r"cannot open sample store .*not a database"):
        SampleStore(bad)


def test_another_sqlite_database(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a bwauto sample store"):
        SampleStore(other)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    SampleStore(path, create=True).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="schema version 99"):
        SampleStore(path)


def test_corrupt_segment_is_a_store_error(store: SampleStore) -> None:
    store.append(samples("a", 0, 3))
    db = sqlite3.connect(store.path)
    db.execute("UPDATE segments SET data = x'0102'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="corrupt: segment of link 'a' day 0"):
        store.read()


def test_round_trip_keeps_every_value_exact(store: SampleStore) -> None:
    top = 2**64 - 1
    added = store.append(
        [
            Sample("a", 1000.25, 55.5, top, 0),
            Sample("a", 1300.5, None, top - 1, 2**63),
            Sample("b", 1000.0, 7.0, 2**32 - 1, 5, counter_bits=32),
        ]
    )
    assert added == 3
    got = store.read()
    a, b = got["a"], got["b"]
    assert a.ts.tolist() == [1000.25, 1300.5]
    assert a.uptime[0] == 55.5 and np.isnan(a.uptime[1])
    assert a.in_octets.tolist() == [top, top - 1]
    assert a.out_octets.tolist() == [0, 2**63]
    assert a.counter_bits.tolist() == [64, 64]
    assert b.in_octets.tolist() == [2**32 - 1] and b.counter_bits.tolist() == [32]
    assert a.in_octets.dtype == np.uint64 and a.ts.dtype == np.float64
    assert store.links() == ["a", "b"]


def test_duplicates_by_timestamp_are_ignored(store: SampleStore) -> None:
    assert store.append(samples("a", 0, 10)) == 10
    assert store.append(samples("a", 0, 10)) == 0
    assert store.append(samples("a", 1500, 10)) == 5  # 5 of them already stored
    same_ts_other_values = [Sample("a", 0.0, 1.0, 999, 999)]
    assert store.append(same_ts_other_values) == 0
    assert store.read()["a"].in_octets[0] == 0  # the first stored value stays
    # The same timestamp for another link is another sample.
    assert store.append([Sample("b", 0.0, None, 1, 1)]) == 1


def test_duplicates_inside_one_batch_keep_the_first(store: SampleStore) -> None:
    assert store.append([Sample("a", 5.0, None, 1, 1), Sample("a", 5.0, None, 2, 2)]) == 1
    assert store.read()["a"].in_octets.tolist() == [1]


def test_out_of_order_appends_read_back_sorted(store: SampleStore) -> None:
    store.append(samples("a", 3000, 5))
    store.append(samples("a", 0, 5))
    store.append(list(reversed(samples("a", 1500, 5))))
    ts = store.read()["a"].ts
    assert ts.tolist() == [300.0 * i for i in range(15)]


def test_segments_are_merged_beyond_max_segments(tmp_path: Path) -> None:
    s = SampleStore(tmp_path / "s.sqlite", create=True, max_segments=4)
    for sample in samples("a", 0, 50):  # one append per poll, as a poller does
        s.append([sample])
    rows = sqlite3.connect(s.path).execute("SELECT COUNT(*) FROM segments").fetchone()[0]
    assert rows <= 4
    got = s.read()["a"]
    assert got.ts.tolist() == [300.0 * i for i in range(50)]
    assert got.in_octets.tolist() == [10 * i for i in range(50)]
    s.close()


def test_samples_are_cut_into_utc_days(store: SampleStore) -> None:
    store.append(samples("a", DAY - 600, 5))  # two before midnight UTC, three after
    days = sqlite3.connect(store.path).execute("SELECT day, n FROM segments ORDER BY day")
    assert days.fetchall() == [(0, 2), (1, 3)]


def test_read_window_is_inclusive_and_per_link(store: SampleStore) -> None:
    store.append(samples("a", 0, 2 * 288))  # two days
    store.append(samples("b", 0, 3))
    got = store.read(["a"], since=DAY - 300, until=DAY + 300)
    assert list(got) == ["a"]
    assert got["a"].ts.tolist() == [DAY - 300, DAY, DAY + 300]
    assert list(store.read(["a", "b", "nope"], since=DAY)) == ["a"]
    assert store.read(["b"], until=300)["b"].ts.tolist() == [0, 300]
    assert store.read(["a"], since=10 * DAY) == {}


def test_iter_read_yields_links_in_the_order_asked(store: SampleStore) -> None:
    for link in ("c", "a", "b"):
        store.append(samples(link, 0, 2))
    assert [k for k, _ in store.iter_read(["b", "c", "a"])] == ["b", "c", "a"]


def test_append_arrays_in_bulk(store: SampleStore) -> None:
    n = 3 * 288
    arrays = SampleArrays(
        ts=300.0 * np.arange(n),
        uptime=np.full(n, np.nan),
        in_octets=np.arange(n, dtype=np.uint64),
        out_octets=np.arange(n, dtype=np.uint64) * 2,
        counter_bits=np.full(n, 64, np.uint8),
    )
    assert store.append_arrays({"x": arrays, "y": arrays}) == 2 * n
    assert store.append_arrays({"x": arrays}) == 0
    got = store.read(["y"])["y"]
    assert np.array_equal(got.out_octets, arrays.out_octets)


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        (Sample("a", 0.0, None, 2**32, 0, counter_bits=32), "is not a 32-bit counter"),
        (Sample("a", 0.0, None, -1, 0), "is not a 64-bit counter"),
        (Sample("a", 0.0, None, 0, 2**64), "is not a 64-bit counter"),
        (Sample("a", float("nan"), None, 0, 0), "is not a time"),
        (Sample("a", 0.0, -1.0, 0, 0), "is not a duration"),
        (Sample("a", 0.0, None, 0, 0, counter_bits=16), "must be 32 or 64"),
        (Sample("", 0.0, None, 0, 0), "needs a link_id"),
    ],
)
def test_malformed_samples_are_refused_and_nothing_is_stored(
    store: SampleStore, sample: Sample, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.append([Sample("ok", 1.0, None, 1, 1), sample])
    assert store.links() == []


def test_a_locked_store_says_so(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    SampleStore(path, create=True).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with SampleStore(path, busy_timeout_s=0.2) as s, pytest.raises(StoreError, match="locked"):
            s.append(samples("a", 0, 1))
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_prune_deletes_whole_days_before(store: SampleStore) -> None:
    store.append(samples("a", 0, 3 * 288))
    assert store.prune(2 * DAY + 5) == 2
    assert store.read()["a"].ts[0] == 2 * DAY


# -- concurrency and crashes ----------------------------------------------------------------------


def _poller(path: str, worker: int, rounds: int) -> None:
    """Append like a poller: one transaction per round, samples of 20 links each time."""
    with SampleStore(path, create=True, busy_timeout_s=30.0, max_segments=3) as s:
        for r in range(rounds):
            ts = 300.0 * (2 * r + worker)  # the two workers interleave their timestamps
            s.append([Sample(f"l{i}", ts, None, r, worker) for i in range(20)])


def test_two_processes_appending_at_once_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "samples.sqlite")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_poller, args=(path, w, 60)) for w in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with SampleStore(path) as s:
        got = s.read()
    assert set(got) == {f"l{i}" for i in range(20)}
    for arrays in got.values():
        assert arrays.ts.tolist() == [300.0 * k for k in range(120)]
        assert arrays.out_octets.tolist() == [k % 2 for k in range(120)]


def _crash_mid_append(path: str) -> None:
    s = SampleStore(path, create=True)
    s.append(samples("a", 0, 10))  # committed
    # Start the next append by hand and die before its COMMIT, as a killed poller would.
    s._db.execute("BEGIN IMMEDIATE")
    s._db.execute("INSERT INTO segments (link_id, day, n, data) VALUES ('a', 0, 0, x'')")
    s._db.execute("DELETE FROM segments WHERE n = 10")
    os._exit(9)


def test_a_crash_mid_append_loses_nothing_stored_before(tmp_path: Path) -> None:
    path = str(tmp_path / "samples.sqlite")
    p = multiprocessing.get_context("spawn").Process(target=_crash_mid_append, args=(path,))
    p.start()
    p.join(60)
    assert p.exitcode == 9
    with SampleStore(path) as s:
        got = s.read()["a"]
        assert got.ts.tolist() == [300.0 * i for i in range(10)]
        assert s.append(samples("a", 3000, 2)) == 2  # and the store still takes appends


def _open_and_append(path: str, k: int) -> None:
    with SampleStore(path, create=True, busy_timeout_s=10.0) as s:
        s.append([Sample("l", float(k), None, 1, 1)])


def test_pollers_creating_a_new_store_at_the_same_moment_all_succeed(tmp_path: Path) -> None:
    """Switching a new file to WAL is refused at once (no busy wait) while another process does
    it: seen in CI as 'locked'. Rounds of eight processes make the race likely."""
    ctx = multiprocessing.get_context("fork")
    for round_no in range(40):
        path = str(tmp_path / f"s{round_no}.sqlite")
        procs = [ctx.Process(target=_open_and_append, args=(path, k)) for k in range(8)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0] * 8
        with SampleStore(path) as s:
            assert len(s.read()["l"].ts) == 8
