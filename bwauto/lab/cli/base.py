"""The platform-neutral core of a simulated router CLI. Pure: no I/O, no clock of its own.

Three pieces, each usable alone:

* ``CommandTable`` — a keyword trie matching a tokenised line to a ``Command``, with the
  unique-prefix abbreviations every router CLI accepts (``sh run``, ``/sys res pr``) and a
  ``CliParseError`` (unknown / ambiguous / incomplete, with the column) that each platform words
  its own way.
* ``CliSession`` — one logged-in user: ``prompt()``, ``handle_line(line) -> Reply``. A platform
  subclasses it; the session mutates ``router.config`` under ``router.lock``.
* ``Terminal`` — the line discipline between raw keystrokes and a session: echo, CR / LF / CRLF,
  backspace, Ctrl-C, no echo while a password is typed, ``\\r\\n`` line endings.

The SSH adapter (``bwauto.lab.ssh_server``) only moves ``Chunk``s between a socket and a
``Terminal``.
"""

from __future__ import annotations

import enum
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar, runtime_checkable

from bwauto.lab.model import LabRouter, LabRouterSpec, PlatformConfig

S = TypeVar("S")


class ParseFailure(enum.Enum):
    """Why a line did not match a command."""

    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"
    INCOMPLETE = "incomplete"


class CliParseError(Exception):
    """A line that matches no command; ``column`` is 0-based in the line, ``token`` the culprit."""

    def __init__(self, kind: ParseFailure, column: int, token: str = "") -> None:
        super().__init__(f"{kind.value} at column {column}: {token!r}")
        self.kind = kind
        self.column = column
        self.token = token


class CliCommandError(Exception):
    """A command that parsed but was refused; ``message`` is what the router prints."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a command line and where it starts (0-based column)."""

    text: str
    column: int


_WORD_RE = re.compile(r"\S+")


def split_words(line: str) -> list[Token]:
    """Split a line at whitespace, keeping each word's column.

    Examples:
        >>> [(t.text, t.column) for t in split_words("  sh  run")]
        [('sh', 2), ('run', 6)]
    """
    return [Token(m.group(), m.start()) for m in _WORD_RE.finditer(line)]


@dataclass(frozen=True, slots=True)
class Invocation:
    """A matched line: the keyword tokens, the argument tokens and the raw line."""

    line: str
    words: tuple[Token, ...]
    args: tuple[Token, ...]

    def rest(self, index: int = 0) -> str:
        """The raw text from argument ``index`` to the end of the line ("" if none)."""
        if index >= len(self.args):
            return ""
        return self.line[self.args[index].column :].rstrip()


@dataclass(frozen=True, slots=True)
class Command(Generic[S]):
    """One command of a mode: its keywords, its handler, how many arguments it takes."""

    words: tuple[str, ...]
    handler: Callable[[S, Invocation], str]
    min_args: int = 0
    max_args: int | None = 0


@dataclass
class _Node(Generic[S]):
    children: dict[str, _Node[S]] = field(default_factory=dict)
    command: Command[S] | None = None


