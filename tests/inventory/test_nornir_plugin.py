"""The Nornir inventory plugin: hosts with their links and OPDs; an inventory the caller has
already loaded is used as it is (issue 16: loading a 5,000-link inventory again cost a
dry-run about a second)."""

from __future__ import annotations

from pathlib import Path

import pytest
from nornir import InitNornir

import bwauto.inventory.nornir_plugin as plugin
from bwauto.inventory.loader import load_inventory

SAMPLE = Path(__file__).resolve().parents[2] / "inventory"


def _nornir(inventory: object = None) -> object:
    options = {"inventory_dir": str(SAMPLE), "credentials": False, "inventory": inventory}
    return InitNornir(inventory={"plugin": "BwautoInventory", "options": options},
                      logging={"enabled": False})  # fmt: skip


def test_hosts_carry_their_links_and_opds() -> None:
    inventory = load_inventory(SAMPLE)
    nr = _nornir()
    host = nr.inventory.hosts["edge-bc-01"]  # type: ignore[attr-defined]
    assert host.data["links"] == [x.id for x in inventory.links_on("edge-bc-01")]
    assert host.platform == "mikrotik_routeros"


def test_an_inventory_already_loaded_is_not_loaded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    inventory = load_inventory(SAMPLE)

    def refuse(directory: object) -> None:
        raise AssertionError("loaded again")

    monkeypatch.setattr(plugin, "load_inventory", refuse)
    nr = _nornir(inventory)
    assert sorted(nr.inventory.hosts) == sorted(inventory.routers)  # type: ignore[attr-defined]
    with pytest.raises(AssertionError, match="loaded again"):
        _nornir()
