"""IOS configuration files beside the running config: the ``archive`` block, the archive
files it writes, and a pending Rollback Confirmed Change. Plain data and their IOS wording.

Sources:
- Cisco, "Configuration Replace and Configuration Rollback" (IOS 12.3T feature guide and the
  IOS XE 17 System Management guide): ``archive`` / ``path`` / ``maximum`` / ``write-memory``,
  archive file names ``<path>-<timestamp>-<n>``, ``show archive``;
- Cisco, "Configuration Rollback Confirmed Change": the revert timer needs an archive;
- NAPALM's ios driver (``_check_archive_feature``, ``_get_pending_commits``): the texts it
  looks for in ``show archive`` and ``show archive config rollback timer``.

Examples:
    >>> files = ArchiveFiles()
    >>> files.add(Archive(path="flash:archive"), 1_700_000_000.0)
    'flash:archive-Nov-14-22-13-20.000-0'
    >>> print(show_archive(Archive(), files))
     Archive feature not enabled
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

DEFAULT_MAXIMUM = 10
MAXIMUM_RANGE = (1, 14)
NOT_ENABLED = " Archive feature not enabled"
"""``show archive`` without ``archive`` / ``path``, as a real IOS 15 router prints it (one
leading space); NAPALM's ios driver tests for "Archive feature not enabled"."""
NOTHING_PENDING = "% No Rollback Confirmed Change pending"
NETWORK_SCHEMES = ("tftp:", "ftp:", "http:", "https:", "scp:", "rcp:")
LOCAL_FILESYSTEMS = ("flash:", "bootflash:", "disk0:", "disk1:", "slot0:", "nvram:", "unix:")


@dataclass
class Archive:
    """The ``archive`` block of the running config (``path`` is what the revert timer needs)."""

    path: str | None = None
    maximum: int | None = None
    write_memory: bool = False
    entered: bool = False

    @property
    def configured(self) -> bool:
        """True when archive files can be written: ``archive`` with a ``path``."""
        return self.path is not None

    def render(self) -> str:
        """The block as ``show running-config`` prints it (empty when never configured)."""
        if not (self.entered or self.path or self.maximum or self.write_memory):
            return ""
        lines = ["archive"]
        if self.path:
            lines.append(f" path {self.path}")
        if self.maximum is not None:
            lines.append(f" maximum {self.maximum}")
        if self.write_memory:
            lines.append(" write-memory")
        return "\n".join(lines) + "\n!\n"


@dataclass
class ArchiveFiles:
    """Archive files written so far (on the router's flash: not part of the config)."""

    names: list[str] = field(default_factory=list)
    seq: int = 0

    def add(self, archive: Archive, now: float) -> str:
        """Write one archive file named as IOS names them; keep at most ``maximum`` local ones."""
        assert archive.path is not None
        name = f"{archive.path}-{archive_timestamp(now)}-{self.seq}"
        self.seq += 1
        self.names.append(name)
        keep = archive.maximum or DEFAULT_MAXIMUM
        if not archive.path.startswith(NETWORK_SCHEMES):
            del self.names[:-keep]
        return name


@dataclass(frozen=True)
class PendingRevert:
    """A Rollback Confirmed Change waiting for ``configure confirm``."""

    armed_at: float
    due_at: float
    minutes: int
    user: str


def archive_timestamp(when: float) -> str:
    """IOS's archive file timestamp, e.g. ``Feb-15-15-56-38.517`` (day padded with ``-``).

    Examples:
        >>> archive_timestamp(1_700_000_000.25)
        'Nov-14-22-13-20.250'
        >>> archive_timestamp(1_717_650_000.0)
        'Jun--6-05-00-00.000'
    """
    t = time.gmtime(when)
    millis = round((when % 1) * 1000) % 1000
    return (
        f"{time.strftime('%b', t)}-{t.tm_mday:>2}".replace(" ", "-")
        + time.strftime("-%H-%M-%S", t)
        + f".{millis:03d}"
    )


def show_archive(archive: Archive, files: ArchiveFiles) -> str:
    """``show archive``: the archive's limits, its files, or that the feature is off."""
    if not archive.configured:
        return NOT_ENABLED
    assert archive.path is not None
    maximum = archive.maximum or DEFAULT_MAXIMUM
    lines = [f"The maximum archive configurations allowed is {maximum}."]
    if files.names:
        lines.append(f"There are currently {len(files.names)} archive configurations saved.")
    lines.append(f"The next archive file will be named {archive.path}-<timestamp>-{files.seq}")
    lines.append(" Archive #  Name")
    rows = max(maximum, len(files.names))
    for index in range(rows):
        name = files.names[index] if index < len(files.names) else ""
        mark = " <- Most Recent" if name and index == len(files.names) - 1 else ""
        lines.append(f"   {index + 1:<9}{name}{mark}".rstrip())
    return "\n".join(lines)


def show_rollback_timer(pending: PendingRevert | None, configured: str) -> str:
    """``show archive config rollback timer``: the pending revert, in the fields NAPALM's
    ios driver reads (``Time configured``, ``Timer type``, ``Timer value``, ``User``).

    ``configured`` is the IOS clock wording of ``pending.armed_at``.
    """
    if pending is None:
        return NOTHING_PENDING
    return (
        f"Time configured(or reset) : {configured}\n"
        "Timer type: Revert Timer\n"
        f"Timer value: {pending.minutes} min\n"
        f"User: {pending.user}"
    )
