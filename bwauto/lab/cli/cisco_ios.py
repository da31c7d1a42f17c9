"""A simulated Cisco IOS CLI session: modes, prompts, command tables and their handlers.

Modes and prompts (hostname ``r1``)::

    exec     r1>                      enable -> Password: (spec.enable_secret)
    priv     r1#                      configure terminal
    config   r1(config)#              interface X | policy-map P
    config-if / config-subif          r1(config-if)#  r1(config-subif)#
    config-pmap                       r1(config-pmap)#      class class-default
    config-pmap-c                     r1(config-pmap-c)#    shape average / police cir
    config-pmap-c-police              r1(config-pmap-c-police)#
    config-archive                    r1(config-archive)#   path / maximum / write-memory

As on IOS, a line unknown in a config sub-mode is tried in the enclosing modes (and leaves the
sub-mode when it matches there); keywords may be abbreviated; errors are IOS's own words with
the ``^`` under the offending column.
"""

from __future__ import annotations

from collections.abc import Callable

from bwauto.lab.cli import cisco_ios_archive as archive
from bwauto.lab.cli import cisco_ios_configure as conf
from bwauto.lab.cli import cisco_ios_show as show
from bwauto.lab.cli.base import (
    CliCommandError,
    CliParseError,
    CliSession,
    Command,
    CommandTable,
    Invocation,
    ModeStack,
    ParseFailure,
    Platform,
    Reply,
    SessionEnd,
    Token,
    split_words,
)
from bwauto.lab.cli.cisco_ios_config import IosConfig, canonical_interface
from bwauto.lab.cli.cisco_ios_configure import IosMode, number_arg
from bwauto.lab.model import LabRouter, LabRouterSpec

FAILED_WHEN_CONTAINS = ("% Invalid input", "% Incomplete command", "% Ambiguous command", "% ")
"""Failure strings of this platform, for clients that check replies (scrapli's convention)."""


