"""Playbook task of SOP step 8: ``monitor_register`` — put a link (back) into monitoring.

``bwauto monitor register --link ID [--backend NAME]`` as a task: the link's committed rate
(read from the inventory now, so after a raise it is the new one) becomes its capacity in the
backend, which verifies it where it can. Registering twice changes nothing. A failure is
recorded (``monitor sync`` retries it) and fails the step; it never touches a router.

With ``request`` the request must be for that link; outside a dry-run the registration is
attached to it (``Register.attach_monitoring``) unless step 8 is already complete — the raise
attaches the registration it made with its change — and the SOP's order is checked before
anything is registered. A dry-run registers nothing: it says whether the link's last
registration with that backend is missing, failed or holds another capacity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from bwauto.errors import UsageError
from bwauto.i18n import _
from bwauto.playbooks.registry import TaskContext, TaskResult, task
from bwauto.rates import format_rate

if TYPE_CHECKING:
    from bwauto.case.register import Register
    from bwauto.inventory.models import Inventory, Link


class MonitorParams(BaseModel):
    """Parameters of ``monitor_register``."""

    model_config = ConfigDict(extra="forbid")

    link: str
    backend: str | None = None
    request: str | None = None


@task("monitor_register", MonitorParams, "SOP step 8: put a link (back) into monitoring")
def monitor_register(params: MonitorParams, ctx: TaskContext) -> TaskResult:
    """Register the link with its committed rate as capacity; attach it to the request."""
    from bwauto.inventory.loader import load_inventory
    from bwauto.monitoring.links import find_link
    from bwauto.monitoring.runner import register_after_change

    inventory = load_inventory(ctx.inventory_dir)
    link = find_link(inventory, params.link)
    reg, attach = _request(ctx, params.request, link.id)
    if ctx.dry_run:
        return _dry_run(ctx, inventory, link, params.backend)
    summary = register_after_change(link, inventory, ctx.state_dir, backend_name=params.backend)
    if reg is not None and params.request is not None and attach:
        reg.attach_monitoring(params.request, summary)
        ctx.log(
            _("{request}: monitoring registration attached (step 8)").format(request=params.request)
        )
    return _result(link, summary)


def _request(ctx: TaskContext, request: str | None, link: str) -> tuple[Register | None, bool]:
    """The register and whether to attach: the request must be for ``link``; outside a dry-run
    the SOP's order must allow a monitoring record, unless step 8 is already complete."""
    if request is None:
        return None, False
    from bwauto.case.register import Register

    reg = Register.for_office(ctx.state_dir, ctx.inventory_dir)
    case = reg.get(request)
    if case.link_id != link:
        raise UsageError(f"request {request} is for link {case.link_id!r}, not {link!r}")
    if ctx.dry_run:
        return reg, False
    if 8 in reg.state(request).done:
        ctx.log(
            _("{request}: step 8 already holds the registration made with the change").format(
                request=request
            )
        )
        return reg, False
    reg.check(request, "monitoring", 8, {})
    return reg, True


def _capacity(link: Link) -> str:
    return f"{format_rate(link.committed.up)}/{format_rate(link.committed.down)}"


def _dry_run(ctx: TaskContext, inventory: Inventory, link: Link, backend: str | None) -> TaskResult:
    from bwauto.credentials import CredentialResolver
    from bwauto.monitoring.base import backend_names
    from bwauto.monitoring.links import monitored_link
    from bwauto.monitoring.runner import load_records
    from bwauto.monitoring.settings import load_settings

    name = backend or load_settings(inventory.directory, ctx.state_dir).backend
    if name not in backend_names():
        known = ", ".join(backend_names()) or "none"
        raise UsageError(
            _("unknown monitoring backend {name!r} (installed: {known})").format(
                name=name, known=known
            )
        )
    monitored_link(inventory, link, CredentialResolver.from_files(None, inventory.secrets_file))
    last = load_records(ctx.state_dir).get(link.id, {}).get(name)
    capacity = {"up": link.committed.up, "down": link.committed.down}
    data = {"link": link.id, "backend": name, "capacity": capacity}
    if last and last.get("ok") and last.get("capacity") == capacity:
        return TaskResult.ok(
            _("{link}: already in {backend} at {capacity}").format(
                link=link.id, backend=name, capacity=_capacity(link)
            ),
            data,
        )
    return TaskResult.would_change(
        _(
            "{link}: would register in {backend} with its committed rate as capacity (the "
            "inventory's now: {capacity})"
        ).format(link=link.id, backend=name, capacity=_capacity(link)),
        data,
    )


def _result(link: Link, summary: dict[str, Any]) -> TaskResult:
    backend = summary.get("backend", "?")
    detail = summary.get("detail", "")
    if not summary.get("ok"):
        return TaskResult.failed(
            _(
                "{link}: NOT registered in {backend}: {detail}; retry with bwauto monitor register "
                "--link {link}"
            ).format(link=link.id, backend=backend, detail=detail),
            summary,
        )
    from bwauto.monitoring.said import state_text

    state = state_text(summary)  # as the hand raise and the documents say it
    if summary.get("changed"):
        return TaskResult.changed(
            _("{link}: in {backend} at {capacity}: {state}").format(
                link=link.id, backend=backend, capacity=_capacity(link), state=state
            )
            + f": {detail}",
            summary,
        )
    return TaskResult.ok(
        _("{link}: already in {backend} at {capacity}: {state}").format(
            link=link.id, backend=backend, capacity=_capacity(link), state=state
        ),
        summary,
    )
