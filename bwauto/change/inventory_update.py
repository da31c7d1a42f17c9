"""Update links' committed rates in ``links.yaml`` after a successful change, keeping every
other character of the file (comments, blank lines, spacing, other values' quoting) and writing
it atomically. The file is read with universal newlines, so CRLF line endings become LF (as
they did before).

Every link of a change is written at once (``update_committed_many``: one read, one write,
under one lock). The new rates are written in place: the file is composed with libyaml
(``FAST_LOADER``, whose nodes carry character offsets), each changed ``up``/``down`` value's
text is replaced by the new rate (a plain scalar), and the new text is parsed again and must
give the old data with exactly those values changed. Anything unusual (a key to set that is
absent, ``committed`` not a mapping, an alias or a merge key anywhere in the file, a block
scalar, a failed check) falls back to a ruamel.yaml round trip, which also keeps comments but
costs seconds of CPU on a 5,000-link file (load 5.5 s + dump 3 s, issue 16).

Concurrent raises on different routers update the same file: each read-modify-write holds an
exclusive ``flock`` on the inventory directory and reads the file inside it, so no update is
lost. The kernel drops the lock if the holder dies.
"""

from __future__ import annotations

import fcntl
import io
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML

from bwauto.errors import LockError, UsageError
from bwauto.files import FAST_LOADER
from bwauto.paths import atomic_write
from bwauto.rates import format_rate, parse_rate


def update_committed(inventory_dir: Path, link_id: str, up: int | None, down: int | None) -> bool:
    """Set ``links[id=link_id].committed`` to the new rates; return False if already there.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> text = "# OPD links\\nlinks:\\n  - id: a  # Dinkes\\n"
        >>> _ = (d / "links.yaml").write_text(text + "    committed: {up: 10M, down: 20M}\\n")
        >>> update_committed(d, "a", None, 50_000_000)
        True
        >>> print((d / "links.yaml").read_text(), end="")
        # OPD links
        links:
          - id: a  # Dinkes
            committed: {up: 10M, down: 50M}
    """
    return bool(update_committed_many(inventory_dir, {link_id: (up, down)}))


Rates = Mapping[str, tuple[int | None, int | None]]
"""Link id -> (up, down) in bit/s; ``None`` leaves that direction as it is."""


def update_committed_many(inventory_dir: Path, rates: Rates) -> list[str]:
    """Set the committed rates of every link in ``rates`` in one round trip of ``links.yaml``
    (one read and, if anything changed, one atomic write, under the inventory lock); return
    the ids whose rates changed, in the order given.

    Raises:
        UsageError: a link is not in the file (the others are written first).

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "links.yaml").write_text("links:\\n  - id: a  # Dinkes\\n"
        ...     "    committed: {up: 10M, down: 20M}\\n  - id: b\\n"
        ...     "    committed:\\n      up: 5M  # RSUD\\n      down: 10M\\n")
        >>> update_committed_many(d, {"a": (None, 20_000_000), "b": (8_000_000, 16_000_000)})
        ['b']
        >>> print((d / "links.yaml").read_text(), end="")
        links:
          - id: a  # Dinkes
            committed: {up: 10M, down: 20M}
          - id: b
            committed:
              up: 8M  # RSUD
              down: 16M
    """
    with inventory_lock(inventory_dir):
        return _update(inventory_dir / "links.yaml", rates)


