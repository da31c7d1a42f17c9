"""Every help screen in click's plain layout, as ``bwauto --help``: typer's rich layout
imports more (rich's markdown, tracebacks, pretty-printer) than all of bwauto's start-up, and
shows typer's internal type tags (``<bool>``, ``<list[str]>``).

``plain(command)`` walks the click command tree once: an option that takes a value and names
no metavar gets click's (``TEXT``, ``INTEGER``, ``FLOAT``, ``PATH``), and the ``\\[`` escapes
that rich needed in help texts become plain ``[`` (and a docstring's double backquotes single
quotes).

A command's line in its group's list is its first sentence, whole (click cut it at about 45
characters, mid-sentence).

Examples:
    >>> metavar("<list[str]>"), metavar("<int range>"), metavar("<list[Path]>")
    ('TEXT', 'INTEGER', 'PATH')
    >>> first_sentence("Write a document again (e.g. after a fix). Then more.")
    'Write a document again (e.g. after a fix).'
"""

from __future__ import annotations

import re
from typing import Any

_SENTENCE = re.compile(r"^(.*?(?<!\be\.g)(?<!\bi\.e)[.?!])(?=\s|$)", re.DOTALL)

_NAMES = {"str": "TEXT", "int": "INTEGER", "int range": "INTEGER", "float": "FLOAT",
          "float range": "FLOAT", "path": "PATH", "Path": "PATH", "bool": "BOOLEAN"}  # fmt: skip
"""Typer's type tag (inside ``<...>``, a list's element) -> click's metavar."""


def metavar(tag: str) -> str:
    """Click's metavar for typer's type tag ``<...>``; a tag it does not know, upper-cased."""
    inner = tag.strip("<>")
    if inner.startswith("list[") and inner.endswith("]"):
        inner = inner[5:-1]
    return _NAMES.get(inner, inner.upper())


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` on one line (``e.g.`` and ``i.e.`` do not end it)."""
    flat = " ".join(text.split())
    match = _SENTENCE.match(flat)
    return match.group(1) if match else flat


def _no_type(ctx: Any) -> None:
    """No type tag beside an argument's name."""
    return None


def plain(command: Any, ctx: Any = None) -> Any:
    """``command`` and every subcommand in the plain layout; returns ``command``."""
    from typer._click import Context

    ctx = ctx or Context(command)
    for param in command.params:
        if param.help:
            param.help = param.help.replace("\\[", "[")
        if param.param_type_name == "argument":
            param.metavar = param.metavar or (param.name or "ARG").upper()
            param.display_type_rich = _no_type  # its name says it; typer would add "<str>"
        elif param.metavar is None and not param.is_flag:
            param.metavar = metavar(param.display_type(ctx))
    if command.help:
        command.help = command.help.replace("\\[", "[").replace("``", "'")
    for sub in getattr(command, "commands", {}).values():
        if not sub.short_help and sub.help:
            sub.short_help = first_sentence(sub.help)
        plain(sub, ctx)
    return command
