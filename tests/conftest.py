"""Shared fixtures: the simulated lab on 127.0.0.1 (real SSH servers and SNMP agents)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab

SAMPLE_INVENTORY = Path(__file__).parents[1] / "inventory"


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One lab of the sample inventory for the whole session (do not change its configs)."""
    running = Lab(load_inventory(SAMPLE_INVENTORY), tmp_path_factory.mktemp("lab")).start()
    yield running
    running.stop()


@pytest.fixture
def lab_faults(lab: Lab) -> Iterator[Lab]:
    """The session lab; every fault switched on by the test is switched off after it."""
    yield lab
    lab.reset_faults()


@pytest.fixture
def fresh_lab(tmp_path: Path) -> Iterator[Lab]:
    """A lab of its own for a test that changes router configs; state dir is its parent."""
    running = Lab(load_inventory(SAMPLE_INVENTORY), tmp_path / "state").start()
    yield running
    running.stop()