class IosSession(CliSession):
    """One SSH user on a simulated IOS router."""

    def __init__(
        self, router: LabRouter, username: str, clock: Callable[[], float] | None = None
    ) -> None:
        super().__init__(router, username)
        if not isinstance(router.config, IosConfig):
            raise TypeError(f"{router.spec.name}: config is not an IosConfig")
        self.config: IosConfig = router.config
        self.clock = clock or self.config.clock
        self.modes: ModeStack[IosMode] = ModeStack(IosMode("exec"))
        self.terminal_length = 24
        self.terminal_width = 80
        self._question: Callable[[str], str] | None = None
        self._question_prompt = ""
        self._end = SessionEnd.NONE

    # -- prompts and the main loop ---------------------------------------------------------
    def prompt(self) -> str:
        """``r1>``, ``r1#``, ``r1(config-if)#``... or the question being asked."""
        if self._question is not None:
            return self._question_prompt
        mode, host = self.modes.current.name, self.config.hostname
        if mode == "exec":
            return f"{host}>"
        return f"{host}#" if mode == "priv" else f"{host}({mode})#"

    @property
    def in_config(self) -> bool:
        """True in any configuration mode."""
        return self.modes.current.name not in ("exec", "priv")

    def handle_line(self, line: str) -> Reply:
        """Run one line; errors are answered the IOS way, never raised."""
        with self.router.lock:
            self.config.run_due(self.router)
            if self._question is not None:
                answer, self._question = self._question, None
                self.echo = True
                return Reply(answer(line), self._take_end())
            if not line.strip():
                return Reply()
            if self.in_config and not self.config_line_allowed():
                return Reply(end=SessionEnd.DROP)
            prompt = self.prompt()
            try:
                return Reply(self._dispatch(line), self._take_end())
            except CliParseError as exc:
                return Reply(show.parse_error_text(exc, line, prompt))
            except CliCommandError as exc:
                return Reply(exc.message)

    def interrupt(self) -> Reply:
        """Ctrl-C drops a pending question."""
        self._question = None
        return super().interrupt()

    def _take_end(self) -> SessionEnd:
        end, self._end = self._end, SessionEnd.NONE
        return end

    def _ask(self, prompt: str, answer: Callable[[str], str], echo: bool = True) -> None:
        self._question, self._question_prompt, self.echo = answer, prompt, echo

    def _dispatch(self, line: str) -> str:
        body, modifier = line, None
        if "|" in line and (not self.in_config or line.lstrip().lower().startswith("do ")):
            body, _, rest = line.partition("|")
            modifier = show.parse_modifier(rest, len(body) + 1)
        command, inv, depth = self._match(body, split_words(body))
        self.modes.unwind(depth)
        output = command.handler(self, inv)
        return show.apply_filter(output, *modifier) if modifier else output

    def _match(self, line: str, tokens: list[Token]) -> tuple[Command[IosSession], Invocation, int]:
        errors: list[CliParseError] = []
        stack = list(self.modes)
        for depth in range(len(stack), 0, -1):
            name = stack[depth - 1].name
            try:
                command, inv = TABLES[name].match(line, tokens)
                return command, inv, depth
            except CliParseError as exc:
                errors.append(exc)
            if name in ("config", "priv", "exec"):
                break
        settled = [e for e in errors if e.kind is not ParseFailure.UNKNOWN]
        raise settled[0] if settled else max(errors, key=lambda e: e.column)

    # -- helpers for handlers ----------------------------------------------------------------
    def interface_arg(self, inv: Invocation, index: int = 0, create: bool = False) -> str:
        """The canonical interface named by the arguments from ``index`` on."""
        if index >= len(inv.args):
            raise CliParseError(ParseFailure.INCOMPLETE, len(inv.line.rstrip()))
        token = inv.args[index]
        name = canonical_interface(inv.rest(index))
        if name and (name in self.config.interfaces or (create and self.config.can_create(name))):
            return name
        raise CliParseError(ParseFailure.UNKNOWN, token.column, token.text)

    def changing(self, affects_traffic: bool = True) -> None:
        """Call before mutating the config: account traffic, stamp the change."""
        if affects_traffic:
            self.router.before_config_change()
        self.config.touch(self.username)

    def enter(self, mode: IosMode) -> None:
        """Enter a configuration sub-mode."""
        self.modes.push(mode)

    # -- exec handlers ---------------------------------------------------------------------
    def enable(self, inv: Invocation) -> str:
        """``enable``: ask the enable secret, up to three times."""
        if self.modes.current.name == "exec":
            self._ask_secret(3)
        return ""

    def _ask_secret(self, tries: int) -> None:
        def check(answer: str) -> str:
            if answer == self.config.enable_secret:
                self.modes.replace_top(IosMode("priv"))
                return ""
            if tries > 1:
                self._ask_secret(tries - 1)
                return ""
            return "% Bad secrets\n\n"

        self._ask("Password: ", check, echo=False)

    def disable(self, inv: Invocation) -> str:
        """``disable``: back to user EXEC."""
        self.modes.replace_top(IosMode("exec"))
        return ""

    def logout(self, inv: Invocation) -> str:
        """``exit`` / ``logout`` / ``quit`` from EXEC."""
        self._end = SessionEnd.CLOSE
        return ""

    def terminal(self, inv: Invocation) -> str:
        """``terminal length N`` / ``terminal width N``."""
        value = number_arg(inv.args[0], 0, 512)
        if inv.words[-1].text.lower().startswith("l"):
            self.terminal_length = value
        else:
            self.terminal_width = value
        return ""

    def show_version(self, inv: Invocation) -> str:
        """``show version``."""
        return show.show_version(self.config, self.clock() - self.router.boot_time)

    def show_hosts(self, inv: Invocation) -> str:
        """``show hosts``."""
        return show.show_hosts(self.config)

    def show_ip_brief(self, inv: Invocation) -> str:
        """``show ip interface brief``."""
        return show.show_ip_interface_brief(self.config)

    def show_interfaces(self, inv: Invocation) -> str:
        """``show interfaces [NAME]``."""
        name = self.interface_arg(inv) if inv.args else None
        return show.show_interfaces(self.config, name)

    def show_clock(self, inv: Invocation) -> str:
        """``show clock``."""
        return "*" + show.ios_timestamp(self.clock()).replace(" UTC", ".000 UTC")

    # -- privileged handlers -----------------------------------------------------------------
    def configure(self, inv: Invocation) -> str:
        """``configure terminal``."""
        self.modes.push(IosMode("config"))
        return "Enter configuration commands, one per line.  End with CNTL/Z."

    def show_running(self, inv: Invocation) -> str:
        """``show running-config [all]``."""
        return show.show_running_config(self.config)

    def show_running_interface(self, inv: Invocation) -> str:
        """``show running-config interface NAME``."""
        return show.show_running_config(self.config, self.interface_arg(inv))

    def show_startup(self, inv: Invocation) -> str:
        """``show startup-config``."""
        return show.show_startup_config(self.config)

    def write_memory(self, inv: Invocation) -> str:
        """``write [memory]``: running -> startup, "Building configuration...\\n[OK]" (Cisco IOS
        Configuration Fundamentals, "Managing Configuration Files")."""
        return self.config.save()

    def copy_run_start(self, inv: Invocation) -> str:
        """``copy running-config startup-config`` (asks the destination, as IOS does)."""

        def confirm(answer: str) -> str:
            if answer.strip() not in ("", "startup-config"):
                return f"%Error opening nvram:/{answer.strip()} (No such file or directory)"
            return self.write_memory(inv)

        self._ask("Destination filename [startup-config]? ", confirm)
        return ""

    def show_policy_map(self, inv: Invocation) -> str:
        """``show policy-map [NAME]``."""
        if inv.args and inv.args[0].text not in self.config.policy_maps:
            raise CliParseError(ParseFailure.UNKNOWN, inv.args[0].column, inv.args[0].text)
        return show.show_policy_map(self.config, inv.args[0].text if inv.args else None)

    def show_policy_interface(self, inv: Invocation) -> str:
        """``show policy-map interface [NAME]``."""
        name = self.interface_arg(inv) if inv.args else None
        return show.show_policy_map_interface(self.config, name)

    # -- leaving modes -----------------------------------------------------------------------
    def exit_mode(self, inv: Invocation) -> str:
        """``exit`` in a config mode: one level up."""
        self.modes.pop()
        return ""

    def end(self, inv: Invocation) -> str:
        """``end``: straight back to privileged EXEC."""
        self.modes.unwind(1)
        return ""

    def do(self, inv: Invocation) -> str:
        """``do CMD``: a privileged EXEC command from config mode."""
        line = " " * inv.args[0].column + inv.rest(0)
        command, sub = PRIV_TABLE.match(line, split_words(line))
        if command.handler in (IosSession.configure, IosSession.logout, IosSession.enable):
            raise CliParseError(ParseFailure.UNKNOWN, inv.args[0].column, inv.args[0].text)
        return command.handler(self, sub)


