"""``{{ var }}`` in playbook parameters: find the names used, render with native types.

A string that is exactly one ``{{ expression }}`` keeps the expression's type (an int stays an
int, a list a list); any other string with ``{{ }}`` renders to text. Strings without template
syntax are left alone.

Examples:
    >>> render_value({"n": "{{ count }}", "s": "KB-{{ year }}", "x": ["{{ flag }}"]},
    ...              {"count": 3, "year": 2026, "flag": True})
    {'n': 3, 's': 'KB-2026', 'x': [True]}
    >>> sorted(names_used({"a": "{{ link }} {{ rate | upper }}", "b": ["{{ x.y }}"]}))
    ['link', 'rate', 'x']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2 import meta

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
_WHOLE = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\}\}).)*)\}\}\s*$", re.DOTALL)


def _is_template(value: str) -> bool:
    return "{{" in value or "{%" in value


def names_in(text: str) -> set[str]:
    """Top-level names a template string uses (raises ``jinja2.TemplateSyntaxError``)."""
    return set(meta.find_undeclared_variables(_ENV.parse(text))) if _is_template(text) else set()


def expression_names(expr: str) -> set[str]:
    """Top-level names a bare expression (``when:``) uses."""
    return set(meta.find_undeclared_variables(_ENV.parse("{{ " + expr + " }}")))


def names_used(value: Any) -> set[str]:
    """Every top-level name the strings inside ``value`` use."""
    if isinstance(value, str):
        return names_in(value)
    if isinstance(value, Mapping):
        return set().union(*(names_used(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(names_used(v) for v in value)) if value else set()
    return set()


def render_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """``value`` with every template string rendered against ``variables``."""
    if isinstance(value, str):
        if not _is_template(value):
            return value
        whole = _WHOLE.match(value)
        if whole and "{%" not in value:
            expr = _ENV.compile_expression(whole.group("expr"), undefined_to_none=False)
            result = expr(**variables)
            if isinstance(result, jinja2.Undefined):
                result._fail_with_undefined_error()
            return result
        return _ENV.from_string(value).render(**variables)
    if isinstance(value, Mapping):
        return {k: render_value(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, variables) for v in value]
    return value


def evaluate(expr: str, variables: Mapping[str, Any]) -> Any:
    """Evaluate a bare expression (``when:``); undefined names and attributes are falsy."""
    env = jinja2.Environment(undefined=jinja2.ChainableUndefined, autoescape=False)
    return env.compile_expression(expr)(**variables)
