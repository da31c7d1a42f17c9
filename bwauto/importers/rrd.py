"""Import Cacti, MRTG and LibreNMS RRD files: averaged rates turned into synthetic counters.

An RRD keeps, per archive (RRA), the average rate of each data source over each step: a row
stamped ``T`` holds the rate over ``(T - step, T]`` (``rrdtool fetch``, Debian's ``rrdtool``).
bwauto's analysis works on counters, so the rates are integrated into a synthetic octet counter
that starts at 0: the counter math then gives the very same rates back. A row with an unknown
value (NaN) ends a run: the next run's counter starts again with a synthetic uptime that
restarts, so the interval across is excluded (as a restarted counter), never counted as 0.

Each ``AVERAGE`` archive is its own source, ``rrd FILE @RESs`` with its resolution; those
coarser than 5 minutes are *coarse* (averages over the step, not 5-minute rates), and
``bwauto.store.sources.choose_source`` takes, per window, the finest archive that covers it.

Data sources: ``traffic_in``/``traffic_out`` (Cacti), ``ds0``/``ds1`` (MRTG),
``INOCTETS``/``OUTOCTETS`` (LibreNMS), in bytes per second; anything else is the wrong shape.

Examples:
    >>> a = synthesize(np.array([600.0, 900.0, 1200.0, 1500.0]),
    ...                np.array([[10.0, 1.0], [20.0, 2.0], [np.nan, 1.0], [5.0, 5.0]]), 300)
    >>> a.ts.tolist(), a.in_octets.tolist()
    ([300.0, 600.0, 900.0, 1200.0, 1500.0], [0, 3000, 9000, 9000, 10500])
    >>> a.uptime.tolist()  # the unknown row restarts the synthetic counter's uptime
    [1.0, 301.0, 601.0, 1.0, 301.0]
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bwauto.errors import ImportDataError
from bwauto.importers.synthetic import integrate
from bwauto.store.records import SampleArrays
from bwauto.store.sources import SourceInfo

DS_PAIRS = (("traffic_in", "traffic_out"), ("ds0", "ds1"), ("INOCTETS", "OUTOCTETS"))
FINE_S = 300
_INFO_LINE = re.compile(r"^(?P<key>[\w\[\].]+) = (?P<value>.*)$")


@dataclass(frozen=True, slots=True)
class Archive:
    """One AVERAGE archive: its resolution and the span it holds, ``(first, last]``."""

    resolution: int
    first: float
    last: float


@dataclass(frozen=True, slots=True)
class RrdFile:
    """What ``rrdtool info`` says of a file that has the right shape."""

    path: Path
    ds_in: str
    ds_out: str
    archives: tuple[Archive, ...]


def rrdtool(*args: str) -> str:
    """Run ``rrdtool`` (one-line ``ImportDataError`` when it refuses the file)."""
    exe = shutil.which("rrdtool")
    if exe is None:
        raise ImportDataError("rrdtool is not installed (Debian: apt install rrdtool)")
    done = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise ImportDataError(f"{args[1]}: rrdtool {args[0]}: {reason.removeprefix('ERROR: ')}")
    return done.stdout


def inspect(path: Path) -> RrdFile:
    """The file's data sources and AVERAGE archives (``ImportDataError`` if the wrong shape)."""
    info: dict[str, str] = {}
    for line in rrdtool("info", str(path)).splitlines():
        match = _INFO_LINE.match(line)
        if match:
            info[match["key"]] = match["value"].strip('"')
    names = {m.group(1) for k in info if (m := re.match(r"ds\[(.+?)\]\.index", k))}
    pair = next(((i, o) for i, o in DS_PAIRS if i in names and o in names), None)
    if pair is None:
        wanted = " or ".join(f"{i}/{o}" for i, o in DS_PAIRS)
        shown = ", ".join(sorted(names)) or "none"
        raise ImportDataError(f"{path}: not an interface RRD: data sources {shown}, not {wanted}")
    step, last = int(info["step"]), float(info["last_update"])
    archives = []
    for k in sorted({int(m.group(1)) for key in info if (m := re.match(r"rra\[(\d+)\]\.cf", key))}):
        if info[f"rra[{k}].cf"] != "AVERAGE":
            continue
        res = step * int(info[f"rra[{k}].pdp_per_row"])
        end = last // res * res
        archives.append(Archive(res, end - res * int(info[f"rra[{k}].rows"]), end))
    if not archives:
        raise ImportDataError(f"{path}: not an interface RRD: it has no AVERAGE archive")
    return RrdFile(path, pair[0], pair[1], tuple(sorted(archives, key=lambda a: a.resolution)))


def fetch_rates(
    rrd: RrdFile, archive: Archive, since: float, until: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Rows ``(T, [in, out] bytes/s)`` of ``archive`` with ``since < T <= until``."""
    start, end = max(since, archive.first), min(until, archive.last)
    if end <= start:
        return np.empty(0), np.empty((0, 2))
    text = rrdtool("fetch", str(rrd.path), "AVERAGE", "-r", str(archive.resolution),
                   "-s", str(int(start)), "-e", str(int(end)))  # fmt: skip
    lines = text.splitlines()
    header = lines[0].split() if lines else []
    cols = [header.index(rrd.ds_in), header.index(rrd.ds_out)]
    rows = [line.split(":", 1) for line in lines[1:] if ":" in line]
    ts = np.array([float(t) for t, _ in rows])
    values = np.array([[float(v) for v in rest.split()] for _, rest in rows]).reshape(
        -1, len(header)
    )
    keep = (ts > start) & (ts <= end)
    if keep.any() and np.any(np.diff(ts[keep]) != archive.resolution):
        raise ImportDataError(
            f"{rrd.path}: rrdtool fetch did not keep {archive.resolution} s steps"
        )
    return ts[keep], values[keep][:, cols]


def synthesize(
    ts: npt.NDArray[np.float64], rates: npt.NDArray[np.float64], step: float
) -> SampleArrays:
    """Counters whose rates over each ``(T - step, T]`` are ``rates`` (bytes/s, NaN unknown):
    every unknown step ends a run (``synthetic.integrate``)."""
    known = np.all(np.isfinite(rates), axis=1)
    return integrate(ts[known], rates[known], step, gap_s=step)


class RrdArchiveSource:
    """One resolution of a set of RRD files, for ``bwauto.importers.run.import_source``."""

    kind = "rrd"

    def __init__(self, resolution: int, files: dict[str, RrdFile]) -> None:
        self.resolution = resolution
        self.files = files

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(f"rrd @{self.resolution}s", self.kind, float(self.resolution),
                          coarse=self.resolution > FINE_S)  # fmt: skip

    def resolve(self, link_id: str, since: float, until: float) -> tuple[RrdFile, Archive]:
        rrd = self.files[link_id]
        return rrd, next(a for a in rrd.archives if a.resolution == self.resolution)

    def fetch(self, resolved: tuple[RrdFile, Archive], since: float, until: float) -> SampleArrays:
        rrd, archive = resolved
        ts, rates = fetch_rates(rrd, archive, since, until)
        return synthesize(ts, rates, archive.resolution)
