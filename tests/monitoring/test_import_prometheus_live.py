"""``samples import --from prometheus`` of live scrapes: the lab's agent, snmp_exporter and a
real Prometheus scraping every 2 s, registered by bwauto's own Prometheus backend.

The import must bring back every raw sample Prometheus holds for the link (same timestamps,
same values), found by the labels bwauto's registration writes, and give plausible rates.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

import numpy as np

from bwauto.analysis.counters import intervals_of
from bwauto.importers.prometheus import PrometheusSource, PromLink
from bwauto.monitoring.prometheus import PrometheusBackend

if TYPE_CHECKING:
    from conftest import PromEnv


def raw(url: str, promql: str, at: float) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"query": promql, "time": f"{at:.3f}"})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=5) as reply:
        body = json.loads(reply.read())
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def test_live_scrapes_are_imported_sample_for_sample(
    prometheus: PromEnv, lab_routers: Any, lab_link: Any
) -> None:
    url = prometheus.stack.url
    link = lab_link(lab_routers["lab-mt"], 1, link_id="live-import")
    assert PrometheusBackend(prometheus.settings).register(link).changed
    start = time.time()
    time.sleep(24)  # about a dozen scrapes at 2 s
    end = time.time()
    source = PrometheusSource(url, chunk_s=7.0)  # several chunks even for half a minute
    plink = PromLink(link.link_id, link.router, "if_name", link.if_name)
    got = source.fetch(source.resolve(plink, start - 60, end), start - 60, end)
    series = raw(url, f'ifHCOutOctets{{router="{link.router}", if_name="{link.if_name}"}}[5m]',
                 end)  # fmt: skip
    assert len(series) == 1
    want = np.array([[float(t), float(v)] for t, v in series[0]["values"]])
    want = want[want[:, 0] >= start - 60]
    assert len(got) >= 8
    assert got.ts.tolist() == want[:, 0].tolist()
    assert got.out_octets.astype(np.float64).tolist() == want[:, 1].tolist()
    iv = intervals_of(got, speed_bps=10**9, poll_interval_s=2)
    assert np.all(np.isfinite(iv.out_bps)) and np.all(iv.out_bps >= 0)
    assert 1.5 <= source.info.step_s <= 3
