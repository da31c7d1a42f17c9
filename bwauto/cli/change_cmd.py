"""``bwauto raise`` and ``bwauto rollback`` — SOP step 8: add the bandwidth as requested."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from bwauto.cli.context import AppContext, app_context
from bwauto.cli.output import console, err_console
from bwauto.errors import UsageError
from bwauto.i18n import _

if TYPE_CHECKING:
    from bwauto.change.evidence import EvidenceRecord
    from bwauto.change.execute import Execution
    from bwauto.change.operator import Operator
    from bwauto.change.plan import Plan
    from bwauto.change.runner import HeadroomCheck, RouterSessions, RunOutcome

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
ByOpt = Annotated[
    str | None,
    typer.Option("--by", help="Who does the change (evidence, documents) \\[default: "
                 "$BWAUTO_OPERATOR, else the engineer assigned at step 4 of --request, else "
                 "office.yaml's operator, else the OS user]"),
]  # fmt: skip
ForceOpt = Annotated[
    bool,
    typer.Option("--force", help="Proceed despite drift, too little upstream headroom or a silent "
                 "SNMP agent (before and after the change: SNMP post-checks 'skipped (forced)')."),
]  # fmt: skip
PrepareArchiveOpt = Annotated[
    bool,
    typer.Option("--prepare-archive", help="IOS without a configuration archive: add 'archive' / "
                 "'path flash:bwauto-archive' (shown in the diff) so the revert timer can guard "
                 "the change."),
]  # fmt: skip
NoConfirmOpt = Annotated[
    bool,
    typer.Option("--no-confirm", help="Apply WITHOUT a commit-confirm guard (recorded as such)."),
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
    force: ForceOpt = False,
    allow_decrease: Annotated[
        bool, typer.Option("--allow-decrease", help="Allow a target below the current rate.")
    ] = False,
    prepare_archive: PrepareArchiveOpt = False,
    no_confirm: NoConfirmOpt = False,
    by: ByOpt = None,
) -> int:
    """Raise the shaper of one or more links: diff first, then apply with commit-confirm."""
    from bwauto.change.execute import plan_raise
    from bwauto.change.plan import ChangeOptions

    _one_guard_choice(prepare_archive, no_confirm)
    app = app_context(ctx)
    if request is not None:  # the case decides, before any router is touched
        from bwauto.cli.raise_request import checked_request

        link, to = checked_request(app, request, link, to, dry_run)
    if to is None:
        raise UsageError(_("raise: give --to RATE (or --request ID)"))
    from bwauto.rates import refuse_bare_numbers

    refuse_bare_numbers(to, "--to")  # a rate with no unit is refused as ambiguous ("150M?")
    options = ChangeOptions(dry_run=dry_run, force=force, allow_decrease=allow_decrease,
                            confirm_timeout_s=confirm_timeout, request=request,
                            prepare_archive=prepare_archive, no_confirm=no_confirm,
                            operator=_operator(app, by, request))  # fmt: skip
    plan = plan_raise(app.inventory(), app.state_dir, link, opd, to, options, _headroom(app))
    if "/" not in to:  # said once the target is valid: an error stays one line
        err_console.print(
            _("--to {rate}: the download; the upload stays as it is (UP/DOWN for both)").format(
                rate=to
            )
        )
    code = _execute(app, plan, yes)
    from bwauto.cli.raise_request import attach_raise

    if request is not None and attach_raise(app, request, plan.change_id, link[0]) is False:
        from bwauto.monitoring.base import EXIT_NOT_MONITORED

        if code == 0:  # on the router, but step 8 incomplete (monitoring): as the hand raise
            return EXIT_NOT_MONITORED
    return code


def rollback(
    ctx: typer.Context,
    change: Annotated[str, typer.Option("--change", help="CHANGE_ID to undo.")],
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    force: ForceOpt = False,
    prepare_archive: PrepareArchiveOpt = False,
    no_confirm: NoConfirmOpt = False,
    by: ByOpt = None,
) -> int:
    """Put the links of a past change back to their rates before it."""
    from bwauto.change.execute import plan_rollback
    from bwauto.change.plan import ChangeOptions

    _one_guard_choice(prepare_archive, no_confirm)
    app = app_context(ctx)
    options = ChangeOptions(force=force, prepare_archive=prepare_archive, no_confirm=no_confirm,
                            operator=_operator(app, by))  # fmt: skip
    plan = plan_rollback(app.inventory(), app.state_dir, change, dry_run, options)
    return _execute(app, plan, yes)


def _one_guard_choice(prepare_archive: bool, no_confirm: bool) -> None:
    if prepare_archive and no_confirm:
        raise UsageError(
            _("give --prepare-archive (guarded) or --no-confirm (unguarded), not both")
        )


def _operator(app: AppContext, by: str | None, request: str | None = None) -> Operator:
    """``operator_for``, its remarks on stderr."""
    from bwauto.change.operator import operator_for

    operator, said = operator_for(app.inventory_dir, app.state_dir, by, request)
    for line in said:
        err_console.print(line, markup=False, soft_wrap=True)
    return operator


def _execute(app: AppContext, plan: Plan, yes: bool) -> int:
    """Run the plan; a bug ends as one line naming a crash log, never as a traceback."""
    from bwauto.change.crash import crash_log
    from bwauto.errors import BwautoError

    try:
        return _execute_plan(app, plan, yes)
    except (BwautoError, KeyboardInterrupt):
        raise
    except Exception as exc:
        log = crash_log(app.state_dir, exc)
        raise InternalError(
            _("internal error ({kind}); crash log: {log}").format(kind=type(exc).__name__, log=log)
        ) from None


class InternalError(UsageError):
    """A bug: reported in one line with the crash log's path (exit 1)."""

    exit_code = 1


