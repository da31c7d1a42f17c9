"""MikroTik RouterOS: one simple queue per link, ``max-limit=UPLOAD/DOWNLOAD``.

Examples:
    >>> from bwauto.inventory.models import Link
    >>> link = Link(id="dinkes", opd="Dinkes", router="r", interface="vlan110",
    ...             shaper="q-dinkes", committed={"up": "50M", "down": "100M"},
    ...             upstream="u", contact={"name": "A"})
    >>> out = ("# 2026-11-28 08:00:00 by RouterOS 7.16\\n/queue simple\\n"
    ...        "add max-limit=50M/100M name=q-dinkes target=vlan110\\n"
    ...        "add max-limit=10M/20M name=q-dinkes2 target=vlan111\\n")
    >>> ros = MikrotikRouterOs()
    >>> sec = ros.section([out], link)
    >>> print(sec, end="")
    /queue simple
    add max-limit=50M/100M name=q-dinkes target=vlan110
    >>> ros.parse_rate(sec, link)
    ShaperRate(up=50000000, down=100000000)
    >>> print(ros.intended_section(sec, link, ShaperRate(50_000_000, 150_000_000)), end="")
    /queue simple
    add max-limit=50M/150M name=q-dinkes target=vlan110
    >>> ros.change_commands(link, ShaperRate(50_000_000, 1_500_000))
    ['/queue simple set [find name="q-dinkes"] max-limit=50M/1500k']
"""

from __future__ import annotations

import re

from bwauto.errors import RenderError
from bwauto.inventory.models import Link
from bwauto.platforms.base import CommitConfirm, ShaperRate, render
from bwauto.rates import parse_rate

MAX_LIMIT = re.compile(r"(?<=\s)max-limit=(\S+)")


def ros_rate(bps: int | None) -> str:
    """A rate as RouterOS writes it: ``0`` (unlimited), ``G``/``M``/``k`` when exact, else bit/s.

    Examples:
        >>> [ros_rate(x) for x in (None, 1_000_000_000, 150_000_000, 512_000, 1_234)]
        ['0', '1G', '150M', '512k', '1234']
    """
    if not bps:
        return "0"
    for suffix, factor in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if bps % factor == 0:
            return f"{bps // factor}{suffix}"
    return str(bps)


def parse_ros_rate(text: str) -> int | None:
    """``"50M"`` -> 50000000; ``"0"`` (unlimited) -> None.

    Examples:
        >>> parse_ros_rate("1500k"), parse_ros_rate("0")
        (1500000, None)
    """
    return None if text == "0" else parse_rate(text)


class MikrotikRouterOs:
    """MikroTik RouterOS as bwauto drives it (Netmiko ``mikrotik_routeros``)."""

    name: str = "mikrotik_routeros"
    saves_itself: bool = True
    """RouterOS writes every configuration change to its own storage at once."""
    failure_strings: tuple[str, ...] = (
        "bad command name", "syntax error", "no such item", "invalid value for argument",
        "expected end of command", "failure:", "input does not match any value",
    )  # fmt: skip

    def show_commands(self, link: Link) -> list[str]:
        """The simple-queue export (terse: one line per queue)."""
        return ["/queue simple export terse"]

    def section(self, outputs: list[str], link: Link) -> str:
        """``/queue simple`` and the queue's own ``add`` line, continuation lines joined."""
        text = re.sub(r"\\\r?\n\s*", "", "".join(outputs))
        for line in text.splitlines():
            words = line.strip().removeprefix("/queue simple ").split()
            if words[:1] == ["add"] and f"name={link.shaper}" in words:
                return "/queue simple\n" + " ".join(words) + "\n"
            if words[:1] == ["add"] and f'name="{link.shaper}"' in words:
                return "/queue simple\n" + " ".join(words) + "\n"
        raise RenderError(f"{link.id}: simple queue {link.shaper!r} not found on {link.router}")

    def parse_rate(self, section: str, link: Link) -> ShaperRate:
        """``max-limit=UP/DOWN`` of the queue."""
        match = MAX_LIMIT.search(section)
        if match is None:
            return ShaperRate(None, None)
        up, _, down = match.group(1).partition("/")
        return ShaperRate(parse_ros_rate(up), parse_ros_rate(down or up))

    def intended_section(self, section: str, link: Link, target: ShaperRate) -> str:
        """The section with ``max-limit`` set to ``target``."""
        value = f"max-limit={ros_rate(target.up)}/{ros_rate(target.down)}"
        if MAX_LIMIT.search(section):
            return MAX_LIMIT.sub(value, section)
        return section.replace("\nadd ", f"\nadd {value} ", 1)

    def change_commands(self, link: Link, target: ShaperRate) -> list[str]:
        """The ``/queue simple set`` line, from ``templates/mikrotik_routeros/shaper.j2``."""
        return render(self.name, "shaper.j2", link=link, target=target, ros_rate=ros_rate)

    def commit_confirm(self, name: str, restore: list[str], timeout_s: int) -> CommitConfirm:
        """Emulated commit-confirm: a scheduler entry that restores the old queue after
        ``timeout_s`` unless bwauto removes it once the post-checks pass.

        Examples:
            >>> guard = MikrotikRouterOs().commit_confirm(
            ...     "bwauto-CH-1", ['/queue simple set [find name="q"] max-limit=1M/2M'], 120)
            >>> print(guard.arm[0])
            /system scheduler add name=bwauto-CH-1 interval=120s on-event="/queue simple set \
[find name=\\"q\\"] max-limit=1M/2M; /system scheduler remove [find name=\\"bwauto-CH-1\\"]"
            >>> guard.confirm_config
            ('/system scheduler remove [find name="bwauto-CH-1"]',)
        """
        remove = f'/system scheduler remove [find name="{name}"]'
        event = "; ".join([*restore, remove]).replace("\\", "\\\\").replace('"', '\\"')
        arm = f'/system scheduler add name={name} interval={timeout_s}s on-event="{event}"'
        detail = f"emulated: scheduler entry {name} restores the old queue after {timeout_s} s"
        return CommitConfirm(detail, arm=(arm,), confirm_config=(remove,), name=name)

    def directions(self, link: Link) -> tuple[str, ...]:
        """A simple queue's ``max-limit=UP/DOWN`` shapes both directions."""
        return ("up", "down")

    def guard_state_commands(self) -> list[str]:
        """Nothing: the scheduler needs no preparation."""
        return []

    def guard_missing(self, outputs: list[str]) -> str | None:
        """Never: every RouterOS has ``/system scheduler``."""
        return None

    def guard_setup(self) -> tuple[list[str], str]:
        """Nothing to prepare."""
        return [], ""

    def pending_commands(self, guard: CommitConfirm) -> list[str]:
        """The scheduler entries (terse export: one line each)."""
        return ["/system scheduler export terse"]

    def is_pending(self, outputs: list[str], guard: CommitConfirm) -> bool:
        """The guard's scheduler entry is still there.

        Examples:
            >>> g = CommitConfirm("", name="bwauto-CH-1-x")
            >>> MikrotikRouterOs().is_pending(["/system scheduler add name=bwauto-CH-1-x"], g)
            True
        """
        text = re.sub(r"\\\r?\n\s*", "", "".join(outputs))
        names = {f"name={guard.name}", f'name="{guard.name}"'}
        return any(word in names for word in text.split())
