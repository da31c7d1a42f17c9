"""Checks after a change, inside the confirm window: the rate read back over SSH (never
skipped) and SNMP (link up, counters). ``--force`` lifts after the change what it lifted
before: a silent SNMP agent is recorded ``skipped (forced)`` instead of failing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bwauto.change.evidence import Check
from bwauto.errors import BwautoError

if TYPE_CHECKING:
    from bwauto.change.plan import LinkPlan
    from bwauto.change.task import ChangeContext, LinkProbe
    from bwauto.platforms.base import Platform

SKIPPED = "skipped (forced)"


def post_checks(
    ctx: ChangeContext, host: str, platform: Platform, lp: LinkPlan, after: str
) -> list[Check]:
    """The rate read back, then SNMP samples over the confirm window."""
    rate = platform.parse_rate(after, lp.link)
    checks = [Check("rate read back", rate == lp.target, f"router now {rate.describe()}")]
    samples: list[LinkProbe] = []
    for i in range(ctx.confirm_samples):
        if i and ctx.stop.wait(ctx.confirm_sample_interval_s):
            break  # interrupted: the caller puts the router back
        probe = _probe(ctx, host, lp.link.id)
        if probe is None:
            return checks + _silent(ctx.plan.options.force)
        samples.append(probe)
    if not samples:
        return checks
    up = all(s.oper_up for s in samples)
    checks.append(Check("SNMP answers", True, f"{len(samples)} samples in the confirm window"))
    checks.append(Check("link still up", up, "ifOperStatus up" if up else "ifOperStatus down"))
    checks.append(Check("counters", True, _sample_detail(samples)))
    return checks


def _silent(force: bool) -> list[Check]:
    if not force:
        return [Check("SNMP answers", False, "no SNMP answer after the change")]
    detail = f"{SKIPPED}: no SNMP answer after the change"
    return [Check("SNMP answers", True, detail), Check("link still up", True, SKIPPED),
            Check("counters", True, SKIPPED)]  # fmt: skip


def _probe(ctx: ChangeContext, host: str, link: str) -> LinkProbe | None:
    try:
        return ctx.probe(host, [link]).get(link)
    except BwautoError:
        return None


def _sample_detail(samples: list[LinkProbe]) -> str:
    return "; ".join(f"t={s.uptime_s:.0f}s in={s.in_octets} out={s.out_octets}" for s in samples)
