"""Read a playbook file into a ``Playbook``, collecting every structural problem with its line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bwauto.errors import Problem
from bwauto.files import InputFileError, check_yaml_aliases, read_text
from bwauto.playbooks.model import PLAYBOOK_KEYS, STEP_KEYS, Playbook, PlaybookError, PlayStep

_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def to_plain(node: Any) -> Any:
    """ruamel's round-trip types as plain dicts, lists, str, int, float, bool."""
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (str, int, float):
        if isinstance(node, kind):
            return kind(node)
    return node


def _line(node: Any, key: Any = None) -> int:
    try:
        return int((node.lc.key(key) if key is not None else (node.lc.line, 0))[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return 0


def _item_line(seq: Any, index: int) -> int:
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return 0


def load_playbook(path: str | Path) -> Playbook:
    """Read and shape-check the playbook at ``path``.

    Raises:
        PlaybookError: the file is missing, is not YAML (with its line), or is not shaped
            like a playbook (every problem, with its line).
    """
    path = Path(path)
    doc = _read(path)
    problems: list[Problem] = []
    f = str(path)
    if not isinstance(doc, dict):
        raise PlaybookError([Problem(f, "", "", "a playbook is a mapping with name and steps", 1)])
    for key in doc:
        if key not in PLAYBOOK_KEYS:
            problems.append(
                Problem(
                    f,
                    "",
                    str(key),
                    f"unknown key; allowed: {', '.join(PLAYBOOK_KEYS)}",
                    _line(doc, key),
                )
            )
    name = in_language(doc.get("name"))
    if not name.strip():
        problems.append(Problem(f, "", "name", "required: the playbook's name (text, or "
                                "id: and en: texts)", _line(doc)))  # fmt: skip
    variables = doc.get("vars") or {}
    if not isinstance(variables, dict):
        problems.append(Problem(f, "", "vars", "must be a mapping", _line(doc, "vars")))
        variables = {}
    for key in variables:
        if not _ID.match(str(key)):
            problems.append(
                Problem(f, "vars", str(key), "not a valid variable name", _line(variables, key))
            )
    steps = _steps(doc, f, problems)
    if problems:
        raise PlaybookError(problems)
    return Playbook(
        path,
        str(name),
        str(doc.get("description") or ""),
        to_plain(variables),
        {str(k): _line(variables, k) for k in variables},
        tuple(steps),
    )


def in_language(value: Any, lang: str | None = None) -> str:
    """A name written once (``name: text``) or per language (``name: {id: ..., en: ...}``): the
    text of ``lang`` (default: the current language), else Indonesian, else the first; ``""``
    when ``value`` is neither.

    Examples:
        >>> in_language({"id": "Langkah 6: analisa", "en": "Step 6: analysis"}, "en")
        'Step 6: analysis'
        >>> in_language("Audit drift", "en"), in_language({"id": "Audit"}, "en"), in_language(3)
        ('Audit drift', 'Audit', '')
    """
    from bwauto.i18n import current

    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return ""
    texts = {str(k): str(v) for k, v in value.items()}
    return texts.get(lang or current()) or texts.get("id") or next(iter(texts.values()), "")


def _read(path: Path) -> Any:
    try:
        text = read_text(path)
        check_yaml_aliases(text, str(path))
    except InputFileError as exc:
        raise PlaybookError([Problem(str(path), "", "", exc.reason, exc.line)]) from None
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise PlaybookError([Problem(str(path), "", "", f"invalid YAML: {what}", line)]) from exc
    except YAMLError as exc:
        raise PlaybookError([Problem(str(path), "", "", f"invalid YAML: {exc}")]) from exc


def _steps(doc: Any, f: str, problems: list[Problem]) -> list[PlayStep]:
    raw = doc.get("steps")
    if not isinstance(raw, list) or not raw:
        problems.append(
            Problem(
                f,
                "",
                "steps",
                "required: a list of at least one step",
                _line(doc, "steps") or _line(doc),
            )
        )
        return []
    steps, ids = [], set()
    for i, node in enumerate(raw):
        step = _step(node, i + 1, _item_line(raw, i), f, problems)
        if step is None:
            continue
        if step.id is not None and step.id in ids:
            problems.append(Problem(f, step.where, "id", f"duplicate id {step.id!r}", step.line))
        ids.add(step.id)
        steps.append(step)
    return steps


def _step(node: Any, index: int, line: int, f: str, problems: list[Problem]) -> PlayStep | None:
    where = f"step {index}"
    if not isinstance(node, dict):
        problems.append(Problem(f, where, "", "a step is a mapping with 'task:'", line))
        return None
    before = len(problems)
    for key in node:
        if key not in STEP_KEYS:
            problems.append(
                Problem(
                    f,
                    where,
                    str(key),
                    f"unknown key; allowed: {', '.join(STEP_KEYS)}",
                    _line(node, key),
                )
            )
    task = node.get("task")
    if not isinstance(task, str) or not task:
        problems.append(Problem(f, where, "task", "required: the task to run", line))
    params = node.get("with") or {}
    if not isinstance(params, dict):
        problems.append(
            Problem(f, where, "with", "must be a mapping of parameters", _line(node, "with"))
        )
    _typed(node, "continue_on_error", bool, "true or false", f, where, problems)
    _typed(node, "when", str, "a Jinja2 expression (text)", f, where, problems)
    if "name" in node and node["name"] is not None and not in_language(node["name"]):
        problems.append(Problem(f, where, "name", "must be text, or id: and en: texts",
                                _line(node, "name")))  # fmt: skip
    step_id = node.get("id")
    if step_id is not None and not (isinstance(step_id, str) and _ID.match(step_id)):
        problems.append(Problem(f, where, "id", "letters, digits and _ only", _line(node, "id")))
    if len(problems) > before:
        return None
    lines = {str(k): _line(params, k) for k in params} | {"": _line(node, "with") or line}
    return PlayStep(
        index,
        in_language(node.get("name")) or str(task),
        str(task),
        to_plain(params),
        bool(node.get("continue_on_error", False)),
        node.get("when"),
        step_id,
        line,
        _line(node, "task") or line,
        lines,
        _line(node, "when") or line,
    )


def _typed(
    node: Any, key: str, kind: type, what: str, f: str, where: str, problems: list[Problem]
) -> None:
    if key in node and node[key] is not None and not isinstance(node[key], kind):
        problems.append(Problem(f, where, key, f"must be {what}", _line(node, key)))
