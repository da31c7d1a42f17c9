"""The driver every source shares: check every link first, then import link by link, resumably.

``import_source`` asks the source to ``resolve`` every link before anything is written, so an
unknown metric, item or file of the wrong shape imports nothing. Each link is then fetched and
stored in its own transaction together with its progress (``progress`` table), so an import
interrupted by a network failure keeps the links it finished and the next run starts each link
where it stopped. Samples already stored for the source are skipped: re-running adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from bwauto.errors import MonitoringError
from bwauto.store.records import SampleArrays
from bwauto.store.samples import SampleStore
from bwauto.store.sources import SourceInfo

L = TypeVar("L")
R = TypeVar("R")


class Source(Protocol, Generic[L, R]):  # type: ignore[misc]
    """What a source importer provides."""

    @property
    def info(self) -> SourceInfo: ...

    def resolve(self, link: L, since: float, until: float) -> R: ...

    def fetch(self, resolved: R, since: float, until: float) -> SampleArrays: ...


@dataclass
class SourceReport:
    """What an import from a source did, per link: samples read and new."""

    source: SourceInfo
    read: dict[str, int] = field(default_factory=dict)
    added: dict[str, int] = field(default_factory=dict)
    resumed: dict[str, float] = field(default_factory=dict)


def import_source(
    store: SampleStore,
    source: Source[L, R],
    links: Sequence[tuple[str, L]],
    since: float,
    until: float,
    *,
    resume: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> SourceReport:
    """Import ``links`` (``(link_id, source's link)``) from ``source`` over ``[since, until]``.

    Raises:
        ImportDataError: a link is not found in the source (nothing imported).
        MonitoringError: the source cannot be reached or refuses; links finished before stay
            (the message says so), and the next run resumes.
    """
    resolved = [(link_id, source.resolve(link, since, until)) for link_id, link in links]
    done = store.progress(source.info.name) if resume else {}
    report = SourceReport(source.info)
    for link_id, res in resolved:
        start = since
        if link_id in done and since < done[link_id] <= until:
            start = report.resumed[link_id] = done[link_id]
        try:
            arrays = source.fetch(res, start, until)
        except MonitoringError as exc:
            kept = f" ({len(report.added)} links imported before it; run again to resume)"
            raise MonitoringError(f"{exc}{kept if report.added else ''}") from None
        with store.bulk("keep", source=source.info) as writer:
            writer.add({link_id: arrays} if len(arrays) else {})
            if len(arrays):  # resume after the last sample read: a link that gave none is
                writer.set_progress(link_id, float(arrays.ts[-1]))  # read whole next time
        report.read[link_id], report.added[link_id] = len(arrays), writer.added
        if progress is not None:
            progress(link_id, len(arrays), writer.added)
    report.source = store.sources().get(source.info.name, source.info)
    return report
