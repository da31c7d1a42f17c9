"""English texts said again in the chosen language: the library raises and records English
(``RateError("'150' has no unit: ...")``); the CLI and the playbook runner show
``localize(text)``, which finds the text's template, translates the template with the gettext
catalogue and puts the figures and names back.

A text that matches no template is shown as it is.

Examples:
    >>> localize("unknown link 'nope' (see 'bwauto inventory list')", "id")
    "link 'nope' tidak dikenal (lihat 'bwauto inventory list')"
    >>> localize("--rate '150' has no unit: 150M? (write 150bps for bit/s)", "id")
    "--rate '150' tanpa satuan: 150M? (tulis 150bps untuk bit/s)"
    >>> localize("something else", "id")
    'something else'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

ERRORS = (
    "{what} {value} has no unit: {number}M? (write {number}bps for bit/s)",
    "{value} is negative: a rate must be greater than zero",
    "{value} is not a rate: write e.g. 100M, 1.5G, 512k or 2000000 (bit/s)",
    "{value} is not a rate",
    "{value} is not greater than zero",
    "{value} is above 1 Tbit/s, which no OPD link has",
    "{what} {value}: write a share such as 80% or 0.8",
    "{what} {value}: a share is written 80% or 0.8 ({share}%?)",
    "name the links to change with --link ID (repeatable) or --opd NAME",
    "unknown link {link} (see 'bwauto inventory list')",
    "no link of OPD {opd} in the inventory",
    "link {link}: its router does not shape upload (no shaper_in in the inventory); give --to "
    "DOWN only, or add an input policy-map as shaper_in",
    "init {path}: not a directory",
    "init {path}: {file} already exists; nothing written",
    "no request {case} in the register ({path})",
    "no links to analyse: the inventory has none",
    "unknown link {names}: not in the inventory",
    "no samples between {start} and {end} for link {link} in {source}",
    "no samples between {start} and {end} for any of {n} links in {source}",
    "every interval between {start} and {end} is invalid, for all links, in {source}",
    "request {request} is for link {case_link}, not {link}",
    "the analysis says {said}; deciding {verdict} needs a note why",
    "sample store {path} does not exist: poll the links or import their history first",
    "link id {value} is not valid: use lower-case letters, digits and '-' (max 63)",
    "change id {value} is not valid: a change id is like {example}",
    "request id {value} is not valid: a request id is like {example}",
    "{where}: no SNMP answer within {seconds} s x {tries} tries (agent down, filtered, or wrong "
    "community)",
    "{where}: no SNMP answer within {seconds} s x {tries} tries (agent down or filtered)",
)
"""The errors said in the chosen language (the first match wins: longer before shorter)."""

USAGE = (
    "No such option: {option} (Possible options: {options})",
    "No such option: {option} Did you mean {options}?",
    "No such option: {option}",
    "No such command {name}. Did you mean {names}?",
    "No such command {name}",
    "Missing option {param}",
    "Missing argument {param}",
    "Missing parameter: {param}",
    "Missing command",
    "Option {name} requires an argument",
    "Option {name} does not take a value",
    "Got unexpected extra argument(s) ({args})",
    "Got unexpected extra argument ({args})",
    "Got unexpected extra arguments ({args})",
    "Invalid value for {param}: {detail}",
    "Invalid value: {detail}",
)
"""Click's usage errors (one line, the final full stop dropped), said in the chosen language.

Examples:
    >>> usage_text("Missing option '--letter-date'", "id")
    "opsi '--letter-date' wajib diisi"
    >>> usage_text("Invalid value for '--confirm-timeout': 'x' is not a valid integer.", "id")
    "nilai '--confirm-timeout' tidak sah: 'x' bukan bilangan bulat"
"""

USAGE_DETAILS = (
    "{value} is not a valid integer",
    "{value} is not a valid float",
    "{value} is not a valid boolean",
    "{value} is not one of {choices}",
    "{value} is not a valid integer range",
    "Input should be a valid integer, unable to parse string as an integer",
    "Input should be a valid number, unable to parse string as a number",
)
"""What Click (and Typer) say is wrong with a value, after "Invalid value for ...: "."""


SHAPES = {
    "value": r"'[^'\n]*'|-?[\d.]+",
    "option": r"-{1,2}[\w-]+",
    "name": r"'[^'\n]*'|[\w.-]+",  # a quoted repr, or an id (an upstream: "isp-2")
    "param": r"'[^'\n]*'(?: / '[^'\n]*')*",
    "said": r"CAN|CANNOT|NOT ENOUGH DATA",
    "verdict": r"CAN|CANNOT|NOT ENOUGH DATA",
    "what": r"--?[\w-]+",
    "link": r"'[^'\n]*'|[\w.-]+",
    "opd": r"'[^'\n]*'",
    "case": r"'[^'\n]*'",
    "number": r"[\d.]+",
}
"""What a value of that name looks like (a quoted repr, an option); any other name takes the
rest of one line. A whole message must match: an error that only ends like a template (an
inventory problem naming a bad rate) stays as it is, never half translated."""


_LINE = r"[^\n]+?"


@cache
def pattern(template: str) -> re.Pattern[str]:
    """The regular expression of ``template``: each ``{name}`` captures text of its shape (a
    name used twice must capture the same text twice)."""
    parts = re.split(r"\{(\w+)\}", template)
    seen: set[str] = set()
    regex = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            regex.append(re.escape(part))
        elif part in seen:
            regex.append(f"(?P={part})")
        else:
            seen.add(part)
            regex.append(f"(?P<{part}>{SHAPES.get(part, _LINE)})")
    return re.compile("".join(regex))


def say_again(
    text: str,
    templates: Iterable[str],
    lang: str | None = None,
    words: frozenset[str] = frozenset(),
) -> str | None:
    """``text`` in ``lang`` if one of ``templates`` matches it whole, else ``None``; the values
    named in ``words`` are translated too (``upload`` → ``unggah``)."""
    from bwauto.i18n import gettext

    for template in templates:
        match = pattern(template).fullmatch(text)
        if match is not None:
            values = {
                k: gettext(v, lang) if k in words else v for k, v in match.groupdict().items()
            }
            return gettext(template, lang).format(**values)
    return None


def localize(text: str, lang: str | None = None) -> str:
    """A known English error in ``lang``; any other text as it is."""
    from bwauto.monitoring.wording import localize_error

    said = say_again(text, ERRORS, lang, frozenset({"said", "verdict"}))
    return said or localize_error(text, lang) or text


def usage_text(text: str, lang: str | None = None) -> str:
    """A Click usage error in ``lang`` (what is wrong with a value too, when known)."""
    from bwauto.i18n import gettext

    text = text.rstrip(".")
    for template in ("Invalid value for {param}: {detail}", "Invalid value: {detail}"):
        match = pattern(template).fullmatch(text)
        if match is not None:
            values = match.groupdict()
            detail = values["detail"].rstrip(".")
            values["detail"] = say_again(detail, USAGE_DETAILS, lang) or detail
            return gettext(template, lang).format(**values)
    return say_again(text, USAGE, lang) or text
