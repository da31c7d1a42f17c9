"""The one-walk YAML reader gives exactly what PyYAML's constructor gives, lines included."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bwauto.inventory import yamlsrc
from bwauto.lab.inventory_out import synthetic_inventory

ROOT = Path(__file__).resolve().parents[2]
TRICKY = """\
defaults: &d
  port: 22
  enabled: yes
  ratio: 1.5
  none: ~
  when: 2024-05-01
  octal: 0o17
  list: [1, "2", three, {x: 1}]
hosts:
  a:
    <<: *d
    port: 2222
  b: *d
  1: numeric key
  true: bool key
dup:
  k: 1
  k: 2
"""


def _reference(text: str) -> yamlsrc.YamlDoc:
    """The former way: index the nodes, then PyYAML's constructor builds the data (with
    libyaml's own loader, not ``FAST_LOADER`` and its memoised tags)."""
    doc = yamlsrc.YamlDoc("f.yaml", None)
    loader = yaml.CSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            yamlsrc._index(node, (), doc)
            doc.data = loader.construct_document(node)
    finally:
        loader.dispose()
    return doc


def _texts() -> list[str]:
    shipped = sorted((ROOT / "inventory").glob("*.yaml"))
    broken = sorted((ROOT / "tests" / "inventory" / "broken").rglob("*.yaml"))
    synthetic = [yaml.safe_dump(v) for v in synthetic_inventory(6, 4).values()]
    return [p.read_text() for p in shipped + broken] + synthetic + [TRICKY, "- a\n- b: [1, 2]\n"]


@pytest.mark.parametrize("text", _texts())
def test_same_data_lines_and_problems_as_pyyaml(text: str) -> None:
    try:
        expected = _reference(text)
    except yaml.YAMLError:
        pytest.skip("not valid YAML: handled by the fallback parser")
    got = yamlsrc.parse_yaml(text, "f.yaml")
    assert got.data == expected.data
    assert got.lines == expected.lines
    assert got.problems == expected.problems


def test_merge_keys_and_aliases_still_resolve() -> None:
    doc = yamlsrc.parse_yaml(TRICKY, "f.yaml")
    assert doc.data["hosts"]["a"]["port"] == 2222 and doc.data["hosts"]["a"]["ratio"] == 1.5
    assert doc.data["hosts"]["b"]["enabled"] is True
    assert [p.message for p in doc.problems] == ["duplicate key"]