def _execute_plan(app: AppContext, plan: Plan, yes: bool) -> int:
    from bwauto.change.execute import execute
    from bwauto.change.interrupt import EXIT_INTERRUPTED

    if not plan.options.dry_run:
        _reconcile(app, set(plan.by_router))

    def approve(preview: RunOutcome, diffs: dict[str, str]) -> bool:
        _show_diffs(preview)
        return yes or _ask(len(diffs))

    from bwauto.change.probe import snmp_probe
    from bwauto.change.runner import RouterSessions

    # one probe and one SSH session per router, from the preview to the apply (logged out on
    # leaving)
    with (
        snmp_probe(app.inventory(), app.secrets_file, app.state_dir) as probe,
        RouterSessions(
            app.inventory_dir, app.state_dir, probe, app.secrets_file, inventory=app.inventory()
        ) as sessions,
    ):

        def run(plan: Plan, write: bool, expected: dict[str, str] | None) -> RunOutcome:
            return _run(sessions, plan, write_evidence=write, expected_diffs=expected)

        done = execute(plan, app.inventory_dir, app.state_dir, run, approve, _finishing)
    if plan.options.dry_run:
        _show_diffs(done.preview)
    if done.outcome is None:
        err_console.print(_("nothing changed: not confirmed"))
        return 1
    _show_changed_since_preview(done.outcome)
    _show_after_apply(done)
    _show_table(done.outcome)
    _show_errors(done.outcome)
    if done.interrupted:
        said = _interrupted_summary(done.outcome, plan.options.dry_run)
        err_console.print(f"{_('interrupted')}: {said}")
        return EXIT_INTERRUPTED
    return _monitoring_exit(done) if done.ok else 1


def _finishing() -> None:
    """Said at once when Ctrl-C (or SIGTERM) arrives after the routers were changed."""
    from bwauto.change.interrupt import finishing_text

    err_console.print(finishing_text(), markup=False)


def _monitoring_exit(done: Execution) -> int:
    """0, or 3 when the router change is done but a link's monitoring registration failed
    (a script tells it from 1, a router failure: only ``bwauto monitor sync`` is left to do)."""
    from bwauto.monitoring.base import EXIT_NOT_MONITORED

    failed = [m.link for m in done.monitoring if not m.ok]
    if not failed:
        return 0
    err_console.print(_("the router change is done; only monitoring failed for {links}: run "
                        "'bwauto monitor sync' (exit 3)").format(links=", ".join(failed)),
                      markup=False)  # fmt: skip
    return EXIT_NOT_MONITORED


