"""Close the ``in-progress`` evidence records that a killed process (SIGKILL, power cut) left.

For each one: read the router, compare with the record, then

* at the target and no guard armed: the change was confirmed (or unguarded); it stands:
  save it, close ``changed`` ("finished"), write its committed rate to the inventory and put the
  link back into monitoring, as a raise does;
* otherwise (guard still armed: the post-checks never completed; old config; or a config
  typed halfway): put the pre-change config back, disarm the guard, save, close
  ``rolled-back`` ("restored"); if that fails, close ``failed`` ("check the router").

A record whose router lock is held belongs to a live process and is left alone. Called by
``bwauto evidence reconcile`` and, for its routers, before every ``raise`` and ``rollback``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from nornir.core.task import Result, Task

from bwauto.change import device
from bwauto.change.device import CAUGHT, session_error
from bwauto.change.evidence import Check, EvidenceRecord, in_progress_records, write_evidence
from bwauto.change.inventory_update import update_committed
from bwauto.change.lock import router_lock
from bwauto.change.task import restore_link
from bwauto.errors import BwautoError, LockError, RollbackError
from bwauto.inventory.models import Inventory, Link
from bwauto.platforms import get_platform
from bwauto.platforms.base import UNGUARDED, CommitConfirm, Platform, ShaperRate


@dataclass(frozen=True)
class Reconciled:
    """One record after reconciling: its path, how it was closed, or why it was left open."""

    path: Path
    change_id: str
    link: str
    router: str
    outcome: str
    detail: str

    def describe(self) -> str:
        """One line for the terminal."""
        return f"{self.change_id} {self.link} on {self.router}: {self.outcome}: {self.detail}"


OpenRecord = tuple[Path, dict[str, Any]]


def open_records(state_dir: Path, routers: set[str] | None = None) -> list[OpenRecord]:
    """The ``in-progress`` records (of ``routers``, or all), with their data."""
    found = []
    for path in in_progress_records(state_dir):
        data = json.loads(path.read_text(encoding="utf-8"))
        if routers is None or data.get("router") in routers:
            found.append((path, data))
    return found


def reconcile(
    inventory: Inventory, inventory_dir: Path, state_dir: Path, secrets_file: str | None = None,
    routers: set[str] | None = None,
) -> list[Reconciled]:  # fmt: skip
    """Reconcile every open record of ``routers`` (default: all) with its router."""
    from nornir import InitNornir
    from nornir.core.filter import F

    records = open_records(state_dir, routers)
    by_router: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for path, data in records:
        if data.get("router") in inventory.routers:
            by_router.setdefault(data["router"], []).append((path, data))
    if not by_router:
        return []
    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": 10}},
        inventory={"plugin": "BwautoInventory",
                   "options": {"inventory_dir": str(inventory_dir), "secrets_file": secrets_file}},
        logging={"enabled": False},
    )  # fmt: skip
    nr = nr.filter(F(name__any=list(by_router)))
    try:
        result = nr.run(task=_reconcile_host, by_router=by_router, inventory=inventory,
                        state_dir=state_dir, name="reconcile")  # fmt: skip
    finally:
        nr.close_connections(on_good=True, on_failed=True)
    done: list[Reconciled] = []
    for host in by_router:
        value = result[host][0].result if host in result else None
        done += value if isinstance(value, list) else []
    finished = [item for item in done if item.outcome == "changed"]
    for item in finished:  # as after a raise: the inventory, then monitoring (SOP step 8)
        _update_inventory(inventory_dir, item)
    if finished:
        from bwauto.change.execute import register_changed

        for item in finished:
            register_changed(inventory_dir, state_dir, item.change_id, [item.link])
    return done


def _update_inventory(inventory_dir: Path, item: Reconciled) -> None:
    data = json.loads(item.path.read_text(encoding="utf-8"))
    after = data.get("rate_after") or {}
    update_committed(inventory_dir, item.link, after.get("up"), after.get("down"))


def _reconcile_host(
    task: Task, by_router: dict[str, list[tuple[Path, dict[str, Any]]]], inventory: Inventory,
    state_dir: Path,
) -> Result:  # fmt: skip
    host = task.host.name
    platform = get_platform(task.host.platform or "")
    done: list[Reconciled] = []
    try:
        with router_lock(state_dir, host, "reconcile"):
            for path, data in by_router[host]:
                done.append(_one(task, platform, inventory, state_dir, path, data))
    except LockError as exc:
        done += [_left(path, data, f"left open: {exc}") for path, data in by_router[host]]
    except CAUGHT as exc:
        text = str(exc) if isinstance(exc, BwautoError) else session_error(host, exc)
        seen = {d.path for d in done}
        done += [_left(p, d, f"left open: {text}") for p, d in by_router[host] if p not in seen]
    return Result(host=task.host, result=done)


def _left(path: Path, data: dict[str, Any], detail: str) -> Reconciled:
    return Reconciled(path, data["change_id"], data["link"], data["router"], "in-progress", detail)


def record_from(data: dict[str, Any]) -> EvidenceRecord:
    """An ``EvidenceRecord`` from its JSON (unknown keys ignored)."""
    names = {f.name for f in fields(EvidenceRecord)}
    values = {k: v for k, v in data.items() if k in names}
    values["checks"] = [Check(**c) for c in data.get("checks") or []]
    return EvidenceRecord(**values)


def _one(
    task: Task, platform: Platform, inventory: Inventory, state_dir: Path, path: Path,
    data: dict[str, Any],
) -> Reconciled:  # fmt: skip
    record = record_from(data)
    link = inventory.links[record.link]
    before = _rate(record.rate_before)
    target = _rate(record.target)
    restore = platform.change_commands(link, before)
    guard = _guard(platform, record, restore)
    conn = device.connect(task)
    section = device.read_section(conn, platform, link)
    now = platform.parse_rate(section, link)
    armed = guard.guarded and device.pending(conn, platform, guard)
    if now == target and not armed:
        record.saved, record.saved_detail = device.save(conn, platform, link)
        record.outcome, record.rate_after = "changed", now.as_dict()
        how = "finished: the router runs the target and no guard is armed; saved"
    else:
        how = _put_back(task, platform, link, record, guard, now)
    record.reconciled = how
    record.checks.append(Check("reconciled", record.outcome != "failed", how))
    record.ended = None
    write_evidence(state_dir, record)
    return Reconciled(path, record.change_id, record.link, record.router, record.outcome, how)


def _put_back(
    task: Task, platform: Platform, link: Link, record: EvidenceRecord, guard: CommitConfirm,
    now: ShaperRate,
) -> str:  # fmt: skip
    before = record.running_config_before
    restore = platform.change_commands(link, _rate(record.rate_before))
    try:
        restore_link(task, platform, link, record, before, restore, guard)
    except RollbackError as exc:
        record.outcome = "failed"
        return f"could not restore: {exc}"
    if record.outcome != "rolled-back":
        return f"could not restore: the router has {now.describe()}; check the router"
    if now == _rate(record.rate_before):
        return "restored: the router was on its pre-change config; guard disarmed, saved"
    return "restored: the change was never confirmed; the pre-change config is back, saved"


def _guard(platform: Platform, record: EvidenceRecord, restore: list[str]) -> CommitConfirm:
    if not record.guard or record.guard == UNGUARDED.detail:
        return UNGUARDED
    name = f"bwauto-{record.change_id}-{record.link}"
    return platform.commit_confirm(name, restore, 60)


def _rate(value: dict[str, int | None] | None) -> ShaperRate:
    value = value or {}
    return ShaperRate(value.get("up"), value.get("down"))
