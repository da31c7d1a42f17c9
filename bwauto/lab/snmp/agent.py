"""SNMP agents of the simulated routers: one pysnmp engine per router, real UDP on 127.0.0.1.

Each agent is a pysnmp ``SnmpEngine`` with its own engine ID (``text_engine_id(name)``), the
router's v2c community and, if the spec has one, its SNMPv3 authPriv user. Requests in the
default context go to a custom MIB instrumentation controller that serves the OID table of
:mod:`bwauto.lab.snmp.mib`, built from the live :class:`~bwauto.lab.model.LabRouter` once per
request PDU (GET, GETNEXT, GETBULK; SET answers notWritable; SNMPv1 is not served).

Any number of agents share one asyncio event loop. Inside a running loop::

    agents = await start_agents(routers)        # bound, then checked with a real GET each
    ...
    stop_agents(agents)

From synchronous code (tests, the lab runner), :class:`AgentThread` runs that loop in a
background thread::

    with AgentThread(routers) as agents:        # router.snmp_port is set on each router
        ...

Faults are read at request time from ``router.faults`` (see :mod:`bwauto.lab.snmp.faults`);
``snmp_timeout`` drops datagrams at the transport, before any SNMP processing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.error import PySnmpError
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.smi import error as smi_error
from pysnmp.smi.instrum import AbstractMibInstrumController

from bwauto.errors import LabError, SnmpError
from bwauto.lab.model import LabRouter
from bwauto.lab.snmp.faults import traffic_of
from bwauto.lab.snmp.mib import MibTable, Value, mib_table, snapshot
from bwauto.snmp.engine import add_v3_user, new_engine, text_engine_id
from bwauto.snmp.models import PollTarget
from bwauto.snmp.oids import SYS_UPTIME
from bwauto.snmp.session import EnginePool, SnmpSession

_SNMP_TYPES: dict[str, Any] = {
    "str": rfc1902.OctetString,
    "oid": rfc1902.ObjectIdentifier,
    "int": rfc1902.Integer32,
    "ticks": rfc1902.TimeTicks,
    "gauge": rfc1902.Gauge32,
    "c32": rfc1902.Counter32,
    "c64": rfc1902.Counter64,
}
_REQUEST = "rfc3412.receiveMessage:request"
_TIMER_RESOLUTION_S = 0.5


class RouterMibController(AbstractMibInstrumController):  # type: ignore[misc]
    """Serves one router's OID table; one snapshot of the router per request PDU."""

    def __init__(self, router: LabRouter) -> None:
        self._router = router
        self._pdu: object = None
        self._table: MibTable | None = None

    def read_variables(self, *var_binds: Any, **ctx: Any) -> list[tuple[Any, Any]]:
        """GET: the value of each OID, noSuchInstance/noSuchObject where there is none."""
        table = self._table_for(ctx)
        result = []
        for name, _ in var_binds:
            oid = tuple(name)
            value = table.get(oid)
            if value is None:
                missing = rfc1905.noSuchInstance if table.has_object(oid) else rfc1905.noSuchObject
                result.append((name, missing))
            else:
                result.append((name, _to_snmp(value)))
        return result

    def read_next_variables(self, *var_binds: Any, **ctx: Any) -> list[tuple[Any, Any]]:
        """GETNEXT (and each GETBULK repetition): the next OID after each, or endOfMibView."""
        table = self._table_for(ctx)
        result = []
        for name, _ in var_binds:
            found = table.next(tuple(name))
            if found is None:
                result.append((name, rfc1905.endOfMibView))
            else:
                result.append((_object_name(found[0]), _to_snmp(found[1])))
        return result

    def write_variables(self, *var_binds: Any, **ctx: Any) -> list[tuple[Any, Any]]:
        """SET: this agent is read-only."""
        raise smi_error.NotWritableError(idx=0)

    def _table_for(self, ctx: dict[str, Any]) -> MibTable:
        request = ctx["snmpEngine"].observer.get_execution_context(_REQUEST)
        if int(request["messageProcessingModel"]) == 0:
            raise PySnmpError("SNMPv1 is not served")  # pysnmp drops the request silently
        if request["pdu"] is not self._pdu or self._table is None:
            self._table = mib_table(snapshot(self._router))
            self._pdu = request["pdu"]
        return self._table


