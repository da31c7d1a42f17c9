"""Drift audit: the inventory's committed rates against the shaper rates on the routers.

The routers are read by the change task itself, as a dry-run of a plan whose target is each
link's committed rate: the same show commands, section and rate parsers as a raise, nothing
sent to a router's configuration, no evidence written. ``compare`` then is pure: a link
*drifted* when the rate read back differs from the committed one (``plan.same_rate``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bwauto.change.evidence import EvidenceRecord, new_change_id
from bwauto.change.plan import ChangeOptions, LinkPlan, Plan, committed_rate, same_rate
from bwauto.change.runner import RunOutcome
from bwauto.errors import UsageError
from bwauto.inventory.models import Inventory
from bwauto.platforms import get_platform
from bwauto.platforms.base import ShaperRate

AUDIT = ChangeOptions(dry_run=True, allow_decrease=True)
"""A read-only run: a dry-run that never refuses for a lower target."""


@dataclass(frozen=True)
class LinkDrift:
    """One link: its committed rate, the rate read from its router, or why it was not read."""

    link: str
    router: str
    committed: ShaperRate
    on_router: ShaperRate | None
    error: str = ""

    @property
    def drifted(self) -> bool:
        """The router's rate differs from the committed rate."""
        return self.on_router is not None and not same_rate(self.on_router, self.committed)

    def describe(self) -> str:
        """``dinkes (edge-bc-01): router 50M/150M, inventory 50M/100M``.

        Examples:
            >>> LinkDrift("dinkes", "r1", ShaperRate(50_000_000, 100_000_000),
            ...           ShaperRate(None, 120_000_000)).describe()
            'dinkes (r1): router upload not shaped on this router, download 120M, inventory \
upload 50M, download 100M'
        """
        if self.on_router is None:
            return f"{self.link} ({self.router}): not read: {self.error}"
        return (
            f"{self.link} ({self.router}): router {show(self.on_router)}, "
            f"inventory {show(self.committed)}"
        )


@dataclass
class DriftReport:
    """Every audited link."""

    links: list[LinkDrift] = field(default_factory=list)

    @property
    def drifted(self) -> list[LinkDrift]:
        """Links whose router rate differs from the inventory."""
        return [x for x in self.links if x.drifted]

    @property
    def unread(self) -> list[LinkDrift]:
        """Links whose router could not be read."""
        return [x for x in self.links if x.on_router is None]

    @property
    def in_sync(self) -> list[LinkDrift]:
        """Links whose router rate is the committed rate."""
        return [x for x in self.links if x.on_router is not None and not x.drifted]


def show(rate: ShaperRate) -> str:
    """Each direction's rate, or "not shaped on this router"."""
    return rate.describe()


def drift_plan(inventory: Inventory, link_ids: Sequence[str] | None = None) -> Plan:
    """A read-only plan over ``link_ids`` (default: every link), target = committed rate.

    Raises:
        UsageError: an unknown link.
    """
    ids = list(inventory.links) if link_ids is None else list(link_ids)
    unknown = [i for i in ids if i not in inventory.links]
    if unknown:
        raise UsageError(f"unknown link {unknown[0]!r} (see 'bwauto inventory list')")
    plan = Plan(change_id=new_change_id(), options=AUDIT)
    for link_id in ids:
        link = inventory.links[link_id]
        speed = inventory.routers[link.router].interface_speed(link.interface) or 0
        router = inventory.routers[link.router]
        target = committed_rate(link, get_platform(router.platform).directions(link))
        plan.by_router.setdefault(link.router, []).append(LinkPlan(link, target, speed))
    return plan


def compare(plan: Plan, outcome: RunOutcome) -> DriftReport:
    """Each planned link's committed rate against what the run read from its router."""
    records = {r.link: r for r in outcome.records}
    report = DriftReport()
    for router, plans in plan.by_router.items():
        for lp in plans:
            report.links.append(_link_drift(router, lp, records.get(lp.link.id)))
    return report


def _link_drift(router: str, lp: LinkPlan, record: EvidenceRecord | None) -> LinkDrift:
    if record is None or record.rate_before is None:
        error = "; ".join(record.errors) if record else "the router returned nothing"
        return LinkDrift(lp.link.id, router, lp.target, None, error or "not read")
    before = record.rate_before
    return LinkDrift(lp.link.id, router, lp.target, ShaperRate(before["up"], before["down"]))


def audit_drift(
    inventory: Inventory,
    run: Callable[[Plan, bool, dict[str, str] | None], RunOutcome],
    link_ids: Sequence[str] | None = None,
) -> DriftReport:
    """Read every selected link's shaper rate from its router and compare it with the inventory.

    Args:
        inventory: the inventory (its committed rates are the reference).
        run: one Nornir run of a plan (``execute.default_runner``); called as a dry-run
            without evidence.
        link_ids: the links to audit; default: all.
    """
    plan = drift_plan(inventory, link_ids)
    return compare(plan, run(plan, False, None))
