"""A small history with known values, to import through the CSV importer into a fresh store.

Upstream ``telkom`` (200 Mbps, at most 1.5x oversold) feeds two links over 2024-05-01 00:00 to
02:00 WIB (24 intervals of 5 minutes):

* ``dinkes`` (up 50M / down 100M, 1 Gbit/s interface, 64-bit counters, uptime polled): samples
  at 00:50 and 00:55 are missing (one gap of 15 minutes), the router reboots before 01:15 (one
  invalid interval), the out counter wraps 2^64 between 00:25 and 00:30. Its 20 valid intervals
  run at the ``DINKES_OUT_MBPS`` rates out and 0.4 of them in.
* ``bpkad`` (up 30M / down 50M, 100 Mbit/s interface, 32-bit counters that wrap several times,
  no uptime): a steady 10 Mbit/s in and 20 Mbit/s out.

The expected statistics are worked out by hand in the tests, not by the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bwauto.analysis.model import LinkInfo, UpstreamInfo
from bwauto.analysis.window import WIB, Window, parse_window
from bwauto.store import SampleStore
from bwauto.store.importer import import_history

M = 1_000_000
T0 = datetime(2024, 5, 1, tzinfo=WIB)
STEP = 300
# Out rates (Mbit/s) of dinkes' intervals k -> k+1, k = 0..23; None = gap or reboot.
DINKES_OUT_MBPS: list[int | None] = [
    40, 50, 60, 70, 80, 90, 20, 30, 10,  # k = 0..8
    None, None, None,                    # 9 -> 12 is one gap (samples 10 and 11 missing)
    45, 55, None,                        # 14 -> 15: reboot
    65, 75, 85, 95, 35, 25, 15, 5, 100,  # k = 15..23
]  # fmt: skip
MISSING = {10, 11}
REBOOT_AT = 15


@dataclass(frozen=True)
class History:
    store: SampleStore
    csv: Path
    links: list[LinkInfo]
    upstreams: list[UpstreamInfo]
    window: Window


def _dinkes_rows() -> list[str]:
    rows = []
    c_in, c_out = 5_000_000, 2**64 - 1_000_000_000 - 300 * 37_500_000  # wraps in k 5 -> 6
    uptime = 100_000
    for k in range(25):
        if k == REBOOT_AT:
            c_in, c_out, uptime = 1000, 1000, 50
        if k not in MISSING:
            t = (T0 + timedelta(seconds=STEP * k)).strftime("%Y-%m-%dT%H:%M:%S")  # WIB, no offset
            rows.append(f"{t},dinkes,{c_in},{c_out},{uptime},64")
        rate = DINKES_OUT_MBPS[k] if k < 24 else None
        mbps = 10 if rate is None else rate  # traffic in the gap is not counted anyway
        c_out = (c_out + mbps * 37_500_000) % 2**64  # Mbit/s x 300 s / 8
        c_in = (c_in + mbps * 15_000_000) % 2**64  # 0.4 of it
        uptime += STEP
    return rows


def _bpkad_rows() -> list[str]:
    rows = []
    c_in, c_out = 4_000_000_000, 3_000_000_000
    for k in range(25):
        iso = (T0 + timedelta(seconds=STEP * k)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append(f"{iso},bpkad,{c_in},{c_out},,32")
        c_in = (c_in + 375_000_000) % 2**32  # 10 Mbit/s
        c_out = (c_out + 750_000_000) % 2**32  # 20 Mbit/s
    return rows


def load_history(tmp_path: Path) -> History:
    """Write the history CSV, import it into a new store under ``tmp_path``."""
    csv = tmp_path / "history.csv"
    lines = ["timestamp,link_id,in_octets,out_octets,uptime_s,counter_bits"]
    lines += _dinkes_rows() + _bpkad_rows()
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    links = [
        LinkInfo("dinkes", 50 * M, 100 * M, "telkom", 1000 * M, 300, "Dinas Kesehatan",
                 "edge-bc-01", "vlan110-dinkes"),
        LinkInfo("bpkad", 30 * M, 50 * M, "telkom", 100 * M, 300,
                 "Badan Pengelolaan Keuangan dan Aset Daerah", "edge-bc-01", "vlan130-bpkad"),
    ]  # fmt: skip
    store = SampleStore(tmp_path / "state" / "samples.sqlite", create=True)
    assert import_history(store, csv, {"dinkes", "bpkad"}) == 23 + 25
    window = parse_window("2024-05-01T00:00", "2024-05-01T02:00", now=0.0)
    return History(store, csv, links, [UpstreamInfo("telkom", 200 * M, 1.5)], window)
