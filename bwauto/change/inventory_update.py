"""Update a link's committed rate in ``links.yaml`` after a successful change, keeping the
file's comments and layout (ruamel.yaml round-trip) and writing it atomically.

Concurrent raises on different routers update the same file: each read-modify-write holds an
exclusive ``flock`` on the inventory directory and reads the file inside it, so no update is
lost. The kernel drops the lock if the holder dies.
"""

from __future__ import annotations

import fcntl
import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bwauto.errors import LockError, UsageError
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
    with inventory_lock(inventory_dir):
        return _update(inventory_dir / "links.yaml", link_id, up, down)


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


def _update(path: Path, link_id: str, up: int | None, down: int | None) -> bool:
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
