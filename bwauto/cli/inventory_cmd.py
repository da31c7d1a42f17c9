"""``bwauto inventory``: check and list the inventory (serves every SOP step)."""

from __future__ import annotations

from typing import Any

import typer

from bwauto.cli.context import app_context
from bwauto.cli.output import JsonOption, console, print_json
from bwauto.rates import format_rate

app = typer.Typer(help="Check and list the inventory of routers, OPD links and upstreams.")


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Validate every inventory file, office.yaml and allowed_signers; list every problem with
    file, line, host/link and field."""
    from bwauto.inventory.loader import check_inventory

    inv = check_inventory(app_context(ctx).inventory_dir)
    console.print(
        f"inventory OK: {len(inv.routers)} routers, {len(inv.links)} links, "
        f"{len(inv.upstreams)} upstreams ({inv.directory})"
    )


@app.command("list")
def list_links(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the OPD links: link, OPD, router, platform, interface, committed rate, upstream."""
    inv = app_context(ctx).inventory()
    rows: list[dict[str, Any]] = [
        {
            "link": link.id,
            "opd": link.opd,
            "router": link.router,
            "platform": inv.routers[link.router].platform,
            "interface": link.interface,
            "committed_up_bps": link.committed.up,
            "committed_down_bps": link.committed.down,
            "upstream": link.upstream,
        }
        for link in inv.links.values()
    ]
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("link", "OPD", "router", "platform", "interface", "committed up/down", "upstream")
    for r in rows:
        rate = f"{format_rate(r['committed_up_bps'])}/{format_rate(r['committed_down_bps'])}"
        table.add_row(r["link"], r["opd"], r["router"], r["platform"], r["interface"], rate,
                      r["upstream"])  # fmt: skip
    console.print(table)
