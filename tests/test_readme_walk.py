"""The README's "Walk one request by hand" runs as written (issue 11, seen 2): its ``sh`` blocks,
in order, in an empty folder, against the lab, with the ``bwauto`` of this tree. So the README
and the behaviour cannot drift apart."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Walk one request by hand"


def walk_blocks(readme: str) -> list[str]:
    """The fenced ``sh`` blocks of the walk-through section, in order."""
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    section = readme[start : end if end != -1 else None]
    return re.findall(r"^```sh\n(.*?)^```$", section, flags=re.S | re.M)


def _env(tmp_path: Path) -> dict[str, str]:
    """This tree's bwauto on PATH and PYTHONPATH; no inventory or state dir inherited."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "bwauto"
    script.write_text(f'#!/bin/sh\nexec {sys.executable} -m bwauto "$@"\n')
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BWAUTO_")}
    env.update(PATH=f"{bindir}:{env['PATH']}", PYTHONPATH=str(ROOT), COLUMNS="80",
               HOME=str(tmp_path / "home"))  # fmt: skip
    return env


def test_the_readme_walk_through_runs_as_written(tmp_path: Path) -> None:
    blocks = walk_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 4 and "bwauto lab down" in blocks[-1]
    work = tmp_path / "work"
    work.mkdir()
    script = "set -eu\n" + "\n".join(blocks)
    env = _env(tmp_path)
    try:
        done = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
    finally:
        stop = {**env, "BWAUTO_STATE_DIR": str(work / "state")}
        subprocess.run(["bash", "-c", "bwauto lab down || true"], env=stop, capture_output=True,
                       timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "analisa dinkes dilampirkan (langkah 6): DAPAT" in out
    assert "unggah jenuh" in out  # seen 4, flagged in the walk
    assert "langkah 8 (Penambahan Bandwidth dan Sistem Monitoring) dicatat" in out
    assert re.search(r"KB-\d{4}-0001: OK, \d+ catatan", out)
    with zipfile.ZipFile(work / "case.zip") as zf:
        names = zf.namelist()
    assert sum(n.endswith(".docx") for n in names) >= 3
    assert shutil.which("bash")