def _cmd(
    words: str, handler: Callable[[IosSession, Invocation], str], lo: int = 0, hi: int | None = 0
) -> Command[IosSession]:
    return Command(tuple(words.split()), handler, lo, hi)


_S = IosSession
_EXEC = [
    _cmd("enable", _S.enable, 0, 1),
    _cmd("exit", _S.logout),
    _cmd("logout", _S.logout),
    _cmd("quit", _S.logout),
    _cmd("terminal length", _S.terminal, 1, 1),
    _cmd("terminal width", _S.terminal, 1, 1),
    _cmd("show version", _S.show_version),
    _cmd("show hosts", _S.show_hosts),
    _cmd("show ip interface brief", _S.show_ip_brief),
    _cmd("show interfaces", _S.show_interfaces, 0, 2),
    _cmd("show clock", _S.show_clock),
]
_PRIV = [
    *_EXEC,
    _cmd("disable", _S.disable),
    _cmd("configure terminal", _S.configure),
    _cmd("configure terminal revert timer", archive.revert_timer, 1, 1),
    _cmd("configure confirm", archive.confirm),
    _cmd("configure revert", archive.revert, 1, 2),
    _cmd("show running-config", _S.show_running),
    _cmd("show running-config all", _S.show_running),
    _cmd("show running-config interface", _S.show_running_interface, 1, 2),
    _cmd("show startup-config", _S.show_startup),
    _cmd("show archive", archive.show),
    _cmd("show archive config rollback timer", archive.show_timer),
    _cmd("show policy-map", _S.show_policy_map, 0, 1),
    _cmd("show policy-map interface", _S.show_policy_interface, 0, 2),
    _cmd("write", _S.write_memory),
    _cmd("write memory", _S.write_memory),
    _cmd("copy running-config startup-config", _S.copy_run_start),
]
_LEAVE = [_cmd("exit", _S.exit_mode), _cmd("end", _S.end), _cmd("do", _S.do, 1, None)]
_CONFIG = [
    *_LEAVE,
    _cmd("hostname", conf.hostname, 1, 1),
    _cmd("interface", conf.interface, 1, 2),
    _cmd("no interface", conf.no_interface, 1, 2),
    _cmd("policy-map", conf.policy_map, 1, 1),
    _cmd("archive", archive.enter),
    _cmd("no archive", archive.no_archive),
    _cmd("no policy-map", conf.no_policy_map, 1, 1),
    _cmd("ip domain name", conf.domain_name, 1, 1),
    _cmd("ip domain-name", conf.domain_name, 1, 1),
    _cmd("no ip domain name", conf.no_domain_name, 0, 1),
    _cmd("no ip domain-name", conf.no_domain_name, 0, 1),
    _cmd("snmp-server community", conf.snmp_community, 1, 2),
    _cmd("no snmp-server community", conf.no_snmp_community, 1, 2),
    _cmd("enable secret", conf.enable_secret, 1, 2),
    _cmd("username", conf.username, 3, 6),
    _cmd("no username", conf.no_username, 1, None),
]
_INTERFACE = [
    *_LEAVE,
    _cmd("description", conf.description, 1, None),
    _cmd("no description", conf.no_description, 0, None),
    _cmd("shutdown", conf.shutdown),
    _cmd("no shutdown", conf.no_shutdown),
    _cmd("ip address", conf.ip_address, 2, 2),
    _cmd("no ip address", conf.no_ip_address, 0, 2),
    _cmd("encapsulation", conf.encapsulation, 2, 2),
    _cmd("service-policy", conf.service_policy, 2, 2),
    _cmd("no service-policy", conf.no_service_policy, 2, 2),
]
_PMAP = [
    *_LEAVE,
    _cmd("class", conf.pmap_class, 1, 1),
    _cmd("no class", conf.no_pmap_class, 1, 1),
    _cmd("description", conf.description, 1, None),
    _cmd("no description", conf.no_description, 0, None),
]
_PMAP_CLASS = [
    *_LEAVE,
    _cmd("shape average", conf.shape, 1, 3),
    _cmd("no shape", conf.no_shape, 0, 4),
    _cmd("police", conf.police, 1, 11),
    _cmd("no police", conf.no_police, 0, 11),
]
_POLICE = [
    *_LEAVE,
    _cmd("conform-action", conf.police_action, 1, 1),
    _cmd("exceed-action", conf.police_action, 1, 1),
    _cmd("violate-action", conf.police_action, 1, 1),
]
_ARCHIVE = [
    *_LEAVE,
    _cmd("path", archive.path, 1, 1),
    _cmd("no path", archive.no_path, 0, 1),
    _cmd("maximum", archive.maximum, 1, 1),
    _cmd("no maximum", archive.no_maximum, 0, 1),
    _cmd("write-memory", archive.write_memory),
    _cmd("no write-memory", archive.no_write_memory),
]
PRIV_TABLE: CommandTable[IosSession] = CommandTable(_PRIV)
TABLES: dict[str, CommandTable[IosSession]] = {
    "exec": CommandTable(_EXEC),
    "priv": PRIV_TABLE,
    "config": CommandTable(_CONFIG),
    "config-if": CommandTable(_INTERFACE),
    "config-subif": CommandTable(_INTERFACE),
    "config-pmap": CommandTable(_PMAP),
    "config-pmap-c": CommandTable(_PMAP_CLASS),
    "config-pmap-c-police": CommandTable(_POLICE),
    "config-archive": CommandTable(_ARCHIVE),
}


def _make_config(spec: LabRouterSpec, clock: Callable[[], float]) -> IosConfig:
    return IosConfig.from_spec(spec, clock)


def _make_session(router: LabRouter, login_name: str) -> IosSession:
    return IosSession(router, login_name)


PLATFORM = Platform(
    name="cisco_ios",
    make_config=_make_config,
    make_session=_make_session,
    failed_when_contains=FAILED_WHEN_CONTAINS,
)
