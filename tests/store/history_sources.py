"""A known 30-day history with wraps and a reboot, written as CSV and as a monitoring system's.

Used by the source import tests: the same history goes into Prometheus (``promtool tsdb
create-blocks-from openmetrics``), Zabbix (trapper items) or RRD files, and as CSV; ``analyse``
of both imports must then agree. Counter values are kept representable in float64 (as
Prometheus and Zabbix store them), so the two stores hold the very same numbers.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bwauto.store import SampleArrays

STEP = 300
DAYS = 30

# Loaded under a name of its own (test dirs have no __init__.py).
_SERVERS = Path(__file__).resolve().parents[1] / "monitoring" / "servers.py"
_spec = importlib.util.spec_from_file_location("bwauto_store_test_servers", _SERVERS)
assert _spec is not None and _spec.loader is not None
servers = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = servers
_spec.loader.exec_module(servers)


@dataclass(frozen=True)
class LinkHistory:
    """One link's history and the labels its series carry in Prometheus."""

    link_id: str
    labels: dict[str, str]
    samples: SampleArrays


def make_samples(seed: int, end: int, *, reboot: bool, near_wrap: bool) -> SampleArrays:
    """30 days of 5-minute samples ending at ``end`` (whole seconds, a few seconds of jitter)."""
    rng = np.random.default_rng(seed)
    n = DAYS * 86400 // STEP + 1
    ts = end - STEP * np.arange(n)[::-1] + rng.integers(-3, 4, n)
    ts[-1] = end
    hour = (ts / 3600 + 7) % 24
    rate = 20e6 * (0.2 + 0.7 * np.clip(np.sin((hour - 6) / 14 * np.pi), 0, None))
    octets = np.concatenate(([0.0], np.cumsum(rate[1:] * np.diff(ts) / 8)))
    start = np.uint64(2**64 - 3 * 10**12) if near_wrap else np.uint64(10**9)
    counters = {}
    for k, d in enumerate(("in", "out")):
        c = octets.astype(np.uint64) * np.uint64(k + 1) + start  # wraps modulo 2^64
        counters[d] = c
    uptime = 9_000_000.0 + (ts - ts[0])
    if reboot:
        k = n // 2
        uptime[k:] -= uptime[k] - 120.0
        for d in counters:
            counters[d][k:] -= counters[d][k] - np.uint64(5000)
    for d in counters:  # what a float64 store can hold
        counters[d] = np.minimum(counters[d].astype(np.float64), float(np.nextafter(2.0**64, 0)))
        counters[d] = counters[d].astype(np.uint64)
    return SampleArrays(
        ts=ts.astype(np.float64), uptime=np.round(uptime, 2), in_octets=counters["in"],
        out_octets=counters["out"], counter_bits=np.full(n, 64, np.uint8),
    )  # fmt: skip


def histories(end: int) -> list[LinkHistory]:
    """Three links of the repo's inventory: two labelled by bwauto 0.1's per-link targets,
    one by a router target (``router`` + ``if_name``)."""
    job = {"job": "bwauto-snmp"}
    return [
        LinkHistory("dinkes", {**job, "instance": "10.20.0.1", "link_id": "dinkes",
                               "if_name": "vlan110-dinkes"},
                    make_samples(1, end, reboot=True, near_wrap=False)),
        LinkHistory("bpkad", {**job, "instance": "10.20.0.1:bpkad", "link_id": "bpkad",
                              "if_name": "vlan130-bpkad"},
                    make_samples(2, end, reboot=False, near_wrap=True)),
        LinkHistory("disdukcapil", {**job, "instance": "edge-bc-01", "router": "edge-bc-01",
                                    "if_name": "vlan120-disdukcapil"},
                    make_samples(3, end, reboot=False, near_wrap=False)),
    ]  # fmt: skip


def write_csv(path: Path, links: list[LinkHistory], uptime_of: tuple[str, ...] = ()) -> Path:
    """The history as bwauto's CSV (UTC offsets written, so no time zone is assumed), with
    the uptime of the links in ``uptime_of`` only."""
    lines = ["timestamp,link_id,in_octets,out_octets,uptime_s,counter_bits"]
    for h in links:
        s = h.samples
        stamps = np.datetime_as_string(s.ts.astype("datetime64[s]"), unit="s")
        for t, i, o, u in zip(stamps, s.in_octets, s.out_octets, s.uptime, strict=True):
            up = f"{u:.2f}" if h.link_id in uptime_of else ""
            lines.append(f"{t}Z,{h.link_id},{i},{o},{up},64")
    path.write_text("\n".join(lines) + "\n")
    return path


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels.items())


def write_openmetrics(path: Path, links: list[LinkHistory], extra: bool = True) -> Path:
    """The history as OpenMetrics for ``promtool tsdb create-blocks-from openmetrics``.

    ``extra`` adds another interface of the router target (which must not be picked up).
    """
    out: list[str] = []
    for metric, field in (("ifHCInOctets", "in_octets"), ("ifHCOutOctets", "out_octets")):
        out.append(f"# TYPE {metric} unknown")
        for h in links:
            values = getattr(h.samples, field)
            for t, v in zip(h.samples.ts, values, strict=True):
                out.append(f"{metric}{{{_labels(h.labels)}}} {float(v)!r} {int(t)}")
        if extra:
            other = {**links[-1].labels, "if_name": "ether2"}
            for t in links[-1].samples.ts[-100:]:
                out.append(f"{metric}{{{_labels(other)}}} 1.0 {int(t)}")
    out.append("# TYPE sysUpTime unknown")
    target = {k: v for k, v in links[0].labels.items() if k in ("job", "instance")}
    for t, u in zip(links[0].samples.ts, links[0].samples.uptime, strict=True):
        out.append(f"sysUpTime{{{_labels(target)}}} {round(u * 100)} {int(t)}")
    out.append("# EOF")
    path.write_text("\n".join(out) + "\n")
    return path
