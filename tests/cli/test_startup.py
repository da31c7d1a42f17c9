"""``bwauto --help`` stays fast: plain layout, no rich help formatter, every command listed;
no library is imported before a command needs it."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bwauto.case.signing import throwaway_keys

ROOT = Path(__file__).resolve().parents[2]


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


def _modules_after(args: list[str], env: dict[str, str]) -> set[str]:
    """The modules imported by a fresh ``main(args)`` (its output to stderr)."""
    code = (
        "import sys; from bwauto.cli.app import main; rc = main(sys.argv[1:]);"
        "print(sorted(sys.modules), file=sys.stderr); sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env=env, check=True)  # fmt: skip
    return set(ast.literal_eval(out.stderr.strip().splitlines()[-1]))


def test_help_imports_no_rich_yaml_babel_or_cryptography(tmp_path: Path) -> None:
    """Before: rich (the consoles, ~20 ms) and yaml (~10 ms) were imported for ``--help``."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    loaded = _modules_after(["--help"], env)
    assert not loaded & {"rich", "yaml", "babel", "cryptography", "pydantic"}, loaded


def test_inventory_check_imports_cryptography_only_for_allowed_signers(tmp_path: Path) -> None:
    """Before: ``inventory check`` imported ``bwauto.case.signing`` (cryptography, ~15 ms)
    with no ``allowed_signers`` to check, and the holidays' checks with no ``holidays.yaml``;
    Babel is not imported once the catalogue is cached."""
    inventory = tmp_path / "inventory"
    shutil.copytree(ROOT / "inventory", inventory)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "BWAUTO_LANG": "id"}
    args = ["-i", str(inventory), "--state-dir", str(tmp_path / "state"), "inventory", "check"]
    assert "cryptography" not in _modules_after(args, env)
    loaded = _modules_after(args, env)
    assert "babel" not in loaded  # the second run: the cached catalogue
    assert "bwauto.case.mutu_baku" not in loaded  # no holidays.yaml to check
    throwaway_keys(inventory)
    (inventory / "holidays.yaml").write_text("holidays: []\n")
    loaded = _modules_after(args, env)
    assert "cryptography" in loaded and "bwauto.case.mutu_baku" in loaded
