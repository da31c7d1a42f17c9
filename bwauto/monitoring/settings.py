"""Monitoring settings: an optional ``monitoring.yaml`` next to the inventory files
(``bwauto monitor settings`` lists every key with its value, default and meaning).

Every key is optional; without the file bwauto writes Prometheus files under the state dir::

    backend: prometheus            # used when --backend is not given (prometheus | zabbix | ...)
    alert:                         # both backends: utilisation alert on each direction
      threshold: 0.8               # fraction of the link's capacity
      for: 15m                     # how long it must last (Prometheus syntax: 1h30m)
      severity: warning
    prometheus:
      output_dir: /etc/prometheus/bwauto   # default <state_dir>/monitoring/prometheus
      url: http://127.0.0.1:9090   # optional: then POST /-/reload and verify via the API
      snmp_exporter: 127.0.0.1:9116
      job_name: bwauto_snmp        # the scrape job; rules, alerts and verification follow it
      scrape_interval: 60s         # its own setting: not the step-6 poll interval
      rule_interval: 30s
      group: prometheus            # the Unix group that may read the files (snmp.yml: 0640)
      user: prometheus             # the servers' user: must be in that group
      verify_timeout_s: 90
    zabbix:
      url: https://zabbix.example/api_jsonrpc.php
      credentials_env: {token: MY_ZABBIX_TOKEN}   # optional: env var names to read first
      group_prefix: "OPD/"         # host group per OPD: "OPD/Dinas Kesehatan"
      common_group: bwauto         # every bwauto host is also in this group
      host_per: router             # one host per router (template + LLD); or link
      discovery_interval: 10m      # interface discovery (bwauto also runs it at each change)
      item_interval: 1m            # how often each link's counters are polled

Zabbix credentials are never in this file. For each of ``token``, ``username`` and
``password`` the first of these wins: the variable named in ``zabbix.credentials_env``;
``BWAUTO_ZABBIX_TOKEN`` / ``BWAUTO_ZABBIX_USERNAME`` / ``BWAUTO_ZABBIX_PASSWORD``; the secrets
file (mode 0600) under ``monitoring: {zabbix: {token: ...}}``. A token wins over a user.

Durations are parsed by :mod:`bwauto.monitoring.durations`.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bwauto.credentials import CredentialResolver
from bwauto.errors import CredentialError, InventoryError, Problem
from bwauto.inventory.yamlsrc import Key, YamlDoc, read_yaml
from bwauto.monitoring.durations import (
    ZABBIX_DURATION,
    duration_ms,
    duration_seconds,
    unitless,
)

FILE_NAME = "monitoring.yaml"
ZABBIX_FIELDS = ("token", "username", "password")
_SECRET_KEYS = frozenset({"token", "api_token", "password", "secret", "community", "auth_key",
                          "priv_key", "snmp_community"})  # fmt: skip
MAX_SCRAPE_S = 150  # two samples inside Prometheus's 5-minute lookback (staleness)
_HOSTPORT = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}$")


def _unit_hint(value: Any) -> Any:
    """Before the str check: a bare YAML number gets the hint about its unit, not a type error."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(unitless(value))
    return value


def _duration(value: str) -> str:
    duration_ms(value)
    return value


def _whole_seconds(value: str) -> str:
    """A duration both backends understand (Zabbix counts in whole seconds)."""
    if duration_ms(value) % 1000:
        raise ValueError(f"{value!r} is not whole seconds, which Zabbix needs")
    return value


def _zabbix_duration(value: str) -> str:
    _whole_seconds(value)
    if not ZABBIX_DURATION.match(value):
        seconds = duration_ms(value) // 1000
        raise ValueError(f"{value!r}: Zabbix takes one number and one unit (s, m, h, d, w); "
                         f"write {seconds}s")  # fmt: skip
    return value


def _threshold(value: float) -> float:
    if value > 1:
        raise ValueError(f"{value:g} is over 1: the alert compares traffic with the link's "
                         "capacity (the shaper's rate), which traffic cannot exceed, so it would "
                         "never fire; write a fraction such as 0.8")  # fmt: skip
    return value


def _scrape_interval(value: str) -> str:
    if duration_seconds(value) > MAX_SCRAPE_S:
        raise ValueError(
            f"{value!r} is longer than 2m30s: Prometheus drops a series 5 min after its last "
            "sample, so one missed scrape would leave a gap in every link's traffic and alerts "
            "(the rules' rate window is 4 scrape intervals, at least 5m)"
        )
    return value


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value.rstrip("/")


def _host_port(value: str) -> str:
    if not _HOSTPORT.match(value):
        raise ValueError(f"{value!r} is not host:port")
    return value


