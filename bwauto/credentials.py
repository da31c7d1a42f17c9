"""Credentials: never in inventory files, never printed, logged or stored.

For each secret of a router, the first of these that gives a value wins:

1. the environment variable named in the host's (or its group's, or defaults') data
   ``credentials_env: {password: MY_VAR}``;
2. ``BWAUTO_<HOST>_<FIELD>`` (host name upper-cased, ``-`` and ``.`` as ``_``);
3. ``BWAUTO_<GROUP>_<FIELD>`` for each of the host's groups;
4. ``BWAUTO_<FIELD>``;
5. the secrets file (``--secrets``, ``$BWAUTO_SECRETS``, the inventory's
   ``data.secrets_file`` in defaults.yaml, or ``~/.config/bwauto/secrets.yaml``), which must be
   mode 0600 and holds ``defaults:``, ``groups: {NAME: ...}`` and ``hosts: {NAME: ...}`` (and
   ``monitoring: {zabbix: ...}``); any other key is refused with its line and a "did you mean",
   never with a value;
6. an interactive prompt, when standard input is a terminal.

Fields: ``USERNAME``, ``PASSWORD``, ``ENABLE_SECRET``, ``SNMP_COMMUNITY``, ``SNMPV3_USER``,
``SNMPV3_AUTH_KEY``, ``SNMPV3_PRIV_KEY``.

Examples:
    >>> env_names("edge-bc-01", ("mikrotik",), "password")
    ['BWAUTO_EDGE_BC_01_PASSWORD', 'BWAUTO_MIKROTIK_PASSWORD', 'BWAUTO_PASSWORD']
"""

from __future__ import annotations

import getpass
import os
import re
import stat
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bwauto.errors import CredentialError
from bwauto.files import InputFileError, os_reason, read_yaml

FIELDS = (
    "username", "password", "enable_secret", "snmp_community",
    "snmpv3_user", "snmpv3_auth_key", "snmpv3_priv_key",
)  # fmt: skip
PROMPTABLE = ("username", "password", "enable_secret", "snmp_community")
DEFAULT_SECRETS = Path("~/.config/bwauto/secrets.yaml")


@dataclass(frozen=True)
class Credentials:
    """Resolved secrets of one router; ``repr`` never shows a value."""

    values: Mapping[str, str] = field(repr=False)
    source: Path | None = None
    """The secrets file read (named when a secret is missing)."""

    def get(self, name: str) -> str | None:
        """The value of ``name`` or None."""
        return self.values.get(name)

    def require(self, name: str, host: str) -> str:
        """The value of ``name``, or a ``CredentialError`` that says how to provide it."""
        value = self.values.get(name)
        if value is None:
            raise CredentialError(_missing(host, name, self.source))
        return value


def env_names(host: str, groups: tuple[str, ...], name: str) -> list[str]:
    """Environment variable names tried for ``name`` of ``host``, most specific first."""
    suffix = name.upper()
    return [f"BWAUTO_{_env_part(p)}_{suffix}" for p in (host, *groups)] + [f"BWAUTO_{suffix}"]


