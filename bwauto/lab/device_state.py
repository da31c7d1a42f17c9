"""How each simulated router boots beyond what the inventory says: ``lab.yaml``.

The inventory describes OPD links and how to reach routers; whether an IOS router has an
``archive`` is a fact about the device, which bwauto must find out by asking the router
(``show archive``), not by reading a file. So the lab keeps it apart, in an optional
``lab.yaml`` next to the inventory that only the lab reads (the inventory loader ignores it)::

    routers:
      edge-bc-02:
        archive_path: "flash:archive"   # boots with "archive / path flash:archive"
      edge-bc-03: {}                    # IOS's default: no archive

A router not listed boots with its platform's defaults (IOS: no ``archive``, as a router
fresh from the factory has none).

The revert timer's minute lasts ``BWAUTO_LAB_MINUTE_S`` seconds (default 60) on every
simulated IOS router, so tests can watch a revert fire; ``bwauto lab fault R short-minute
--arg S`` changes it for one router of a running lab.

Examples:
    >>> parse_device_state({"routers": {"r1": {"archive_path": "flash:archive"}}}, "lab.yaml")
    {'r1': DeviceState(archive_path='flash:archive')}
    >>> minute_seconds({"BWAUTO_LAB_MINUTE_S": "2"})
    2.0
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bwauto.errors import LabError

FILE_NAME = "lab.yaml"
MINUTE_ENV = "BWAUTO_LAB_MINUTE_S"
_KEYS = frozenset({"archive_path"})


@dataclass(frozen=True)
class DeviceState:
    """What one simulated router boots with, beyond the inventory."""

    archive_path: str | None = None


def load_device_state(inventory_dir: str | Path) -> dict[str, DeviceState]:
    """``<inventory_dir>/lab.yaml`` parsed (empty when the file does not exist).

    Raises:
        LabError: the file is not valid YAML or not in the documented shape.
    """
    path = Path(inventory_dir) / FILE_NAME
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LabError(f"{path}: not valid YAML: {exc}") from None
    return parse_device_state(data or {}, str(path))


def parse_device_state(data: Any, where: str) -> dict[str, DeviceState]:
    """Validate ``lab.yaml`` data; every problem is a ``LabError`` naming ``where``."""
    if not isinstance(data, dict) or set(data) - {"routers"}:
        raise LabError(f"{where}: expected a mapping with one key, 'routers'")
    routers = data.get("routers") or {}
    if not isinstance(routers, dict):
        raise LabError(f"{where}: 'routers' must map router names to settings")
    return {str(name): _router(value or {}, f"{where}: routers.{name}")
            for name, value in routers.items()}  # fmt: skip


def _router(value: Any, where: str) -> DeviceState:
    if not isinstance(value, dict) or set(value) - _KEYS:
        raise LabError(f"{where}: expected a mapping with keys among {sorted(_KEYS)}")
    path = value.get("archive_path")
    if path is not None and (not isinstance(path, str) or ":" not in path):
        raise LabError(f"{where}.archive_path: expected an IOS URL such as 'flash:archive'")
    return DeviceState(archive_path=path)


def minute_seconds(environ: Mapping[str, str] = os.environ) -> float:
    """Seconds in one revert-timer minute: ``BWAUTO_LAB_MINUTE_S`` or 60.

    Raises:
        LabError: the variable is set but not a positive number.
    """
    raw = environ.get(MINUTE_ENV, "").strip()
    if not raw:
        return 60.0
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise LabError(f"{MINUTE_ENV}={raw!r}: expected a positive number of seconds")
    return value
