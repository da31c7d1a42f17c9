"""``bwauto raise --request ID``: the case file decides what may be raised, and records it.

Before anything is read from or typed on a router, the request must be decided CAN (SOP step
8) for the link and the rate given (``--link`` and ``--to`` default to the request's);
otherwise the raise is refused with exit 2 and a line naming the command that is missing.
A ``--dry-run`` changes nothing and is allowed at any time. After the raise, its evidence and
the link's monitoring registration are attached to the request: step 8 is then recorded by
itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bwauto.cli.output import console
from bwauto.errors import UsageError
from bwauto.i18n import one_of

if TYPE_CHECKING:
    from bwauto.case.register import Register
    from bwauto.cli.context import AppContext


def _target_text(up: int | None, down: int) -> str:
    from bwauto.rates import format_rate

    return format_rate(down) if up is None else f"{format_rate(up)}/{format_rate(down)}"


def checked_request(
    app: AppContext, request: str, links: list[str], to: str | None, dry_run: bool
) -> tuple[list[str], str]:
    """The links and target of a raise for ``request``, refused unless it was decided CAN.

    Raises:
        CaseError: no such request; StepOrderError: not decided CAN (names the missing command).
        UsageError: another link or rate than the request's.
    """
    from bwauto.case.register import Register
    from bwauto.change.runner import parse_target

    reg = Register.in_state_dir(app.state_dir)
    case = reg.get(request)
    if links and links != [case.link_id]:
        raise UsageError(one_of(
            f"permohonan {request} untuk link {case.link_id!r}, bukan {', '.join(links)}",
            f"request {request} is for link {case.link_id!r}, not {', '.join(links)}",
        ))  # fmt: skip
    up, down = reg.requested(request)
    asked = _target_text(up, down)
    if not dry_run:
        reg.check(request, "change", 8, {})  # not CAN yet: refused before any router
        analysis = reg.state(request).latest.get("analysis")
        _same_rate_as_analysed(request, analysis.data["summary"] if analysis else {}, up, down)
    if to is not None and parse_target(to) != (up, down):
        raise UsageError(one_of(
            f"--to {to}: {request} memohon {asked} (UP/DOWN; satu nilai berarti unduh) dan "
            f"diputuskan untuk itu; naikkan ke {asked}, atau daftarkan permohonan baru",
            f"--to {to}: {request} asks {asked} (UP/DOWN; one rate is the download) and was "
            f"decided for that; raise it to {asked}, or register a new request",
        ))  # fmt: skip
    return [case.link_id], to or asked


def _same_rate_as_analysed(
    request: str, summary: dict[str, Any], up: int | None, down: int
) -> None:
    """The decision was taken on the analysed rate: a form changed since then is refused."""
    analysed = summary.get("requested_mbps")
    analysed_up = summary.get("requested_up_mbps")
    if analysed is None:
        return
    if round(float(analysed) * 1e6) != down or (
        analysed_up is not None and round(float(analysed_up) * 1e6) != up
    ):
        raise UsageError(one_of(
            f"{request}: analisa menilai nilai lain dari yang dimohonkan sekarang; analisa "
            f"ulang: bwauto analyse --request {request}",
            f"{request}: the analysis judged another rate than the request asks now; analyse "
            f"it again: bwauto analyse --request {request}",
        ))  # fmt: skip


def attach_raise(app: AppContext, request: str, change_id: str, link: str) -> bool | None:
    """Attach the change's evidence and monitoring registration to the request (step 8).

    Returns:
        Whether step 8 is now complete; ``None`` when nothing was attached (a dry-run, or
        refused before any router).
    """
    from bwauto.case.register import Register
    from bwauto.change.evidence import MONITORING, evidence_path

    path = evidence_path(app.state_dir, change_id, link)
    if not path.is_file():
        return None  # nothing reached the router (refused before): nothing to attach
    evidence = json.loads(path.read_text(encoding="utf-8"))
    if evidence.get("dry_run"):
        return None
    reg = Register.for_office(app.state_dir, app.inventory_dir)  # signed, as commands record
    mon_path = path.with_name(f"{link}{MONITORING}")
    monitoring = _read(mon_path)
    if monitoring is None and evidence.get("outcome") == "no-op":
        monitoring = _register_unchanged(app, change_id, link)
    return _attach(reg, request, evidence, path, monitoring)


def _register_unchanged(app: AppContext, change_id: str, link: str) -> dict[str, Any]:
    """The router already carries the decided rate (raised out of band): the no-op's read-back
    is the evidence of the rate, and the link is (re)registered in monitoring here, as a raise
    that changed it would have done, so that step 8 is complete (registering twice changes
    nothing)."""
    from bwauto.change.execute import register_changed

    (monitored,) = register_changed(app.inventory_dir, app.state_dir, change_id, [link])
    _show_monitoring(monitored.link, monitored.registration)
    return monitored.registration


def _show_monitoring(link: str, registration: dict[str, Any]) -> None:
    from bwauto.i18n import _
    from bwauto.monitoring.said import state_text

    state = state_text(registration)
    console.print(_("monitoring ({backend}): {link} {state}").format(
        backend=registration.get("backend"), link=link, state=state), markup=False)  # fmt: skip


def _read(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def _attach(
    reg: Register, request: str, evidence: dict[str, Any], path: Path,
    monitoring: dict[str, Any] | None,
) -> bool:  # fmt: skip
    from bwauto.case.errors import CaseError
    from bwauto.case.steps import step

    try:
        from bwauto.change.tasks import recorded_by

        rec = reg.attach_change(request, evidence, path, monitoring=monitoring,
                                by=recorded_by(evidence))  # fmt: skip
    except CaseError as exc:
        raise CaseError(
            f"change {evidence.get('change_id')} ended {evidence.get('outcome')!r} on the router "
            f"but is not attached to {request}: {exc}; attach it with: bwauto request change "
            f"{request} --evidence {path}"
        ) from exc
    from bwauto.change.words import outcome_text, rate_text
    from bwauto.i18n import one_of

    state = reg.state(request)
    done = 8 in state.done
    change, outcome = evidence.get("change_id"), outcome_text(str(evidence.get("outcome")))
    rate = rate_text(evidence.get("rate_after"))
    now = one_of(f"; router kini {rate}", f"; the router now {rate}") if rate else ""
    text = one_of(
        f"{request}: {step(8).label('id')} {'dicatat' if done else 'belum lengkap'}: perubahan "
        f"{change} ({outcome}{now}) dilampirkan, catatan ke-{rec.seq}",
        f"{request}: {step(8).label('en')} {'recorded' if done else 'not complete'}: change "
        f"{change} ({outcome}{now}) attached, record {rec.seq}",
    )
    console.print(text, soft_wrap=True, markup=False)
    if not done:
        from bwauto.cli.output import err_console
        from bwauto.cli.request_view_cmd import next_command

        command = next_command(request, 8, state, reg.get(request).link_id)
        err_console.print(one_of(f"lengkapi langkah 8 dengan: {command}",
                                 f"complete step 8 with: {command}"),
                          soft_wrap=True, markup=False)  # fmt: skip
    return done
