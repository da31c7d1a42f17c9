"""``bwauto --help`` stays fast: plain layout, no rich help formatter, every command listed."""

from __future__ import annotations

import subprocess
import sys


def test_root_help_lists_the_commands_without_the_rich_formatter() -> None:
    code = (
        "import sys; from bwauto.cli.app import main; rc = main(['--help']);"
        "print('rich_utils' if 'typer.rich_utils' in sys.modules else 'plain'); sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "plain"
    for command in ("poll", "analyse", "raise", "inventory", "lab", "request"):
        assert any(line.strip().startswith(command + " ") for line in lines), command
    assert "(default: $BWAUTO_INVENTORY or" in out.stdout


def test_no_arguments_is_still_a_usage_error() -> None:
    out = subprocess.run([sys.executable, "-m", "bwauto"], capture_output=True, text=True)
    assert out.returncode == 2
