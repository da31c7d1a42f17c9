"""Doctests show the code's own language: English (the CLI's default output is Indonesian,
``bwauto.i18n``), whatever ``BWAUTO_LANG`` the shell has."""

from __future__ import annotations

import pytest
from _pytest.doctest import DoctestItem


@pytest.fixture(autouse=True)
def _doctests_in_english(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if isinstance(request.node, DoctestItem):
        monkeypatch.setenv("BWAUTO_LANG", "en")
