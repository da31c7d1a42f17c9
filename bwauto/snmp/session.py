"""A thin SNMP client over pysnmp 7's asyncio engine: GET, GETNEXT, GETBULK, walk. I/O only.

:class:`SnmpSession` talks to one router (v2c or v3 authPriv, from a
:class:`~bwauto.snmp.models.PollTarget`); :class:`EnginePool` hands out manager engines, one
per credential set. Every failure becomes a :class:`~bwauto.errors.SnmpError` whose message
names the router. Var-binds are numeric OIDs in and ``(OID tuple, pysnmp value)`` out.

Requests go through pysnmp's v3arch command generators directly with numeric var-binds: the
hlapi ``get_cmd``/``bulk_cmd`` wrappers resolve every OID through the MIB view (about 1 ms
each, plus a pysmi parser built per engine), which was most of the cost of polling 1,000 links.

Examples:
    Inside a running event loop::

        engines = EnginePool()
        try:
            session = await SnmpSession.open(target, engines)
            ts, values = await session.get([(1, 3, 6, 1, 2, 1, 1, 3, 0)])
            names = await session.walk((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1))
        finally:
            engines.close()
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.carrier.error import CarrierError
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch.asyncio import CommunityData, UdpTransportTarget, UsmUserData
from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
from pysnmp.proto import rfc1902, rfc1905

from bwauto.errors import SnmpError
from bwauto.snmp.engine import master_keys, new_engine, usm_protocols
from bwauto.snmp.ifmap import indication_message
from bwauto.snmp.models import PollTarget
from bwauto.snmp.oids import Oid

VarBind = tuple[Oid, Any]

BULK_REPETITIONS = 25
ABSENT = (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView)
"""Value types that mean "nothing here"."""
_LCD = CommandGeneratorLcdConfigurator()
_NULL = rfc1902.Null("")
_TOO_BIG = 1


class SnmpTooBig(SnmpError):
    """The agent answered tooBig: the answer would not fit its message size (RFC 3416 4.2.1)."""


class EnginePool:
    """One manager engine per credential set: v2c shares one; v3 users with different keys
    never share one (pysnmp keeps one key per user name and engine).

    Each engine holds a UDP socket. A v3 engine is closed when the last router using it is
    released, so a poll of many routers with their own v3 keys holds about as many sockets as
    routers polled at the same time, not one per router.
    """

    def __init__(self) -> None:
        self._engines: dict[object, SnmpEngine] = {}
        self._users: dict[object, int] = {}

    def for_target(self, target: PollTarget) -> tuple[SnmpEngine, CommunityData | UsmUserData]:
        """The engine and pysnmp auth data to use for ``target``."""
        if target.v3 is None:
            return self._engine("v2c"), CommunityData(target.community, mpModel=1)
        v3 = target.v3
        auth_id, priv_id = usm_protocols(v3.auth_proto, v3.priv_proto)
        auth_key, priv_key = master_keys(
            v3.auth_proto.upper(), v3.auth_key, v3.priv_proto.upper(), v3.priv_key
        )
        user = UsmUserData(
            v3.user,
            authKey=auth_key,
            privKey=priv_key,
            authProtocol=auth_id,
            privProtocol=priv_id,
            authKeyType=config.USM_KEY_TYPE_MASTER,
            privKeyType=config.USM_KEY_TYPE_MASTER,
        )
        key = _v3_key(target)
        self._users[key] = self._users.get(key, 0) + 1
        return self._engine(key), user

    def release(self, target: PollTarget) -> None:
        """``target`` is done: close its v3 engine if no other router uses it."""
        if target.v3 is None:
            return
        key = _v3_key(target)
        self._users[key] = self._users.get(key, 1) - 1
        if self._users[key] <= 0:
            del self._users[key]
            engine = self._engines.pop(key, None)
            if engine is not None:
                close_engine(engine)

    def _engine(self, key: object) -> SnmpEngine:
        if key not in self._engines:
            self._engines[key] = new_engine()
        return self._engines[key]

    def close(self) -> None:
        """Close every engine's sockets and timers (``close_engine``)."""
        for engine in self._engines.values():
            close_engine(engine)
        self._engines.clear()
        self._users.clear()


