"""Fixtures of the case-file tests: a register on a controlled clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from case_inputs import Clock, write_png

from bwauto.case.mutu_baku import WIB
from bwauto.case.register import Register


@pytest.fixture
def clock() -> Clock:
    # Monday 2 March 2026, 09:00 WIB
    return Clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=WIB))


@pytest.fixture
def reg(tmp_path: Path, clock: Clock) -> Register:
    return Register(tmp_path / "state" / "register.sqlite", clock=clock, user="budi")


@pytest.fixture
def png(tmp_path: Path) -> Callable[[str], Path]:
    return lambda name: write_png(tmp_path / name)
