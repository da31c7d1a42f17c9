"""What a router platform is to bwauto: data (templates, show commands, failure strings) and a
small class that reads the shaper's current rate and renders the intended config.

Everything here is pure: text in, text out. The Nornir tasks in ``bwauto.change`` do the I/O.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import jinja2

from bwauto.errors import RenderError
from bwauto.inventory.models import Link
from bwauto.rates import format_rate

TEMPLATES = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)


NOT_SHAPED = "not shaped on this router"
"""What bwauto says of a direction the router does not shape (never ``None``)."""

DIRECTIONS = ("up", "down")


@dataclass(frozen=True)
class ShaperRate:
    """A link's shaper rates in bit/s, seen from the OPD (``up`` = upload).

    A direction is ``None`` when the router does not shape it (``Platform.directions`` says
    which directions a link can shape); it is shown as ``NOT_SHAPED``, never as ``None``.
    """

    up: int | None
    down: int | None

    def describe(self) -> str:
        """The rate in words, each direction named.

        Examples:
            >>> ShaperRate(None, 30_000_000).describe()
            'upload not shaped on this router, download 30M'
        """
        pairs = (("upload", self.up), ("download", self.down))
        return ", ".join(f"{name} {show_direction(value)}" for name, value in pairs)

    def as_dict(self) -> dict[str, int | None]:
        """``{"up": bps or None, "down": bps or None}`` for the evidence."""
        return {"up": self.up, "down": self.down}


def show_direction(bps: int | None) -> str:
    """One direction's rate, or ``NOT_SHAPED``.

    Examples:
        >>> show_direction(150_000_000), show_direction(None)
        ('150M', 'not shaped on this router')
    """
    return NOT_SHAPED if bps is None else format_rate(bps)


def shaped(rate: ShaperRate) -> dict[str, str]:
    """Per direction, the rate or ``NOT_SHAPED`` (for evidence and documents).

    Examples:
        >>> shaped(ShaperRate(None, 20_000_000))
        {'up': 'not shaped on this router', 'down': '20M'}
    """
    return {"up": show_direction(rate.up), "down": show_direction(rate.down)}


@dataclass(frozen=True)
class CommitConfirm:
    """How a platform guards a change: armed before it, confirmed once the post-checks pass.

    Attributes:
        detail: what guards the change, for the evidence ("native: ..."/"emulated: ...").
        arm: configuration lines sent before the change (e.g. a RouterOS scheduler entry).
        config_mode_command: how to enter configuration mode for the change itself
            (e.g. IOS ``configure terminal revert timer 2``), or None for the default.
        confirm_config: configuration lines that confirm (disarm) the guard.
        confirm_exec: exec-mode commands that confirm it (e.g. IOS ``configure confirm``).
    """

    detail: str
    arm: tuple[str, ...] = ()
    config_mode_command: str | None = None
    confirm_config: tuple[str, ...] = ()
    confirm_exec: tuple[str, ...] = ()
    name: str = ""
    """The guard's name on the router (RouterOS scheduler entry); "" when unnamed."""
    minutes: int = 0
    """IOS: the revert timer in minutes; 0 where the guard is not a revert timer."""

    @property
    def guarded(self) -> bool:
        """False for ``--no-confirm``: the change is applied without any guard."""
        return bool(self.arm or self.config_mode_command)


UNGUARDED = CommitConfirm("none: --no-confirm, applied without a commit-confirm guard")
"""The guard of an explicit ``--no-confirm`` change: nothing restores it automatically."""


class Platform(Protocol):
    """One router platform (Netmiko name), as bwauto drives it."""

    name: str
    failure_strings: tuple[str, ...]

    def show_commands(self, link: Link) -> list[str]:
        """Commands whose output is the link's shaper section of the running config."""
        ...

    def section(self, outputs: list[str], link: Link) -> str:
        """The normalised shaper section from the outputs of ``show_commands``."""
        ...

    def parse_rate(self, section: str, link: Link) -> ShaperRate:
        """The shaper rate configured in ``section``."""
        ...

    def intended_section(self, section: str, link: Link, target: ShaperRate) -> str:
        """``section`` as it will read once the shaper is at ``target``."""
        ...

    def change_commands(self, link: Link, target: ShaperRate) -> list[str]:
        """Configuration commands that set the shaper to ``target``."""
        ...

    def commit_confirm(self, name: str, restore: list[str], timeout_s: int) -> CommitConfirm:
        """The guard that restores the old config unless confirmed within ``timeout_s``."""
        ...

    def directions(self, link: Link) -> tuple[str, ...]:
        """The directions (``"up"``, ``"down"``) this router shapes for ``link``."""
        ...

    def guard_state_commands(self) -> list[str]:
        """Exec commands whose output says whether the commit-confirm guard can be armed."""
        ...

    def guard_missing(self, outputs: list[str]) -> str | None:
        """Why the guard cannot be armed (with the fix), or None when it can."""
        ...

    def guard_setup(self) -> tuple[list[str], str]:
        """What ``--prepare-archive`` adds: (configuration lines, as the running config shows
        them). Empty for a platform whose guard needs nothing."""
        ...

    def pending_commands(self, guard: CommitConfirm) -> list[str]:
        """Exec commands whose output shows whether ``guard`` is still armed."""
        ...

    def is_pending(self, outputs: list[str], guard: CommitConfirm) -> bool:
        """True while ``guard`` is armed (would restore the old config)."""
        ...

    saves_itself: bool
    """True when the router keeps configuration changes across a reboot by itself."""


def render(platform: str, template: str, **values: object) -> list[str]:
    """Render ``templates/<platform>/<template>`` to a list of non-empty command lines.

    Raises:
        RenderError: when the template is missing or a value it needs is not given.
    """
    try:
        text = _ENV.get_template(f"{platform}/{template}").render(**values)
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {platform}/{template}: {exc}") from None
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def unified_diff(before: str, after: str, host: str) -> str:
    """A unified diff of a config section, labelled with the host.

    Examples:
        >>> print(unified_diff("a\\nb\\n", "a\\nc\\n", "r1"), end="")
        --- r1 running
        +++ r1 intended
        @@ -1,2 +1,2 @@
         a
        -b
        +c
    """
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{host} running",
        tofile=f"{host} intended",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def find_failure(output: str, failure_strings: tuple[str, ...]) -> str | None:
    """The first output line that contains a failure string, or None.

    Examples:
        >>> find_failure("ok\\n% Invalid input detected at '^' marker.\\n", ("% Invalid",))
        "% Invalid input detected at '^' marker."
    """
    for line in output.splitlines():
        if any(marker in line for marker in failure_strings):
            return line.strip()
    return None
