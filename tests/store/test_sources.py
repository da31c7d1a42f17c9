"""One store, many sources: kept apart, idempotent per source, one chosen per link by a rule."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np

from bwauto.store import SampleArrays, SampleStore
from bwauto.store.sources import OWN, RULE_ID, SourceInfo

PROM = SourceInfo("prometheus http://p", "prometheus", 15.0)
TREND = SourceInfo("zabbix-trend http://z", "zabbix-trend", 3600.0, coarse=True)
DAY = 86_400.0


def series(start: float, days: float, step: float, k: int = 1) -> SampleArrays:
    ts = start + np.arange(0, days * DAY, step)
    n = ts.shape[0]
    return SampleArrays(ts, np.full(n, np.nan), np.arange(n, dtype=np.uint64) * np.uint64(k),
                        np.arange(n, dtype=np.uint64), np.full(n, 64, np.uint8))  # fmt: skip


def test_sources_are_kept_apart_and_idempotent(tmp_path: Path) -> None:
    with SampleStore(tmp_path / "s.sqlite", create=True) as store:
        store.append_arrays({"a": series(0, 2, 300)})
        with store.bulk(source=PROM) as w:
            w.add({"a": series(0, 2, 300, k=5)})  # same ts, other counters: another source
        assert w.added == 576 and w.conflict_count == 0
        with store.bulk(source=PROM) as w:
            w.add({"a": series(0, 2, 300, k=5)})
        assert w.added == 0
        assert store.read(source="")["a"].in_octets[2] == 2
        assert store.read(source=PROM.name)["a"].in_octets[2] == 10
        assert store.sources()[PROM.name] == PROM


def test_the_finest_source_that_covers_the_window_is_chosen(tmp_path: Path) -> None:
    with SampleStore(tmp_path / "s.sqlite", create=True) as store:
        store.append_arrays({"a": series(28 * DAY, 2, 300)})  # 2 days polled
        with store.bulk(source=PROM) as w:
            w.add({"a": series(0, 30, 60)})  # a month of Prometheus
        with store.bulk(source=TREND) as w:
            w.add({"a": series(0, 30, 3600), "b": series(0, 30, 3600)})
        got = {link: src for link, src, _ in store.iter_sourced(since=0, until=30 * DAY)}
        assert got == {"a": replace(PROM, among=3), "b": TREND}
        assert got["a"].label() == f"{PROM.name} (dipilih dari 3 sumber: {RULE_ID})"
        assert got["b"].label() == f"{TREND.name} (kasar)"
        late = {link: src for link, src, _ in store.iter_sourced(["a"], 28 * DAY, 30 * DAY)}
        assert late == {"a": replace(OWN, among=3)}  # same coverage: bwauto's own polls win


def test_a_version_1_store_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE segments (id INTEGER PRIMARY KEY, link_id TEXT NOT NULL, "
        "day INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);"
        "INSERT INTO meta VALUES ('format', 'bwauto-samples'), ('version', '1');"
    )
    records = series(0, 1, 300).to_records()
    db.execute("INSERT INTO segments (link_id, day, n, data) VALUES ('a', 0, ?, ?)",
               (records.shape[0], records.tobytes()))  # fmt: skip
    db.commit()
    db.close()
    with SampleStore(path) as store:
        assert len(store.read()["a"]) == 288
        with store.bulk(source=PROM) as w:
            w.add({"a": series(0, 1, 300)})
        assert w.added == 288
    version = sqlite3.connect(path).execute("SELECT value FROM meta WHERE key='version'")
    assert version.fetchone()[0] == "2"
