"""Benchmark of a real raise's post-change step on a province-wide inventory (issue 16).

Run by hand (pytest does not collect it)::

    python tests/benchmarks/bench_post_change.py [--routers 250] [--links 20] [--changed 5]

After the routers are changed, ``bwauto raise`` writes the new committed rates into
``links.yaml`` and puts each changed link back into monitoring (SOP step 8):
``bwauto.change.execute.after_apply``. That step touches no router, so it is measured without
one: a lab inventory of ``--routers`` x ``--links`` links (``synthetic_inventory`` written as
``bwauto lab up`` writes it, with its secrets file), every link already monitored by the
default Prometheus backend (its files and the registration ledger as ``monitor sync`` leaves
them), and a change whose ``--changed`` links (on as many routers) ended ``changed``.

* bwauto: ``after_apply`` on that change (one read and one write of ``links.yaml`` for every
  link, the new rates edited in place; the monitoring backend built and its files written once);
* reference, measured in the same run on a copy of the same state: the same work one link at
  a time, as ``after_apply`` did it before (``update_committed`` then
  ``register_after_change`` and the monitoring file, per link).

Both must leave the same committed rates in ``links.yaml``, and every link registered. Wall
and CPU seconds of this process. No issue target for this figure: "-" is printed. The bwauto
measured is the one on ``PYTHONPATH`` (``export PYTHONPATH=$PWD`` in the checkout to measure).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

CHANGE_ID = "CH-20261130-120000-beef"
NEW_DOWN = 500_000_000  # above every synthetic link's committed download


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def build(root: Path, routers: int, links: int) -> tuple[Path, Path]:
    """A lab-style inventory (no routers needed) and a state dir where every link is monitored."""
    from bwauto.credentials import CredentialResolver
    from bwauto.inventory.loader import load_inventory
    from bwauto.lab.inventory_out import (
        lab_inventory,
        synthetic_inventory,
        write_inventory,
        write_secrets,
    )
    from bwauto.lab.specs import LabSecrets
    from bwauto.monitoring.base import get_backend
    from bwauto.monitoring.links import monitored_link
    from bwauto.monitoring.runner import _write_records, settings_fingerprint
    from bwauto.monitoring.settings import load_settings

    write_inventory(root / "source", synthetic_inventory(routers, links), "synthetic")
    source = load_inventory(root / "source")
    ports = {name: (20000 + i, 40000 + i) for i, name in enumerate(source.routers)}
    inventory_dir, state = root / "lab" / "inventory", root / "state"
    write_inventory(inventory_dir, lab_inventory(source, ports, "../secrets.yaml"), "lab")
    write_secrets(root / "lab" / "secrets.yaml", LabSecrets.generate())
    inventory = load_inventory(inventory_dir)
    settings = load_settings(inventory_dir, state)
    credentials = CredentialResolver.from_files(None, inventory.secrets_file)
    backend = get_backend(settings.backend, settings, credentials=credentials)
    targets = [monitored_link(inventory, link, credentials) for link in inventory.links.values()]
    backend.sync(targets)  # type: ignore[attr-defined]
    fingerprint = settings_fingerprint(settings, settings.backend)
    _write_records(state, {link.id: {settings.backend: {
        "at": "-", "ok": True, "error": None, "settings": fingerprint,
        "capacity": {"up": link.committed.up, "down": link.committed.down}}}
        for link in inventory.links.values()})  # fmt: skip
    return inventory_dir, state


def changed_outcome(state: Path, link_ids: list[str]) -> object:
    """The apply's outcome: every link ``changed`` (its evidence written, as the run does)."""
    from bwauto.change.evidence import EvidenceRecord, write_evidence
    from bwauto.change.runner import RunOutcome

    outcome = RunOutcome(CHANGE_ID)
    for link in link_ids:
        record = EvidenceRecord(change_id=CHANGE_ID, link=link, router="-", platform="-",
                                dry_run=False, outcome="changed",
                                rate_after={"up": None, "down": NEW_DOWN})  # fmt: skip
        write_evidence(state, record)
        outcome.records.append(record)
    return outcome


