"""``bwauto monitor``: put links back into the monitoring system (SOP step 8)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bwauto.cli.context import AppContext, app_context
from bwauto.cli.output import JsonOption, console, err_console, error, print_json

if TYPE_CHECKING:
    from bwauto.credentials import CredentialResolver
    from bwauto.inventory.models import Inventory
    from bwauto.monitoring.base import Check, Registration, Verification
    from bwauto.monitoring.runner import SyncResult
    from bwauto.monitoring.settings import MonitoringSettings

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
    creds = CredentialResolver.from_files(
        app_ctx.secrets_file, inventory.secrets_file, inventory.routers
    )
    return app_ctx, inventory, creds


@app.command("register")
def register(
    ctx: typer.Context,
    link: Annotated[str, typer.Option("--link", "-l", help="Link id (see 'inventory list').")],
    backend: BackendOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register one link with its committed rate as capacity; verify it; safe to repeat."""
    from bwauto.change.interrupt import EXIT_INTERRUPTED, stop_on_signals
    from bwauto.errors import MonitoringError
    from bwauto.monitoring.base import VerificationError
    from bwauto.monitoring.runner import last_outcome, load_records, register_link
    from bwauto.monitoring.settings import load_settings

    app_ctx, inventory, creds = _setup(ctx)
    settings = load_settings(inventory.directory, app_ctx.state_dir)
    name = backend or settings.backend
    before = last_outcome(load_records(app_ctx.state_dir).get(link, {}).get(name))
    with stop_on_signals() as stop, _waiting(name, settings) as waiting:
        try:
            registration = register_link(link, inventory, name, settings, app_ctx.state_dir,
                                         credentials=creds, progress=waiting)  # fmt: skip
        except VerificationError as exc:
            if not stop.is_set():
                v = exc.registration.verification
                error(f"{exc.where}: {link}: {unverified_text(v)}" if v else str(exc))
                raise typer.Exit(exc.exit_code) from None
            registration = None
        except MonitoringError:
            if not stop.is_set():
                raise
            registration = None
    if stop.is_set():
        _ = _tr()
        err_console.print(_("interrupted: {link} is in the {backend} files but not verified; "
                            "run 'bwauto monitor register --link {link}'").format(
                                link=link, backend=name), markup=False, soft_wrap=True)  # fmt: skip
        raise typer.Exit(EXIT_INTERRUPTED)
    assert registration is not None
    if as_json:
        print_json(registration.to_dict())
    else:
        _show(registration, before)


