"""The contract of a monitoring backend: what it is given, what it answers, how it is found.

A backend is registered by name in the ``bwauto.monitoring`` entry-point group; the object
there is called as ``factory(settings, credentials=resolver)`` and must give an object with a
``name`` and two methods::

    register(target: MonitoredLink) -> Registration   # idempotent; says whether it changed
    verify(target: MonitoredLink) -> Verification     # reads the backend's state back

and may have (``monitor sync`` uses it when present, else ``register`` per link)::

    sync(targets: list[MonitoredLink], keep: Sequence[str]) -> SyncOutcome
        # monitor exactly ``targets`` (``keep``: leave those links as they are), remove the
        # rest; a no-op changes and reloads nothing

Errors: every failure is a :class:`~bwauto.errors.MonitoringError` (exit 1) in one line that
names the backend and where it was reached, e.g.
``prometheus at http://127.0.0.1:9090: connection refused``. A registration that was written
but could not be verified is a :class:`VerificationError`, which carries the registration so
that the caller can record it.

Examples:
    >>> check = Check("target up", True, "127.0.0.1:161 up")
    >>> v = Verification("prometheus", "dinkes", (check,))
    >>> v.ok, v.verified, v.summary()
    (True, True, 'target up: 127.0.0.1:161 up')
    >>> Verification("prometheus", "dinkes", (Check("target file", True, "written"),)).verified
    False
"""

from __future__ import annotations

import errno
import importlib.metadata
import socket
import urllib.error
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from bwauto.errors import MonitoringError, UsageError

if TYPE_CHECKING:
    from bwauto.credentials import CredentialResolver
    from bwauto.monitoring.settings import MonitoringSettings

ENTRY_POINT_GROUP = "bwauto.monitoring"
FILE_CHECKS = frozenset({"target file", "rules file", "link rules", "snmp module"})
"""Checks that read the files bwauto wrote, not a monitoring server."""
EXIT_NOT_MONITORED = 3
"""Exit code of a raise whose router change is done but whose monitoring registration failed."""
IfColumn = Literal["ifName", "ifDescr"]


@dataclass(frozen=True)
class SnmpAuth:
    """How a monitoring system reaches the router's agent; ``repr`` never shows a secret."""

    version: Literal["v2c", "v3"] = "v2c"
    community: str | None = field(default=None, repr=False)
    user: str | None = None
    auth_key: str | None = field(default=None, repr=False)
    priv_key: str | None = field(default=None, repr=False)
    auth_protocol: Literal["SHA", "SHA-256"] = "SHA"
    priv_protocol: Literal["AES-128", "AES-256"] = "AES-128"
    timeout_s: float = 2.0
    retries: int = 1


@dataclass(frozen=True)
class MonitoredLink:
    """One OPD link as a monitoring system needs to know it (the input of every backend).

    ``capacity_up_bps`` is the OPD's upload: router ingress on ``if_name``, IF-MIB
    ``ifHCInOctets``; ``capacity_down_bps`` the download, ``ifHCOutOctets``. ``if_column`` is
    the IF-MIB column whose value is ``if_name`` (IOS reports the full name in ``ifDescr``).
    """

    link_id: str
    opd: str
    router: str
    router_host: str
    snmp_port: int
    snmp: SnmpAuth
    if_name: str
    capacity_up_bps: int
    capacity_down_bps: int
    upstream: str
    poll_interval_s: int = 300
    if_column: IfColumn = "ifName"

    @property
    def capacity(self) -> dict[str, int]:
        """Capacity per direction: ``{"up": ..., "down": ...}``."""
        return {"up": self.capacity_up_bps, "down": self.capacity_down_bps}


