"""The CLI's consoles are made on first use and still serve everything rich gives them to."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import cast

import pytest
from rich.console import Console
from rich.progress import Progress

from bwauto.cli import output
from bwauto.cli.output import LazyConsole


def _terminal() -> tuple[Console, io.StringIO]:
    """A lazy console on a terminal of 60 columns (typed as what it stands for)."""
    buf = io.StringIO()
    console = LazyConsole(file=buf, force_terminal=True, width=60, color_system=None)
    return cast(Console, console), buf


def test_the_consoles_are_made_when_first_used() -> None:
    """Before: importing ``bwauto.cli.output`` imported rich and made both consoles."""
    code = (
        "import sys; from bwauto.cli import output; before = 'rich' in sys.modules;"
        "w = output.err_console.width; print(before, 'rich.console' in sys.modules,"
        " output.console.made, output.err_console.made, output.err_console.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "False", "True", "True"]


def test_progress_status_and_is_terminal_work_through_the_proxy() -> None:
    console, buf = _terminal()
    assert console.is_terminal and console.width == 60
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("polling", total=2)
        bar.advance(task, 2)
    with console.status("asking the servers"):
        console.print("[bold]done[/]")
    assert "done" in buf.getvalue() and "\x1b[" in buf.getvalue()  # drawn as on a terminal


def test_attributes_set_on_the_proxy_reach_the_console() -> None:
    console, buf = _terminal()
    console.quiet = True
    console.print("hidden")
    assert buf.getvalue() == "" and console.quiet


def test_the_module_consoles_write_to_the_current_stdout_and_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output.console.print("to stdout")
    output.error("to [stderr]")
    out = capsys.readouterr()
    assert out.out == "to stdout\n" and out.err == "galat: to [stderr]\n"
