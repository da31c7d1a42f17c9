"""YAML reading: the alias-bomb guard walks only a text that can hold an alias, and the fast
loader's memoised tags are PyYAML's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bwauto import files
from bwauto.fast_yaml import FastLoader
from bwauto.files import InputFileError
from bwauto.inventory import yamlsrc
from bwauto.lab.inventory_out import synthetic_inventory

ROOT = Path(__file__).resolve().parents[1]
PLAIN = "links:\n  - {id: a, rate: 10M, on: yes}\n  - {id: b, rate: '20M', note: 'a&b'}\n"
ALIASED = "base: &b {rate: 10M, on: yes}\nlinks:\n  - *b\n  - *b\n"
BOMB = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c, *c]\n"
SCALARS = """\
- [yes, 'yes', "yes", no, on, off, true, ~, null, '', "", -, 1, '1', 0o17, 017, 0x1f, 1_000]
- [1.5, .inf, -.Inf, .nan, 1e3, 2026-05-01, 2026-05-01 10:00:00+07:00, '2026-05-01', '=', '<<']
- {1: a, true: b, ~: c, 1.5: d, 2026-05-01: e, "1": f, yes: g}
- !!str 1
- !!int "2"
"""


def _limit(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """The readers' ``check_yaml_size`` with a small ``limit``, everything else as given."""
    real: Callable[..., None] = files.check_yaml_size

    def check(root: yaml.Node, file: str, _: int = 0, *, text: str | None = None) -> None:
        real(root, file, limit, text=text)

    monkeypatch.setattr(files, "check_yaml_size", check)
    monkeypatch.setattr(yamlsrc, "check_yaml_size", check)


class _Unwalkable(yaml.MappingNode):
    """A root node whose children cannot be read: walking it fails the test."""

    def __getattribute__(self, name: str) -> Any:
        if name == "value":
            raise AssertionError("the document was walked")
        return super().__getattribute__(name)


def test_a_text_without_an_alias_is_not_walked() -> None:
    root = _Unwalkable("tag:yaml.org,2002:map", [])
    files.check_yaml_size(root, "p.yaml", text="a: 1\nb: [x, y]\n")
    with pytest.raises(AssertionError, match="walked"):
        files.check_yaml_size(root, "p.yaml", text="a: &x 1\nb: *x\n")
    with pytest.raises(AssertionError, match="walked"):
        files.check_yaml_size(root, "p.yaml")  # no text: walked, as before


def test_every_reader_walks_a_text_with_aliases_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a limit of 8 nodes, a walk of ``PLAIN`` or ``ALIASED`` (15+ nodes) refuses it."""
    _limit(monkeypatch, 8)
    assert files.parse_yaml_text(PLAIN, "p.yaml")["links"][1]["note"] == "a&b"
    assert not yamlsrc.parse_yaml(PLAIN, "p.yaml").problems
    files.check_yaml_aliases(PLAIN, "p.yaml")
    with pytest.raises(InputFileError, match="more than 8 nodes"):
        files.parse_yaml_text(ALIASED, "p.yaml")
    with pytest.raises(InputFileError, match="more than 8 nodes"):
        files.check_yaml_aliases(ALIASED, "p.yaml")
    problems = yamlsrc.parse_yaml(ALIASED, "p.yaml").problems
    assert [p.message for p in problems] == ["YAML aliases expand to more than 8 nodes"]


def test_a_bomb_is_still_refused_by_every_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """``BOMB`` is 183 nodes once expanded (the full-size bombs, at the real limit, are in
    ``tests/test_bad_inputs.py``)."""
    _limit(monkeypatch, 100)
    with pytest.raises(InputFileError, match=r"b\.yaml:3: YAML aliases expand to more than 100 "):
        files.parse_yaml_text(BOMB, "b.yaml")
    with pytest.raises(InputFileError, match=r"b\.yaml:3: YAML aliases expand to more than 100 "):
        files.check_yaml_aliases(BOMB, "b.yaml")
    (problem,) = yamlsrc.parse_yaml(BOMB, "b.yaml").problems
    assert (problem.line, problem.message) == (3, "YAML aliases expand to more than 100 nodes")
    monkeypatch.undo()  # the real limit: this small one is read
    assert files.parse_yaml_text(BOMB, "b.yaml")["d"][0][0][0] == ["x", "x", "x"]


def _nodes(node: yaml.Node) -> Iterator[tuple[str, str, Any]]:
    """Every node's (kind, tag, scalar value) in document order."""
    if isinstance(node, yaml.ScalarNode):
        yield "scalar", node.tag, node.value
        return
    yield type(node).__name__, node.tag, None
    children = node.value if isinstance(node, yaml.SequenceNode) else [
        n for pair in node.value for n in pair
    ]  # fmt: skip
    for child in children:
        yield from _nodes(child)


def _texts() -> list[str]:
    shipped = sorted((ROOT / "inventory").glob("*.yaml"))
    synthetic = [yaml.safe_dump(v) for v in synthetic_inventory(6, 4).values()]
    return [p.read_text() for p in shipped] + synthetic + [SCALARS, PLAIN, ALIASED]


def test_the_safe_loaders_have_no_path_resolvers() -> None:
    """What makes the memo exact (``FastLoader``'s docstring): no tag depends on the path."""
    assert yaml.SafeLoader.yaml_path_resolvers == {}
    assert FastLoader.yaml_path_resolvers == {}
    assert yaml.CSafeLoader.yaml_path_resolvers == {}


@pytest.mark.parametrize("text", _texts())
def test_memoised_tags_and_values_are_pyyaml_s(text: str) -> None:
    plain = yaml.CSafeLoader(text)
    fast = FastLoader(text)
    try:
        got, expected = fast.get_single_node(), plain.get_single_node()
        assert got is not None and expected is not None
        assert list(_nodes(got)) == list(_nodes(expected))
    finally:
        plain.dispose()
        fast.dispose()
    fast_data = yaml.load(text, Loader=FastLoader)
    assert repr(fast_data) == repr(yaml.load(text, Loader=yaml.CSafeLoader))


def test_resolve_is_asked_once_per_distinct_scalar(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    real: Callable[..., Any] = yaml.resolver.BaseResolver.resolve

    def counting(self: Any, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode:
            asked.append(value)
        return real(self, kind, value, implicit)

    text = yaml.safe_dump(synthetic_inventory(10, 20)["links.yaml"])  # dumping resolves too
    monkeypatch.setattr(yaml.resolver.BaseResolver, "resolve", counting)
    loader = FastLoader(text)
    node = loader.get_single_node()
    loader.dispose()
    assert node is not None
    scalars = [n for n in _nodes(node) if n[0] == "scalar"]
    assert len(asked) == len(loader.tags) == len(set(asked))
    assert len(scalars) > 3 * len(loader.tags)  # 200 links: the same keys and values recur