def _reconcile(app: AppContext, routers: set[str] | None) -> list[str]:
    """Close what a killed bwauto left ``in-progress`` on these routers; one line each."""
    from bwauto.change.reconcile import open_records, reconcile
    from bwauto.change.words import reconciled_text

    if not open_records(app.state_dir, routers):
        return []
    done = reconcile(app.inventory(), app.inventory_dir, app.state_dir, app.secrets_file, routers)
    for item in done:
        err_console.print(f"{_('reconciled')}: {reconciled_text(item)}", markup=False)
    return [item.outcome for item in done]


def _show_errors(outcome: RunOutcome) -> None:
    """One line per link that did not end well, in the chosen language (the raw session
    error stays in the evidence)."""
    from bwauto.change.words import error_text, outcome_text

    for r in outcome.records:
        if r.outcome in ("failed", "refused", "rolled-back", "interrupted"):
            why = "; ".join(map(error_text, r.errors)) or _failed_checks(r) or _("see the evidence")
            where = _("{link} on {router}").format(link=r.link, router=r.router)
            err_console.print(f"{where}: {outcome_text(r.outcome)}: {why}", markup=False)


def _interrupted_summary(outcome: RunOutcome, dry_run: bool = False) -> str:
    if dry_run:  # it only read the routers: none was changed, none was put back
        return _("a dry-run changes nothing: every router is as it was")
    states = {r.outcome for r in outcome.records}
    if states <= {"interrupted", "rolled-back", "no-op", "refused"}:
        return _("no change was kept; every router is on its pre-change config (see the evidence)")
    from bwauto.change.words import outcome_text

    said = ", ".join(f"{r.link}: {outcome_text(r.outcome)}" for r in outcome.records)
    return f"{said} ({_('see the evidence')})"


