"""``bwauto demo``: one request through all 14 steps of the SOP, against the lab, in one folder.

The folder is the demo's state dir; everything the demo makes stays in it::

    <folder>/lab/inventory/            the lab inventory (the raise updates its links.yaml)
    <folder>/lab-history-7d.csv        7 days of the lab links' counters, imported (step 6)
    <folder>/samples.sqlite ...        the sample store
    <folder>/register.sqlite           the request register (hash-chained records)
    <folder>/cases/<ID>/               the DOCX documents; analisa/ holds the CSV, XLSX, PNG
    <folder>/evidence/<CHANGE_ID>/     the change's evidence (and its monitoring registration)
    <folder>/monitoring/prometheus/    the Prometheus files the link was registered in
    <folder>/<ID>.zip                  ``request export``: everything of the case

The walk: the lab starts on the sample inventory (simulated routers on 127.0.0.1); the history
is written and imported; the request is registered (step 1); the playbooks run it:
``permohonan-disposisi.yaml`` (2–5), ``kenaikan-bandwidth.yaml`` first as a dry-run (the
analysis, the decision and the diff, nothing recorded or changed), then for real (6, 8, 9,
10), and ``permohonan-tinjauan.yaml`` (11–14); then the case is verified and exported. The lab
stops at the end, also on an error or Ctrl-C.
"""

from __future__ import annotations

import datetime as dt
import shlex
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bwauto.errors import BwautoError, UsageError
from bwauto.i18n import _
from bwauto.playbooks.runner import PlayReport, Reporter

if TYPE_CHECKING:
    from bwauto.lab.runner import Lab

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
PLAYBOOKS = ("permohonan-disposisi.yaml", "kenaikan-bandwidth.yaml", "permohonan-tinjauan.yaml")


class DemoError(BwautoError):
    """A step of the demo failed (exit 1); the files made so far stay in the folder."""

    exit_code = 1


@dataclass(frozen=True)
class DemoRequest:
    """The request the demo walks: who asks for what, and the people who handle it.

    ``staff`` is the engineer the Kasi assigns at step 4; he does the raise (``raise`` takes
    the step-4 engineer as its operator) and must be in office.yaml's ``team`` so that his NIP
    and position fill the Berita Acara. ``kasi``, ``kabid`` and ``kadis`` left blank are
    office.yaml's signatories (``with_office``), so that every document and the register
    name the same people."""

    opd: str = "Dinas Kesehatan"
    link: str = "dinkes"
    rate: str = "150M"
    purpose: str = "SIMRS, rekam medis elektronik dan telekonsultasi puskesmas"
    contact: str = "Rudi Hartono"
    contact_position: str = "Kepala Seksi Data dan Sistem Informasi Kesehatan"
    contact_phone: str = "+62 778 460001"
    staff: str = "Budi Santoso"
    kasi: str = ""
    kabid: str = ""
    kadis: str = ""

    def with_office(self, inventory_dir: Path) -> DemoRequest:
        """The blank signatories filled from ``<inventory_dir>/office.yaml``."""
        from dataclasses import replace

        from bwauto.case.office import load_office

        signatories = load_office(inventory_dir).signatories
        return replace(self, **{role: getattr(self, role) or getattr(signatories, role).name
                                for role in ("kasi", "kabid", "kadis")})  # fmt: skip


@dataclass
class DemoResult:
    """What the demo made, and where."""

    folder: Path
    case_id: str = ""
    lab_inventory: Path | None = None
    history: Path | None = None
    imported: int = 0
    reports: list[PlayReport] = field(default_factory=list)
    verified: bool = False
    records: int = 0
    export: Path | None = None
    seconds: float = 0.0

    def files(self) -> dict[str, list[Path]]:
        """What is where: a label → the files, for the summary."""
        case = self.folder / "cases" / self.case_id
        return {
            _("documents (DOCX)"): sorted(case.glob("*.docx")),
            _("analysis (CSV, XLSX, chart)"): sorted(
                p for p in case.glob("analisa*/*") if p.is_file()
            ),
            _("change evidence (JSON)"): sorted((self.folder / "evidence").glob("*/*.json")),
            _("monitoring (Prometheus files, ledger)"): sorted(
                p for p in (self.folder / "monitoring").rglob("*") if p.is_file()
            ),
            _("request register (SQLite)"): sorted(self.folder.glob("register.sqlite")),
            _("lab history (CSV)"): [self.history] if self.history else [],
            _("lab inventory"): [self.lab_inventory] if self.lab_inventory else [],
            _("case export (zip)"): [self.export] if self.export else [],
        }


