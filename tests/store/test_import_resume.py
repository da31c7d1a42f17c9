"""The source import driver: check every link first, then link by link with progress, resume.

The source here is a plain object following ``run.Source`` (pure driver logic); the real
servers are in ``test_import_prometheus.py`` and ``tests/monitoring/test_import_*_live.py``.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from bwauto.errors import ImportDataError, MonitoringError
from bwauto.importers.run import import_source
from bwauto.store import SampleArrays, SampleStore
from bwauto.store.lines import PIECE, LineTooLong, iter_blocks
from bwauto.store.sources import SourceInfo


class FlakySource:
    """Serves 100 samples per link; fails fetching ``fail_on`` (once), or resolving ``missing``."""

    def __init__(self, fail_on: str | None = None, missing: str | None = None) -> None:
        self.fail_on, self.missing = fail_on, missing
        self.fetched: list[tuple[str, float, float]] = []

    @property
    def info(self) -> SourceInfo:
        return SourceInfo("fake http://x", "prometheus", 60.0)

    def resolve(self, link: str, since: float, until: float) -> str:
        if link == self.missing:
            raise ImportDataError(f"fake: no series for {link}")
        return link

    def fetch(self, link: str, since: float, until: float) -> SampleArrays:
        self.fetched.append((link, since, until))
        if link == self.fail_on:
            self.fail_on = None
            raise MonitoringError("fake http://x: connection reset")
        ts = np.arange(since, until, 60.0)
        n = ts.shape[0]
        return SampleArrays(ts, np.full(n, np.nan), np.arange(n, dtype=np.uint64),
                            np.arange(n, dtype=np.uint64), np.full(n, 64, np.uint8))  # fmt: skip


LINKS = [("a", "a"), ("b", "b"), ("c", "c")]


def test_an_interrupted_import_keeps_finished_links_and_resumes(tmp_path: Path) -> None:
    with SampleStore(tmp_path / "s.sqlite", create=True) as store:
        source = FlakySource(fail_on="b")
        with pytest.raises(MonitoringError, match=r"reset \(1 links imported before it; run"):
            import_source(store, source, LINKS, 0.0, 6000.0)
        last = 5940.0  # progress is the last sample read, where the next run starts again
        assert store.links() == ["a"] and store.progress("fake http://x") == {"a": last}
        report = import_source(store, source, LINKS, 0.0, 6000.0)
        assert report.resumed == {"a": last}
        assert report.added == {"a": 0, "b": 100, "c": 100}
        later = import_source(store, source, LINKS, 0.0, 9000.0)  # a longer window: the rest
        assert later.added == {"a": 50, "b": 50, "c": 50}
        assert source.fetched[-1] == ("c", last, 9000.0)


def test_a_link_that_gave_no_samples_is_read_whole_next_time(tmp_path: Path) -> None:
    """Outside look: an import that read 0 samples marked the link done, so history added to
    the source later (backdated) was never imported."""

    class LateSource(FlakySource):
        def fetch(self, link: str, since: float, until: float) -> SampleArrays:
            arrays = super().fetch(link, since, until)
            return arrays if len(self.fetched) > 1 else arrays.__class__(
                *(a[:0] for a in (arrays.ts, arrays.uptime, arrays.in_octets,
                                  arrays.out_octets, arrays.counter_bits)))  # fmt: skip

    with SampleStore(tmp_path / "s.sqlite", create=True) as store:
        source = LateSource()
        assert import_source(store, source, [("a", "a")], 0.0, 6000.0).added == {"a": 0}
        assert store.progress("fake http://x") == {}
        assert import_source(store, source, [("a", "a")], 0.0, 6000.0).added == {"a": 100}


def test_a_link_missing_in_the_source_imports_nothing(tmp_path: Path) -> None:
    with SampleStore(tmp_path / "s.sqlite", create=True) as store:
        source = FlakySource(missing="c")
        with pytest.raises(ImportDataError, match="no series for c"):
            import_source(store, source, LINKS, 0.0, 6000.0)
        assert source.fetched == [] and store.links() == []


class CountingReader(io.RawIOBase):
    """A file of ``size`` bytes of one line, counting what is read of it."""

    def __init__(self, size: int) -> None:
        self.size, self.done = size, 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.done if n < 0 else min(n, self.size - self.done)
        self.done += n
        return b"7" * n


def test_a_line_of_a_few_megabytes_is_refused_after_reading_a_little() -> None:
    """What was seen: a 1 GB line took 11.7 s and 2.16 GB to refuse."""
    fh = CountingReader(8 * 2**20)
    with pytest.raises(LineTooLong, match="line 1 is longer than 4096 bytes"):
        list(iter_blocks(fh))  # type: ignore[arg-type]
    assert fh.done <= 4096 + PIECE
