"""Registering links with a backend, and remembering how each attempt went.

:func:`register_link` is the whole of SOP step 8's "puts the link back into the monitoring
system": the raise calls it after a successful change, ``bwauto monitor register`` and
``bwauto monitor sync`` call it on their own. It never touches the router, so a failure here
never undoes a raise: it is recorded in ``<state_dir>/monitoring/registrations.json`` and
raised as a :class:`~bwauto.errors.MonitoringError`; running it again retries (it is idempotent).

The record holds, per link and backend, the last attempt: when, ok or the error, the capacity
registered, a fingerprint of the settings it was made with, and the verification. It never
holds a secret. Every change to it is made under its lock (concurrent registrations all land).

``sync_links`` makes the backend monitor exactly the inventory's links: links removed from
the inventory are removed from the backend and from the record, and reported.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bwauto.credentials import CredentialResolver
from bwauto.errors import BwautoError, CredentialError, MonitoringError
from bwauto.inventory.models import Inventory, Link
from bwauto.monitoring.base import (
    MonitoredLink,
    Registration,
    SyncOutcome,
    Verification,
    VerificationError,
    get_backend,
    stopping,
)
from bwauto.monitoring.files import locked
from bwauto.monitoring.links import find_link, monitored_link
from bwauto.monitoring.settings import MonitoringSettings, load_settings
from bwauto.paths import atomic_write, default_state_dir

LEDGER = Path("monitoring") / "registrations.json"
LEDGER_LOCK = Path("monitoring") / ".registrations.lock"
Progress = Callable[[str], None]
"""Told the id of each link whose backend starts waiting for its server (the CLI shows it)."""


def register_link(
    link: Link | str,
    inventory: Inventory,
    backend_name: str | None = None,
    settings: MonitoringSettings | None = None,
    state_dir: Path | None = None,
    *,
    credentials: CredentialResolver | None = None,
    progress: Progress | None = None,
) -> Registration:
    """Register one link (by id, or as a ``Link`` carrying its new committed rate) and record it.

    Args:
        link: the link id, or the link itself (e.g. with the capacity just raised to).
        inventory: the loaded inventory (the link's router and its SNMP settings).
        backend_name: a registered backend; default ``settings.backend``.
        settings: monitoring settings; default: ``monitoring.yaml`` of the inventory.
        state_dir: where the record is kept; default: ``bwauto.paths.default_state_dir()``.
        credentials: resolves the router's SNMP secrets and the backend's API credentials.
        progress: told the link id when the backend starts waiting for its server.

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
    _tell_waits(backend, progress)
    try:
        registration = backend.register(monitored_link(inventory, the_link, credentials))
    except (MonitoringError, CredentialError) as exc:
        record(state, name, the_link, error=str(exc), settings=settings)
        raise
    record(state, name, the_link, registration=registration, settings=settings)
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
    return register_after_changes([link], inventory, state_dir, backend_name=backend_name,
                                  credentials=credentials)[0]  # fmt: skip


def register_after_changes(
    links: Sequence[Link],
    inventory: Inventory,
    state_dir: Path,
    *,
    backend_name: str | None = None,
    credentials: CredentialResolver | None = None,
) -> list[dict[str, Any]]:
    """``register_after_change`` for every link of a change, in order, with what is the same
    for all of them done once: the settings and secrets read, the backend built, its files
    written and its servers reloaded (a backend with ``add_all``: Prometheus), the record
    written. Each link is verified, recorded and summed up on its own, as if registered alone.
    """
    try:
        settings = load_settings(inventory.directory, state_dir)
        credentials = credentials or CredentialResolver.from_files(None, inventory.secrets_file)
        name = backend_name or settings.backend
        backend = get_backend(name, settings, credentials=credentials)
    except BwautoError as exc:
        name = backend_name or _default_backend(inventory, state_dir)
        return [_failed(name, link, exc) for link in links]
    outcomes: dict[str, Registration | BwautoError] = {}
    targets: dict[str, MonitoredLink] = {}
    for link in links:
        try:
            targets[link.id] = monitored_link(inventory, link, credentials)
        except BwautoError as exc:
            outcomes[link.id] = exc
    outcomes |= _registered(backend, list(targets.values()))
    record_many(state_dir, name, [(link, outcomes[link.id]) for link in links], settings)
    return [_summary(name, link, outcomes[link.id]) for link in links]


def _registered(
    backend: Any, targets: list[MonitoredLink]
) -> dict[str, Registration | BwautoError]:
    """Each target's registration or error: ``add_all`` then ``registered`` when the backend
    has them (one write for all), else ``register`` one by one."""
    out: dict[str, Registration | BwautoError] = {}
    changes: list[str] = []
    batch = callable(getattr(backend, "add_all", None)) and len(targets) > 0
    if batch:
        try:
            changes = backend.add_all(targets)
        except BwautoError as exc:
            return {t.link_id: exc for t in targets}
    for target in targets:
        try:
            if batch:
                out[target.link_id] = backend.registered(target, changes)
            else:
                out[target.link_id] = backend.register(target)
        except BwautoError as exc:
            out[target.link_id] = exc
    return out


def _summary(name: str, link: Link, outcome: Registration | BwautoError) -> dict[str, Any]:
    if isinstance(outcome, Registration):
        return outcome.to_dict()
    return _failed(name, link, outcome)


def _failed(name: str, link: Link, exc: BwautoError) -> dict[str, Any]:
    return {"backend": name, "ok": False, "verified": False, "detail": str(exc),
            "link_id": link.id, "retry": f"bwauto monitor register --link {link.id}"}  # fmt: skip


def _default_backend(inventory: Inventory, state_dir: Path) -> str:
    try:
        return load_settings(inventory.directory, state_dir).backend
    except BwautoError:
        return "?"


@dataclass
class SyncResult:
    """What ``sync_links`` did: the backend's changes, one registration or error per link that
    needed it, and the links no longer in the inventory that it stopped monitoring."""

    registrations: list[Registration] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    changes: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unreachable: tuple[str, ...] = ()
    """One line per server that did not answer: no link was verified."""
    skipped: tuple[str, ...] = ()
    """Links left unverified because SIGINT/SIGTERM arrived (still pending for the next sync)."""
    unverified: dict[str, Verification] = field(default_factory=dict)
    """The verifications that failed (their links are in ``errors`` too), for display."""
    already: tuple[str, ...] = ()
    """Links that needed nothing: their last registration, with these settings, was ok."""
    before: dict[str, str] = field(default_factory=dict)
    """Links verified in this run that were never verified ("never") or whose last attempt
    failed ("failed"): not "already up to date" even when no file changed."""

    @property
    def verified(self) -> int:
        """How many links are now registered and verified: those verified in this run and
        those that already were (what an interrupted sync reports)."""
        return len(self.registrations) + len(self.already)

    @property
    def nothing(self) -> bool:
        """True when nothing was changed, registered, removed or failed."""
        return not (self.registrations or self.errors or self.changes or self.removed
                    or self.skipped)  # fmt: skip


VERIFY_THREADS = 8  # links verified at once: the waits overlap instead of adding up


def sync_links(
    inventory: Inventory,
    backend_name: str | None = None,
    settings: MonitoringSettings | None = None,
    state_dir: Path | None = None,
    *,
    every: bool = False,
    credentials: CredentialResolver | None = None,
    progress: Progress | None = None,
) -> SyncResult:
    """Make the backend monitor exactly the inventory's links, with the current settings.

    A backend with a ``sync`` method gets the whole set at once (one write, one reload, the
    links no longer in the inventory removed); then every link that needs it is verified and
    recorded: it has no successful record, or another capacity, or the settings changed
    since (``every``: all links). Other backends get ``register`` for each such link. A link
    whose router's secrets are missing fails alone and stays monitored as it was.

    Before waiting, the backend's servers are asked once whether they answer
    (``unreachable``): a server down fails the sync at once, one line per server. Links are
    verified concurrently when the backend allows it (``parallel_verify``), so the waits
    overlap. After SIGINT/SIGTERM (``stopping``) no further link is started: they are
    ``skipped`` and stay pending.
    """
    state = state_dir or default_state_dir()
    settings = settings or load_settings(inventory.directory, state)
    credentials = credentials or CredentialResolver.from_files(None, inventory.secrets_file)
    name = backend_name or settings.backend
    backend = get_backend(name, settings, credentials=credentials)
    _tell_waits(backend, progress)
    todo = list(inventory.links.values()) if every else pending(inventory, name, state, settings)
    result = SyncResult()
    records = load_records(state)
    for link in todo:
        earlier = last_outcome(records.get(link.id, {}).get(name))
        if earlier is not None:
            result.before[link.id] = earlier
    targets: dict[str, MonitoredLink] = {}
    for link in inventory.links.values():
        try:
            targets[link.id] = monitored_link(inventory, link, credentials)
        except BwautoError as exc:
            result.errors[link.id] = str(exc)
            record(state, name, link, error=str(exc), settings=settings)
    if callable(getattr(backend, "sync", None)):
        todo = _sync_then_verify(backend, name, inventory, targets, todo, state, settings, result)
    else:
        for link in todo:
            if link.id not in result.errors and not stopping():
                _register(link, inventory, name, settings, state, credentials, result)
    order = {link_id: i for i, link_id in enumerate(inventory.links)}
    result.registrations.sort(key=lambda r: order.get(r.link_id, len(order)))
    done = {r.link_id for r in result.registrations} | set(result.errors)
    result.skipped = tuple(link.id for link in todo if link.id not in done)
    wanted = {link.id for link in todo} | set(result.errors)
    result.already = tuple(link_id for link_id in inventory.links if link_id not in wanted)
    result.removed = tuple(sorted({*result.removed, *forget_removed(state, name, inventory)}))
    return result


def _sync_then_verify(
    backend: Any, name: str, inventory: Inventory, targets: dict[str, MonitoredLink],
    todo: list[Link], state: Path, settings: MonitoringSettings, result: SyncResult,
) -> list[Link]:  # fmt: skip
    """One ``sync`` of the whole set, one reachability check, then the verifications (at once
    when the backend allows it). Returns the links that were to be verified."""
    failed: str | None = None
    try:
        outcome: SyncOutcome = backend.sync(list(targets.values()), keep=sorted(result.errors))
        result.changes, result.removed = outcome.changes, outcome.removed
    except BwautoError as exc:  # nothing could be written or reloaded: every link failed
        failed = str(exc)
    todo = [link for link in todo if link.id not in result.errors]
    down = _unreachable(backend) if failed or todo else []
    if down or failed:
        result.unreachable = tuple(down)
        reason = "; ".join(down) or str(failed)
        waiting = {link.id for link in todo}
        for link_id in targets:
            if failed or link_id in waiting:
                result.errors[link_id] = reason
                record(state, name, inventory.links[link_id], error=reason, settings=settings)
        return todo

    def verify(link: Link) -> None:
        if not stopping():
            _verify_and_record(backend, name, link, targets[link.id], state, settings, result)

    threads = VERIFY_THREADS if getattr(backend, "parallel_verify", False) else 1
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(verify, todo))
    return todo