Duration = Annotated[str, BeforeValidator(_unit_hint), AfterValidator(_duration)]
AlertDuration = Annotated[str, BeforeValidator(_unit_hint), AfterValidator(_whole_seconds)]
ZabbixDuration = Annotated[str, BeforeValidator(_unit_hint), AfterValidator(_zabbix_duration)]
Threshold = Annotated[float, AfterValidator(_threshold)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
HostPort = Annotated[str, AfterValidator(_host_port)]
ScrapeInterval = Annotated[
    str, BeforeValidator(_unit_hint), AfterValidator(_duration), AfterValidator(_scrape_interval)
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AlertSettings(_Model):
    """The utilisation alert both backends create for each direction of each link."""

    threshold: Threshold = Field(
        default=0.8, gt=0, description="fraction of the link's capacity that raises the alert (0-1]"
    )
    for_: AlertDuration = Field(
        default="15m",
        alias="for",
        description="how long the traffic must stay above it (e.g. 15m, 1h30m)",
    )
    severity: Literal["info", "warning", "average", "high", "disaster"] = Field(
        default="warning", description="severity label (Prometheus) or priority (Zabbix)"
    )


class PrometheusSettings(_Model):
    """Where the Prometheus files go and, optionally, the live servers to reload and verify."""

    output_dir: Path | None = Field(
        default=None,
        description=("where the files go (relative: to the inventory dir)"),
    )
    url: HttpUrl | None = Field(
        default=None,
        description=(
            "Prometheus (run with --web.enable-lifecycle): bwauto reloads it and verifies every "
            "registration through its API; without it the files are written but NOT verified"
        ),
    )
    snmp_exporter: HostPort = Field(
        default="127.0.0.1:9116",
        description=("snmp_exporter's host:port (scraped by Prometheus, reloaded by bwauto)"),
    )
    job_name: str = Field(
        default="bwauto_snmp",
        pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$",
        description="the scrape job; rules, alerts and verification follow it",
    )
    scrape_interval: ScrapeInterval = Field(
        default="60s",
        description=(
            "how often each router is walked (its own setting, not the step-6 poll interval); "
            "at most 2m30s, under Prometheus's 5-minute staleness"
        ),
    )
    rule_interval: Duration = Field(default="30s", description="how often the rules are evaluated")
    group: str | None = Field(
        default="prometheus",
        pattern=r"^[a-z_][a-z0-9_-]*\$?$",
        description=(
            "the Unix group that reads the files (snmp.yml, with secrets: 0640); it must exist and "
            "bwauto's user be in it; null: no group, snmp.yml 0600, only when snmp_exporter "
            "runs as bwauto's own user (prometheus.user), else refused"
        ),
    )
    user: str = Field(
        default="prometheus",
        pattern=r"^[a-z_][a-z0-9_-]*\$?$",
        description=(
            "the Unix user snmp_exporter and Prometheus run as: it must be in prometheus.group "
            "to read the files"
        ),
    )
    verify_timeout_s: float = Field(
        default=90.0,
        gt=0,
        le=3600,
        description=("how long a registration waits for a scrape made after the reload"),
    )
    request_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="timeout of each HTTP request"
    )


class ZabbixSettings(_Model):
    """The Zabbix API to talk to, and how bwauto names what it creates there."""

    url: HttpUrl | None = Field(default=None, description="the API (.../api_jsonrpc.php)")
    credentials_env: dict[Literal["token", "username", "password"], str] = Field(
        default_factory=dict,
        description=("names of environment variables to read the API credentials from first"),
    )
    group_prefix: str = Field(
        default="OPD/",
        description=('host group per OPD (host_per: link), e.g. "OPD/Dinas Kesehatan"'),
    )
    common_group: str = Field(
        default="bwauto",
        min_length=1,
        description="every bwauto host and the template are in this group",
    )
    host_prefix: str = Field(
        default="bwauto-",
        pattern=r"^[A-Za-z0-9._ -]*$",
        description="host name = prefix + router (or link) name",
    )
    host_per: Literal["router", "link"] = Field(
        default="router",
        description=(
            "router: one host per router, template with discovery; link: one host per link"
        ),
    )
    template: str = Field(
        default="bwauto SNMP links",
        pattern=r"^[A-Za-z0-9._ -]+$",
        description="the template bwauto creates and links",
    )
    discovery_interval: ZabbixDuration = Field(
        default="10m",
        description=("interface discovery interval (bwauto also requests it at each change)"),
    )
    item_interval: ZabbixDuration = Field(
        default="1m", description="how often each link's counters are polled"
    )
    reload_command: str | None = Field(
        default=None,
        description=(
            "run after a change so that the server loads it now, e.g. "
            '"sudo zabbix_server -R config_cache_reload"; without it bwauto asks for discovery '
            "again until the server's next configuration sync (CacheUpdateFrequency, 60 s)"
        ),
    )
    verify_timeout_s: float = Field(
        default=150.0,
        gt=0,
        le=3600,
        description=(
            "how long a registration waits for the discovered items of the link's interface"
        ),
    )
    request_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="timeout of each API request"
    )
    validate_certs: bool = Field(default=True, description="check the API's TLS certificate")


