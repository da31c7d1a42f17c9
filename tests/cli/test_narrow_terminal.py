"""At 80 columns nothing the user needs is cut (issue 11, seen 6): the diff whole and the
confirmation question visible on a real terminal (a pty), ids whole, tables folded."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from bwauto.cli.app import main
from bwauto.lab.runner import Lab

ROOT = Path(__file__).resolve().parents[2]


def on_a_terminal(args: list[str], answer: bytes, columns: int = 80) -> tuple[int, str]:
    """Run ``bwauto ARGS`` on a pty ``columns`` wide; answer the first ``[y/N]`` question."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "24", "TERM": "xterm",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "bwauto", *args], stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True)  # fmt: skip
    os.close(slave)
    out, answered, deadline = b"", False, time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                out += chunk
                if not answered and b"[y/N]" in out:
                    os.write(master, answer)
                    answered = True
            elif proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return proc.wait(), out.decode(errors="replace")


def test_raise_diff_is_whole_and_the_question_visible_at_80_columns(
    lab: Lab, tmp_path: Path
) -> None:
    """Before: the diff's lines were cut at 80 columns ("target=vlan110-d")."""
    args = ["--lang", "en", "-i", str(lab.inventory_dir), "--state-dir", str(tmp_path), "raise",
            "--link", "dinkes", "--to", "200M", "--force"]  # fmt: skip
    code, out = on_a_terminal(args, b"n\n")
    assert code == 1 and "nothing changed: not confirmed" in out
    assert "max-limit=50M/200M name=q-dinkes target=vlan110-dinkes" in out
    assert "Apply these 1 change(s)? [y/N]" in out
    diff_end = out.index("target=vlan110-dinkes", out.index("+add comment"))
    assert diff_end < out.index("Apply these 1 change(s)?")


def test_request_list_keeps_ids_whole_at_80_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: every id was shown as ``KB-2026-0…``."""
    monkeypatch.setenv("COLUMNS", "80")
    base = ["-i", str(ROOT / "inventory"), "--state-dir", str(tmp_path)]
    new = ["request", "new", "--link", "dinkes", "--rate", "150M", "--letter-date", "2026-01-05",
           "--purpose", "SIMRS dan telekonsultasi puskesmas", "--opd", "Dinas Kesehatan Kota "
           "Batam, Bidang Pelayanan Kesehatan", "-q"]  # fmt: skip
    for n in range(2):
        assert main([*base, *new, "--letter-no", f"400.7/{n}/DINKES"]) == 0
    ids = capsys.readouterr().out.split()
    assert main([*base, "request", "list"]) == 0
    out = capsys.readouterr().out
    assert all(i in out for i in ids) and "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_analyse_folds_below_120_columns(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the analyse table at 80 columns was unreadable (12 columns squeezed)."""
    from bwauto.inventory.loader import load_inventory
    from bwauto.lab.history import write_history
    from bwauto.store.importer import import_history
    from bwauto.store.samples import SampleStore, store_path

    path = write_history(lab.routers.values(), tmp_path / "h.csv", 2, time.time())
    with SampleStore(store_path(tmp_path), create=True) as store:
        import_history(store, path, set(load_inventory(lab.inventory_dir).links))
    monkeypatch.setenv("COLUMNS", "80")
    args = ["--lang", "en", "-i", str(lab.inventory_dir), "--state-dir", str(tmp_path), "analyse",
            "--since",
            "1d", "--link", "dinkes", "--request-rate", "150M"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "…" not in out and "┃" not in out  # folded into lines, nothing cut
    assert "dinkes (Dinas Kesehatan)" in out and "requested 150 M: CAN" in out
    assert "upload: p95" in out and "download: p95" in out
    assert "the requested rate is the download" in out


def test_the_change_table_keeps_ids_whole_at_80_columns(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside look (issue 10): the result table cut the link id ("kec-batamko…") and the
    fix in a refusal ("--prepare-archi…")."""
    monkeypatch.setenv("COLUMNS", "80")
    base = ["-i", str(lab.inventory_dir), "--state-dir", str(tmp_path)]
    assert main([*base, "raise", "--link", "kec-batamkota", "--to", "30M", "--dry-run",
                 "--force"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "kec-batamkota" in out and "edge-bc-01" in out and "…" not in out