def new_folder(base: Path, now: dt.datetime | None = None) -> Path:
    """A new dated folder under ``base`` (``20260304-091500``, ``-2`` if taken)."""
    stamp = f"{(now or dt.datetime.now(WIB)):%Y%m%d-%H%M%S}"
    folder, n = base / stamp, 2
    while folder.exists():
        folder, n = base / f"{stamp}-{n}", n + 1
    folder.mkdir(parents=True)
    return folder


def find_playbooks(candidates: list[Path]) -> Path:
    """The first folder holding the demo's playbooks.

    Raises:
        UsageError: none does.
    """
    for folder in candidates:
        if all((folder / name).is_file() for name in PLAYBOOKS):
            return folder
    where = ", ".join(str(c) for c in candidates)
    raise UsageError(f"the playbooks {', '.join(PLAYBOOKS)} are not in {where}: pass "
                     "--playbooks DIR")  # fmt: skip


def default_playbook_dirs() -> list[Path]:
    """The playbooks shipped inside the package (``bwauto.shipped``)."""
    from bwauto.shipped import playbooks_dir

    return [playbooks_dir()]


@contextmanager
def running_lab(source_inventory: Path, folder: Path) -> Iterator[Lab]:
    """The lab of ``source_inventory`` with ``folder`` as its state dir, stopped on exit."""
    from bwauto.inventory.loader import load_inventory
    from bwauto.lab.runner import Lab

    lab = Lab(load_inventory(source_inventory), folder)
    lab.start()  # its inventory carries the office's letterhead and signatories
    try:
        yield lab
    finally:
        lab.stop()


def run_demo(
    folder: Path,
    source_inventory: Path,
    playbooks: Path,
    reporter: Reporter,
    stage: Callable[[str], None],
    request: DemoRequest | None = None,
) -> DemoResult:
    """Walk one request through the SOP against a lab started for it, in ``folder``.

    Args:
        folder: an empty folder: the state dir and home of every file made.
        source_inventory: the inventory the lab simulates (the sample one).
        playbooks: the folder with the shipped playbooks.
        reporter: shows the playbooks' progress.
        stage: shows a line for each stage outside the playbooks.
        request: the request to walk (default ``DemoRequest()``).

    Raises:
        DemoError: a playbook step failed, or the case does not verify.
        BwautoError: the lab, the inventory or the history could not be used.
    """
    start = time.monotonic()
    result = DemoResult(folder)
    with running_lab(source_inventory, folder) as started:
        result.lab_inventory = started.inventory_dir
        req = (request or DemoRequest()).with_office(started.inventory_dir)
        run_as = f"bwauto -i {started.inventory_dir} --state-dir {folder} ..."
        stage(_("lab: {n} simulated routers on 127.0.0.1; the commands below run as: {run_as}")
              .format(n=len(started.routers), run_as=run_as))  # fmt: skip
        _history(started, folder, result, stage)
        result.case_id = _register(folder, started.inventory_dir, req)
        stage(_("step 1: {opd} asks {rate} on {link}: request {case}").format(
            opd=req.opd, rate=req.rate, link=req.link, case=result.case_id))  # fmt: skip
        for name, dry_run in [(PLAYBOOKS[0], False), (PLAYBOOKS[1], True), (PLAYBOOKS[1], False),
                              (PLAYBOOKS[2], False)]:  # fmt: skip
            overrides = _vars(name, result.case_id, req)
            stage(command_line(_shown_playbook(playbooks, name), overrides, dry_run))
            report = _play(playbooks / name, overrides, dry_run, started.inventory_dir, folder,
                           reporter)  # fmt: skip
            result.reports.append(report)
        _verify_and_export(folder, started.inventory_dir, result, stage)
    result.seconds = time.monotonic() - start
    return result


def command_line(playbook: Path, overrides: Mapping[str, str], dry_run: bool) -> str:
    """The ``bwauto play`` command that does the same, for the terminal.

    Examples:
        >>> command_line(Path("playbooks/x.yaml"), {"request": "KB-1", "who": "Budi S"}, True)
        "bwauto play playbooks/x.yaml -e request=KB-1 -e 'who=Budi S' --dry-run"
    """
    args = ["bwauto", "play", str(playbook)]
    for key, value in overrides.items():
        args += ["-e", f"{key}={value}"]
    return shlex.join(args + (["--dry-run"] if dry_run else []))


