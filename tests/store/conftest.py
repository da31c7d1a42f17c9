"""Fixtures of the sample-store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bwauto.store import SampleStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SampleStore]:
    """A new sample store in the test's own state dir, closed after the test."""
    s = SampleStore(tmp_path / "state" / "samples.sqlite", create=True)
    yield s
    s.close()
