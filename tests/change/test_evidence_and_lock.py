"""Evidence is written once and redacted; the router lock refuses a second holder."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from bwauto.change.evidence import Check, EvidenceRecord, read_evidence, redact, write_evidence
from bwauto.change.lock import router_lock
from bwauto.errors import LockError

CONFIG = """hostname r1
enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0
username admin privilege 15 password 0 Sup3rSecret
snmp-server community Publ1cC0mm RO
/snmp community set [ find default=yes ] name=Publ1cC0mm
/interface wireless security-profiles set wpa2-pre-shared-key=W1f1K3y
policy-map PM-X
"""


def test_redact_hides_every_secret_value() -> None:
    out = redact(CONFIG)
    for secret in ("$1$mERr", "Sup3rSecret", "Publ1cC0mm", "W1f1K3y"):
        assert secret not in out
    assert "hostname r1" in out and "policy-map PM-X" in out


def test_record_written_once_redacted_and_complete(tmp_path: Path) -> None:
    record = EvidenceRecord(change_id="CH-1", link="dinkes", router="r1", platform="cisco_ios",
                            dry_run=False, running_config_before=CONFIG, diff="-a\n+b\n",
                            checks=[Check("link up", True, "ok")], outcome="changed")  # fmt: skip
    path = write_evidence(tmp_path, record)
    data = json.loads(path.read_text())
    assert "Sup3rSecret" not in path.read_text()
    assert data["outcome"] == "changed" and data["checks"][0]["name"] == "link up"
    assert data["operator"] and data["started"] and data["ended"]
    with pytest.raises(FileExistsError):
        write_evidence(tmp_path, record)
    assert json.loads(path.read_text()) == data
    assert read_evidence(tmp_path, "CH-1") == [data]


def _hold(state_dir: str, started: multiprocessing.synchronize.Event,
          release: multiprocessing.synchronize.Event) -> None:  # fmt: skip
    with router_lock(Path(state_dir), "r1", "CH-first"):
        started.set()
        release.wait(10)


def test_second_process_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    started, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold, args=(str(tmp_path), started, release))
    proc.start()
    try:
        assert started.wait(20)
        with (
            pytest.raises(LockError, match=r"r1 is being changed by change CH-first \(user .*pid"),
            router_lock(tmp_path, "r1", "CH-second"),
        ):
            pass
        with router_lock(tmp_path, "r2", "CH-other-router"):
            pass
    finally:
        release.set()
        proc.join(10)
    with router_lock(tmp_path, "r1", "CH-after"):
        pass
