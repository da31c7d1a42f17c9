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
frontend writes and removes) all run on one worker (``--dist loadgroup``). The group starts
where its first test is collected (``--no-loadscope-reorder``), after ``SLOW_FIRST``: by then the
template load each worker starts at collection (tests/monitoring/conftest.py) is over, and the
Zabbix tests' waits do not compete with four of them."""

SHARED_SCOPES = ("class", "module", "package")
"""A test using a fixture of one of these scopes runs on the worker of its module's other
tests, so the fixture (a Prometheus, every document converted by LibreOffice, a forecast
history) is built once, not once per worker."""


def xdist_group(item: pytest.Item) -> str | None:
    """The worker group of a test (see ``SHARED_BY_ONE_WORKER`` and ``SHARED_SCOPES``)."""
    names = getattr(item, "fixturenames", ())
    for fixture, group in SHARED_BY_ONE_WORKER.items():
        if fixture in names:
            return group
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info is not None else ()
    if any(d and d[-1].scope in SHARED_SCOPES for d in defs):
        return item.nodeid.split("::")[0]
    return None


SLOW_FIRST = (
    "tests/test_readme_walk.py",
    "tests/test_shipped.py",
    "tests/test_demo.py",
    "tests/change/test_inventory_lock.py",
    "tests/change/test_interrupt_lab.py",
    "tests/analysis/test_outcome_lab.py",
    "tests/change/test_every_link_lab.py",
)
"""Modules of the longest tests (30-50 s each on an idle 2-core machine): started first, so
that no worker is still running one of them long after the others have finished."""


def slow_first(item: pytest.Item) -> bool:
    """False for a test of ``SLOW_FIRST`` (sorts first), True for the others."""
    return item.nodeid.split("::")[0] not in SLOW_FIRST


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The ``SLOW_FIRST`` tests first (otherwise in collection order), and each test marked
    with its ``xdist_group``, if it has one."""
    items.sort(key=slow_first)
    for item in items:
        group = xdist_group(item)
        if group is not None:
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
