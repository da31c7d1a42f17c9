"""One configuration session per router at a time, across processes (``fcntl.flock``).

The lock file ``<state_dir>/locks/<router>.lock`` holds who took it and when, so a refused
change can say who holds the router since when. The kernel releases the lock if the holder
dies; the file's text is then stale and ignored.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bwauto.change.evidence import operator, utc_now
from bwauto.errors import LockError


@contextmanager
def router_lock(state_dir: Path, router: str, change_id: str) -> Iterator[None]:
    """Hold ``router``'s configuration lock for the duration of the block.

    Raises:
        LockError: another process holds it; the message names the holder and since when.
    """
    path = state_dir / "locks" / f"{router}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockError(f"router {router} is being changed by {_holder(fd)}") from None
        holder = {"change_id": change_id, "user": operator(), "pid": os.getpid(),
                  "since": utc_now()}  # fmt: skip
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return (
            f"change {info['change_id']} (user {info['user']}, pid {info['pid']}) "
            f"since {info['since']}"
        )
    except (ValueError, KeyError):
        return "another bwauto process"
