"""A playbook as read from its YAML file, with the line of everything in it.

Format::

    name: Permohonan Kenaikan Bandwidth          # required
    description: ...                             # optional
    vars:                                        # optional; ~ (null) = must be given with -e
      request: ~
      lang: id
    steps:                                       # required, at least one
      - name: Langkah 6 — analisa                # optional (default: the task's name); or per
                                                 # language: {id: Langkah 6, en: Step 6}
        id: analyse                              # optional: lets `when` read its result
        task: analyse                            # required: a registered task
        with: {link: "{{ link }}", request: "{{ request }}"}   # the task's parameters
        when: steps.decide.data.decision == 'CAN'             # optional Jinja2 expression
        continue_on_error: false                 # optional: run on after a failure
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bwauto.errors import BwautoError, Problem

PLAYBOOK_KEYS = ("name", "description", "vars", "steps")
STEP_KEYS = ("name", "id", "task", "with", "when", "continue_on_error")


class PlaybookError(BwautoError):
    """A playbook is refused before it runs; ``problems`` lists everything found, with lines."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        if len(problems) == 1:
            super().__init__(f"playbook refused, nothing was run: {problems[0]}")
            return
        count = f"{len(problems)} problems"
        super().__init__(
            f"playbook refused, nothing was run: {count}:\n" + "\n".join(f"  {p}" for p in problems)
        )


@dataclass(frozen=True, slots=True)
class PlayStep:
    """One step of a playbook.

    Attributes:
        index: 1-based position.
        name: what the step is called in progress and summary.
        task: the task's registered name.
        params: the ``with`` mapping, not yet rendered.
        continue_on_error: a failure does not stop the playbook.
        when: a Jinja2 expression; the step runs only when it is true.
        id: names the step's result for later ``when`` expressions.
        line: the step's line in the file (1-based).
        task_line: the line of ``task:``.
        param_lines: parameter → the line of its key ("" → the line of ``with:``).
        when_line: the line of ``when:``.
    """

    index: int
    name: str
    task: str
    params: dict[str, Any]
    continue_on_error: bool = False
    when: str | None = None
    id: str | None = None
    line: int = 0
    task_line: int = 0
    param_lines: dict[str, int] = field(default_factory=dict)
    when_line: int = 0

    def line_of(self, param: str | None) -> int:
        """The line of ``param``'s key, else of ``with:``/the step."""
        return self.param_lines.get(param or "", self.param_lines.get("", self.line))

    @property
    def where(self) -> str:
        """``step 3 (name)`` for messages."""
        return f"step {self.index} ({self.name})"


@dataclass(frozen=True, slots=True)
class Playbook:
    """A parsed playbook."""

    path: Path
    name: str
    description: str
    vars: dict[str, Any]
    var_lines: dict[str, int]
    steps: tuple[PlayStep, ...]
