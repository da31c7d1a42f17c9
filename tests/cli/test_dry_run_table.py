"""The change table of a dry-run shows, under "after", the rates the change would set (issue 11,
outside look 7: the column was empty), said as such, in the chosen language."""

from __future__ import annotations

from pathlib import Path

import pytest

from bwauto.cli.app import main
from bwauto.lab.runner import Lab


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
    out = capsys.readouterr().out
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if "kec-batamkota" in line and "│" in line)
    folded = []  # the row's lines, as wide as the terminal the console was made for
    for line in lines[first:]:
        if "│" not in line:
            break
        folded.append([c.strip() for c in line.strip().strip("│").split("│")])
    after = " ".join(cells[4] for cells in folded if len(cells) > 4)
    joined = after.replace(" ", "")
    assert "30M" in joined and said.replace(" ", "") in joined, folded
