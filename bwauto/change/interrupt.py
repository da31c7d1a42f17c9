"""SIGINT/SIGTERM during a change: stop typing at the next safe point, never mid-line.

``stop_on_signals()`` (main thread, around the apply run) turns both signals into a flag that
the change tasks poll between steps (``ChangeContext.stop``): before config mode, between two
configuration lines, before the confirm. A task that sees it puts the router back (or leaves
the guard to do it, saying when) and closes its evidence as ``interrupted``; the CLI then says
so in one line and exits 130. A Python signal handler runs only in the main thread, between
bytecodes, so it can do no more than set the flag; what a killed process could not finish is
closed later by ``bwauto.change.reconcile`` from the write-ahead evidence.

Outside such a block, ``sigterm_as_sigint()`` (around the whole of ``bwauto.cli.app.main``)
makes SIGTERM do whatever SIGINT does at that moment: ``KeyboardInterrupt`` (one line, exit
130), asyncio's cancelling of the running task, a deferred commit's holding of it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from bwauto.errors import BwautoError

EXIT_INTERRUPTED = 130


class Interrupted(BwautoError):
    """The operator interrupted the change (SIGINT/SIGTERM)."""

    exit_code = EXIT_INTERRUPTED


STOP = threading.Event()
"""Set by SIGINT/SIGTERM while ``stop_on_signals`` is active."""


@contextmanager
def stop_on_signals(stop: threading.Event = STOP) -> Iterator[threading.Event]:
    """Within the block, SIGINT and SIGTERM set ``stop`` instead of raising; restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    stop.clear()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _as_sigint(signum: int, frame: FrameType | None) -> None:
    """SIGTERM: call the handler SIGINT has now; ``KeyboardInterrupt`` if it has none (SIGINT
    is ignored in a job a non-interactive shell started in the background)."""
    current = signal.getsignal(signal.SIGINT)
    if callable(current):
        current(signal.SIGINT, frame)
        return
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_sigint() -> Iterator[None]:
    """Within the block SIGTERM does what SIGINT does (``_as_sigint``); restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _as_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
