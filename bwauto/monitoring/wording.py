"""Monitoring texts shown to the operator, in the chosen language (``bwauto.i18n``).

The backends keep their check names, details and change lines in English: they are data (the
ledger, the change evidence, ``--json``). What the CLI prints goes through here, so that an
output is in one language: check names, the fixed phrases of their details, and the verb of
each change line are translated; names of files, metrics and routers are left as they are.

Examples:
    >>> id_ = {"{metric} scraped": "{metric} di-scrape", "target up": "target hidup"}.get
    >>> translate_check_name("ifHCInOctets scraped", id_), translate_check_name("target up", id_)
    ('ifHCInOctets di-scrape', 'target hidup')
    >>> change_text("wrote targets/r1.json", {"wrote {path}": "menulis {path}"}.get)
    'menulis targets/r1.json'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Translate = Callable[[str], "str | None"]

CHECK_NAMES = ("target file", "link rules", "snmp module", "target up", "host", "host groups",
               "SNMP interface", "macros", "items", "triggers", "template", "link macros",
               "discovery filter", "discovered items")  # fmt: skip
"""Every check name a backend gives, as a gettext message (``{metric} scraped`` apart)."""

DETAIL_PHRASES = (
    "link missing or different", "missing or different", "the router's target",
    "last scrape before the reload: not a scrape of the new configuration", "not scraped",
    "no series", "no template linked", "as registered", "both directions", "enabled",
    "disabled", "interrupted before verified", "capacity", "module", "(want",
    "of ifName", "of ifDescr",
)  # fmt: skip
"""Fixed phrases inside check details, longest first where one contains another."""

CHANGE_VERBS = ("wrote {path}", "removed {path}", "chgrp/chmod {path}", "chmod {path}",
                "created {path}", "chown {path}", "chgrp {path}")  # fmt: skip
"""The change lines' verbs: ``<verb> <path> [(...)]``."""


def _t(translate: Translate, text: str) -> str:
    return translate(text) or text


def translate_check_name(name: str, translate: Translate) -> str:
    """A check's name in the output language."""
    if name.endswith(" scraped"):
        return _t(translate, "{metric} scraped").format(metric=name.removesuffix(" scraped"))
    return _t(translate, name) if name in CHECK_NAMES else name


_VERBATIM = re.compile(r"\S*(?:://|/|=)\S*")
"""Words never translated: URLs (``?module=...``), file paths, ``label=value`` pairs."""
_PHRASE = re.compile("|".join(rf"(?<![\w.\-]){re.escape(p)}(?![\w.\-])" for p in DETAIL_PHRASES))


def translate_detail(detail: str, translate: Translate) -> str:
    """A check's detail with its fixed phrases in the output language: only whole phrases,
    never inside a URL, a file path, a ``name=value`` pair or a metric or label name.

    Examples:
        >>> tr = {"module": "modul", "capacity": "kapasitas"}.get
        >>> translate_detail("http://h:9116/snmp?module=m&target=t: up (module m)", tr)
        'http://h:9116/snmp?module=m&target=t: up (modul m)'
        >>> translate_detail("bwauto_link_capacity_bps capacity", tr)
        'bwauto_link_capacity_bps kapasitas'
    """
    out, start = [], 0
    for kept in _VERBATIM.finditer(detail):
        out += [_phrases(detail[start : kept.start()], translate), kept.group()]
        start = kept.end()
    return "".join([*out, _phrases(detail[start:], translate)])


def _phrases(text: str, translate: Translate) -> str:
    return _PHRASE.sub(lambda m: _t(translate, m.group()), text)


def change_text(change: str, translate: Translate) -> str:
    """A change line (``wrote targets/r1.json``) in the output language."""
    verb, _, rest = change.partition(" ")
    message = f"{verb} {{path}}"
    if message not in CHANGE_VERBS:
        return change
    return _t(translate, message).format(path=rest)


def summary_text(registration: dict[str, Any], translate: Translate) -> str:
    """The ``detail`` of a registration's plain data (``Registration.to_dict``), with its
    checks in the output language when it carries them."""
    checks = (registration.get("verification") or {}).get("checks") or []
    shown = [c for c in checks if not c.get("ok")] or checks
    if not shown:
        return str(registration.get("detail", ""))
    return "; ".join(f"{translate_check_name(str(c['name']), translate)}: "
                     f"{translate_detail(str(c['detail']), translate)}" for c in shown)  # fmt: skip
