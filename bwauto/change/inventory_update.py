"""Update a link's committed rate in ``links.yaml`` after a successful change, keeping the
file's comments and layout (ruamel.yaml round-trip) and writing it atomically."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bwauto.errors import UsageError
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
    path = inventory_dir / "links.yaml"
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    data = yaml.load(path.read_text(encoding="utf-8"))
    committed = _committed(data, link_id, path)
    changed = False
    for key, value in (("up", up), ("down", down)):
        if value is not None and _bps(committed.get(key)) != value:
            committed[key] = format_rate(value)
            changed = True
    if changed:
        out = io.StringIO()
        yaml.dump(data, out)
        atomic_write(path, out.getvalue())
    return changed


def _committed(data: Any, link_id: str, path: Path) -> Any:
    for link in (data or {}).get("links") or []:
        if link.get("id") == link_id:
            return link["committed"]
    raise UsageError(f"{path}: link {link_id!r} not found")


def _bps(value: Any) -> int | None:
    return parse_rate(value) if value is not None else None
