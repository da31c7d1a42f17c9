"""The ``bwauto`` console script: global options, verb groups, and errors as one line.

``main(argv)`` returns the exit code: 0 success, 1 a device or task failed, 2 invalid input
or usage. Only a bug shows a traceback.
"""

from __future__ import annotations

import contextlib
import copy
import os
import sys
import time
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from bwauto import __version__
from bwauto.cli import (
    analysis_cmd,
    change_cmd,
    demo_cmd,
    evidence_cmd,
    forecast_cmd,
    init_cmd,
    inventory_cmd,
    lab_cmd,
    monitor_cmd,
    play_cmd,
    request_cmd,
)
from bwauto.cli.context import AppContext
from bwauto.cli.output import error
from bwauto.errors import BwautoError
from bwauto.files import forget_outputs, publish_outputs
from bwauto.paths import (
    caller_umask,
    check_state_dir_writable,
    default_inventory_dir,
    default_state_dir,
    prepare_state_dir,
    private_umask,
    state_group,
    state_umask,
)

app = typer.Typer(
    name="bwauto",
    help=(
        "Network automation for SOP 04/SOP/Kominfo-PE/10/2018, Permohonan Kenaikan Bandwidth "
        "(Dinas Kominfo Kota Batam): analyse an OPD link, raise its shaper, monitor, document."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(inventory_cmd.app, name="inventory")
app.add_typer(lab_cmd.app, name="lab")
app.add_typer(analysis_cmd.samples_app, name="samples")
app.command("poll")(analysis_cmd.poll)
app.command("analyse")(analysis_cmd.analyse)
app.command("forecast")(forecast_cmd.forecast)
app.command("raise")(change_cmd.raise_)
app.command("rollback")(change_cmd.rollback)
app.add_typer(evidence_cmd.app, name="evidence")
app.add_typer(monitor_cmd.app, name="monitor")
app.add_typer(request_cmd.app, name="request")
app.command("play")(play_cmd.play)
app.command("demo")(demo_cmd.demo)
app.command("init")(init_cmd.init)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bwauto {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    inventory: Annotated[
        Path | None,
        typer.Option(
            "--inventory", "-i", help="Inventory dir (default: $BWAUTO_INVENTORY or ./inventory)"
        ),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            help="State dir: samples, evidence, register, lab (default: $BWAUTO_STATE_DIR, "
            "else $XDG_STATE_HOME/bwauto or ~/.local/state/bwauto)",
        ),
    ] = None,
    secrets: Annotated[
        str | None,
        typer.Option("--secrets", help="Secrets file, mode 0600 (default: $BWAUTO_SECRETS)"),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help=r"Language of documents, XLSX, charts and case output: id or en "
            r"\[default: $BWAUTO_LANG, else id]",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Global options shared by every command (``ctx.obj`` on entry: whether the command
    writes the state dir, as ``_run`` found it in the arguments)."""
    from bwauto.i18n import set_lang

    writes = ctx.obj is True
    ctx.obj = AppContext(
        inventory_dir=inventory or default_inventory_dir(),
        state_dir=state_dir or default_state_dir(),
        secrets_file=secrets,
        lang=set_lang(lang),
        inventory_given=inventory is not None or bool(os.environ.get("BWAUTO_INVENTORY")),
    )
    group = state_group(ctx.obj.inventory_dir)
    os.umask(state_umask(group))  # every file bwauto creates: 0600, or 0640 for the team
    ctx.obj.created_dirs = tuple(prepare_state_dir(ctx.obj.state_dir, group))
    if writes:  # before any router is contacted or any work is done
        check_state_dir_writable(ctx.obj.state_dir)
    # files asked for by path (--out, --csv, --out-dir...) outside the state dir: user's umask
    forget_outputs()
    ctx.call_on_close(partial(publish_outputs, caller_umask(), ctx.obj.state_dir, time.time()))


def main(argv: list[str] | None = None) -> int:
    """Run bwauto with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    from bwauto.change.interrupt import sigterm_as_sigint

    args = sys.argv[1:] if argv is None else argv
    umask = private_umask()
    try:
        with sigterm_as_sigint():  # SIGTERM, from the start: one line, exit 130, as Ctrl-C
            return _run(args)
    finally:
        os.umask(umask)  # main() may be called in-process (tests, scripts)


def _run(args: list[str]) -> int:
    from bwauto.i18n import _, reset

    try:
        _early_lang(args)
        from bwauto.cli.plain_help import plain

        command = interruptible(plain(typer.main.get_command(app_for(args))))
        writes = writes_state(args, command)
        result = command.main(args=args, prog_name="bwauto", standalone_mode=False, obj=writes)
    except BwautoError as exc:
        from bwauto.messages import localize

        error(localize(str(exc)))  # the library's English, said in the chosen language
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        error(_("aborted"))
        return 1
    except (KeyboardInterrupt, _Interrupted):
        error(_("interrupted"))
        return 130
    except typer.TyperException as exc:  # usage errors: unknown command, bad option value
        error(usage_line(exc))
        return int(getattr(exc, "exit_code", 2))
    finally:
        reset()  # the next in-process call chooses again (tests run many)
    return result if isinstance(result, int) else 0


class _Interrupted(Exception):
    """A ``KeyboardInterrupt`` (Ctrl-C, SIGTERM) out of a command: typer would turn it into a
    silent exit 130."""


def interruptible(command: Any) -> Any:
    """``command`` (a click group) whose ``invoke`` raises ``_Interrupted`` where it had a
    ``KeyboardInterrupt``, so that ``_run`` says so in one line; returns ``command``."""
    invoke = command.invoke

    def invoke_interruptible(ctx: Any) -> Any:
        try:
            return invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None

    command.invoke = invoke_interruptible
    return command


COMPLETE_VAR = "_BWAUTO_COMPLETE"
"""Set by the shell completion scripts (click's ``_{PROG}_COMPLETE``)."""


def app_for(args: list[str]) -> typer.Typer:
    """``app`` with only the command ``args`` name: building the parameters of every command
    (type hints, signatures) took about 30 ms of each run. The whole ``app`` for the root's
    help (asked before any command), shell completion, or a name that is not a command (so
    that click says so as it would, with its suggestions)."""
    if COMPLETE_VAR in os.environ:
        return app
    name = first_command(args, typer.main.get_command(_only(app, None)))
    only = _only(app, name) if name is not None else app
    return only if only.registered_commands or only.registered_groups else app


def _only(typer_app: typer.Typer, name: str | None) -> typer.Typer:
    """A copy of ``typer_app`` (root options and callback) with only the command ``name``."""
    part = copy.copy(typer_app)
    part.registered_commands = [c for c in typer_app.registered_commands if c.name == name]
    part.registered_groups = [g for g in typer_app.registered_groups if g.name == name]
    return part


READS_ONLY = frozenset({
    ("inventory",), ("init",), ("demo",), ("forecast",), ("lab", "down"), ("lab", "status"),
    ("lab", "fault"), ("lab", "faults"), ("lab", "history"), ("monitor", "settings"),
})  # fmt: skip
"""Commands that write nothing in the state dir (``demo`` writes in a dir of its own): they
run with a state dir that cannot be written; every other one is refused up front (``request``
reads open the register, which makes it when it is not there)."""


def writes_state(args: list[str], root: Any) -> bool:
    """Whether the command ``args`` name (``root``: the click group) writes the state dir: not
    a help screen, nor one of ``READS_ONLY``.

    Examples:
        >>> root = typer.main.get_command(app)
        >>> writes_state(["--lang", "en", "poll", "--all"], root)
        True
        >>> writes_state(["lab", "status"], root), writes_state(["inventory", "check"], root)
        (False, False)
        >>> writes_state(["raise", "--help"], root), writes_state(["request"], root)
        (False, False)
    """
    from typer._click import Context

    at = _command_at(args, root)
    if at is None or set(args) & set(root.get_help_option_names(Context(root))):
        return False
    name = args[at]
    if getattr(getattr(root, "commands", {}).get(name), "commands", None):  # a group
        sub = next((a for a in args[at + 1 :] if not a.startswith("-")), None)
        return sub is not None and not {(name,), (name, sub)} & READS_ONLY
    return (name,) not in READS_ONLY


def first_command(args: list[str], root: Any) -> str | None:
    """The command ``args`` name as click parses them past the options of ``root`` (a click
    group); None when none is named, or when the root's help is asked before it.

    Examples:
        >>> root = typer.main.get_command(_only(app, None))
        >>> first_command(["-i", "inv", "--lang=en", "inventory", "check"], root)
        'inventory'
        >>> first_command(["-iinv", "--version", "raise", "--help"], root)
        'raise'
        >>> first_command(["--help", "raise"], root), first_command(["--lang", "en"], root)
        (None, None)
    """
    at = _command_at(args, root)
    return None if at is None else args[at]


def _command_at(args: list[str], root: Any) -> int | None:
    """The index in ``args`` of the command they name (``first_command``)."""
    from typer._click import Context

    takes_value = {o for p in root.params if not getattr(p, "is_flag", True) for o in p.opts}
    helps = set(root.get_help_option_names(Context(root)))
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return i + 1 if i + 1 < len(args) else None
        if arg in helps:
            return None
        if not arg.startswith("-") or arg == "-":
            return i
        i += 2 if arg in takes_value else 1
    return None


def _early_lang(args: list[str]) -> None:
    """Choose ``--lang`` before Click parses: a usage error (an unknown command) is raised
    before the root callback would choose it. A bad value is left for the callback to refuse."""
    from bwauto.i18n import set_lang

    for i, arg in enumerate(args):
        value = args[i + 1] if arg == "--lang" and i + 1 < len(args) else None
        if arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        if value is not None:
            with contextlib.suppress(BwautoError):
                set_lang(value)
            return


def usage_line(exc: typer.TyperException) -> str:
    """A usage error as one line that points at the command's help (not Click's 3 lines)."""
    from bwauto.i18n import _
    from bwauto.messages import usage_text

    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "bwauto"
    message = usage_text(" ".join(exc.format_message().split()).rstrip("."))
    return _("{message} (see '{command} --help')").format(message=message, command=command)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
