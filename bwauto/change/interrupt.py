"""SIGINT/SIGTERM during a change: stop typing at the next safe point, never mid-line.

``stop_on_signals()`` (main thread, around the apply run) turns both signals into a flag that
the change tasks poll between steps (``ChangeContext.stop``): before config mode, between two
configuration lines, before the confirm. A task that sees it puts the router back (or leaves
the guard to do it, saying when) and closes its evidence as ``interrupted``; the CLI then says
so in one line and exits 130. A Python signal handler runs only in the main thread, between
bytecodes, so it can do no more than set the flag; what a killed process could not finish is
closed later by ``bwauto.change.reconcile`` from the write-ahead evidence.

After the apply the routers are changed: the post-change step (committed rates into the
inventory, the links back into monitoring) always finishes, since an inventory left behind
its routers is worse than a late exit. ``tell_on_stop`` around it says so at once, in one line,
when a signal arrives then (or arrived during the apply); only the monitoring's waits for its
servers end early (``monitor sync`` retries what was not verified).

Outside ``stop_on_signals``, ``sigterm_as_sigint()`` (around the whole of ``bwauto.cli.app.main``)
makes SIGTERM do whatever SIGINT does at that moment: ``KeyboardInterrupt`` (one line, exit
130), asyncio's cancelling of the running task, a deferred commit's holding of it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType

from bwauto.errors import BwautoError

EXIT_INTERRUPTED = 130


class Interrupted(BwautoError):
    """The operator interrupted the change (SIGINT/SIGTERM)."""

    exit_code = EXIT_INTERRUPTED


def finishing_text() -> str:
    """The line said when a signal arrives after routers were changed (chosen language)."""
    from bwauto.i18n import _

    return _("interrupted: the routers are changed; bwauto is finishing the inventory and "
             "monitoring records, then stops")  # fmt: skip


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


@contextmanager
def tell_on_stop(
    tell: Callable[[], None] | None, stop: threading.Event = STOP, poll_s: float = 0.05
) -> Iterator[None]:
    """Within the block (work that finishes once begun), call ``tell`` once, from a thread of
    its own and at once, when ``stop`` is set (or already is); the block goes on.

    Examples:
        >>> said = []
        >>> flag = threading.Event()
        >>> with tell_on_stop(lambda: said.append("finishing"), flag):
        ...     flag.set()
        ...     import time; time.sleep(0.2)
        >>> said
        ['finishing']
    """
    if tell is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if stop.wait(poll_s):
                with suppress(OSError):  # a closed stderr must not stop the block's work
                    tell()
                return

    watcher = threading.Thread(target=watch, name="tell-on-stop", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


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
