"""Import interface counters from Prometheus (or Thanos, Mimir, VictoriaMetrics) raw samples.

Each link's ``ifHCInOctets``/``ifHCOutOctets`` are read with **range-vector instant queries**
(``{__name__=~"ifHCInOctets|ifHCOutOctets", ...}[6h]`` evaluated at successive times), which
return every stored sample with its true timestamp; ``query_range`` would resample onto its
step grid. Windows are chunked (``chunk_s``, halved when the server says a query would load too
many samples). Where ``sysUpTime`` of the same target was scraped (``instance`` and ``job``),
it is joined by timestamp, so reboots are recognised as for bwauto's poller.

Which series is a link's: a user-given selector (``--selector LINK='{...}'``), else the first
of the label sets bwauto's registration writes that has data (``CANDIDATES``): per link targets
labelled ``link_id`` (bwauto 0.1), or one target per router labelled ``router`` with the row's
``if_name`` (``if_descr`` where the platform reports the full name there). More than one series
for a selector is refused: bwauto never guesses between two interfaces.

Prometheus keeps float64: counters above 2^53 come back rounded to 53 bits (an error below
1 kbit/s on a 5-minute rate), as any PromQL ``rate`` sees them.

Examples:
    >>> a = to_arrays([(10.0, 5.0), (20.0, 9.0)], [(10.0, 1.0), (20.0, 2.0), (30.0, 3.0)], [])
    >>> a.ts.tolist(), a.in_octets.tolist(), a.out_octets.tolist(), a.uptime.tolist()
    ([10.0, 20.0], [5, 9], [1, 2], [nan, nan])
    >>> candidate_matchers(PromLink("dinkes", "edge-bc-01", "if_name", "vlan110"))
    ['link_id="dinkes", if_name="vlan110"', 'router="edge-bc-01", if_name="vlan110"']
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bwauto.errors import ImportDataError, MonitoringError
from bwauto.importers.http import get_json, server_url
from bwauto.monitoring.promfiles import promql_string
from bwauto.store.records import SampleArrays
from bwauto.store.sources import SourceInfo

METRICS = ("ifHCInOctets", "ifHCOutOctets")
UPTIME = "sysUpTime"
CHUNK_S = 6 * 3600.0
MIN_CHUNK_S = 60.0
_U64_MAX_FLOAT = float(np.nextafter(2.0**64, 0))
Points = Sequence[tuple[float, float]]


@dataclass(frozen=True, slots=True)
class PromLink:
    """A link as bwauto's registration labels it (or with the user's ``selector``)."""

    link_id: str
    router: str
    if_label: str
    if_name: str
    selector: str | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    """A link's label matchers in Prometheus, and its target's uptime matchers if scraped."""

    link: PromLink
    matchers: str
    uptime: str | None


def candidate_matchers(link: PromLink) -> list[str]:
    """The label matchers to try for ``link``, best first."""
    if link.selector is not None:
        return [link.selector.strip().removeprefix("{").removesuffix("}").strip()]
    iface = f"{link.if_label}={promql_string(link.if_name)}"
    return [
        f"link_id={promql_string(link.link_id)}, {iface}",
        f"router={promql_string(link.router)}, {iface}",
    ]


def to_arrays(inbound: Points, outbound: Points, uptime: Points) -> SampleArrays:
    """Samples at the timestamps where both counters were scraped (uptime where it was too)."""
    t_in, v_in = _split(inbound)
    t_out, v_out = _split(outbound)
    ts, i_in, i_out = np.intersect1d(t_in, t_out, assume_unique=True, return_indices=True)
    up = np.full(ts.shape[0], np.nan)
    if uptime:
        t_up, v_up = _split(uptime)
        _, i_ts, i_up = np.intersect1d(ts, t_up, assume_unique=True, return_indices=True)
        up[i_ts] = v_up[i_up] / 100.0  # TimeTicks: hundredths of a second
    return SampleArrays(
        ts=ts.astype(np.float64),
        uptime=up,
        in_octets=_counter(v_in[i_in]),
        out_octets=_counter(v_out[i_out]),
        counter_bits=np.full(ts.shape[0], 64, dtype=np.uint8),
    )


def _split(points: Points) -> tuple[np.ndarray, np.ndarray]:
    arr = np.array(points, dtype=np.float64).reshape(-1, 2)
    ts, index = np.unique(arr[:, 0], return_index=True)  # chunk edges may repeat a sample
    return ts, arr[index, 1]


def _counter(values: np.ndarray) -> npt.NDArray[np.uint64]:
    clean = np.clip(np.nan_to_num(values, nan=0.0), 0.0, _U64_MAX_FLOAT)
    out: npt.NDArray[np.uint64] = clean.astype(np.uint64)
    return out


class PrometheusSource:
    """A Prometheus HTTP API at ``url`` (``/api/v1/query``)."""

    kind = "prometheus"

    def __init__(self, url: str, *, token: str | None = None, chunk_s: float = CHUNK_S) -> None:
        self.url = server_url(url, "prometheus")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.chunk_s = chunk_s
        self.step_s = 0.0

    @property
    def info(self) -> SourceInfo:
        """The store's name for this source (its step is the median scrape interval seen)."""
        return SourceInfo(f"prometheus {self.url}", self.kind, self.step_s)

    def _api(self, path: str, params: dict[str, str]) -> Any:
        what = f"prometheus {self.url}"
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        reply = get_json(what, url, headers=self.headers)
        if not isinstance(reply, dict) or reply.get("status") != "success":
            error = reply.get("error") if isinstance(reply, dict) else None
            raise _QueryError(f"{what}: {error or 'the answer is not a Prometheus reply'}")
        return reply.get("data")

    def query(self, promql: str, at: float) -> list[dict[str, Any]]:
        """The ``result`` of an instant query at unix time ``at``."""
        data = self._api("/api/v1/query", {"query": promql, "time": f"{at:.3f}"})
        result = (data or {}).get("result") if isinstance(data, dict) else None
        return result if isinstance(result, list) else []

    def series(self, selector: str, since: float, until: float) -> list[dict[str, str]]:
        """Label sets of the series with samples in ``[since, until]`` (``/api/v1/series``:
        no sample is loaded, so no query limit applies)."""
        params = {"match[]": selector, "start": f"{since:.3f}", "end": f"{until:.3f}"}
        data = self._api("/api/v1/series", params)
        return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []

    def resolve(self, link: PromLink, since: float, until: float) -> Resolved:
        """Find the link's series (raises ``ImportDataError`` when there is none, or two)."""
        tried = candidate_matchers(link)
        for matchers in tried:
            found = self.series(f"{METRICS[0]}{{{matchers}}}", since, until)
            if not found:
                continue
            if len(found) > 1:
                sets = "; ".join(_labels(s) for s in found[:3])
                raise ImportDataError(
                    f"prometheus {self.url}: link {link.link_id}: {{{matchers}}} matches "
                    f"{len(found)} series ({sets}): give --selector {link.link_id}='{{...}}'"
                )
            if not self.series(f"{METRICS[1]}{{{matchers}}}", since, until):
                raise ImportDataError(
                    f"prometheus {self.url}: link {link.link_id}: no {METRICS[1]} for "
                    f"{{{matchers}}}"
                )
            return Resolved(link, matchers, self._uptime(found[0], since, until))
        shown = " or ".join(f"{{{m}}}" for m in tried)
        raise ImportDataError(
            f"prometheus {self.url}: link {link.link_id}: no {METRICS[0]} series for {shown} "
            f"in the window: give --selector {link.link_id}='{{...}}'"
        )

    def _uptime(self, labels: dict[str, str], since: float, until: float) -> str | None:
        keys = [k for k in ("job", "instance") if k in labels]
        if not keys:
            return None
        matchers = ", ".join(f"{k}={promql_string(labels[k])}" for k in keys)
        found = self.series(f"{UPTIME}{{{matchers}}}", since, until)
        return matchers if len(found) == 1 else None

    def fetch(self, resolved: Resolved, since: float, until: float) -> SampleArrays:
        """Every raw sample of the link in ``[since, until]``, chunk by chunk."""
        names = "|".join(METRICS)
        counters = f'{{__name__=~"{names}", {resolved.matchers}}}'
        points: dict[str, list[tuple[float, float]]] = {m: [] for m in (*METRICS, UPTIME)}
        start = since
        while start < until:
            end = min(start + self.chunk_s, until)
            try:
                self._chunk(counters, start, end, points)
                if resolved.uptime is not None:
                    self._chunk(f"{UPTIME}{{{resolved.uptime}}}", start, end, points)
            except _QueryError as exc:
                if "too many samples" not in str(exc) or self.chunk_s / 2 < MIN_CHUNK_S:
                    raise
                self.chunk_s /= 2
                continue
            start = end
        arrays = to_arrays(points[METRICS[0]], points[METRICS[1]], points[UPTIME])
        if len(arrays) > 1:
            self.step_s = max(self.step_s, float(np.median(np.diff(arrays.ts))))
        return arrays

    def _chunk(
        self, selector: str, start: float, end: float, points: dict[str, list[tuple[float, float]]]
    ) -> None:
        duration_ms = max(1, round((end - start) * 1000))
        for series in self.query(f"{selector}[{duration_ms}ms]", end):
            name = str(series.get("metric", {}).get("__name__", ""))
            if name in points:
                points[name].extend((float(t), float(v)) for t, v in series.get("values", []))


class _QueryError(MonitoringError):
    """Prometheus answered a query with an error."""


def _labels(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v!r}" for k, v in sorted(labels.items()) if k != "__name__") + "}"
