"""Read YAML keeping line numbers, so that every problem can name the line to fix.

Examples:
    >>> doc = parse_yaml("a:\\n  b: 1\\n  c: [x, y]\\n", "f.yaml")
    >>> doc.data
    {'a': {'b': 1, 'c': ['x', 'y']}}
    >>> doc.line("a", "c", 1)
    3
    >>> doc.line("a", "missing")
    1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bwauto.errors import Problem
from bwauto.files import FAST_LOADER, InputFileError, check_yaml_size, read_text

Key = str | int


@dataclass
class YamlDoc:
    """A parsed YAML file: its data, the line of each node, and the problems found reading it."""

    file: str
    data: Any
    lines: dict[tuple[Key, ...], int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line(self, *path: Key) -> int | None:
        """The line of the deepest node along ``path`` that exists (1-based)."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None


def read_yaml(path: Path) -> YamlDoc:
    """Read and parse ``path``; an unreadable file is a problem, not an exception."""
    try:
        text = read_text(path)
    except InputFileError as exc:
        doc = YamlDoc(str(path), None)
        doc.problems.append(Problem(str(path), "", "", exc.reason, exc.line))
        return doc
    return parse_yaml(text, str(path))


def parse_yaml(text: str, file: str) -> YamlDoc:
    """Parse YAML text; syntax errors and duplicate keys become problems with their line."""
    try:
        return _parse(text, file, FAST_LOADER)
    except InputFileError as exc:
        return YamlDoc(file, None, problems=[Problem(file, "", "", exc.reason, exc.line)])
    except yaml.YAMLError:
        pass  # libyaml's errors are terser: word them with the pure-Python parser
    try:
        return _parse(text, file, yaml.SafeLoader)
    except InputFileError as exc:
        return YamlDoc(file, None, problems=[Problem(file, "", "", exc.reason, exc.line)])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or str(exc)
        problem = Problem(file, "", "", f"YAML syntax error: {reason}", line)
    except yaml.YAMLError as exc:
        problem = Problem(file, "", "", f"YAML error: {exc}")
    doc = YamlDoc(file, None)
    doc.problems.append(problem)
    return doc


def _parse(text: str, file: str, loader_class: type[yaml.SafeLoader]) -> YamlDoc:
    doc = YamlDoc(file, None)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            check_yaml_size(node, file, text=text)
            try:
                doc.data = _Builder(loader, doc).build(node, ())
            except _Unusual:  # merge keys, custom tags, recursive aliases: PyYAML's own way
                doc.lines.clear()
                doc.problems.clear()
                _index(node, (), doc)
                doc.data = loader.construct_document(node)
    finally:
        loader.dispose()
    return doc


_MAP, _SEQ, _STR = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:str"


class _Unusual(Exception):
    """The document uses what only PyYAML's constructor handles."""


class _Builder:
    """Build the data and index the lines in one walk (PyYAML's constructor walks the nodes a
    second time in Python: for a 1,000-link inventory that was most of ``inventory check``).

    Plain mappings, sequences and strings are built here; any other scalar (int, float, bool,
    null, timestamp) goes through the loader's constructor, so values are PyYAML's.
    """

    def __init__(self, loader: yaml.SafeLoader, doc: YamlDoc) -> None:
        self.loader = loader
        self.doc = doc
        self.open: set[int] = set()

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        """PyYAML's value; one it cannot make (``2026-02-30``) is a problem on its line (the
        value is not repeated: this reader also reads the secrets file)."""
        try:
            return self.loader.construct_object(node)
        except ValueError:
            kind = "date" if node.tag.endswith(":timestamp") else "value"
            raise InputFileError(self.doc.file, f"not a valid {kind}",
                                 node.start_mark.line + 1) from None  # fmt: skip

    def build(self, node: yaml.Node, path: tuple[Key, ...]) -> Any:
        self.doc.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == _STR else self._scalar(node)
        if id(node) in self.open:
            raise _Unusual
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            raise _Unusual
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: tuple[Key, ...]) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == "tag:yaml.org,2002:merge"
            ):
                raise _Unusual
            key = key_node.value
            if key in seen:
                where = ".".join(str(p) for p in path)
                line = key_node.start_mark.line + 1
                self.doc.problems.append(
                    Problem(self.doc.file, where, str(key), "duplicate key", line)
                )
            seen.add(key)
            value = self.build(value_node, (*path, key))
            self.doc.lines[(*path, key)] = key_node.start_mark.line + 1
            out[key if key_node.tag == _STR else self.loader.construct_object(key_node)] = value
        return out


def _index(node: yaml.Node, path: tuple[Key, ...], doc: YamlDoc) -> None:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                where = ".".join(str(p) for p in path)
                doc.problems.append(
                    Problem(
                        doc.file, where, str(key), "duplicate key", key_node.start_mark.line + 1
                    )
                )
            seen.add(key)
            _index(value_node, (*path, key), doc)
            doc.lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), doc)
