"""A bwauto app with the request and play commands, as app.py will mount them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from cli_harness import Bw

import bwauto.cli.app as app_module
from bwauto.case.signing import throwaway_keys
from bwauto.cli import play_cmd, request_cmd

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def bw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Bw:
    """Run ``bwauto --inventory <copy> --state-dir <tmp> ARGS``: (exit code, stdout, stderr)."""
    app = typer.Typer(no_args_is_help=True)
    app.callback()(app_module.root)
    app.add_typer(request_cmd.app, name="request")
    app.command("play")(play_cmd.play)
    monkeypatch.setattr(app_module, "app", app)
    monkeypatch.setenv("COLUMNS", "200")
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventory", inventory)
    throwaway_keys(inventory)  # reviews are signed: a key per role, as the lab has
    state = tmp_path / "state"

    def run(*args: str) -> tuple[int, str, str]:
        code = app_module.main(["--inventory", str(inventory), "--state-dir", str(state), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
