"""Import interface traffic from Zabbix: ``history.get``, and ``trend.get`` (coarse) for longer.

Zabbix keeps what its items compute. bwauto's registration makes two items per link on host
``bwauto-<link_id>`` (``bwauto.link.bps[up]``/``[down]``, "change per second" x 8: bit/s), and
most templates do the same, so a value stamped ``t_k`` is the rate over ``(t_{k-1}, t_k]``.
Rates are integrated into synthetic octet counters (``integrate``) so that bwauto's counter
math gives them back; an item without "change per second" holds the counter itself and is
used as is. A pause longer than twice the item's interval ends a run: the next run's synthetic
counter restarts (with its uptime), so no rate is made up across it.

Two sources per server: ``zabbix URL`` (history, at the item's interval) and ``zabbix-trend
URL`` (hourly averages of ``trend.get``, coarse). Both are imported over the whole window;
``bwauto.store.sources.choose_source`` then uses history where it covers the window and trends
where only they do, and the report says which.

Items are found by bwauto's host and keys, or per link with ``--selector LINK=HOST`` (bwauto's
keys on that host) or ``--selector LINK=ITEMID_IN,ITEMID_OUT``.

The integration is ``bwauto.importers.synthetic.integrate``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from bwauto.errors import ImportDataError, MonitoringError
from bwauto.importers.http import server_url
from bwauto.importers.synthetic import GAP_FACTOR, integrate
from bwauto.store.records import SampleArrays
from bwauto.store.sources import SourceInfo

if TYPE_CHECKING:
    from zabbix_utils import ZabbixAPI

KEYS = ("bwauto.link.bps[up]", "bwauto.link.bps[down]")
PREPROC_CHANGE_PER_SECOND = "10"
PREPROC_MULTIPLIER = "1"
TREND_S = 3600.0
PAGE = 50_000


@dataclass(frozen=True, slots=True)
class ZabbixItems:
    """A link's two items and how their values become octets."""

    link_id: str
    itemids: tuple[str, str]
    value_type: str
    delay_s: float  # 0 for trapper items: then the interval seen in the data
    rate: bool
    octets_per_unit: float


def _seconds(delay: str) -> float:
    """A Zabbix interval (``300``, ``5m``, ``1h``) in seconds.

    Examples:
        >>> _seconds("5m"), _seconds("300"), _seconds("2s")
        (300.0, 300.0, 2.0)
    """
    m = re.fullmatch(r"(\d+)([smhdw]?)", delay.strip().split(";")[0])
    if not m:
        return 0.0
    return (
        float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]
    )


