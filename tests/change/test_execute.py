"""``change.execute``: the order of runs of a raise (dry-run, preview, approve, apply), with a
stand-in for the Nornir run; the apply itself is tested against the lab."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bwauto.change.evidence import EvidenceRecord, write_evidence
from bwauto.change.execute import execute, plan_raise
from bwauto.change.plan import ChangeOptions, Plan
from bwauto.change.runner import RunOutcome
from bwauto.errors import UsageError
from bwauto.inventory.loader import load_inventory

INVENTORY = Path(__file__).resolve().parents[2] / "inventory"
DIFF = "--- r running\n+++ r intended\n-max-limit=50M/100M\n+max-limit=50M/150M\n"


class Routers:
    """Stands in for ``run_plan``: dinkes would change by ``diff``; records every call and,
    like its evidence processor, writes the records when told to."""

    def __init__(self, state: Path, diff: str = DIFF) -> None:
        self.state = state
        self.diff = diff
        self.calls: list[tuple[bool, bool, dict[str, str] | None]] = []

    def __call__(self, plan: Plan, write: bool, expected: dict[str, str] | None) -> RunOutcome:
        self.calls.append((plan.options.dry_run, write, expected))
        outcome = "no-op" if not self.diff else "dry-run" if plan.options.dry_run else "changed"
        after: dict[str, int | None] | None = None
        if outcome == "changed":
            after = {"up": 50_000_000, "down": 150_000_000}
        record = EvidenceRecord(change_id=plan.change_id, link="dinkes", router="edge-bc-01",
                                platform="mikrotik_routeros", dry_run=plan.options.dry_run,
                                diff=self.diff, outcome=outcome, rate_after=after)  # fmt: skip
        if write:
            write_evidence(self.state, record)
        return RunOutcome(plan.change_id, [record])


def raise_plan(state: Path, dry_run: bool = False) -> Plan:
    options = ChangeOptions(dry_run=dry_run, request="KB-2026-0001")
    return plan_raise(load_inventory(INVENTORY), state, ["dinkes"], None, "150M", options)


def refuse(preview: RunOutcome, diffs: dict[str, str]) -> bool:
    raise AssertionError("nothing to approve")


def test_a_dry_run_is_one_run_that_records_its_evidence(tmp_path: Path) -> None:
    routers = Routers(tmp_path)
    done = execute(raise_plan(tmp_path, dry_run=True), INVENTORY, tmp_path, routers, refuse)
    assert routers.calls == [(True, True, None)]
    assert done.ok and done.preview is done.outcome and not done.updated


def test_nothing_to_change_records_the_no_op_without_asking(tmp_path: Path) -> None:
    routers = Routers(tmp_path, diff="")
    done = execute(raise_plan(tmp_path), INVENTORY, tmp_path, routers, refuse)
    assert routers.calls == [(True, False, None), (False, True, {})]  # nothing approved
    assert [r.outcome for r in done.records] == ["no-op"] and not done.updated


def test_declined_diffs_change_nothing_and_leave_a_declined_record(tmp_path: Path) -> None:
    routers = Routers(tmp_path)
    seen: list[dict[str, str]] = []

    def decline(preview: RunOutcome, diffs: dict[str, str]) -> bool:
        seen.append(diffs)
        return False

    plan = raise_plan(tmp_path)
    done = execute(plan, INVENTORY, tmp_path, routers, decline)
    assert seen == [{"dinkes": DIFF}] and routers.calls == [(True, False, None)]
    assert done.declined and not done.ok
    record = json.loads((tmp_path / "evidence" / plan.change_id / "dinkes.json").read_text())
    assert record["outcome"] == "declined" and record["diff"] == DIFF
    assert record["request"] == "KB-2026-0001" and record["dry_run"] is False


def test_approved_diffs_are_the_contract_of_the_apply_then_inventory_and_monitoring(
    tmp_path: Path,
) -> None:
    inventory = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inventory)
    routers = Routers(tmp_path)
    plan = raise_plan(tmp_path)
    done = execute(plan, inventory, tmp_path, routers, lambda preview, diffs: True)
    assert routers.calls == [(True, False, None), (False, True, {"dinkes": DIFF})]
    assert done.ok and done.updated == ["dinkes"]
    assert load_inventory(inventory).links["dinkes"].committed.down == 150_000_000
    (monitored,) = done.monitoring  # the sample inventory has no SNMP secret: recorded, no raise
    assert monitored.link == "dinkes" and not monitored.ok and monitored.path is not None
    assert (
        json.loads(monitored.path.read_text())["retry"] == "bwauto monitor register --link dinkes"
    )


def test_bad_input_is_refused_and_recorded(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown link 'nope'"):
        plan_raise(load_inventory(INVENTORY), tmp_path, ["nope"], None, "150M", ChangeOptions())
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "evidence").glob("*/nope.json")]
    assert record["outcome"] == "refused" and "unknown link" in record["errors"][0]
