"""Monitoring texts shown to the operator, in the chosen language (``bwauto.i18n``).

The backends keep their check names, details and change lines in English: they are data (the
ledger, the change evidence, ``--json``). What the CLI prints goes through here, so that an
output is in one language: check names, the fixed phrases of their details, and the verb of
each change line are translated; names of files, metrics and routers are left as they are.

Examples:
    >>> id_ = {"{metric} scraped": "{metric} di-scrape", "target up": "target hidup"}.get
    >>> translate_check_name("ifHCInOctets scraped", id_), translate_check_name("target up", id_)
    ('ifHCInOctets di-scrape', 'target hidup')
    >>> change_text("wrote targets/r1.json", {"wrote {path}": "ditulis: {path}"}.get)
    'ditulis: targets/r1.json'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Translate = Callable[[str], "str | None"]

CHECK_NAMES = ("target file", "link rules", "snmp module", "target up", "host", "host groups",
               "SNMP interface", "macros", "items", "triggers", "template", "link macros",
               "discovery filter", "discovered items", "rules loaded")  # fmt: skip
"""Every check name a backend gives, as a gettext message (``{metric} scraped`` apart)."""

DETAIL_PHRASES = (
    "link missing or different", "missing or different", "the router's target",
    "last scrape before the reload: not a scrape of the new configuration", "not scraped",
    "no series", "no template linked", "as registered", "both directions", "enabled",
    "disabled", "interrupted before verified", "capacity", "module", "(want",
    "of ifName", "of ifDescr", "not evaluated since the reload", "evaluated after the reload",
    "not loaded", "other rules", "other threshold or for",
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


SETTINGS_ERRORS = (
    "{value} is over 1: the alert compares traffic with the link's capacity (the shaper's "
    "rate), which traffic cannot exceed, so it would never fire; write a fraction such as 0.8",
    "{value} is longer than 2m30s: Prometheus drops a series 5 min after its last sample, so "
    "one missed scrape would leave a gap in every link's traffic and alerts (the rules' rate "
    "window is 4 scrape intervals, at least 5m)",
    "{value} is not whole seconds, which Zabbix needs",
    "{value}: Zabbix takes one number and one unit (s, m, h, d, w); write {seconds}",
    "{value} is not an http:// or https:// URL",
    "{value} is not host:port",
    "{value} is not a duration: a number and a unit (ms, s, m, h, d, w, y), several longest "
    "first, like 30s, 1m30s, 15m, 1h",
    "{value} is zero: give a duration longer than 0, like 30s",
    "{number} has no unit: write {number}s for seconds (or ms, m, h, d, w, y)",
    "unknown field (check its spelling)",
    "secrets must not be in monitoring.yaml: set BWAUTO_ZABBIX_TOKEN (or _USERNAME and "
    "_PASSWORD), or use the 0600 secrets file",
    "no Unix group {name} on this machine (getent group {plain}); install the package that "
    "creates it, name another group, or set null",
    "this user (uid {uid}) is not in group {name}, so cannot give it the files; add the user "
    "to it, name another group, or set null",
    "no Unix user {name} on this machine (getent passwd {plain}): name the user snmp_exporter "
    "and Prometheus run as",
    "user {name} (prometheus.user, which runs snmp_exporter and Prometheus) is not in group "
    "{group}, so it could not read snmp.yml; name one of its groups ({groups}), or run: "
    "usermod -aG {plain} {user}",
    "null leaves snmp.yml 0600 for {name} only, and snmp_exporter runs as {user} "
    '(prometheus.user), so every scrape would fail with "permission denied"; name a group '
    "{other} is in, or set prometheus.user: {plain} if snmp_exporter runs as {me}",
    "Input should be greater than {number}",
    "Input should be less than or equal to {number}",
    "Input should be a valid number, unable to parse string as a number",
    "Input should be a valid boolean, unable to interpret input",
    "String should match pattern {pattern}",
)
"""The monitoring.yaml problems said in the chosen language (``localize_error``)."""

SERVER_ERRORS = (
    "{server} at {url}: connection refused",
    "{server} at {url}: timed out",
    "{server} at {url}: {reason}",
)
"""A monitoring server that did not answer (``{server} at {url}: {reason}``)."""

_SETTINGS_PROBLEM = re.compile(
    r"(?P<head>inventory: )?(?P<where>\S*monitoring\.yaml:\d+: [\w.]+: )(?P<reason>.+)"
)
_SERVER = re.compile(r"(?P<server>prometheus|snmp_exporter|zabbix) at (?P<url>\S+?): (?P<r>.+)")


def localize_error(text: str, lang: str | None = None) -> str | None:
    """A monitoring error (a ``monitoring.yaml`` problem, a server that did not answer) in
    ``lang``, or None when ``text`` is not one. Names, paths and URLs are kept as they are.

    Examples:
        >>> localize_error("snmp_exporter at http://127.0.0.1:9116: connection refused", "id")
        'snmp_exporter di http://127.0.0.1:9116: koneksi ditolak'
        >>> localize_error("inventory: /i/monitoring.yaml:3: prometheus.url: 'x' is not an "
        ...                "http:// or https:// URL", "id")
        "inventaris: /i/monitoring.yaml:3: prometheus.url: 'x' bukan URL http:// atau https://"
    """
    from bwauto.i18n import gettext
    from bwauto.messages import say_again

    head, _, rest = text.partition("\n")
    several = re.fullmatch(r"inventory: (?P<count>\d+) problems:", head)
    if several is not None and rest:
        lines = [localize_error(line.removeprefix("  "), lang) for line in rest.split("\n")]
        if any(line is None for line in lines):
            return None
        first = gettext("inventory: {count} problems:", lang).format(count=several["count"])
        return "\n".join([first, *(f"  {line}" for line in lines)])
    problem = _SETTINGS_PROBLEM.fullmatch(text)
    if problem is not None:
        reason = say_again(problem["reason"], SETTINGS_ERRORS, lang)
        if reason is None:
            return None
        head = gettext("inventory: {problem}", lang).format(problem="") if problem["head"] else ""
        return f"{head}{problem['where']}{reason}"
    server = _SERVER.fullmatch(text)
    if server is None:
        return None
    known = {"connection refused", "timed out"}
    template = f"{{server}} at {{url}}: {server['r']}" if server["r"] in known else None
    words = gettext(template or "{server} at {url}: {reason}", lang)
    return words.format(server=server["server"], url=server["url"], reason=server["r"])