_VARYING = frozenset({"c32", "c64", "ticks"})
"""Kinds whose values change at every request (counters, sysUpTime); the others repeat."""


def _to_snmp(value: Value) -> Any:
    kind, raw = value
    if kind in _VARYING:
        return _SNMP_TYPES[kind](raw)
    return _constant(kind, raw)


@functools.lru_cache(maxsize=65_536)
def _constant(kind: str, raw: Any) -> Any:
    """pyasn1 values are immutable: one object per (kind, value) serves every answer."""
    return _SNMP_TYPES[kind](raw)


@functools.lru_cache(maxsize=262_144)
def _object_name(oid: tuple[int, ...]) -> Any:
    """One ``ObjectName`` per OID for every answer (building one costs more than the lookup)."""
    return rfc1902.ObjectName(oid)


class _RouterUdpTransport(udp.UdpAsyncioTransport):  # type: ignore[misc]
    """UDP server transport that drops every datagram while ``snmp_timeout`` is on."""

    def __init__(self, router: LabRouter, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self._router = router

    def datagram_received(self, datagram: bytes, address: Any) -> None:
        if not self._router.faults.snmp_timeout:
            super().datagram_received(datagram, address)


class _BulkResponder(cmdrsp.BulkCommandResponder):  # type: ignore[misc]
    """GETBULK responder that stops the answer at the end of the MIB, as net-snmp's agent does,
    instead of repeating endOfMibView for every remaining repetition."""

    def send_varbinds(
        self, snmpEngine: Any, stateReference: Any, errorStatus: Any, errorIndex: Any, varBinds: Any
    ) -> None:
        if not errorStatus:
            varBinds = _trim_end_of_mib(list(varBinds))
        super().send_varbinds(snmpEngine, stateReference, errorStatus, errorIndex, varBinds)


def _trim_end_of_mib(var_binds: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Drop the var-binds after the first endOfMibView of an all-endOfMibView tail."""
    end = len(var_binds)
    while end > 0 and isinstance(var_binds[end - 1][1], rfc1905.EndOfMibView):
        end -= 1
    return var_binds[: end + 1]


@dataclass
class SnmpAgent:
    """A running agent: the router it serves, its engine and its UDP port."""

    router: LabRouter
    engine: SnmpEngine
    host: str
    port: int

    def stop(self) -> None:
        """Close the agent's socket and timers (idempotent)."""
        if self.engine.transport_dispatcher is not None:
            self.engine.close_dispatcher()


def build_agent(router: LabRouter, host: str = "127.0.0.1") -> SnmpAgent:
    """Create and bind one router's agent in the running event loop (sets ``router.snmp_port``).

    Args:
        router: the simulated router; a traffic model is attached if it has none.
        host: address to bind; the port is a free one chosen by the OS.
    """
    spec = router.spec
    traffic_of(router)
    engine = new_engine(text_engine_id(spec.name))
    config.add_v1_system(engine, "bwauto-ro", spec.snmp_community)
    if spec.snmp_v3 is not None:
        v3 = spec.snmp_v3
        add_v3_user(engine, v3.user, v3.auth_proto, v3.auth_key, v3.priv_proto, v3.priv_key)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((host, 0))
    except OSError as exc:
        sock.close()
        raise LabError(f"{spec.name}: cannot bind an SNMP port on {host}: {exc}") from exc
    sock.setblocking(False)
    port = int(sock.getsockname()[1])
    transport = _RouterUdpTransport(router, asyncio.get_running_loop())
    config.add_transport(engine, udp.DOMAIN_NAME, transport.open_server_mode(sock=sock))
    engine.transport_dispatcher.set_timer_resolution(_TIMER_RESOLUTION_S)
    snmp_context = context.SnmpContext(engine)
    snmp_context.unregister_context_name(b"")
    snmp_context.register_context_name(b"", RouterMibController(router))
    for responder in (
        cmdrsp.GetCommandResponder,
        cmdrsp.NextCommandResponder,
        _BulkResponder,
        cmdrsp.SetCommandResponder,
    ):
        responder(engine, snmp_context)
    router.snmp_port = port
    return SnmpAgent(router, engine, host, port)


async def start_agents(
    routers: Sequence[LabRouter], host: str = "127.0.0.1", ready_timeout_s: float = 5.0
) -> list[SnmpAgent]:
    """Start one agent per router in the running loop and check each answers a real GET.

    Agents whose router has ``snmp_timeout`` on are not checked (they are silent by design).

    Raises:
        LabError: an agent could not bind, or did not answer within ``ready_timeout_s``.
    """
    agents: list[SnmpAgent] = []
    try:
        for router in routers:
            agents.append(build_agent(router, host))
        await wait_ready(agents, ready_timeout_s)
    except BaseException:
        stop_agents(agents)
        raise
    return agents


def stop_agents(agents: Sequence[SnmpAgent]) -> None:
    """Stop agents (idempotent)."""
    for agent in agents:
        agent.stop()


async def wait_ready(agents: Sequence[SnmpAgent], timeout_s: float = 5.0) -> None:
    """GET sysUpTime.0 from every (non-silent) agent over v2c; raise LabError if one fails."""
    checked = [a for a in agents if not a.router.faults.snmp_timeout]
    engines = EnginePool()
    try:
        results = await asyncio.gather(*(_probe(engines, a, timeout_s) for a in checked))
    finally:
        engines.close()
    failed = [r for r in results if r]
    if failed:
        raise LabError("SNMP agents not ready: " + "; ".join(failed))


async def _probe(engines: EnginePool, agent: SnmpAgent, timeout_s: float) -> str:
    """ "" when the agent answered a real GET, else why not."""
    tries = 5
    target = PollTarget(
        agent.router.spec.name,
        agent.host,
        (),
        agent.port,
        community=agent.router.spec.snmp_community,
        timeout_s=timeout_s / tries,
        retries=tries - 1,
    )
    try:
        session = await SnmpSession.open(target, engines)
        _, values = await session.get([SYS_UPTIME])
    except SnmpError as exc:
        return str(exc)
    return "" if values.get(SYS_UPTIME) is not None else f"{target.where}: no sysUpTime.0"


class AgentThread:
    """Agents for ``routers`` in an event loop of their own, in a background thread."""

    def __init__(
        self, routers: Sequence[LabRouter], host: str = "127.0.0.1", ready_timeout_s: float = 5.0
    ) -> None:
        self._routers = list(routers)
        self._host = host
        self._ready_timeout_s = ready_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.agents: list[SnmpAgent] = []

    def start(self) -> list[SnmpAgent]:
        """Start the loop thread and the agents; return once every agent answered a GET.

        Raises:
            LabError: the agents could not start (the thread is stopped again).
        """
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="bwauto-snmp", daemon=True)
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            start_agents(self._routers, self._host, self._ready_timeout_s), loop
        )
        try:
            self.agents = future.result(self._ready_timeout_s + 30.0)
        except concurrent.futures.TimeoutError:
            self._stop_loop()
            raise LabError(f"{len(self._routers)} SNMP agents did not start in time") from None
        except BaseException:
            self._stop_loop()
            raise
        return self.agents

    def call(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` in the agents' loop thread and return its result."""
        if self._loop is None:
            raise LabError("SNMP agents are not running")

        async def run() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(5.0)

    def stop(self) -> None:
        """Stop the agents and the loop thread (idempotent, well under 2 s)."""
        if self._loop is None:
            return
        if self.agents:
            self.call(stop_agents, self.agents)
            self.agents = []
        self._stop_loop()

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(_cancel_pending(), loop).result(2.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(2.0)
        loop.close()

    def __enter__(self) -> list[SnmpAgent]:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def _cancel_pending() -> None:
    """Cancel whatever pysnmp left scheduled (timers, endpoint futures) in this loop."""
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


@contextmanager
def running_agents(
    routers: Sequence[LabRouter], host: str = "127.0.0.1"
) -> Iterator[list[SnmpAgent]]:
    """``with running_agents(routers) as agents:`` — :class:`AgentThread` as a function."""
    thread = AgentThread(routers, host)
    try:
        yield thread.start()
    finally:
        thread.stop()


__all__ = [
    "AgentThread",
    "RouterMibController",
    "SnmpAgent",
    "build_agent",
    "running_agents",
    "start_agents",
    "stop_agents",
    "wait_ready",
]
