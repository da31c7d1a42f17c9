"""IOS "Rollback Confirmed Change": ``configure terminal revert timer N`` arms a rollback to
the configuration as it was, ``configure confirm`` keeps the change, ``configure revert now``
rolls back at once. The timer itself lives in ``IosConfig`` (a ``ScheduledConfig``), so it
fires even when the session that armed it is gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bwauto.lab.cli.base import CliParseError, Invocation, ParseFailure
from bwauto.lab.cli.cisco_ios_configure import number_arg

if TYPE_CHECKING:
    from bwauto.lab.cli.cisco_ios import IosSession

BACKUP = "Rollback Confirmed Change: Backing up current running config to nvram:archive-1\n"
NOTHING_PENDING = "% No Rollback Confirmed Change pending"


def revert_timer(s: IosSession, inv: Invocation) -> str:
    """``configure terminal revert timer MINUTES``: config mode with automatic rollback."""
    minutes = number_arg(inv.args[0], 1, 120)
    backup = "" if s.config.revert_at is not None else BACKUP
    s.config.arm_revert(minutes)
    return backup + s.configure(inv)


def confirm(s: IosSession, inv: Invocation) -> str:
    """``configure confirm``: keep the changes, stop the revert timer."""
    return "" if s.config.confirm() else NOTHING_PENDING


def revert(s: IosSession, inv: Invocation) -> str:
    """``configure revert now`` / ``configure revert timer MINUTES``."""
    if s.config.revert_at is None:
        return NOTHING_PENDING
    word = inv.args[0]
    if "now".startswith(word.text.lower()):
        s.config.revert_now(s.router)
        return "Rollback Confirmed Change: Rolling back to the previous configuration"
    if not "timer".startswith(word.text.lower()):
        raise CliParseError(ParseFailure.UNKNOWN, word.column, word.text)
    if len(inv.args) < 2:
        raise CliParseError(ParseFailure.INCOMPLETE, len(inv.line.rstrip()))
    s.config.arm_revert(number_arg(inv.args[1], 1, 120))
    return ""
