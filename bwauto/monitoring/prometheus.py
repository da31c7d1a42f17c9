"""The ``prometheus`` backend (the default): files for Prometheus and snmp_exporter, and, if a
Prometheus URL is configured, a reload and a verification through its HTTP API.

Without a URL it needs no server: ``register`` writes the files (see
:mod:`bwauto.monitoring.promfiles`) atomically, each only when its text changes, and
``verify`` checks them. Every read-modify-write of the files holds the output dir's lock
(:func:`bwauto.monitoring.files.locked`), so concurrent registrations all land.

With ``prometheus.url`` it POSTs ``/-/reload`` to snmp_exporter when ``snmp.yml`` changed and
to Prometheus (``--web.enable-lifecycle``) when a file it reads changed, never when nothing
did; then it polls ``/api/v1/targets`` and ``/api/v1/query`` until the router's target is up,
the link's counters are scraped and ``bwauto_link_capacity_bps`` has the registered values,
for at most ``verify_timeout_s``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import yaml

from bwauto.errors import MonitoringError
from bwauto.monitoring import promconfig as pc
from bwauto.monitoring import promfiles as pf
from bwauto.monitoring.base import (
    Check,
    MonitoredLink,
    Registration,
    SyncOutcome,
    Verification,
    describe_error,
    stopping,
)
from bwauto.monitoring.durations import duration_seconds
from bwauto.monitoring.files import (
    ensure_dir,
    file_mode,
    fix_mode,
    locked,
    usable_gid,
    write_file,
)
from bwauto.monitoring.settings import MonitoringSettings
from bwauto.paths import let_group_through

if TYPE_CHECKING:
    from bwauto.credentials import CredentialResolver

POLL_S = 0.5
NOT_SCRAPED_YET = "unknown"  # a target's health before its first scrape
LOCK_FILE = ".bwauto.lock"
PENDING_FILE = ".bwauto-reload-pending"


def _changes_scrapes(changes: list[str]) -> bool:
    """Whether ``changes`` alter what a scrape returns (targets, job), not only rules."""
    written = {c.split()[1] for c in changes}
    return any(r.startswith("targets/") or r in (pc.PROMETHEUS_FILE, pc.SCRAPE_FILE)
               for r in written)  # fmt: skip


def _read_by_prometheus(rel: str) -> bool:
    return rel.startswith(("rules/", "targets/")) or rel in (pc.PROMETHEUS_FILE, pc.SCRAPE_FILE)


class PrometheusBackend:
    """Registers links with Prometheus through files (and its API when a URL is set)."""

    name = "prometheus"
    parallel_verify = True  # verify() only reads: links are verified concurrently

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
        self.gid = usable_gid(settings.prometheus.group)
        self._sleep = sleep
        self._parsed_snmp: tuple[str | None, dict[str, Any]] | None = None
        self.reloaded_at: float | None = None
        self.rules_reloaded_at: float | None = None
        """When this backend last reloaded Prometheus (its rules count from then on)."""
        self.waiting: Callable[[str], None] = lambda link_id: None
        """Called with the link id when a verification starts waiting for the servers."""
        """When this backend last reloaded what scrapes read: older scrapes do not verify."""

    @property
    def where(self) -> str:
        """How messages name this backend."""
        return f"prometheus at {self.url}" if self.url else f"prometheus files in {self.out}"

    def register(self, target: MonitoredLink) -> Registration:
        """Add or update the link in the files; reload and verify the live servers (URL set).

        Raises:
            MonitoringError: a file could not be written, or a server refused or is unreachable.
        """
        return self.registered(target, self.add_all([target]))

    def add_all(self, targets: Sequence[MonitoredLink]) -> list[str]:
        """What ``register`` writes, for several links at once: one update of the files (each
        rendered once, however many links) and one reload; returns what changed.

        Raises:
            MonitoringError: a file could not be written, or a server refused or is unreachable.
        """

        def add(state: pf.PromState) -> pf.PromState:
            for target in targets:
                state = state.with_link(target)
            return state

        changes = self.update(add)
        self.reload(changes)
        return changes

    def registered(self, target: MonitoredLink, changes: list[str]) -> Registration:
        """``register``'s end, after ``add_all``: verify ``target``; the registration."""
        verification = self.verify(target)
        return Registration(self.name, target.link_id, bool(changes), tuple(changes), verification)

    def deregister(self, link_ids: list[str]) -> tuple[str, ...]:
        """Stop monitoring ``link_ids`` (a router left with no link loses its target too)."""
        changes = self.update(lambda state: state.without(set(link_ids)))
        self.reload(changes)
        return tuple(changes)

    def sync(
        self, targets: list[MonitoredLink], keep: Sequence[str] = (), *, reload: bool = True
    ) -> SyncOutcome:
        """Monitor exactly ``targets`` (and ``keep``, left as they are): add, update, remove
        the rest; one reload if anything changed (none with ``reload=False``)."""
        wanted = {t.link_id for t in targets} | set(keep)
        before: list[str] = []

        def replace(state: pf.PromState) -> pf.PromState:
            before.extend(state.links)
            kept = state.without(set(state.links) - set(keep))
            for target in targets:
                kept = kept.with_link(target)
            return kept

        changes = self.update(replace)
        if reload:
            self.reload(changes)
        return SyncOutcome(tuple(changes), tuple(sorted(set(before) - wanted)))

    def monitored(self) -> list[str]:
        """The ids of the links in the files now."""
        return list(self._state().links)

    def verify(self, target: MonitoredLink) -> Verification:
        """Check the files; with a URL, poll the API until all checks pass or time runs out.

        After a reload made by this backend, only a scrape that started after it counts (a
        target still up from the former configuration proves nothing). The bound is
        ``verify_timeout_s``, plus one scrape interval while a new target is discovered but
        not scraped yet (Prometheus scrapes it at an offset within its interval).
        """
        start = time.monotonic()
        checks = self._file_checks(target)
        server = ""
        if self.url and all(c.ok for c in checks):
            self.check_servers()
            self.waiting(target.link_id)
            timeout = self.settings.prometheus.verify_timeout_s
            scrape = duration_seconds(self.settings.prometheus.scrape_interval)
            while True:
                live, health = self._live_checks(target)
                limit = timeout + (scrape if health == NOT_SCRAPED_YET else 0)
                late = time.monotonic() - start >= limit
                if all(c.ok for c in live) or late or stopping():
                    break
                self._sleep(POLL_S)
            checks += live
            server = self.url
        elapsed = time.monotonic() - start
        return Verification(self.name, target.link_id, tuple(checks), elapsed, server)

    # --- files -------------------------------------------------------------------------

    def update(self, change: Callable[[pf.PromState], pf.PromState]) -> list[str]:
        """Under the lock: read the state, ``change`` it, write what differs, remove the rest.

        Returns what changed ("wrote targets/r1.json", "removed rules/link-x.yml").
        """
        try:
            ensure_dir(self.out, self.gid)
            if self.gid is not None and self.settings.state_dir is not None:
                let_group_through(self.settings.state_dir, self.out, self.gid)
            with locked(self.out / LOCK_FILE):
                return self._apply(pf.render(change(self._state()), self.settings))
        except OSError as exc:
            raise MonitoringError(f"{self.where}: cannot write: {exc}") from exc

    def _apply(self, files: dict[str, str]) -> list[str]:
        changes: list[str] = []
        for rel, text in files.items():
            changes += self._put(rel, text)
        for pattern in pf.OWNED_GLOBS:
            for path in sorted(self.out.glob(pattern)):
                rel = str(path.relative_to(self.out))
                if rel not in files:
                    path.unlink()
                    changes.append(f"removed {rel}")
        return changes

    def _state(self) -> pf.PromState:
        """What the files monitor now (read from the former layout's files after an upgrade)."""
        manifest = self._read(pf.MANIFEST_FILE)
        if manifest is None and list(self.out.glob("rules/link-*.yml")):
            from bwauto.monitoring.promlegacy import legacy_state

            def texts(pattern: str) -> dict[str, str]:
                return {p.name: p.read_text(encoding="utf-8") for p in self.out.glob(pattern)}

            return legacy_state(texts("targets/*.json"), texts("rules/link-*.yml"),
                                self._snmp_modules())  # fmt: skip
        return pf.parse_state(manifest, self._snmp_modules())

    def _read(self, rel: str) -> str | None:
        path = self.out / rel
        return path.read_text(encoding="utf-8") if path.exists() else None

    def _put(self, rel: str, text: str) -> list[str]:
        path = self.out / rel
        secret = rel in pf.SECRET_FILES
        if self._read(rel) == text:
            if fix_mode(path, secret=secret, gid=self.gid):
                return [self._regrouped(rel, secret)]
            return []
        ensure_dir(path.parent, self.gid, self.out)
        write_file(path, text, secret=secret, gid=self.gid)
        return [f"wrote {rel}"]

    def _regrouped(self, rel: str, secret: bool) -> str:
        """The change line of a file whose group or mode was fixed (who may read it changed)."""
        mode = f"{file_mode(secret, self.gid):04o}"
        if self.gid is None:
            return f"chmod {rel} ({mode})"
        return f"chgrp/chmod {rel} ({self.settings.prometheus.group}, {mode})"

    def _snmp_modules(self) -> dict[str, Any]:
        """snmp.yml's modules, parsed once per text (a file of every router's module is read
        by each update and verification)."""
        text = self._read(pc.SNMP_FILE)
        if self._parsed_snmp is not None and self._parsed_snmp[0] == text:
            return dict(self._parsed_snmp[1])
        modules = self._parse_snmp(text)
        self._parsed_snmp = (text, modules)
        return dict(modules)

    def _parse_snmp(self, text: str | None) -> dict[str, Any]:
        try:
            data = yaml.safe_load(text) if text else {}
        except yaml.YAMLError as exc:
            raise MonitoringError(f"{self.out / pc.SNMP_FILE} is not valid YAML: {exc}") from None
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise MonitoringError(f"{self.out / pc.SNMP_FILE}: expected a mapping of modules")
        return data

    def reload(self, changes: list[str]) -> None:
        """POST ``/-/reload`` to the servers whose files changed (none when nothing did).

        A reload that failed is remembered (``.bwauto-reload-pending``) and made by the next
        registration or sync even if no file changes then: the files are already written.
        """
        if not self.url:
            return
        due = self._due(changes)
        servers = {"snmp_exporter": f"http://{self.settings.prometheus.snmp_exporter}",
                   "prometheus": self.url}  # fmt: skip
        for what in ("snmp_exporter", "prometheus"):
            if what in due:
                try:
                    self._post(servers[what], "/-/reload", what)
                except MonitoringError:
                    self._set_pending_reloads(due)
                    raise
                if what == "snmp_exporter" or _changes_scrapes(changes):
                    self.reloaded_at = time.time()
                if what == "prometheus":
                    self.rules_reloaded_at = time.time()
                due.discard(what)
        self._set_pending_reloads(due)

    def unreachable(self) -> list[str]:
        """One line per server (Prometheus, snmp_exporter) that does not answer now; none
        without a URL. Checked once before waiting for scrapes that cannot come."""
        if not self.url:
            return []
        exporter = f"http://{self.settings.prometheus.snmp_exporter}"
        found = []
        for what, base, path in (("prometheus", self.url, "/-/ready"),
                                 ("snmp_exporter", exporter, "/")):  # fmt: skip
            try:
                self._request(urllib.request.Request(f"{base}{path}"), what, base)
            except MonitoringError as exc:
                found.append(str(exc))
        return found

    def check_servers(self) -> None:
        """Raise when a server does not answer (see :meth:`unreachable`).

        Raises:
            MonitoringError: one line per server down.
        """
        down = self.unreachable()
        if down:
            raise MonitoringError("; ".join(down))

    def defer_reload(self, changes: list[str]) -> None:
        """Remember the reloads ``changes`` need without making them (``monitor setup``, which
        may run before the servers do): the next registration or sync makes them."""
        if self.url:
            self._set_pending_reloads(self._due(changes))

    def _due(self, changes: list[str]) -> set[str]:
        """The servers to reload: those pending, and those that read a file in ``changes``."""
        written = {c.split()[1] for c in changes}
        due = set(self._pending_reloads())
        if written & pf.EXPORTER_FILES:
            due.add("snmp_exporter")
        if any(_read_by_prometheus(rel) for rel in written):
            due.add("prometheus")
        return due

    def _pending_reloads(self) -> list[str]:
        text = self._read(PENDING_FILE)
        return [x for x in (text or "").split() if x in ("snmp_exporter", "prometheus")]

    def _set_pending_reloads(self, due: set[str]) -> None:
        path = self.out / PENDING_FILE
        if not due:
            path.unlink(missing_ok=True)
        elif sorted(due) != self._pending_reloads():
            write_file(path, "\n".join(sorted(due)) + "\n", secret=False, gid=self.gid)

    def _file_checks(self, target: MonitoredLink) -> list[Check]:
        state = self._state()
        has_link = state.links.get(target.link_id) == pf.link_entry(target)
        addr = pf.address(target.router_host, target.snmp_port)
        has_target = pf.parse_targets(self._read(pf.targets_file(target.router))) == [
            pf.target_group(target.router, addr)
        ]
        module = self._snmp_modules().get(pf.module_name(target.router))
        return [
            Check("target file", has_target, f"{pf.targets_file(target.router)}: "
                  + ("the router's target" if has_target else "missing or different")),
            Check("link rules", has_link, f"{pf.LINKS_FILE}: "
                  + ("capacity " + _caps(target) if has_link else "link missing or different")),
            Check("snmp module", module == pf.snmp_module(target.snmp),
                  f"{pc.SNMP_FILE}: module {pf.module_name(target.router)}"),
        ]  # fmt: skip

    # --- live --------------------------------------------------------------------------

    def _live_checks(self, target: MonitoredLink) -> tuple[list[Check], str]:
        """The live checks, and the target's health ("up", "down", "unknown" or "absent")."""
        check, health = self._target_check(target)
        counters = [self._counter_check(target, d) for d in ("up", "down")]
        found = [check, *counters, self._capacity_check(target), self._info_check(target)]
        return [*found, self._rules_check()], health

    def _rules_check(self) -> Check:
        """Prometheus has bwauto's rule groups as the files say, evaluated after the reload
        (``/api/v1/rules``): what a change of rules only (alert settings) can verify."""
        wanted: dict[str, list[str]] = {}
        for rel in (pf.LINKS_FILE, pf.RECORDING_FILE, pf.ALERTS_FILE):
            data = yaml.safe_load(self._read(rel) or "") or {}
            for group in data.get("groups", []):
                names = [str(r.get("alert") or r.get("record")) for r in group.get("rules", [])]
                wanted[str(group["name"])] = names
        loaded = self._api("/api/v1/rules", {}).get("groups", [])
        alert = self.settings.alert
        return rules_check(loaded, wanted, self.rules_reloaded_at,
                           (duration_seconds(alert.for_), f"> {alert.threshold:g}"))  # fmt: skip

    def _target_check(self, target: MonitoredLink) -> tuple[Check, str]:
        job = self.settings.prometheus.job_name
        addr = pf.address(target.router_host, target.snmp_port)
        data = self._api("/api/v1/targets", {"state": "active"})
        found = [
            t
            for t in data.get("activeTargets", [])
            if t.get("scrapePool") == job
            and t["labels"].get("router") == target.router
            and t["labels"].get("instance") == addr
        ]
        if not found:
            detail = f"no active target {addr} for router {target.router} in job {job}"
            return Check("target up", False, detail), "absent"
        t = found[0]
        health = str(t.get("health"))
        detail = f"{t.get('scrapeUrl', '?')}: {health}"
        if t.get("lastError"):
            detail += f" ({t['lastError']})"
        fresh = scraped_after(str(t.get("lastScrape", "")), self.reloaded_at)
        if not fresh:
            detail += " (last scrape before the reload: not a scrape of the new configuration)"
            return Check("target up", False, detail), NOT_SCRAPED_YET
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
        seen = {str(r["metric"].get("direction")): float(r["value"][1]) for r in result}
        want = {d: float(v) for d, v in target.capacity.items()}
        return Check(pf.CAPACITY_METRIC, seen == want, capacity_detail(seen, want))

    def _info_check(self, target: MonitoredLink) -> Check:
        query = f"{pf.INFO_METRIC}{{link_id={pf.promql_string(target.link_id)}}}"
        result = self._api("/api/v1/query", {"query": query}).get("result", [])
        seen = sorted(str(r["metric"].get("if_name")) for r in result)
        labels = ("opd", "router", "upstream", "if_name", "if_column")
        want = {k: str(v) for k, v in pf.link_entry(target).items() if k in labels}
        same = [{k: r["metric"].get(k) for k in labels} == want for r in result]
        ok = seen == [target.if_name] and all(same)
        detail = f"if_name {', '.join(seen) or 'no series'}"
        if seen == [target.if_name] and not all(same):
            detail += " (opd, router or upstream not updated yet)"
        return Check(pf.INFO_METRIC, ok, detail)

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


