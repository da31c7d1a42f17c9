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

TEMPLATES = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)


@dataclass(frozen=True)
class ShaperRate:
    """A link's shaper rates in bit/s, seen from the OPD (``up`` = upload). None: not shaped."""

    up: int | None
    down: int | None


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
