"""Where bwauto keeps its state: samples, evidence, the request register, the lab.

The state dir is ``--state-dir``, else ``$BWAUTO_STATE_DIR``, else
``$XDG_STATE_HOME/bwauto``, else ``~/.local/state/bwauto``.

It holds the case register, evidence and samples: only its owner may read it (0700, files
0600). An office whose team shares one state dir names a group (``state_group`` in the
inventory's ``defaults.yaml`` data, or ``$BWAUTO_STATE_GROUP``): the dir is then 0750 with
the set-group-id bit, so everything created in it belongs to that group and is 0640.

Examples:
    >>> default_state_dir({"BWAUTO_STATE_DIR": "/srv/bwauto"})
    PosixPath('/srv/bwauto')
    >>> default_state_dir({"XDG_STATE_HOME": "/x", "HOME": "/home/u"})
    PosixPath('/x/bwauto')
"""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Mapping
from pathlib import Path

PRIVATE_UMASK = 0o077
"""Default: the state dir 0700, its files 0600."""
GROUP_UMASK = 0o027
"""With ``state_group``: the state dir 0750, its files 0640, nothing for others."""


_caller_umask: list[int] = [0o022]
"""The umask bwauto was started under (``private_umask`` remembers it)."""


def private_umask() -> int:
    """Run under ``PRIVATE_UMASK``; returns the caller's umask, remembered for the files the
    user asks for by path (``bwauto.files.publish_outputs``)."""
    _caller_umask[0] = os.umask(PRIVATE_UMASK)
    return _caller_umask[0]


def caller_umask() -> int:
    """The umask bwauto was started under (0o022 if ``private_umask`` was not called)."""
    return _caller_umask[0]


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """The state dir when none is given on the command line."""
    env = os.environ if env is None else env
    if env.get("BWAUTO_STATE_DIR"):
        return Path(env["BWAUTO_STATE_DIR"]).expanduser()
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]) / "bwauto"
    return Path(env.get("HOME", "~")).expanduser() / ".local" / "state" / "bwauto"


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where bwauto keeps what it can make again (the compiled catalogues):
    ``$XDG_CACHE_HOME/bwauto``, else ``~/.cache/bwauto`` (a relative ``$XDG_CACHE_HOME`` is
    ignored, as the XDG Base Directory Specification says).

    Examples:
        >>> default_cache_dir({"XDG_CACHE_HOME": "/c", "HOME": "/home/u"})
        PosixPath('/c/bwauto')
        >>> default_cache_dir({"XDG_CACHE_HOME": "rel", "HOME": "/home/u"})
        PosixPath('/home/u/.cache/bwauto')
    """
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME", "")
    if os.path.isabs(base):
        return Path(base) / "bwauto"
    return Path(env.get("HOME", "~")).expanduser() / ".cache" / "bwauto"


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


def state_umask(group: str | None) -> int:
    """The umask bwauto runs under: private, or shared with ``group``.

    Examples:
        >>> oct(state_umask(None)), oct(state_umask("netops"))
        ('0o77', '0o27')
    """
    return GROUP_UMASK if group else PRIVATE_UMASK


def state_group(inventory_dir: Path, env: Mapping[str, str] | None = None) -> str | None:
    """``$BWAUTO_STATE_GROUP``, else ``data.state_group`` in ``defaults.yaml``, else None.

    Only that one value is read here (the inventory is validated by the command that uses it).
    """
    env = os.environ if env is None else env
    if env.get("BWAUTO_STATE_GROUP"):
        return env["BWAUTO_STATE_GROUP"]
    from bwauto.files import InputFileError, read_yaml

    try:
        data = read_yaml(inventory_dir / "defaults.yaml")
    except InputFileError:
        return None  # the inventory check names the problem
    section = data.get("data") if isinstance(data, dict) else None
    value = section.get("state_group") if isinstance(section, dict) else None
    return str(value) if value else None  # a malformed file: the inventory check names it


STATE_ENTRIES = ("register.sqlite", "register.journal", "samples.sqlite", "evidence", "cases",
                 "monitoring", "lab", "locks")  # fmt: skip


def _is_state_dir(path: Path) -> bool:
    """An existing dir that bwauto made, or an empty one (a dir given by mistake, e.g. ``~``,
    is left alone)."""
    try:
        if not path.is_dir():
            return False
        return any((path / name).exists() for name in STATE_ENTRIES) or not any(path.iterdir())
    except OSError:
        return False


def private_mode(mode: int, serves_a_group: bool = False) -> int:
    """The private state dir's mode from its current one: 0700, keeping only a service
    group's traverse bit (0710, set by ``let_group_through``: no listing, no reading), also
    when someone widened it (``chmod 755``) if the dir ``serves_a_group`` (``_serves_a_group``).

    Examples:
        >>> oct(private_mode(0o755)), oct(private_mode(0o750)), oct(private_mode(0o710))
        ('0o700', '0o700', '0o710')
        >>> oct(private_mode(0o755, serves_a_group=True)), oct(private_mode(0o700, True))
        ('0o710', '0o700')
    """
    keep = mode & 0o070 == 0o010 or (serves_a_group and mode & 0o010)
    return 0o700 | (0o010 if keep else 0)


def _serves_a_group(state_dir: Path) -> bool:
    """The dir was given to a service's group for its monitoring output (``monitor register``
    chowns it to snmp_exporter's group, ``let_group_through``): it has monitoring output and
    belongs to a group that is not the user's own."""
    try:
        return (state_dir / "monitoring").is_dir() and state_dir.stat().st_gid != os.getegid()
    except OSError:
        return False