def _run(
    sessions: RouterSessions, plan: Plan, write_evidence: bool = True,
    expected_diffs: dict[str, str] | None = None,
) -> RunOutcome:  # fmt: skip
    from rich.progress import Progress

    with Progress(console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        sessions.progress = (bar, bar.add_task(_("routers"), total=len(plan.by_router)))
        try:
            return sessions.run(plan, write_evidence, expected_diffs)
        finally:
            sessions.progress = None


def _ask(count: int) -> bool:
    """The question, with Ctrl-C working as usual while it waits (it declines, interrupted)."""
    import signal

    from bwauto.change.interrupt import STOP

    sigs = (signal.SIGINT, signal.SIGTERM)  # SIGTERM too: a flag would not stop the prompt
    previous = {sig: signal.signal(sig, signal.default_int_handler) for sig in sigs}
    try:
        return _confirm(count)
    except (KeyboardInterrupt, typer.Abort):
        STOP.set()
        return False
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _confirm(count: int) -> bool:
    if not sys.stdin.isatty():
        raise UsageError(
            _("no terminal to confirm on: review with --dry-run, then run again with --yes")
        )
    return typer.confirm(_("Apply these {count} change(s)?").format(count=count), default=False)


def _show_after_apply(done: Execution) -> None:
    """The committed rates written to the inventory, and the links back in monitoring
    (SOP step 8); a monitoring failure says how to retry it."""
    if not done.updated:
        return
    console.print(_("inventory: committed rate updated for {links}").format(
        links=", ".join(done.updated)))  # fmt: skip
    from bwauto.i18n import translator
    from bwauto.monitoring.said import state_text
    from bwauto.monitoring.wording import summary_text

    for m in done.monitoring:
        state = state_text(m.registration)
        console.print(_("monitoring ({backend}): {link} {state}").format(
            backend=m.registration.get("backend"), link=m.link, state=state)
            + f": {summary_text(m.registration, translator())}", markup=False)  # fmt: skip
        if not m.ok:
            err_console.print(_("retry with: {command}").format(
                command=f"bwauto monitor register --link {m.link}"))  # fmt: skip


def _headroom(app: AppContext) -> HeadroomCheck:
    from bwauto.change.headroom import headroom_check

    return headroom_check(app.inventory(), app.state_dir)


def _show_diffs(outcome: RunOutcome) -> None:
    """The diff of every link that would change, coloured on a terminal, never truncated."""
    from bwauto.platforms.base import NOT_SHAPED

    for record in outcome.records:
        if record.diff and record.outcome == "dry-run":
            where = (_("diff computed by the device") if record.diff_source == "device"
                     else _("diff computed by bwauto: running vs intended"))  # fmt: skip
            unshaped = [d for d, v in (record.shaped or {}).items() if v == NOT_SHAPED]
            note = "".join(f"; {_(_WORD[d])} {_(NOT_SHAPED)}" for d in unshaped)
            console.print(f"[bold]{record.router} / {record.link}[/] ({where}{note})")
            _print_diff(record.diff)


def _print_diff(diff: str) -> None:
    """A diff on stdout: coloured and wrapped by the terminal (never cut), or as is."""
    from rich.text import Text

    if console.is_terminal:
        for line in diff.splitlines():
            console.print(Text(line, style=_DIFF_STYLE.get(line[:1], "")), soft_wrap=True)
    else:
        sys.stdout.write(diff)


def _show_changed_since_preview(outcome: RunOutcome) -> None:
    """The new diff of every link refused because its config changed after the preview."""
    from bwauto.change.task import CONFIG_AS_PREVIEWED

    for record in outcome.records:
        if any(c.name == CONFIG_AS_PREVIEWED and not c.ok for c in record.checks):
            err_console.print(_("{router} / {link}: the running config changed since the diff "
                                "was shown; nothing applied; the diff now:").format(
                router=record.router, link=record.link), markup=False)  # fmt: skip
            _print_diff(record.diff or _("(none: the link is already at the target)") + "\n")


_WORD = {"up": "upload", "down": "download"}
_DIFF_STYLE = {"+": "green", "-": "red", "@": "bold magenta"}


def _show_table(outcome: RunOutcome) -> None:
    """One row per link: outcome, rates, and what failed; on a terminal a table folded to its
    width, in a file or a pipe one line per link (a 100-link dry-run was 2,273 lines of
    one word each at rich's 80 columns)."""
    from bwauto.change.words import error_text, outcome_text, rate_text

    header = [_("link"), _("router"), _("outcome"), _("before"), _("after"), _("details")]
    rows = [[r.link, r.router, outcome_text(r.outcome), rate_text(r.rate_before), _after_text(r),
             "; ".join(map(error_text, r.errors)) or _failed_checks(r)]
            for r in outcome.records]  # fmt: skip
    if not console.is_terminal:
        from bwauto.cli.output import plain_table

        sys.stdout.write(f"{outcome.change_id}\n{plain_table(header, rows)}\n")
        return
    from rich.table import Table

    table = Table(title=outcome.change_id)
    for i, name in enumerate(header[:3]):
        # ids are never cut: as wide as the longest, whatever the terminal's width
        table.add_column(name, no_wrap=True, min_width=max((len(r[i]) for r in rows), default=4))
    for name in header[3:]:
        table.add_column(name, overflow="fold")  # long words folded, never ellipsized
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _after_text(record: EvidenceRecord) -> str:
    """The rates after the change; in a dry-run, the target it would set, said as such."""
    from bwauto.change.words import rate_text

    if record.rate_after or record.outcome != "dry-run" or not record.target:
        return rate_text(record.rate_after)
    return _("{rates} (if applied)").format(rates=rate_text(record.target))


def _failed_checks(record: EvidenceRecord) -> str:
    from bwauto.change.words import error_text

    failed = error_text("; ".join(f"{c.name}: {c.detail}" for c in record.checks if not c.ok))
    forced = failed and record.outcome in ("changed", "dry-run")
    return _("forced past: {checks}").format(checks=failed) if forced else failed
