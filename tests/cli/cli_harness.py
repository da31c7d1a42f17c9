"""Types shared by the CLI tests."""

from __future__ import annotations

from collections.abc import Callable

Bw = Callable[..., tuple[int, str, str]]
"""``bw(*args) -> (exit code, stdout, stderr)``: runs bwauto with a test inventory and state dir."""
