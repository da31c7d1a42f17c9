"""Files shared between processes: an exclusive lock, and atomic writes with a group and mode.

Every read-modify-write of bwauto's generated monitoring files and of its registration ledger
runs under :func:`locked` (``flock(2)`` on a lock file next to them), so that concurrent
``monitor register`` processes never lose each other's links.

Modes: with a usable group (:func:`usable_gid`: it exists, and we are root or in it) the
directory is ``2750`` (new files inherit the group) and files ``0640``, so the
``prometheus`` user reads them through its group and nobody else does. Without one, files
holding secrets are ``0600`` and the others ``0644``. A secret file is never world-readable.

Examples:
    >>> file_mode(secret=True, gid=None), file_mode(secret=True, gid=105)
    (384, 416)
    >>> oct(file_mode(secret=False, gid=None)), oct(dir_mode(105))
    ('0o644', '0o2750')
"""

from __future__ import annotations

import fcntl
import grp
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def usable_gid(group: str | None) -> int | None:
    """The gid of ``group`` if it exists and we may give files to it, else None."""
    if not group:
        return None
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        return None
    if os.geteuid() == 0 or gid == os.getegid() or gid in os.getgroups():
        return gid
    return None


def file_mode(secret: bool, gid: int | None) -> int:
    """The mode of a generated file."""
    if gid is not None:
        return 0o640
    return 0o600 if secret else 0o644


def dir_mode(gid: int | None) -> int:
    """The mode of a generated directory."""
    return 0o2750 if gid is not None else 0o755


def ensure_dir(path: Path, gid: int | None, top: Path | None = None) -> None:
    """Create ``path`` (and parents) and give it, and each dir up to ``top``, bwauto's mode
    and group (dirs above ``top`` are created but left as they are)."""
    path.mkdir(parents=True, exist_ok=True)
    ours = [path] + ([p for p in path.parents if top in p.parents] if top else [])
    for d in ours:
        if gid is not None and d.stat().st_gid != gid:
            os.chown(d, -1, gid)
        if (d.stat().st_mode & 0o7777) != dir_mode(gid):
            d.chmod(dir_mode(gid))


def write_file(path: Path, text: str, *, secret: bool, gid: int | None) -> None:
    """Write ``path`` atomically, in its final mode and group from the moment it exists."""
    mode = file_mode(secret, gid)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        if gid is not None:
            os.fchown(fd, -1, gid)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def fix_mode(path: Path, *, secret: bool, gid: int | None) -> bool:
    """Give an existing file its mode and group; True if anything had to change."""
    st = path.stat()
    changed = False
    if gid is not None and st.st_gid != gid:
        os.chown(path, -1, gid)
        changed = True
    if (st.st_mode & 0o777) != file_mode(secret, gid):
        path.chmod(file_mode(secret, gid))
        changed = True
    return changed


@contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_file`` (created if needed) for the block.

    Not re-entrant: a second ``locked`` on the same file in the same process waits forever,
    so callers take it once around each read-modify-write.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
