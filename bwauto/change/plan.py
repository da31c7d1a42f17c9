"""Pure planning of a shaper change: which links, which target, and the checks before/after.

Nothing here talks to a router; the Nornir task feeds it what it read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bwauto.change.evidence import Check
from bwauto.change.ids import check_link_id
from bwauto.change.operator import Operator, resolve_operator
from bwauto.errors import UsageError
from bwauto.inventory.models import Inventory, Link
from bwauto.platforms.base import ShaperRate
from bwauto.rates import format_rate


@dataclass(frozen=True)
class ChangeOptions:
    """What the operator asked for, beyond links and rates."""

    dry_run: bool = False
    force: bool = False
    allow_decrease: bool = False
    confirm_timeout_s: int = 120
    request: str | None = None
    operator: Operator = field(default_factory=lambda: resolve_operator(None))
    """Who does the change (``--by``, ``$BWAUTO_OPERATOR``, office settings, OS user)."""
    prepare_archive: bool = False
    """IOS without an archive: add the archive lines (shown in the diff) before the change."""
    no_confirm: bool = False
    """Apply without a commit-confirm guard (said so in the evidence)."""


@dataclass(frozen=True)
class LinkPlan:
    """One link to change: where it is and the rate it should end at."""

    link: Link
    target: ShaperRate
    interface_speed: int
    headroom: Check | None = None


@dataclass
class Plan:
    """Every link of one ``raise`` or ``rollback`` call, grouped by router."""

    change_id: str
    options: ChangeOptions
    by_router: dict[str, list[LinkPlan]] = field(default_factory=dict)


def select_links(inventory: Inventory, link_ids: list[str], opd: str | None) -> list[Link]:
    """The links named by ``--link`` (repeatable) or ``--opd``; unknown ones are refused.

    Examples:
        >>> from bwauto.inventory.loader import load_inventory
        >>> inv = load_inventory("inventory")
        >>> [l.id for l in select_links(inv, [], "Dinas Kesehatan")]
        ['dinkes']
        >>> select_links(inv, ["nope"], None)
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: unknown link 'nope' (see 'bwauto inventory list')
    """
    if not link_ids and not opd:
        raise UsageError("name the links to change with --link ID (repeatable) or --opd NAME")
    for link_id in link_ids:
        check_link_id(link_id)
    unknown = [i for i in link_ids if i not in inventory.links]
    if unknown:
        raise UsageError(f"unknown link {unknown[0]!r} (see 'bwauto inventory list')")
    links = [inventory.links[i] for i in link_ids]
    if opd:
        matched = [x for x in inventory.links.values() if x.opd.casefold() == opd.casefold()]
        if not matched:
            raise UsageError(f"no link of OPD {opd!r} in the inventory")
        links += [x for x in matched if x not in links]
    return links


CONFIRM_TIMEOUT_S = (30, 3600)
"""The commit-confirm window bwauto accepts, in seconds (IOS counts its revert timer in
minutes, 1-120; RouterOS's scheduler takes any interval)."""


def check_plan(plan: Plan) -> None:
    """Refuse, before any router is contacted, what the command line and the inventory alone
    show to be wrong: the confirm window, a target above the interface speed, a target below
    the committed rate without ``--allow-decrease``.

    Examples:
        >>> from bwauto.inventory.loader import load_inventory
        >>> link = load_inventory("inventory").links["dinkes"]
        >>> lp = LinkPlan(link, ShaperRate(50_000_000, 80_000_000), 1_000_000_000)
        >>> print(target_problem(lp, ChangeOptions()))
        link dinkes: target ... is below the committed rate ...; use --allow-decrease to lower it
        >>> check_plan(Plan("CH-1", ChangeOptions(), {"edge-bc-01": [lp]}))
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: link dinkes: target ... is below the committed rate ...
        >>> check_plan(Plan("CH-1", ChangeOptions(confirm_timeout_s=-5)))
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: --confirm-timeout -5: give 30 to 3600 seconds

    Raises:
        UsageError: the first problem found, naming the link.
    """
    low, high = CONFIRM_TIMEOUT_S
    if not low <= plan.options.confirm_timeout_s <= high:
        raise UsageError(
            f"--confirm-timeout {plan.options.confirm_timeout_s}: give {low} to {high} seconds"
        )
    for plans in plan.by_router.values():
        for lp in plans:
            problem = target_problem(lp, plan.options)
            if problem:
                raise UsageError(problem)


def target_problem(lp: LinkPlan, options: ChangeOptions) -> str | None:
    """What is wrong with ``lp``'s target by the inventory alone, or None."""
    link, target = lp.link, lp.target
    if lp.interface_speed and max(target.up or 0, target.down or 0) > lp.interface_speed:
        return (
            f"link {link.id}: target {_show(target)} is above the speed of {link.interface} "
            f"({format_rate(lp.interface_speed)})"
        )
    committed = ShaperRate(link.committed.up, link.committed.down)
    if not options.allow_decrease and not _not_below(target, committed):
        return (
            f"link {link.id}: target {_show(target)} is below the committed rate "
            f"{_show(committed)}; use --allow-decrease to lower it"
        )
    return None


def target_rate(
    link: Link, down: int, up: int | None, directions: tuple[str, ...] = ("up", "down")
) -> ShaperRate:
    """The target: ``--to DOWN`` sets download, upload stays; ``--to UP/DOWN`` sets both.
    A direction the router does not shape stays ``None`` (not shaped on this router).

    Raises:
        UsageError: ``UP/DOWN`` for a link whose router cannot shape its upload.

    Examples:
        >>> from bwauto.inventory.loader import load_inventory
        >>> link = load_inventory("inventory").links["dishub"]
        >>> target_rate(link, 80_000_000, None, ("down",)).describe()
        'upload not shaped on this router, download 80M'
        >>> target_rate(link, 80_000_000, 40_000_000, ("down",))
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: link dishub: its router does not shape upload (no shaper_in \
in the inventory); give --to DOWN only, or add an input policy-map as shaper_in
    """
    if "up" not in directions:
        if up is not None:
            raise UsageError(
                f"link {link.id}: its router does not shape upload (no shaper_in in the "
                "inventory); give --to DOWN only, or add an input policy-map as shaper_in"
            )
        return ShaperRate(up=None, down=down)
    return ShaperRate(up=up if up is not None else link.committed.up, down=down)


def committed_rate(link: Link, directions: tuple[str, ...]) -> ShaperRate:
    """The inventory's committed rate, as far as the router shapes it."""
    up = link.committed.up if "up" in directions else None
    return ShaperRate(up=up, down=link.committed.down)


def pre_checks(
    plan: LinkPlan, current: ShaperRate, oper_up: bool | None, options: ChangeOptions
) -> list[Check]:
    """Checks before a change. A failed check refuses the link unless ``--force`` lifts it.

    Examples:
        >>> from bwauto.inventory.loader import load_inventory
        >>> link = load_inventory("inventory").links["dinkes"]
        >>> p = LinkPlan(link, ShaperRate(50_000_000, 150_000_000), 1_000_000_000)
        >>> [(c.name, c.ok) for c in pre_checks(p, ShaperRate(50_000_000, 100_000_000), True,
        ...                                      ChangeOptions())]
        [('SNMP answers', True), ('link up', True), ('no drift', True), \
('target above current', True), ('target within interface speed', True)]
    """
    link, target = plan.link, plan.target
    committed = committed_rate(link, ("up", "down") if target.up is not None else ("down",))
    checks = [
        Check("SNMP answers", oper_up is not None,
              "yes" if oper_up is not None else "no answer: link state unknown"),
        Check("link up", oper_up is not False,
              "ifOperStatus not up" if oper_up is False else "ifOperStatus up"
              if oper_up else "unknown"),
        Check("no drift", same_rate(current, committed),
              f"router {_show(current)}, inventory {_show(committed)}"),
        Check("target above current",
              options.allow_decrease or _not_below(target, current),
              f"target {_show(target)}, current {_show(current)}"
              + ("" if options.allow_decrease else " (use --allow-decrease to lower)")),
        Check("target within interface speed",
              max(target.up or 0, target.down or 0) <= plan.interface_speed,
              f"interface speed {format_rate(plan.interface_speed)}"),
    ]  # fmt: skip
    if plan.headroom is not None:
        checks.append(plan.headroom)
    return checks


FORCEABLE = frozenset({"SNMP answers", "no drift", "upstream headroom"})


def refusal(checks: list[Check], options: ChangeOptions) -> str | None:
    """Why the change must not go ahead, or None. ``--force`` lifts drift and headroom."""
    failed = [c for c in checks if not c.ok and not (options.force and c.name in FORCEABLE)]
    if not failed:
        return None
    return "; ".join(f"{c.name}: {c.detail}" for c in failed)


def same_rate(current: ShaperRate, committed: ShaperRate) -> bool:
    """The router's rate is the inventory's committed rate (an upload the router does not
    limit is not a difference).

    Examples:
        >>> same_rate(ShaperRate(None, 100), ShaperRate(50, 100)), same_rate(
        ...     ShaperRate(50, 150), ShaperRate(50, 100))
        (True, False)
    """
    if current.down != committed.down:
        return False
    return current.up is None or current.up == committed.up


def _not_below(target: ShaperRate, current: ShaperRate) -> bool:
    return all(
        t is None or c is None or t >= c
        for t, c in ((target.up, current.up), (target.down, current.down))
    )


def _show(rate: ShaperRate) -> str:
    return rate.describe()
