"""What every command shares: the inventory and state dirs chosen by the global options."""

from __future__ import annotations

from dataclasses import dataclass
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

    def inventory(self) -> Inventory:
        """Load and validate the inventory (raises ``InventoryError``)."""
        from bwauto.inventory.loader import load_inventory

        return load_inventory(self.inventory_dir)


def app_context(ctx: typer.Context) -> AppContext:
    """The ``AppContext`` stored by the root callback."""
    obj = ctx.find_root().obj
    assert isinstance(obj, AppContext)
    return obj
