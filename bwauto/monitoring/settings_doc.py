"""Every key of ``monitoring.yaml`` with its current value, its default and its meaning (what
``bwauto monitor settings`` prints), read from the settings models themselves, so the list
cannot drift from what bwauto accepts.

Examples:
    >>> from pathlib import Path
    >>> from bwauto.monitoring.settings import default_settings
    >>> rows = {r.key: r for r in setting_rows(default_settings(Path("/var/lib/bwauto")))}
    >>> rows["prometheus.scrape_interval"].value, rows["alert.for"].default
    ('60s', '15m')
    >>> rows["prometheus.output_dir"].value
    '/var/lib/bwauto/monitoring/prometheus'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from bwauto.monitoring.settings import MonitoringSettings

SECTIONS = ("alert", "prometheus", "zabbix")
_SHOWN_DEFAULTS = {"prometheus.output_dir": "<state-dir>/monitoring/prometheus"}


@dataclass(frozen=True)
class SettingRow:
    """One key: dotted name as written in the file, value now, default, meaning."""

    key: str
    value: str
    default: str
    meaning: str


def shown(value: Any) -> str:
    """A value as it would be written in YAML (``null``, ``60s``, ``{}``).

    Examples:
        >>> shown(None), shown(True), shown(0.8), shown({})
        ('null', 'true', '0.8', '{}')
    """
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _rows(model: BaseModel, prefix: str) -> list[SettingRow]:
    rows = []
    for name, info in type(model).model_fields.items():
        if info.exclude or name in SECTIONS:
            continue
        default = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
        default = None if default is PydanticUndefined else default
        key = f"{prefix}{info.alias or name}"
        default_text = _SHOWN_DEFAULTS.get(key) or shown(default)
        rows.append(SettingRow(key, shown(getattr(model, name)), default_text,
                               info.description or ""))  # fmt: skip
    return rows


def setting_rows(settings: MonitoringSettings) -> list[SettingRow]:
    """Every key of ``monitoring.yaml``, top-level first, then each section's."""
    rows = _rows(settings, "")
    for section in SECTIONS:
        rows += _rows(getattr(settings, section), f"{section}.")
    return rows