class CommandTable(Generic[S]):
    """Keyword trie of one CLI mode; keywords match by unique, case-insensitive prefix."""

    def __init__(self, commands: Iterable[Command[S]]) -> None:
        self._root: _Node[S] = _Node()
        for command in commands:
            node = self._root
            for word in command.words:
                node = node.children.setdefault(word.lower(), _Node())
            node.command = command

    def match(self, line: str, tokens: list[Token]) -> tuple[Command[S], Invocation]:
        """Find the command a tokenised line invokes.

        Raises:
            CliParseError: no command matches (unknown word, ambiguous prefix, missing words).
        """
        node, used = self._root, 0
        while used < len(tokens):
            child = self._child(node, tokens[used])
            if child is None:
                break
            node, used = child, used + 1
        command, args = node.command, tuple(tokens[used:])
        if command is None or len(args) < command.min_args:
            last = tokens[-1].text if tokens else ""
            raise CliParseError(ParseFailure.INCOMPLETE, len(line.rstrip()), last)
        if command.max_args is not None and len(args) > command.max_args:
            extra = args[command.max_args]
            raise CliParseError(ParseFailure.UNKNOWN, extra.column, extra.text)
        return command, Invocation(line, tuple(tokens[:used]), args)

    def menu_path(self, tokens: list[Token]) -> tuple[str, ...] | None:
        """The full keywords when the tokens name a menu (a keyword path that is not itself a
        command, e.g. RouterOS ``/queue simple``), else None."""
        node, path = self._root, []
        for token in tokens:
            word = token.text.lower()
            hits = [k for k in node.children if k == word] or [
                k for k in node.children if k.startswith(word)
            ]
            if len(hits) != 1:
                return None
            path.append(hits[0])
            node = node.children[hits[0]]
        if node.command is not None or not node.children:
            return None
        return tuple(path)

    def _child(self, node: _Node[S], token: Token) -> _Node[S] | None:
        word = token.text.lower()
        if word in node.children:
            return node.children[word]
        hits = [child for key, child in node.children.items() if key.startswith(word)]
        if len(hits) > 1:
            raise CliParseError(ParseFailure.AMBIGUOUS, token.column, token.text)
        if hits:
            return hits[0]
        if node.command is None:
            raise CliParseError(ParseFailure.UNKNOWN, token.column, token.text)
        return None


class SessionEnd(enum.Enum):
    """How a reply ends the session, if it does."""

    NONE = "none"
    CLOSE = "close"  # the user logged out: close the channel cleanly
    DROP = "drop"  # the router "crashed": abort the connection without a word


@dataclass(frozen=True, slots=True)
class Reply:
    """What a session answers to one line: output text ('\\n' line ends, no prompt)."""

    text: str = ""
    end: SessionEnd = SessionEnd.NONE


class CliSession(ABC):
    """One logged-in user on a simulated router; subclassed per platform."""

    def __init__(self, router: LabRouter, username: str) -> None:
        self.router = router
        self.username = username
        self.echo = True  # False while the user types a password
        self._config_lines = 0
        self._booted = router.boot_time

    @property
    def router_reloaded(self) -> bool:
        """True once the router has rebooted since this session logged in: a reload ends
        every session (the TCP connection is gone with the old process)."""
        return self.router.boot_time != self._booted

    def greeting(self) -> str:
        """Text shown once after login, before the first prompt."""
        return ""

    @abstractmethod
    def prompt(self) -> str:
        """The prompt to print now (without a line end)."""

    @abstractmethod
    def handle_line(self, line: str) -> Reply:
        """Run one line typed by the user."""

    def interrupt(self) -> Reply:
        """Ctrl-C: abandon the current line (and any question being asked)."""
        self.echo = True
        return Reply()

    def run_command(self, line: str) -> str:
        """Run one command non-interactively (an SSH ``exec`` request); return its output."""
        return self.handle_line(line).text

    def config_line_allowed(self) -> bool:
        """Count one configuration line; False when the ``drop_after_config_lines`` fault says
        the connection must drop before this line is applied."""
        faults = self.router.faults
        limit = faults.drop_after_config_lines
        self._config_lines += 1
        allowed = limit is None or self._config_lines <= limit
        if not allowed and faults.drop_once:  # a transient blip: the next session is spared
            faults.drop_after_config_lines, faults.drop_once = None, False
        return allowed


