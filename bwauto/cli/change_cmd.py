"""``bwauto raise`` and ``bwauto rollback`` — SOP step 8: add the bandwidth as requested."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from bwauto.cli.context import AppContext, app_context
from bwauto.cli.output import console, err_console
from bwauto.errors import UsageError

if TYPE_CHECKING:
    from bwauto.change.evidence import EvidenceRecord
    from bwauto.change.execute import Execution
    from bwauto.change.plan import Plan
    from bwauto.change.runner import HeadroomCheck, RunOutcome
    from bwauto.change.task import SnmpProbe

LinkOpt = Annotated[list[str], typer.Option("--link", "-l", help="Link id (repeatable).")]
OpdOpt = Annotated[str | None, typer.Option("--opd", help="Every link of this OPD.")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Read and diff only; change nothing on any router.")
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking (scripts).")]
RequestOpt = Annotated[
    str | None,
    typer.Option("--request", help="Request id: raised only if decided CAN; step 8 recorded."),
]


def raise_(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", help=r"Target rate: DOWN (e.g. 150M) or UP/DOWN \[default: the request's]"
        ),
    ] = None,
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
    from bwauto.change.execute import plan_raise
    from bwauto.change.plan import ChangeOptions

    app = app_context(ctx)
    if request is not None:  # the case decides, before any router is touched
        from bwauto.cli.raise_request import attach_raise, checked_request

        link, to = checked_request(app, request, link, to, dry_run)
    if to is None:
        raise UsageError("raise: give --to RATE (or --request ID)")
    from bwauto.rates import refuse_bare_numbers

    refuse_bare_numbers(to, "--to")  # a rate with no unit is refused as ambiguous ("150M?")
    if "/" not in to:
        err_console.print(f"--to {to}: the download; the upload stays as it is (UP/DOWN for both)")
    options = ChangeOptions(dry_run=dry_run, force=force, allow_decrease=allow_decrease,
                            confirm_timeout_s=confirm_timeout, request=request)  # fmt: skip
    plan = plan_raise(app.inventory(), app.state_dir, link, opd, to, options, _headroom(app))
    code = _execute(app, plan, yes)
    if request is not None:
        attach_raise(app, request, plan.change_id, link[0])
    return code


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
    from bwauto.change.execute import execute

    def approve(preview: RunOutcome, diffs: dict[str, str]) -> bool:
        _show_diffs(preview)
        return yes or _confirm(len(diffs))

    from bwauto.change.probe import snmp_probe

    probe = snmp_probe(app.inventory(), app.secrets_file)  # one for the preview and the apply

    def run(plan: Plan, write: bool, expected: dict[str, str] | None) -> RunOutcome:
        return _run(app, plan, probe, write_evidence=write, expected_diffs=expected)

    done = execute(plan, app.inventory_dir, app.state_dir, run, approve)
    if plan.options.dry_run:
        _show_diffs(done.preview)
    if done.outcome is None:
        err_console.print("nothing changed: not confirmed")
        return 1
    _show_after_apply(done)
    _show_table(done.outcome)
    return 0 if done.ok else 1


def _run(
    app: AppContext, plan: Plan, probe: SnmpProbe, write_evidence: bool = True,
    expected_diffs: dict[str, str] | None = None,
) -> RunOutcome:  # fmt: skip
    from rich.progress import Progress

    from bwauto.change.runner import run_plan

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


def _show_after_apply(done: Execution) -> None:
    """The committed rates written to the inventory, and the links back in monitoring
    (SOP step 8); a monitoring failure says how to retry it."""
    if not done.updated:
        return
    console.print(f"inventory: committed rate updated for {', '.join(done.updated)}")
    for m in done.monitoring:
        state = "registered" if m.ok else "NOT registered"
        console.print(f"monitoring ({m.registration.get('backend')}): {m.link} {state}: "
                      f"{m.registration.get('detail', '')}")  # fmt: skip
        if not m.ok:
            err_console.print(f"retry with: bwauto monitor register --link {m.link}")


def _headroom(app: AppContext) -> HeadroomCheck:
    from bwauto.change.headroom import headroom_check

    return headroom_check(app.inventory(), app.state_dir)


def _show_diffs(outcome: RunOutcome) -> None:
    """The diff of every link that would change, coloured on a terminal, never truncated."""
    from rich.text import Text

    for record in outcome.records:
        if record.diff and record.outcome == "dry-run":
            where = "device" if record.diff_source == "device" else "bwauto: running vs intended"
            console.print(f"[bold]{record.router} / {record.link}[/] (diff computed by {where})")
            if console.is_terminal:  # coloured, and wrapped by the terminal: never cut
                for line in record.diff.splitlines():
                    console.print(Text(line, style=_DIFF_STYLE.get(line[:1], "")), soft_wrap=True)
            else:
                sys.stdout.write(record.diff)


_DIFF_STYLE = {"+": "green", "-": "red", "@": "bold magenta"}


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
