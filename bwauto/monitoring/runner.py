"""Registering links with a backend, and remembering how each attempt went.

:func:`register_link` is the whole of SOP step 8's "puts the link back into the monitoring
system": the raise calls it after a successful change, ``bwauto monitor register`` and
``bwauto monitor sync`` call it on their own. It never touches the router, so a failure here
never undoes a raise: it is recorded in ``<state_dir>/monitoring/registrations.json`` and
raised as a :class:`~bwauto.errors.MonitoringError`; running it again retries (it is idempotent).

The record holds, per link and backend, the last attempt: when, ok or the error, the capacity
registered, and the verification. It never holds a secret.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bwauto.credentials import CredentialResolver
from bwauto.errors import BwautoError, CredentialError, MonitoringError
from bwauto.inventory.models import Inventory, Link
from bwauto.monitoring.base import Registration, VerificationError, get_backend
from bwauto.monitoring.links import find_link, monitored_link
from bwauto.monitoring.settings import MonitoringSettings, load_settings
from bwauto.paths import atomic_write, default_state_dir

LEDGER = Path("monitoring") / "registrations.json"


def register_link(
    link: Link | str,
    inventory: Inventory,
    backend_name: str | None = None,
    settings: MonitoringSettings | None = None,
    state_dir: Path | None = None,
    *,
    credentials: CredentialResolver | None = None,
) -> Registration:
    """Register one link (by id, or as a ``Link`` carrying its new committed rate) and record it.

    Args:
        link: the link id, or the link itself (e.g. with the capacity just raised to).
        inventory: the loaded inventory (the link's router and its SNMP settings).
        backend_name: a registered backend; default ``settings.backend``.
        settings: monitoring settings; default: ``monitoring.yaml`` of the inventory.
        state_dir: where the record is kept; default: ``bwauto.paths.default_state_dir()``.
        credentials: resolves the router's SNMP secrets and the backend's API credentials.

    Returns:
        The registration; ``changed`` is False when everything was already in place.

    Raises:
        MonitoringError: the backend failed or was unreachable (recorded, retryable);
            ``VerificationError`` when it took the link but reading back did not show it.
        CredentialError: a secret the backend needs is missing (recorded too).
    """
    state = state_dir or default_state_dir()
    settings = settings or load_settings(inventory.directory, state)
    credentials = credentials or CredentialResolver.from_files(None, inventory.secrets_file)
    name = backend_name or settings.backend
    the_link = find_link(inventory, link) if isinstance(link, str) else link
    backend = get_backend(name, settings, credentials=credentials)
    try:
        registration = backend.register(monitored_link(inventory, the_link, credentials))
    except (MonitoringError, CredentialError) as exc:
        record(state, name, the_link, error=str(exc))
        raise
    record(state, name, the_link, registration=registration)
    if not registration.ok:
        where = getattr(backend, "where", name)
        raise VerificationError(registration, str(where))
    return registration


def register_after_change(
    link: Link,
    inventory: Inventory,
    state_dir: Path,
    *,
    backend_name: str | None = None,
    credentials: CredentialResolver | None = None,
) -> dict[str, Any]:
    """For the end of a successful raise: register ``link`` (carrying its new committed rate)
    and return the summary for the change evidence. Never raises a ``BwautoError``: a failure
    is recorded (``monitor sync`` retries it) and comes back as ``{"ok": False, ...}``.
    """
    try:
        registration = register_link(
            link, inventory, backend_name, None, state_dir, credentials=credentials
        )
    except VerificationError as exc:
        registration = exc.registration
    except BwautoError as exc:
        return {"backend": backend_name or _default_backend(inventory, state_dir), "ok": False,
                "verified": False, "detail": str(exc), "link_id": link.id,
                "retry": f"bwauto monitor register --link {link.id}"}  # fmt: skip
    return registration.to_dict()


def _default_backend(inventory: Inventory, state_dir: Path) -> str:
    try:
        return load_settings(inventory.directory, state_dir).backend
    except BwautoError:
        return "?"


@dataclass
class SyncResult:
    """What ``sync_links`` did: one registration or error per link."""

    registrations: list[Registration] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def sync_links(
    inventory: Inventory,
    backend_name: str | None = None,
    settings: MonitoringSettings | None = None,
    state_dir: Path | None = None,
    *,
    every: bool = False,
    credentials: CredentialResolver | None = None,
) -> SyncResult:
    """Register every link that needs it (``every``: all links), going on after a failure.

    A link needs it when it has no successful record for the backend, or when its recorded
    capacity differs from the inventory's committed rate.
    """
    state = state_dir or default_state_dir()
    settings = settings or load_settings(inventory.directory, state)
    credentials = credentials or CredentialResolver.from_files(None, inventory.secrets_file)
    name = backend_name or settings.backend
    todo = inventory.links.values() if every else pending(inventory, name, state)
    result = SyncResult()
    for link in todo:
        try:
            result.registrations.append(
                register_link(link, inventory, name, settings, state, credentials=credentials)
            )
        except BwautoError as exc:
            result.errors[link.id] = str(exc)
    return result


def pending(inventory: Inventory, backend_name: str, state_dir: Path) -> list[Link]:
    """Links whose last registration with ``backend_name`` failed, is missing or is stale."""
    records = load_records(state_dir)
    out = []
    for link in inventory.links.values():
        last = records.get(link.id, {}).get(backend_name)
        capacity = {"up": link.committed.up, "down": link.committed.down}
        if not last or not last.get("ok") or last.get("capacity") != capacity:
            out.append(link)
    return out


def load_records(state_dir: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """The registration record: link id -> backend -> last attempt."""
    path = state_dir / LEDGER
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def record(
    state_dir: Path,
    backend_name: str,
    link: Link,
    registration: Registration | None = None,
    error: str | None = None,
) -> None:
    """Store the outcome of one attempt (replacing the link's previous one for that backend)."""
    records = load_records(state_dir)
    entry: dict[str, Any] = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "ok": registration is not None and registration.ok,
        "capacity": {"up": link.committed.up, "down": link.committed.down},
        "error": error,
    }
    if registration is not None:
        entry["registration"] = registration.to_dict()
        if not registration.ok and registration.verification is not None:
            entry["error"] = registration.verification.summary()
    records.setdefault(link.id, {})[backend_name] = entry
    atomic_write(state_dir / LEDGER, json.dumps(records, indent=2, sort_keys=True) + "\n")
