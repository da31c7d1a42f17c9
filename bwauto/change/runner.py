"""Run a shaper change (``bwauto raise``) or its undo (``bwauto rollback``) over Nornir.

Flow: select links → plan (targets, headroom) → preview over every router (read + diff) →
the caller shows the diffs and asks → apply on the preview's SSH sessions (one per router,
``RouterSessions``), with the preview's diffs as the contract (a link whose config changed in
between is refused, with its new diff) → evidence for every link → committed rates updated in
the inventory for links that changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bwauto.change.evidence import Check, EvidenceRecord, new_change_id, write_evidence
from bwauto.change.inventory_update import update_committed_many
from bwauto.change.plan import ChangeOptions, LinkPlan, Plan, select_links, target_rate
from bwauto.errors import RateError, UsageError
from bwauto.inventory.models import Inventory, Link
from bwauto.platforms import get_platform
from bwauto.platforms.base import ShaperRate
from bwauto.rates import parse_rate

if TYPE_CHECKING:  # the task imports Netmiko: not needed to plan or refuse a change
    from bwauto.change.task import LinkProbe, SnmpProbe

HeadroomCheck = Callable[[Sequence[tuple[Link, ShaperRate]]], Sequence[Check | None]]
"""The upstream-headroom checks of every link of a raise, in order, from one reading of the
stored samples (``bwauto.change.headroom``)."""


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
    inventory: Inventory, link_ids: list[str], opd: str | None, to: str, options: ChangeOptions
) -> Plan:
    """Resolve links and targets into a plan, refusing bad input before any router is touched."""
    links = select_links(inventory, link_ids, opd)
    up, down = parse_target(to)
    plan = Plan(change_id=new_change_id(), options=options)
    for link in links:
        router = inventory.routers[link.router]
        target = target_rate(link, down, up, get_platform(router.platform).directions(link))
        speed = router.interface_speed(link.interface) or 0
        plan.by_router.setdefault(link.router, []).append(LinkPlan(link, target, speed))
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


MAX_WORKERS = 100
"""At most this many routers at once (one thread and one SSH session each): a router's
Netmiko session set-up is mostly waiting, so every router of a change is worked on at once up
to this bound on threads and file descriptors."""


def workers_for(routers: int, cap: int = MAX_WORKERS) -> int:
    """Threads for a run over ``routers`` routers: one each, within ``cap``.

    Examples:
        >>> workers_for(1), workers_for(50), workers_for(250)
        (1, 50, 100)
    """
    return max(1, min(routers, cap))


class RouterSessions:
    """The SSH sessions of one change: one per router, from the preview to the apply.

    One Nornir object serves every run of the change, so the session a router's preview
    opened (read, diff) is the one its apply uses (read again, compared with what the
    preview read, then changed). Use it as a context manager: leaving it logs out of every
    router. Called as ``run(plan, write_evidence, expected_diffs)`` it is an
    ``execute.RunFn``.
    """

    def __init__(
        self, inventory_dir: Path, state_dir: Path, probe: SnmpProbe,
        secrets_file: str | None = None, workers: int | None = None,
        inventory: Inventory | None = None,
    ) -> None:  # fmt: skip
        self.inventory_dir = inventory_dir
        self.inventory = inventory
        """The inventory of ``inventory_dir`` when the caller has loaded it (not loaded again)."""
        self.state_dir = state_dir
        self.probe = probe
        self.secrets_file = secrets_file
        self.workers = workers
        self.progress: Any = None
        """``(rich Progress, task id)`` advanced once per router by the next runs."""
        self._nornir: Any = None
        self._previewed: dict[str, str] = {}

    def __enter__(self) -> RouterSessions:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(
        self, plan: Plan, write_evidence: bool, expected_diffs: dict[str, str] | None
    ) -> RunOutcome:
        return self.run(plan, write_evidence, expected_diffs)

    def run(
        self, plan: Plan, write_evidence: bool = True,
        expected_diffs: dict[str, str] | None = None,
    ) -> RunOutcome:  # fmt: skip
        """Run the shaper task on every router of the plan, on the sessions opened so far.

        With ``expected_diffs`` (the apply), each link's running config is read again on the
        preview's session and compared with the one the preview read: a link whose config
        changed in between is refused with its new diff."""
        from nornir.core.filter import F
        from nornir.plugins.runners import ThreadedRunner

        from bwauto.change.processors import EvidenceProcessor, ProgressProcessor
        from bwauto.change.task import ChangeContext, shaper_change

        nr = self._init().filter(F(name__any=list(plan.by_router)))
        nr = nr.with_runner(ThreadedRunner(self.workers or workers_for(len(plan.by_router))))
        evidence = EvidenceProcessor(self.state_dir, write=write_evidence)
        processors: list[Any] = [evidence]
        if self.progress is not None:
            processors.append(ProgressProcessor(*self.progress))
        planned = [lp.link.id for plans in plan.by_router.values() for lp in plans]
        previewed = self._previewed if expected_diffs is not None else None
        ctx = ChangeContext(plan=plan, state_dir=self.state_dir, probe=self.probe,
                            expected_diffs=expected_diffs, expected_before=previewed,
                            pre_probes=prefetched(self.probe, planned))  # fmt: skip
        # on_failed: a router that failed the preview is run again (Nornir skips it otherwise)
        result = nr.with_processors(processors).run(task=shaper_change, ctx=ctx, name="shaper",
                                                    on_failed=True)  # fmt: skip
        if plan.options.dry_run:  # what the apply compares with
            self._previewed = {r.link: r.running_config_before for r in evidence.records
                               if r.outcome in ("dry-run", "no-op")}  # fmt: skip
        return RunOutcome(plan.change_id, evidence.records, sorted(result.failed_hosts))

    def close(self) -> None:
        """Log out of every router."""
        if self._nornir is not None:
            self._nornir.close_connections(on_good=True, on_failed=True)

    def _init(self) -> Any:
        if self._nornir is None:
            from nornir import InitNornir

            self._nornir = InitNornir(
                runner={"plugin": "threaded", "options": {"num_workers": MAX_WORKERS}},
                inventory={"plugin": "BwautoInventory",
                           "options": {"inventory_dir": str(self.inventory_dir),
                                       "secrets_file": self.secrets_file,
                                       "inventory": self.inventory}},
                logging={"enabled": False},
            )  # fmt: skip
        return self._nornir


def prefetched(probe: SnmpProbe, link_ids: list[str]) -> Mapping[str, LinkProbe]:
    """The pre-check's SNMP state of every planned link, read in the background while the
    routers' SSH sessions are set up; a task that looks a link up waits for it."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="snmp-pre-probe")
    future = pool.submit(probe.many, link_ids)
    pool.shutdown(wait=False)
    return Prefetched(future)


