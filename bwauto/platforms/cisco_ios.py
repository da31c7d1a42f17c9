"""Cisco IOS: an MQC policy-map per link, ``shape average`` outbound (download) and, where the
inventory names ``shaper_in``, ``police cir`` inbound (upload).

Examples:
    >>> from bwauto.inventory.models import Link
    >>> link = Link(id="rsud", opd="RSUD", router="r", interface="Gi0/1.201",
    ...             shaper="PM-RSUD-OUT", shaper_in="PM-RSUD-IN",
    ...             committed={"up": "100M", "down": "200M"}, upstream="u",
    ...             contact={"name": "A"})
    >>> out = ["policy-map PM-RSUD-OUT\\n class class-default\\n  shape average 200000000\\n",
    ...        "policy-map PM-RSUD-IN\\n class class-default\\n  police cir 100000000\\n"]
    >>> ios = CiscoIos()
    >>> sec = ios.section(out, link)
    >>> ios.parse_rate(sec, link)
    ShaperRate(up=100000000, down=200000000)
    >>> print(ios.intended_section(sec, link, ShaperRate(150_000_000, 300_000_000)), end="")
    policy-map PM-RSUD-OUT
     class class-default
      shape average 300000000
    policy-map PM-RSUD-IN
     class class-default
      police cir 150000000
"""

from __future__ import annotations

import re

from bwauto.errors import RenderError
from bwauto.inventory.models import Link
from bwauto.platforms.base import CommitConfirm, ShaperRate, render

SHAPE = re.compile(r"^(\s*shape average )(\d+)(.*)$")
ARCHIVE_PATH = re.compile(r"^\s+path\s+\S+", re.MULTILINE)
ARCHIVE_DISABLED = "Archive feature not enabled"
"""``show archive`` without an archive (NAPALM's ios driver tests the same string)."""
NO_PENDING = "No Rollback Confirmed Change pending"
"""``show archive config rollback timer`` when no revert timer runs (as NAPALM reads it)."""
ARCHIVE_SETUP = ["archive", "path flash:bwauto-archive"]
"""What ``--prepare-archive`` configures: Cisco's *Configuration Rollback Confirmed Change*
needs a configuration archive with a ``path`` before ``configure terminal revert timer``."""
POLICE = re.compile(r"^(\s*police (?:cir )?)(\d+)(.*)$")


