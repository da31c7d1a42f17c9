"""Shared fixtures: the simulated lab on 127.0.0.1 (real SSH servers and SNMP agents)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab

SAMPLE_INVENTORY = Path(__file__).parents[1] / "inventory"

SHARED_BY_ONE_WORKER = {"zabbix_postgres": "zabbix"}
"""Fixture -> pytest-xdist group: tests using a server that several workers must not run at
once (the Zabbix frontend reads the fixed path /etc/zabbix/zabbix.conf.php, which each
frontend writes and removes) all run on one worker (``--dist loadgroup``)."""


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of ``SHARED_BY_ONE_WORKER`` with their ``xdist_group``."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        for fixture, group in SHARED_BY_ONE_WORKER.items():
            if fixture in names:
                item.add_marker(pytest.mark.xdist_group(group))


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
