"""IOS ``archive`` and "Rollback Confirmed Change": the ``archive`` config mode, ``show
archive``, and ``configure terminal revert timer N`` / ``configure confirm`` / ``configure
revert``. The timer itself lives in ``IosConfig`` (a ``ScheduledConfig``), so it fires even
when the session that armed it is gone.

Sources: Cisco, "Configuration Replace and Configuration Rollback" and "Configuration
Rollback Confirmed Change" (IOS 12.3T feature guide; IOS XE 17 System Management guide);
NAPALM's ios driver, which runs ``show archive`` before it sends ``revert timer``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bwauto.lab.cli.base import CliCommandError, CliParseError, Invocation, ParseFailure
from bwauto.lab.cli.cisco_ios_configure import IosMode, number_arg
from bwauto.lab.cli.cisco_ios_files import (
    LOCAL_FILESYSTEMS,
    MAXIMUM_RANGE,
    NETWORK_SCHEMES,
    NOTHING_PENDING,
    show_archive,
    show_rollback_timer,
)
from bwauto.lab.cli.cisco_ios_show import ios_timestamp

if TYPE_CHECKING:
    from bwauto.lab.cli.cisco_ios import IosSession

BACKUP = "Rollback Confirmed Change: Backing up current running config to {file}\n\n"
NO_ARCHIVE = "%Please turn config archive on"
"""IOS's refusal of a rollback feature while no ``archive`` / ``path`` is configured: the text
NAPALM's ios driver matches after ``configure replace ... revert timer``. No public document
found gives the exact words IOS prints for ``configure terminal revert timer`` itself, so the
lab reuses this one; what is documented, and what matters, is that the command is refused
and the session stays in privileged EXEC. Clients should check ``show archive`` first, as
NAPALM does, and never depend on this wording."""
TIMER_MINUTES = (1, 120)


def revert_timer(s: IosSession, inv: Invocation) -> str:
    """``configure terminal revert timer MINUTES``: config mode with automatic rollback.

    Refused, staying in privileged EXEC, without ``archive`` / ``path``: Cisco's "Configuration
    Rollback Confirmed Change" says "You must configure a configuration archive before
    performing this procedure", and NAPALM's ios driver checks ``show archive`` first and maps
    a failure to enter config mode to "revert_in requires 'archive' feature to be enabled".
    With an archive, the running config is backed up to the next archive file first
    ("Rollback Confirmed Change: Backing up current running config to ...").
    """
    minutes = number_arg(inv.args[0], *TIMER_MINUTES)
    if not s.config.archive.configured:
        raise CliCommandError(NO_ARCHIVE)
    written = s.config.arm_revert(minutes, s.username)
    backup = BACKUP.format(file=written) if written else ""
    return backup + s.configure(inv)


def confirm(s: IosSession, inv: Invocation) -> str:
    """``configure confirm``: keep the changes, stop the revert timer (Cisco, "Configuration
    Rollback Confirmed Change": "confirms the configuration change")."""
    return "" if s.config.confirm() else NOTHING_PENDING


def revert(s: IosSession, inv: Invocation) -> str:
    """``configure revert now`` / ``configure revert timer MINUTES`` (Cisco, "Configuration
    Rollback Confirmed Change": ``configure revert {now | timer minutes}`` rolls back at once
    or resets the timer of a pending change)."""
    if s.config.revert is None:
        return NOTHING_PENDING
    word = inv.args[0]
    if "now".startswith(word.text.lower()):
        s.config.revert_now(s.router)
        return "Rollback Confirmed Change: Rolling back to the previous configuration"
    if not "timer".startswith(word.text.lower()):
        raise CliParseError(ParseFailure.UNKNOWN, word.column, word.text)
    if len(inv.args) < 2:
        raise CliParseError(ParseFailure.INCOMPLETE, len(inv.line.rstrip()))
    s.config.arm_revert(number_arg(inv.args[1], *TIMER_MINUTES), s.username)
    return ""


def show(s: IosSession, inv: Invocation) -> str:
    """``show archive``: " Archive feature not enabled" without ``archive`` / ``path`` (a real
    IOS 15 router's reply, and the text NAPALM's ``_check_archive_feature`` looks for), else
    the maximum, the next file name and the files, as in Cisco's ``show archive`` example."""
    return show_archive(s.config.archive, s.config.archive_files)


def show_timer(s: IosSession, inv: Invocation) -> str:
    """``show archive config rollback timer``: the pending revert (fields as NAPALM's ios
    driver parses them) or "% No Rollback Confirmed Change pending"."""
    pending = s.config.revert
    return show_rollback_timer(pending, ios_timestamp(pending.armed_at) if pending else "")


# -- the archive configuration mode --------------------------------------------------------
def enter(s: IosSession, inv: Invocation) -> str:
    """``archive``: enter ``config-archive`` (Cisco, "Configuring the Configuration Archive")."""
    s.changing(affects_traffic=False)
    s.config.archive.entered = True
    s.enter(IosMode("config-archive"))
    return ""


def no_archive(s: IosSession, inv: Invocation) -> str:
    """``no archive``: the whole block goes, and with it the revert timer's precondition."""
    s.changing(affects_traffic=False)
    archive = s.config.archive
    archive.path, archive.maximum, archive.write_memory, archive.entered = None, None, False, False
    return ""


def path(s: IosSession, inv: Invocation) -> str:
    """``path URL``: where archive files go; a filesystem prefix (``flash:``...) or a network
    URL, as in Cisco's "path (archive configuration)" command reference."""
    url = inv.args[0]
    if not url.text.lower().startswith((*LOCAL_FILESYSTEMS, *NETWORK_SCHEMES)):
        raise CliParseError(ParseFailure.UNKNOWN, url.column, url.text)
    s.changing(affects_traffic=False)
    s.config.archive.path = url.text
    return ""


def no_path(s: IosSession, inv: Invocation) -> str:
    """``no path``."""
    s.changing(affects_traffic=False)
    s.config.archive.path = None
    return ""


def maximum(s: IosSession, inv: Invocation) -> str:
    """``maximum N`` (1-14); refused for a network path, as IOS does ("Cannot set maximum when
    backing up to network path")."""
    value = number_arg(inv.args[0], *MAXIMUM_RANGE)
    if (s.config.archive.path or "").lower().startswith(NETWORK_SCHEMES):
        raise CliCommandError("Cannot set maximum when backing up to network path")
    s.changing(affects_traffic=False)
    s.config.archive.maximum = value
    return ""


def no_maximum(s: IosSession, inv: Invocation) -> str:
    """``no maximum``: back to the default of 10."""
    s.changing(affects_traffic=False)
    s.config.archive.maximum = None
    return ""


def write_memory(s: IosSession, inv: Invocation) -> str:
    """``write-memory``: also archive on every ``write memory``."""
    s.changing(affects_traffic=False)
    s.config.archive.write_memory = True
    return ""


def no_write_memory(s: IosSession, inv: Invocation) -> str:
    """``no write-memory``."""
    s.changing(affects_traffic=False)
    s.config.archive.write_memory = False
    return ""
