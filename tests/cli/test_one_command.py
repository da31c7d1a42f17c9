"""``main`` builds only the command it runs (``app_for``): every output is the one the whole
command tree gives, and the root's help still lists every command."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

import bwauto.cli.app as app_module
from bwauto.cli.app import app_for, main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "inventory")
CASES = [
    ["--help"],
    ["--help", "inventory"],
    ["--lang", "en", "--help", "raise"],
    [],
    ["--version"],
    ["inventory", "--help"],
    ["-i", SAMPLE, "inventory", "check"],
    [f"--inventory={SAMPLE}", "--lang", "en", "inventory", "list"],
    ["--lang", "en", "inventory", "chek"],
    ["--lang", "id", "raise", "--link"],
    ["--lang", "en", "raise", "--bogus"],
    ["--lang", "en", "frobnicate"],
    ["--lang", "en", "invntory", "check"],
    ["--lang", "en", "--invent", SAMPLE, "inventory", "check"],
    ["--lang", "xx", "inventory", "check"],
    ["request", "--help"],
    ["request", "new", "--help"],
    ["samples", "import", "--help"],
    ["--", "poll", "--help"],
    ["-i", "--weird", "inventory", "check"],
]


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a) or "(none)")
def test_the_one_command_tree_says_what_the_whole_tree_says(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("BWAUTO_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    got = _run(args, capsys)
    monkeypatch.setattr(app_module, "app_for", lambda _: app_module.app)
    assert got == _run(args, capsys)


def _names(part: typer.Typer) -> list[str | None]:
    return [c.name for c in part.registered_commands] + [g.name for g in part.registered_groups]


def test_only_the_named_command_is_built() -> None:
    assert _names(app_for(["-i", "x", "--lang=en", "inventory", "check"])) == ["inventory"]
    assert _names(app_for(["raise", "--link", "dinkes"])) == ["raise"]
    everything = _names(app_module.app)
    assert len(everything) > 10
    for args in (["--help"], ["--help", "raise"], [], ["frobnicate"], ["--lang", "en"]):
        assert _names(app_for(args)) == everything, args


def test_shell_completion_gets_the_whole_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_BWAUTO_COMPLETE", "complete_bash")
    assert app_for(["inventory"]) is app_module.app
