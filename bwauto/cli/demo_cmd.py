"""``bwauto demo``: the whole SOP for one request against the lab; every file in one folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bwauto.cli.context import app_context
from bwauto.cli.output import console, err_console
from bwauto.errors import BwautoError, UsageError
from bwauto.i18n import _

if TYPE_CHECKING:
    from bwauto.demo import DemoResult

DirOpt = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help=r"Folder for every file the demo makes; new or empty \[default: a new dated "
        r"folder under ./bwauto-demo/]",
    ),
]
PlaybooksOpt = Annotated[
    Path | None,
    typer.Option(
        "--playbooks", help=r"Folder with the demo's playbooks \[default: the shipped ones]"
    ),
]


def demo(ctx: typer.Context, folder: DirOpt = None, playbooks: PlaybooksOpt = None) -> int:
    """Start the lab and walk one request through all 14 SOP steps with the playbooks:
    analysis, decision, dry-run diff, raise, monitoring, documents, reviews, verify, export.

    The lab simulates the sample inventory shipped with bwauto (or --inventory DIR); the
    demo's folder is its state dir (--state-dir is not used). Works from any directory. The
    lab stops at the end, on error or Ctrl-C.
    """
    from bwauto.demo import default_playbook_dirs, find_playbooks, new_folder, run_demo
    from bwauto.playbooks.progress import RichReporter
    from bwauto.shipped import sample_inventory

    app = app_context(ctx)
    source = app.inventory_dir if app.inventory_given else sample_inventory()
    if not (source / "hosts.yaml").is_file():
        raise UsageError(_("no inventory in {path}: no hosts.yaml there").format(path=source))
    found = find_playbooks([playbooks] if playbooks else default_playbook_dirs())
    target = _fresh(folder) if folder else new_folder(Path("bwauto-demo"))
    console.print("[bold]bwauto demo[/]: " + _("every file goes to {path}").format(
        path=f"[bold]{target}[/]"))  # fmt: skip
    try:
        result = run_demo(target, source, found, RichReporter(console), _stage)
    except KeyboardInterrupt:
        err_console.print(_("interrupted: the lab is stopped; the files so far are in {path}")
                          .format(path=target))  # fmt: skip
        raise typer.Exit(130) from None
    except BwautoError:
        err_console.print(
            _("the lab is stopped; the files so far are in {path}").format(path=target)
        )
        raise
    _summary(result)
    return 0


def _fresh(folder: Path) -> Path:
    from bwauto.files import check_output_dir

    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(_("--dir {path}: not an empty folder; the demo needs a fresh one")
                         .format(path=folder))  # fmt: skip
    check_output_dir(folder, "--dir", publish=False)  # holds the demo's keys and secrets
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stage(text: str) -> None:
    from rich.markup import escape

    console.print(f"[bold blue]==>[/] {escape(text)}")


def _summary(result: DemoResult) -> None:
    """What is where, relative to the demo's folder, and how it ended."""
    from rich.markup import escape

    where = _("What is where (in {path}):").format(path=escape(str(result.folder)))
    console.print(f"\n[bold]{where}[/]")
    for label, paths in result.files().items():
        console.print(f"  [bold]{escape(label)}[/] ({len(paths)})")
        for line in _shown(paths, result.folder):
            console.print(f"    {escape(line)}")
    console.print(
        "[green]OK[/]: "
        + _(
            "{case} walked through all 14 steps and closed; verify OK ({n} records); {seconds} s."
        ).format(case=result.case_id, n=result.records, seconds=f"{result.seconds:.0f}")
    )


def _shown(paths: list[Path], folder: Path) -> list[str]:
    """Each file relative to ``folder``; for more than six, their folders."""
    rel = [str(p.relative_to(folder)) if p.is_relative_to(folder) else str(p) for p in paths]
    if len(rel) <= 6:
        return rel
    return sorted({f"{Path(r).parent}/" for r in rel})
