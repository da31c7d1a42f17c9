"""Progress and summary of a playbook run on a rich console."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bwauto.playbooks.runner import PlayReport, StepOutcome

STYLE = {
    "ok": "green",
    "changed": "yellow",
    "would_change": "cyan",
    "skipped": "dim",
    "failed": "bold red",
}


WIDE = 120
"""Below this many columns the summary is one line per step instead of a table."""
ALREADY = "(already recorded)"


def _label(outcome: StepOutcome) -> tuple[str, str]:
    """``ok (already recorded)`` and the rest of the message, or the status and the message."""
    message = outcome.result.message
    if outcome.result.status == "ok" and message.startswith(ALREADY):
        return f"ok {ALREADY}", message[len(ALREADY) :].strip()
    return outcome.result.status, message


class RichReporter:
    """Prints ``[i/n] name (task)`` then the status of each step; ``summary`` at the end."""

    def __init__(self, console: Console) -> None:
        """Report on ``console``."""
        self.console = console

    def step_started(self, index: int, total: int, name: str, task: str) -> None:
        """One line when a step starts."""
        self.console.print(f"[bold][{index}/{total}][/] {escape(name)} [dim]({task})[/]")

    def step_finished(self, outcome: StepOutcome) -> None:
        """The step's status, time and message (``ok (already recorded) ...``)."""
        status = outcome.result.status
        label, text = _label(outcome)
        message = f" {escape(text)}" if text else ""
        self.console.print(
            f"      [{STYLE[status]}]{label}[/] [dim]{outcome.seconds:.1f} s[/]{message}"
        )

    def log(self, message: str) -> None:
        """A task's progress line, indented under its step."""
        self.console.print(f"      {escape(message)}")

    def summary(self, report: PlayReport) -> None:
        """The summary table (folded into lines below ``WIDE`` columns) and the final line."""
        mode = " (dry-run)" if report.dry_run else ""
        if self.console.width < WIDE:
            self.console.print(f"[bold]{escape(report.name)}{mode}[/]")
            for o in report.outcomes:
                label, text = _label(o)
                style = STYLE[o.result.status]
                head = f"  {o.index}. {escape(o.name)} ({o.task}):"
                self.console.print(f"{head} [{style}]{label}[/] {escape(text)}")
        else:
            self._table(report, mode)
        self._verdict(report)

    def _table(self, report: PlayReport, mode: str) -> None:
        table = Table(
            "#", "step", "task", "status", "time", "message", title=f"{escape(report.name)}{mode}"
        )
        for o in report.outcomes:
            table.add_row(
                str(o.index),
                escape(o.name),
                o.task,
                f"[{STYLE[o.result.status]}]{o.result.status}[/]",
                f"{o.seconds:.1f} s",
                escape(o.result.message),
            )
        self.console.print(table)

    def _verdict(self, report: PlayReport) -> None:
        counts = {s: sum(o.result.status == s for o in report.outcomes) for s in STYLE}
        parts = [f"{n} {s}" for s, n in counts.items() if n]
        if report.not_run:
            parts.append(f"{report.not_run} not run")
        verdict = "[bold red]FAILED[/]" if report.failed else "[green]OK[/]"
        stop = f", stopped at step {report.stopped_at}" if report.stopped_at else ""
        self.console.print(f"{verdict}: {', '.join(parts) or 'nothing to do'}{stop}")
