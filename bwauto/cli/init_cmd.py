"""``bwauto init DIR``: a starter deployment for a real office (inventory, office.yaml,
holidays, playbooks)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bwauto.cli.output import console


def init(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="New or empty folder.")],
) -> int:
    """Write a starter deployment: a commented inventory, office.yaml, holidays, playbooks."""
    from bwauto.i18n import _
    from bwauto.init import init_deployment

    written = init_deployment(directory)
    for path in written:
        console.print(_("wrote {path}").format(path=path), soft_wrap=True, markup=False)
    inventory = directory / "inventory"
    console.print(
        _("next: edit {path}/*.yaml for your routers, links and office, then {command}").format(
            path=inventory, command=f"bwauto -i {inventory} inventory check"
        ),
        soft_wrap=True,
        markup=False,
    )
    return 0
