"""``bwauto monitor``: put links back into the monitoring system (SOP step 8)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from bwauto.cli.context import AppContext, app_context
from bwauto.cli.output import JsonOption, console, error, print_json

if TYPE_CHECKING:
    from bwauto.credentials import CredentialResolver
    from bwauto.inventory.models import Inventory
    from bwauto.monitoring.base import Registration

app = typer.Typer(
    help="Put OPD links into the monitoring system (Prometheus by default, or Zabbix).",
    no_args_is_help=True,
)
BackendOption = Annotated[
    str | None,
    typer.Option(
        "--backend", "-b", help=r"Monitoring backend \[default: monitoring.yaml, else prometheus]"
    ),
]


def _setup(ctx: typer.Context) -> tuple[AppContext, Inventory, CredentialResolver]:
    from bwauto.credentials import CredentialResolver

    app_ctx = app_context(ctx)
    inventory = app_ctx.inventory()
    creds = CredentialResolver.from_files(app_ctx.secrets_file, inventory.secrets_file)
    return app_ctx, inventory, creds


@app.command("register")
def register(
    ctx: typer.Context,
    link: Annotated[str, typer.Option("--link", "-l", help="Link id (see 'inventory list').")],
    backend: BackendOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register one link with its committed rate as capacity; verify it; safe to repeat."""
    from bwauto.monitoring.runner import register_link

    app_ctx, inventory, creds = _setup(ctx)
    registration = register_link(
        link, inventory, backend, None, app_ctx.state_dir, credentials=creds
    )
    if as_json:
        print_json(registration.to_dict())
    else:
        _show(registration)


@app.command("sync")
def sync(
    ctx: typer.Context,
    every: Annotated[
        bool, typer.Option("--all", help="Every link, not only those failed, new or changed.")
    ] = False,
    backend: BackendOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-register links whose last registration failed, is missing or has an old capacity."""
    from bwauto.errors import MonitoringError
    from bwauto.monitoring.runner import sync_links

    app_ctx, inventory, creds = _setup(ctx)
    result = sync_links(inventory, backend, None, app_ctx.state_dir, every=every, credentials=creds)
    if as_json:
        data: dict[str, Any] = {
            "registrations": [r.to_dict() for r in result.registrations],
            "errors": result.errors,
        }
        print_json(data)
    else:
        for registration in result.registrations:
            _show(registration)
        for link_id, message in result.errors.items():
            error(f"{link_id}: {message}")
        if not result.registrations and not result.errors:
            console.print("nothing to sync: every link is registered with its current capacity")
    if result.errors:
        total = len(result.errors) + len(result.registrations)
        raise MonitoringError(
            f"monitor sync: {len(result.errors)} of {total} links failed; "
            "run 'bwauto monitor sync' again to retry them"
        )


def _show(registration: Registration) -> None:
    what = ", ".join(registration.changes) if registration.changed else "already up to date"
    console.print(
        f"{registration.link_id}: {registration.backend}: {what}", markup=False, soft_wrap=True
    )
    if registration.verification is not None:
        v = registration.verification
        console.print(
            f"  verified in {v.elapsed_s:.1f}s: {v.summary()}", markup=False, soft_wrap=True
        )