class MonitoringSettings(_Model):
    """Everything in ``monitoring.yaml`` (all optional), with paths already resolved."""

    backend: str = Field(
        default="prometheus",
        min_length=1,
        description=(
            "the backend used when --backend is not given (prometheus, zabbix, or a plug-in)"
        ),
    )
    alert: AlertSettings = AlertSettings()
    prometheus: PrometheusSettings = PrometheusSettings()
    zabbix: ZabbixSettings = ZabbixSettings()
    source: str | None = Field(default=None, exclude=True)
    state_dir: Path | None = Field(default=None, exclude=True)

    @property
    def lock_dir(self) -> Path:
        """Where bwauto's monitoring locks live (``<state_dir>/monitoring``)."""
        return (self.state_dir or self.prometheus_dir.parent) / "monitoring"

    @property
    def prometheus_dir(self) -> Path:
        """The Prometheus output dir (resolved by ``load_settings``)."""
        if self.prometheus.output_dir is None:
            raise ValueError("prometheus.output_dir was not resolved: use load_settings()")
        return self.prometheus.output_dir


def default_settings(state_dir: Path) -> MonitoringSettings:
    """The settings used when there is no ``monitoring.yaml``."""
    return resolve_paths(MonitoringSettings(), Path("."), state_dir)


def load_settings(inventory_dir: str | Path, state_dir: Path) -> MonitoringSettings:
    """Read ``<inventory_dir>/monitoring.yaml`` if it exists, else the defaults.

    Raises:
        InventoryError: the file is invalid; each problem names file, line and field.
    """
    path = Path(inventory_dir) / FILE_NAME
    if not path.exists():
        return default_settings(state_dir)
    doc = read_yaml(path)
    problems = list(doc.problems)
    data: Any = doc.data if doc.data is not None else {}
    if not problems and not isinstance(data, dict):
        problems.append(Problem(doc.file, "", "", "expected a mapping", 1))
    if not problems:
        problems += _secret_problems(doc, data, ())
    if problems:
        raise InventoryError(problems)
    try:
        settings = MonitoringSettings.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        raise InventoryError([_problem(doc, err) for err in exc.errors()]) from None
    problem = _group_problem(doc, settings.prometheus)
    if problem:
        raise InventoryError([problem])
    return resolve_paths(settings, path.parent, state_dir)


def _group_problem(doc: YamlDoc, p: PrometheusSettings) -> Problem | None:
    """The group or user named in the file that would leave the files unreadable, or None
    (the defaults are checked only when the file names the group or the user)."""
    named = {"group", "user"} & p.model_fields_set
    if p.group is None and "group" in named:
        reason = null_group_refusal(p.user)
        return Problem(doc.file, "", "prometheus.group", reason,
                       doc.line("prometheus", "group")) if reason else None  # fmt: skip
    if not p.group or not named:
        return None
    reason = group_refusal(p.group)
    key = "group"
    if reason is None:
        reason = member_refusal(p.user, p.group, "user" in named)
        key = "user" if reason and reason.startswith("no Unix user") else "group"
    if reason is None:
        return None
    return Problem(doc.file, "", f"prometheus.{key}", reason, doc.line("prometheus", key))


def member_refusal(user: str, group: str, user_named: bool) -> str | None:
    """Why ``user`` (the servers' user) could not read files of ``group``, or None.

    Root can give files to any group, so bwauto's own membership proves nothing: snmp_exporter
    and Prometheus read the files as ``user``, through ``group``. A user that does not exist
    here is refused only when the file names it (the servers may run on another machine).
    """
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        if not user_named:
            return None
        return (f"no Unix user {user!r} on this machine (getent passwd {user}): name the user "
                "snmp_exporter and Prometheus run as")  # fmt: skip
    gr = grp.getgrnam(group)
    if entry.pw_gid == gr.gr_gid or user in gr.gr_mem:
        return None
    groups = sorted({g.gr_name for g in grp.getgrall() if user in g.gr_mem}
                    | {grp.getgrgid(entry.pw_gid).gr_name})  # fmt: skip
    return (f"user {user!r} (prometheus.user, which runs snmp_exporter and Prometheus) is not in "
            f"group {group!r}, so it could not read snmp.yml; name one of its groups "
            f"({', '.join(groups)}), or run: usermod -aG {group} {user}")  # fmt: skip


