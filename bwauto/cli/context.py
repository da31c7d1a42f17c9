"""What every command shares: the inventory and state dirs chosen by the global options."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from bwauto.inventory.models import Inventory


@dataclass
class AppContext:
    """Global options, resolved once in the app callback."""

    inventory_dir: Path
    state_dir: Path
    secrets_file: str | None = None
    lang: str = "id"
    inventory_given: bool = True
    created_dirs: tuple[Path, ...] = ()
    """Dirs above the state dir that this run created (a refused import removes them)."""
    _cache: tuple[tuple[int, ...], Inventory] | None = field(default=None, repr=False)

    def inventory(self) -> Inventory:
        """Load and validate the inventory (raises ``InventoryError``); loaded again only when
        one of its files changed (a raise rewrites ``links.yaml``)."""
        from bwauto.inventory.loader import FILES, load_inventory

        stamp = tuple(_mtime(self.inventory_dir / name) for name in FILES)
        if self._cache is None or self._cache[0] != stamp:
            self._cache = (stamp, load_inventory(self.inventory_dir))
        return self._cache[1]


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:  # missing, a loop, a parent that is a file: the loader says which
        return 0


def app_context(ctx: typer.Context) -> AppContext:
    """The ``AppContext`` stored by the root callback."""
    obj = ctx.find_root().obj
    assert isinstance(obj, AppContext)
    return obj
