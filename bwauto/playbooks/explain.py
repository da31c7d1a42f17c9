"""Words for what the runner shows: why a ``when`` is false, why a change failed.

Examples:
    >>> names = {"steps": {"decide": {"data": {"decision": "CANNOT"}}}, "dry_run": False}
    >>> why_false("steps.decide.data.decision == 'CAN'", names)
    'decision is CANNOT'
    >>> why_false("steps.decide.data.decision == 'CAN' and not dry_run", {**names, "dry_run": True})
    'decision is CANNOT'
    >>> why_false("not dry_run", {"dry_run": True})
    'a dry-run records nothing'
    >>> why_false("dry_run", {"dry_run": False})
    'only in a dry-run'
    >>> why_false("steps.x.status == 'ok'", {"steps": {}})
    'x did not run'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from bwauto.playbooks import templating

_COMPARE = re.compile(
    r"^steps\.(?P<step>\w+)\.(?:data\.)?(?P<field>\w+)\s*(?P<op>==|!=)\s*['\"](?P<value>[^'\"]*)['\"]$"
)


def why_false(expr: str, names: Mapping[str, Any]) -> str:
    """The first part of ``expr`` (split on ``and``) that is false, in words."""
    for part in (p.strip() for p in re.split(r"\s+and\s+", expr)):
        try:
            if templating.evaluate(part, names):
                continue
        except jinja2.TemplateError:  # a part that does not evaluate alone: say it as is
            break
        return _words(part, names)
    return f"its condition is false ({expr})"


def _words(part: str, names: Mapping[str, Any]) -> str:
    if part == "not dry_run":
        return "a dry-run records nothing"
    if part == "dry_run":
        return "only in a dry-run"
    match = _COMPARE.match(part)
    if match is None:
        return f"its condition is false ({part})"
    step = names.get("steps", {}).get(match["step"])
    if step is None:
        return f"{match['step']} did not run"
    data = step.get("data", {}) if match["field"] not in step else step
    actual = data.get(match["field"], step.get(match["field"]))
    if actual is None:
        return f"{match['step']} gave no {match['field']}"
    if match["op"] == "!=":
        return f"{match['field']} is {match['value']}"
    return f"{match['field']} is {actual}"


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