class ZabbixSource:
    """A Zabbix API at ``url``: ``history`` (fine) or ``trend`` (hourly, coarse)."""

    def __init__(
        self, url: str, *, token: str | None, user: str | None, password: str | None,
        trend: bool = False, host_prefix: str = "bwauto-",
    ) -> None:  # fmt: skip
        self.url = server_url(url, "zabbix")
        self.auth = {"token": token, "user": user, "password": password}
        self.trend = trend
        self.host_prefix = host_prefix
        self.step_s = TREND_S if trend else 0.0
        self._api: ZabbixAPI | None = None

    @property
    def info(self) -> SourceInfo:
        if self.trend:
            return SourceInfo(f"zabbix-trend {self.url}", "zabbix-trend", TREND_S, coarse=True)
        return SourceInfo(f"zabbix {self.url}", "zabbix", self.step_s)

    @contextmanager
    def session(self) -> Iterator[ZabbixSource]:
        """Log in for the block (one line ``MonitoringError`` on any API failure)."""
        from zabbix_utils import ZabbixAPI
        from zabbix_utils.exceptions import ModuleBaseException

        try:
            self._api = ZabbixAPI(url=self.url, timeout=60, **self.auth)
            yield self
        except ModuleBaseException as exc:
            raise MonitoringError(f"zabbix {self.url}: {_reason(exc)}") from None
        finally:
            if self._api is not None and self.auth.get("user"):
                with suppress(ModuleBaseException):
                    self._api.logout()
            self._api = None

    def _call(self, method: str, **params: Any) -> Any:
        from zabbix_utils.exceptions import ModuleBaseException

        assert self._api is not None, "use within session()"
        obj, verb = method.split(".")
        try:
            return getattr(getattr(self._api, obj), verb)(**params)
        except ModuleBaseException as exc:
            raise MonitoringError(f"zabbix {self.url}: {method}: {_reason(exc)}") from None

    def resolve(self, link: tuple[str, str | None], since: float, until: float) -> ZabbixItems:
        """The link's two items (``ImportDataError`` when not found)."""
        link_id, selector = link
        fields = ["itemid", "key_", "value_type", "delay", "units"]
        if selector and re.fullmatch(r"\d+\s*,\s*\d+", selector):
            ids = [i.strip() for i in selector.split(",")]
            items = self._call("item.get", itemids=ids, output=fields, selectPreprocessing="extend")
            by = {str(i["itemid"]): i for i in items}
            found = [by.get(i) for i in ids]
            what = f"items {selector}"
        else:
            host = selector or f"{self.host_prefix}{link_id}"
            items = self._call("item.get", host=host, filter={"key_": list(KEYS)}, output=fields,
                               selectPreprocessing="extend")  # fmt: skip
            by = {str(i["key_"]): i for i in items}
            found = [by.get(k) for k in KEYS]
            what = f"host {host!r} items {', '.join(KEYS)}"
        if any(f is None for f in found):
            raise ImportDataError(
                f"zabbix {self.url}: link {link_id}: no {what}: give --selector "
                f"{link_id}=HOST or {link_id}=ITEMID_IN,ITEMID_OUT"
            )
        return _items(link_id, [f for f in found if f is not None])

    def fetch(self, items: ZabbixItems, since: float, until: float) -> SampleArrays:
        """The link's values in ``[since, until]`` as counters."""
        series = [self._values(item, items.value_type, since, until) for item in items.itemids]
        t_in, v_in = series[0]
        t_out, v_out = series[1]
        ts, i, o = np.intersect1d(t_in, t_out, assume_unique=True, return_indices=True)
        values = np.column_stack((v_in[i], v_out[o])) * items.octets_per_unit
        seen = float(np.median(np.diff(ts))) if ts.shape[0] > 1 else 0.0
        if not self.trend:
            self.step_s = max(self.step_s, items.delay_s or seen)
        if self.trend or items.rate:
            step = TREND_S if self.trend else (items.delay_s or seen or 60.0)
            return integrate(ts, values, step, gap_s=GAP_FACTOR * step)
        counters = np.round(values).astype(np.uint64)
        return SampleArrays(ts, np.full(ts.shape[0], np.nan), counters[:, 0].copy(),
                            counters[:, 1].copy(), np.full(ts.shape[0], 64, np.uint8))  # fmt: skip

    def _values(
        self, itemid: str, value_type: str, since: float, until: float
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """All values of an item, paged by time (``limit`` rows per call)."""
        clocks: list[float] = []
        values: list[float] = []
        start = int(since)
        while True:
            if self.trend:
                rows = self._call("trend.get", itemids=[itemid], time_from=start,
                                  time_till=int(until), output=["clock", "value_avg"],
                                  limit=PAGE)  # fmt: skip
                page = [(float(r["clock"]) + TREND_S, float(r["value_avg"])) for r in rows]
            else:
                rows = self._call("history.get", itemids=[itemid], history=int(value_type),
                                  time_from=start, time_till=int(until), sortfield="clock",
                                  sortorder="ASC", output=["clock", "ns", "value"],
                                  limit=PAGE)  # fmt: skip
                page = [(float(r["clock"]) + int(r["ns"]) / 1e9, float(r["value"])) for r in rows]
            page.sort()
            clocks += [c for c, _ in page]
            values += [v for _, v in page]
            if len(rows) < PAGE:
                break
            start = int(max(c for c, _ in page)) + 1
        ts, index = np.unique(np.array(clocks), return_index=True)
        return ts, np.array(values)[index]


def _items(link_id: str, found: list[dict[str, Any]]) -> ZabbixItems:
    kinds = {str(f["value_type"]) for f in found}
    if not kinds <= {"0", "3"} or len(kinds) != 1:
        raise ImportDataError(f"link {link_id}: items {found[0]['itemid']}, {found[1]['itemid']}"
                              " are not numeric of one type")  # fmt: skip
    steps = [str(s.get("type")) for s in found[0].get("preprocessing", [])]
    bits = str(found[0].get("units", "")).lower() in ("bps", "b/s", "bit/s")
    # a value per second (bit/s units, or Zabbix's "change per second") is a rate, not a
    # counter: bwauto's own items are bit/s whether filled by the agent or by a sender
    rate = PREPROC_CHANGE_PER_SECOND in steps or bits
    return ZabbixItems(
        link_id, (str(found[0]["itemid"]), str(found[1]["itemid"])), kinds.pop(),
        _seconds(str(found[0].get("delay", "0"))), rate, 1 / 8 if bits else 1.0,
    )  # fmt: skip


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    errno_text = re.search(r"\[Errno -?\d+\] ([^>\]]+)", text)
    if errno_text:
        return errno_text.group(1).strip().lower()
    return text.removeprefix("Unable to connect to ").strip() or type(exc).__name__
