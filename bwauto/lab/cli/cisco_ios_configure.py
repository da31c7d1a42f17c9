"""Handlers of the IOS configuration modes (``config``, ``config-if``, ``config-pmap``...).

Each handler takes the ``IosSession`` and the matched ``Invocation`` and returns the text IOS
prints (usually nothing). Refusals raise ``CliCommandError`` with IOS's message, bad arguments
raise ``CliParseError`` at the argument's column (the caret error).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bwauto.lab.cli.base import CliCommandError, CliParseError, Invocation, ParseFailure, Token
from bwauto.lab.cli.cisco_ios_config import CLASS_DEFAULT, IosInterface, PolicyClass, PolicyMap

if TYPE_CHECKING:
    from bwauto.lab.cli.cisco_ios import IosSession

MIN_RATE, MAX_RATE = 8_000, 10_000_000_000
_ACTIONS = ("transmit", "drop")


@dataclass(frozen=True, slots=True)
class IosMode:
    """One level of the IOS mode stack and what it is editing."""

    name: str
    interface: str = ""
    policy: str = ""
    cls: str = ""


def number_arg(token: Token, low: int, high: int) -> int:
    """An integer argument in ``[low, high]``, or the IOS caret error at its column."""
    if not token.text.isdigit() or not low <= int(token.text) <= high:
        raise CliParseError(ParseFailure.UNKNOWN, token.column, token.text)
    return int(token.text)


def keyword_arg(token: Token, choices: tuple[str, ...]) -> str:
    """The keyword among ``choices`` that ``token`` abbreviates, or the caret error."""
    hits = [c for c in choices if c.startswith(token.text.lower())]
    if len(hits) != 1:
        raise CliParseError(ParseFailure.UNKNOWN, token.column, token.text)
    return hits[0]


def _interface(s: IosSession) -> IosInterface:
    iface = s.config.interfaces.get(s.modes.current.interface)
    if iface is None:
        raise CliCommandError(f"% Interface {s.modes.current.interface} no longer exists")
    return iface


def _policy(s: IosSession) -> PolicyMap:
    policy = s.config.policy_maps.get(s.modes.current.policy)
    if policy is None:
        raise CliCommandError(f"% policy map {s.modes.current.policy} no longer exists")
    return policy


def _class(s: IosSession) -> PolicyClass:
    cls = _policy(s).classes.get(s.modes.current.cls)
    if cls is None:
        raise CliCommandError(f"% class {s.modes.current.cls} no longer exists")
    return cls


# -- global configuration ------------------------------------------------------------------
def hostname(s: IosSession, inv: Invocation) -> str:
    """``hostname NAME`` (the prompt follows at once)."""
    s.changing(affects_traffic=False)
    s.config.hostname = inv.args[0].text
    return ""


def interface(s: IosSession, inv: Invocation) -> str:
    """``interface NAME``: enter config-if (config-subif), creating a sub-interface."""
    name = s.interface_arg(inv, create=True)
    if name not in s.config.interfaces:
        s.changing(affects_traffic=False)
        s.config.add_interface(name, 0, s.router.spec.seed)
    s.enter(IosMode("config-subif" if "." in name else "config-if", interface=name))
    return ""


def no_interface(s: IosSession, inv: Invocation) -> str:
    """``no interface NAME``: only sub-interfaces and virtual interfaces can go."""
    name = s.interface_arg(inv)
    if not s.config.can_create(name):
        raise CliCommandError("% Removal of physical interfaces is not permitted")
    s.changing()
    for sub in [n for n in s.config.interfaces if n == name or n.startswith(name + ".")]:
        s.config.remove_interface(sub)
    return ""


def policy_map(s: IosSession, inv: Invocation) -> str:
    """``policy-map NAME``: enter config-pmap, creating the policy if needed."""
    name = inv.args[0].text
    if name not in s.config.policy_maps:
        s.changing(affects_traffic=False)
        s.config.policy_map(name)
    s.enter(IosMode("config-pmap", policy=name))
    return ""


def no_policy_map(s: IosSession, inv: Invocation) -> str:
    """``no policy-map NAME``; refused while an interface uses it."""
    name = inv.args[0].text
    if name not in s.config.policy_maps:
        raise CliCommandError(f"Policy map {name} not configured")
    if s.config.policy_users(name):
        raise CliCommandError(f"Policy map {name} is being used")
    s.changing(affects_traffic=False)
    del s.config.policy_maps[name]
    return ""


def domain_name(s: IosSession, inv: Invocation) -> str:
    """``ip domain name NAME`` / ``ip domain-name NAME``."""
    s.changing(affects_traffic=False)
    s.config.domain_name = inv.args[0].text
    return ""


def no_domain_name(s: IosSession, inv: Invocation) -> str:
    """``no ip domain name``."""
    s.changing(affects_traffic=False)
    s.config.domain_name = ""
    return ""


def snmp_community(s: IosSession, inv: Invocation) -> str:
    """``snmp-server community NAME [RO|RW]``."""
    access = keyword_arg(inv.args[1], ("ro", "rw")).upper() if len(inv.args) > 1 else "RO"
    s.changing(affects_traffic=False)
    s.config.snmp_communities[inv.args[0].text] = access
    return ""


def no_snmp_community(s: IosSession, inv: Invocation) -> str:
    """``no snmp-server community NAME``."""
    s.changing(affects_traffic=False)
    s.config.snmp_communities.pop(inv.args[0].text, None)
    return ""


def _plain_secret(args: tuple[Token, ...]) -> str:
    if len(args) == 2 and args[0].text in ("5", "8", "9"):
        raise CliCommandError("ERROR: The secret you entered is not a valid encrypted secret.")
    if len(args) == 2 and args[0].text != "0":
        raise CliParseError(ParseFailure.UNKNOWN, args[1].column, args[1].text)
    return args[-1].text


def enable_secret(s: IosSession, inv: Invocation) -> str:
    """``enable secret [0] SECRET`` (hashed forms cannot be checked and are refused)."""
    secret = _plain_secret(inv.args)
    s.changing(affects_traffic=False)
    s.config.enable_secret = secret
    return ""


def username(s: IosSession, inv: Invocation) -> str:
    """``username NAME [privilege N] secret|password [0] SECRET``."""
    args = list(inv.args[1:])
    if args and args[0].text.lower() == "privilege":
        number_arg(args[1] if len(args) > 1 else args[0], 0, 15)
        args = args[2:]
    if len(args) < 2:
        raise CliParseError(ParseFailure.INCOMPLETE, len(inv.line.rstrip()))
    keyword_arg(args[0], ("secret", "password"))
    secret = _plain_secret(tuple(args[1:]))
    s.changing(affects_traffic=False)
    s.config.users[inv.args[0].text] = secret
    return ""


def no_username(s: IosSession, inv: Invocation) -> str:
    """``no username NAME``."""
    s.changing(affects_traffic=False)
    s.config.users.pop(inv.args[0].text, None)
    return ""


# -- interface configuration ---------------------------------------------------------------
def description(s: IosSession, inv: Invocation) -> str:
    """``description TEXT`` of an interface or a policy-map."""
    s.changing(affects_traffic=False)
    target = _policy(s) if s.modes.current.name == "config-pmap" else _interface(s)
    target.description = inv.rest(0)[:240]
    return ""


def no_description(s: IosSession, inv: Invocation) -> str:
    """``no description``."""
    s.changing(affects_traffic=False)
    target = _policy(s) if s.modes.current.name == "config-pmap" else _interface(s)
    target.description = ""
    return ""


def shutdown(s: IosSession, inv: Invocation) -> str:
    """``shutdown``."""
    iface = _interface(s)
    s.changing()
    iface.shutdown = True
    return ""


def no_shutdown(s: IosSession, inv: Invocation) -> str:
    """``no shutdown``."""
    iface = _interface(s)
    s.changing()
    iface.shutdown = False
    return ""


def ip_address(s: IosSession, inv: Invocation) -> str:
    """``ip address A.B.C.D MASK``."""
    for token in inv.args:
        try:
            ipaddress.IPv4Address(token.text)
        except ValueError:
            raise CliParseError(ParseFailure.UNKNOWN, token.column, token.text) from None
    try:
        ipaddress.IPv4Network(f"0.0.0.0/{inv.args[1].text}")
    except ValueError:
        mask, address = inv.args[1].text, inv.args[0].text
        raise CliCommandError(f"Bad mask {mask} for address {address}") from None
    iface = _interface(s)
    s.changing(affects_traffic=False)
    iface.ip_address = (inv.args[0].text, inv.args[1].text)
    return ""


def no_ip_address(s: IosSession, inv: Invocation) -> str:
    """``no ip address``."""
    iface = _interface(s)
    s.changing(affects_traffic=False)
    iface.ip_address = None
    return ""


def encapsulation(s: IosSession, inv: Invocation) -> str:
    """``encapsulation dot1Q VLAN`` (sub-interfaces only)."""
    iface = _interface(s)
    if iface.parent is None or inv.args[0].text.lower() != "dot1q":
        raise CliParseError(ParseFailure.UNKNOWN, inv.args[0].column, inv.args[0].text)
    vlan = number_arg(inv.args[1], 1, 4094)
    s.changing(affects_traffic=False)
    iface.vlan = vlan
    return ""


def service_policy(s: IosSession, inv: Invocation) -> str:
    """``service-policy input|output NAME``."""
    direction = keyword_arg(inv.args[0], ("input", "output"))
    name, iface = inv.args[1].text, _interface(s)
    if name not in s.config.policy_maps:
        raise CliCommandError(f"policy map {name} not configured")
    current = iface.policy_in if direction == "input" else iface.policy_out
    if current is not None and current != name:
        raise CliCommandError(f"% A service-policy with {direction} direction is already attached")
    s.changing()
    if direction == "input":
        iface.policy_in = name
    else:
        iface.policy_out = name
    return ""


def no_service_policy(s: IosSession, inv: Invocation) -> str:
    """``no service-policy input|output NAME``."""
    direction = keyword_arg(inv.args[0], ("input", "output"))
    name, iface = inv.args[1].text, _interface(s)
    current = iface.policy_in if direction == "input" else iface.policy_out
    if current != name:
        raise CliCommandError(f"Policy map {name} not attached in {direction} direction")
    s.changing()
    if direction == "input":
        iface.policy_in = None
    else:
        iface.policy_out = None
    return ""


# -- policy-map configuration --------------------------------------------------------------
def pmap_class(s: IosSession, inv: Invocation) -> str:
    """``class class-default``: enter config-pmap-c (no class-maps exist in the lab)."""
    name, policy = inv.args[0].text, _policy(s)
    if name != CLASS_DEFAULT:
        raise CliCommandError(f"% class-map {name} not configured")
    if name not in policy.classes:
        s.changing(affects_traffic=False)
        policy.classes[name] = PolicyClass()
    s.enter(IosMode("config-pmap-c", policy=policy.name, cls=name))
    return ""


def no_pmap_class(s: IosSession, inv: Invocation) -> str:
    """``no class NAME``."""
    policy = _policy(s)
    s.changing()
    policy.classes.pop(inv.args[0].text, None)
    return ""


def shape(s: IosSession, inv: Invocation) -> str:
    """``shape average RATE [BC [BE]]``."""
    rate = number_arg(inv.args[0], MIN_RATE, MAX_RATE)
    for token in inv.args[1:]:
        number_arg(token, 0, 154_400_000)
    cls = _class(s)
    s.changing()
    cls.shape_average = rate
    return ""


def no_shape(s: IosSession, inv: Invocation) -> str:
    """``no shape average [...]``."""
    cls = _class(s)
    s.changing()
    cls.shape_average = None
    return ""


def police(s: IosSession, inv: Invocation) -> str:
    """``police [cir] RATE [bc N] [conform-action A [exceed-action B]]``; without actions it
    enters config-pmap-c-police, as IOS does."""
    args = list(inv.args)
    if args[0].text.lower() == "cir":
        args = args[1:]
    if not args:
        raise CliParseError(ParseFailure.INCOMPLETE, len(inv.line.rstrip()))
    rate = number_arg(args[0], MIN_RATE, MAX_RATE)
    actions = _police_options(args[1:])
    cls = _class(s)
    s.changing()
    cls.police_cir = rate
    cls.conform_action = actions.get("conform-action", cls.conform_action)
    cls.exceed_action = actions.get("exceed-action", cls.exceed_action)
    if not actions:
        mode = s.modes.current
        s.enter(IosMode("config-pmap-c-police", policy=mode.policy, cls=mode.cls))
    return ""


def _police_options(args: list[Token]) -> dict[str, str]:
    found: dict[str, str] = {}
    choices = ("bc", "be", "conform-action", "exceed-action", "violate-action")
    for index in range(0, len(args), 2):
        key = keyword_arg(args[index], choices)
        if index + 1 == len(args):
            raise CliParseError(ParseFailure.INCOMPLETE, args[index].column + len(args[index].text))
        value = args[index + 1]
        if key in ("bc", "be"):
            number_arg(value, 1000, 512_000_000)
        else:
            found[key] = keyword_arg(value, _ACTIONS)
    return found


def no_police(s: IosSession, inv: Invocation) -> str:
    """``no police [...]``."""
    cls = _class(s)
    s.changing()
    cls.police_cir = None
    return ""


def police_action(s: IosSession, inv: Invocation) -> str:
    """``conform-action A`` / ``exceed-action A`` / ``violate-action A`` in police mode."""
    action = keyword_arg(inv.args[0], _ACTIONS)
    kind, cls = inv.words[0].text.lower(), _class(s)
    s.changing(affects_traffic=False)
    if kind.startswith("c"):
        cls.conform_action = action
    elif kind.startswith("e"):
        cls.exceed_action = action
    return ""
