"""Records made in a role's name need that role's key; a blocked case prints the complete
command that unblocks it. ``bwauto`` runs as a subprocess, as the user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli_harness import Bw
from test_request_cli import _new, _to_step_5

REPO = Path(__file__).resolve().parents[2]


def bwauto(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = ["--inventory", str(tmp_path / "inventory"), "--state-dir", str(tmp_path / "state")]
    full = {k: v for k, v in os.environ.items() if not k.startswith("BWAUTO_")}
    full.update(PYTHONPATH=str(REPO), COLUMNS="300", **env)
    return subprocess.run([sys.executable, "-m", "bwauto", *base, *args], capture_output=True,
                          text=True, env=full, timeout=60, check=False)  # fmt: skip


def test_a_disposition_as_kadis_with_kasis_key_is_refused(bw: Bw, tmp_path: Path) -> None:
    """Was: `BWAUTO_SIGNING_KEY=<kasi key> request dispose --from kadis` recorded Kadis's
    disposition signed by Kasi."""
    case_id = _new(bw)
    kasi = str(tmp_path / "inventory" / "signing-keys" / "kasi")
    done = bwauto(tmp_path, "request", "dispose", case_id, "--from", "kadis", "--to", "kabid",
                  BWAUTO_SIGNING_KEY=kasi)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "not allowed for kadis" in done.stderr and "allowed for kasi" in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    kadis = str(tmp_path / "inventory" / "signing-keys" / "kadis")
    done = bwauto(tmp_path, "request", "dispose", case_id, "--from", "kadis", "--to", "kabid",
                  BWAUTO_SIGNING_KEY=kadis)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert bwauto(tmp_path, "request", "verify", case_id).returncode == 0


def test_a_blocked_case_prints_the_complete_reattach_command(bw: Bw, tmp_path: Path) -> None:
    """Was: "run `bwauto request reattach KB-2026-0001`", which fails as written (no FILE,
    no --reason)."""
    case_id = _new(bw)
    _to_step_5(bw, case_id)
    docx = next((tmp_path / "state").rglob("*.docx"))
    docx.write_bytes(docx.read_bytes() + b"\0")
    done = bwauto(tmp_path, "request", "close", case_id)
    assert done.returncode == 1
    command = f'bwauto request reattach {case_id} {docx} --reason "..."'
    assert command in done.stderr, done.stderr
    words = command.replace('"..."', "dicetak-ulang").split()[1:]
    assert bwauto(tmp_path, *words).returncode == 0  # as printed, a reason filled in
    assert bwauto(tmp_path, "request", "verify", case_id).returncode == 0
