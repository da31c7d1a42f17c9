"""``bwauto evidence reconcile``: close what a killed bwauto left ``in-progress``."""

from __future__ import annotations

from typing import Annotated

import typer

from bwauto.cli.context import app_context
from bwauto.cli.output import console

app = typer.Typer(help="Evidence records of changes (SOP step 8).", no_args_is_help=True)


@app.command("reconcile")
def reconcile_cmd(
    ctx: typer.Context,
    router: Annotated[
        list[str], typer.Option("--router", help="Only this router (repeatable); default: all.")
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
) -> int:
    """Close in-progress records a killed bwauto left: read the router, compare, finish or
    restore the change, and say which."""
    from bwauto.change.reconcile import open_records, reconcile
    from bwauto.change.words import reconciled_text
    from bwauto.i18n import _

    app_ctx = app_context(ctx)
    routers = set(router) or None
    if not open_records(app_ctx.state_dir, routers):
        console.print(_("no in-progress evidence: nothing to reconcile"))
        return 0
    done = reconcile(app_ctx.inventory(), app_ctx.inventory_dir, app_ctx.state_dir,
                     app_ctx.secrets_file, routers)  # fmt: skip
    for item in done:
        console.print(reconciled_text(item), markup=False)
    return 0 if all(d.outcome in ("changed", "rolled-back") for d in done) else 1
