"""Run the lab in the foreground and answer ``lab status|fault|down`` from other processes.

The control channel is a Unix socket, ``<state_dir>/lab/control.sock``, one JSON request per
connection: ``{"op": "status"}``, ``{"op": "fault", "router", "kind", "arg", "on"}``,
``{"op": "reset"}``, ``{"op": "stop"}``; the answer is one JSON object (``{"error": ...}`` on
failure). A Unix socket, so the lab listens on no network address for control.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bwauto.errors import LabError
from bwauto.inventory.models import Inventory
from bwauto.lab.runner import Lab, lab_dir


def socket_path(state_dir: Path) -> Path:
    """The control socket."""
    return lab_dir(state_dir) / "control.sock"


def pid_file(state_dir: Path) -> Path:
    """The running lab's pid."""
    return lab_dir(state_dir) / "lab.pid"


def status_file(state_dir: Path) -> Path:
    """Written once the lab is up: its routers and ports."""
    return lab_dir(state_dir) / "lab.json"


def serve_forever(
    state_dir: Path, source: Inventory, announce: Callable[[dict[str, Any]], None]
) -> None:
    """Start the lab, serve the control socket, and stop on SIGINT/SIGTERM or ``stop``."""
    lab = Lab(source, state_dir).start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        server = lab.loop.run(_serve(lab, state_dir, stop))
        pid_file(state_dir).write_text(str(os.getpid()))
        announce(lab.status())
        lab.write_status_file()
        stop.wait()
        server.close()
    finally:
        for path in (socket_path(state_dir), pid_file(state_dir), status_file(state_dir)):
            path.unlink(missing_ok=True)
        lab.stop()


async def _serve(lab: Lab, state_dir: Path, stop: threading.Event) -> asyncio.AbstractServer:
    path = socket_path(state_dir)
    path.unlink(missing_ok=True)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            reply = _answer(lab, json.loads(await reader.readline()), stop)
        except (ValueError, LabError) as exc:
            reply = {"error": str(exc)}
        writer.write(json.dumps(reply).encode() + b"\n")
        await writer.drain()
        writer.close()

    return await asyncio.start_unix_server(handle, path=str(path))


def _answer(lab: Lab, msg: dict[str, Any], stop: threading.Event) -> dict[str, Any]:
    op = msg.get("op")
    if op == "status":
        return lab.status()
    if op == "fault":
        lab.fault(str(msg["router"]), str(msg["kind"]), bool(msg.get("on", True)), msg.get("arg"))
        lab.write_status_file()
        return {"ok": True}
    if op == "reset":
        lab.reset_faults()
        return {"ok": True}
    if op == "stop":
        stop.set()
        return {"ok": True}
    raise LabError(f"unknown lab control op {op!r}")


def request(state_dir: Path, msg: dict[str, Any], timeout_s: float = 5.0) -> dict[str, Any]:
    """Send one control request to the running lab and return its answer.

    Raises:
        LabError: no lab is running, or it refused the request.
    """
    path = socket_path(state_dir)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise LabError(
                f"no lab is running for state dir {state_dir} (start one: bwauto lab up --detach)"
            ) from None
        sock.sendall(json.dumps(msg).encode() + b"\n")
        data = sock.makefile("rb").readline()
    reply: dict[str, Any] = json.loads(data or b"{}")
    if "error" in reply:
        raise LabError(str(reply["error"]))
    return reply
