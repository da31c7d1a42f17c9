"""The CLI shell: help is light, errors are one line with the right exit code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bwauto.cli.app import main


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from bwauto.cli.app import main; rc = main(['--help']);"
        "heavy = [m for m in ('pandas', 'napalm', 'netmiko', 'matplotlib', 'nornir', 'pysnmp')"
        " if m in sys.modules]; print(heavy); sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]"), out.stdout
    assert "inventory" in out.stdout


def test_unknown_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "frobnicate"]) == 2
    assert "No such command" in capsys.readouterr().err
    assert main(["--lang", "id", "frobnicate"]) == 2
    assert "perintah 'frobnicate' tidak ada (lihat 'bwauto --help')" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("bwauto ")


def test_console_script_exit_code_and_no_traceback(tmp_path: pytest.TempPathFactory) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bwauto", "--inventory", "/nonexistent", "inventory", "check"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("galat: inventory: /nonexistent: inventory directory not found")
