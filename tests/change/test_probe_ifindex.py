"""A change's SNMP probe starts from the ifIndex map the poller keeps in the sample store and
keeps there what it walked (issue 16): a dry-run over many routers costs each router one
GETBULK of its links' rows, not a walk of ifName first. Real lab routers, every link of the
sample inventory (RouterOS VLANs and ethernet ports, IOS subinterfaces and ports)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bwauto.cli.app import main
from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab
from bwauto.snmp.oids import IF_HIGH_SPEED
from bwauto.snmp.session import SnmpSession
from bwauto.store.ifindex import kept_if_indexes
from bwauto.store.samples import store_path


@pytest.fixture()
def walks(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Per router, the walks of ifName and ifHighSpeed started (the requests still go out)."""
    counts: Counter[str] = Counter()
    real = SnmpSession._request

    async def counted(self: SnmpSession, kind: str, oids: Any, *args: Any) -> Any:
        if kind == "bulk" and (*IF_HIGH_SPEED, 0) in [tuple(oid) for oid in oids]:
            counts[self.target.router] += 1
        return await real(self, kind, oids, *args)

    monkeypatch.setattr(SnmpSession, "_request", counted)
    return counts


SLOW_PORTS = ("kec-sekupang", "satpolpp")  # on 100M ports: raised apart, to 50M


def _dry_run(lab: Lab, state: Path, links: list[str]) -> int:
    """One dry-run of ``links`` to 300M (the links on 100M ports in a second one, to 50M)."""
    code = 0
    for group, to in (([x for x in links if x not in SLOW_PORTS], "300M"),
                      ([x for x in links if x in SLOW_PORTS], "50M")):  # fmt: skip
        args = ["--inventory", str(lab.inventory_dir), "--state-dir", str(state), "raise"]
        for link in group:
            args += ["--link", link]
        if group:
            code = max(code, main([*args, "--to", to, "--dry-run", "--force",
                                   "--prepare-archive"]))  # fmt: skip
    return code


def test_the_map_is_kept_and_the_next_dry_run_walks_nothing(
    lab: Lab, tmp_path: Path, walks: Counter[str]
) -> None:
    inventory = load_inventory(lab.inventory_dir)
    links = sorted(inventory.links)
    assert _dry_run(lab, tmp_path, links) == 0
    routers = {inventory.links[i].router for i in links}
    assert set(walks) == routers  # nothing kept yet: every router walked once
    kept = kept_if_indexes(tmp_path)
    for link_id in links:
        link = inventory.links[link_id]
        assert link.interface in kept[link.router]
    walks.clear()
    assert _dry_run(lab, tmp_path, links) == 0
    assert walks == Counter()


def test_a_map_that_no_longer_holds_is_walked_again(
    lab: Lab, tmp_path: Path, walks: Counter[str]
) -> None:
    """A kept index that names another interface now (RFC 2863 3.1.5: renumbered at a
    re-initialisation) is proven wrong by the name column, walked again and replaced."""
    from bwauto.snmp.ifcache import CachedIndex
    from bwauto.store.ifindex import keep_if_indexes

    inventory = load_inventory(lab.inventory_dir)
    link = inventory.links["dinkes"]
    assert _dry_run(lab, tmp_path, ["dinkes"]) == 0
    right = kept_if_indexes(tmp_path)[link.router][link.interface]
    wrong = CachedIndex(right.if_index + 1, right.column, right.value, right.high_speed)
    keep_if_indexes(tmp_path, {link.router: {link.interface: wrong}})
    walks.clear()
    assert _dry_run(lab, tmp_path, ["dinkes"]) == 0
    assert walks == Counter({link.router: 1})
    assert kept_if_indexes(tmp_path)[link.router][link.interface] == right


def test_a_store_that_cannot_be_read_is_no_reason_to_refuse(lab: Lab, tmp_path: Path) -> None:
    store_path(tmp_path).write_text("not a sample store\n")
    assert kept_if_indexes(tmp_path) == {}
    assert _dry_run(lab, tmp_path, ["dinkes"]) == 0
    assert store_path(tmp_path).read_text() == "not a sample store\n"


def test_a_dry_run_loads_the_inventory_once(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Nornir sessions use the inventory the command loaded (a 5,000-link inventory
    loaded twice cost a one-link dry-run about a second more)."""
    import bwauto.inventory.loader as loader
    import bwauto.inventory.nornir_plugin as plugin

    loads: list[object] = []
    real = loader.load_inventory

    def counted(directory: object) -> object:
        loads.append(directory)
        return real(directory)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "load_inventory", counted)
    monkeypatch.setattr(plugin, "load_inventory", counted)
    assert _dry_run(lab, tmp_path, ["dinkes"]) == 0
    assert len(loads) == 1
