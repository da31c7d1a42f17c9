"""A simulated MikroTik RouterOS CLI: the command shell and the SSH session around it.

``RouterOsShell`` runs command lines (``/queue simple set [find name="q"] max-limit=50M/100M``)
against the router's ``RouterOsConfig``; the scheduler uses it to run ``on-event`` scripts.
``RouterOsSession`` adds the login banner, the ``[admin@r2] >`` prompt, menus
(``/queue simple`` then ``print``) and Netmiko's ``admin+ct511w4098h`` login options.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bwauto.lab.cli import mikrotik_routeros_items as items
from bwauto.lab.cli import mikrotik_routeros_print as show
from bwauto.lab.cli.base import (
    CliParseError,
    CliSession,
    Command,
    CommandTable,
    Invocation,
    ParseFailure,
    Platform,
    Reply,
    SessionEnd,
    Token,
)
from bwauto.lab.cli.mikrotik_routeros_config import ROS_VERSION, RouterOsConfig
from bwauto.lab.cli.mikrotik_routeros_syntax import (
    Arguments,
    RouterOsError,
    bad_command,
    expand_path,
    expected_end,
    split_statements,
    tokenize,
)
from bwauto.lab.model import LabRouter, LabRouterSpec

FAILED_WHEN_CONTAINS = (
    "bad command name",
    "syntax error",
    "no such item",
    "invalid value for argument",
    "expected end of command",
    "failure:",
    "input does not match any value",
)
_LOGIN_OPTS_RE = re.compile(r"(\d+)w")


class QuitSession(Exception):
    """``/quit``: the user leaves."""


class DropSession(Exception):
    """The ``drop_after_config_lines`` fault fired: the connection must die now."""


def login_user(login_name: str) -> str:
    """The RouterOS user behind an SSH login name (``admin+ct511w4098h`` -> ``admin``)."""
    return login_name.partition("+")[0]


def login_width(login_name: str, default: int = 80) -> int:
    """Terminal width from the login options (``+...511w...``), else ``default``."""
    match = _LOGIN_OPTS_RE.search(login_name.partition("+")[2])
    return int(match.group(1)) if match else default


class RouterOsShell:
    """Runs RouterOS command lines against one router (no prompt, no I/O)."""

    def __init__(
        self,
        router: LabRouter,
        user: str,
        width: int = 80,
        gate: Callable[[], bool] | None = None,
    ) -> None:
        if not isinstance(router.config, RouterOsConfig):
            raise TypeError(f"{router.spec.name}: config is not a RouterOsConfig")
        self.router = router
        self.config: RouterOsConfig = router.config
        self.user = user
        self.width = width
        self.menu: tuple[str, ...] = ()
        self.numbers: dict[tuple[str, ...], list[object]] = {}
        self._gate = gate

    def run_script(self, script: str) -> None:
        """Run a script's statements in order; the first error ends it (as RouterOS does)."""
        for statement in split_statements(script):
            try:
                self.execute(statement)
            except RouterOsError:
                return

    def execute(self, line: str) -> str:
        """Run one command line and return its output.

        Raises:
            RouterOsError: the command was refused (message as RouterOS prints it).
            QuitSession: the line was ``/quit``.
            DropSession: a configuration line hit the ``drop_after_config_lines`` fault.
        """
        tokens = tokenize(line)
        if not tokens:
            return ""
        words = self._absolute(tokens)
        menu = TABLE.menu_path(words)
        if menu is not None:
            self.menu = menu
            return ""
        try:
            command, inv = TABLE.match(line, words)
        except CliParseError as exc:
            raise self._parse_error(exc) from None
        if command.handler in MUTATORS and self._gate is not None and not self._gate():
            raise DropSession
        return command.handler(self, inv)

    def _absolute(self, tokens: list[Token]) -> list[Token]:
        first = tokens[0]
        if first.text == "..":
            return [Token(w, first.column) for w in self.menu[:-1]] + tokens[1:]
        if first.text.startswith("/"):
            return expand_path(first) + tokens[1:]
        return [Token(w, first.column) for w in self.menu] + tokens

    @staticmethod
    def _parse_error(exc: CliParseError) -> RouterOsError:
        if exc.kind is ParseFailure.INCOMPLETE:
            return RouterOsError(f"syntax error (line 1 column {exc.column + 1})")
        return bad_command(Token(exc.token, exc.column))

    # -- commands that are not about items -------------------------------------------------
    def quit(self, inv: Invocation) -> str:
        """``/quit``."""
        raise QuitSession

    def identity_print(self, inv: Invocation) -> str:
        """``/system identity print``."""
        _no_args(inv)
        return f"  name: {self.config.identity}"

    def identity_set(self, inv: Invocation) -> str:
        """``/system identity set name=X``."""
        args = Arguments.parse(inv.args)
        args.reject_unknown({"name"})
        if args.positional:
            raise expected_end(args.positional[0])
        if "name" in args.named:
            self.config.identity = args.named["name"][0]
        return ""

    def resource_print(self, inv: Invocation) -> str:
        """``/system resource print``."""
        _no_args(inv, allowed={"without-paging"})
        return show.print_resource(self.config, self.config.clock() - self.router.boot_time)

    def clock_print(self, inv: Invocation) -> str:
        """``/system clock print``."""
        _no_args(inv, allowed={"without-paging"})
        date, clock = show.ros_date(self.config.clock())
        values = {"time": clock, "date": date, "time-zone-autodetect": "no"}
        values |= {"time-zone-name": "UTC", "gmt-offset": "+00:00"}
        return "\n".join(f"{k:>22}: {v}" for k, v in values.items())

    def export(self, inv: Invocation) -> str:
        """``[/menu] export [compact|verbose|terse|hide-sensitive|show-sensitive]``."""
        flags = {"compact", "verbose", "terse", "hide-sensitive", "show-sensitive"}
        _no_args(inv, allowed=flags)
        menu = TABLE.menu_path(list(inv.words[:-1])) or ()
        terse = any(t.text == "terse" for t in inv.args)
        return show.export(self.config, menu, terse, self.width)


