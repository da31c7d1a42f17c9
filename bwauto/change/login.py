"""Logging in to a router: the SSH login and IOS's ``enable``, with errors that name the router
and say what was refused.

Netmiko's ``enable()`` sends the secret once and then waits up to 10 s for a prompt; a refused
secret makes IOS ask ``Password:`` again (three times, then ``% Bad secrets``, or
``% Access denied`` under AAA), so Netmiko ends in a bare ``ReadTimeout`` (twice per raise, one
per session). Here the second ``Password:`` or the refusal text is recognised at once.

Examples:
    >>> enable_refused("\\r\\nPassword: ")
    'the router asked for the secret again'
    >>> enable_refused("% Access denied\\r\\n\\r\\nedge-bc-02>")
    '% Access denied'
    >>> enable_refused("\\r\\nedge-bc-02#") is None
    True
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from bwauto.errors import AuthError, ConnectError

ENABLE_TIMEOUT_S = 5.0
PASSWORD_PROMPT = r"[Pp]assword:"
REFUSALS = re.compile(r"%\s*(?:Bad (?:secrets|passwords)|Access denied|Authentication failed)")
_PASSWORD = re.compile(PASSWORD_PROMPT)


def enable_refused(reply: str) -> str | None:
    """Why the router refused the enable secret, from its reply to it; None if it did not."""
    refused = REFUSALS.search(reply)
    if refused:
        return refused.group(0)
    if _PASSWORD.search(reply):
        return "the router asked for the secret again"
    return None


def enter_enable(conn: Any, host: str, timeout_s: float = ENABLE_TIMEOUT_S) -> None:
    """Enter privileged EXEC with the enable secret, if the session is not there already.

    Raises:
        AuthError: the secret was refused, or none is set and the login is not privileged.
    """
    if conn.check_enable_mode():
        return
    if not conn.secret:
        raise AuthError(f"{host}: the login is not privileged and no enable secret is set; "
                        f"{_where(host)}")  # fmt: skip
    conn.write_channel(conn.normalize_cmd("enable"))
    conn.read_until_pattern(pattern="enable", read_timeout=timeout_s)
    asked = conn.read_until_prompt_or_pattern(
        pattern=PASSWORD_PROMPT, read_timeout=timeout_s, read_entire_line=True
    )
    if _PASSWORD.search(asked):
        conn.write_channel(conn.normalize_cmd(conn.secret))
        reply = conn.read_until_prompt_or_pattern(
            pattern=f"{PASSWORD_PROMPT}|{REFUSALS.pattern}", read_timeout=timeout_s
        )
        why = enable_refused(reply)
    else:
        why = enable_refused(asked)
    if why is None and not conn.check_enable_mode():
        why = "still not in privileged EXEC mode"
    if why is not None:
        _drop(conn)
        raise AuthError(f"{host}: the enable secret was refused ({why}); {_where(host)}")


def _drop(conn: Any) -> None:
    """Close the session at once: the router still waits for a secret, and Netmiko's polite
    disconnect would type into that prompt and wait 10 s for a prompt that never comes."""
    with contextlib.suppress(Exception):
        conn.paramiko_cleanup()


def connection_error(host: str, exc: BaseException, username: str | None = None) -> ConnectError:
    """One line for a failed login or connection, naming the router."""
    from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout

    if isinstance(exc, AuthError):
        return exc
    if isinstance(exc, NetmikoAuthenticationException):
        who = f" as {username}" if username else ""
        return AuthError(
            f"{host}: SSH authentication failed{who}: the router refused the password "
            f"(check USERNAME and PASSWORD)"
        )
    if isinstance(exc, ReadTimeout):
        return ConnectError(f"{host}: the router stopped answering during the login (timeout)")
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return ConnectError(
        f"{host}: cannot connect: {type(exc).__name__}" + (f": {text}" if text else "")
    )


def _where(host: str) -> str:
    from bwauto.credentials import env_names

    return f"check {env_names(host, (), 'enable_secret')[0]} or enable_secret in the secrets file"
