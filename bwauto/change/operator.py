"""Who does a change: the name evidence records and documents show as "Pelaksana".

The first of these that names someone wins: ``--by NAME`` (or the playbook task's ``by``),
``$BWAUTO_OPERATOR``, for a raise of a request the engineer its Kasi assigned at SOP step 4
(``assigned_engineer``), the ``operator:`` key of the office settings (``<inventory>/office.yaml``),
and only then the OS user, marked as such because a login such as ``root`` names no one.

Examples:
    >>> resolve_operator("Budi Santoso", env={"BWAUTO_OPERATOR": "Rina"}).label
    'Budi Santoso'
    >>> resolve_operator(None, "Tim Data Center", env={"BWAUTO_OPERATOR": "Rina"}).source
    'BWAUTO_OPERATOR'
    >>> resolve_operator(None, "Tim Data Center", env={})
    Operator(name='Tim Data Center', source='office.yaml')
    >>> resolve_operator(None, "Tim Data Center", env={}, assigned="Budi Santoso")
    Operator(name='Budi Santoso', source='step 4')
    >>> op = resolve_operator(None, env={}, os_user=lambda: "root")
    >>> op.label, op.source
    ('root (OS user)', 'os-user')
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import yaml

from bwauto.errors import UsageError

OS_USER = "os-user"
ASSIGNED = "step 4"
"""The source of an operator who is the engineer the request's Kasi assigned (SOP step 4)."""
ENV = "BWAUTO_OPERATOR"
OFFICE_FILE = "office.yaml"


class OperatorFields(TypedDict):
    """An evidence record's operator fields."""

    operator: str
    operator_source: str


@dataclass(frozen=True)
class Operator:
    """A person's name and where it came from (``--by``, ``BWAUTO_OPERATOR``, ``office.yaml``,
    ``os-user``)."""

    name: str
    source: str

    @property
    def label(self) -> str:
        """The name as evidence shows it; the OS user is marked as such."""
        return f"{self.name} (OS user)" if self.source == OS_USER else self.name

    def fields(self) -> OperatorFields:
        """The evidence record's ``operator`` and ``operator_source``."""
        return {"operator": self.label, "operator_source": self.source}


def os_user() -> str:
    """The OS user running bwauto."""
    try:
        return getpass.getuser()
    except OSError:
        return f"uid-{os.getuid()}"


def resolve_operator(
    by: str | None, office_operator: str | None = None, env: Mapping[str, str] | None = None,
    os_user: Callable[[], str] = os_user, assigned: str | None = None,
) -> Operator:  # fmt: skip
    """The operator: ``by``, else ``$BWAUTO_OPERATOR``, else ``assigned`` (the engineer of
    SOP step 4), else the office's, else the OS user.

    Raises:
        UsageError: ``by`` is given but blank or spans lines.
    """
    env = os.environ if env is None else env
    if by is not None:
        return Operator(_name(by, "--by"), "--by")
    for name, source in ((env.get(ENV), ENV), (assigned, ASSIGNED), (office_operator, OFFICE_FILE)):
        if name and name.strip():
            return Operator(_name(name, source), source)
    return Operator(os_user(), OS_USER)


def operator_for(
    inventory_dir: Path, state_dir: Path, by: str | None, request: str | None = None
) -> tuple[Operator, list[str]]:
    """``resolve_operator`` for a change, and what to tell the user about it (chosen language).

    For a raise of ``request`` with neither ``--by`` nor ``$BWAUTO_OPERATOR``, the engineer its
    Kasi assigned at SOP step 4 comes before the office's operator, and that is said; a named
    operator not in office.yaml's team is warned about (the Berita Acara then has no NIP or
    position for PIHAK PERTAMA).
    """
    from bwauto.case.office import load_office, not_in_team
    from bwauto.case.register import Register
    from bwauto.i18n import _

    assigned = None
    if request is not None:
        assigned = assigned_engineer(Register.in_state_dir(state_dir).get(request).records())
    operator = resolve_operator(by, office_operator(inventory_dir), assigned=assigned)
    said = []
    if operator.source == ASSIGNED:
        said.append(_("by: {name}, the engineer assigned at step 4 of {request}").format(
            name=operator.name, request=request))  # fmt: skip
    if operator.source != OS_USER:
        warning = not_in_team(load_office(inventory_dir), operator.name)
        if warning:
            said.append(warning)
    return operator, said


def office_operator(inventory_dir: Path) -> str | None:
    """The ``operator:`` of ``<inventory_dir>/office.yaml``, or None (no file, no key).

    Raises:
        UsageError: the file is not valid YAML or not a mapping.
    """
    path = Path(inventory_dir) / OFFICE_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read it: {str(exc).splitlines()[0]}") from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping with 'operator: NAME'")
    value = data.get("operator")
    return str(value) if value not in (None, "") else None


def assigned_engineer(records: Iterable[Any]) -> str | None:
    """The first engineer assigned at SOP step 4 (the Kasi's disposition), latest record first.

    Examples:
        >>> from types import SimpleNamespace as R
        >>> assigned_engineer([R(kind="dispose", step=4, data={"assignees": ["Budi Santoso"]})])
        'Budi Santoso'
        >>> assigned_engineer([R(kind="dispose", step=3, data={"assignees": []})]) is None
        True
    """
    for rec in reversed(list(records)):
        if rec.kind == "dispose" and rec.step == 4:
            names = [str(n).strip() for n in rec.data.get("assignees") or [] if str(n).strip()]
            if names:
                return names[0]
    return None


def _name(value: str, source: str) -> str:
    name = value.strip()
    if not name or "\n" in name or "\r" in name or "\0" in name:
        raise UsageError(f"{source}: give the operator's name on one line, not {value!r}")
    return name
