"""A generated history with every irregularity the analysis handles, and its results as plain data.

``generate()`` makes 60 links on 4 upstreams over 4 days of 5-minute samples: a daily traffic
curve, poll jitter, 64- and 32-bit counters that wrap, reboots, polling gaps, a clock step,
over-speed and implausible wraps, unknown uptimes, a link without samples and one with a single
sample. ``results(analysis)`` turns every field of an ``Analysis`` into JSON-able data with
floats written exactly (``float.hex``), so a golden file recorded once catches any change in
any result, down to the last bit.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import numpy as np

from bwauto.analysis.analyse import Analysis
from bwauto.analysis.model import LinkInfo, RaiseRequest, UpstreamInfo
from bwauto.analysis.window import Window
from bwauto.store import SampleArrays

STEP = 300.0
T0 = 1_714_496_400.0  # 2024-05-01T00:00:00+07:00
DAYS = 4
LINKS = 60
UPSTREAMS = 4
WINDOW = Window(T0 + 3 * 3600 + 17.0, T0 + (DAYS - 0.5) * 86400)
REQUEST = RaiseRequest("opd-05", 50_000_000)


def links() -> tuple[list[LinkInfo], list[UpstreamInfo]]:
    ladder = [10, 20, 30, 50, 100]
    out = [
        LinkInfo(
            link_id=f"opd-{i:02d}",
            committed_up_bps=ladder[i % 5] * 1_000_000,
            committed_down_bps=ladder[(i * 3) % 5] * 1_000_000,
            upstream=f"isp-{i % UPSTREAMS}",
            speed_bps=None if i % 13 == 4 else (100_000_000 if i % 6 == 1 else 1_000_000_000),
            poll_interval_s=STEP,
            opd=f"OPD {i}",
            router=f"edge-{i % 7}",
            interface=f"vlan{100 + i}",
        )
        for i in range(LINKS)
    ]
    ups = [UpstreamInfo(f"isp-{u}", 600_000_000 + 100_000_000 * u, 1.5) for u in range(UPSTREAMS)]
    return out, ups


def series(link: LinkInfo, i: int) -> SampleArrays | None:
    """One link's samples (``None`` for the link that was never polled)."""
    if i == 17:
        return None
    rng = np.random.default_rng(500 + i)
    n = 2 if i == 23 else int(DAYS * 86400 / STEP) + 1
    true_t = T0 + STEP * np.arange(n) + rng.uniform(-5, 5, n)
    hour = ((true_t - T0) / 3600 + 7) % 24
    curve = 0.15 + 0.6 * np.clip(np.sin((hour - 6) / 14 * np.pi), 0, None)
    level = rng.uniform(0.3, 1.2)
    rates = {
        d: c * level * curve * rng.lognormal(0, 0.25, n)
        for d, c in (("in", link.committed_up_bps), ("out", link.committed_down_bps))
    }
    bits = 32 if i % 5 == 0 else 64
    counters = {}
    for d, r in rates.items():
        octets = np.concatenate(([0.0], np.cumsum(r[1:] * np.diff(true_t) / 8))).astype(np.uint64)
        if i % 11 == 2 and n > 100:  # one implausible jump (over the interface's speed)
            octets[n // 4 :] += np.uint64(10**12)
        counters[d] = octets + np.uint64(rng.integers(0, 2**63)) * np.uint64(2)
    uptime = 5_000_000.0 + (true_t - T0)
    if i % 7 == 3 and n > 100:  # a reboot: counters and uptime restart
        k = n // 2
        uptime[k:] -= uptime[k] - 60.0
        for d in counters:
            counters[d][k:] -= counters[d][k] - np.uint64(1000)
    if bits == 32:
        for d in counters:
            counters[d] &= np.uint64(0xFFFF_FFFF)
    if i % 9 == 5 and n > 100:  # the manager's clock steps by a minute
        true_t[n // 3 :] += 60.0
    if i % 8 == 6:  # uptime not polled
        uptime[:] = np.nan
    keep = np.ones(n, dtype=bool)
    if i % 4 == 3 and n > 100:  # some hours not polled
        keep[n // 3 : n // 3 + 7 * (1 + i % 5)] = False
    ts = true_t + rng.normal(0.2, 0.05, n)
    return SampleArrays(
        ts=ts[keep],
        uptime=uptime[keep],
        in_octets=counters["in"][keep],
        out_octets=counters["out"][keep],
        counter_bits=np.full(int(keep.sum()), bits, dtype=np.uint8),
    )


def generate() -> tuple[list[LinkInfo], list[UpstreamInfo], dict[str, SampleArrays]]:
    """The links, upstreams and each polled link's samples."""
    all_links, ups = links()
    samples = {}
    for i, link in enumerate(all_links):
        s = series(link, i)
        if s is not None:
            samples[link.link_id] = s
    return all_links, ups, samples


def plain(value: Any) -> Any:
    """``value`` as JSON-able data; floats as ``float.hex`` so that equality is exact."""
    if isinstance(value, enum.Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, float | np.floating):
        return float(value).hex()
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    raise TypeError(f"cannot make {type(value).__name__} plain")


def results(analysis: Analysis) -> dict[str, Any]:
    """Every field of ``analysis``: per link its statistics, decision and row; the loads."""
    per_link = {
        r.link.link_id: {"stats": r.stats, "decision": r.decision, "row": r.row}
        for r in analysis.results
    }
    return {
        "links": plain(per_link),
        "loads": {uid: plain(load) for uid, load in analysis.loads.items()},
    }