class ModeStack(Generic[S]):
    """The stack of CLI modes of a session (exec, config, config-if, ...); never empty."""

    def __init__(self, base: S) -> None:
        self._stack: list[S] = [base]

    @property
    def current(self) -> S:
        """The innermost mode."""
        return self._stack[-1]

    def push(self, mode: S) -> None:
        """Enter a sub-mode."""
        self._stack.append(mode)

    def pop(self) -> S:
        """Leave the innermost mode (the base mode is never popped)."""
        return self._stack.pop() if len(self._stack) > 1 else self._stack[0]

    def unwind(self, depth: int) -> None:
        """Keep only the ``depth`` outermost modes."""
        del self._stack[max(1, depth) :]

    def replace_top(self, mode: S) -> None:
        """Swap the innermost mode for ``mode``."""
        self._stack[-1] = mode

    def __len__(self) -> int:
        return len(self._stack)

    def __iter__(self) -> Iterator[S]:
        return iter(list(self._stack))


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes for the client: an echo of typed keys, or a reply (which faults may delay)."""

    text: str
    is_reply: bool
    end: SessionEnd = SessionEnd.NONE


_SPECIAL_RE = re.compile(r"[\r\n\x00\x03\x08\x7f]")


class Terminal:
    """Line discipline between raw keystrokes and a ``CliSession``."""

    def __init__(self, session: CliSession, newline: str = "\r\n") -> None:
        self.session = session
        self.newline = newline
        self._line: list[str] = []
        self._after_cr = False
        self.ended = False

    def start(self) -> list[Chunk]:
        """The greeting and first prompt."""
        return [Chunk(self._crlf(self.session.greeting()) + self.session.prompt(), True)]

    def feed(self, data: str) -> list[Chunk]:
        """Process keystrokes; return what to send back, in order."""
        out: list[Chunk] = []
        pos = 0
        for m in _SPECIAL_RE.finditer(data):
            self._type(data[pos : m.start()], out)
            pos = m.end()
            self._control(m.group(), out)
            if self.ended:
                return out
        self._type(data[pos:], out)
        return out

    def _type(self, text: str, out: list[Chunk]) -> None:
        if not text:
            return
        self._after_cr = False
        self._line.append(text)
        if self.session.echo:
            out.append(Chunk(text, False))

    def _control(self, char: str, out: list[Chunk]) -> None:
        after_cr, self._after_cr = self._after_cr, char == "\r"
        if (char == "\n" and after_cr) or char == "\x00":
            return
        if char in "\r\n":
            self._enter(out)
        elif char == "\x03":
            self._line.clear()
            reply = self.session.interrupt()
            out.append(Chunk("^C" + self.newline + self._render(reply), True, reply.end))
        elif self._line:  # backspace
            last = self._line[-1][:-1]
            self._line[-1:] = [last] if last else []
            if self.session.echo:
                out.append(Chunk("\b \b", False))

    def _enter(self, out: list[Chunk]) -> None:
        line = "".join(self._line)
        self._line.clear()
        out.append(Chunk(self.newline, False))
        reply = Reply(end=SessionEnd.DROP) if self.session.router_reloaded else None
        reply = reply or self.session.handle_line(line)
        if reply.end is SessionEnd.DROP:
            self.ended = True
            out.append(Chunk("", True, reply.end))
            return
        if reply.end is SessionEnd.CLOSE:
            self.ended = True
            out.append(Chunk(self._crlf(reply.text), True, reply.end))
            return
        out.append(Chunk(self._render(reply), True))

    def _render(self, reply: Reply) -> str:
        text = self._crlf(reply.text)
        return text + self.session.prompt()

    def _crlf(self, text: str) -> str:
        if not text:
            return ""
        body = text if text.endswith("\n") else text + "\n"
        return body.replace("\r\n", "\n").replace("\n", self.newline)


SessionFactory = Callable[[LabRouter, str], CliSession]
"""``factory(router, login_name)`` opens a session; ``login_name`` is the SSH user as sent."""


def _same_user(login_name: str) -> str:
    return login_name


@dataclass(frozen=True)
class Platform:
    """What the lab needs to simulate one platform.

    Attributes:
        name: Netmiko's platform name.
        make_config: builds the boot config of a spec, given a clock.
        make_session: opens a CLI session on a router for an SSH login name.
        login_user: the configured user behind an SSH login name (MikroTik's ``admin+ct``).
        failed_when_contains: strings in a reply that mean the command failed.
    """

    name: str
    make_config: Callable[[LabRouterSpec, Callable[[], float]], PlatformConfig]
    make_session: SessionFactory
    login_user: Callable[[str], str] = _same_user
    failed_when_contains: tuple[str, ...] = ()


@runtime_checkable
class ScheduledConfig(Protocol):
    """A config with timed events (RouterOS scheduler, IOS revert timer)."""

    clock: Callable[[], float]

    def next_deadline(self) -> float | None:
        """When the next event is due (on the config's clock), None if none is pending."""
        ...

    def run_due(self, router: LabRouter) -> int:
        """Run every event due now (caller holds ``router.lock``); return how many ran."""
        ...
