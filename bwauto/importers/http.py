"""A JSON-over-HTTP call with one-line errors, shared by the Prometheus and Zabbix importers."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from bwauto.errors import MonitoringError, UsageError
from bwauto.monitoring.base import describe_error

TIMEOUT_S = 60.0


def server_url(url: str, kind: str) -> str:
    """``url`` without a trailing slash, refused (without being shown) when it carries a user
    name or password: a secret would reach the terminal, the store's source names and the
    report, and urllib does not log in with it anyway.

    Examples:
        >>> server_url("http://127.0.0.1:9090/", "prometheus")
        'http://127.0.0.1:9090'
        >>> server_url("http://u:pw@127.0.0.1:9090", "prometheus")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: --from prometheus: the URL carries a user name or password ...
    """
    import urllib.parse

    if "@" in urllib.parse.urlsplit(url).netloc:
        raise UsageError(
            f"--from {kind}: the URL carries a user name or password (not shown); give the "
            "server's address alone and the credentials as the options say (--token-env, "
            "--user/--password-env)"
        )
    return url.rstrip("/")


def get_json(
    what: str, url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> Any:
    """The decoded JSON answer of ``url`` (POST when ``data`` is given).

    A Prometheus error reply (HTTP 400/422/503 with a JSON body) is returned as JSON for the
    caller to read its ``error``; any other HTTP error or a network failure is one line.

    Raises:
        MonitoringError: unreachable, refused (e.g. 401), or not JSON.
    """
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:
            body = reply.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()
        if exc.code not in (400, 422, 503) or not body.lstrip().startswith(b"{"):
            first = body.decode("utf-8", "replace").strip().splitlines()
            detail = f": {first[0][:200]}" if first else ""
            raise MonitoringError(f"{what}: {describe_error(exc)}{detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise MonitoringError(f"{what}: {describe_error(exc)}") from None
    try:
        return json.loads(body)
    except ValueError:
        raise MonitoringError(f"{what}: the answer is not JSON") from None
