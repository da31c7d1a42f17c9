"""``bwauto lab``: the simulated routers (SSH CLI + SNMP) for the demo, training and tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from bwauto.cli.context import AppContext, app_context
from bwauto.cli.output import JsonOption, console, print_json
from bwauto.errors import LabError

app = typer.Typer(help="The simulated router lab on 127.0.0.1 (the embedded default).")

RoutersOpt = Annotated[
    int | None,
    typer.Option("--routers", help="Simulate N synthetic routers instead of the inventory's."),
]


@app.command("up")
def up(
    ctx: typer.Context,
    routers: RoutersOpt = None,
    links_per_router: Annotated[int, typer.Option(help="With --routers: links per router.")] = 20,
    detach: Annotated[bool, typer.Option("--detach", help="Run in the background.")] = False,
) -> None:
    """Start the lab, write a ready-to-use lab inventory and say where it is.

    The lab simulates --inventory, else ./inventory, else the sample inventory shipped with
    bwauto.
    """
    app_ctx = app_context(ctx)
    if not app_ctx.inventory_given and not (app_ctx.inventory_dir / "hosts.yaml").is_file():
        from bwauto.shipped import sample_inventory

        app_ctx.inventory_dir = sample_inventory()
    if detach:
        _start_detached(app_ctx, routers, links_per_router)
        return
    from bwauto.lab.control import serve_forever

    serve_forever(app_ctx.state_dir, _source(app_ctx, routers, links_per_router), _announce)


@app.command("down")
def down(ctx: typer.Context) -> None:
    """Stop the lab started with ``--detach`` (within 2 s)."""
    from bwauto.lab.control import request

    state_dir = app_context(ctx).state_dir
    pid = _pid(state_dir)
    request(state_dir, {"op": "stop"})
    for _ in range(40):
        if pid is None or not _alive(pid):
            console.print("lab stopped")
            return
        time.sleep(0.05)
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    console.print(f"lab stopped (pid {pid} terminated)")


@app.command("status")
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Routers, ports and active faults of the running lab."""
    from bwauto.lab.control import request

    data = request(app_context(ctx).state_dir, {"op": "status"})
    if as_json:
        print_json(data)
        return
    _announce(data)


@app.command("fault")
def fault(
    ctx: typer.Context,
    router: Annotated[str, typer.Argument(help="Router name.")],
    kind: Annotated[str, typer.Argument(help="Fault: see 'bwauto lab faults'.")],
    arg: Annotated[str | None, typer.Option("--arg", help="The fault's argument.")] = None,
    off: Annotated[bool, typer.Option("--off", help="Switch the fault off.")] = False,
) -> None:
    """Switch a fault on (or off) on one router of the running lab."""
    from bwauto.lab.control import request

    request(app_context(ctx).state_dir,
            {"op": "fault", "router": router, "kind": kind, "arg": arg, "on": not off})  # fmt: skip
    console.print(f"{router}: {kind} {'off' if off else 'on'}")


@app.command("faults")
def faults() -> None:
    """List the faults the lab can inject."""
    from bwauto.lab.faults import FAULTS

    for name, kind in FAULTS.items():
        console.print(f"{name:18} {kind.help}")


def _source(app_ctx: AppContext, routers: int | None, links_per_router: int) -> Any:
    if routers is None:
        return app_ctx.inventory()
    from bwauto.inventory.loader import load_inventory
    from bwauto.lab.inventory_out import synthetic_inventory, write_inventory

    source_dir = app_ctx.state_dir / "lab" / "source"
    write_inventory(source_dir, synthetic_inventory(routers, links_per_router),
                    f"synthetic source for a lab of {routers} routers")  # fmt: skip
    return load_inventory(source_dir)


