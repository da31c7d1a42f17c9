"""``bwauto raise`` and ``bwauto rollback`` — SOP step 8: add the bandwidth as requested."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from bwauto.cli.context import AppContext, app_context
from bwauto.cli.output import console, err_console
from bwauto.errors import RateError, UsageError

if TYPE_CHECKING:
    from bwauto.change.evidence import EvidenceRecord
    from bwauto.change.plan import Plan
    from bwauto.change.runner import HeadroomCheck, RunOutcome

LinkOpt = Annotated[list[str], typer.Option("--link", "-l", help="Link id (repeatable).")]
OpdOpt = Annotated[str | None, typer.Option("--opd", help="Every link of this OPD.")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Read and diff only; change nothing on any router.")
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking (scripts).")]
RequestOpt = Annotated[str | None, typer.Option("--request", help="Request id (register).")]


def raise_(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Target rate: DOWN (e.g. 150M) or UP/DOWN.")],
    link: LinkOpt = [],  # noqa: B006 - typer reads the default, never mutates it
    opd: OpdOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    request: RequestOpt = None,
    confirm_timeout: Annotated[
        int, typer.Option("--confirm-timeout", help="Seconds before an unconfirmed change reverts.")
    ] = 120,
    force: Annotated[
        bool, typer.Option("--force", help="Proceed despite drift or too little upstream headroom.")
    ] = False,
    allow_decrease: Annotated[
        bool, typer.Option("--allow-decrease", help="Allow a target below the current rate.")
    ] = False,
) -> int:
    """Raise the shaper of one or more links: diff first, then apply with commit-confirm."""
    from bwauto.change.plan import ChangeOptions
    from bwauto.change.runner import make_plan, record_refusal

    app = app_context(ctx)
    options = ChangeOptions(dry_run=dry_run, force=force, allow_decrease=allow_decrease,
                            confirm_timeout_s=confirm_timeout, request=request)  # fmt: skip
    inventory = app.inventory()
    try:
        plan = make_plan(inventory, link, opd, to, options, _headroom(app))
    except (UsageError, RateError) as exc:
        record_refusal(app.state_dir, link, exc, options)
        raise
    return _execute(app, plan, yes)


def rollback(
    ctx: typer.Context,
    change: Annotated[str, typer.Option("--change", help="CHANGE_ID to undo.")],
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
) -> int:
    """Put the links of a past change back to their rates before it."""
    from bwauto.change.rollback import rollback_plan

    app = app_context(ctx)
    plan = rollback_plan(app.inventory(), app.state_dir, change, dry_run)
    return _execute(app, plan, yes)


def _execute(app: AppContext, plan: Plan, yes: bool) -> int:
    from bwauto.change.runner import preview_plan

    if plan.options.dry_run:
        outcome = _run(app, plan)
        _show_diffs(outcome)
        _show_table(outcome)
        return 0 if outcome.ok else 1
    preview = _run(app, preview_plan(plan), write_evidence=False)
    _show_diffs(preview)
    diffs = {r.link: r.diff for r in preview.records if r.outcome == "dry-run"}
    if not diffs:
        outcome = _run(app, plan)  # records the no-ops and refusals as evidence
        _show_table(outcome)
        return 0 if outcome.ok else 1
    if not yes and not _confirm(len(diffs)):
        _decline(app, plan, diffs)
        return 1
    outcome = _run(app, plan, expected_diffs=diffs)
    _after_apply(app, outcome)
    _show_table(outcome)
    return 0 if outcome.ok else 1


def _run(
    app: AppContext, plan: Plan, write_evidence: bool = True,
    expected_diffs: dict[str, str] | None = None,
) -> RunOutcome:  # fmt: skip
    from rich.progress import Progress

    from bwauto.change.probe import snmp_probe
    from bwauto.change.runner import run_plan

    probe = snmp_probe(app.inventory(), app.secrets_file)
    with Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task_id = bar.add_task("routers", total=len(plan.by_router))
        return run_plan(plan, app.inventory_dir, app.state_dir, probe, app.secrets_file,
                        progress=(bar, task_id), write_evidence=write_evidence,
                        expected_diffs=expected_diffs)  # fmt: skip


def _confirm(count: int) -> bool:
    if not sys.stdin.isatty():
        raise UsageError(
            "no terminal to confirm on: review with --dry-run, then run again with --yes"
        )
    return typer.confirm(f"Apply these {count} change(s)?", default=False)


def _decline(app: AppContext, plan: Plan, diffs: dict[str, str]) -> None:
    from bwauto.change.evidence import EvidenceRecord, write_evidence

    for router, plans in plan.by_router.items():
        for lp in plans:
            if lp.link.id in diffs:
                record = EvidenceRecord(
                    change_id=plan.change_id, link=lp.link.id, router=router, platform="",
                    dry_run=False, request=plan.options.request, diff=diffs[lp.link.id],
                    outcome="declined", errors=["the operator did not confirm"],
                )  # fmt: skip
                write_evidence(app.state_dir, record)
    err_console.print("nothing changed: not confirmed")


def _after_apply(app: AppContext, outcome: RunOutcome) -> None:
    """Committed rates into the inventory, then the links back into monitoring (SOP step 8).

    A monitoring failure is recorded and reported, never undoes the raise.
    """
    from bwauto.change.evidence import write_monitoring
    from bwauto.change.runner import update_inventory
    from bwauto.monitoring.runner import register_after_change

    updated = update_inventory(app.inventory_dir, outcome)
    if not updated:
        return
    console.print(f"inventory: committed rate updated for {', '.join(updated)}")
    inventory = app.inventory()
    for link_id in updated:
        result = register_after_change(inventory.links[link_id], inventory, app.state_dir)
        write_monitoring(app.state_dir, outcome.change_id, link_id, result)
        state = "registered" if result.get("ok") else "NOT registered"
        console.print(f"monitoring ({result.get('backend')}): {link_id} {state}: "
                      f"{result.get('detail', '')}")  # fmt: skip
        if not result.get("ok"):
            err_console.print(f"retry with: bwauto monitor register --link {link_id}")


def _headroom(app: AppContext) -> HeadroomCheck:
    from bwauto.change.headroom import headroom_check

    return headroom_check(app.inventory(), app.state_dir)


def _show_diffs(outcome: RunOutcome) -> None:
    """The diff of every link that would change, coloured on a terminal."""
    from rich.syntax import Syntax

    for record in outcome.records:
        if record.diff and record.outcome == "dry-run":
            where = "device" if record.diff_source == "device" else "bwauto: running vs intended"
            console.print(f"[bold]{record.router} / {record.link}[/] (diff computed by {where})")
            if console.is_terminal:
                console.print(Syntax(record.diff, "diff", theme="ansi_dark", word_wrap=True,
                                     background_color="default"))  # fmt: skip
            else:
                sys.stdout.write(record.diff)


def _show_table(outcome: RunOutcome) -> None:
    """One row per link: outcome, rates, and what failed."""
    from rich.table import Table

    table = Table(
        "link", "router", "outcome", "before", "after", "details", title=outcome.change_id
    )
    for r in outcome.records:
        table.add_row(r.link, r.router, r.outcome, _rate(r.rate_before), _rate(r.rate_after),
                      "; ".join(r.errors) or _failed_checks(r))  # fmt: skip
    console.print(table)


def _rate(rate: dict[str, int | None] | None) -> str:
    from bwauto.rates import format_rate

    if not rate:
        return "-"
    return "/".join(format_rate(v) if v else "-" for v in (rate.get("up"), rate.get("down")))


def _failed_checks(record: EvidenceRecord) -> str:
    failed = "; ".join(f"{c.name}: {c.detail}" for c in record.checks if not c.ok)
    return (
        f"forced past: {failed}" if failed and record.outcome in ("changed", "dry-run") else failed
    )
