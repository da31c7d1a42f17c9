"""The journal beside the register: an anchor outside the database.

After each record is committed, ``<case> <seq> <hash>`` is appended to ``register.journal``
(one ``write`` on an ``O_APPEND`` file, fsynced, so concurrent writers' lines never mix).
``verify`` then knows every record the register ever held: a truncated register, or a record
rewritten with recomputed hashes, no longer extends the journal.

The database commit and the journal line are one critical section (``critical``): it holds
``register.lock`` exclusively, so no other writer or reader (``shared``) sees the register
ahead of its journal, and it defers SIGINT/SIGTERM until both are done, so a Ctrl-C cannot
split them. Only a crash (SIGKILL, power loss) between the commit and the ``write`` leaves the
journal behind the register, and then only by the case's last record(s): ``verify`` names that
``journal-behind``, not a tamper, the case takes no record until ``bwauto request rejournal``
appends the missing lines and records that it did (who, when, why), in the chain itself.

Why the journal is written after the commit, not before: a line written first would be ahead
of the register after a crash, and ``verify`` would have to accept a journal record the
register lacks, which is exactly what a deleted last record looks like. Written after, every
journal line is a record the register must still hold, so truncation stays detectable.
"""

from __future__ import annotations

import fcntl
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from bwauto.case.errors import IntegrityError
from bwauto.case.records import Record
from bwauto.errors import StoreError
from bwauto.files import os_reason


def journal_path(register: Path) -> Path:
    """``register.journal`` beside ``register.sqlite``."""
    return Path(register).with_suffix(".journal")


def append_journal(journal: Path, rec: Record) -> None:
    """Append ``case seq hash`` (one ``write`` on an ``O_APPEND`` file: lines never mix)."""
    line = f"{rec.case} {rec.seq} {rec.hash}\n".encode("ascii")
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_journal(journal: Path) -> dict[str, tuple[tuple[int, str], ...]]:
    """Case id → its ``(seq, hash)`` anchors, in journal order (empty if there is none)."""
    try:
        text = journal.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise IntegrityError(f"journal {journal}: {os_reason(exc)}") from None
    out: dict[str, list[tuple[int, str]]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            out.setdefault(parts[0], []).append((int(parts[1]), parts[2]))
    return {k: tuple(v) for k, v in out.items()}


def lock_path(register: Path) -> Path:
    """``register.lock`` beside ``register.sqlite``."""
    return Path(register).with_suffix(".lock")


@contextmanager
def _flocked(register: Path, mode: int) -> Iterator[None]:
    path = lock_path(register)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o660)  # flock needs no write access
    except OSError as exc:
        if mode == fcntl.LOCK_EX:
            raise StoreError(f"register lock {path}: {os_reason(exc)}") from None
        yield  # a reader that cannot create the lock file (read-only state dir) reads as is
        return
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def shared(register: Path) -> Iterator[None]:
    """Read the register and its journal as one state (no write is half done meanwhile)."""
    with _flocked(register, fcntl.LOCK_SH):
        yield


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Within the block SIGINT/SIGTERM are held back; on leaving it, each one received is
    delivered (to the handler there was before). Only in the main thread (where Python runs
    signal handlers); nested blocks hand the signal outwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    sigs = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, hold) for sig in sigs}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)


@contextmanager
def critical(register: Path) -> Iterator[None]:
    """One writer at a time, signals deferred: the commit and its journal line, together."""
    with deferred_signals(), _flocked(register, fcntl.LOCK_EX):
        yield
