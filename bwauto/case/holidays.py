"""The office's non-working days for Mutu Baku: national holidays, cuti bersama, local days.

* Indonesia's national holidays come from the maintained ``holidays`` package (its Indonesian
  names), for every year asked — no list to keep up to date by hand;
* *cuti bersama* (joint leave set each year by the SKB 3 Menteri) come from the office settings,
  ``cuti_bersama: [YYYY-MM-DD, ...]`` in ``<inventory>/office.yaml``;
* days beyond those (a regional holiday, an office closure) from ``<inventory>/holidays.yaml``
  (``holidays: [{date: ..., name: ...}]``), if the office keeps one.

Examples:
    >>> days = national_holidays([2026])
    >>> days[dt.date(2026, 8, 17)]
    'Hari Kemerdekaan Republik Indonesia'
    >>> dt.date(2026, 8, 18) in days
    False
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import yaml

from bwauto.case.errors import CaseError
from bwauto.case.mutu_baku import Holidays, load_holidays


def national_holidays(years: Iterable[int]) -> dict[dt.date, str]:
    """Indonesia's national holidays of ``years`` (day → Indonesian name)."""
    import holidays

    found = holidays.country_holidays("ID", years=sorted(set(years)), language="id")
    return {day: str(name) for day, name in sorted(found.items())}


def cuti_bersama(office_file: Path) -> dict[dt.date, str]:
    """The ``cuti_bersama`` dates of an office settings file (none if it has none).

    Raises:
        CaseError: the file is not YAML, or a date is not ``YYYY-MM-DD``.
    """
    if not office_file.is_file():
        return {}
    try:
        doc = yaml.safe_load(office_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CaseError(f"{office_file}: {exc}") from exc
    listed = doc.get("cuti_bersama") if isinstance(doc, dict) else None
    days: dict[dt.date, str] = {}
    for i, item in enumerate(listed or [], 1):
        day = item.get("date") if isinstance(item, dict) else item
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise CaseError(f"{office_file}: cuti_bersama entry {i}: {day!r} is not YYYY-MM-DD")
        days[day] = "Cuti bersama"
    return days


def office_holidays(inventory_dir: Path, years: Iterable[int]) -> Holidays:
    """National holidays of ``years``, the office's cuti bersama and its local days."""
    names = national_holidays(years)
    names.update(cuti_bersama(inventory_dir / "office.yaml"))
    local = inventory_dir / "holidays.yaml"
    if local.is_file():
        names.update(load_holidays(local).names)
    return Holidays(frozenset(names), names, False, "holidays package + office settings")