def rules_check(
    loaded: list[dict[str, Any]], wanted: dict[str, list[str]], reloaded_at: float | None,
    alert: tuple[float, str],
) -> Check:  # fmt: skip
    """Whether Prometheus's rule groups (``loaded``, from ``/api/v1/rules``) are bwauto's
    (``wanted``: group name -> rule names, as in the files), evaluated after ``reloaded_at``,
    with the utilisation alert's ``for`` (seconds) and threshold (``alert``).

    Examples:
        >>> g = {"name": "bwauto_alerts", "lastEvaluation": "2026-11-30T15:00:01Z",
        ...      "rules": [{"name": "BwautoLinkUtilisationHigh", "duration": 900,
        ...                 "query": "link:x > 0.9"}]}
        >>> want = {"bwauto_alerts": ["BwautoLinkUtilisationHigh"]}
        >>> at = 1796050800.0  # 2026-11-30T15:00:00Z
        >>> rules_check([g], want, at, (900, "> 0.9")).ok
        True
        >>> rules_check([g], want, at, (900, "> 0.8")).detail
        'bwauto_alerts: other threshold or for'
        >>> rules_check([g], want, at + 2, (900, "> 0.9")).detail
        'bwauto_alerts: not evaluated since the reload'
    """
    by_name = {str(g.get("name")): g for g in loaded}
    problems = []
    for name, rules in wanted.items():
        group = by_name.get(name)
        if group is None:
            problems.append(f"{name}: not loaded")
            continue
        got = group.get("rules") or []
        if [str(r.get("name")) for r in got] != rules:
            problems.append(f"{name}: other rules")
        elif any(r.get("name") == pf.ALERT_NAME and not _same_alert(r, alert) for r in got):
            problems.append(f"{name}: other threshold or for")
        elif not scraped_after(str(group.get("lastEvaluation", "")), reloaded_at):
            problems.append(f"{name}: not evaluated since the reload")
    if problems:
        return Check("rules loaded", False, "; ".join(problems))
    return Check("rules loaded", True, f"{', '.join(wanted)}: evaluated after the reload")


