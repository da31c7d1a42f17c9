"""Realistic hand-made inputs of the case-file tests (the analysis row, a change's evidence)."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from pathlib import Path
from typing import Any

from bwauto.case.register import Register


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def write_png(path: Path, width: int = 8, height: int = 6) -> Path:
    """A small valid RGB PNG (a chart stand-in that python-docx can embed)."""
    raw = b"".join(b"\x00" + b"\x20\x60\xc0" * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def analysis_row(decision: str = "CAN") -> dict[str, Any]:
    """One step-6 report row for link dinkes, as bwauto.analysis.report writes it."""
    refused = decision == "CANNOT"
    return {
        "link_id": "dinkes",
        "opd": "Dinas Kesehatan",
        "router": "edge-bc-01",
        "interface": "vlan110-dinkes",
        "upstream": "telkom-astinet",
        "committed_mbps": 100.0,
        "window_start": "2026-02-23T00:00:00+07:00",
        "window_end": "2026-03-02T00:00:00+07:00",
        "samples": 2016,
        "invalid_intervals": 3,
        "coverage_pct": 99.85,
        "in_mean_mbps": 12.31,
        "in_p95_mbps": 20.5,
        "in_max_mbps": 31.07,
        "out_mean_mbps": 41.6 if refused else 71.2,
        "out_p95_mbps": 58.35 if refused else 93.4,
        "out_max_mbps": 88.1 if refused else 99.6,
        "p95_utilisation_pct": 58.35 if refused else 93.4,
        "upstream_capacity_mbps": 1000.0,
        "upstream_free_mbps": 37.8 if refused else 420.5,
        "requested_mbps": 200.0,
        "decision": decision,
        "recommended_mbps": 100.0 if refused else 150.0,
        "reason": "UPSTREAM_HEADROOM: upstream telkom-astinet has 37.8 Mbps free (download, at "
        "p95), the raise needs 100 Mbps"
        if refused
        else "",
    }


def change_evidence(outcome: str = "changed", dry_run: bool = False) -> dict[str, Any]:
    """A step-8 evidence record as bwauto.change.evidence writes it."""
    return {
        "change_id": "CH-20260304-021500-3f9a",
        "link": "dinkes",
        "router": "edge-bc-01",
        "platform": "mikrotik_routeros",
        "dry_run": dry_run,
        "request": "KB-2026-0001",
        "operator": "budi",
        "started": "2026-03-04T02:15:00+00:00",
        "ended": "2026-03-04T02:18:30+00:00",
        "rate_before": {"up": 50_000_000, "down": 100_000_000},
        "rate_after": {"up": 200_000_000, "down": 200_000_000},
        "target": {"up": 200_000_000, "down": 200_000_000},
        "running_config_before": "/queue simple\nadd name=q-dinkes max-limit=50M/100M",
        "diff": "--- running\n+++ intended\n@@ -1 +1 @@\n"
        "-/queue simple set [find name=q-dinkes] max-limit=50M/100M\n"
        "+/queue simple set [find name=q-dinkes] max-limit=200M/200M\n",
        "diff_source": "bwauto",
        "checks": [
            {"name": "link up", "ok": True, "detail": "ifOperStatus up"},
            {
                "name": "rate read back",
                "ok": True,
                "detail": "router now ShaperRate(up=200000000, down=200000000)",
            },
            {"name": "counters", "ok": True, "detail": "t=3s in=123456789 out=987654321"},
        ],
        "outcome": outcome,
        "errors": [],
        "monitoring": None,
    }


MONITORING = {
    "backend": "prometheus",
    "ok": True,
    "verified": True,
    "detail": "target edge-bc-01 up; bwauto_link_capacity_bps=2e8",
}
FORM = {
    "contact_name": "Rudi Hartono",
    "contact_position": "Kepala Seksi Data dan Informasi",
    "contact_phone": "+62 778 460001",
    "contact_email": "it@dinkes.batam.go.id",
    "purpose": "SIMRS dan telekonsultasi puskesmas",
    "applications": "SIMRS, e-Puskesmas",
    "users": 240,
}


def new_request(reg: Register) -> str:
    return reg.new(
        opd="Dinas Kesehatan",
        letter_no="045/DINKES-SI/III/2026",
        letter_date=dt.date(2026, 2, 27),
        link_id="dinkes",
        rate_bps=200_000_000,
        purpose="SIMRS dan telekonsultasi puskesmas",
    )


def walk_to_analysis(reg: Register, case_id: str, clock: Clock | None = None) -> None:
    """Steps 2–5 (each an hour apart when a clock is given)."""
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi"), ("kasi", "staf")):
        if clock:
            clock.advance(hours=1)
        reg.dispose(case_id, from_role=frm, to_role=to, note=f"{frm} → {to}")
    if clock:
        clock.advance(hours=1)
    reg.form(case_id, FORM)
