"""``bwauto samples import --from KIND``: from the command's arguments to an import.

The CLI module stays a thin shell; this module turns the inventory and the options into the
source's links, runs ``run.import_source`` and says what happened in one line per source.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from bwauto.errors import UsageError
from bwauto.importers.prometheus import PrometheusSource, PromLink
from bwauto.importers.run import SourceReport, import_source
from bwauto.inventory.models import Inventory, Link
from bwauto.store.samples import SampleStore

KINDS = ("csv", "prometheus", "zabbix", "rrd")


@dataclass(frozen=True)
class SourceOptions:
    """The options of ``samples import`` that concern a monitoring source."""

    kind: str
    locations: Sequence[str]
    links: Sequence[str]
    selectors: Sequence[str]
    since: str
    until: str | None
    token_env: str | None
    user: str | None
    password_env: str | None
    tz: tzinfo


def parse_selectors(items: Sequence[str], known: Sequence[str]) -> dict[str, str]:
    """``LINK=SELECTOR`` items as a dict.

    Examples:
        >>> parse_selectors(['dinkes={instance="r1", ifName="v110"}'], ["dinkes"])
        {'dinkes': '{instance="r1", ifName="v110"}'}
    """
    out: dict[str, str] = {}
    for item in items:
        link, sep, selector = item.partition("=")
        if not sep or not selector.strip():
            raise UsageError(f"--selector {item!r}: write LINK=SELECTOR")
        if link.strip() not in known:
            raise UsageError(f"--selector {item!r}: unknown link {link.strip()!r}")
        out[link.strip()] = selector.strip()
    return out


def secret_from_env(name: str | None, option: str) -> str | None:
    """The value of environment variable ``name`` (secrets never go on the command line)."""
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise UsageError(f"{option} {name}: that environment variable is not set")
    return value


def chosen_links(inventory: Inventory, ids: Sequence[str]) -> list[Link]:
    """The links named (all of the inventory when none is)."""
    if not ids:
        return list(inventory.links.values())
    unknown = [i for i in ids if i not in inventory.links]
    if unknown:
        raise UsageError(f"unknown link {unknown[0]!r}: not in the inventory")
    return [inventory.links[i] for i in dict.fromkeys(ids)]


def window(opts: SourceOptions) -> tuple[float, float]:
    """``--since``/``--until`` as unix seconds."""
    from bwauto.analysis.window import parse_window

    w = parse_window(opts.since, opts.until, now=time.time(), tz=opts.tz)
    return w.start, w.end


def run_source(store: SampleStore, inventory: Inventory, opts: SourceOptions) -> list[SourceReport]:
    """Import from the monitoring source ``opts`` describes into ``store``."""
    since, until = window(opts)
    if opts.kind == "rrd":
        return run_rrd(store, inventory, opts, since, until)
    links = chosen_links(inventory, opts.links)
    selectors = parse_selectors(opts.selectors, list(inventory.links))
    if opts.kind == "prometheus":
        token = secret_from_env(opts.token_env, "--token-env")
        source = PrometheusSource(_one(opts), token=token)
        plinks = prom_links(inventory, links, selectors)
        return [import_source(store, source, plinks, since, until)]
    if opts.kind == "zabbix":
        return run_zabbix(store, opts, [(k.id, (k.id, selectors.get(k.id))) for k in links],
                          since, until)  # fmt: skip
    raise UsageError(f"--from {opts.kind!r}: choose one of {', '.join(KINDS)}")


def prom_links(
    inventory: Inventory, links: Sequence[Link], selectors: dict[str, str]
) -> list[tuple[str, PromLink]]:
    """Each link as the Prometheus importer looks it up."""
    from bwauto.monitoring.links import if_column
    from bwauto.monitoring.promfiles import LOOKUP_LABEL

    out: list[tuple[str, PromLink]] = []
    for link in links:
        router = inventory.routers[link.router]
        label = LOOKUP_LABEL[if_column(router.platform, link.snmp_ifname)]
        plink = PromLink(link.id, link.router, label, link.ifname, selectors.get(link.id))
        out.append((link.id, plink))
    return out


def run_zabbix(
    store: SampleStore,
    opts: SourceOptions,
    links: list[tuple[str, tuple[str, str | None]]],
    since: float,
    until: float,
) -> list[SourceReport]:
    """History, then trends (coarse), of the links' items; every link is checked first."""
    from bwauto.importers.zabbix import ZabbixSource

    url = _one(opts)
    token = secret_from_env(opts.token_env, "--token-env")
    password = secret_from_env(opts.password_env, "--password-env")
    if token is None and (opts.user is None or password is None):
        raise UsageError("--from zabbix: give --token-env VAR, or --user and --password-env VAR")
    reports = []
    for trend in (False, True):
        source = ZabbixSource(url, token=token, user=opts.user, password=password, trend=trend)
        with source.session():
            reports.append(import_source(store, source, links, since, until))
    return reports


def run_rrd(
    store: SampleStore, inventory: Inventory, opts: SourceOptions, since: float, until: float
) -> list[SourceReport]:
    """Each RRD file is a link's (``--link`` in the same order, else the file's stem); every
    file is checked before anything is imported, then each archive resolution is a source."""
    from bwauto.importers.rrd import RrdArchiveSource, inspect

    if not opts.locations:
        raise UsageError("--from rrd: give the RRD files")
    if opts.links and len(opts.links) != len(opts.locations):
        raise UsageError(f"--from rrd: {len(opts.locations)} files but {len(opts.links)} --link")
    ids = list(opts.links) or [Path(p).stem for p in opts.locations]
    chosen_links(inventory, ids)
    files = {link: inspect(Path(p)) for link, p in zip(ids, opts.locations, strict=True)}
    resolutions = sorted({a.resolution for f in files.values() for a in f.archives})
    reports = []
    for res in resolutions:
        having = {k: f for k, f in files.items() if any(a.resolution == res for a in f.archives)}
        source = RrdArchiveSource(res, having)
        reports.append(import_source(store, source, [(k, k) for k in having], since, until))
    return reports


def _one(opts: SourceOptions) -> str:
    if len(opts.locations) != 1:
        raise UsageError(f"--from {opts.kind} takes one URL, not {len(opts.locations)}")
    url = opts.locations[0]
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--from {opts.kind} {url!r}: give the server's http(s):// URL")
    return url


def summary(report: SourceReport) -> str:
    """One line: the source, its resolution, and samples read and new."""
    from bwauto.i18n import _

    src = report.source
    resolution = (_("every {step} s").format(step=f"{src.step_s:g}") if src.step_s
                  else _("resolution unknown"))  # fmt: skip
    coarse = _(", coarse (averages)") if src.coarse else ""
    resumed = _(", {n} links resumed").format(n=len(report.resumed)) if report.resumed else ""
    return _("{source}: {links} links, {read} samples read, {added} new ({resolution})").format(
        source=src.label(), links=len(report.read), read=sum(report.read.values()),
        added=sum(report.added.values()), resolution=f"{resolution}{coarse}{resumed}")  # fmt: skip


def csv_paths(locations: Sequence[str]) -> list[Path]:
    """The CSV files named on the command line."""
    if not locations:
        raise UsageError("samples import: give at least one CSV file")
    return [Path(p) for p in locations]
