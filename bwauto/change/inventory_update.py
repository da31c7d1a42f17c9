"""Update links' committed rates in ``links.yaml`` after a successful change, keeping the
file's comments and layout (ruamel.yaml round-trip) and writing it atomically.

Every link of a change is written by one round trip (``update_committed_many``: one read, one
write, under one lock): a round trip of a 5,000-link file costs seconds of CPU, so one per
link made the post-change step grow with links x inventory size.

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
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    data = yaml.load(path.read_text(encoding="utf-8"))
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
