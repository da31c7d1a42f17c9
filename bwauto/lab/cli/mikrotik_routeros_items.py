"""RouterOS item menus (``/interface``, ``/queue simple``, ``/system scheduler``) and their
``print`` / ``set`` / ``add`` / ``remove`` / ``enable`` / ``disable`` commands.

Items are referred to as RouterOS allows: ``[find name="q"]`` (an empty match changes
nothing), a name, or the number shown by the last ``print`` of that menu.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bwauto.lab.cli import mikrotik_routeros_print as show
from bwauto.lab.cli.base import Invocation, Token
from bwauto.lab.cli.mikrotik_routeros_config import (
    RosQueue,
    RosScheduler,
    RouterOsConfig,
    parse_rate_pair,
    parse_ros_time,
    parse_start_date,
    parse_start_time,
    schedule,
)
from bwauto.lab.cli.mikrotik_routeros_syntax import (
    Arguments,
    RouterOsError,
    expected_end,
    find_conditions,
    invalid_value,
    matches,
    parse_conditions,
    unquote,
)

if TYPE_CHECKING:
    from bwauto.lab.cli.mikrotik_routeros import RouterOsShell

Handler = Callable[["RouterOsShell", Invocation], str]
Parser = Callable[[str, RouterOsConfig], Any]


def _text(value: str, config: RouterOsConfig) -> str:
    return value


def _name(value: str, config: RouterOsConfig) -> str:
    if not value:
        raise ValueError(value)
    return value


def _yes_no(value: str, config: RouterOsConfig) -> bool:
    if value not in ("yes", "no", "true", "false"):
        raise ValueError(value)
    return value in ("yes", "true")


def _rates(value: str, config: RouterOsConfig) -> tuple[int, int]:
    return parse_rate_pair(value)


def _times(value: str, config: RouterOsConfig) -> tuple[int, int]:
    up, slash, down = value.partition("/")
    return parse_ros_time(up), parse_ros_time(down if slash else up)


def _priority(value: str, config: RouterOsConfig) -> tuple[int, int]:
    up, slash, down = value.partition("/")
    pair = int(up), int(down if slash else up)
    if not all(1 <= p <= 8 for p in pair):
        raise ValueError(value)
    return pair


def _target(value: str, config: RouterOsConfig) -> str:
    names = {i.name for i in config.interfaces}
    for part in value.split(","):
        if part not in names:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise RouterOsError("input does not match any value of target") from None
    return value


def _none_only(value: str, config: RouterOsConfig) -> str:
    if value != "none":
        raise ValueError(value)
    return value


def _seconds(value: str, config: RouterOsConfig) -> int:
    return parse_ros_time(value)


@dataclass(frozen=True)
class ItemMenu:
    """One menu of items: where the items live, how they print, what may be set."""

    path: str
    items: Callable[[RouterOsConfig], list[Any]]
    props: Callable[[Any, RouterOsConfig], dict[str, str]]
    render: Callable[[RouterOsConfig, list[Any], bool, int], str]
    settable: dict[str, tuple[str, Parser]]
    affects_traffic: bool
    can_add: bool


def _filter_props(menu: ItemMenu, item: Any, config: RouterOsConfig) -> dict[str, str]:
    props = menu.props(item, config)
    props["comment"] = item.comment
    props["disabled"] = "yes" if item.disabled else "no"
    return props


def _resolve(shell: RouterOsShell, menu: ItemMenu, token: Token) -> list[Any]:
    config, everything = shell.config, menu.items(shell.config)
    if token.text.startswith("["):
        conditions = find_conditions(token)
        return [i for i in everything if matches(_filter_props(menu, i, config), conditions)]
    found = []
    numbered = shell.numbers.get(tuple(menu.path.split()), everything)
    for ref in unquote(token.text).split(","):
        if ref.isdigit():
            index = int(ref)
            if index >= len(numbered) or numbered[index] not in everything:
                raise RouterOsError("no such item")
            found.append(numbered[index])
            continue
        named = [i for i in everything if getattr(i, "name", None) == ref]
        if not named:
            raise RouterOsError("no such item")
        found += named
    return found


def _refs(shell: RouterOsShell, menu: ItemMenu, args: Arguments) -> list[Any]:
    if not args.positional:
        raise RouterOsError("missing value(s) of argument(s) numbers")
    if len(args.positional) > 1:
        raise expected_end(args.positional[1])
    return _resolve(shell, menu, args.positional[0])


def _parsed(menu: ItemMenu, args: Arguments, config: RouterOsConfig) -> dict[str, Any]:
    args.reject_unknown(set(menu.settable))
    values = {}
    for key, (raw, _) in args.named.items():
        attr, parser = menu.settable[key]
        try:
            value = parser(raw, config)
        except ValueError:
            raise invalid_value(key) from None
        if attr:
            values[attr] = value
    return values


def _check_unique_name(menu: ItemMenu, config: RouterOsConfig, name: str, keep: Any) -> None:
    if any(i is not keep and i.name == name for i in menu.items(config)):
        raise RouterOsError("failure: already have such name")


def _apply(
    shell: RouterOsShell, menu: ItemMenu, targets: list[Any], values: dict[str, Any]
) -> None:
    for item in targets:
        if "name" in values:
            _check_unique_name(menu, shell.config, values["name"], item)
    if targets and values and menu.affects_traffic:
        shell.router.before_config_change()
    now = shell.config.clock()
    for item in targets:
        for attr, value in values.items():
            setattr(item, attr, value)
        if isinstance(item, RosScheduler) and values.keys() & _TIMING:
            schedule(item, now, shell.router.boot_time)


def make_print(menu: ItemMenu) -> Handler:
    """``print [detail] [count-only] [where COND...]``."""

    def handler(shell: RouterOsShell, inv: Invocation) -> str:
        flags, rest = [], list(inv.args)
        while rest and rest[0].text != "where":
            token = rest.pop(0)
            if token.text not in ("detail", "without-paging", "count-only", "brief", "terse"):
                raise expected_end(token)
            flags.append(token.text)
        conditions = parse_conditions(rest[1:]) if rest else []
        chosen = [
            i
            for i in menu.items(shell.config)
            if matches(_filter_props(menu, i, shell.config), conditions)
        ]
        shell.numbers[tuple(menu.path.split())] = chosen
        if "count-only" in flags:
            return str(len(chosen))
        return menu.render(shell.config, chosen, "detail" in flags, shell.width)

    return handler


def make_set(menu: ItemMenu) -> Handler:
    """``set REF key=value...``."""

    def handler(shell: RouterOsShell, inv: Invocation) -> str:
        args = Arguments.parse(inv.args)
        values = _parsed(menu, args, shell.config)
        _apply(shell, menu, _refs(shell, menu, args), values)
        return ""

    return handler


def make_toggle(menu: ItemMenu, disabled: bool) -> Handler:
    """``enable REF`` / ``disable REF``."""

    def handler(shell: RouterOsShell, inv: Invocation) -> str:
        args = Arguments.parse(inv.args)
        args.reject_unknown(set())
        _apply(shell, menu, _refs(shell, menu, args), {"disabled": disabled})
        return ""

    return handler


def make_remove(menu: ItemMenu) -> Handler:
    """``remove REF``."""

    def handler(shell: RouterOsShell, inv: Invocation) -> str:
        args = Arguments.parse(inv.args)
        args.reject_unknown(set())
        doomed = _refs(shell, menu, args)
        if doomed and menu.affects_traffic:
            shell.router.before_config_change()
        everything = menu.items(shell.config)
        everything[:] = [i for i in everything if all(i is not d for d in doomed)]
        return ""

    return handler


def make_add(menu: ItemMenu, build: Callable[[RouterOsShell, dict[str, Any]], Any]) -> Handler:
    """``add key=value...``."""

    def handler(shell: RouterOsShell, inv: Invocation) -> str:
        args = Arguments.parse(inv.args)
        if args.positional:
            raise expected_end(args.positional[0])
        values = _parsed(menu, args, shell.config)
        item = build(shell, values)
        _check_unique_name(menu, shell.config, item.name, None)
        if menu.affects_traffic:
            shell.router.before_config_change()
        menu.items(shell.config).append(item)
        return ""

    return handler


def _auto_name(prefix: str, taken: list[Any]) -> str:
    names = {i.name for i in taken}
    return next(f"{prefix}{n}" for n in range(1, len(names) + 2) if f"{prefix}{n}" not in names)


def _build_queue(shell: RouterOsShell, values: dict[str, Any]) -> RosQueue:
    if "target" not in values:
        raise RouterOsError("failure: target not specified")
    queue = RosQueue(name=_auto_name("queue", shell.config.queues), target=values["target"])
    for attr, value in values.items():
        setattr(queue, attr, value)
    return queue


def _build_scheduler(shell: RouterOsShell, values: dict[str, Any]) -> RosScheduler:
    now = shell.config.clock()
    entry = RosScheduler(
        name=_auto_name("schedule", shell.config.schedulers),
        interval_s=0,
        on_event="",
        start=now,
        next_run=None,
        owner=shell.user,
    )
    for attr, value in values.items():
        setattr(entry, attr, value)
    schedule(entry, now, shell.router.boot_time)
    return entry


_TIMING = frozenset({"interval_s", "start_time", "start_date"})


_COMMON = {"comment": ("comment", _text), "disabled": ("disabled", _yes_no)}
QUEUES = ItemMenu(
    path="queue simple",
    items=lambda c: c.queues,
    props=lambda q, c: show.queue_props(q),
    render=lambda c, chosen, detail, width: show.print_queues(chosen, width),
    settable={
        **_COMMON,
        "name": ("name", _name),
        "target": ("target", _target),
        "max-limit": ("max_limit", _rates),
        "limit-at": ("limit_at", _rates),
        "burst-limit": ("burst_limit", _rates),
        "burst-threshold": ("burst_threshold", _rates),
        "burst-time": ("burst_time", _times),
        "priority": ("priority", _priority),
        "parent": ("", _none_only),
    },
    affects_traffic=True,
    can_add=True,
)
INTERFACES = ItemMenu(
    path="interface",
    items=lambda c: c.interfaces,
    props=lambda i, c: show.interface_props(i),
    render=lambda c, chosen, detail, width: show.print_interfaces(chosen, detail, width),
    settable=dict(_COMMON),
    affects_traffic=True,
    can_add=False,
)
SCHEDULERS = ItemMenu(
    path="system scheduler",
    items=lambda c: c.schedulers,
    props=show.scheduler_props,
    render=lambda c, chosen, detail, width: show.print_schedulers(c, chosen, detail, width),
    settable={
        **_COMMON,
        "name": ("name", _name),
        "interval": ("interval_s", _seconds),
        "on-event": ("on_event", _text),
        "policy": ("", _text),
        "start-time": ("start_time", lambda v, c: parse_start_time(v)),
        "start-date": ("start_date", lambda v, c: parse_start_date(v)),
    },
    affects_traffic=False,
    can_add=True,
)
MENUS = tuple(m.path for m in (QUEUES, INTERFACES, SCHEDULERS))


def _commands() -> list[tuple[str, str, Handler]]:
    found: list[tuple[str, str, Handler]] = []
    builders = {QUEUES.path: _build_queue, SCHEDULERS.path: _build_scheduler}
    for menu in (QUEUES, INTERFACES, SCHEDULERS):
        found += [
            (menu.path, "print", make_print(menu)),
            (menu.path, "set", make_set(menu)),
            (menu.path, "enable", make_toggle(menu, False)),
            (menu.path, "disable", make_toggle(menu, True)),
        ]
        if menu.can_add:
            found += [
                (menu.path, "add", make_add(menu, builders[menu.path])),
                (menu.path, "remove", make_remove(menu)),
            ]
    return found


ITEM_COMMANDS = _commands()
MUTATING_HANDLERS = {h for _, verb, h in ITEM_COMMANDS if verb != "print"}
