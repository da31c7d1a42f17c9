"""Ids that become file names under the state dir: link ids and change ids.

A link id follows the inventory's slug rule (lower-case letters, digits and ``-``); a change id
(``CH-20261128-081502-3f9a``) the same rule with capitals allowed. Either is checked before it
is joined to a path, so that ``..``, ``/`` or a NUL can never lead outside the state dir.

Examples:
    >>> check_link_id("dinkes")
    'dinkes'
    >>> check_change_id("CH-20261128-081502-3f9a")
    'CH-20261128-081502-3f9a'
    >>> check_link_id("../../etc")
    Traceback (most recent call last):
    ...
    bwauto.errors.UsageError: link id '../../etc' is not valid: use lower-case letters, digits and '-' (max 63)
    >>> check_change_id("CH-1/../x")
    Traceback (most recent call last):
    ...
    bwauto.errors.UsageError: change id 'CH-1/../x' is not valid: a change id is like CH-20261128-081502-3f9a
"""  # noqa: E501

from __future__ import annotations

import re
from pathlib import Path

from bwauto.errors import UsageError
from bwauto.inventory.models import _SLUG

CHANGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}")


def is_link_id(value: object) -> bool:
    """``value`` is a link id by the inventory's slug rule."""
    return isinstance(value, str) and _SLUG.fullmatch(value) is not None


def check_link_id(value: str) -> str:
    """``value`` if it is a valid link id.

    Raises:
        UsageError: naming the value (``repr``: a NUL or a line break shows as such).
    """
    if not is_link_id(value):
        raise UsageError(
            f"link id {value!r} is not valid: use lower-case letters, digits and '-' (max 63)"
        )
    return value


def check_change_id(value: str) -> str:
    """``value`` if it is a valid change id.

    Raises:
        UsageError: naming the value.
    """
    return check_id(value, "change id", "CH-20261128-081502-3f9a")


def check_id(value: str, what: str, example: str) -> str:
    """``value`` if it is a valid id (letters, digits and ``-``) of ``what`` (a change id, a
    request id).

    Examples:
        >>> check_id("../KB-1", "request id", "KB-2026-0001")
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: request id '../KB-1' is not valid: a request id is like KB-2026-0001

    Raises:
        UsageError: naming the value.
    """  # noqa: E501
    if not isinstance(value, str) or CHANGE_ID.fullmatch(value) is None:
        raise UsageError(f"{what} {value!r} is not valid: a {what} is like {example}")
    return value


def inside(base: Path, path: Path) -> Path:
    """``path``, after checking that it resolves inside ``base`` (a last line of defence).

    Raises:
        UsageError: the path leads outside ``base``.
    """
    if not path.resolve().is_relative_to(base.resolve()):
        raise UsageError(f"refusing to write {path}: outside {base}")
    return path