class Prefetched(Mapping[str, "LinkProbe"]):
    """A mapping read from a future on first use."""

    def __init__(self, future: Future[dict[str, LinkProbe]]) -> None:
        self._future = future

    def _data(self) -> dict[str, LinkProbe]:
        return self._future.result()

    def __getitem__(self, key: str) -> LinkProbe:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


def run_plan(
    plan: Plan, inventory_dir: Path, state_dir: Path, probe: SnmpProbe,
    secrets_file: str | None = None, progress: Any = None, write_evidence: bool = True,
    expected_diffs: dict[str, str] | None = None, workers: int | None = None,
) -> RunOutcome:  # fmt: skip
    """One run of the shaper task on every router of the plan, on sessions of its own
    (threaded; other routers proceed)."""
    with RouterSessions(inventory_dir, state_dir, probe, secrets_file, workers) as sessions:
        sessions.progress = progress
        return sessions.run(plan, write_evidence, expected_diffs)


def preview_plan(plan: Plan) -> Plan:
    """The same plan, as a dry-run that leaves no evidence (the apply run records it)."""
    return replace(plan, options=replace(plan.options, dry_run=True))


def update_inventory(inventory_dir: Path, outcome: RunOutcome) -> list[str]:
    """Write the new committed rates of the links that changed, all in one read and one
    write of ``links.yaml``; return their ids."""
    rates = {r.link: (r.rate_after.get("up"), r.rate_after.get("down"))
             for r in outcome.records if r.outcome == "changed" and r.rate_after}  # fmt: skip
    if rates:
        update_committed_many(inventory_dir, rates)
    return list(rates)