def check_state_dir(state_dir: Path) -> None:
    """Refuse a state dir that is a file, a symlink loop, a dangling symlink, or below a file.

    Raises:
        InputFileError: what it is (one line, exit 2).
    """
    from bwauto.files import InputFileError, os_reason

    try:
        st = state_dir.stat()
    except FileNotFoundError:
        if state_dir.is_symlink():
            raise InputFileError(state_dir, "--state-dir: a symlink to nothing") from None
        return  # created when first needed
    except OSError as exc:
        raise InputFileError(state_dir, f"--state-dir: {os_reason(exc)}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InputFileError(state_dir, "--state-dir: is a file, expected a directory")


def check_state_dir_writable(state_dir: Path) -> None:
    """Refuse, before any work (before a router is contacted), a state dir in which nothing
    can be written: the dir, or the nearest existing dir above it, must take a new file (a
    probe, made and removed: ``os.access`` says yes to root even in ``/proc`` or ``/sys``).

    Raises:
        InputFileError: the path, why, and what to do (one line, exit 2).
    """
    from bwauto.files import InputFileError, check_output_dir

    try:
        check_output_dir(state_dir, "--state-dir", publish=False)
    except InputFileError as exc:
        raise InputFileError(state_dir, f"{exc.reason}; {WRITABLE_HINT}") from None


WRITABLE_HINT = "give a directory you can write with --state-dir or $BWAUTO_STATE_DIR"
"""What to do when the state dir cannot be written."""


def shared_mode(mode: int) -> int:
    """The team's state dir's mode: 0750 with set-group-id, keeping only a traverse bit for
    others (0751, set by ``let_group_through`` for a service of another group).

    Examples:
        >>> oct(shared_mode(0o755)), oct(shared_mode(0o2751))
        ('0o2750', '0o2751')
    """
    return 0o750 | stat.S_ISGID | (0o001 if mode & 0o007 == 0o001 else 0)


def _public_parents(state_dir: Path) -> list[Path]:
    """Create missing dirs above the state dir 0755, as ``mkdir -p`` would: only the state dir
    itself is private (bwauto runs under umask 077, which would make them 0700). Returns the
    dirs it created, deepest first (a command refused before it stored anything removes them)."""
    missing = [d for d in state_dir.absolute().parents if not d.exists()]
    created: list[Path] = []
    for d in reversed(missing):
        try:
            d.mkdir()
            d.chmod(0o755)
            created.insert(0, d)
        except FileExistsError:
            continue
        except OSError:
            break  # the command that writes there says why
    return created


def prepare_state_dir(state_dir: Path, group: str | None) -> list[Path]:
    """Give an existing state dir its modes, and create it when it is shared with ``group``.

    Private (default): an existing dir is brought to 0700 by every command (``private_mode``);
    a new one is created 0700 when first needed (under ``state_umask``). Shared: the dir is
    created if needed, given to ``group``, and made 0750 with set-group-id so that new files
    and dirs inherit the group (``shared_mode``).

    Returns the dirs above the state dir it created (deepest first).

    Raises:
        StoreError: the group does not exist, or the dir cannot be given to it.
    """
    from bwauto.errors import StoreError

    check_state_dir(state_dir)
    created = _public_parents(state_dir)
    if group is None:
        if _is_state_dir(state_dir) and state_dir.stat().st_uid == os.geteuid():
            mode = stat.S_IMODE(state_dir.stat().st_mode)
            wanted = private_mode(mode, serves_a_group=_serves_a_group(state_dir))
            if mode != wanted:
                state_dir.chmod(wanted)
        return created
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise StoreError(f"state_group {group!r}: no such group on this machine") from None
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        if state_dir.stat().st_gid != gid:
            os.chown(state_dir, -1, gid)
        mode = stat.S_IMODE(state_dir.stat().st_mode)
        if mode != shared_mode(mode):  # a teammate's dir already right needs no chmod
            state_dir.chmod(shared_mode(mode))
    except OSError as exc:
        raise StoreError(
            f"state dir {state_dir}: cannot share it with group {group!r}: {exc.strerror}"
        ) from None
    return created


def let_group_through(state_dir: Path, target: Path, gid: int) -> None:
    """Let members of ``gid`` traverse, not list, the dirs from ``state_dir`` down to ``target``.

    Files another service reads (snmp_exporter's ``snmp.yml``, for the ``prometheus`` group)
    may live inside the private state dir: each dir on the way gets that group and ``g+x``, or,
    when it already belongs to the team's ``state_group``, ``o+x``. Nothing becomes readable.
    """
    state, dest = state_dir.resolve(), target.resolve()
    on_the_way = [d for d in dest.parents if d == state or state in d.parents]
    for d in on_the_way:
        st = d.stat()
        if st.st_uid != os.geteuid():
            continue
        mode = stat.S_IMODE(st.st_mode)
        if st.st_gid != gid and not mode & 0o070:  # private: give it to the group, x only
            os.chown(d, -1, gid)
            st = d.stat()
        bit = 0o010 if st.st_gid == gid else 0o001
        if not mode & bit:
            d.chmod(mode | bit)