def one_at_a_time(inventory_dir: Path, state: Path, link_ids: list[str]) -> list[bool]:
    """The post-change step as it was: a round trip and a registration per link."""
    from bwauto.change.evidence import write_monitoring
    from bwauto.change.inventory_update import update_committed
    from bwauto.inventory.loader import load_inventory
    from bwauto.monitoring.runner import register_after_change

    for link in link_ids:
        update_committed(inventory_dir, link, None, NEW_DOWN)
    inventory = load_inventory(inventory_dir)
    oks = []
    for link in link_ids:
        result = register_after_change(inventory.links[link], inventory, state)
        write_monitoring(state, CHANGE_ID, link, result)
        oks.append(bool(result.get("ok")))
    return oks


def timed(fn: object, *args: object) -> tuple[float, float, object]:
    wall, used = time.perf_counter(), cpu()
    value = fn(*args)  # type: ignore[operator]
    return time.perf_counter() - wall, cpu() - used, value


def committed(inventory_dir: Path, link_ids: list[str]) -> list[int]:
    from bwauto.inventory.loader import load_inventory

    links = load_inventory(inventory_dir).links
    return [links[link].committed.down for link in link_ids]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=" ".join((__doc__ or "").split("\n\n")[0].split()),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--routers", type=int, default=250, help="routers in the inventory")
    parser.add_argument("--links", type=int, default=20, help="links per router")
    parser.add_argument("--changed", type=int, default=5, help="links the change raised")
    args = parser.parse_args(argv)
    from bwauto.change.execute import after_apply

    link_ids = [f"opd-{r:03d}-01" for r in range(1, args.changed + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        inventory_dir, state = build(Path(tmp) / "ours", args.routers, args.links)
        built = time.perf_counter() - began
        ref_inventory, ref_state = Path(tmp) / "ref" / "lab" / "inventory", Path(tmp) / "ref_state"
        shutil.copytree(inventory_dir.parent.parent / "lab", ref_inventory.parent)
        shutil.copytree(state, ref_state)
        outcome = changed_outcome(state, link_ids)
        changed_outcome(ref_state, link_ids)
        ours = timed(after_apply, inventory_dir, state, outcome)
        ref = timed(one_at_a_time, ref_inventory, ref_state, link_ids)
        updated, monitored = ours[2]  # type: ignore[misc]
        ok = (updated == link_ids and all(m.ok for m in monitored) and all(ref[2])  # type: ignore[arg-type]
              and committed(inventory_dir, link_ids) == committed(ref_inventory, link_ids)
              == [NEW_DOWN] * len(link_ids))  # fmt: skip
    total = args.routers * args.links
    print(f"bwauto raise post-change benchmark: {args.changed} changed links on a {total:,}-link "
          f"inventory ({args.routers} routers; every link monitored by Prometheus files; "
          f"built in {built:.1f} s)")  # fmt: skip
    print(f"  {'':34}{'target':>8}{'bwauto':>10}{'reference':>12}")
    print(f"  {'post-change, wall':34}{'-':>8}{ours[0]:>8.2f} s{ref[0]:>10.2f} s   "
          f"(reference: one link at a time, as before)")  # fmt: skip
    print(f"  {'post-change, CPU':34}{'-':>8}{ours[1]:>8.2f} s{ref[1]:>10.2f} s")
    print(f"  {'per changed link, wall':34}{'-':>8}{ours[0] / args.changed:>8.2f} s"
          f"{ref[0] / args.changed:>10.2f} s")  # fmt: skip
    load = os.getloadavg()
    print(f"  machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f}")
    if not ok:
        print("  problem: the two did not leave the same rates, or a link was not registered")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
