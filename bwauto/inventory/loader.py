"""Load ``hosts.yaml``, ``groups.yaml``, ``defaults.yaml`` and ``links.yaml`` into an ``Inventory``.

Every problem in every file is collected (file, line, host/link, field, what is wrong) and
raised together as one ``InventoryError``; nothing half-valid is ever returned.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bwauto.errors import InventoryError, Problem
from bwauto.files import InputFileError, os_reason, read_text
from bwauto.inventory.models import PLATFORMS, Inventory, Link, Router, Upstream
from bwauto.inventory.schema import (
    MODEL_FIELDS,
    ROUTER_DATA_FIELDS,
    SECRET_KEYS,
    did_you_mean,
    schema_problems,
)
from bwauto.inventory.yamlsrc import Key, YamlDoc, read_yaml
from bwauto.rates import format_rate

M = TypeVar("M", bound=BaseModel)
FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml", "links.yaml")


def load_inventory(directory: str | Path) -> Inventory:
    """Load and validate the inventory in ``directory``.

    Raises:
        InventoryError: listing every problem found in every file.
    """
    base = Path(directory)
    check_inventory_dir(base)
    docs = {name: _read(base / name, optional=name in ("groups.yaml", "defaults.yaml"))
            for name in FILES}  # fmt: skip
    problems = [p for doc in docs.values() for p in doc.problems]
    for doc in docs.values():
        problems += _secret_problems(doc, doc.data, ())
    schema = schema_problems(docs)
    problems += schema
    routers = _routers(docs, problems, _misread(docs, schema))
    upstreams = _entities(docs["links.yaml"], "upstreams", Upstream, problems)
    links = _entities(docs["links.yaml"], "links", Link, problems)
    hosts_doc = docs["hosts.yaml"]
    host_names = None if hosts_doc.problems else {str(name) for name in _mapping(hosts_doc)}
    problems += _cross_check(docs["links.yaml"], host_names, routers, links)
    if problems:
        unique = list(dict.fromkeys(problems))  # a group's or defaults' error, once
        raise InventoryError(sorted(unique, key=lambda p: (p.file, p.line or 0)))
    defaults = docs["defaults.yaml"].data or {}
    secrets = (defaults.get("data") or {}).get("secrets_file")
    return Inventory(
        directory=str(base),
        routers=routers,
        links={link.id: link for _, link in links},
        upstreams={up.id: up for _, up in upstreams},
        secrets_file=str((base / secrets).resolve()) if secrets else None,
    )


def check_inventory(directory: str | Path) -> Inventory:
    """``load_inventory``, and the office's files beside it that the case file reads:
    ``office.yaml`` and ``allowed_signers`` (``bwauto inventory check``).

    Raises:
        InventoryError: listing every problem found in every file.
    """
    base = Path(directory)
    check_inventory_dir(base)
    extra = office_file_problems(base)
    try:
        inventory = load_inventory(base)
    except InventoryError as exc:
        both = [*exc.problems, *extra]
        raise InventoryError(sorted(both, key=lambda p: (p.file, p.line or 0))) from None
    if extra:
        raise InventoryError(sorted(extra, key=lambda p: (p.file, p.line or 0)))
    return inventory


def office_file_problems(base: Path) -> list[Problem]:
    """Every problem of ``office.yaml``, ``holidays.yaml`` and ``allowed_signers`` (absent
    files are fine)."""
    from bwauto.case.filenames import ALLOWED_SIGNERS
    from bwauto.case.office import office_problems

    found = office_problems(base) + holidays_file_problems(base)
    path = base / ALLOWED_SIGNERS
    if not os.path.lexists(path):
        return found
    from bwauto.case.signing import problems  # cryptography: only for a file to check

    try:
        text = read_text(path)
    except InputFileError as exc:
        return [*found, Problem(str(path), "", "", exc.reason, exc.line)]
    return found + [Problem(str(path), "", "", msg, line) for line, msg in problems(text)]


def holidays_file_problems(base: Path) -> list[Problem]:
    """Every problem of ``<inventory>/holidays.yaml`` (an absent file is fine)."""
    path = base / "holidays.yaml"
    if not os.path.lexists(path):
        return []
    from bwauto.case.mutu_baku import holiday_problems  # only for a file to check

    doc = read_yaml(path)
    return doc.problems or holiday_problems(doc)


def check_inventory_dir(base: Path) -> None:
    """Refuse a missing inventory dir, or a file given where the dir is expected."""
    try:
        if stat.S_ISDIR(os.stat(base).st_mode):
            return
        reason = "is a file: give the inventory directory"
    except OSError as exc:
        reason = os_reason(exc)
    raise InventoryError([Problem(str(base), "", "", f"inventory directory {reason}")])


def _read(path: Path, optional: bool) -> YamlDoc:
    if optional and not os.path.lexists(path):
        return YamlDoc(str(path), {})
    doc = read_yaml(path)
    if doc.problems:
        return doc
    if doc.data is None:
        doc.problems.append(Problem(doc.file, "", "", "file is empty: expected a mapping"))
    elif not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        doc.problems.append(Problem(doc.file, "", "", f"expected a mapping, found a {kind}", 1))
    return doc


def _secret_problems(doc: YamlDoc, node: Any, path: tuple[Key, ...]) -> list[Problem]:
    found: list[Problem] = []
    items: Iterator[tuple[Key, Any]]
    if isinstance(node, dict):
        items = iter(node.items())
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return found
    for key, value in items:
        if key == "credentials_env" and path[-1:] == ("data",):
            continue  # names of environment variables, checked by the schema
        if isinstance(key, str) and key.lower() in SECRET_KEYS and value not in (None, ""):
            where = ".".join(str(p) for p in path)
            msg = "secrets must not be in inventory files: use an environment variable or "
            msg += "the 0600 secrets file (see README, 'Credentials')"
            found.append(Problem(doc.file, where, key, msg, doc.line(*path, key)))
        else:
            found += _secret_problems(doc, value, (*path, key))
    return found


def _mapping(doc: YamlDoc) -> dict[str, Any]:
    return doc.data if isinstance(doc.data, dict) and not doc.problems else {}


def _misread(docs: Mapping[str, YamlDoc], schema: list[Problem]) -> set[str]:
    """Hosts whose fields cannot be trusted: a misspelt key in them, their groups or defaults.

    They are not validated further, so that one typo gives one problem, not its consequences.
    """
    bad = {docs[name].file: {p.where.split(".")[0] or p.field for p in schema
                             if p.file == docs[name].file}
           for name in ("hosts.yaml", "groups.yaml", "defaults.yaml")}  # fmt: skip
    hosts, groups = _mapping(docs["hosts.yaml"]), _mapping(docs["groups.yaml"])
    if bad[docs["defaults.yaml"].file]:
        return set(hosts)
    misread = set(bad[docs["hosts.yaml"].file])
    for name, raw in hosts.items():
        if isinstance(raw, dict):
            chain = _group_chain(_names(raw.get("groups")), groups)
            if set(chain) & bad[docs["groups.yaml"].file]:
                misread.add(name)
    return misread


def _routers(
    docs: Mapping[str, YamlDoc], problems: list[Problem], skip: set[str]
) -> dict[str, Router]:
    hosts, groups = _mapping(docs["hosts.yaml"]), _mapping(docs["groups.yaml"])
    defaults = _mapping(docs["defaults.yaml"])
    routers: dict[str, Router] = {}
    for name, raw in hosts.items():
        if name in skip:
            continue
        if not isinstance(raw, dict):
            line = docs["hosts.yaml"].line(name)
            problems.append(
                Problem(docs["hosts.yaml"].file, str(name), "", "expected a mapping", line)
            )
            continue
        if any(g not in groups for g in _names(raw.get("groups"))):
            continue  # reported by the schema as an unknown group
        fields, sources = _resolve_host(str(name), raw, groups, defaults, docs)
        router = _validate(Router, fields, sources, str(name), problems)
        if router is not None:
            routers[router.name] = router
    return routers


def _resolve_host(
    name: str, raw: dict[str, Any], groups: dict[str, Any], defaults: dict[str, Any],
    docs: Mapping[str, YamlDoc],
) -> tuple[dict[str, Any], dict[str, tuple[YamlDoc, tuple[Key, ...]]]]:  # fmt: skip
    """Resolve fields as Nornir does: the host, then its groups in order, then defaults."""
    layers: list[tuple[dict[str, Any], YamlDoc, tuple[Key, ...]]] = [
        (raw, docs["hosts.yaml"], (name,))
    ]
    for group in _group_chain(raw.get("groups") or [], groups):
        layers.append((groups[group], docs["groups.yaml"], (group,)))
    layers.append((defaults, docs["defaults.yaml"], ()))
    fields: dict[str, Any] = {"name": name, "hostname": name, "groups": raw.get("groups") or []}
    sources: dict[str, tuple[YamlDoc, tuple[Key, ...]]] = {}
    wanted: list[tuple[str, tuple[str, ...]]] = [(k, ()) for k in ("hostname", "platform", "port")]
    wanted += [(k, ("data",)) for k in ROUTER_DATA_FIELDS]
    for key, prefix in reversed(wanted):
        for layer, doc, path in layers:
            scope = layer.get(prefix[0]) if prefix else layer
            if isinstance(scope, dict) and key in scope and scope[key] is not None:
                fields[key] = scope[key]
                sources[key] = (doc, (*path, *prefix, key))
                break
    sources.setdefault("name", (docs["hosts.yaml"], (name,)))
    sources.setdefault("groups", (docs["hosts.yaml"], (name, "groups")))
    return fields, sources


def _names(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _group_chain(names: list[Any], groups: dict[str, Any]) -> list[str]:
    chain: list[str] = []
    for group in names:
        if group in groups and group not in chain and isinstance(groups[group], dict):
            chain.append(group)
            chain += [g for g in _group_chain(groups[group].get("groups") or [], groups)
                      if g not in chain]  # fmt: skip
    return chain


def _validate(
    model: type[M], fields: dict[str, Any],
    sources: dict[str, tuple[YamlDoc, tuple[Key, ...]]], where: str, problems: list[Problem],
) -> M | None:  # fmt: skip
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        for err in exc.errors():
            if model is Router and err["type"] == "extra_forbidden":
                continue  # every key of hosts, groups and defaults is checked by the schema
            loc = [str(p) for p in err["loc"] if p != "[key]"]
            doc, path = sources.get(loc[0], sources["name"])
            line = doc.line(*path, *loc[1:])
            if doc is sources["name"][0]:
                problems.append(Problem(doc.file, where, ".".join(loc), _message(err), line))
            else:  # from a group or defaults: said once, where it is written
                subject = ".".join(str(p) for p in (*path, *loc[1:]))
                problems.append(Problem(doc.file, "", subject, _message(err), line))
        return None


def _message(err: Any) -> str:
    if err["type"] == "literal_error" and err["loc"][0] == "platform":
        return f"unknown platform {err['input']!r}: bwauto supports {', '.join(PLATFORMS)}"
    if err["type"] == "missing":
        return "is required"
    if err["type"] == "extra_forbidden":
        return "unknown key" + did_you_mean(str(err["loc"][-1]), MODEL_FIELDS)
    msg: str = err["msg"]
    return msg.removeprefix("Value error, ")


def _entities(
    doc: YamlDoc, section: str, model: type[M], problems: list[Problem]
) -> list[tuple[int, M]]:
    data = _mapping(doc)
    items = data.get(section)
    if not isinstance(items, list) or not items:
        if not doc.problems:
            problems.append(
                Problem(doc.file, "", section, "expected a non-empty list", doc.line(section))
            )
        return []
    out: list[tuple[int, M]] = []
    for i, raw in enumerate(items):
        where = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else ""
        where = where or f"{section}[{i}]"
        if not isinstance(raw, dict):
            problems.append(
                Problem(doc.file, where, "", "expected a mapping", doc.line(section, i))
            )
            continue
        sources: dict[str, tuple[YamlDoc, tuple[Key, ...]]]
        sources = {str(k): (doc, (section, i, k)) for k in raw}
        sources["name"] = (doc, (section, i))
        entity = _validate(model, raw, sources, where, problems)
        if entity is not None:
            out.append((i, entity))
    return out


def _cross_check(
    doc: YamlDoc,
    host_names: set[str] | None,
    routers: dict[str, Router],
    links: list[tuple[int, Link]],
) -> list[Problem]:
    """Checks across files and entities: ids, references, shaper names, interface speeds."""
    problems: list[Problem] = []
    data = _mapping(doc)
    problems += _duplicates(doc, data, "upstreams", "upstream")
    problems += _duplicates(doc, data, "links", "link")
    up_ids = {u.get("id") for u in _raw_list(data, "upstreams")}
    for i, raw in enumerate(_raw_list(data, "links")):
        where = str(raw.get("id") or f"links[{i}]")
        for field, known, what in (
            ("router", host_names, "router"),
            ("upstream", up_ids, "upstream"),
        ):
            if known is None:
                continue  # hosts.yaml unreadable: already reported, nothing to check against
            if field in raw and raw[field] not in known:
                msg = f"unknown {what} {raw[field]!r}" + (
                    " (not in hosts.yaml)" if what == "router" else ""
                )
                problems.append(Problem(doc.file, where, field, msg, doc.line("links", i, field)))
    shapers: set[tuple[str, str]] = set()
    for i, link in links:
        router = routers.get(link.router)
        if router is None:
            continue
        if (link.router, link.shaper) in shapers:
            msg = f"shaper {link.shaper!r} is already used on {link.router}"
            problems.append(
                Problem(doc.file, link.id, "shaper", msg, doc.line("links", i, "shaper"))
            )
        shapers.add((link.router, link.shaper))
        problems += _link_on_router(doc, i, link, router)
    return problems


def _raw_list(data: dict[str, Any], section: str) -> list[dict[str, Any]]:
    items = data.get(section)
    return [x for x in items if isinstance(x, dict)] if isinstance(items, list) else []


def _duplicates(doc: YamlDoc, data: dict[str, Any], section: str, what: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[Any, int] = {}
    for i, raw in enumerate(data.get(section) or []):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        if raw["id"] in seen:
            first = doc.line(section, seen[raw["id"]])
            msg = f"duplicate {what} id (first defined at line {first})"
            problems.append(Problem(doc.file, raw["id"], "id", msg, doc.line(section, i, "id")))
        else:
            seen[raw["id"]] = i
    return problems


def _link_on_router(doc: YamlDoc, i: int, link: Link, router: Router) -> list[Problem]:
    def problem(field: str, msg: str) -> Problem:
        return Problem(doc.file, link.id, field, msg, doc.line("links", i, *field.split(".")))

    problems: list[Problem] = []
    if link.shaper_in and router.platform != "cisco_ios":
        msg = "only cisco_ios polices inbound with a second policy-map; a MikroTik simple queue "
        problems.append(problem("shaper_in", msg + "shapes both directions"))
    speed = router.interface_speed(link.interface)
    if speed is None:
        msg = f"interface not declared in {link.router}'s data.interfaces (hosts.yaml)"
        return [*problems, problem("interface", msg)]
    for direction in ("up", "down"):
        rate = getattr(link.committed, direction)
        if rate > speed:
            msg = f"committed rate {format_rate(rate)} is above the interface speed "
            msg += format_rate(speed)
            problems.append(problem(f"committed.{direction}", msg))
    return problems
