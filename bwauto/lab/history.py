"""Counter history of the lab's links, as a CSV that ``bwauto samples import`` takes.

The same traffic model as the live SNMP agents (daily WIB shape, seeded bursts, capped by the
shaper configured now), so a demo or a training session has weeks of data at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path

from bwauto.lab.model import LabRouter
from bwauto.lab.snmp.demand import Growth
from bwauto.lab.snmp.faults import traffic_of
from bwauto.paths import atomic_write

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
COLUMNS = ("timestamp", "link_id", "in_octets", "out_octets", "uptime_s", "counter_bits")


def history_csv(
    routers: Iterable[LabRouter],
    start: float,
    end: float,
    step: float = 300,
    growth: Growth | None = None,
) -> str:
    """CSV text of every link's 64-bit counters from ``start`` to ``end`` every ``step`` s.

    The router counts as booted at ``start``: counters and ``uptime_s`` start at 0 there.
    ``growth``: a known linear trend of every link's demand (``demand.Growth``), or None.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for router in routers:
        traffic = traffic_of(router)
        for link in router.spec.links:
            series = traffic.history(link.link_id, start, end, step, growth)
            for ts, i, o in zip(series.ts, series.in_octets, series.out_octets, strict=True):
                stamp = dt.datetime.fromtimestamp(float(ts), WIB).isoformat(timespec="seconds")
                writer.writerow((stamp, link.link_id, int(i), int(o), f"{ts - start:.0f}", 64))
    return out.getvalue()


def write_history(
    routers: Iterable[LabRouter],
    path: Path,
    days: float,
    end: float,
    step: float = 300,
    growth: Growth | None = None,
) -> Path:
    """Write ``days`` of history ending at ``end`` (atomically) and return the path."""
    atomic_write(path, history_csv(routers, end - days * 86400, end, step, growth))
    return path
