"""Synthetic octet counters from rates, for sources that keep rates (Zabbix items in bit/s or
"change per second", RRD averages): bwauto's counter math then gives the rates back.

Examples:
    >>> import numpy as np
    >>> a = integrate(np.array([300.0, 600.0, 1500.0, 1800.0]),
    ...               np.array([[1000, 2], [2000, 2], [10, 1], [100, 1]], float), 300, 600)
    >>> a.ts.tolist()
    [0.0, 300.0, 600.0, 1200.0, 1500.0, 1800.0]
    >>> a.in_octets.tolist()  # 1000 octets/s for 300 s, ...; the pause restarts the run
    [0, 300000, 900000, 900000, 903000, 933000]
    >>> a.uptime.tolist()
    [1.0, 301.0, 601.0, 1.0, 301.0, 601.0]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bwauto.store.samples import SampleArrays

GAP_FACTOR = 2.0
"""Zabbix: a pause longer than this many item intervals ends a run."""


def integrate(
    ts: npt.NDArray[np.float64], rates: npt.NDArray[np.float64], step: float, gap_s: float
) -> SampleArrays:
    """Counters from rates (octets/s, one row per time, in and out), each stamped at the end
    of the interval it covers.

    A run starts with a sample ``step`` before its first value (whose interval is not known
    otherwise); a pause over ``gap_s`` starts a new run, whose synthetic counter and uptime
    restart, so the interval across is excluded rather than made up.
    """
    out_ts: list[float] = []
    counters: list[npt.NDArray[np.float64]] = []
    uptime: list[float] = []
    total = np.zeros(2)
    run_start = 0.0
    for k in range(ts.shape[0]):
        if k == 0 or ts[k] - ts[k - 1] > gap_s:
            run_start = float(ts[k] - step)
            out_ts.append(run_start)
            counters.append(total.copy())
            uptime.append(1.0)
            total = total + rates[k] * step
        else:
            total = total + rates[k] * (ts[k] - ts[k - 1])
        out_ts.append(float(ts[k]))
        counters.append(total.copy())
        uptime.append(float(ts[k] - run_start + 1.0))
    c = np.round(np.array(counters).reshape(-1, 2)).astype(np.uint64)
    n = len(out_ts)
    return SampleArrays(
        ts=np.array(out_ts, dtype=np.float64), uptime=np.array(uptime, dtype=np.float64),
        in_octets=c[:, 0].copy(), out_octets=c[:, 1].copy(), counter_bits=np.full(n, 64, np.uint8),
    )  # fmt: skip
