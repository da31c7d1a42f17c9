"""Words for what the runner shows: why a ``when`` is false, why a change failed.

Examples:
    >>> names = {"steps": {"decide": {"data": {"decision": "CANNOT"}}}, "dry_run": False}
    >>> why_false("steps.decide.data.decision == 'CAN'", names, "en")
    'decision is CANNOT'
    >>> why_false("steps.decide.data.decision == 'CAN'", names, "id")
    'keputusan TIDAK DAPAT'
    >>> why_false("steps.decide.data.decision == 'CAN' and not dry_run", {**names, "dry_run": True},
    ...           "en")
    'decision is CANNOT'
    >>> why_false("not dry_run", {"dry_run": True}, "en")
    'a dry-run records nothing'
    >>> why_false("dry_run", {"dry_run": False}, "en")
    'only in a dry-run'
    >>> why_false("steps.x.status == 'ok'", {"steps": {}}, "en")
    'x did not run'
    >>> why_false("outcome_after and not dry_run", {"outcome_after": "", "dry_run": False}, "id")
    'outcome_after tidak diisi'
    >>> why_false("steps.a.status == 'ok' or x", {"steps": {}, "x": 0}, "en")
    'its condition is not met'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from bwauto.i18n import gettext
from bwauto.playbooks import templating

_COMPARE = re.compile(
    r"^steps\.(?P<step>\w+)\.(?:data\.)?(?P<field>\w+)\s*(?P<op>==|!=)\s*['\"](?P<value>[^'\"]*)['\"]$"
)


_VARIABLE = re.compile(r"^(?:not\s+)?(?P<name>[A-Za-z_]\w*)$")
_FIELDS = {"decision": "decision is {value}", "status": "status is {value}"}
"""Fields said with their own words (``decision is CANNOT``: the value itself translated)."""


def why_false(expr: str, names: Mapping[str, Any], lang: str | None = None) -> str:
    """The first part of ``expr`` (split on ``and``) that is false, in words (in ``lang``,
    default: the current language); never the expression itself."""
    for part in (p.strip() for p in re.split(r"\s+and\s+", expr)):
        try:
            if templating.evaluate(part, names):
                continue
        except jinja2.TemplateError:  # a part that does not evaluate alone
            break
        return _words(part, names, lang)
    return gettext("its condition is not met", lang)


def _words(part: str, names: Mapping[str, Any], lang: str | None) -> str:
    def _(message: str, **values: Any) -> str:  # the catalogue test finds ``_("...")``
        return gettext(message, lang).format(**values)

    if part == "not dry_run":
        return _("a dry-run records nothing")
    if part == "dry_run":
        return _("only in a dry-run")
    variable = _VARIABLE.match(part)
    if variable is not None:
        if part.startswith("not"):
            return _("{name} is set", name=variable["name"])
        return _("{name} is not set", name=variable["name"])
    match = _COMPARE.match(part)
    if match is None:
        return _("its condition is not met")
    step = names.get("steps", {}).get(match["step"])
    if step is None:
        return _("{step} did not run", step=match["step"])
    data = step.get("data", {}) if match["field"] not in step else step
    actual = data.get(match["field"], step.get(match["field"]))
    if actual is None:
        return _("{step} gave no {field}", step=match["step"], field=match["field"])
    value = match["value"] if match["op"] == "!=" else str(actual)
    if match["field"] in _FIELDS:
        return _(_FIELDS[match["field"]], value=_value(value, lang))
    return _("{field} is {value}", field=match["field"], value=value)


def _value(value: str, lang: str | None) -> str:
    """A decision or status value in ``lang`` (``CANNOT`` → ``TIDAK DAPAT``)."""
    from bwauto.analysis.sentences import VERDICTS

    return gettext(value, lang) if value in VERDICTS else value


def evidence_reasons(path: Path) -> list[str]:
    """Why a change failed, from its evidence record: its errors and failed checks."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    reasons = [str(e) for e in record.get("errors", []) if e]
    for check in record.get("checks", []):
        if isinstance(check, dict) and not check.get("ok", True):
            reasons.append(f"{check.get('name')}: {check.get('detail', '')}".rstrip(": "))
    return reasons