def _no_args(inv: Invocation, allowed: set[str] | None = None) -> None:
    for token in inv.args:
        if token.text not in (allowed or set()):
            raise expected_end(token)


class RouterOsSession(CliSession):
    """One SSH user on a simulated RouterOS router."""

    def __init__(self, router: LabRouter, login_name: str) -> None:
        super().__init__(router, login_user(login_name))
        self.shell = RouterOsShell(
            router, self.username, login_width(login_name), self.config_line_allowed
        )

    def greeting(self) -> str:
        """The MikroTik banner."""
        return _BANNER.format(version=ROS_VERSION)

    def prompt(self) -> str:
        """``[admin@r2] >`` or ``[admin@r2] /queue simple>``."""
        menu = " /" + " ".join(self.shell.menu) if self.shell.menu else " "
        return f"[{self.username}@{self.shell.config.identity}]{menu}> "

    def handle_line(self, line: str) -> Reply:
        """Run one line; due scheduler entries fire first."""
        with self.router.lock:
            self.shell.config.run_due(self.router)
            try:
                return Reply(self.shell.execute(line))
            except RouterOsError as exc:
                return Reply(exc.message)
            except QuitSession:
                return Reply("", SessionEnd.CLOSE)
            except DropSession:
                return Reply(end=SessionEnd.DROP)


def _cmd(words: str, handler: Callable[[RouterOsShell, Invocation], str]) -> Command[RouterOsShell]:
    return Command(tuple(words.split()), handler, 0, None)


_S = RouterOsShell
_COMMANDS = [
    _cmd("quit", _S.quit),
    _cmd("export", _S.export),
    _cmd("system identity print", _S.identity_print),
    _cmd("system identity set", _S.identity_set),
    _cmd("system identity export", _S.export),
    _cmd("system resource print", _S.resource_print),
    _cmd("system clock print", _S.clock_print),
    *[_cmd(f"{menu} {verb}", handler) for menu, verb, handler in items.ITEM_COMMANDS],
    *[_cmd(f"{menu} export", _S.export) for menu in items.MENUS],
]
MUTATORS = {_S.identity_set, *items.MUTATING_HANDLERS}
TABLE: CommandTable[RouterOsShell] = CommandTable(_COMMANDS)


def _make_config(spec: LabRouterSpec, clock: Callable[[], float]) -> RouterOsConfig:
    return RouterOsConfig.from_spec(spec, clock)


def _make_session(router: LabRouter, login_name: str) -> RouterOsSession:
    return RouterOsSession(router, login_name)


PLATFORM = Platform(
    name="mikrotik_routeros",
    make_config=_make_config,
    make_session=_make_session,
    login_user=login_user,
    failed_when_contains=FAILED_WHEN_CONTAINS,
)

_BANNER = """


  MMM      MMM       KKK                          TTTTTTTTTTT      KKK
  MMMM    MMMM       KKK                          TTTTTTTTTTT      KKK
  MMM MMMM MMM  III  KKK  KKK  RRRRRR     OOOOOO      TTT     III  KKK  KKK
  MMM  MM  MMM  III  KKKKK     RRR  RRR  OOO  OOO     TTT     III  KKKKK
  MMM      MMM  III  KKK KKK   RRRRRR    OOO  OOO     TTT     III  KKK KKK
  MMM      MMM  III  KKK  KKK  RRR  RRR   OOOOOO      TTT     III  KKK  KKK

  MikroTik RouterOS {version} (c) 1999-2023       https://www.mikrotik.com/

Press F1 for help

"""
