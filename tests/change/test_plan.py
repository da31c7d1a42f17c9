"""Pure planning: link selection, targets, pre-checks and what --force lifts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bwauto.change.evidence import Check, EvidenceRecord, write_evidence
from bwauto.change.plan import ChangeOptions, LinkPlan, pre_checks, refusal, select_links
from bwauto.change.rollback import rollback_plan
from bwauto.change.runner import make_plan
from bwauto.errors import RateError, UsageError
from bwauto.inventory.loader import load_inventory
from bwauto.platforms.base import ShaperRate

INV = load_inventory(Path(__file__).parents[2] / "inventory")
M = 1_000_000


def test_select_by_link_and_opd_without_duplicates() -> None:
    links = select_links(INV, ["rsud", "dinkes"], "dinas kesehatan")
    assert [x.id for x in links] == ["rsud", "dinkes"]
    with pytest.raises(UsageError, match="--link"):
        select_links(INV, [], None)
    with pytest.raises(UsageError, match="no link of OPD"):
        select_links(INV, [], "Dinas Pariwisata")


def test_plan_groups_by_router_and_parses_targets() -> None:
    plan = make_plan(INV, ["rsud", "dpmptsp", "dinkes"], None, "150M/300M", ChangeOptions())
    assert sorted(plan.by_router) == ["edge-bc-01", "edge-bc-02", "edge-bc-03"]
    assert [lp.link.id for lp in plan.by_router["edge-bc-02"]] == ["rsud"]
    assert plan.by_router["edge-bc-02"][0].target == ShaperRate(150 * M, 300 * M)
    down_only = make_plan(INV, ["rsud", "dishub"], None, "300M", ChangeOptions())
    assert [lp.target for lp in down_only.by_router["edge-bc-02"]] == [
        ShaperRate(100 * M, 300 * M),
        ShaperRate(None, 300 * M),
    ]  # dishub: upload not shaped
    with pytest.raises(UsageError, match=r"link dishub: .*shaper_in"):  # IOS without shaper_in
        make_plan(INV, ["dishub"], None, "150M/300M", ChangeOptions())
    only_down = make_plan(INV, ["dinkes"], None, "150M", ChangeOptions())
    assert only_down.by_router["edge-bc-01"][0].target == ShaperRate(50 * M, 150 * M)
    with pytest.raises(RateError):
        make_plan(INV, ["dinkes"], None, "lots", ChangeOptions())


def _plan(target: ShaperRate, speed: int = 1000 * M, headroom: Check | None = None) -> LinkPlan:
    return LinkPlan(INV.links["dinkes"], target, speed, headroom)


COMMITTED = ShaperRate(50 * M, 100 * M)


def _failed(checks: list[Check]) -> list[str]:
    return [c.name for c in checks if not c.ok]


def test_pre_checks_pass_for_a_normal_raise() -> None:
    checks = pre_checks(_plan(ShaperRate(50 * M, 150 * M)), COMMITTED, True, ChangeOptions())
    assert _failed(checks) == [] and refusal(checks, ChangeOptions()) is None


@pytest.mark.parametrize(
    ("target", "current", "oper", "speed", "failed"),
    [
        (ShaperRate(50 * M, 150 * M), COMMITTED, False, 1000 * M, ["link up"]),
        (ShaperRate(50 * M, 150 * M), ShaperRate(50 * M, 80 * M), True, 1000 * M, ["no drift"]),
        (ShaperRate(50 * M, 80 * M), COMMITTED, True, 1000 * M, ["target above current"]),
        (ShaperRate(50 * M, 150 * M), COMMITTED, True, 100 * M, ["target within interface speed"]),
    ],
)  # fmt: skip
def test_each_failing_pre_check(
    target: ShaperRate, current: ShaperRate, oper: bool, speed: int, failed: list[str]
) -> None:
    checks = pre_checks(_plan(target, speed), current, oper, ChangeOptions())
    assert _failed(checks) == failed
    assert refusal(checks, ChangeOptions()) is not None


def test_force_lifts_drift_and_headroom_but_not_speed_or_link_down() -> None:
    headroom = Check("upstream headroom", False, "free 20M < increase 50M")
    drift = pre_checks(_plan(ShaperRate(50 * M, 150 * M), headroom=headroom),
                       ShaperRate(50 * M, 80 * M), True, ChangeOptions())  # fmt: skip
    assert _failed(drift) == ["no drift", "upstream headroom"]
    assert refusal(drift, ChangeOptions(force=True)) is None
    down = pre_checks(_plan(ShaperRate(50 * M, 150 * M)), COMMITTED, False, ChangeOptions())
    assert refusal(down, ChangeOptions(force=True)) == "link up: ifOperStatus not up"
    silent = pre_checks(_plan(ShaperRate(50 * M, 150 * M)), COMMITTED, None, ChangeOptions())
    assert _failed(silent) == ["SNMP answers"]
    assert refusal(silent, ChangeOptions(force=True)) is None
    lower = pre_checks(_plan(ShaperRate(50 * M, 80 * M)), COMMITTED, True,
                       ChangeOptions(allow_decrease=True))  # fmt: skip
    assert _failed(lower) == []


def test_rollback_plan_targets_the_rates_before(tmp_path: Path) -> None:
    for link, outcome in (("dinkes", "changed"), ("bpkad", "refused")):
        write_evidence(tmp_path, EvidenceRecord(
            change_id="CH-9", link=link, router="edge-bc-01", platform="mikrotik_routeros",
            dry_run=False, request="KB-2026-0001", rate_before={"up": 50 * M, "down": 100 * M},
            rate_after={"up": 50 * M, "down": 150 * M}, outcome=outcome,
        ))  # fmt: skip
    plan = rollback_plan(INV, tmp_path, "CH-9", dry_run=True)
    assert plan.change_id != "CH-9" and plan.options.allow_decrease and plan.options.dry_run
    assert plan.options.request == "KB-2026-0001"
    [lp] = plan.by_router["edge-bc-01"]
    assert (lp.link.id, lp.target) == ("dinkes", ShaperRate(50 * M, 100 * M))
    with pytest.raises(UsageError, match="no evidence for change CH-404"):
        rollback_plan(INV, tmp_path, "CH-404", dry_run=True)
