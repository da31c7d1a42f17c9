"""Bad login data against the lab's SSH servers: one line naming the router, fast, recorded as
evidence, never a traceback (issue 10: Build 12)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bwauto.cli.app import main
from bwauto.lab.runner import Lab
from bwauto.lab.testing import device_config


def raise_rsud(lab: Lab, state: Path, *extra: str) -> tuple[int, float]:
    start = time.monotonic()
    code = main(["--inventory", str(lab.inventory_dir), "--state-dir", str(state), *extra,
                 "raise", "--link", "rsud", "--to", "300M", "--yes", "--force"])  # fmt: skip
    return code, time.monotonic() - start


def only_record(state: Path) -> dict[str, Any]:
    paths = [p for p in (state / "evidence").glob("*/*.json")]
    (record,) = [json.loads(p.read_text()) for p in paths if p.name == "rsud.json"]
    return record


def secrets_with(lab: Lab, path: Path, host: str, **values: str) -> Path:
    data = yaml.safe_load(lab.secrets_path.read_text())
    data.setdefault("hosts", {})[host] = values
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(data, fh)
    return path


def test_a_refused_enable_secret_is_named_within_ten_seconds(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = device_config(lab, "edge-bc-02")
    wrong = "Xq-wrong-secret-9"
    secrets = secrets_with(lab, tmp_path / "secrets.yaml", "edge-bc-02", enable_secret=wrong)
    code, elapsed = raise_rsud(lab, tmp_path / "state", "--secrets", str(secrets))
    out = capsys.readouterr()
    assert code == 1 and elapsed < 10, (code, elapsed)  # was 26 s: 'cannot connect: ReadTimeout:'
    record = only_record(tmp_path / "state")
    assert record["outcome"] == "failed"
    (error,) = record["errors"]
    assert error.startswith("edge-bc-02: the enable secret was refused")
    assert "BWAUTO_EDGE_BC_02_ENABLE_SECRET" in error and wrong not in error
    assert "ReadTimeout" not in out.out + out.err and "Traceback" not in out.out + out.err
    assert device_config(lab, "edge-bc-02") == before


def test_a_refused_ssh_password_is_one_line_naming_the_router(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BWAUTO_EDGE_BC_02_PASSWORD", "not-the-password")
    code, elapsed = raise_rsud(lab, tmp_path / "state")
    out = capsys.readouterr()
    assert code == 1 and elapsed < 10, (code, elapsed)
    (error,) = only_record(tmp_path / "state")["errors"]
    assert error.startswith("edge-bc-02: SSH authentication failed as bwauto")
    assert "\n" not in error and "not-the-password" not in out.out + out.err
    assert "Traceback" not in out.out + out.err


def test_a_missing_enable_secret_on_ios_is_named(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(lab.secrets_path.read_text())
    for scope in [data.get("defaults") or {}, *(data.get("groups") or {}).values()]:
        scope.pop("enable_secret", None)
    path = tmp_path / "secrets.yaml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(data, fh)
    code, elapsed = raise_rsud(lab, tmp_path / "state", "--secrets", str(path))
    assert code == 1 and elapsed < 10, (code, elapsed)
    (error,) = only_record(tmp_path / "state")["errors"]
    assert error.startswith("edge-bc-02: the login is not privileged and no enable secret")
    assert "Traceback" not in capsys.readouterr().err
