"""Where bwauto keeps its state: samples, evidence, the request register, the lab.

The state dir is ``--state-dir``, else ``$BWAUTO_STATE_DIR``, else
``$XDG_STATE_HOME/bwauto``, else ``~/.local/state/bwauto``.

Examples:
    >>> default_state_dir({"BWAUTO_STATE_DIR": "/srv/bwauto"})
    PosixPath('/srv/bwauto')
    >>> default_state_dir({"XDG_STATE_HOME": "/x", "HOME": "/home/u"})
    PosixPath('/x/bwauto')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """The state dir when none is given on the command line."""
    env = os.environ if env is None else env
    if env.get("BWAUTO_STATE_DIR"):
        return Path(env["BWAUTO_STATE_DIR"]).expanduser()
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]) / "bwauto"
    return Path(env.get("HOME", "~")).expanduser() / ".local" / "state" / "bwauto"


def default_inventory_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$BWAUTO_INVENTORY`` or ``./inventory``.

    Examples:
        >>> default_inventory_dir({})
        PosixPath('inventory')
    """
    env = os.environ if env is None else env
    return Path(env.get("BWAUTO_INVENTORY") or "inventory")


def atomic_write(path: Path, data: bytes | str, private: bool = False) -> None:
    """Write ``path`` so that readers see the old file or the new one, never half of one.

    With ``private`` the file is mode 0600 from the moment it exists (secrets files).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(raw)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def check_output(path: Path, option: str, *, folder: bool = False, suffix: str = "") -> Path:
    """Refuse, before any work, an output path that cannot be written: a folder where a file is
    wanted (or the reverse), a parent that is a file, a parent folder bwauto may not write
    in, or the wrong file ending (``suffix``). Returns ``path``.

    Raises:
        UsageError: naming the option, the path and what to change.

    Examples:
        >>> check_output(Path("/tmp/x.xlsx"), "--xlsx", suffix=".xlsx")
        PosixPath('/tmp/x.xlsx')
        >>> check_output(Path("/tmp/x.csv"), "--xlsx", suffix=".xlsx")
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: --xlsx /tmp/x.csv: the file name must end in .xlsx
        >>> check_output(Path("/etc/hostname/x.csv"), "--csv")
        Traceback (most recent call last):
        ...
        bwauto.errors.UsageError: --csv /etc/hostname/x.csv: /etc/hostname is a file, not a folder
    """
    from bwauto.errors import UsageError

    if suffix and not folder and path.suffix.lower() != suffix:
        raise UsageError(f"{option} {path}: the file name must end in {suffix}")
    if path.exists() and path.is_dir() != folder:
        what = "is a file; give a folder" if folder else "is a folder; give a file name"
        raise UsageError(f"{option} {path}: {what}")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{option} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot write in {parent}")
    return path
