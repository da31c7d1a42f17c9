"""One language per output: gettext catalogues (Babel), Bahasa Indonesia by default.

The language is ``--lang id|en`` (the global CLI option), else ``$BWAUTO_LANG``, else ``id``.
Messages are written in English in the code (``_("Download")``) and translated by the
catalogue ``bwauto/locale/<lang>/LC_MESSAGES/bwauto.po``. The ``.po`` is the source kept in the
repository; when no up-to-date ``.mo`` sits next to it, it is compiled with Babel (about 40 ms)
and the result kept in ``$XDG_CACHE_HOME/bwauto`` (default ``~/.cache/bwauto``) for the next
process, so an editable install, a wheel and a source checkout all work without a build step.

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

import contextlib
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
    return _gettext.GNUTranslations(io.BytesIO(cached_mo(po)))


def compile_po(po: Path) -> bytes:
    """Compile a ``.po`` file to ``.mo`` bytes with Babel."""
    return _compile(po.read_bytes())


def _compile(source: bytes) -> bytes:
    from babel.messages import mofile, pofile

    catalog = pofile.read_po(io.BytesIO(source), abort_invalid=True)
    out = io.BytesIO()
    mofile.write_mo(out, catalog)
    return out.getvalue()


def cached_mo(po: Path, cache_dir: Path | None = None) -> bytes:
    """``compile_po(po)``, kept in ``cache_dir`` (default: ``bwauto.paths.default_cache_dir``).

    The file is named by the SHA-256 of the ``.po``'s bytes, so an edited ``.po`` is never
    read from a stale file; it ends with the SHA-256 of the ``.mo`` it holds, so a torn or
    altered file is compiled again; it is written atomically. A cache dir that cannot be read
    or written costs only the compilation, as if there were none.

    Examples:
        >>> import tempfile
        >>> cache = Path(tempfile.mkdtemp())
        >>> cached_mo(catalogue_path("id"), cache) == compile_po(catalogue_path("id"))
        True
        >>> [p.name[:10] for p in cache.iterdir()]
        ['bwauto-id-']
    """
    import hashlib

    from bwauto.paths import atomic_write, default_cache_dir

    source = po.read_bytes()
    lang = po.parent.parent.name
    key = hashlib.sha256(source).hexdigest()
    path = (cache_dir or default_cache_dir()) / f"{po.stem}-{lang}-{key}.mo"
    try:
        raw = path.read_bytes()
    except OSError:
        raw = b""
    mo, check = raw[:-_CHECK], raw[-_CHECK:]
    if mo and hashlib.sha256(mo).digest() == check:
        return mo
    mo = _compile(source)
    with contextlib.suppress(OSError):
        atomic_write(path, mo + hashlib.sha256(mo).digest())
    return mo


_CHECK = 32
"""Bytes of the SHA-256 that ends a cached ``.mo``."""


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
