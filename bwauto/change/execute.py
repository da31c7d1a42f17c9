"""A shaper change from plan to inventory and monitoring: what ``bwauto raise`` / ``rollback``
and the playbook tasks ``raise`` / ``rollback`` all do.

``plan_raise`` → ``execute``:

* a dry-run is one run that reads, diffs and records its evidence (``dry-run``);
* otherwise a preview reads and diffs every router without evidence; when nothing would
  change the plan runs once more to record the no-ops and refusals; else ``approve`` sees the
  diffs (declined: a ``declined`` evidence record per link), and the apply runs on the
  preview's SSH sessions (``RouterSessions``: one per router from the preview to the apply)
  with the preview's diffs as the contract: each link's config is read again just before
  its change, and one that changed in between is refused, its new diff recorded;
* ``after_apply``: the links that changed get their new committed rate in the inventory (one
  read and one write of ``links.yaml`` for all), then go back into monitoring (SOP step 8,
  the backend built and its files written once for all); each registration is written beside
  the evidence. A monitoring failure is recorded and reported, and never undoes the raise.
  SIGINT/SIGTERM then does not stop it (the routers are changed): ``finishing`` says so at
  once, and only the monitoring's waits for its servers end early.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bwauto.change.evidence import EvidenceRecord, write_evidence, write_monitoring
from bwauto.change.interrupt import stop_on_signals, tell_on_stop
from bwauto.change.plan import ChangeOptions, Plan, check_plan
from bwauto.change.runner import (
    HeadroomCheck,
    RouterSessions,
    RunOutcome,
    make_plan,
    preview_plan,
    record_refusal,
    update_inventory,
)
from bwauto.errors import RateError, UsageError
from bwauto.inventory.models import Inventory

RunFn = Callable[[Plan, bool, dict[str, str] | None], RunOutcome]
"""``run(plan, write_evidence, expected_diffs)``: one Nornir run of a plan (the CLI's shows a
progress bar)."""
Approve = Callable[[RunOutcome, dict[str, str]], bool]
"""``approve(preview, diffs)``: shown the preview and its diffs (link → diff), go ahead?"""


@dataclass(frozen=True)
class Monitored:
    """A link put back into monitoring after the change, and where that was recorded."""

    link: str
    registration: dict[str, Any]
    path: Path | None = None

    @property
    def ok(self) -> bool:
        """The backend took the link (and verified it, where it can)."""
        return bool(self.registration.get("ok"))


@dataclass
class Execution:
    """What ``execute`` did.

    Attributes:
        preview: the diff run (for a dry-run: the run itself).
        outcome: the run that recorded evidence; ``None`` when the operator declined.
        updated: links whose committed rate was written to the inventory.
        monitoring: the monitoring registration of each updated link.
    """

    preview: RunOutcome
    outcome: RunOutcome | None
    updated: list[str] = field(default_factory=list)
    monitoring: list[Monitored] = field(default_factory=list)
    interrupted: bool = False
    """SIGINT/SIGTERM arrived during the apply (the records say what each router did)."""

    @property
    def declined(self) -> bool:
        """The operator did not approve the diffs."""
        return self.outcome is None

    @property
    def ok(self) -> bool:
        """Applied (or previewed, or found already in place) with no router failing."""
        return self.outcome is not None and self.outcome.ok

    @property
    def records(self) -> list[EvidenceRecord]:
        """The evidence records of the run (the preview's when declined)."""
        return (self.outcome or self.preview).records


def approved_diffs(preview: RunOutcome) -> dict[str, str]:
    """Link → diff of every link the preview would change."""
    return {r.link: r.diff for r in preview.records if r.outcome == "dry-run"}


@contextmanager
def default_runner(
    inventory: Inventory, inventory_dir: Path, state_dir: Path, secrets_file: str | None = None
) -> Iterator[RouterSessions]:
    """A ``RunFn`` over the inventory's routers, probing SNMP with its settings, no progress:
    one SSH session per router for all its runs, logged out when the block ends."""
    from bwauto.change.probe import snmp_probe

    with (
        snmp_probe(inventory, secrets_file, state_dir) as probe,
        RouterSessions(
            inventory_dir, state_dir, probe, secrets_file, inventory=inventory
        ) as sessions,
    ):
        yield sessions


def plan_raise(
    inventory: Inventory, state_dir: Path, link_ids: list[str], opd: str | None, to: str,
    options: ChangeOptions, headroom: HeadroomCheck | None = None,
) -> Plan:  # fmt: skip
    """``make_plan`` and ``check_plan``: what the command line and the inventory alone show
    to be wrong is refused before any router is contacted, and recorded as evidence.

    Raises:
        UsageError: an invalid or unknown link id, an unknown OPD, no link named, a confirm
            window outside 30-3600 s, a target above the interface speed or below the
            committed rate without ``allow_decrease``.
        RateError: an unparseable target rate.
    """
    try:
        plan = make_plan(inventory, link_ids, opd, to, options)
        check_plan(plan)
    except (UsageError, RateError) as exc:
        record_refusal(state_dir, link_ids, exc, options)
        raise
    return with_headroom(plan, headroom) if headroom else plan


def plan_rollback(
    inventory: Inventory, state_dir: Path, change_id: str, dry_run: bool,
    options: ChangeOptions | None = None,
) -> Plan:  # fmt: skip
    """``rollback.rollback_plan``; what it refuses (an invalid or unknown change id, nothing
    to undo) is recorded as evidence too.

    Raises:
        UsageError: from ``rollback_plan``.
    """
    from bwauto.change.rollback import rollback_plan

    try:
        return rollback_plan(inventory, state_dir, change_id, dry_run, options)
    except UsageError as exc:
        record_refusal(state_dir, [], exc, replace(options or ChangeOptions(), dry_run=dry_run))
        raise


def with_headroom(plan: Plan, headroom: HeadroomCheck) -> Plan:
    """The plan with each link's upstream-headroom check (read from the stored samples)."""
    checks = iter(headroom([(lp.link, lp.target) for lps in plan.by_router.values() for lp in lps]))
    by_router = {
        router: [replace(lp, headroom=next(checks)) for lp in plans]
        for router, plans in plan.by_router.items()
    }
    return replace(plan, by_router=by_router)


def execute(
    plan: Plan, inventory_dir: Path, state_dir: Path, run: RunFn, approve: Approve | None = None,
    finishing: Callable[[], None] | None = None,
) -> Execution:  # fmt: skip
    """Run ``plan``: dry-run, or preview → approve → apply → inventory and monitoring.

    Args:
        plan: from ``plan_raise`` or ``rollback.rollback_plan``.
        inventory_dir: the inventory whose committed rates are updated after success.
        state_dir: evidence, locks, monitoring files.
        run: one Nornir run of a plan (``default_runner``).
        approve: asked with the diffs before applying; ``None`` applies without asking.
        finishing: called once, at once, when SIGINT/SIGTERM arrives during the post-change
            step (or arrived during the apply): that step still finishes.
    """
    with stop_on_signals() as stop:  # SIGINT/SIGTERM: the tasks stop at a safe point
        done = _execute(plan, inventory_dir, state_dir, run, approve, stop, finishing)
    done.interrupted = stop.is_set()
    return done


def _execute(
    plan: Plan, inventory_dir: Path, state_dir: Path, run: RunFn, approve: Approve | None,
    stop: threading.Event, finishing: Callable[[], None] | None = None,
) -> Execution:  # fmt: skip
    if plan.options.dry_run:
        outcome = run(plan, True, None)
        return Execution(outcome, outcome)
    preview = run(preview_plan(plan), False, None)
    diffs = approved_diffs(preview)
    if stop.is_set():
        return Execution(preview, record_interrupted(state_dir, plan))
    if not diffs:  # recorded with no diff approved: a link that would change now is refused
        return Execution(preview, run(plan, True, {}))
    if approve is not None and not approve(preview, diffs):
        if stop.is_set():
            return Execution(preview, record_interrupted(state_dir, plan))
        record_declined(state_dir, plan, diffs)
        return Execution(preview, None)
    outcome = run(plan, True, diffs)
    changed = any(r.outcome == "changed" for r in outcome.records)
    with tell_on_stop(finishing if changed else None, stop):  # the routers are changed: finish
        updated, monitored = after_apply(inventory_dir, state_dir, outcome)
    return Execution(preview, outcome, updated, monitored)


def record_interrupted(state_dir: Path, plan: Plan) -> RunOutcome:
    """An ``interrupted`` record for every planned link: stopped before any change."""
    outcome = RunOutcome(plan.change_id)
    for router, plans in plan.by_router.items():
        for lp in plans:
            record = EvidenceRecord(
                change_id=plan.change_id, link=lp.link.id, router=router, platform="",
                dry_run=False, request=plan.options.request, target=lp.target.as_dict(),
                outcome="interrupted",
                errors=["interrupted before any change: the router is unchanged"],
                **plan.options.operator.fields(),
            )  # fmt: skip
            write_evidence(state_dir, record)
            outcome.records.append(record)
    return outcome


def after_apply(
    inventory_dir: Path, state_dir: Path, outcome: RunOutcome
) -> tuple[list[str], list[Monitored]]:
    """Committed rates into the inventory, then the changed links back into monitoring.

    Returns:
        The links updated in the inventory, and each one's monitoring registration.
    """
    updated = update_inventory(inventory_dir, outcome)
    if not updated:
        return [], []
    return updated, register_changed(inventory_dir, state_dir, outcome.change_id, updated)


def register_changed(
    inventory_dir: Path, state_dir: Path, change_id: str, link_ids: list[str]
) -> list[Monitored]:
    """Put links whose rate changed back into monitoring (SOP step 8) and record each
    registration beside the change's evidence; a monitoring failure is recorded, never raised.
    What is the same for every link (the inventory, the backend, its files) is done once."""
    from bwauto.inventory.loader import load_inventory
    from bwauto.monitoring.runner import register_after_changes

    inventory = load_inventory(inventory_dir)
    links = [inventory.links[link_id] for link_id in link_ids]
    monitored = []
    for link_id, result in zip(link_ids, register_after_changes(links, inventory, state_dir),
                               strict=True):  # fmt: skip
        path = write_monitoring(state_dir, change_id, link_id, result)
        monitored.append(Monitored(link_id, result, path))
    return monitored


def record_declined(state_dir: Path, plan: Plan, diffs: dict[str, str]) -> list[Path]:
    """A ``declined`` evidence record for every link the operator did not let change."""
    paths = []
    for router, plans in plan.by_router.items():
        for lp in plans:
            if lp.link.id in diffs:
                record = EvidenceRecord(
                    change_id=plan.change_id, link=lp.link.id, router=router, platform="",
                    dry_run=False, request=plan.options.request, diff=diffs[lp.link.id],
                    outcome="declined", errors=["the operator did not confirm"],
                    **plan.options.operator.fields(),
                )  # fmt: skip
                paths.append(write_evidence(state_dir, record))
    return paths
