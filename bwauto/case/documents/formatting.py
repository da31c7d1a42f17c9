"""Template filters: dates, times, numbers and rates written the Indonesian (or English) way.

``tanggal`` (date), ``hari`` (weekday), ``waktu`` (time in WIB), ``mbps`` (bit/s → Mbps),
``mb`` (a figure already in Mbps), ``laju`` (one direction's shaped rate in bit/s: Mbps, or
"not shaped on this router" when the direction has none), ``angka`` (number), ``persen``
(percentage), ``isi`` (a dotted line when empty, for forms). Missing figures print as ``–``;
missing dates and rates print empty, so that ``| isi`` can turn them into a line to write on.

Examples:
    >>> f = filters("id")
    >>> f["tanggal"](dt.date(2026, 3, 2)), f["hari"](dt.date(2026, 3, 2))
    ('2 Maret 2026', 'Senin')
    >>> f["angka"](45.25, 1), f["mbps"](150_000_000), f["persen"](87.5), f["mb"](None)
    ('45,2', '150 Mbps', '87,5 %', '–')
    >>> f["waktu"]("2026-03-02T02:15:00+00:00")
    '2 Maret 2026 09:15 WIB'
    >>> filters("en")["tanggal"]("2026-03-02"), filters("en")["angka"](1234.5, 1)
    ('2 March 2026', '1,234.5')
    >>> f["isi"](""), f["isi"]("Rudi")
    ('..............................', 'Rudi')
    >>> f["laju"](None), filters("en")["laju"](50_000_000)
    ('tidak dibatasi di router ini', '50 Mbps')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from bwauto.case.mutu_baku import WIB
from bwauto.i18n import translator

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip
DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
BLANK = "." * 30
"""What an empty field of a form prints as: a dotted line to write on."""
NONE = "–"
"""What a missing figure prints as."""


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(WIB).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    return _as_date(dt.datetime.fromisoformat(text)) if "T" in text else dt.date.fromisoformat(text)


def _as_time(value: Any) -> dt.datetime:
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when.astimezone(WIB) if when.tzinfo else when.replace(tzinfo=WIB)


def format_number(value: Any, decimals: int, lang: str) -> str:
    """``value`` rounded to ``decimals`` (half-even), Indonesian ``1.234,5`` or English
    ``1,234.5``; ``–`` for ``None`` or an empty string."""
    if value is None or value == "":
        return NONE
    quant = Decimal(1).scaleb(-decimals)
    text = f"{Decimal(str(value)).quantize(quant, rounding=ROUND_HALF_EVEN):,}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "id" else text


def filters(lang: str) -> dict[str, Callable[..., str]]:
    """The template filters for ``lang`` ("id" or "en")."""

    def tanggal(value: Any) -> str:
        if value is None or value == "":
            return ""
        day = _as_date(value)
        return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"

    def hari(value: Any) -> str:
        return DAYS[lang][_as_date(value).weekday()]

    def waktu(value: Any) -> str:
        if value is None or value == "":
            return ""
        when = _as_time(value)
        return f"{tanggal(when)} {when:%H:%M} WIB"

    def angka(value: Any, decimals: int = 1) -> str:
        return format_number(value, decimals, lang)

    def mbps(bps: Any, decimals: int = 0) -> str:
        if bps is None or bps == "":
            return ""
        return f"{format_number(int(bps) / 1_000_000, decimals, lang)} Mbps"

    def mb(value: Any, decimals: int = 1) -> str:
        return NONE if value is None or value == "" else f"{angka(value, decimals)} Mbps"

    def persen(value: Any, decimals: int = 1) -> str:
        return NONE if value is None or value == "" else f"{angka(value, decimals)} %"

    def laju(bps: Any) -> str:
        if bps is None or bps == "":
            return translator(lang)("not shaped on this router")
        return mbps(bps)

    def isi(value: Any) -> str:
        return BLANK if value is None or str(value).strip() == "" else str(value)

    return {"tanggal": tanggal, "hari": hari, "waktu": waktu, "angka": angka, "mbps": mbps,
            "mb": mb, "persen": persen, "isi": isi, "laju": laju}  # fmt: skip