@app.command("sync")
def sync(
    ctx: typer.Context,
    every: Annotated[
        bool,
        typer.Option("--all", help="Verify every link, not only those failed, new or changed."),
    ] = False,
    backend: BackendOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make the backend monitor exactly the inventory's links with the current settings.

    Links removed from the inventory are removed; links that failed, are new, have another
    capacity, or were registered under other settings are (re)registered and verified.
    """
    from bwauto.change.interrupt import EXIT_INTERRUPTED, stop_on_signals
    from bwauto.errors import MonitoringError
    from bwauto.monitoring.runner import sync_links
    from bwauto.monitoring.settings import load_settings

    app_ctx, inventory, creds = _setup(ctx)
    settings = load_settings(inventory.directory, app_ctx.state_dir)
    name = backend or settings.backend
    with stop_on_signals() as stop, _waiting(name, settings) as waiting:
        result = sync_links(inventory, name, settings, app_ctx.state_dir, every=every,
                            credentials=creds, progress=waiting)  # fmt: skip
    _ = _tr()
    if as_json:
        data: dict[str, Any] = {
            "changes": list(result.changes),
            "removed": list(result.removed),
            "registrations": [r.to_dict() for r in result.registrations],
            "errors": result.errors,
            "unreachable": list(result.unreachable),
            "skipped": list(result.skipped),
            "interrupted": stop.is_set(),
        }
        print_json(data)
    else:
        _show_sync(result)
    if stop.is_set():
        total = len(inventory.links)
        err_console.print(_("interrupted: files written, {done} of {total} links verified; run "
                            "'bwauto monitor sync' to verify the rest").format(
                                done=result.verified, total=total),
                          markup=False, soft_wrap=True)  # fmt: skip
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.unreachable:
        raise MonitoringError(_("monitor sync: files written, nothing verified; run 'bwauto "
                                "monitor sync' again when the servers answer"))  # fmt: skip
    if result.errors:
        total = len(result.errors) + len(result.registrations)
        raise MonitoringError(
            _("monitor sync: {failed} of {total} links failed; run 'bwauto monitor sync' "
              "again to retry them").format(failed=len(result.errors), total=total)
        )  # fmt: skip


def _tr() -> Callable[[str], str]:
    from bwauto.i18n import translator

    return translator()


def _verify_timeout(name: str, settings: MonitoringSettings) -> float | None:
    section = getattr(settings, name, None)
    timeout = getattr(section, "verify_timeout_s", None)
    url = getattr(section, "url", None)
    return float(timeout) if url and timeout is not None else None


@contextmanager
def _waiting(name: str, settings: MonitoringSettings) -> Iterator[Callable[[str], None]]:
    """Show that a link is being verified: a spinner on a terminal, else a line per link (on
    stderr, so ``--json`` stays clean). Nothing when no server will be waited for."""
    timeout = _verify_timeout(name, settings)
    if timeout is None:
        yield lambda link_id: None
        return
    _ = _tr()
    text = _("{link}: waiting for {backend} to show it (at most {seconds:.0f} s)")
    if not err_console.is_terminal:
        yield lambda link_id: err_console.print(
            text.format(link=link_id, backend=name, seconds=timeout), markup=False,
            soft_wrap=True, highlight=False)  # fmt: skip
        return
    with err_console.status(_("{backend}: writing the files, asking the servers").format(
            backend=name)) as status:  # fmt: skip
        yield lambda link_id: status.update(text.format(link=link_id, backend=name,
                                                        seconds=timeout))  # fmt: skip


def _show_sync(result: SyncResult) -> None:
    from bwauto.messages import localize
    from bwauto.monitoring.wording import change_text

    _ = _tr()
    for change in result.changes:
        console.print(change_text(change, _), markup=False, soft_wrap=True)
    for registration in result.registrations:
        _show(registration, result.before.get(registration.link_id))
    for link_id in result.removed:
        console.print(_("{link}: removed (no longer in the inventory)").format(link=link_id),
                      markup=False)  # fmt: skip
    for line in result.unreachable:
        error(localize(line))
    for link_id, message in result.errors.items():
        if link_id in result.unverified:
            error(f"{link_id}: {unverified_text(result.unverified[link_id])}")
        elif not result.unreachable:
            error(f"{link_id}: {localize(message)}")
    if result.nothing:
        console.print(_("nothing to sync: every link is registered with its current capacity"))


@app.command("settings")
def settings_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every monitoring.yaml key: its value now, its default and what it means."""
    from bwauto.i18n import translator
    from bwauto.monitoring.settings import load_settings
    from bwauto.monitoring.settings_doc import setting_rows

    app_ctx = app_context(ctx)
    settings = load_settings(app_ctx.inventory_dir, app_ctx.state_dir)
    rows = setting_rows(settings)
    if as_json:
        print_json({"file": settings.source, "settings": [vars(r) for r in rows]})
        return
    _ = translator()
    source = settings.source or _("{path} not found: every key has its default").format(
        path=Path(app_ctx.inventory_dir) / "monitoring.yaml"
    )
    console.print(source, markup=False, soft_wrap=True, highlight=False)
    for r in rows:
        default = "" if r.value == r.default else f"  ({_('default')}: {r.default})"
        console.print(f"{r.key}: {r.value}{default}", markup=False, soft_wrap=True,
                      highlight=False)  # fmt: skip
        console.print(f"    {_(r.meaning)}", markup=False, soft_wrap=True, highlight=False)


@app.command("setup")
def setup(
    ctx: typer.Context,
    backend: Annotated[str, typer.Argument(help="prometheus")] = "prometheus",
    as_json: JsonOption = False,
) -> None:
    """Write everything a fresh Prometheus and snmp_exporter need; print how to start them."""
    from bwauto.errors import MonitoringError, UsageError
    from bwauto.monitoring import setup as su
    from bwauto.monitoring.links import monitored_link
    from bwauto.monitoring.prometheus import PrometheusBackend
    from bwauto.monitoring.settings import load_settings

    if backend != "prometheus":
        raise UsageError(f"monitor setup: only 'prometheus' has files to set up, not {backend!r}")
    app_ctx, inventory, creds = _setup(ctx)
    settings = load_settings(inventory.directory, app_ctx.state_dir)
    targets = [monitored_link(inventory, link, creds) for link in inventory.links.values()]
    prom = PrometheusBackend(settings, credentials=creds)
    outcome = prom.sync(targets, reload=False)
    changes = list(outcome.changes)
    try:
        tsdb = su.prepare_tsdb(su.tsdb_dir(app_ctx.state_dir), settings.prometheus.user, prom.gid)
    except OSError as exc:
        raise MonitoringError(
            f"monitor setup: cannot prepare Prometheus's data dir: {exc}"
        ) from None
    changes += [tsdb] if tsdb else []
    prom.defer_reload(changes)  # a running Prometheus loads them at the next register or sync
    _ = _tr()
    warnings = [p for p in [su.group_problem(settings, prom.gid, _)] if p]
    warnings += su.reach_problems(su.parents(settings.prometheus_dir.parent), prom.gid, _)
    cmds = su.commands(settings, app_ctx.state_dir, Path(inventory.directory))
    if as_json:
        print_json({"output_dir": str(settings.prometheus_dir), "changes": changes,
                    "warnings": warnings, "debian": list(cmds.debian),
                    "foreground": list(cmds.foreground), "then": list(cmds.then)})  # fmt: skip
        return
    _show_setup(settings.prometheus_dir, changes, warnings, cmds)


def _show_setup(out: Any, changes: list[str], warnings: list[str], cmds: Any) -> None:
    from bwauto.monitoring.wording import change_text

    _ = _tr()
    group = "; ".join(change_text(c, _) for c in changes) if changes else _("already up to date")
    console.print(f"{out}: {group}", markup=False, soft_wrap=True)
    for warning in warnings:
        err_console.print(_("warning: {text}").format(text=warning), markup=False,
                          soft_wrap=True, highlight=False)  # fmt: skip
    lines = ["", _("On Debian (packages prometheus, prometheus-snmp-exporter):"),
             *[f"  {c}" for c in cmds.debian],
             _("Elsewhere, in the foreground (Prometheus needs --web.enable-lifecycle):"),
             *[f"  {c}" for c in cmds.foreground],
             _("Then, with both running:"), *[f"  {c}" for c in cmds.then]]  # fmt: skip
    for line in lines:
        console.print(line, markup=False, soft_wrap=True, highlight=False)


def _show(registration: Registration, before: str | None = None) -> None:
    """A registration's line, then its verification's. ``before`` ("never", "failed"): how
    its last attempt ended, when that left it unverified (then it is not "up to date")."""
    from bwauto.monitoring.wording import change_text

    _ = _tr()
    v = registration.verification
    if registration.changed:
        unchanged = _("registered")
    elif before == "failed" and v is not None and v.verified:
        unchanged = _("last attempt failed: verifying again")
    elif before == "never" and v is not None and v.verified:
        unchanged = _("not yet verified: verifying")
    else:
        unchanged = _("already up to date")
    what = ", ".join(change_text(c, _) for c in registration.changes) or unchanged
    console.print(
        f"{registration.link_id}: {registration.backend}: {what}", markup=False, soft_wrap=True
    )
    if registration.verification is not None:
        console.print(f"  {verification_line(registration)}", markup=False, soft_wrap=True)


def verification_line(registration: Registration) -> str:
    """What reading the backend back showed, in the chosen language: "verified" only when a
    monitoring server answered, never for files bwauto wrote and read back itself."""
    from bwauto.i18n import translator
    from bwauto.monitoring.wording import translate_check_name, translate_detail

    _ = translator()
    v = registration.verification
    if v is None:
        return _("not verified")

    def show(c: Check) -> str:
        return f"{translate_check_name(c.name, _)}: {translate_detail(c.detail, _)}"

    if v.verified:
        return _("verified in {seconds}s: {checks}").format(
            seconds=f"{v.elapsed_s:.1f}", checks=v.summary(show)
        )
    if v.ok:
        text = _("files written, NOT verified: no {backend} server configured ({key} in {file})")
        return text.format(backend=registration.backend, key=f"{registration.backend}.url",
                           file="monitoring.yaml")  # fmt: skip
    return unverified_text(v)


def unverified_text(v: Verification) -> str:
    """A failed verification in the chosen language: its failed checks, translated."""
    from bwauto.monitoring.wording import translate_check_name, translate_detail

    _ = _tr()

    def show(c: Check) -> str:
        return f"{translate_check_name(c.name, _)}: {translate_detail(c.detail, _)}"

    return _("NOT verified: {checks}").format(checks=v.summary(show))