def close_engine(engine: SnmpEngine) -> None:
    """Close ``engine``: its sockets stop reading now, its dispatcher closes after the answers
    already read from them have been handed to pysnmp.

    An answer read from a socket is queued on the event loop (``loop.call_soon``) before pysnmp
    looks its transport up. Closing the dispatcher at once, with requests still in flight
    (Ctrl-C during a poll of 250 routers), unregistered the transport under such a queued
    answer: asyncio printed "Exception in callback ... CarrierError: Unregistered transport".
    The answer to a request no longer awaited is dropped by the request's callback.
    """
    dispatcher = engine.transport_dispatcher
    if dispatcher is None:
        return
    for domain in (udp.DOMAIN_NAME, udp6.DOMAIN_NAME):
        try:
            sockets = dispatcher.get_transport(domain).transport
        except CarrierError:
            continue  # no transport of that kind
        if sockets is not None:
            sockets.close()  # no datagram is read (nor queued) after this
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        engine.close_dispatcher()
        return
    loop.call_soon(engine.close_dispatcher)  # after every answer queued before this line


def _v3_key(target: PollTarget) -> object:
    v3 = target.v3
    assert v3 is not None
    return (v3.user, v3.auth_proto, v3.auth_key, v3.priv_proto, v3.priv_key)


class SnmpSession:
    """Requests to one router; every failure becomes an ``SnmpError`` naming the router."""

    def __init__(self, target: PollTarget, engine: SnmpEngine, auth: Any, transport: Any) -> None:
        self.target = target
        self._engine = engine
        self._auth = auth
        self._transport = transport

    @classmethod
    async def open(cls, target: PollTarget, engines: EnginePool) -> SnmpSession:
        """Resolve the router's address and pick its engine; sends nothing yet."""
        engine, auth = engines.for_target(target)
        try:
            transport = await UdpTransportTarget.create(
                (target.host, target.port), timeout=target.timeout_s, retries=target.retries
            )
        except (PySnmpError, OSError) as exc:
            raise SnmpError(f"{target.where}: cannot reach: {exc}") from exc
        return cls(target, engine, auth, transport)

    async def get(self, oids: Sequence[Oid]) -> tuple[float, dict[Oid, Any]]:
        """GET ``oids`` in one request; (mid-request manager time, values by OID)."""
        sent = time.time()
        var_binds = await self._request("get", oids)
        return (sent + time.time()) / 2.0, {tuple(name): value for name, value in var_binds}

    async def next(self, oids: Sequence[Oid]) -> list[VarBind]:
        """GETNEXT: the var-bind following each of ``oids``."""
        return await self._request("next", oids)

    async def bulk(
        self, oids: Sequence[Oid], repetitions: int = BULK_REPETITIONS, non_repeaters: int = 0
    ) -> list[VarBind]:
        """GETBULK: up to ``repetitions`` successors of each OID after the non-repeaters."""
        return await self._request("bulk", oids, repetitions, non_repeaters)

    async def walk(self, base: Oid) -> dict[Oid, Any]:
        """Every (OID, value) under ``base``, by GETBULK."""
        rows: dict[Oid, Any] = {}
        cursor = base
        while True:
            var_binds = await self.bulk([cursor])
            for oid, value in var_binds:
                if oid[: len(base)] != base or isinstance(value, ABSENT) or oid <= cursor:
                    return rows
                rows[oid] = value
                cursor = oid
            if not var_binds:
                return rows

    async def _request(
        self, kind: str, oids: Sequence[Oid], repetitions: int = 0, non_repeaters: int = 0
    ) -> list[VarBind]:
        """One GET, GETNEXT or GETBULK; raise ``SnmpError`` on any failure."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[Any, Any, Any, Any]] = loop.create_future()

        def done(
            _e: Any, _h: Any, indication: Any, status: Any, index: Any, vbs: Any, _c: Any
        ) -> None:
            if not future.done():
                future.set_result((indication, status, index, vbs))

        var_binds = [(rfc1902.ObjectName(oid), _NULL) for oid in oids]
        try:
            name, _ = _LCD.configure(self._engine, self._auth, self._transport, b"")
            if kind == "bulk":
                cmdgen.BulkCommandGeneratorSingleRun().send_varbinds(
                    self._engine, name, None, b"", non_repeaters, repetitions, var_binds, done
                )
            else:
                generator = cmdgen.GetCommandGenerator if kind == "get" else _NEXT
                generator().send_varbinds(self._engine, name, None, b"", var_binds, done)
            indication, status, index, answer = await future
        except PySnmpError as exc:
            raise SnmpError(f"{self.target.where}: SNMP error: {exc}") from exc
        if indication:
            raise SnmpError(indication_message(self.target, indication))
        if status and int(status) == _TOO_BIG:
            raise SnmpTooBig(f"{self.target.where}: SNMP error-status tooBig ({len(oids)} OIDs)")
        if status:
            at = answer[int(index) - 1][0] if index and answer else "?"
            raise SnmpError(
                f"{self.target.where}: SNMP error-status {status.prettyPrint()} at {at}"
            )
        return [(tuple(vb[0]), vb[1]) for vb in answer]


_NEXT = cmdgen.NextCommandGeneratorSingleRun