class CiscoIos:
    """Cisco IOS as bwauto drives it (Netmiko ``cisco_ios``, NAPALM ``ios``)."""

    name: str = "cisco_ios"
    saves_itself: bool = False
    failure_strings: tuple[str, ...] = (
        "% Invalid input",
        "% Incomplete command",
        "% Ambiguous command",
        "% Error",
    )

    def show_commands(self, link: Link) -> list[str]:
        """``show running-config | section`` for the output (and input) policy-map."""
        names = [link.shaper] + ([link.shaper_in] if link.shaper_in else [])
        return [f"show running-config | section policy-map {name}" for name in names]

    def section(self, outputs: list[str], link: Link) -> str:
        """The exact policy-map blocks (a longer name that merely starts alike is dropped)."""
        names = [link.shaper] + ([link.shaper_in] if link.shaper_in else [])
        return "".join(_block(out, name) for out, name in zip(outputs, names, strict=True))

    def parse_rate(self, section: str, link: Link) -> ShaperRate:
        """``shape average`` of the shaper, ``police cir`` of the inbound policer."""
        down = _value(_block(section, link.shaper), SHAPE)
        if down is None:
            raise RenderError(f"{link.id}: no 'shape average' in policy-map {link.shaper}")
        up = _value(_block(section, link.shaper_in), POLICE) if link.shaper_in else None
        return ShaperRate(up=up, down=down)

    def intended_section(self, section: str, link: Link, target: ShaperRate) -> str:
        """The section with the shape (and police) values replaced by ``target``."""
        out = _replace(_block(section, link.shaper), SHAPE, target.down)
        if link.shaper_in:
            out += _replace(_block(section, link.shaper_in), POLICE, target.up)
        return out

    def change_commands(self, link: Link, target: ShaperRate) -> list[str]:
        """Configuration-mode lines, from ``templates/cisco_ios/shaper.j2``."""
        return render(self.name, "shaper.j2", link=link, target=target)

    def commit_confirm(self, name: str, restore: list[str], timeout_s: int) -> CommitConfirm:
        """Native: IOS Rollback Confirmed Change (``revert timer``, needs ``archive``).

        Examples:
            >>> CiscoIos().commit_confirm("x", [], 90).config_mode_command
            'configure terminal revert timer 2'
        """
        minutes = max(1, -(-timeout_s // 60))
        return CommitConfirm(
            f"native: configure terminal revert timer {minutes} (minutes)",
            config_mode_command=f"configure terminal revert timer {minutes}",
            confirm_exec=("configure confirm",),
            minutes=minutes,
        )

    def directions(self, link: Link) -> tuple[str, ...]:
        """Download through the output policy; upload only where ``shaper_in`` polices it.

        Examples:
            >>> from bwauto.inventory.models import Link
            >>> link = Link(id="d", opd="D", router="r", interface="Gi0/3", shaper="PM-D",
            ...             committed={"up": "10M", "down": "20M"}, upstream="u",
            ...             contact={"name": "A"})
            >>> CiscoIos().directions(link)
            ('down',)
        """
        return ("up", "down") if link.shaper_in else ("down",)

    def guard_state_commands(self) -> list[str]:
        """``show archive`` and the running config's ``archive`` section."""
        return ["show archive", "show running-config | section archive"]

    def guard_missing(self, outputs: list[str]) -> str | None:
        """Without ``archive`` + ``path`` IOS refuses ``configure terminal revert timer``.

        Examples:
            >>> CiscoIos().guard_missing(["Archive feature not enabled", ""])[:40]
            'the IOS revert timer (commit-confirm) ne'
            >>> CiscoIos().guard_missing(["", "archive\\n path flash:a\\n"]) is None
            True
        """
        disabled = ARCHIVE_DISABLED in outputs[0]
        has_path = ARCHIVE_PATH.search(_archive_block(outputs[1])) is not None
        if has_path and not disabled:
            return None
        return (
            "the IOS revert timer (commit-confirm) needs 'archive' with a 'path', and this "
            "router has none; fix: configure 'archive' / ' path flash:bwauto-archive' on it, "
            "or run again with --prepare-archive (adds them, shown in the diff) or --no-confirm "
            "(applies without a guard)"
        )

    def guard_setup(self) -> tuple[list[str], str]:
        """The archive lines, and how the running config shows them."""
        return list(ARCHIVE_SETUP), "archive\n path flash:bwauto-archive\n"

    def pending_commands(self, guard: CommitConfirm) -> list[str]:
        """``show archive config rollback timer`` (NAPALM's ``has_pending_commit``)."""
        return ["show archive config rollback timer"]

    def is_pending(self, outputs: list[str], guard: CommitConfirm) -> bool:
        """A revert timer runs unless IOS says none is pending.

        Examples:
            >>> CiscoIos().is_pending(["No Rollback Confirmed Change pending"], CommitConfirm(""))
            False
        """
        return NO_PENDING not in outputs[0]


def _archive_block(text: str) -> str:
    lines, inside = [], False
    for line in text.splitlines():
        if not line.startswith(" "):
            inside = line.strip() == "archive"
        if inside:
            lines.append(line + "\n")
    return "".join(lines)


def _block(text: str, name: str | None) -> str:
    """The ``policy-map NAME`` block of ``text`` (header and indented lines), or ""."""
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        if not line.startswith(" "):
            inside = line.strip() == f"policy-map {name}"
        if inside and line.strip() and line.strip() != "!":
            lines.append(line.rstrip() + "\n")
    return "".join(lines)


def _value(block: str, pattern: re.Pattern[str]) -> int | None:
    for line in block.splitlines():
        match = pattern.match(line)
        if match:
            return int(match.group(2))
    return None


def _replace(block: str, pattern: re.Pattern[str], value: int | None) -> str:
    if value is None:
        return block
    lines = block.splitlines(keepends=True)
    for i, line in enumerate(lines):
        match = pattern.match(line.rstrip("\n"))
        if match:
            lines[i] = f"{match.group(1)}{value}{match.group(3)}\n"
    return "".join(lines)
