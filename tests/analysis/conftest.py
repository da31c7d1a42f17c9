"""Fixtures of the analysis tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from known_history import History, load_history


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    """The known history of ``known_history``, imported into a new store."""
    h = load_history(tmp_path)
    yield h
    h.store.close()
