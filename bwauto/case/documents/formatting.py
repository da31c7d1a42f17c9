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


UNITS = {
    "id": (("hari", "hari"), ("jam", "jam"), ("menit", "menit"), ("detik", "detik")),
    "en": (("day", "days"), ("hour", "hours"), ("minute", "minutes"), ("second", "seconds")),
}


def duration(seconds: float, lang: str) -> str:
    """A span in words: minutes under an hour, hours (and minutes) up to two days, then days
    (and hours); seconds only under a minute.

    Examples:
        >>> duration(86_400, "id"), duration(3 * 86_400 + 7_200, "id"), duration(5_400, "id")
        ('24 jam', '3 hari 2 jam', '1 jam 30 menit')
        >>> duration(12.4, "id"), duration(600, "en"), duration(90_000, "en")
        ('12 detik', '10 minutes', '25 hours')
    """
    total = max(0, round(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if total < 60:
        parts = [(secs, 3)]
    elif total < 3600:
        parts = [(minutes, 2)]
    elif total < 2 * 86_400:
        parts = [(days * 24 + hours, 1), (minutes, 2)]
    else:
        parts = [(days, 0), (hours, 1)]
    words = [f"{n} {UNITS[lang][u][n != 1]}" for n, u in parts if n or len(parts) == 1]
    return " ".join(words)


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
