"""Which keys each inventory file may hold: anything else is refused with a "did you mean".

Hosts, groups and defaults are resolved field by field, so a misspelt key (``hostnmae``,
``dat:``) would otherwise be dropped silently and a default used instead.

Examples:
    >>> did_you_mean("hostnmae", HOST_KEYS)
    " (did you mean 'hostname'?)"
    >>> did_you_mean("zzz", HOST_KEYS)
    ''
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from bwauto.errors import Problem
from bwauto.inventory.models import Link, Router, SnmpSettings, Upstream
from bwauto.inventory.yamlsrc import Key, YamlDoc

SECRET_KEYS = frozenset(
    {"password", "secret", "enable_secret", "community", "snmp_community", "auth_key",
     "priv_key", "api_token", "token"}
)  # fmt: skip
"""Keys refused as secrets (with their own message) wherever they appear."""
HOST_KEYS = ("hostname", "platform", "port", "groups", "data")
DEFAULTS_KEYS = ("platform", "port", "data")
ROUTER_DATA_FIELDS = ("interfaces", "snmp", "poll_interval_s", "credentials_env", "ssh_timeout_s")
INFO_DATA_KEYS = ("site", "vendor", "description", "notes", "lab")
"""Free-form data bwauto carries but does not interpret (``lab``: settings of the simulated
router only)."""
DEFAULTS_DATA_KEYS = ("secrets_file", "state_group")
LINKS_KEYS = ("upstreams", "links")
SNMP_KEYS = tuple(SnmpSettings.model_fields)
MODEL_FIELDS = tuple(
    sorted({f for m in (Link, Upstream, Router, SnmpSettings) for f in m.model_fields}
           | {"up", "down", "name", "phone", "email"})
)  # fmt: skip
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known key, or ``''``."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def schema_problems(docs: dict[str, YamlDoc]) -> list[Problem]:
    """Unknown keys, unknown groups and malformed ``credentials_env`` in every file."""
    problems: list[Problem] = []
    groups = _mapping(docs["groups.yaml"])
    for name in ("hosts.yaml", "groups.yaml"):
        doc = docs[name]
        for entry, raw in _mapping(doc).items():
            if isinstance(raw, dict):
                problems += _router_layer(doc, (entry,), raw, HOST_KEYS, ())
                if not docs["groups.yaml"].problems:  # else groups.yaml's problem says it all
                    problems += _group_refs(doc, entry, raw, groups)
    defaults = docs["defaults.yaml"]
    problems += _router_layer(defaults, (), _mapping(defaults), DEFAULTS_KEYS, DEFAULTS_DATA_KEYS)
    links = docs["links.yaml"]
    problems += _unknown(links, (), _mapping(links), LINKS_KEYS)
    return problems


def _mapping(doc: YamlDoc) -> dict[str, Any]:
    return doc.data if isinstance(doc.data, dict) and not doc.problems else {}


def _router_layer(
    doc: YamlDoc, path: tuple[Key, ...], raw: dict[str, Any], keys: tuple[str, ...],
    extra_data: tuple[str, ...],
) -> list[Problem]:  # fmt: skip
    problems = _unknown(doc, path, raw, keys)
    data = raw.get("data")
    if data is None:
        return problems
    if not isinstance(data, dict):
        return [*problems, _problem(doc, (*path, "data"), "expected a mapping")]
    known = (*ROUTER_DATA_FIELDS, *INFO_DATA_KEYS, *extra_data)
    problems += _unknown(doc, (*path, "data"), data, known)
    if isinstance(data.get("snmp"), dict):
        problems += _unknown(doc, (*path, "data", "snmp"), data["snmp"], SNMP_KEYS)
    return problems + _credentials_env(doc, (*path, "data", "credentials_env"), data)


def _credentials_env(doc: YamlDoc, path: tuple[Key, ...], data: dict[str, Any]) -> list[Problem]:
    """``credentials_env`` maps a credential to the NAME of an environment variable."""
    value = data.get("credentials_env")
    if value is None:
        return []
    if not isinstance(value, dict):
        return [_problem(doc, path, "expected a mapping such as {password: EDGE_SK_01_PASS}")]
    problems = []
    for field, var in value.items():
        if not isinstance(var, str) or not _ENV_NAME.match(var):
            msg = "must be the name of an environment variable (letters, digits, '_'), "
            msg += "not the secret itself"  # the value is never shown: it may be the secret
            problems.append(_problem(doc, (*path, field), msg))
    return problems


def _group_refs(
    doc: YamlDoc, entry: str, raw: dict[str, Any], groups: dict[str, Any]
) -> list[Problem]:
    names = raw.get("groups")
    if names is None:
        return []
    path: tuple[Key, ...] = (entry, "groups")
    if not isinstance(names, list):
        return [_problem(doc, path, "expected a list of group names, e.g. [cisco]")]
    problems = []
    for i, group in enumerate(names):
        if not isinstance(group, str) or group not in groups:
            msg = f"unknown group {group!r}: not in groups.yaml" + did_you_mean(str(group), groups)
            problems.append(Problem(doc.file, entry, "groups", msg, doc.line(*path, i)))
    return problems


def _unknown(
    doc: YamlDoc, path: tuple[Key, ...], raw: dict[str, Any], known: tuple[str, ...]
) -> list[Problem]:
    return [
        _problem(doc, (*path, key), "unknown key" + did_you_mean(str(key), known))
        for key in raw
        if key not in known and str(key).lower() not in SECRET_KEYS
    ]


def _problem(doc: YamlDoc, path: tuple[Key, ...], msg: str) -> Problem:
    where = ".".join(str(p) for p in path[:-1])
    return Problem(doc.file, where, str(path[-1]) if path else "", msg, doc.line(*path))
