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
from datetime import date
from pathlib import Path

from bwauto.case.mutu_baku import Holidays, load_holidays


def national_holidays(years: Iterable[int]) -> dict[dt.date, str]:
    """Indonesia's national holidays of ``years`` (day → Indonesian name)."""
    import holidays

    found = holidays.country_holidays("ID", years=sorted(set(years)), language="id")
    return {day: str(name) for day, name in sorted(found.items())}


def cuti_bersama(inventory_dir: Path) -> dict[date, str]:
    """The ``cuti_bersama`` days of the office settings (``<inventory>/office.yaml``).

    Raises:
        OfficeError: the settings file is invalid (file:line: field: message).
    """
    from bwauto.case.office import load_office

    return dict.fromkeys(load_office(inventory_dir).cuti_bersama, "Cuti bersama")


def office_holidays(inventory_dir: Path, years: Iterable[int]) -> Holidays:
    """National holidays of ``years``, the office's cuti bersama and its local days."""
    names = national_holidays(years)
    names.update(cuti_bersama(inventory_dir))
    local = inventory_dir / "holidays.yaml"
    if local.is_file():
        names.update(load_holidays(local).names)
    return Holidays(frozenset(names), names, False, "holidays package + office settings")