def _shown_playbook(playbooks: Path, name: str) -> Path:
    """A shipped playbook by its name alone (``bwauto play`` finds it), else its path."""
    from bwauto.shipped import playbooks_dir

    return Path(name) if playbooks.resolve() == playbooks_dir().resolve() else playbooks / name


def _history(lab: Lab, folder: Path, result: DemoResult, stage: Callable[[str], None]) -> None:
    from bwauto.inventory.loader import load_inventory
    from bwauto.lab.history import write_history
    from bwauto.store.importer import import_history
    from bwauto.store.samples import SampleStore, store_path

    path = write_history(lab.routers.values(), folder / "lab-history-7d.csv", 7, time.time())
    links = set(load_inventory(lab.inventory_dir).links)
    with SampleStore(store_path(folder), create=True) as store:
        result.imported = import_history(store, path, links, tz=WIB)
    result.history = path
    stage(_("samples import {file}: {n} samples, 7 days of {links} links").format(
        file=path.name, n=result.imported, links=len(links)))  # fmt: skip


def _register(folder: Path, inventory_dir: Path, req: DemoRequest) -> str:
    from bwauto.case.register import Register
    from bwauto.rates import parse_rate

    today = dt.datetime.now(WIB).date()
    return Register.for_office(folder, inventory_dir).new(
        opd=req.opd,
        letter_no=f"400.7/{today:%m%d}/DINKES/{today:%Y}",
        letter_date=today,
        link_id=req.link,
        rate_bps=parse_rate(req.rate),
        purpose=req.purpose,
        by=req.contact,
    )


def _vars(playbook: str, case_id: str, req: DemoRequest) -> dict[str, str]:
    if playbook == PLAYBOOKS[0]:
        return {"request": case_id, "staf": req.staff, "contact_name": req.contact,
                "contact_position": req.contact_position, "contact_phone": req.contact_phone,
                "purpose": req.purpose, "kadis": req.kadis, "kabid": req.kabid,
                "kasi": req.kasi}  # fmt: skip
    if playbook == PLAYBOOKS[1]:
        return {"request": case_id, "link": req.link, "rate": req.rate, "team_name": req.staff,
                "opd_name": req.contact, "opd_position": req.contact_position,
                # the demo has no scheduled poller: it polls right after the raise, 5 times
                # 3 s apart, and judges the first 12 s after the change
                "outcome_after": "12s", "outcome_poll": "ya"}  # fmt: skip
    return {"request": case_id, "kasi": req.kasi, "kabid": req.kabid, "kadis": req.kadis}


def _play(
    path: Path, overrides: Mapping[str, str], dry_run: bool, inventory_dir: Path,
    state_dir: Path, reporter: Reporter,
) -> PlayReport:  # fmt: skip
    from bwauto.playbooks import load_playbook, load_tasks, plan, run

    validated = plan(load_playbook(path), load_tasks(), dict(overrides), dry_run)
    report = run(validated, dry_run=dry_run, inventory_dir=inventory_dir, state_dir=state_dir,
                 reporter=reporter)  # fmt: skip
    if report.failed:
        failed = report.failed[0]
        raise DemoError(_("{file}: step {index} ({name}) failed: {why}").format(
            file=path.name, index=failed.index, name=failed.name,
            why=failed.result.message))  # fmt: skip
    return report


def _verify_and_export(
    folder: Path, inventory_dir: Path, result: DemoResult, stage: Callable[[str], None]
) -> None:
    from bwauto.case.chain import export, verify
    from bwauto.case.register import Register

    reg = Register.for_office(folder, inventory_dir)
    case = reg.get(result.case_id)
    report = verify(case, allowed=reg.allowed)
    result.records, result.verified = report.records, report.ok
    if not report.ok:
        raise DemoError(f"request verify {case.id}: {'; '.join(map(str, report.problems))}")
    stage("request verify " + _("{case}: OK, {n} records, chain and files intact").format(
        case=case.id, n=report.records))  # fmt: skip
    result.export = export(case, folder / f"{case.id}.zip")
    stage(f"request export {case.id}: {result.export}")
