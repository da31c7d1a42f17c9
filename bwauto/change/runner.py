"""Run a shaper change (``bwauto raise``) or its undo (``bwauto rollback``) over Nornir.

Flow: select links → plan (targets, headroom) → preview over every router (read + diff) →
the caller shows the diffs and asks → apply with the preview's diffs as the contract (a router
whose config changed in between is refused) → evidence for every link → committed rates
updated in the inventory for links that changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bwauto.change.evidence import Check, EvidenceRecord, new_change_id, write_evidence
from bwauto.change.inventory_update import update_committed
from bwauto.change.plan import ChangeOptions, LinkPlan, Plan, select_links, target_rate
from bwauto.errors import RateError, UsageError
from bwauto.inventory.models import Inventory, Link
from bwauto.platforms import get_platform
from bwauto.platforms.base import ShaperRate
from bwauto.rates import parse_rate

if TYPE_CHECKING:  # the task imports Netmiko: not needed to plan or refuse a change
    from bwauto.change.task import SnmpProbe

HeadroomCheck = Callable[[Link, ShaperRate], Check | None]


@dataclass
class RunOutcome:
    """What a run did: the records (one per link) and which routers failed."""

    change_id: str
    records: list[EvidenceRecord] = field(default_factory=list)
    failed_hosts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no router failed and no link was refused or rolled back."""
        bad = ("failed", "refused", "rolled-back", "declined", "interrupted")
        return not self.failed_hosts and not any(r.outcome in bad for r in self.records)


def parse_target(text: str) -> tuple[int | None, int]:
    """``--to DOWN`` or ``--to UP/DOWN`` -> (up or None, down) in bit/s.

    Examples:
        >>> parse_target("150M")
        (None, 150000000)
        >>> parse_target("75M/150M")
        (75000000, 150000000)
    """
    up, slash, down = text.partition("/")
    if slash:
        return parse_rate(up), parse_rate(down)
    return None, parse_rate(text)


def make_plan(
    inventory: Inventory, link_ids: list[str], opd: str | None, to: str,
    options: ChangeOptions, headroom: HeadroomCheck | None = None,
) -> Plan:  # fmt: skip
    """Resolve links and targets into a plan, refusing bad input before any router is touched."""
    links = select_links(inventory, link_ids, opd)
    up, down = parse_target(to)
    plan = Plan(change_id=new_change_id(), options=options)
    for link in links:
        router = inventory.routers[link.router]
        target = target_rate(link, down, up, get_platform(router.platform).directions(link))
        speed = router.interface_speed(link.interface) or 0
        check = headroom(link, target) if headroom else None
        plan.by_router.setdefault(link.router, []).append(LinkPlan(link, target, speed, check))
    return plan


def record_refusal(
    state_dir: Path, link_ids: list[str], error: UsageError | RateError, options: ChangeOptions
) -> list[Path]:
    """Evidence of an attempt refused before any router was contacted, one record per link
    named; an id that is not a valid link id is recorded as ``invalid-input-N`` (the error
    quotes it), never used as a file name."""
    change_id = new_change_id()
    paths = []
    for name in refusal_names(link_ids):
        record = EvidenceRecord(change_id=change_id, link=name, router="", platform="",
                                dry_run=options.dry_run, request=options.request,
                                outcome="refused", errors=[str(error)],
                                **options.operator.fields())  # fmt: skip
        paths.append(write_evidence(state_dir, record))
    return paths


def refusal_names(link_ids: list[str]) -> list[str]:
    """The file names of the refusal records of ``link_ids``.

    Examples:
        >>> refusal_names(["dinkes", "../x", "dinkes", ""])
        ['dinkes', 'invalid-input-1', 'invalid-input-2']
        >>> refusal_names([])
        ['no-link']
    """
    from bwauto.change.ids import is_link_id

    names: list[str] = []
    invalid = 0
    for link in link_ids:
        name = link
        if not is_link_id(link):
            invalid += 1
            name = f"invalid-input-{invalid}"
        if name not in names:
            names.append(name)
    return names or ["no-link"]


def run_plan(
    plan: Plan, inventory_dir: Path, state_dir: Path, probe: SnmpProbe,
    secrets_file: str | None = None, progress: Any = None, write_evidence: bool = True,
    expected_diffs: dict[str, str] | None = None, workers: int = 20,
) -> RunOutcome:  # fmt: skip
    """Run the shaper task on every router of the plan (threaded; other routers proceed)."""
    from nornir import InitNornir
    from nornir.core.filter import F

    from bwauto.change.processors import EvidenceProcessor, ProgressProcessor
    from bwauto.change.task import ChangeContext, shaper_change

    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": workers}},
        inventory={"plugin": "BwautoInventory",
                   "options": {"inventory_dir": str(inventory_dir), "secrets_file": secrets_file}},
        logging={"enabled": False},
    )  # fmt: skip
    nr = nr.filter(F(name__any=list(plan.by_router)))
    evidence = EvidenceProcessor(state_dir, write=write_evidence)
    processors: list[Any] = [evidence]
    if progress is not None:
        processors.append(ProgressProcessor(*progress))
    planned = [lp.link.id for plans in plan.by_router.values() for lp in plans]
    ctx = ChangeContext(plan=plan, state_dir=state_dir, probe=probe,
                        expected_diffs=expected_diffs, pre_probes=probe.many(planned))  # fmt: skip
    try:
        result = nr.with_processors(processors).run(task=shaper_change, ctx=ctx, name="shaper")
    finally:
        nr.close_connections(on_good=True, on_failed=True)
    outcome = RunOutcome(plan.change_id, evidence.records, sorted(result.failed_hosts))
    return outcome


def preview_plan(plan: Plan) -> Plan:
    """The same plan, as a dry-run that leaves no evidence (the apply run records it)."""
    return replace(plan, options=replace(plan.options, dry_run=True))


def update_inventory(inventory_dir: Path, outcome: RunOutcome) -> list[str]:
    """Write the new committed rates of the links that changed; return their ids."""
    updated = []
    for record in outcome.records:
        if record.outcome == "changed" and record.rate_after:
            update_committed(inventory_dir, record.link, record.rate_after.get("up"),
                             record.rate_after.get("down"))  # fmt: skip
            updated.append(record.link)
    return updated
