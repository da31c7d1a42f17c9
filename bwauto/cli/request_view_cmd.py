"""``bwauto request status|list|verify|export``: follow cases against Mutu Baku, check, export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bwauto.cli.output import JsonOption, console, print_json
from bwauto.cli.request_common import HolidaysOpt, app, holidays, register, say
from bwauto.i18n import gettext as _

if TYPE_CHECKING:
    from bwauto.case.register import Register
    from bwauto.case.timeline import Timeline
    from bwauto.case.workflow import CaseState

CaseId = Annotated[str, typer.Argument(metavar="ID", help="The request, e.g. KB-2026-0001.")]


def _timelines(
    ctx: typer.Context,
    holidays_file: Path | None,
    case_id: str | None,
    opd: str | None = None,
    all_: bool = True,
) -> list[Timeline]:
    from bwauto.case.timeline import timeline

    reg = register(ctx)
    days = holidays(ctx, holidays_file).dates
    now = dt.datetime.now(dt.UTC)
    cases = [reg.get(case_id)] if case_id else reg.cases(opd=opd, open_only=not all_)
    if case_id is None:
        _warn_register(reg)
    return [timeline(c, now, days) for c in cases]


def _warn_register(reg: Register) -> None:
    """A line on stderr for each thing wrong with the register as a whole (a case deleted)."""
    from bwauto.cli.output import err_console
    from bwauto.i18n import one_of

    for problem in reg.register_problems():
        text = one_of(f"peringatan: register: {problem}; periksa: bwauto request verify",
                      f"warning: register: {problem}; check: bwauto request verify")  # fmt: skip
        err_console.print(text, soft_wrap=True, markup=False)


def _when(value: dt.datetime | None) -> str:
    from bwauto.case.mutu_baku import WIB

    return f"{value.astimezone(WIB):%d-%m-%Y %H:%M}" if value else "—"


def _show(tl: Timeline) -> None:
    from rich.markup import escape
    from rich.table import Table

    from bwauto.i18n import _, current, one_of

    req = tl.case.request
    letter = _("letter {number} ({date})").format(
        number=escape(str(req.get("letter_no"))), date=req.get("letter_date"))  # fmt: skip
    console.print(
        f"[bold]{tl.case.id}[/] {escape(tl.case.opd)} — link {tl.case.link_id}, "
        f"{tl.case.rate_bps / 1e6:g} Mbps — {letter}: {escape(str(req.get('purpose')))}"
    )
    table = Table(
        _("step"),
        _("done (WIB)"),
        _("by"),
        _("working days"),
        _("status"),
        caption=_("Mutu Baku: 1 working day per step"),
    )
    for e in tl.entries:
        t = e.timing
        late = (f"[bold red]{_('OVERDUE')}[/]" if t.overdue
                else (_("running") if t.open else _("on time")))  # fmt: skip
        table.add_row(escape(e.text(current())), _when(t.span.end), escape(e.by),
                      str(t.working_days), late)  # fmt: skip
    console.print(table)
    state = (
        _("closed (step 14)")
        if tl.state.closed
        else _("waiting for step {steps}").format(steps="/".join(map(str, tl.state.next_steps())))
    )
    extra = _(", refused at step 7") if tl.state.refused else ""
    say(_("status: {state}{extra}; overdue: {n} steps").format(
        state=state, extra=extra, n=len(tl.overdue)))  # fmt: skip

    for number in tl.state.next_steps():
        command = next_command(tl.case.id, number, tl.state, tl.case.link_id)
        say(one_of(f"berikutnya, langkah {number}: {command}", f"next, step {number}: {command}"))


def next_command(
    case_id: str, number: int, state: CaseState | None = None, link: str = "LINK"
) -> str:
    """The command that records step ``number`` of ``case_id`` (for step 8: only the part
    still missing, given the case's ``state``).

    Examples:
        >>> next_command("KB-2026-0001", 6)
        'bwauto analyse --request KB-2026-0001'
    """
    from bwauto.case.workflow import CASE_ID, RECORDED_BY, step8_command

    command = RECORDED_BY[number] if state is None or number != 8 else step8_command(state)
    return command.replace(CASE_ID, case_id).replace("LINK", link)


@app.command("status")
def status(
    ctx: typer.Context,
    case_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="The request.")] = None,
    holidays_file: HolidaysOpt = None,
    as_json: JsonOption = False,
) -> None:
    """A request's timeline: each step's time in working days against Mutu Baku (1 day), and
    what is overdue. Without ID: every open request."""
    tls = _timelines(ctx, holidays_file, case_id, all_=False)
    if as_json:
        print_json([t.to_dict() for t in tls] if case_id is None else tls[0].to_dict())
        return
    for tl in tls:
        _show(tl)
    if not tls:
        from bwauto.i18n import _

        say(_("no open request"))


@app.command("list")
def list_cases(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue requests.")] = False,
    opd: Annotated[str | None, typer.Option("--opd", help="Only this OPD (substring).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Closed requests too.")] = False,
    holidays_file: HolidaysOpt = None,
    as_json: JsonOption = False,
) -> None:
    """The requests: id, OPD, link, rate, current step, days in it, overdue."""
    from rich.markup import escape
    from rich.table import Column, Table

    tls = [t for t in _timelines(ctx, holidays_file, None, opd, all_) if t.overdue or not overdue]
    rows = [_row(t) for t in tls]
    if as_json:
        print_json(rows)
        return
    from bwauto.i18n import _

    if not rows:  # an empty table says nothing: say why, and how to see the others
        say(_no_request(overdue, opd, all_))
        return
    ids = Column("id", no_wrap=True, min_width=12)  # ids are never cut; the rest folds
    rest = ["OPD", "link", "Mbps", _("step"), _("working days"), _("overdue")]
    table = Table(ids, *(Column(name, overflow="fold") for name in rest))
    for r in rows:
        table.add_row(
            r["case"],
            escape(r["opd"]),
            r["link_id"],
            f"{r['rate_bps'] / 1e6:g}",
            r["at"],
            str(r["working_days"]),
            _("YES") if r["overdue"] else "",
        )
    console.print(table)


def _no_request(overdue: bool, opd: str | None, all_: bool) -> str:
    """What an empty ``request list`` means, and the option that lists more."""
    from bwauto.i18n import _

    if overdue or opd:
        return _("no request matches (--overdue, --opd): run 'bwauto request list --all' to "
                 "see every request")  # fmt: skip
    if all_:
        return _("no request in the register yet: register one with 'bwauto request new'")
    return _("no open request; closed requests: 'bwauto request list --all'")


def _row(tl: Timeline) -> dict[str, Any]:
    current = tl.current
    from bwauto.i18n import _

    at = _("closed") if tl.state.closed else "/".join(map(str, tl.state.next_steps()))
    return {
        "case": tl.case.id,
        "opd": tl.case.opd,
        "link_id": tl.case.link_id,
        "rate_bps": tl.case.rate_bps,
        "at": at,
        "closed": tl.state.closed,
        "refused": tl.state.refused,
        "working_days": current.timing.working_days if current else 0,
        "overdue": bool(tl.overdue),
        "overdue_steps": [e.label for e in tl.overdue],
    }


@app.command("verify")
def verify(
    ctx: typer.Context,
    case_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="The request [default: every one].")
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option("--against", help="An earlier export (zip): the register must extend it."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check the hash chain of a request's records, its summary, its journal, its signatures
    and its attached files, and that the register still holds every case its journal lists;
    names each record that was edited, removed or reordered (exit 1)."""
    from bwauto.case.errors import IntegrityError
    from bwauto.case.problems_said import problem_text, register_problem_text
    from bwauto.errors import UsageError
    from bwauto.i18n import _

    reg = register(ctx)
    if case_id is None and against is not None:
        raise UsageError("--against needs the request ID the export is of")
    ids = [case_id] if case_id else [c.id for c in reg.cases()]
    reports = [reg.verify(i, against) for i in ids]
    whole = [p for p in reg.register_problems() if p.case not in ids or p.problem != "case-deleted"]
    if as_json:
        doc = [r.to_dict() for r in reports]
        print_json({"cases": doc, "register": [p.to_dict() for p in whole]} if case_id is None
                   else doc[0] | {"register": [p.to_dict() for p in whole]})  # fmt: skip
    for report in [] if as_json else reports:
        if report.ok:
            say(_("{case}: OK, {n} records, chain and files intact").format(
                case=report.case_id, n=report.records))  # fmt: skip
        prefix = "" if case_id else f"{report.case_id} "
        for problem in report.problems:
            say(f"  {prefix}{problem_text(problem)}")
    for whole_problem in [] if as_json else whole:
        say(f"  register: {register_problem_text(whole_problem)}")
    count = sum(len(r.problems) for r in reports) + len(whole)
    if count:
        raise IntegrityError(_("{case}: {n} problem(s) found").format(
            case=case_id or "register", n=count))  # fmt: skip


@app.command("reattach")
def reattach(
    ctx: typer.Context,
    case_id: CaseId,
    file: Annotated[Path, typer.Argument(help="The attached file, as it is now.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it changed (recorded).")],
    by: Annotated[str | None, typer.Option("--by", help="Who records this.")] = None,
) -> None:
    """Record that an attached file changed, and why: until then the case takes no record."""
    rec = register(ctx, by).reattach(case_id, path=file, reason=reason)
    from bwauto.i18n import _

    say(
        _("{case}: {file} attached again (record {seq}): {reason}").format(
            case=case_id, file=file, seq=rec.seq, reason=reason
        )
    )


@app.command("rejournal")
def rejournal(
    ctx: typer.Context,
    case_id: CaseId,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")],
    by: Annotated[str | None, typer.Option("--by", help="Who records this.")] = None,
) -> None:
    """Write the journal line a crash left out after the case's last record (verify says
    journal-behind), and record that it was done: until then the case takes no record."""
    rec = register(ctx, by).rejournal(case_id, reason=reason)
    say(_("{case}: journal line of record {seq} written (record {rec}): {reason}").format(
        case=case_id, seq=rec.data["record"], rec=rec.seq, reason=reason))  # fmt: skip


@app.command("export")
def export(
    ctx: typer.Context,
    case_id: CaseId,
    out: Annotated[
        Path | None, typer.Option("--out", help=r"Zip file \[default: ./ID.zip].")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write a zip with everything of the request: records, verification, documents, charts,
    CSV and evidence files, with their SHA-256."""
    from bwauto.case.chain import export as export_case
    from bwauto.files import check_output_path

    target = check_output_path(out or Path(f"{case_id}.zip"), "--out")
    path = export_case(register(ctx).get(case_id), target)
    if as_json:
        print_json({"request": case_id, "zip": str(path)})
    else:
        from bwauto.i18n import _

        say(_("wrote {path}").format(path=path))
