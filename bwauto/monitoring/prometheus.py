"""The ``prometheus`` backend (the default): files for Prometheus and snmp_exporter, and, if a
Prometheus URL is configured, a reload and a verification through its HTTP API.

Without a URL it needs no server: ``register`` writes the files (see
:mod:`bwauto.monitoring.promfiles`) atomically, each only when its text changes, and
``verify`` checks them. With ``prometheus.url`` it also POSTs ``/-/reload`` to snmp_exporter
and to Prometheus (``--web.enable-lifecycle``), then polls ``/api/v1/targets`` and
``/api/v1/query`` until the link's target is up, its counters are scraped and
``bwauto_link_capacity_bps`` has the registered values, for at most ``verify_timeout_s``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import yaml

from bwauto.errors import MonitoringError
from bwauto.monitoring import promfiles as pf
from bwauto.monitoring.base import Check, MonitoredLink, Registration, Verification, describe_error
from bwauto.monitoring.settings import MonitoringSettings
from bwauto.paths import atomic_write

if TYPE_CHECKING:
    from bwauto.credentials import CredentialResolver

POLL_S = 0.5
NOT_SCRAPED_YET = "unknown"  # a target's health before its first scrape


class PrometheusBackend:
    """Registers links with Prometheus through files (and its API when a URL is set)."""

    name = "prometheus"

    def __init__(
        self,
        settings: MonitoringSettings,
        *,
        credentials: CredentialResolver | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.out = settings.prometheus_dir
        self.url = settings.prometheus.url
        self._sleep = sleep

    @property
    def where(self) -> str:
        """How messages name this backend."""
        return f"prometheus at {self.url}" if self.url else f"prometheus files in {self.out}"

    def register(self, target: MonitoredLink) -> Registration:
        """Write the link's files; reload and verify the live servers when a URL is set.

        Raises:
            MonitoringError: a file could not be written, or a server refused or is unreachable.
        """
        changes = self.write_files(target)
        if self.url:
            exporter = f"http://{self.settings.prometheus.snmp_exporter}"
            self._post(exporter, "/-/reload", "snmp_exporter")
            self._post(self.url, "/-/reload", "prometheus")
        verification = self.verify(target)
        return Registration(self.name, target.link_id, bool(changes), tuple(changes), verification)

    def verify(self, target: MonitoredLink) -> Verification:
        """Check the files; with a URL, poll the API until all checks pass or time runs out.

        The bound is ``verify_timeout_s``, plus one poll interval while a new target is
        discovered but not scraped yet (Prometheus scrapes it at an offset within its interval).
        """
        start = time.monotonic()
        checks = self._file_checks(target)
        if self.url and all(c.ok for c in checks):
            timeout = self.settings.prometheus.verify_timeout_s
            while True:
                live, health = self._live_checks(target)
                limit = timeout + (target.poll_interval_s if health == NOT_SCRAPED_YET else 0)
                if all(c.ok for c in live) or time.monotonic() - start >= limit:
                    break
                self._sleep(POLL_S)
            checks += live
        return Verification(self.name, target.link_id, tuple(checks), time.monotonic() - start)

    # --- files -------------------------------------------------------------------------

    def write_files(self, target: MonitoredLink) -> list[str]:
        """Write every file the link needs; return what changed ("wrote targets/r1.json")."""
        try:
            return self._write_files(target)
        except OSError as exc:
            raise MonitoringError(f"{self.where}: cannot write: {exc}") from exc

    def _write_files(self, target: MonitoredLink) -> list[str]:
        changes: list[str] = []
        own = pf.targets_file(target.router)
        for path in sorted((self.out / "targets").glob("*.json")):
            rel = f"targets/{path.name}"
            if rel != own:
                changes += self._drop_target(rel, target.link_id)
        changes += self._put(own, pf.merge_targets(self._read(own), target))
        rules = pf.render_link_rules(target, self.settings)
        changes += self._put(pf.rules_file(target.link_id), rules)
        changes += self._put(pf.ALERTS_FILE, pf.render_alert_rules(self.settings))
        modules = pf.merge_snmp_config(self._snmp_modules(), target.router, target.snmp)
        changes += self._put(pf.SNMP_FILE, pf.render_snmp_config(modules), private=True)
        changes += self._put(pf.SCRAPE_FILE, pf.render_scrape_config(self.settings))
        return changes

    def _drop_target(self, rel: str, link_id: str) -> list[str]:
        text = self._read(rel)
        rest = pf.remove_target(text, link_id)
        if rest == text:
            return []
        if rest is None:
            (self.out / rel).unlink()
            return [f"removed {rel}"]
        return self._put(rel, rest)

    def _read(self, rel: str) -> str | None:
        path = self.out / rel
        return path.read_text(encoding="utf-8") if path.exists() else None

    def _put(self, rel: str, text: str, private: bool = False) -> list[str]:
        path = self.out / rel
        if self._read(rel) == text:
            if private and path.stat().st_mode & 0o077:
                path.chmod(0o600)
            return []
        if private:
            atomic_write(path, text, private=True)
        else:
            atomic_write(path, text)
        return [f"wrote {rel}"]

    def _snmp_modules(self) -> dict[str, Any]:
        text = self._read(pf.SNMP_FILE)
        try:
            data = yaml.safe_load(text) if text else {}
        except yaml.YAMLError as exc:
            raise MonitoringError(f"{self.out / pf.SNMP_FILE} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise MonitoringError(f"{self.out / pf.SNMP_FILE}: expected a mapping of modules")
        return data

    def _file_checks(self, target: MonitoredLink) -> list[Check]:
        groups = pf.parse_targets(self._read(pf.targets_file(target.router)))
        want = pf.target_group(target)
        has_target = want in groups
        rules_ok = self._read(pf.rules_file(target.link_id)) == pf.render_link_rules(
            target, self.settings
        )
        try:
            module = self._snmp_modules().get(pf.module_name(target.router))
        except MonitoringError as exc:
            module = str(exc)
        return [
            Check("target file", has_target, f"{pf.targets_file(target.router)}: "
                  + ("has the link" if has_target else "link missing or different")),
            Check("rules file", rules_ok, f"{pf.rules_file(target.link_id)}: "
                  + ("capacity " + _caps(target) if rules_ok else "missing or different")),
            Check("snmp module", module == pf.snmp_module(target.snmp),
                  f"{pf.SNMP_FILE}: module {pf.module_name(target.router)}"),
        ]  # fmt: skip

    # --- live --------------------------------------------------------------------------

    def _live_checks(self, target: MonitoredLink) -> tuple[list[Check], str]:
        """The live checks, and the target's health ("up", "down", "unknown" or "absent")."""
        check, health = self._target_check(target)
        counters = [self._counter_check(target, d) for d in ("up", "down")]
        return [check, *counters, self._capacity_check(target)], health

    def _target_check(self, target: MonitoredLink) -> tuple[Check, str]:
        job = self.settings.prometheus.job_name
        address = pf.target_group(target)["targets"][0]
        data = self._api("/api/v1/targets", {"state": "active"})
        found = [
            t
            for t in data.get("activeTargets", [])
            if t.get("scrapePool") == job
            and t["labels"].get("link_id") == target.link_id
            and t["labels"].get("instance") == address
        ]
        if not found:
            detail = f"no active target {address} for {target.link_id}"
            return Check("target up", False, detail), "absent"
        t = found[0]
        health = str(t.get("health"))
        detail = f"{t.get('scrapeUrl', '?')}: {health}"
        if t.get("lastError"):
            detail += f" ({t['lastError']})"
        return Check("target up", health == "up", detail), health

    def _counter_check(self, target: MonitoredLink, direction: str) -> Check:
        metric = pf.COUNTERS[direction][0]
        query = pf.counter_selector(target, metric, self.settings)
        result = self._api("/api/v1/query", {"query": query}).get("result", [])
        detail = f"{metric} of {target.if_column} {target.if_name!r}: "
        detail += f"{result[0]['value'][1]} octets" if result else "not scraped"
        return Check(f"{metric} scraped", bool(result), detail)

    def _capacity_check(self, target: MonitoredLink) -> Check:
        query = f"{pf.CAPACITY_METRIC}{{link_id={pf.promql_string(target.link_id)}}}"
        result = self._api("/api/v1/query", {"query": query}).get("result", [])
        seen = {r["metric"].get("direction"): float(r["value"][1]) for r in result}
        want = {d: float(v) for d, v in target.capacity.items()}
        shown = ", ".join(f"{d}={v:.0f}" for d, v in sorted(seen.items())) or "no series"
        return Check(pf.CAPACITY_METRIC, seen == want, f"{shown} (want {_caps(target)})")

    def _api(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        assert self.url is not None
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        body = self._request(urllib.request.Request(url), "prometheus", self.url)
        try:
            reply = json.loads(body)
        except ValueError:
            raise MonitoringError(f"prometheus at {self.url}: {path} did not answer JSON") from None
        if reply.get("status") != "success":
            raise MonitoringError(f"prometheus at {self.url}: {path}: {reply.get('error')}")
        data: dict[str, Any] = reply.get("data") or {}
        return data

    def _post(self, base: str, path: str, what: str) -> None:
        request = urllib.request.Request(f"{base}{path}", data=b"", method="POST")
        self._request(request, what, base)

    def _request(self, request: urllib.request.Request, what: str, base: str) -> str:
        timeout = self.settings.prometheus.request_timeout_s
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                return str(reply.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace").strip().splitlines()
            reason = f"{describe_error(exc)}" + (f": {text[0]}" if text else "")
            raise MonitoringError(f"{what} at {base}: {request.full_url}: {reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise MonitoringError(f"{what} at {base}: {describe_error(exc)}") from None


def _caps(target: MonitoredLink) -> str:
    return f"up={target.capacity_up_bps}, down={target.capacity_down_bps}"