def _announce(status: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table("router", "platform", "ssh", "snmp", "links", "arch", "faults")
    for r in status["routers"]:
        table.add_row(r["name"], r["platform"], str(r["ssh_port"]), str(r["snmp_port"]),
                      str(r["links"]), _archive(r),
                      ", ".join(r["faults"]) or "-")  # fmt: skip
    console.print(table)
    console.print(f"lab inventory: {status['inventory']}", soft_wrap=True)
    console.print(f"use it with:   bwauto -i {status['inventory']} ...", soft_wrap=True)


def _archive(router: dict[str, Any]) -> str:
    """IOS: whether the router has an ``archive`` (the revert timer's need); else ``-``."""
    if router["platform"] != "cisco_ios":
        return "-"
    return "yes" if router.get("archive") else "no"


def _start_detached(app_ctx: AppContext, routers: int | None, links_per_router: int) -> None:
    from bwauto.lab.control import status_file

    state_dir = app_ctx.state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    if (pid := _pid(state_dir)) is not None and _alive(pid):
        raise LabError(f"a lab is already running (pid {pid}); 'bwauto lab down' stops it")
    status_file(state_dir).unlink(missing_ok=True)
    args = [*_child_python(), "--state-dir", str(state_dir.absolute()),
            "--inventory", str(Path(app_ctx.inventory_dir).absolute()), "lab", "up",
            "--links-per-router", str(links_per_router)]  # fmt: skip
    if routers is not None:
        args += ["--routers", str(routers)]
    log = (state_dir / "lab.log").open("ab")
    proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                            start_new_session=True, env=_child_env())  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if status_file(state_dir).exists():
            _announce(json.loads(status_file(state_dir).read_text()))
            console.print(f"lab running in the background (pid {proc.pid}); stop: bwauto lab down")
            return
        if proc.poll() is not None:
            raise LabError(f"the lab did not start (exit {proc.returncode}); see {log.name}")
        time.sleep(0.1)
    proc.terminate()
    raise LabError(f"the lab did not start within 60 s; see {log.name}")


def _child_python() -> list[str]:
    """``python -P -m bwauto``: ``-P`` keeps the cwd off ``sys.path``, so a ``bwauto/`` folder
    there (a checkout) is not imported as a namespace package instead of bwauto."""
    return [sys.executable, "-P", "-m", "bwauto"]


def _child_env() -> dict[str, str]:
    """This process's environment; when this bwauto was imported from the cwd (a checkout
    run without installing), that dir goes on ``PYTHONPATH`` since ``-P`` drops it."""
    import bwauto

    root = Path(bwauto.__file__).resolve().parent.parent
    env = dict(os.environ)
    if root == Path.cwd().resolve():
        env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _pid(state_dir: Path) -> int | None:
    from bwauto.lab.control import pid_file

    try:
        return int(pid_file(state_dir).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """True while process ``pid`` runs. A zombie has stopped: a detached lab's parent is gone,
    and its new parent (a container's init, or the process that ran ``lab up --detach``) may
    reap it late or never, while ``kill(pid, 0)`` still succeeds."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    if not Path("/proc/self/stat").exists():
        return True  # no procfs: the signal test is all there is
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@app.command("history")
def history(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
    days: Annotated[float, typer.Option(help="How many days, ending now.")] = 7,
    step: Annotated[int, typer.Option(help="Seconds between samples.")] = 300,
    growth: Annotated[
        str, typer.Option(help="Linear demand growth per week, e.g. 2% (a known trend).")
    ] = "0%",
    start_level: Annotated[
        str, typer.Option(help="Demand at the start, as a share of the model's: 50%.")
    ] = "100%",
    until: Annotated[
        str | None, typer.Option(help=r"End of the history, ISO 8601 \[default: now].")
    ] = None,
) -> None:
    """Write the lab links' counter history as CSV for 'bwauto samples import'."""
    from bwauto.analysis.window import check_span, parse_time
    from bwauto.errors import UsageError
    from bwauto.files import check_output_path
    from bwauto.lab.cli import make_router
    from bwauto.lab.history import write_history
    from bwauto.lab.snmp.demand import Growth
    from bwauto.lab.specs import LabSecrets, router_specs
    from bwauto.rates import parse_share

    if not days > 0:
        raise UsageError(f"--days {days:g}: give a positive number of days")
    check_span(days * 86_400, "--days")
    check_output_path(out, "--out")
    inventory = app_context(ctx).inventory()
    routers = [make_router(spec) for spec in router_specs(inventory, LabSecrets.generate())]
    trend = Growth(parse_share(start_level, "--start-level"), parse_share(growth, "--growth"))
    end = time.time() if until is None else parse_time(until, now=time.time(), what="--until")
    write_history(routers, out, days, end, step, trend)
    console.print(f"{out}: {days:g} days of {len(inventory.links)} links every {step} s")
