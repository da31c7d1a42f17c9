"""``bwauto inventory``: check and list the inventory (serves every SOP step)."""

from __future__ import annotations

from typing import Any

import typer

from bwauto.cli.context import app_context
from bwauto.cli.output import JsonOption, console, print_json
from bwauto.i18n import _
from bwauto.rates import format_rate

app = typer.Typer(help="Check and list the inventory of routers, OPD links and upstreams.")


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Validate every inventory file, office.yaml and allowed_signers; list every problem with
    file, line, host/link and field."""
    from bwauto.inventory.loader import check_inventory

    inv = check_inventory(app_context(ctx).inventory_dir)
    console.print(
        _("inventory OK: {routers} routers, {links} links, {upstreams} upstreams ({path})").format(
            routers=len(inv.routers), links=len(inv.links), upstreams=len(inv.upstreams),
            path=inv.directory,
        ),
        soft_wrap=True,
        markup=False,
    )  # fmt: skip
    _warn_operator_not_in_team(inv.directory)


def _warn_operator_not_in_team(inventory_dir: Any) -> None:
    """A warning (stderr, exit 0) when office.yaml's ``operator`` or ``$BWAUTO_OPERATOR`` is
    not in its team: the Berita Acara would have no NIP or position for that engineer."""
    import os

    from bwauto.case.office import load_office, not_in_team
    from bwauto.change.operator import ENV, office_operator
    from bwauto.cli.output import err_console

    office = load_office(inventory_dir)
    names = {office_operator(inventory_dir) or "", os.environ.get(ENV, "").strip()} - {""}
    for name in sorted(names):
        warning = not_in_team(office, name)
        if warning:
            err_console.print(warning, markup=False, soft_wrap=True)


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
    if console.width < WIDE:
        for line in link_blocks(rows):
            console.print(line, soft_wrap=True, markup=False)
        return
    from rich.table import Table

    table = Table(_("link"), _("OPD"), _("router"), _("platform"), _("interface"),
                  _("committed up/down"), _("upstream"))  # fmt: skip
    for r in rows:
        table.add_row(r["link"], r["opd"], r["router"], r["platform"], r["interface"], _rate(r),
                      r["upstream"])  # fmt: skip
    console.print(table)


WIDE = 120
"""Below this many columns the list is one block of lines per link: ids never cut."""


def _rate(row: dict[str, Any]) -> str:
    return f"{format_rate(row['committed_up_bps'])}/{format_rate(row['committed_down_bps'])}"


def link_blocks(rows: list[dict[str, Any]]) -> list[str]:
    """The list folded for a narrow terminal: every id, name and interface whole."""
    lines = []
    for r in rows:
        lines += [
            f"{r['link']} ({r['opd']})",
            "  " + _("router {router} ({platform}), interface {interface}").format(
                router=r["router"], platform=r["platform"], interface=r["interface"]),
            "  " + _("committed up/down {rate}, upstream {upstream}").format(
                rate=_rate(r), upstream=r["upstream"]),
        ]  # fmt: skip
    return lines
