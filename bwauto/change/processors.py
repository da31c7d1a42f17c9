"""Nornir processors of a change run: evidence on disk and progress on the terminal.

Evidence is written here, once per link, from the records each host's task returns, so tasks
never write files themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task

from bwauto.change.evidence import EvidenceRecord, write_evidence


class NoopProcessor:
    """Every Nornir processor hook, doing nothing; subclasses override what they need."""

    def task_started(self, task: Task) -> None:
        """Nornir hook."""

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        """Nornir hook."""

    def task_instance_started(self, task: Task, host: Host) -> None:
        """Nornir hook."""

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        """Nornir hook."""

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        """Nornir hook."""

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        """Nornir hook."""


class EvidenceProcessor(NoopProcessor):
    """Writes each host's evidence records as soon as its task ends; collects them."""

    def __init__(self, state_dir: Path, write: bool = True) -> None:
        self.state_dir = state_dir
        self.write = write
        self.records: list[EvidenceRecord] = []
        self.paths: list[Path] = []

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        """Persist the records of ``host`` (the task's own result is the first of the list)."""
        records = result[0].result if result and isinstance(result[0].result, list) else []
        for record in records:
            if isinstance(record, EvidenceRecord):
                self.records.append(record)
                if self.write:
                    self.paths.append(write_evidence(self.state_dir, record))


class ProgressProcessor(NoopProcessor):
    """Advances a rich progress bar once per router."""

    def __init__(self, progress: Any, task_id: Any) -> None:
        self.progress = progress
        self.task_id = task_id

    def task_instance_started(self, task: Task, host: Host) -> None:
        """Show which router is being worked on."""
        self.progress.update(self.task_id, description=f"{host.name}")

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        """One more router done."""
        self.progress.advance(self.task_id)
