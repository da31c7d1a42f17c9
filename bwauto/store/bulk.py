"""Writing many samples in one transaction: dedup, conflicts, segments (``SampleStore.bulk``).

A sample whose (link, source, ts) is stored is skipped when its counters are equal, and is a
*conflict* when they differ; ``OnConflict`` says what then happens.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from bwauto.store.records import Records, SampleArrays, check_arrays, split_days
from bwauto.store.sources import SourceInfo

if TYPE_CHECKING:
    from bwauto.store.samples import SampleStore

OnConflict = Literal["refuse", "keep", "replace"]
"""What a write does with a sample whose (link, ts) is stored with *different* counters:
``refuse`` lists it (the caller then rolls back), ``keep`` keeps the stored one, ``replace``
stores the new one. A sample equal to the stored one is always skipped."""


@dataclass(frozen=True, slots=True)
class Conflict:
    """A sample whose (link, ts) is stored with different counters."""

    link_id: str
    ts: float
    stored: tuple[int, int]
    new: tuple[int, int]


@dataclass
class BulkWriter:
    """Adds samples inside ``SampleStore.bulk``'s transaction and counts what happened."""

    db: sqlite3.Connection
    store: SampleStore
    source: SourceInfo
    on_conflict: OnConflict = "keep"
    keep_conflicts: int = 20
    added: int = 0
    conflict_count: int = 0
    conflicts: list[Conflict] = field(default_factory=list)

    def register_source(self) -> None:
        """Record the source (its step and coarseness) for the readers; a step of 0 (not
        known in this run) keeps the one recorded before."""
        s = self.source
        self.db.execute(
            "INSERT INTO sources (name, kind, step_s, coarse) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, coarse = excluded.coarse, "
            "step_s = CASE WHEN excluded.step_s > 0 THEN excluded.step_s ELSE step_s END",
            (s.name, s.kind, s.step_s, int(s.coarse)),
        )

    def add(self, series: Mapping[str, SampleArrays]) -> int:
        """Store per link its samples (any order; duplicate ``ts`` keep the first); returns
        how many were new or replaced."""
        added = 0
        for link_id, arrays in series.items():
            check_arrays(link_id, arrays)
            stored = self._stored_days(link_id)
            for day, rec in split_days(arrays.to_records()):
                if day in stored:
                    added += self._merge(link_id, day, rec)
                else:  # nothing to compare with: one segment
                    self._insert(link_id, day, rec)
                    added += int(rec.shape[0])
        self.added += added
        return added

    def set_progress(self, link_id: str, until: float) -> None:
        """Note that this source is imported for ``link_id`` up to ``until`` (resumption)."""
        self.db.execute(
            "INSERT OR REPLACE INTO progress (source, link_id, until) VALUES (?, ?, ?)",
            (self.source.name, link_id, until),
        )

    def _stored_days(self, link_id: str) -> set[int]:
        rows = self.db.execute(
            "SELECT DISTINCT day FROM segments WHERE link_id = ? AND source = ?",
            (link_id, self.source.name),
        ).fetchall()
        return {int(r[0]) for r in rows}

    def _merge(self, link_id: str, day: int, new: Records) -> int:
        key = (link_id, day, self.source.name)
        rows = self.db.execute(
            "SELECT id, n, data FROM segments WHERE link_id = ? AND day = ? AND source = ? "
            "ORDER BY id",
            key,
        ).fetchall()
        old = [self.store._decode(link_id, day, n, data) for _, n, data in rows]
        replace = False
        if old:
            stored = np.concatenate(old) if len(old) > 1 else old[0]
            seen = np.isin(new["ts"], stored["ts"])
            if bool(seen.any()):
                differ = self._conflicts(link_id, stored, new[seen])
                replace = self.on_conflict == "replace" and bool(differ.any())
                if replace:
                    gone = np.isin(stored["ts"], new[seen][differ]["ts"])
                    old = [stored[~gone]]
                    new = np.concatenate((new[~seen], new[seen][differ]))
                else:
                    new = new[~seen]
        if new.shape[0] == 0:
            return 0
        if replace or len(rows) + 1 > self.store.max_segments:
            merged = np.concatenate([*old, new])
            merged = merged[np.argsort(merged["ts"], kind="stable")]
            self.db.execute(
                "DELETE FROM segments WHERE link_id = ? AND day = ? AND source = ?", key
            )
            self._insert(link_id, day, merged)
        else:
            self._insert(link_id, day, new)
        return int(new.shape[0])

    def _insert(self, link_id: str, day: int, records: Records) -> None:
        self.db.execute(
            "INSERT INTO segments (link_id, day, n, data, source) VALUES (?, ?, ?, ?, ?)",
            (link_id, day, int(records.shape[0]), records.tobytes(), self.source.name),
        )

    def _conflicts(self, link_id: str, stored: Records, dup: Records) -> npt.NDArray[np.bool_]:
        """Which of ``dup`` (whose ts are stored) differ from the stored sample; noted."""
        order = np.argsort(stored["ts"], kind="stable")
        at = order[np.searchsorted(stored["ts"], dup["ts"], sorter=order)]
        old = stored[at]
        differ: npt.NDArray[np.bool_] = (old["in"] != dup["in"]) | (old["out"] != dup["out"])
        self.conflict_count += int(differ.sum())
        room = max(self.keep_conflicts - len(self.conflicts), 0)
        for i in np.flatnonzero(differ)[:room]:
            self.conflicts.append(
                Conflict(
                    link_id,
                    float(dup["ts"][i]),
                    (int(old["in"][i]), int(old["out"][i])),
                    (int(dup["in"][i]), int(dup["out"][i])),
                )
            )
        return differ
