"""``bwauto rollback --change ID``: plan the return of a past change's links to their old rates."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bwauto.change.evidence import new_change_id, read_evidence
from bwauto.change.plan import ChangeOptions, LinkPlan, Plan
from bwauto.errors import UsageError
from bwauto.inventory.models import Inventory
from bwauto.platforms.base import ShaperRate


def rollback_plan(
    inventory: Inventory, state_dir: Path, change_id: str, dry_run: bool,
    options: ChangeOptions | None = None,
) -> Plan:  # fmt: skip
    """A plan that sets every link the change raised back to its rate before the change
    (``options``: ``--force``, ``--no-confirm``, ``--prepare-archive`` as for a raise).

    Raises:
        UsageError: no evidence for the change, or nothing in it was changed.
    """
    records = [r for r in read_evidence(state_dir, change_id) if r["outcome"] == "changed"]
    if not records:
        raise UsageError(f"change {change_id} changed nothing on any router: nothing to roll back")
    request = records[0].get("request")
    options = replace(options or ChangeOptions(), dry_run=dry_run, allow_decrease=True,
                      request=request)  # fmt: skip
    plan = Plan(change_id=new_change_id(), options=options)
    for record in records:
        link = inventory.links.get(record["link"])
        if link is None:
            raise UsageError(
                f"link {record['link']!r} of change {change_id} is no longer in the inventory"
            )
        before = record["rate_before"] or {}
        target = ShaperRate(before.get("up"), before.get("down"))
        speed = inventory.routers[link.router].interface_speed(link.interface) or 0
        plan.by_router.setdefault(link.router, []).append(LinkPlan(link, target, speed))
    return plan