def _env_part(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def load_secrets_file(path: Path, hosts: Collection[str] | None = None) -> dict[str, Any]:
    """Read a secrets file, refusing it unless only its owner can read it (mode 0600).

    No error ever quotes the file's content: a YAML error says only where. A key given twice
    is refused (the inventory's reader finds it, with its line), and so is, with the
    inventory's ``hosts``, a host the inventory does not have (a typo would leave the real
    router without its secret).
    """
    try:
        st = path.stat()
    except OSError as exc:
        raise CredentialError(f"secrets file {path}: {os_reason(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise CredentialError(f"secrets file {path}: is a directory, expected a file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise CredentialError(
            f"secrets file {path} has mode {mode:04o}: others can read it; run 'chmod 600 {path}'"
        )
    try:
        data = read_yaml(path, secret=True) or {}
    except InputFileError as exc:
        where = path if exc.line is None else f"{path}:{exc.line}"
        reason = exc.reason.split(" (")[0]  # never a byte or a column of a secret
        raise CredentialError(f"secrets file {where}: {reason}") from None
    if not isinstance(data, dict):
        raise CredentialError(f"secrets file {path}: expected a mapping")
    problem = secrets_problem(data) or _duplicate_key(path) or _unknown_host(data, hosts)
    if problem is not None:
        keys, message = problem
        shown = ".".join(k if _KEY_LIKE.match(k) else "(not shown)" for k in keys)
        raise CredentialError(f"secrets file {path}:{_line(path, keys)}: {shown}: {message}")
    return data


SCOPES = ("defaults", "groups", "hosts", "monitoring")
_KEY_LIKE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
"""A key shown in an error; anything else may be a secret typed where a key goes."""
MONITORING_FIELDS = {"zabbix": ("token", "username", "password")}
"""``monitoring: {zabbix: {...}}``: the Zabbix API's credentials (``monitoring.settings``)."""


def secrets_problem(data: Mapping[str, Any]) -> tuple[tuple[str, ...], str] | None:
    """The first misplaced or misspelt key of a secrets file (its path, what is wrong), or None.

    Never quotes a value: only keys, which name fields, groups and hosts.

    Examples:
        >>> secrets_problem({"defaults": {"pasword": "x"}})
        (('defaults', 'pasword'), "unknown key (did you mean 'password'?)")
        >>> secrets_problem({"host": {}})
        (('host',), "unknown key (did you mean 'hosts'?)")
        >>> secrets_problem({"hosts": {"r1": {"password": {"a": 1}}}})
        (('hosts', 'r1', 'password'), 'expected a value, not a list or a mapping')
        >>> secrets_problem({"groups": {"cisco": {"username": "u"}}}) is None
        True
    """
    for scope, value in data.items():
        if scope not in SCOPES:
            return (str(scope),), _unknown(str(scope), SCOPES)
        if value is None:
            continue
        if not isinstance(value, dict):
            return (str(scope),), "expected a mapping"
        found = _scope_problem(str(scope), value)
        if found is not None:
            return found
    return None


def _scope_problem(scope: str, value: dict[Any, Any]) -> tuple[tuple[str, ...], str] | None:
    if scope == "defaults":
        return _fields_problem((scope,), value, FIELDS)
    for name, fields in value.items():
        if scope != "monitoring":
            found = _fields_problem((scope, str(name)), fields, FIELDS)
        elif name not in MONITORING_FIELDS:
            found = (scope, str(name)), _unknown(str(name), tuple(MONITORING_FIELDS))
        else:
            found = _fields_problem((scope, str(name)), fields, MONITORING_FIELDS[name])
        if found is not None:
            return found
    return None


def _fields_problem(
    where: tuple[str, ...], fields: Any, known: tuple[str, ...]
) -> tuple[tuple[str, ...], str] | None:
    if fields is None:
        return None
    if not isinstance(fields, dict):
        return where, f"expected a mapping of {', '.join(known[:2])}, ..."
    for key, value in fields.items():
        if key not in known:
            return (*where, str(key)), _unknown(str(key), known)
        if isinstance(value, (dict, list)):
            return (*where, str(key)), "expected a value, not a list or a mapping"
    return None


def _duplicate_key(path: Path) -> tuple[tuple[str, ...], str] | None:
    """The first key given twice in the same mapping (the inventory's YAML reader)."""
    from bwauto.files import read_text
    from bwauto.inventory.yamlsrc import parse_yaml

    for problem in parse_yaml(read_text(path), str(path)).problems:
        if problem.message == "duplicate key":
            where = tuple(p for p in problem.where.split(".") if p)
            return (*where, problem.field), "duplicate key: given twice, one would be lost"
    return None


def _unknown_host(
    data: Mapping[str, Any], hosts: Collection[str] | None
) -> tuple[tuple[str, ...], str] | None:
    """A ``hosts:`` entry the inventory has no router of."""
    if hosts is None:
        return None
    for name in data.get("hosts") or {}:
        if str(name) not in hosts:
            return ("hosts", str(name)), "no such host in the inventory" + _unknown(
                str(name), tuple(sorted(hosts))
            ).removeprefix("unknown key")
    return None


def _unknown(key: str, known: tuple[str, ...]) -> str:
    from bwauto.inventory.schema import did_you_mean

    return "unknown key" + (did_you_mean(key, known) or f": one of {', '.join(known)}")


def _line(path: Path, keys: tuple[str, ...]) -> int:
    """The line of ``keys`` in the (already parsed) secrets file: read for its keys only."""
    from bwauto.files import read_text
    from bwauto.inventory.yamlsrc import parse_yaml

    return parse_yaml(read_text(path), str(path)).line(*keys) or 1


def find_secrets_file(explicit: str | None, inventory_hint: str | None) -> Path | None:
    """The secrets file to use, or None when there is none."""
    for candidate in (explicit, os.environ.get("BWAUTO_SECRETS"), inventory_hint):
        if candidate:
            return Path(candidate).expanduser()
    default = DEFAULT_SECRETS.expanduser()
    return default if default.exists() else None


@dataclass
class CredentialResolver:
    """Resolves routers' credentials from environment, secrets file and prompt, in that order."""

    secrets: dict[str, Any] = field(default_factory=dict, repr=False)
    env: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False)
    interactive: bool = field(default_factory=lambda: sys.stdin.isatty())
    prompt: Callable[[str], str] = getpass.getpass
    source: Path | None = None
    """The secrets file ``secrets`` was read from."""

    @classmethod
    def from_files(
        cls, explicit: str | None, inventory_hint: str | None,
        hosts: Collection[str] | None = None,
    ) -> CredentialResolver:  # fmt: skip
        """A resolver reading the secrets file found by ``find_secrets_file`` (its ``hosts:``
        checked against the inventory's ``hosts``, when given)."""
        path = find_secrets_file(explicit, inventory_hint)
        return cls(secrets=load_secrets_file(path, hosts) if path else {}, source=path)

    def resolve(
        self, host: str, groups: tuple[str, ...], env_override: Mapping[str, str] | None = None,
        need: tuple[str, ...] = (),
    ) -> Credentials:  # fmt: skip
        """Credentials of ``host``; fields in ``need`` are prompted for if still missing."""
        values: dict[str, str] = {}
        for name in FIELDS:
            value = self._lookup(host, groups, name, env_override or {})
            if value is None and name in need and name in PROMPTABLE and self.interactive:
                value = self.prompt(f"{name.replace('_', ' ')} for {host}: ") or None
            if value is not None:
                values[name] = value
        return Credentials(values, self.source)

    def _lookup(
        self, host: str, groups: tuple[str, ...], name: str, env_override: Mapping[str, str]
    ) -> str | None:
        names = ([env_override[name]] if name in env_override else []) + env_names(
            host, groups, name
        )
        for var in names:
            if self.env.get(var):
                return self.env[var]
        scopes = [(self.secrets.get("hosts") or {}).get(host)]
        scopes += [(self.secrets.get("groups") or {}).get(g) for g in groups]
        scopes.append(self.secrets.get("defaults"))
        for scope in scopes:
            if isinstance(scope, dict) and scope.get(name) not in (None, ""):
                return str(scope[name])
        return None


def _missing(host: str, name: str, source: Path | None = None) -> str:
    """What to do about a missing secret, naming the secrets file actually read.

    Examples:
        >>> _missing("r1", "password", Path("/etc/bw/s.yaml")).split(", or ")[-1]
        "add 'password' to the secrets file /etc/bw/s.yaml (mode 0600)"
        >>> _missing("r1", "password").split(", or ")[-1]
        "add 'password' to a secrets file (--secrets FILE, mode 0600)"
    """
    var = env_names(host, (), name)
    where = (f"the secrets file {source} (mode 0600)" if source
             else "a secrets file (--secrets FILE, mode 0600)")  # fmt: skip
    return (
        f"no {name.replace('_', ' ')} for router {host}: set {var[-1]} (or {var[0]}), "
        f"or add '{name}' to {where}"
    )