@dataclass(frozen=True)
class Check:
    """One thing verified in the backend, with what was seen."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verification:
    """What reading the backend back showed; ``ok`` when every check passed."""

    backend: str
    link_id: str
    checks: tuple[Check, ...]
    elapsed_s: float = 0.0
    server: str = ""
    """Where a monitoring server was read back (its URL); "" when only files were checked."""

    @property
    def ok(self) -> bool:
        """True when there is at least one check and all passed."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def verified(self) -> bool:
        """True when every check passed and some were answered by a monitoring server (files
        that bwauto wrote and read back verify nothing)."""
        return self.ok and any(c.name not in FILE_CHECKS for c in self.checks)

    def summary(self, show: Callable[[Check], str] | None = None) -> str:
        """The failed checks (or all, if none failed) as one line (each as ``show`` writes
        it: default ``name: detail``)."""
        shown = [c for c in self.checks if not c.ok] or list(self.checks)
        return "; ".join(show(c) if show else f"{c.name}: {c.detail}" for c in shown)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the change evidence (JSON)."""
        return {**asdict(self), "ok": self.ok}


@dataclass(frozen=True)
class Registration:
    """The outcome of ``register``: whether anything changed, what, and the verification."""

    backend: str
    link_id: str
    changed: bool
    changes: tuple[str, ...] = ()
    verification: Verification | None = None

    @property
    def ok(self) -> bool:
        """True unless a verification was made and failed."""
        return self.verification is None or self.verification.ok

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the change evidence (JSON): ``backend``, ``ok``, ``verified``,
        ``detail`` (what the case register reads), then everything else."""
        data = asdict(self)
        v = self.verification
        data["verification"] = v.to_dict() if v else None
        detail = v.summary() if v else ", ".join(self.changes) or "no change"
        return {"backend": self.backend, "ok": self.ok, "verified": bool(v and v.verified),
                "detail": detail, **data}  # fmt: skip


@dataclass(frozen=True)
class SyncOutcome:
    """What making a backend monitor exactly a set of links changed, and which it dropped."""

    changes: tuple[str, ...]
    removed: tuple[str, ...]


class VerificationError(MonitoringError):
    """The backend took the registration but reading it back did not show it (yet)."""

    def __init__(self, registration: Registration, where: str) -> None:
        self.registration = registration
        self.where = where
        detail = registration.verification.summary() if registration.verification else "?"
        super().__init__(f"{where}: link {registration.link_id} not verified: {detail}")


@runtime_checkable
class MonitoringBackend(Protocol):
    """What every monitoring backend does."""

    name: str

    def register(self, target: MonitoredLink) -> Registration:
        """Create or update everything monitoring ``target`` needs; a no-op if all is in place.

        Raises:
            MonitoringError: the backend failed or could not be reached.
        """
        ...

    def verify(self, target: MonitoredLink) -> Verification:
        """Read the backend back and check that it monitors ``target`` as registered."""
        ...


def stopping() -> bool:
    """Whether SIGINT/SIGTERM arrived under ``bwauto.change.interrupt.stop_on_signals`` (the
    monitor commands and the raise): waits end early, nothing more is started, and what was
    written stays consistent (every write is whole and under its lock)."""
    from bwauto.change.interrupt import STOP

    return STOP.is_set()


def backend_names() -> list[str]:
    """Names of the installed backends, sorted."""
    return sorted(ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def get_backend(
    name: str, settings: MonitoringSettings, *, credentials: CredentialResolver | None = None
) -> MonitoringBackend:
    """The backend registered as ``name``, built from ``settings``.

    Raises:
        UsageError: no backend of that name is installed.
    """
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP, name=name)
    if not found:
        known = ", ".join(backend_names()) or "none"
        raise UsageError(f"unknown monitoring backend {name!r} (installed: {known})")
    factory = next(iter(found)).load()
    backend = factory(settings, credentials=credentials)
    if not isinstance(backend, MonitoringBackend):
        raise UsageError(f"monitoring backend {name!r} does not implement MonitoringBackend")
    return backend


def describe_error(exc: BaseException) -> str:
    """A short, lower-case reason for a network failure ("connection refused", "timed out").

    Examples:
        >>> describe_error(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"))
        'connection refused'
        >>> describe_error(urllib.error.URLError(TimeoutError()))
        'timed out'
    """
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        return describe_error(reason) if isinstance(reason, BaseException) else str(reason)
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"name not resolved ({exc.strerror})"
    if isinstance(exc, OSError) and exc.errno is not None:
        return (exc.strerror or errno.errorcode.get(exc.errno, str(exc.errno))).lower()
    return str(exc) or type(exc).__name__