def _tell_waits(backend: Any, progress: Progress | None) -> None:
    """Backends that wait for a server call ``waiting(link_id)`` when a wait starts."""
    if progress is not None and hasattr(backend, "waiting"):
        backend.waiting = progress


def _unreachable(backend: Any) -> list[str]:
    check = getattr(backend, "unreachable", None)
    return list(check()) if callable(check) else []


def _register(
    link: Link, inventory: Inventory, name: str, settings: MonitoringSettings, state: Path,
    credentials: CredentialResolver, result: SyncResult,
) -> None:  # fmt: skip
    try:
        registration = register_link(link, inventory, name, settings, state,
                                     credentials=credentials)  # fmt: skip
    except VerificationError as exc:
        result.errors[link.id] = str(exc)
        if exc.registration.verification is not None:
            result.unverified[link.id] = exc.registration.verification
        return
    except BwautoError as exc:
        result.errors[link.id] = str(exc)
        return
    result.registrations.append(registration)


def _verify_and_record(
    backend: Any, name: str, link: Link, target: MonitoredLink, state: Path,
    settings: MonitoringSettings, result: SyncResult,
) -> None:  # fmt: skip
    try:
        verification = backend.verify(target)
    except BwautoError as exc:
        result.errors[link.id] = str(exc)
        record(state, name, link, error=str(exc), settings=settings)
        return
    registration = Registration(name, link.id, bool(result.changes), (), verification)
    if not registration.ok and stopping():  # cut short: skipped, pending for the next sync
        record(state, name, link, error="interrupted before verified", settings=settings)
        return
    record(state, name, link, registration=registration, settings=settings)
    if registration.ok:
        result.registrations.append(registration)
    else:
        result.errors[link.id] = f"link {link.id} not verified: {verification.summary()}"
        result.unverified[link.id] = verification


