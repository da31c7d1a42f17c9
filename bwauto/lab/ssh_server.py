"""SSH front of the simulated routers: one asyncssh listener per ``LabRouter`` on 127.0.0.1.

Netmiko, NAPALM and a human with ``ssh -p PORT admin@127.0.0.1`` get an interactive shell run
by the router's CLI session (``bwauto.lab.cli``): password auth against the spec (MikroTik's
``admin+ct511w4098h`` login options stripped), character echo, ``\\r\\n`` line ends. An SSH
``exec`` request runs one command. Fault switches (``router.faults``) act here:

* ``refuse_auth`` - every password is refused;
* ``hang_after_login`` - the shell opens but never prints a prompt nor answers;
* ``drop_after_config_lines=N`` - N configuration lines are applied, then the connection is
  aborted (no SSH disconnect) when the next one arrives;
* ``reply_delay_s`` - every reply (not the echo of typed keys) is delayed.

Many routers share one event loop; ``SshLab`` runs them in a background thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import asyncssh

from bwauto.lab.cli import get_platform
from bwauto.lab.cli.base import Chunk, Platform, ScheduledConfig, SessionEnd, Terminal
from bwauto.lab.model import LabRouter

log = logging.getLogger(__name__)

MIN_TIMER_S = 0.01
T = TypeVar("T")


def generate_host_key() -> asyncssh.SSHKey:
    """A fresh Ed25519 host key (fast; one key may serve every simulated router)."""
    return asyncssh.generate_private_key("ssh-ed25519")


class SshServerHandle:
    """A running SSH listener of one router. Use from the event loop's thread."""

    def __init__(self, router: LabRouter, platform: Platform) -> None:
        self.router = router
        self.platform = platform
        self.port = 0
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._timer: asyncio.TimerHandle | None = None

    def close(self) -> None:
        """Stop listening, abort every open connection, cancel the scheduler timer."""
        if self._acceptor is not None:
            self._acceptor.close()
        for conn in list(self.connections):
            conn.abort()
        self.connections.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def drop_connections(self) -> None:
        """Abort every open connection (a reload: the router's TCP sessions are gone)."""
        for conn in list(self.connections):
            conn.abort()
        self.connections.clear()

    async def wait_closed(self) -> None:
        """Wait until the listener is closed."""
        if self._acceptor is not None:
            await self._acceptor.wait_closed()

    def arm_timer(self) -> None:
        """(Re)arm the timer of the config's next scheduled event, so it fires even while no
        one is connected."""
        config = self.router.config
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not isinstance(config, ScheduledConfig):
            return
        deadline = config.next_deadline()
        if deadline is not None:
            delay = max(MIN_TIMER_S, deadline - config.clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        config = self.router.config
        if isinstance(config, ScheduledConfig):
            with self.router.lock:
                config.run_due(self.router)
        self.arm_timer()


class _Server(asyncssh.SSHServer):
    def __init__(self, handle: SshServerHandle) -> None:
        self._handle = handle
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._handle.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self._handle.connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        router = self._handle.router
        if router.faults.refuse_auth:
            return False
        user = self._handle.platform.login_user(username)
        return user == router.spec.username and password == router.spec.password

    def session_requested(self) -> _Session:
        assert self._conn is not None
        return _Session(self._handle, self._conn)


class _Session(asyncssh.SSHServerSession[str]):
    """One SSH channel: a shell (through a ``Terminal``) or a single ``exec`` command."""

    def __init__(self, handle: SshServerHandle, conn: asyncssh.SSHServerConnection) -> None:
        self._handle = handle
        self._conn = conn
        self._chan: Any = None
        self._command: str | None = None
        self._terminal: Terminal | None = None
        self._inbox: asyncio.Queue[str] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def connection_made(self, chan: Any) -> None:
        self._chan = chan

    def pty_requested(self, term_type: str, term_size: Any, term_modes: Any) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self._command = command
        return True

    def session_started(self) -> None:
        router = self._handle.router
        if router.faults.hang_after_login:
            return
        login_name = str(self._conn.get_extra_info("username", ""))
        session = self._handle.platform.make_session(router, login_name)
        if self._command is not None:
            self._task = asyncio.ensure_future(self._run_exec(session.run_command(self._command)))
            return
        self._terminal = Terminal(session)
        self._task = asyncio.ensure_future(self._run_shell())

    def data_received(self, data: str, datatype: Any) -> None:
        if self._terminal is not None:
            self._inbox.put_nowait(data)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run_exec(self, output: str) -> None:
        await self._delay()
        text = output.replace("\r\n", "\n").replace("\n", "\r\n")
        self._chan.write(text if not text or text.endswith("\r\n") else text + "\r\n")
        self._chan.exit(0)
        self._handle.arm_timer()

    async def _run_shell(self) -> None:
        assert self._terminal is not None
        try:
            if not await self._send(self._terminal.start()):
                return
            while True:
                data = await self._inbox.get()
                ongoing = await self._send(self._terminal.feed(data))
                self._handle.arm_timer()
                if not ongoing:
                    return
        except (asyncssh.Error, OSError, BrokenPipeError) as exc:
            log.debug("%s: SSH session ended: %s", self._handle.router.spec.name, exc)

    async def _delay(self) -> None:
        delay = self._handle.router.faults.reply_delay_s
        if delay > 0:
            await asyncio.sleep(delay)

    async def _send(self, chunks: list[Chunk]) -> bool:
        """Write chunks in order (replies delayed by the fault); False once the session ends."""
        pending: list[str] = []
        for chunk in chunks:
            if chunk.is_reply and self._handle.router.faults.reply_delay_s > 0:
                self._flush(pending)
                await self._delay()
            if chunk.end is SessionEnd.DROP:
                self._flush(pending)
                self._conn.abort()
                return False
            pending.append(chunk.text)
            if chunk.end is SessionEnd.CLOSE:
                self._flush(pending)
                self._chan.exit(0)
                return False
        self._flush(pending)
        return True

    def _flush(self, pending: list[str]) -> None:
        text = "".join(pending)
        pending.clear()
        if text:
            self._chan.write(text)


async def serve_ssh(
    router: LabRouter, host_key: asyncssh.SSHKey, host: str = "127.0.0.1", port: int = 0
) -> SshServerHandle:
    """Start the SSH listener of one simulated router in the running event loop.

    Args:
        router: the router; its ``ssh_port`` is set to the port listened on.
        host_key: the server's host key (``generate_host_key()``; may be shared).
        host: address to listen on (keep 127.0.0.1).
        port: TCP port, 0 for a free one.

    Returns:
        The handle: ``.port``, ``.close()`` then ``await .wait_closed()`` to stop.

    Raises:
        LabError: the router's platform cannot be simulated.
        OSError: the port cannot be bound.
    """
    handle = SshServerHandle(router, get_platform(router.spec.platform))
    handle._acceptor = await asyncssh.listen(
        host,
        port,
        server_factory=lambda: _Server(handle),
        server_host_keys=[host_key],
        line_editor=False,
        errors="replace",
        allow_scp=False,
        agent_forwarding=False,
        x11_forwarding=False,
        login_timeout=30,
    )
    handle.port = handle._acceptor.get_port()
    router.ssh_port = handle.port
    handle.arm_timer()
    return handle


class BackgroundLoop:
    """An asyncio event loop in a daemon thread, for synchronous callers (tests, lab runner).

    Examples:
        >>> async def answer() -> int:
        ...     return 42
        >>> with BackgroundLoop() as bg:
        ...     bg.run(answer())
        42
    """

    def __init__(self, name: str = "bwauto-lab-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> BackgroundLoop:
        """Start the thread (idempotent)."""
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        """Run a coroutine in the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, timeout: float = 2.0) -> None:
        """Cancel what still runs, stop the loop and join the thread."""
        if not self._thread.is_alive():
            return

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.run(cancel_all(), timeout)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
            if not self._thread.is_alive():
                self.loop.close()

    def __enter__(self) -> BackgroundLoop:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SshLab:
    """The SSH servers of many routers in one background event loop.

    Example::

        with SshLab(routers) as lab:          # every router.ssh_port is now set
            ConnectHandler(port=lab.ports["r1"], ...)
    """

    def __init__(
        self,
        routers: Sequence[LabRouter],
        host: str = "127.0.0.1",
        host_key: asyncssh.SSHKey | None = None,
        loop: BackgroundLoop | None = None,
    ) -> None:
        self.routers = list(routers)
        self.host = host
        self.host_key = host_key or generate_host_key()
        self.background = loop or BackgroundLoop()
        self._own_loop = loop is None
        self.handles: list[SshServerHandle] = []

    @property
    def ports(self) -> dict[str, int]:
        """Router name -> SSH port."""
        return {h.router.spec.name: h.port for h in self.handles}

    def start(self, timeout: float = 30.0) -> SshLab:
        """Start every router's listener; on any failure stop those already started.

        Raises:
            LabError: a router's platform cannot be simulated.
            OSError: a port could not be bound.
        """

        async def start_all() -> list[SshServerHandle | BaseException]:
            starts = (serve_ssh(r, self.host_key, self.host) for r in self.routers)
            return list(await asyncio.gather(*starts, return_exceptions=True))

        self.background.start()
        try:
            results = self.background.run(start_all(), timeout)
        except BaseException:
            self.stop()
            raise
        self.handles = [r for r in results if isinstance(r, SshServerHandle)]
        failures = [r for r in results if not isinstance(r, SshServerHandle)]
        if failures:
            self.stop()
            raise failures[0]
        return self

    def after_change(self, router: str, reloaded: bool = False) -> None:
        """From any thread, after a router's state changed outside its CLI (a fault): re-arm
        its timer (scheduler entries, revert timer), and after a reload drop its sessions."""
        for handle in self.handles:
            if handle.router.spec.name == router:
                if reloaded:
                    self.background.loop.call_soon_threadsafe(handle.drop_connections)
                self.background.loop.call_soon_threadsafe(handle.arm_timer)

    def stop(self, timeout: float = 2.0) -> None:
        """Close every listener and connection; stop the loop if this lab started it."""

        async def stop_all() -> None:
            for handle in self.handles:
                handle.close()
            await asyncio.gather(*(h.wait_closed() for h in self.handles), return_exceptions=True)

        try:
            if self.handles:
                self.background.run(stop_all(), timeout)
        finally:
            self.handles = []
            if self._own_loop:
                self.background.stop(timeout)

    def __enter__(self) -> SshLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
