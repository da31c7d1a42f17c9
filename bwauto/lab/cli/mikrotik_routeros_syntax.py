"""RouterOS command-line syntax: tokens (with quotes and ``[ ... ]``), statements, arguments,
and the router's own error wording (``bad command name X (line 1 column N)``...)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bwauto.lab.cli.base import Token

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$", "?": "?", "_": " "}


class RouterOsError(Exception):
    """A command refused; ``message`` is exactly what RouterOS prints."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def bad_command(token: Token) -> RouterOsError:
    """``bad command name X (line 1 column N)``."""
    name = token.text.split("=", 1)[0]
    return RouterOsError(f"bad command name {name} (line 1 column {token.column + 1})")


def syntax_error(column: int) -> RouterOsError:
    """``syntax error (line 1 column N)``; ``column`` 0-based."""
    return RouterOsError(f"syntax error (line 1 column {column + 1})")


def expected_end(token: Token) -> RouterOsError:
    """``expected end of command (line 1 column N)``."""
    return RouterOsError(f"expected end of command (line 1 column {token.column + 1})")


def invalid_value(name: str) -> RouterOsError:
    """``invalid value for argument NAME``."""
    return RouterOsError(f"invalid value for argument {name}")


def _skip_quoted(text: str, i: int) -> int:
    """Index after the closing quote of the string starting at ``text[i] == '"'``."""
    i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    raise syntax_error(len(text))


def _skip_bracket(text: str, i: int) -> int:
    """Index after the ``]`` matching ``text[i] == '['``."""
    depth = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _skip_quoted(text, i)
            continue
        depth += {"[": 1, "]": -1}.get(char, 0)
        i += 1
        if depth == 0:
            return i
    raise syntax_error(len(text))


def tokenize(line: str) -> list[Token]:
    """Split a command line into words; quoted strings and ``[...]`` stay whole.

    Raises:
        RouterOsError: ``syntax error`` on an unclosed quote or bracket.

    Examples:
        >>> [t.text for t in tokenize('/queue simple set [find name="a b"] max-limit=1M/2M')]
        ['/queue', 'simple', 'set', '[find name="a b"]', 'max-limit=1M/2M']
    """
    tokens: list[Token] = []
    i = 0
    while i < len(line):
        if line[i].isspace():
            i += 1
            continue
        start = i
        while i < len(line) and not line[i].isspace():
            if line[i] == '"':
                i = _skip_quoted(line, i)
            elif line[i] == "[":
                i = _skip_bracket(line, i)
            elif line[i] == "]":
                raise syntax_error(i)
            else:
                i += 1
        tokens.append(Token(line[start:i], start))
    return tokens


def split_statements(script: str) -> list[str]:
    """Split a script at top-level ``;`` and line ends.

    Examples:
        >>> split_statements('/a set x="1;2"; /b remove [find name="c;d"]')
        ['/a set x="1;2"', '/b remove [find name="c;d"]']
    """
    parts, start, i = [], 0, 0
    while i < len(script):
        char = script[i]
        if char == '"':
            i = _skip_quoted(script, i)
        elif char == "[":
            i = _skip_bracket(script, i)
        elif char in ";\n":
            parts.append(script[start:i])
            start = i = i + 1
        else:
            i += 1
    parts.append(script[start:])
    return [p.strip() for p in parts if p.strip()]


def unquote(value: str) -> str:
    """The value of a (possibly quoted) RouterOS word.

    Examples:
        >>> unquote('"a \\\\"b\\\\""'), unquote("plain")
        ('a "b"', 'plain')
    """
    if len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
        return value
    out, i, body = [], 0, value[1:-1]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def expand_path(token: Token) -> list[Token]:
    """``/queue/simple/print`` -> ``queue``, ``simple``, ``print`` (columns kept)."""
    words = []
    for match in re.finditer(r"[^/]+", token.text):
        words.append(Token(match.group(), token.column + match.start()))
    return words


@dataclass
class Arguments:
    """The arguments of one command: positional words and ``name=value`` pairs."""

    positional: list[Token] = field(default_factory=list)
    named: dict[str, tuple[str, Token]] = field(default_factory=dict)

    @classmethod
    def parse(cls, tokens: tuple[Token, ...]) -> Arguments:
        """Sort tokens into positional words and ``name=value`` pairs."""
        args = cls()
        for token in tokens:
            name, eq, value = token.text.partition("=")
            if eq and name and not token.text.startswith(("[", '"')):
                args.named[name] = (unquote(value), token)
            else:
                args.positional.append(token)
        return args

    def reject_unknown(self, allowed: set[str]) -> None:
        """``expected end of command`` at the first argument not in ``allowed``."""
        for name, (_, token) in self.named.items():
            if name not in allowed:
                raise expected_end(token)


def parse_conditions(tokens: list[Token]) -> list[tuple[str, str, str]]:
    """``name="x" target~"eth"`` -> ``[("name", "=", "x"), ("target", "~", "eth")]``.

    Raises:
        RouterOsError: ``syntax error`` on anything else.
    """
    found = []
    for token in tokens:
        if token.text == "and":
            continue
        match = re.match(r"^([a-z-]+)([=~])(.*)$", token.text, re.S)
        if match is None:
            raise syntax_error(token.column)
        found.append((match.group(1), match.group(2), unquote(match.group(3))))
    return found


def find_conditions(token: Token) -> list[tuple[str, str, str]]:
    """The conditions of a ``[find ...]`` / ``[ find where ... ]`` expression."""
    inner = token.text[1:-1]
    words = [Token(t.text, t.column + token.column + 1) for t in tokenize(inner)]
    if not words or words[0].text.lstrip("/") not in ("find", "f"):
        raise syntax_error(token.column + 1)
    rest = words[1:]
    if rest and rest[0].text == "where":
        rest = rest[1:]
    return parse_conditions(rest)


def matches(props: dict[str, str], conditions: list[tuple[str, str, str]]) -> bool:
    """True when an item's printed properties satisfy every condition."""
    for name, op, value in conditions:
        actual = props.get(name)
        if actual is None:
            return False
        if op == "=" and actual != value:
            return False
        if op == "~" and re.search(value, actual) is None:
            return False
    return True
