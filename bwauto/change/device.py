"""The I/O of a change on one router, over its Netmiko session: connect, read the shaper
section, type configuration lines (one at a time, so that an interrupt stops between two
lines), read the guard's state, save. Every library error becomes a ``BwautoError``.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from typing import Any

from netmiko.exceptions import NetmikoBaseException, NetmikoTimeoutException, ReadTimeout
from nornir.core.task import Task
from paramiko.ssh_exception import SSHException  # type: ignore[import-untyped]

from bwauto.change.interrupt import Interrupted
from bwauto.change.login import connection_error, enter_enable
from bwauto.errors import ApplyError, BwautoError, CommitError
from bwauto.platforms.base import CommitConfirm, Platform, find_failure

SESSION_ERRORS: tuple[type[BaseException], ...] = (
    OSError, EOFError, socket.timeout, SSHException, NetmikoBaseException, ValueError,
)  # fmt: skip
"""What a broken, hung or refused SSH session raises under Netmiko/paramiko (Netmiko raises
``ValueError`` when the router stays out of configuration mode)."""
CAUGHT: tuple[type[BaseException], ...] = (BwautoError, *SESSION_ERRORS)


def session_error(host: str, exc: BaseException) -> str:
    """One line naming the host and the exception (its first line only)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    head = f"{host}: " if host else ""
    return f"{head}{type(exc).__name__}" + (f": {text}" if text else "")


TIMEOUTS: tuple[type[BaseException], ...] = (ReadTimeout, NetmikoTimeoutException, TimeoutError)
"""What Netmiko raises when no prompt came back in time."""


def change_error(task: Task, exc: BaseException) -> str:
    """``session_error`` for an error during the change. Netmiko waits for the prompt until its
    read timeout also on a session the router has closed, and raises ``ReadTimeout``: when the
    session is found closed, that is said (``SSH session closed by the router``), not a slow
    router."""
    text = session_error(task.host.name, exc)
    connections = task.host.connections
    if isinstance(exc, TIMEOUTS) and "netmiko" in connections and not _is_up(connections):
        return f"{task.host.name}: SSH session closed by the router ({session_error('', exc)})"
    return text


def connect(task: Task, alive: bool = False) -> Any:
    """The host's Netmiko session, in enable mode where the platform has one.

    The session is Nornir's, kept on the host: every call within a change (preview, then
    apply) returns the same one. ``alive``: first check that a session kept open (e.g. while
    the operator read the diff) is still up, and open a new one if the router dropped it.
    """
    if alive and "netmiko" in task.host.connections and not _is_up(task.host.connections):
        drop(task)
    try:
        conn = task.host.get_connection("netmiko", task.nornir.config)
        if (conn.secret or task.host.platform == "cisco_ios") and not getattr(
            conn, "_bwauto_enabled", False
        ):  # once per session: nothing bwauto types leaves privileged EXEC
            enter_enable(conn, task.host.name)
            conn._bwauto_enabled = True
        return conn
    except Exception as exc:  # netmiko/paramiko raise many types; say which, never swallow
        raise connection_error(task.host.name, exc, task.host.username) from exc


def _is_up(connections: Any) -> bool:
    """The kept session's SSH transport is still active (nothing is typed to find out)."""
    try:
        channel = connections["netmiko"].connection.remote_conn
        return bool(channel is not None and not channel.closed and channel.get_transport()
                    and channel.get_transport().is_active())  # fmt: skip
    except Exception:
        return False


def drop(task: Task) -> None:
    """Forget the host's session (closed if it can be): the next ``connect`` opens a new one."""
    with contextlib.suppress(Exception):  # the session may already be gone
        task.host.close_connection("netmiko")
    task.host.connections.pop("netmiko", None)


def reconnect(task: Task) -> Any:
    """A fresh session (the old one may be dead)."""
    drop(task)
    return connect(task)


def read_section(conn: Any, platform: Platform, link: Any) -> str:
    """The link's shaper section of the running config."""
    return platform.section(read(conn, platform.show_commands(link)), link)