def last_outcome(last: dict[str, Any] | None) -> str | None:
    """How a link's last recorded attempt ended, when it left the link unverified: "never"
    (no attempt, or files only, no server asked) or "failed"; None when it was verified.

    Examples:
        >>> last_outcome(None), last_outcome({"ok": False})
        ('never', 'failed')
        >>> last_outcome({"ok": True, "registration": {"verified": True}})
        >>> last_outcome({"ok": True, "registration": {"verified": False}})
        'never'
    """
    if not last:
        return "never"
    if not last.get("ok"):
        return "failed"
    return None if (last.get("registration") or {}).get("verified") else "never"


def pending(
    inventory: Inventory,
    backend_name: str,
    state_dir: Path,
    settings: MonitoringSettings | None = None,
) -> list[Link]:
    """Links whose last registration with ``backend_name`` failed, is missing or is stale
    (another capacity, or, when ``settings`` are given, made under other settings)."""
    records = load_records(state_dir)
    wanted = settings_fingerprint(settings, backend_name) if settings is not None else None
    out = []
    for link in inventory.links.values():
        last = records.get(link.id, {}).get(backend_name)
        capacity = {"up": link.committed.up, "down": link.committed.down}
        stale = wanted is not None and last is not None and last.get("settings") != wanted
        if not last or not last.get("ok") or last.get("capacity") != capacity or stale:
            out.append(link)
    return out


