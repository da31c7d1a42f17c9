"""Console output: rich on a terminal, plain when piped; JSON to stdout for data.

``console`` and ``err_console`` are rich consoles made on first use: importing rich costs about
20 ms, which ``bwauto --help`` and a command that prints nothing need not pay. Every attribute
(``print``, ``status``, ``is_terminal``, ``width``) and ``with console:`` are the real
console's, so they can be given where a ``Console`` is expected (``Progress(console=...)``).

Examples:
    >>> import io
    >>> out = LazyConsole(file=io.StringIO(), width=20)
    >>> out.made
    False
    >>> out.print("[bold]ok[/]"); out.width, out.is_terminal, out.made
    (20, False, True)
    >>> out.file.getvalue()
    'ok\\n'
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

if TYPE_CHECKING:
    from rich.console import Console

JsonOption = Annotated[bool, typer.Option("--json", help="Output JSON (machine-readable).")]


class LazyConsole:
    """A ``rich.console.Console(**options)`` made when an attribute is first asked for."""

    __slots__ = ("_console", "_options")

    def __init__(self, **options: Any) -> None:
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_console", None)

    @property
    def made(self) -> bool:
        """Whether the real console exists yet (rich imported)."""
        return self._console is not None

    def _real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            object.__setattr__(self, "_console", Console(**self._options))
        return cast("Console", self._console)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._real(), name, value)

    def __enter__(self) -> Console:
        """``with console:`` (rich's ``Live`` buffers its output so): Python looks special
        methods up on the type, never through ``__getattr__``."""
        return self._real().__enter__()

    def __exit__(self, *exc: object) -> None:
        self._real().__exit__(*exc)


_OPTIONS: dict[str, Any] = {"highlight": False, "emoji": False, "soft_wrap": True}
console = cast("Console", LazyConsole(**_OPTIONS))
err_console = cast("Console", LazyConsole(stderr=True, **_OPTIONS))


def print_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout (no colours, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def plain_table(header: list[str], rows: list[list[str]]) -> str:
    """A table for a file or a pipe: one line per row, columns aligned with two spaces, the
    last column never padded nor cut (``grep`` finds a row whole), an empty cell as ``-``.

    Examples:
        >>> print(plain_table(["link", "outcome", "details"], [["dinkes", "dry-run", ""],
        ...                   ["kec-batamkota", "refused", "no drift: router 50M"]]))
        link           outcome  details
        dinkes         dry-run  -
        kec-batamkota  refused  no drift: router 50M
    """
    cells = [[c.replace("\n", " ") or "-" for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    lines = ["  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]])
             for row in cells]  # fmt: skip
    return "\n".join(line.rstrip() for line in lines)


def error(message: str) -> None:
    """One error line on stderr, as the user should read it (``galat:`` under Indonesian)."""
    from rich.markup import escape

    said = f"[bold red]{escape(_error_word())}:[/] {escape(message)}"
    err_console.print(said, markup=True, soft_wrap=True)


def _error_word() -> str:
    from bwauto.errors import UsageError
    from bwauto.i18n import _

    try:
        return _("error")
    except UsageError:  # the language is the error ($BWAUTO_LANG 'jv'): the code's own word
        return "error"