def read(conn: Any, commands: list[str]) -> list[str]:
    """The outputs of exec commands, each read up to the session's exec prompt."""
    until = re.escape(exec_prompt(conn))
    return [str(conn.send_command(cmd, expect_string=until)) for cmd in commands]


def exec_prompt(conn: Any) -> str:
    """The session's whole exec prompt (e.g. ``edge-bc-02#``), found once per session.

    Netmiko otherwise finds the prompt again before every command (a round trip and its
    waits, per command and router). The whole prompt, terminator included, is what a read
    waits for: the bare hostname can occur in an output (an IOS archive path with ``$h``).
    """
    prompt = getattr(conn, "_bwauto_exec_prompt", None)
    if not isinstance(prompt, str):
        prompt = str(conn.find_prompt())
        conn._bwauto_exec_prompt = prompt
    return prompt


def send(conn: Any, platform: Platform, commands: list[str]) -> str:
    """Configuration lines in one session of config mode; a refused line raises."""
    output = str(conn.send_config_set(commands))
    failure = find_failure(output, platform.failure_strings)
    if failure:
        raise ApplyError(f"router refused the change: {failure}")
    return output


def type_lines(
    conn: Any, platform: Platform, lines: list[str], mode_command: str | None,
    stop: threading.Event,
) -> None:  # fmt: skip
    """Enter config mode (with ``mode_command``, e.g. IOS's revert timer), type ``lines`` one
    at a time, leave config mode. ``stop`` set: stop between two lines (``Interrupted``).

    Raises:
        ApplyError: config mode refused, or a line refused.
        Interrupted: ``stop`` was set; the lines typed so far stay typed.
    """
    try:
        conn.config_mode(**({"config_command": mode_command} if mode_command else {}))
    except ValueError as exc:  # Netmiko: the prompt did not change
        what = repr(mode_command) if mode_command else "configuration mode"
        raise ApplyError(f"router refused {what}: {exc}") from None
    try:
        for line in lines:
            if stop.is_set():
                raise Interrupted("interrupted in the middle of the configuration")
            output = str(conn.send_config_set([line], enter_config_mode=False,
                                              exit_config_mode=False))  # fmt: skip
            failure = find_failure(output, platform.failure_strings)
            if failure:
                raise ApplyError(f"router refused the change: {failure}")
    except BaseException:
        with contextlib.suppress(Exception):  # the session may be gone; the restore reconnects
            conn.exit_config_mode()
        raise
    conn.exit_config_mode()


def pending(conn: Any, platform: Platform, guard: CommitConfirm) -> bool:
    """True while the guard is armed on the router."""
    return platform.is_pending(read(conn, platform.pending_commands(guard)), guard)


def confirm(conn: Any, platform: Platform, guard: CommitConfirm) -> None:
    """Disarm the commit-confirm guard: the change stays."""
    if guard.confirm_config:
        send(conn, platform, list(guard.confirm_config))
    for command in guard.confirm_exec:
        conn.send_command(command)


def save(conn: Any, platform: Platform, link: Any) -> tuple[bool, str]:
    """Make the change survive a reload; (saved, what was done) read back from the router.

    IOS: Netmiko's ``save_config`` (``write mem``), then ``show startup-config`` must hold
    the link's running shaper section. RouterOS keeps every change by itself.

    Raises:
        CommitError: the router refused the save.
    """
    if platform.saves_itself:
        return True, "RouterOS keeps configuration changes by itself (no save command)"
    output = str(conn.save_config())
    failure = find_failure(output, platform.failure_strings)
    if failure or "[OK]" not in output:
        raise CommitError(f"write memory failed: {failure or output.strip()[-80:]}")
    running = read_section(conn, platform, link)
    startup = str(conn.send_command("show startup-config"))
    stored = platform.section([startup] * len(platform.show_commands(link)), link)
    if stored != running:
        return False, "write memory answered [OK] but show startup-config differs"
    return True, "write memory; show startup-config holds the running shaper config"