def settings_fingerprint(settings: MonitoringSettings, backend_name: str) -> str:
    """A short hash of the settings that shape what ``backend_name`` is given."""
    data = settings.model_dump(mode="json", include={"alert", backend_name})
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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


def _write_records(state_dir: Path, records: dict[str, dict[str, dict[str, Any]]]) -> None:
    atomic_write(state_dir / LEDGER, json.dumps(records, indent=2, sort_keys=True) + "\n")


def record(
    state_dir: Path,
    backend_name: str,
    link: Link,
    registration: Registration | None = None,
    error: str | None = None,
    settings: MonitoringSettings | None = None,
) -> None:
    """Store the outcome of one attempt (replacing the link's previous one for that backend),
    under the ledger's lock."""
    _store(state_dir, backend_name, [(link, registration, error)], settings)


def record_many(
    state_dir: Path,
    backend_name: str,
    outcomes: Sequence[tuple[Link, Registration | BwautoError]],
    settings: MonitoringSettings | None = None,
) -> None:
    """``record`` for several links (a registration or the error that stopped it), with one
    read and one write of the ledger under its lock."""
    attempts = [
        (link, outcome, None) if isinstance(outcome, Registration) else (link, None, str(outcome))
        for link, outcome in outcomes
    ]
    _store(state_dir, backend_name, attempts, settings)


def _store(
    state_dir: Path,
    backend_name: str,
    attempts: Sequence[tuple[Link, Registration | None, str | None]],
    settings: MonitoringSettings | None,
) -> None:
    """Each (link, registration, error) into the ledger: one read and one write, locked."""
    if not attempts:
        return
    with locked(state_dir / LEDGER_LOCK):
        records = load_records(state_dir)
        for link, registration, error in attempts:
            records.setdefault(link.id, {})[backend_name] = _entry(
                backend_name, link, registration, error, settings
            )
        _write_records(state_dir, records)


def _entry(
    backend_name: str,
    link: Link,
    registration: Registration | None,
    error: str | None,
    settings: MonitoringSettings | None,
) -> dict[str, Any]:
    """One attempt as the ledger keeps it."""
    entry: dict[str, Any] = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "ok": registration is not None and registration.ok,
        "capacity": {"up": link.committed.up, "down": link.committed.down},
        "error": error,
    }
    if settings is not None:
        entry["settings"] = settings_fingerprint(settings, backend_name)
    if registration is not None:
        entry["registration"] = registration.to_dict()
        if not registration.ok and registration.verification is not None:
            entry["error"] = registration.verification.summary()
    return entry


def forget_removed(state_dir: Path, backend_name: str, inventory: Inventory) -> list[str]:
    """Drop the ledger entries of ``backend_name`` for links no longer in the inventory."""
    with locked(state_dir / LEDGER_LOCK):
        records = load_records(state_dir)
        gone = sorted(k for k, v in records.items()
                      if k not in inventory.links and backend_name in v)  # fmt: skip
        if not gone:
            return []
        for link_id in gone:
            del records[link_id][backend_name]
            if not records[link_id]:
                del records[link_id]
        _write_records(state_dir, records)
    return gone
