"""Progress and summary of a playbook run on a rich console."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bwauto.i18n import _
from bwauto.playbooks.runner import PlayReport, StepOutcome

STYLE = {
    "ok": "green",
    "changed": "yellow",
    "would_change": "cyan",
    "skipped": "dim",
    "failed": "bold red",
    "interrupted": "bold red",
}


LABELS = {
    "ok": "ok",
    "changed": "changed",
    "would_change": "would change",
    "skipped": "skipped",
    "failed": "failed",
    "interrupted": "interrupted",
}
"""A status as the person reads it (``--json`` keeps the status itself)."""


WIDE = 120
"""Below this many columns the summary is one line per step instead of a table."""
ALREADY = "(already recorded)"


def _label(outcome: StepOutcome) -> tuple[str, str]:
    """``ok (already recorded)`` and the rest of the message, or the status and the message
    (``skipped: decision is CANNOT``), in the chosen language."""
    message = outcome.result.message
    status = outcome.result.status
    if status == "ok" and message.startswith(ALREADY):
        return _("ok (already recorded)"), message[len(ALREADY) :].strip()
    return _(LABELS.get(status, status)), message


class RichReporter:
    """Prints ``[i/n] name (task)`` then the status of each step; ``summary`` at the end."""

    def __init__(self, console: Console) -> None:
        """Report on ``console``."""
        self.console = console

    def step_started(self, index: int, total: int, name: str, task: str) -> None:
        """One line when a step starts: its name (the task's own name is in ``--json``)."""
        self.console.print(f"[bold][{index}/{total}][/] {escape(name)}")

    def step_finished(self, outcome: StepOutcome) -> None:
        """The step's status, message and time (``skipped: decision is CANNOT (0.0 s)``)."""
        status = outcome.result.status
        label, text = _label(outcome)
        message = f": {escape(text)}" if text else ""
        self.console.print(
            f"      [{STYLE[status]}]{label}[/]{message} [dim]({outcome.seconds:.1f} s)[/]"
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
                head = f"  {o.index}. {escape(o.name)}:"
                tail = f": {escape(text)}" if text else ""
                self.console.print(f"{head} [{style}]{label}[/]{tail}")
        else:
            self._table(report, mode)
        self._verdict(report)

    def _table(self, report: PlayReport, mode: str) -> None:
        headers = ("#", _("step"), _("status"), _("time"), _("message"))
        table = Table(*headers, title=f"{escape(report.name)}{mode}")
        for o in report.outcomes:
            label, text = _label(o)
            table.add_row(
                str(o.index),
                escape(o.name),
                f"[{STYLE[o.result.status]}]{escape(label)}[/]",
                f"{o.seconds:.1f} s",
                escape(text),
            )
        self.console.print(table)

    def _verdict(self, report: PlayReport) -> None:
        if report.interrupted is not None:
            self.console.print(
                f"[bold red]{_('INTERRUPTED')}[/]: "
                + escape(_("step {step} ({name}) was interrupted; run the same command again "
                           "to resume from it").format(step=report.interrupted,
                                                       name=report.outcomes[-1].name))
            )  # fmt: skip
            return
        counts = {s: sum(o.result.status == s for o in report.outcomes) for s in STYLE}
        parts = [f"{n} {_(LABELS[s])}" for s, n in counts.items() if n]
        if report.not_run:
            parts.append(_("{n} not run").format(n=report.not_run))
        verdict = f"[bold red]{_('FAILED')}[/]" if report.failed else "[green]OK[/]"
        stop = (
            _(", stopped at step {step}").format(step=report.stopped_at)
            if report.stopped_at
            else ""
        )
        self.console.print(f"{verdict}: {', '.join(parts) or _('nothing to do')}{stop}")
