"""``bwauto monitor setup prometheus``: every file a fresh Prometheus and snmp_exporter need,
and the exact commands that start them.

It writes the whole output dir for the inventory's links (``snmp.yml`` included, so
snmp_exporter can start before the first registration), without reloading anything (the
servers may not run yet), and checks that the ``prometheus`` user can reach the files:
through the configured group (``prometheus.group``, default ``prometheus``) and through
every parent directory.

Examples:
    >>> reach_problems([("/home/u", 0o40700, 1000, 1000)], gid=105)
    ['/home/u (mode 0700): the group cannot enter it; use an output_dir outside it']
"""

from __future__ import annotations

import os
import pwd
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bwauto.monitoring import promconfig as pc
from bwauto.monitoring.settings import MonitoringSettings

SYSTEMD_DIR = Path("/etc/systemd/system")
Translate = Callable[[str], str]


@dataclass(frozen=True)
class Commands:
    """What to run after ``setup``: on Debian (systemd), or anywhere in the foreground."""

    debian: tuple[str, ...]
    foreground: tuple[str, ...]
    then: tuple[str, ...]


def commands(settings: MonitoringSettings, state_dir: Path, inventory_dir: Path) -> Commands:
    """The commands that start snmp_exporter and Prometheus on the files ``setup`` wrote, and
    the sync to run then (naming this inventory and state dir, whatever the defaults are)."""
    p, out = settings.prometheus, settings.prometheus_dir
    q = shlex.quote
    installs = tuple(
        f"sudo install -D -m 0644 {q(str(out / rel))} "
        f"{q(str(SYSTEMD_DIR / rel.removeprefix('debian/')))}"
        for rel in (pc.EXPORTER_DROPIN, pc.PROMETHEUS_DROPIN)
    )
    debian = (
        *installs,
        "sudo systemctl daemon-reload",
        "sudo systemctl restart prometheus-snmp-exporter prometheus",
    )
    listen = pc.listen_address(settings)
    as_user = f"sudo -u {q(p.user)} "  # the servers read the files as the service user
    foreground = (
        f"{as_user}prometheus-snmp-exporter --config.file={q(str(out / pc.SNMP_FILE))} "
        f"--web.listen-address={p.snmp_exporter}",
        f"{as_user}prometheus --config.file={q(str(out / pc.PROMETHEUS_FILE))} "
        f"--web.enable-lifecycle --web.listen-address={listen} "
        f"--storage.tsdb.path={q(str(tsdb_dir(state_dir)))}",
    )
    sync = (f"bwauto --inventory {q(str(inventory_dir.resolve()))} "
            f"--state-dir {q(str(state_dir.resolve()))} monitor sync --all")  # fmt: skip
    return Commands(debian, foreground, (sync,))


def tsdb_dir(state_dir: Path) -> Path:
    """Where the foreground Prometheus keeps its data (Debian's service uses its own)."""
    return state_dir / "monitoring" / "tsdb"


def prepare_tsdb(path: Path, user: str, gid: int | None) -> str | None:
    """Create ``path`` for the service ``user`` to write (owned by it when we are root, else
    group-writable for ``gid``); returns the change made, or None when it was already so.

    Raises:
        OSError: the directory cannot be created or given away.
    """
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        entry = None
    created = not path.exists()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if entry is not None and os.geteuid() == 0:
        want = (entry.pw_uid, entry.pw_gid, 0o750)
        if (st.st_uid, st.st_gid, st.st_mode & 0o7777) != want:
            os.chown(path, entry.pw_uid, entry.pw_gid)
            path.chmod(0o750)
            return f"{'created' if created else 'chown'} {path} ({user}, 0750)"
    elif gid is not None and (st.st_gid, st.st_mode & 0o7777) != (gid, 0o2770):
        os.chown(path, -1, gid)
        path.chmod(0o2770)
        return f"{'created' if created else 'chgrp'} {path} (g+w, 2770)"
    return f"created {path}" if created else None


def parents(path: Path) -> list[tuple[str, int, int, int]]:
    """``(dir, st_mode, uid, gid)`` of ``path`` and each existing parent, root last."""
    out = []
    for d in (path, *path.parents):
        if d.exists():
            st = d.stat()
            out.append((str(d), st.st_mode, st.st_uid, st.st_gid))
    return out


def reach_problems(
    dirs: Iterable[tuple[str, int, int, int]], gid: int | None, translate: Translate = str
) -> list[str]:
    """Directories a member of ``gid`` (not their owner) cannot enter (``translate``: the
    output language's gettext)."""
    problems = []
    text = translate("{dir} (mode {mode}): the group cannot enter it; use an output_dir outside it")
    for name, mode, _uid, dir_gid in dirs:
        can = mode & 0o001 or (gid is not None and dir_gid == gid and mode & 0o010)
        if not can:
            problems.append(text.format(dir=name, mode=f"{mode & 0o7777:04o}"))
    return problems


def group_problem(
    settings: MonitoringSettings, gid: int | None, translate: Translate = str
) -> str | None:
    """Why the files cannot be given to the configured group, or None."""
    group = settings.prometheus.group
    if not group:
        return translate("prometheus.group is not set: snmp.yml is 0600, readable by bwauto's "
                         "user only (snmp_exporter must then run as that user)")  # fmt: skip
    if gid is None:
        return translate("group {group} does not exist or this user (uid {uid}) is not in it: "
                         "snmp.yml is 0600; install the prometheus packages first, or run setup "
                         "as root, or set prometheus.group").format(group=repr(group),
                                                                    uid=os.geteuid())  # fmt: skip
    return None
