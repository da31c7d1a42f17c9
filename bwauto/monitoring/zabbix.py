"""The ``zabbix`` backend (Zabbix 6.0+, through its API with zabbix-utils).

Two layouts (``zabbix.host_per``):

- ``router`` (default), as Zabbix operators run interface monitoring: one host per router
  linked to the bwauto template, whose low-level discovery finds the interfaces and keeps only
  the inventory's links; capacities are context macros ``{$LINK.CAPACITY.BPS:"<ifname>"}``
  (see :mod:`bwauto.monitoring.zabbix_template` and :mod:`bwauto.monitoring.zabbix_router`);
- ``link``: one host per link with its own items and triggers
  (:mod:`bwauto.monitoring.zabbix_model`), for OPD-level permissions by host group.

``register`` reads first and changes only what differs (so a second run changes nothing),
then reads everything back. ``sync`` makes Zabbix monitor exactly the given links: hosts and
link macros of links no longer in the inventory are removed. Changes made by bwauto on one
machine hold a lock (``<state_dir>/monitoring/.zabbix.lock``), as the Prometheus files do.
Credentials: see :func:`~bwauto.monitoring.settings.zabbix_credentials` (API token, or user
and password; never in a file but the 0600 secrets).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from bwauto.credentials import CredentialResolver
from bwauto.errors import MonitoringError
from bwauto.monitoring import zabbix_router as zr
from bwauto.monitoring import zabbix_template as zt
from bwauto.monitoring.base import (
    Check,
    MonitoredLink,
    Registration,
    SyncOutcome,
    Verification,
    stopping,
)
from bwauto.monitoring.files import locked
from bwauto.monitoring.settings import MonitoringSettings, zabbix_credentials
from bwauto.monitoring.zabbix_link import LinkHostSync

if TYPE_CHECKING:
    from zabbix_utils import ZabbixAPI

POLL_S = 1.0
NUDGE_S = 5.0  # how often discovery is requested again while the link's items are missing


class ZabbixBackend:
    """Registers links with a Zabbix server through its JSON-RPC API (zabbix-utils)."""

    name = "zabbix"
    parallel_verify = True  # each verify() has its own API session: links verified at once

    def __init__(
        self,
        settings: MonitoringSettings,
        *,
        credentials: CredentialResolver | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.url = settings.zabbix.url
        self._credentials = credentials or CredentialResolver(interactive=False)
        self._sleep = sleep
        self.waiting: Callable[[str], None] = lambda link_id: None
        """Called with the link id when a verification starts waiting for discovery."""

    @property
    def where(self) -> str:
        """How messages name this backend."""
        return f"zabbix at {self.url}"

    @property
    def per_router(self) -> bool:
        """True for the one-host-per-router layout."""
        return self.settings.zabbix.host_per == "router"

    def register(self, target: MonitoredLink) -> Registration:
        """Create or update what monitors the link; make the server load it; read it back.

        With one host per router, the link's traffic items are made by the server's low-level
        discovery, which runs only once the server has loaded the change into its
        configuration cache (every ``CacheUpdateFrequency``, 60 s by default; at once with
        ``zabbix_server -R config_cache_reload``, which ``zabbix.reload_command`` runs). Until
        the items exist, discovery is requested again ("check now") every few seconds, for at
        most ``zabbix.verify_timeout_s``.

        Raises:
            MonitoringError: the API is unreachable, refused the login or a request, or the
                reload command failed.
        """
        with self._locked(), self._session() as api:
            if self.per_router:
                changes = self._router_register(api, target)
            else:
                changes = LinkHostSync(api, target, self.settings).run()
        if changes:
            self.load_now()
        verification = self.verify(target)
        return Registration(self.name, target.link_id, bool(changes), tuple(changes), verification)

    def verify(self, target: MonitoredLink) -> Verification:
        """Read the link's objects back and check each is as registered; with one host per
        router, wait for the discovered items of the link's interface (see ``register``)."""
        start = time.monotonic()
        with self._session() as api:
            checks = self._checks(api, target)
            nudged = 0.0
            if self.per_router and _only_discovery_missing(checks):
                self.waiting(target.link_id)
            while self.per_router and _only_discovery_missing(checks):
                now = time.monotonic()
                if now - start >= self.settings.zabbix.verify_timeout_s or stopping():
                    break
                if now - nudged >= NUDGE_S:
                    zr.RouterHostSync(api, self.settings, target).discover_now()
                    nudged = now
                self._sleep(POLL_S)
                checks = self._checks(api, target)
        elapsed = time.monotonic() - start
        return Verification(self.name, target.link_id, tuple(checks), elapsed, self.url or "")

    def load_now(self) -> None:
        """Run ``zabbix.reload_command`` (if set) so the server loads the change now.

        Raises:
            MonitoringError: the command could not run or failed.
        """
        command = self.settings.zabbix.reload_command
        if not command:
            return
        try:
            done = subprocess.run(shlex.split(command), capture_output=True, text=True,
                                  timeout=60, check=False)  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MonitoringError(f"zabbix: reload_command {command!r}: {exc}") from None
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip().splitlines()
            raise MonitoringError(f"zabbix: reload_command {command!r} exited "
                                  f"{done.returncode}: {why[-1] if why else ''}")  # fmt: skip

    def sync(self, targets: list[MonitoredLink], keep: Sequence[str] = ()) -> SyncOutcome:
        """Monitor exactly ``targets`` (and ``keep``, left as they are); remove the rest."""
        wanted = {t.link_id for t in targets} | set(keep)
        with self._locked(), self._session() as api:
            if self.per_router:
                changes, gone = self._router_sync(api, targets, set(keep))
                gone += self._delete_link_hosts(api, set(keep), changes)  # the other layout
            else:
                changes = [c for t in targets for c in LinkHostSync(api, t, self.settings).run()]
                gone = self._delete_link_hosts(api, wanted, changes)
                gone += self._delete_router_hosts(api, changes)  # the other layout
        if changes:
            self.load_now()
        return SyncOutcome(tuple(changes), tuple(sorted(set(gone) - wanted)))

    def deregister(self, link_ids: list[str]) -> tuple[str, ...]:
        """Stop monitoring ``link_ids``."""
        changes: list[str] = []
        with self._locked(), self._session() as api:
            if self.per_router:
                for host in zr.bwauto_hosts(api, "router"):
                    sync = zr.RouterHostSync(api, self.settings, _stub(host))
                    sync.remove(set(link_ids))
                    changes += sync.changes
            else:
                keep = {_tag(h, "link_id") for h in zr.bwauto_hosts(api, "link")} - set(link_ids)
                self._delete_link_hosts(api, keep, changes)
        return tuple(changes)

    # --- one host per router ---

    def _base(self, api: ZabbixAPI, changes: list[str]) -> tuple[str, str]:
        group = zr.group_id(api, self.settings.zabbix.common_group, changes)
        template = zr.TemplateSync(api, self.settings)
        template_id = template.run(group)
        changes += template.changes
        return group, template_id

    def _router_register(self, api: ZabbixAPI, target: MonitoredLink) -> list[str]:
        changes: list[str] = []
        group, template_id = self._base(api, changes)
        host = zr.RouterHostSync(api, self.settings, target)
        links = [x for x in host.links() if x.link_id != target.link_id]
        host.run([*links, zt.RouterLink.of(target)], template_id, group)
        changes += host.changes
        others = {_tag(h, "link_id") for h in zr.bwauto_hosts(api, "link")} - {target.link_id}
        self._delete_link_hosts(api, others, changes)  # its host of the one-per-link layout
        for other in zr.bwauto_hosts(api, "router"):  # the link moved from another router
            if other["host"] != host.host:
                sync = zr.RouterHostSync(api, self.settings, _stub(other))
                sync.remove({target.link_id})
                changes += sync.changes
        return changes

    def _router_sync(
        self, api: ZabbixAPI, targets: list[MonitoredLink], keep: set[str]
    ) -> tuple[list[str], list[str]]:
        changes: list[str] = []
        group, template_id = self._base(api, changes)
        gone: list[str] = []
        routers = zr.by_router(targets)
        hosts = {h["host"]: h for h in zr.bwauto_hosts(api, "router")}
        for links in routers.values():
            host = zr.RouterHostSync(api, self.settings, links[0])
            current = host.links()
            kept = [x for x in current if x.link_id in keep]
            host.run([*kept, *map(zt.RouterLink.of, links)], template_id, group)
            gone += [x.link_id for x in current]
            changes += host.changes
            hosts.pop(host.host, None)
        for other in hosts.values():
            current = zt.links_from_macros(other["macros"])
            sync = zr.RouterHostSync(api, self.settings, _stub(other))
            gone += sync.remove({x.link_id for x in current} - keep)
            changes += sync.changes
        return changes, gone

    # --- one host per link ---

    def _delete_link_hosts(self, api: ZabbixAPI, wanted: set[str], changes: list[str]) -> list[str]:
        gone = []
        for host in zr.bwauto_hosts(api, "link"):
            link_id = _tag(host, "link_id")
            if link_id and link_id not in wanted:
                api.host.delete(host["hostid"])
                changes.append(f"deleted host {host['host']}")
                gone.append(link_id)
        return gone

    def _delete_router_hosts(self, api: ZabbixAPI, changes: list[str]) -> list[str]:
        gone = []
        for host in zr.bwauto_hosts(api, "router"):
            api.host.delete(host["hostid"])
            changes.append(f"deleted host {host['host']}")
            gone += [x.link_id for x in zt.links_from_macros(host["macros"])]
        return gone

    def _checks(self, api: ZabbixAPI, target: MonitoredLink) -> list[Check]:
        if self.per_router:
            host = zr.RouterHostSync(api, self.settings, target)
            return host.checks(target, self.settings.zabbix.template)
        return LinkHostSync(api, target, self.settings).checks()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with locked(self.settings.lock_dir / ".zabbix.lock"):
            yield

    @contextmanager
    def _session(self) -> Iterator[ZabbixAPI]:
        if not self.url:
            raise MonitoringError("zabbix: no URL: set zabbix.url in monitoring.yaml")
        from zabbix_utils import ZabbixAPI
        from zabbix_utils.exceptions import ModuleBaseException

        creds = zabbix_credentials(self.settings.zabbix, self._credentials)
        z = self.settings.zabbix
        api: ZabbixAPI | None = None
        try:
            api = ZabbixAPI(
                url=self.url,
                token=creds.get("token"),
                user=creds.get("username"),
                password=creds.get("password"),
                timeout=max(1, round(z.request_timeout_s)),
                validate_certs=z.validate_certs,
            )
            yield api
        except ModuleBaseException as exc:
            raise MonitoringError(f"{self.where}: {_reason(exc)}") from None
        finally:
            if api is not None and creds.get("username"):
                with suppress(ModuleBaseException):
                    api.logout()


def _only_discovery_missing(checks: list[Check]) -> bool:
    """True when the discovered items are all that is missing (waiting can bring them)."""
    failed = [c.name for c in checks if not c.ok]
    return failed == ["discovered items"]


def _tag(host: dict[str, Any], name: str) -> str:
    return next((str(t["value"]) for t in host.get("tags", []) if t["tag"] == name), "")


def _stub(host: dict[str, Any]) -> MonitoredLink:
    """A stand-in for a router host's first link, for removing links from it (only its name
    is used: removal touches macros, never the interface or the secrets)."""
    from bwauto.monitoring.base import SnmpAuth

    router = _tag(host, "router") or str(host["host"])
    return MonitoredLink("", "", router, "", 0, SnmpAuth(), "", 0, 0, "")


def _reason(exc: Exception) -> str:
    """One short line from a zabbix-utils error ("connection refused", the API's message)."""
    text = " ".join(str(exc).split())
    errno_text = re.search(r"\[Errno -?\d+\] ([^>\]]+)", text)
    if errno_text:
        return errno_text.group(1).strip().lower()
    if "timed out" in text:
        return "timed out"
    return text.removeprefix("Unable to connect to ").strip() or type(exc).__name__
