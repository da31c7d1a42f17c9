"""Every help screen in the plain layout of ``bwauto --help`` (issue 16, outside look): before,
``bwauto lab --help`` and ``bwauto raise --help`` drew rich boxes with typer's type tags
(``<bool>``, ``<list[str]>``), and ``lab up``'s summary broke mid-sentence ("It simulates /
--inventory, else ./inventory…")."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from bwauto.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
BOXES = re.compile("[\u2500-\u257f]")
"""Box-drawing characters (rich's panels)."""


def command_paths() -> list[list[str]]:
    """Every command and subcommand of ``bwauto``, the root included."""

    def walk(command: object, path: list[str]) -> list[list[str]]:
        found = [path]
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            if not getattr(sub, "hidden", False):
                found += walk(sub, [*path, name])
        return found

    return walk(typer.main.get_command(app), [])


PATHS = command_paths()


def test_every_command_is_walked() -> None:
    assert len(PATHS) > 40 and ["lab", "up"] in PATHS and ["raise"] in PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "bwauto")
def test_help_screen_is_plain_and_its_summary_ends_a_sentence(path: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    done = subprocess.run([sys.executable, "-m", "bwauto", *path, "--help"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    text = done.stdout + done.stderr
    assert done.returncode == 0, text
    assert text.startswith("Usage: bwauto"), text
    assert not BOXES.search(text), text
    assert "<list[" not in text and "<bool>" not in text and "<str>" not in text, text
    assert "\\[" not in text, text
    summary = " ".join(text.split("\n\n")[1].split())
    assert summary.endswith((".", ")")), summary
    for line in re.findall(r"^  (\S+) {2,}(.*)$", text.split("Commands:")[-1], re.M):
        assert not line[1].endswith("..."), line  # a command's line is its whole first sentence