@contextmanager
def inventory_lock(inventory_dir: Path, timeout_s: float = 30.0) -> Iterator[None]:
    """Hold the inventory directory's exclusive lock for the block (waiting up to
    ``timeout_s`` for another bwauto process to finish its update).

    Raises:
        LockError: still held by another process after ``timeout_s``.
    """
    fd = os.open(inventory_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockError(
                        f"{inventory_dir}: another bwauto process has been updating the "
                        f"inventory for {timeout_s:.0f} s; try again"
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _update(path: Path, rates: Rates) -> list[str]:
    text = path.read_text(encoding="utf-8")
    planned = _in_place(text, rates)
    if planned is None:
        return _round_trip(path, text, rates)
    new_text, changed, missing = planned
    if changed:
        atomic_write(path, new_text)
    if missing:
        raise UsageError(f"{path}: link {', '.join(map(repr, missing))} not found")
    return changed


class _Unusual(Exception):
    """The in-place edit does not apply; the ruamel round trip is used instead."""


Edit = tuple[int, int, str]
"""Character span [start, end) of ``links.yaml`` and its new text."""


def _in_place(text: str, rates: Rates) -> tuple[str, list[str], list[str]] | None:
    """The new text, the ids changed and the ids missing, or None if the file is unusual.

    Examples:
        >>> text = "links:  # OPD\\n- id: a\\n  committed: {up: '10 M', down: 2M}\\n"
        >>> _in_place(text, {"a": (30_000_000, 2_000_000), "z": (1, 1)})
        ('links:  # OPD\\n- id: a\\n  committed: {up: 30M, down: 2M}\\n', ['a'], ['z'])
        >>> _in_place("links:\\n- id: a\\n  committed: {down: 2M}\\n", {"a": (1_000, None)}) is None
        True
    """
    try:
        loader = FAST_LOADER(text)
        try:
            root = loader.get_single_node()
            _check_plain(root)  # before construction, which flattens merge keys away
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
        new_text, changed, missing = _plan(text, root, data, rates)
        if changed and yaml.load(new_text, Loader=FAST_LOADER) != data:
            return None  # data is now the old data with the new rates
    except (yaml.YAMLError, _Unusual):
        return None
    return new_text, changed, missing


def _check_plain(root: Any) -> None:
    """Raise ``_Unusual`` if the tree has an alias (a node met twice) or a merge key."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise _Unusual
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Unusual
                stack += (key_node, value_node)
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


def _plan(text: str, root: Any, data: Any, rates: Rates) -> tuple[str, list[str], list[str]]:
    """Replace the changed values' text; write the new rates into ``data`` too (the data the
    new text must give).

    Raises:
        _Unusual: the file's shape is not the plain one the in-place edit handles.
    """
    links = data.get("links") if isinstance(data, dict) else None
    links_node = _value(root, "links") if links is not None else None
    if links_node is None or not isinstance(links, list) or len(links) != len(links_node.value):
        raise _Unusual
    by_id: dict[Any, int] = {}
    for i, link in enumerate(links):
        if not isinstance(link, dict):
            raise _Unusual
        by_id.setdefault(link.get("id"), i)  # the first, as the loader would refuse a twin
    edits: list[Edit] = []
    changed = []
    for link_id, (up, down) in rates.items():
        if link_id in by_id:
            i = by_id[link_id]
            link_edits = _edits(_value(links_node.value[i], "committed"), links[i], up, down)
            if link_edits:
                edits += link_edits
                changed.append(link_id)
    missing = [link_id for link_id in rates if link_id not in by_id]
    return _apply(text, edits), changed, missing


def _edits(node: Any, link: dict[Any, Any], up: int | None, down: int | None) -> list[Edit]:
    """The edits of one link's ``committed`` mapping (``node``), written into ``link``."""
    committed = link.get("committed")
    if not isinstance(node, yaml.MappingNode) or not isinstance(committed, dict):
        raise _Unusual
    edits = []
    for key, value in (("up", up), ("down", down)):
        if value is not None and _bps(committed.get(key)) != value:
            scalar = _value(node, key)
            if not isinstance(scalar, yaml.ScalarNode) or scalar.style in ("|", ">"):
                raise _Unusual  # absent, a collection, or a block scalar with its line breaks
            committed[key] = format_rate(value)
            edits.append((scalar.start_mark.index, scalar.end_mark.index, committed[key]))
    return edits


def _value(node: Any, key: str) -> Any:
    """The value node of ``key`` in a mapping node (None if absent).

    Raises:
        _Unusual: not a mapping, a merge key, or ``key`` twice.
    """
    if not isinstance(node, yaml.MappingNode):
        raise _Unusual
    found = None
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise _Unusual
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            if found is not None:
                raise _Unusual
            found = value_node
    return found


def _apply(text: str, edits: list[Edit]) -> str:
    """``text`` with each span replaced (spans that overlap, e.g. through an alias, are unusual)."""
    pieces, end = [], 0
    for start, stop, new in sorted(edits):
        if start < end:
            raise _Unusual
        pieces += [text[end:start], new]
        end = stop
    return "".join(pieces) + text[end:]


def _round_trip(path: Path, text: str, rates: Rates) -> list[str]:
    """The same update by a ruamel.yaml round trip of the whole file (``text``)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    data = yaml.load(text)
    by_id: dict[Any, Any] = {}
    for link in (data or {}).get("links") or []:
        by_id.setdefault(link.get("id"), link)  # the first, as the loader would refuse a twin
    changed = [link_id for link_id, (up, down) in rates.items()
               if link_id in by_id and _set(by_id[link_id]["committed"], up, down)]  # fmt: skip
    if changed:
        out = io.StringIO()
        yaml.dump(data, out)
        atomic_write(path, out.getvalue())
    missing = [link_id for link_id in rates if link_id not in by_id]
    if missing:
        raise UsageError(f"{path}: link {', '.join(map(repr, missing))} not found")
    return changed


def _set(committed: Any, up: int | None, down: int | None) -> bool:
    """Write the rates that differ into the ``committed`` mapping; True if any did."""
    changed = False
    for key, value in (("up", up), ("down", down)):
        if value is not None and _bps(committed.get(key)) != value:
            committed[key] = format_rate(value)
            changed = True
    return changed


def _bps(value: Any) -> int | None:
    return parse_rate(value) if value is not None else None
