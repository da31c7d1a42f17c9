"""The change table of a dry-run shows, under "after", the rates the change would set (issue 11,
outside look 7: the column was empty), said as such, in the chosen language. Piped or written to
a file it is one line per link (issue 16, outside look: rich drew it 80 columns wide, the
details one word per line: a 100-link dry-run printed 2,273 lines)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bwauto.cli.app import main
from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab

ROOT = Path(__file__).resolve().parents[2]


def plain_rows(out: str) -> dict[str, list[str]]:
    """The lines of the piped table, by link: their cells (two spaces or more apart)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if re.fullmatch(r"CH-\d{8}-\d{6}-\w{4}", line))
    return {line.split()[0]: re.split(r"\s{2,}", line) for line in lines[start + 2 :] if line}


@pytest.mark.parametrize(("lang", "said"), [("id", "bila diterapkan"), ("en", "if applied")])
def test_the_dry_run_table_shows_the_rates_it_would_set(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], lang: str, said: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("BWAUTO_LANG", lang)
    base = ["-i", str(lab.inventory_dir), "--state-dir", str(tmp_path)]
    assert main([*base, "raise", "--link", "kec-batamkota", "--to", "30M", "--dry-run",
                 "--force"]) == 0  # fmt: skip
    row = plain_rows(capsys.readouterr().out)["kec-batamkota"]
    assert row[4].endswith(f" 30M ({said})"), row


def test_a_piped_dry_run_is_one_line_per_link(lab: Lab, tmp_path: Path) -> None:
    """Every link of the inventory, stdout a pipe: the change id, a header, then one line per
    link with its router, outcome, rates and its whole reason (what ``grep`` needs)."""
    links = load_inventory(lab.inventory_dir).links
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "BWAUTO_LANG": "en"}
    args = [a for link in links for a in ("--link", link)]
    cmd = [sys.executable, "-m", "bwauto", "-i", str(lab.inventory_dir), "--state-dir",
           str(tmp_path), "raise", *args, "--to", "100M", "--allow-decrease",
           "--dry-run"]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 1, done.stdout + done.stderr  # no history: refused
    assert not re.search("[┏┃┡│└]", done.stdout), done.stdout
    rows = plain_rows(done.stdout)
    assert sorted(rows) == sorted(links), done.stdout
    header = done.stdout.splitlines()[1].split()
    assert header == ["link", "router", "outcome", "before", "after", "details"], header
    for link_id, cells in rows.items():
        assert len(cells) == 6 and cells[1] == links[link_id].router, cells
        if cells[2] == "no change needed":  # already at 100M
            assert cells[5] == "-", cells
            continue
        assert cells[2] == "refused", cells
        assert cells[5].startswith("upstream headroom not confirmed: cannot judge"), cells
        assert cells[5] + "\n" in done.stderr  # the same whole reason as the error line
    assert sum(cells[2] == "refused" for cells in rows.values()) >= 5, done.stdout
