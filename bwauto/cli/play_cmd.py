"""``bwauto play FILE [-e key=value ...] [--dry-run]``: run a playbook of bwauto tasks.

The playbook is validated as a whole first (unknown task, missing or mistyped parameter,
undefined variable: every problem with the playbook's line) and nothing runs if it is refused.
Then each step runs with ``--dry-run`` passed to it; the run stops at the first failed step
unless that step says ``continue_on_error: true``. Exit 0 if no step failed, 1 if one did,
2 if the playbook was refused, 130 if SIGINT/SIGTERM stopped a step (the same command resumes).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bwauto.cli.context import app_context
from bwauto.cli.output import JsonOption, console, print_json

if TYPE_CHECKING:
    from bwauto.playbooks.validate import PlannedStep


def play(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="The playbook (YAML), or a shipped one by name.")
    ],
    extra: Annotated[
        list[str] | None,
        typer.Option("-e", "--extra-var", help="Set a variable: -e key=value (repeatable)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Every step checks and shows; nothing changes.")
    ] = False,
    as_json: JsonOption = False,
    start_at: Annotated[
        str | None,
        typer.Option("--from", metavar="STEP_ID", help="Start at this step (its id or number)."),
    ] = None,
    step: Annotated[bool, typer.Option("--step", help="Ask before each step (y/n/c).")] = False,
) -> None:
    """Run a playbook: a named sequence of bwauto tasks (see playbooks/). Safe to run again: a
    step the case already records is 'ok (already recorded)'; after a failure the same command
    resumes at the failed step."""
    from bwauto.playbooks import load_playbook, load_tasks, parse_overrides, plan, run
    from bwauto.playbooks.progress import RichReporter

    app = app_context(ctx)
    if not file.exists() and file.parent == Path():
        from bwauto.shipped import shipped_playbook

        file = shipped_playbook(file.name)
    validated = plan(load_playbook(file), load_tasks(), parse_overrides(extra or []), dry_run)
    reporter = RichReporter(console)
    with _sigterm_interrupts():
        report = run(
            validated,
            dry_run=dry_run,
            inventory_dir=app.inventory_dir,
            state_dir=app.state_dir,
            reporter=None if as_json else reporter,
            start_at=start_at,
            ask=_Ask() if step else None,
        )
    if as_json:
        print_json(report.to_dict())
    else:
        reporter.summary(report)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM as Ctrl-C while the playbook runs: the step stops (a raise at its next safe
    point), the run says which step and exits 130, as it does for SIGINT."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Ask:
    """``--step``: before each step, ``y`` runs it, ``n`` passes over it, ``c`` runs it and
    every later one without asking."""

    def __init__(self) -> None:
        self.asking = True

    def __call__(self, planned: PlannedStep) -> bool:
        if not self.asking:
            return True
        answer = (
            typer.prompt(
                f"Run step {planned.step.index} ({planned.step.name})? [y/n/c]",
                default="y",
                err=True,
            )
            .strip()
            .lower()
        )
        if answer.startswith("c"):
            self.asking = False
        return not answer.startswith("n")
