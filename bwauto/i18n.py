"""One language per output: gettext catalogues (Babel), Bahasa Indonesia by default.

The language is ``--lang id|en`` (the global CLI option), else ``$BWAUTO_LANG``, else ``id``.
Messages are written in English in the code (``_("Download")``) and translated by the
catalogue ``bwauto/locale/<lang>/LC_MESSAGES/bwauto.po``. The ``.po`` is the source kept in the
repository; it is compiled in memory with Babel when no up-to-date ``.mo`` sits next to it, so
an editable install, a wheel and a source checkout all work without a build step.

Examples:
    >>> gettext("Download", "id"), gettext("Download", "en")
    ('Unduh', 'Download')
    >>> resolve(None, {"BWAUTO_LANG": "en"}), resolve("id", {"BWAUTO_LANG": "en"})
    ('en', 'id')
    >>> resolve("fr", {})
    Traceback (most recent call last):
    ...
    bwauto.errors.UsageError: --lang 'fr': id or en
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from bwauto.errors import UsageError

LANGS = ("id", "en")
DEFAULT = "id"
ENV = "BWAUTO_LANG"
DOMAIN = "bwauto"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_chosen: str | None = None


def resolve(lang: str | None, env: Mapping[str, str] | None = None) -> str:
    """``lang``, else ``$BWAUTO_LANG``, else ``id``; anything else is a ``UsageError``."""
    env = os.environ if env is None else env
    value = (lang or env.get(ENV) or DEFAULT).strip().lower()
    if value not in LANGS:
        source = "--lang" if lang else ENV
        raise UsageError(f"{source} {value!r}: id or en")
    return value


def set_lang(lang: str | None) -> str:
    """Choose the language of this process's outputs (the CLI's ``--lang``); returns it."""
    global _chosen
    _chosen = resolve(lang)
    return _chosen


def reset() -> None:
    """Forget the language chosen with ``set_lang`` (``main`` does, after each command)."""
    global _chosen
    _chosen = None


def current() -> str:
    """The language chosen with ``set_lang``, else ``$BWAUTO_LANG``, else ``id``."""
    return _chosen or resolve(None)


def catalogue_path(lang: str) -> Path:
    """The ``.po`` file of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English is the code's own language)."""
    po = catalogue_path(lang)
    if lang == "en" or not po.is_file():
        return _gettext.NullTranslations()
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return _gettext.GNUTranslations(fh)
    return _gettext.GNUTranslations(io.BytesIO(compile_po(po)))


def compile_po(po: Path) -> bytes:
    """Compile a ``.po`` file to ``.mo`` bytes with Babel."""
    from babel.messages import mofile, pofile

    with po.open("rb") as fh:
        catalog = pofile.read_po(fh, abort_invalid=True)
    out = io.BytesIO()
    mofile.write_mo(out, catalog)
    return out.getvalue()


def gettext(message: str, lang: str | None = None) -> str:
    """``message`` in ``lang`` (default: the current language)."""
    return translations(lang or current()).gettext(message)


def _(message: str) -> str:
    """``message`` in the current language: the marker the catalogue test looks for.

    Examples:
        >>> set_lang("id"); _("Download"); reset()
        'id'
        'Unduh'
    """
    return translations(current()).gettext(message)


def one_of(indonesian: str, english: str, lang: str | None = None) -> str:
    """The text of the current language, for messages built with figures in both languages
    (an output never carries both).

    Examples:
        >>> one_of("langkah 4 belum dicatat", "step 4 not recorded yet", "en")
        'step 4 not recorded yet'
    """
    return english if (lang or current()) == "en" else indonesian


def translator(lang: str | None = None) -> Callable[[str], str]:
    """A ``_`` function bound to ``lang`` (default: the current language)."""
    table = translations(lang or current())
    return table.gettext


def plural_translator(lang: str | None = None) -> Callable[[str, str, int], str]:
    """An ``ngettext`` bound to ``lang``: the singular or plural form for a count.

    Examples:
        >>> plural_translator("en")("{n} line added", "{n} lines added", 1).format(n=1)
        '1 line added'
        >>> plural_translator("id")("{n} line added", "{n} lines added", 2).format(n=2)
        '2 baris ditambah'
    """
    return translations(lang or current()).ngettext