def _same_alert(rule: dict[str, Any], alert: tuple[float, str]) -> bool:
    query = str(rule.get("query", "")).rstrip()
    return float(rule.get("duration", -1)) == alert[0] and query.endswith(alert[1])


def scraped_after(last_scrape: str, reloaded_at: float | None) -> bool:
    """Whether a target's ``lastScrape`` (RFC 3339, from ``/api/v1/targets``) started after
    ``reloaded_at`` (epoch seconds); always True when there was no reload.

    Examples:
        >>> scraped_after("2026-11-30T14:15:43.5Z", 1796048143.0)
        True
        >>> scraped_after("2026-11-30T21:15:42.9+07:00", 1796048143.0), scraped_after("", None)
        (False, True)
    """
    if reloaded_at is None:
        return True
    try:
        return datetime.fromisoformat(last_scrape).timestamp() > reloaded_at
    except ValueError:
        return False


def _caps(target: MonitoredLink) -> str:
    return _rates({d: float(v) for d, v in target.capacity.items()})


def capacity_detail(seen: dict[str, float], want: dict[str, float]) -> str:
    """What ``bwauto_link_capacity_bps`` showed, compared as a mapping (the order Prometheus
    returns the series in does not matter), in one fixed order and in Mbps; "want" only when
    it differs.

    Examples:
        >>> capacity_detail({"down": 1e8, "up": 5e7}, {"up": 5e7, "down": 1e8})
        'up=50 Mbps, down=100 Mbps'
        >>> capacity_detail({"down": 1e8, "up": 2e7}, {"up": 5e7, "down": 1e8})
        'up=20 Mbps, down=100 Mbps (want up=50 Mbps, down=100 Mbps)'
        >>> capacity_detail({}, {"up": 1_500_000.0, "down": 2e6})
        'no series (want up=1.5 Mbps, down=2 Mbps)'
    """
    if seen == want:
        return _rates(seen)
    return f"{_rates(seen) or 'no series'} (want {_rates(want)})"


def _rates(rates: dict[str, float]) -> str:
    """``up=50 Mbps, down=100 Mbps``: up, then down, then any other direction."""
    order = sorted(rates, key=lambda d: ("up", "down", d).index(d))
    return ", ".join(f"{d}={_mbps(rates[d])}" for d in order)


def _mbps(bps: float) -> str:
    """Exact Mbit/s for people (a capacity is compared exactly, so no rounding)."""
    from decimal import Decimal

    text = f"{Decimal(repr(bps)) / 10**6:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + " Mbps"
