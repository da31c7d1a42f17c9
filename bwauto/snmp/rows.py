"""Reading a few columns of the rows between two ifIndexes with GETBULK (RFC 3416 4.2.3).

One GETBULK whose non-repeater answers sysUpTime.0 and whose repeaters are ``column.(lo - 1)`` for
each column answers the rows ``lo, lo + 1, ...`` of every column in one PDU, with the time base
of that PDU. The request carries one var-bind per column instead of one per column and link,
which is what a GET of the same objects costs the manager to build and the agent to decode. An
agent answers as many repetitions as fit its message (pysnmp's agent: 64 var-binds); the rest
is asked for from the last row received.

:func:`spans` groups the wanted ifIndexes so that scattered interfaces on a big router are not
read through every row in between.

Examples:
    >>> spans([7, 3, 4, 5, 40, 41], gap=4)
    [(3, 7), (40, 41)]
    >>> col_a, col_b = (1, 3, 9, 1), (1, 3, 9, 2)
    >>> rows, last = rows_of([((1, 3, 9, 1, 3), "a3"), ((1, 3, 9, 2, 3), "b3"),
    ...                       ((1, 3, 9, 1, 4), "a4"), ((1, 3, 9, 3, 1), "x")],
    ...                      (col_a, col_b), hi=9)
    >>> rows, last  # column b has ended, column a may go on: ask again after row 4
    ({3: {(1, 3, 9, 1): 'a3', (1, 3, 9, 2): 'b3'}, 4: {(1, 3, 9, 1): 'a4'}}, 4)
    >>> rows_of([((1, 3, 9, 2, 1), "b1")], (col_a, col_b), hi=9)  # column a has ended
    ({}, None)
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from bwauto.errors import SnmpError
from bwauto.snmp.oids import SYS_UPTIME, Oid
from bwauto.snmp.session import ABSENT, SnmpSession

MAX_IF_INDEX = 2**31 - 1
"""The largest ifIndex (RFC 2863 InterfaceIndex): ``read_rows(..., 1, MAX_IF_INDEX)`` walks."""
MAX_REPETITIONS = 64
"""max-repetitions asked at most; the agent answers fewer when its message is full."""
SPAN_GAP = 8
"""Interfaces between two wanted ones that are read rather than start another GETBULK."""

_BEFORE_UPTIME = SYS_UPTIME[:-1]  # a non-repeater is a GETNEXT: this one answers sysUpTime.0
Row = dict[Oid, Any]
"""One ifIndex's values by column OID."""


def spans(indexes: Iterable[int], gap: int = SPAN_GAP) -> list[tuple[int, int]]:
    """Sorted (first, last) ifIndex runs whose holes are at most ``gap`` indexes wide."""
    result: list[tuple[int, int]] = []
    for index in sorted(set(indexes)):
        if result and index - result[-1][1] <= gap + 1:
            result[-1] = (result[-1][0], index)
        else:
            result.append((index, index))
    return result


def rows_of(
    var_binds: Sequence[tuple[Oid, Any]], columns: Sequence[Oid], hi: int
) -> tuple[dict[int, Row], int | None]:
    """The rows (ifIndex up to ``hi``) in GETBULK repetitions, and the row to ask after next.

    A var-bind outside its column (the column ended, or the agent lacks it) or past ``hi`` is
    left out. The row to ask after is the last of the first column; None when the first column
    ended or passed ``hi`` in this answer, or had no row (nothing more to read).
    """
    rows: dict[int, Row] = {}
    last: int | None = None
    width = len(columns)
    for position, (oid, value) in enumerate(var_binds):
        column = columns[position % width]
        inside = len(oid) == len(column) + 1 and oid[:-1] == column
        if position % width == 0 and (not inside or oid[-1] > hi):
            return rows, None
        if not inside or isinstance(value, ABSENT) or oid[-1] > hi:
            continue
        rows.setdefault(oid[-1], {})[column] = value
        if position % width == 0:
            last = oid[-1]
    return rows, last


async def read_rows(
    session: SnmpSession, columns: Sequence[Oid], lo: int, hi: int
) -> dict[int, tuple[float, float, Row]]:
    """``columns`` of the rows ``lo..hi``: per ifIndex, (manager time, router uptime s, row).

    Raises:
        SnmpError: the router failed, or its answer had no sysUpTime.0.
    """
    found: dict[int, tuple[float, float, Row]] = {}
    after = lo - 1
    while after < hi:
        sent = time.time()
        cursors = [(*column, after) for column in columns]
        repetitions = min(hi - after, MAX_REPETITIONS)
        var_binds = await session.bulk([_BEFORE_UPTIME, *cursors], repetitions, non_repeaters=1)
        ts = (sent + time.time()) / 2.0
        if not var_binds or var_binds[0][0] != SYS_UPTIME or isinstance(var_binds[0][1], ABSENT):
            raise SnmpError(f"{session.target.where}: no sysUpTime.0 in the answer")
        uptime = int(var_binds[0][1]) / 100.0
        rows, last = rows_of(var_binds[1:], columns, hi)
        for index, row in rows.items():
            found.setdefault(index, (ts, uptime, row))
        if last is None or last <= after:
            break
        after = last
    return found