def null_group_refusal(user: str) -> str | None:
    """Why ``group: null`` would leave snmp.yml unreadable to the servers' ``user``, or None.

    Without a group, snmp.yml (it holds the SNMP secrets) is 0600, owned by bwauto's own user,
    and its folder 0755: only a snmp_exporter that runs as bwauto's own user can read it. A
    ``user`` that does not exist here is not refused (the servers may run on another machine).
    """
    me = pwd.getpwuid(os.geteuid()).pw_name
    try:
        pwd.getpwnam(user)
    except KeyError:
        return None
    if user == me:
        return None
    return (f"null leaves snmp.yml 0600 for {me!r} only, and snmp_exporter runs as {user!r} "
            f"(prometheus.user), so every scrape would fail with \"permission denied\"; name a "
            f"group {user!r} is in, or set prometheus.user: {me} if snmp_exporter runs as "
            f"{me!r}")  # fmt: skip


def group_refusal(group: str) -> str | None:
    """Why files cannot be given to the Unix group ``group`` named in the file, or None.

    A group named in ``monitoring.yaml`` that does not exist, or that bwauto's user cannot give
    files to, is bad input: bwauto would otherwise write files the ``prometheus`` user cannot
    read, or fall back to another mode than the one asked for.
    """
    from bwauto.monitoring.files import usable_gid

    try:
        grp.getgrnam(group)
    except KeyError:
        return (f"no Unix group {group!r} on this machine (getent group {group}); install the "
                "package that creates it, name another group, or set null")  # fmt: skip
    if usable_gid(group) is None:
        return (f"this user (uid {os.geteuid()}) is not in group {group!r}, so cannot give it "
                "the files; add the user to it, name another group, or set null")  # fmt: skip
    return None


def resolve_paths(settings: MonitoringSettings, base: Path, state_dir: Path) -> MonitoringSettings:
    """Make ``prometheus.output_dir`` absolute (relative to ``base``; default in ``state_dir``)."""
    out = settings.prometheus.output_dir
    if out is None:
        out = state_dir / "monitoring" / "prometheus"
    elif not out.is_absolute():
        out = base / out
    prometheus = settings.prometheus.model_copy(update={"output_dir": out.absolute()})
    return settings.model_copy(update={"prometheus": prometheus, "state_dir": state_dir})


def _problem(doc: YamlDoc, err: Any) -> Problem:
    loc: tuple[Key, ...] = tuple("for" if p == "for_" else p for p in err["loc"])
    field = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        message = "unknown field (check its spelling)"
    else:
        message = str(err["msg"]).removeprefix("Value error, ")
    return Problem(doc.file, "", field, message, doc.line(*loc))


def _secret_problems(doc: YamlDoc, node: Any, path: tuple[Key, ...]) -> list[Problem]:
    found: list[Problem] = []
    if not isinstance(node, dict):
        return found
    for key, value in node.items():
        if key == "credentials_env":  # names of variables, not secrets
            continue
        if isinstance(key, str) and key.lower() in _SECRET_KEYS and isinstance(value, str | int):
            field = ".".join(str(p) for p in (*path, key))
            msg = ("secrets must not be in monitoring.yaml: set BWAUTO_ZABBIX_TOKEN (or "
                   "_USERNAME and _PASSWORD), or use the 0600 secrets file")  # fmt: skip
            found.append(Problem(doc.file, "", field, msg, doc.line(*path, key)))
        else:
            found += _secret_problems(doc, value, (*path, key))
    return found


def zabbix_credentials(settings: ZabbixSettings, resolver: CredentialResolver) -> dict[str, str]:
    """Zabbix API credentials: ``{"token": ...}`` or ``{"username": ..., "password": ...}``.

    Raises:
        CredentialError: neither a token nor a user with a password was found.
    """
    section = (resolver.secrets.get("monitoring") or {}).get("zabbix") or {}
    found: dict[str, str] = {}
    for name in ZABBIX_FIELDS:
        names = [settings.credentials_env[name]] if name in settings.credentials_env else []
        names.append(f"BWAUTO_ZABBIX_{name.upper()}")
        value = next((resolver.env[v] for v in names if resolver.env.get(v)), None)
        if value is None and isinstance(section, dict) and section.get(name) not in (None, ""):
            value = str(section[name])
        if value is not None:
            found[name] = value
    if "token" in found:
        return {"token": found["token"]}
    if "username" in found and "password" in found:
        return {"username": found["username"], "password": found["password"]}
    raise CredentialError(
        "no Zabbix API credentials: set BWAUTO_ZABBIX_TOKEN (or BWAUTO_ZABBIX_USERNAME and "
        "BWAUTO_ZABBIX_PASSWORD), or add monitoring.zabbix.token to the secrets file (mode 0600)"
    )
