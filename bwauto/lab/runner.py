"""The running lab: every simulated router's SSH server and SNMP agent in one event loop.

``Lab(source, state_dir).start()`` builds routers from an inventory, starts their servers on
free ports of 127.0.0.1, and writes a ready-to-use inventory (``<state_dir>/lab/inventory``)
and its 0600 secrets file (``<state_dir>/lab/secrets.yaml``) pointing at them.

Device state that is not inventory data (which IOS router boots with an ``archive``) comes from
the source inventory's optional ``lab.yaml`` (``bwauto.lab.device_state``); it is copied into
the lab inventory, and ``status()`` shows it per router (``"archive": path or None``). The IOS
revert-timer minute lasts ``BWAUTO_LAB_MINUTE_S`` seconds (default 60).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from bwauto.case.signing import throwaway_keys
from bwauto.errors import LabError
from bwauto.inventory.models import Inventory
from bwauto.lab.cli import make_router
from bwauto.lab.device_state import FILE_NAME, load_device_state, minute_seconds
from bwauto.lab.faults import active_faults, reset_faults, set_fault
from bwauto.lab.inventory_out import lab_inventory, write_inventory, write_secrets
from bwauto.lab.model import LabRouter
from bwauto.lab.specs import LabSecrets, router_specs
from bwauto.paths import atomic_write


def lab_dir(state_dir: Path) -> Path:
    """Where the lab keeps its inventory, secrets, pid and control socket."""
    return state_dir / "lab"


class Lab:
    """Simulated routers for an inventory, served on 127.0.0.1 until ``stop()``."""

    def __init__(self, source: Inventory, state_dir: Path, creds: LabSecrets | None = None) -> None:
        self.source = source
        self.dir = lab_dir(state_dir)
        self.creds = creds or LabSecrets.generate()
        self.device = load_device_state(source.directory)
        specs = router_specs(source, self.creds, self.device, minute_seconds())
        self.routers: dict[str, LabRouter] = {spec.name: make_router(spec) for spec in specs}
        self._loop: Any = None
        self._ssh: Any = None
        self._agents: list[Any] = []

    @property
    def inventory_dir(self) -> Path:
        """The lab inventory, in the same format as ``inventory/``."""
        return self.dir / "inventory"

    @property
    def secrets_path(self) -> Path:
        """The lab's secrets file (mode 0600)."""
        return self.dir / "secrets.yaml"

    @property
    def loop(self) -> Any:
        """The lab's ``BackgroundLoop`` (to run more coroutines in it, e.g. a control server)."""
        return self._loop

    def start(self, timeout_s: float = 60.0) -> Lab:
        """Start every SSH server and SNMP agent, then write the lab inventory."""
        from bwauto.lab.snmp.agent import start_agents
        from bwauto.lab.ssh_server import BackgroundLoop, SshLab

        routers = list(self.routers.values())
        self._loop = BackgroundLoop().start()
        try:
            self._ssh = SshLab(routers, loop=self._loop).start(timeout_s)
            self._agents = self._loop.run(start_agents(routers), timeout_s)
        except BaseException as exc:
            self.stop()
            if isinstance(exc, OSError):
                raise LabError(f"lab could not start: {exc}") from exc
            raise
        self._write_inventory()
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop agents, SSH servers and the loop (idempotent)."""
        from bwauto.lab.snmp.agent import stop_agents

        if self._loop is None:
            return
        try:
            if self._agents:
                self._loop.loop.call_soon_threadsafe(stop_agents, self._agents)
            if self._ssh is not None:
                self._ssh.stop(timeout_s)
        finally:
            self._loop.stop(timeout_s)
            self._loop, self._ssh, self._agents = None, None, []

    def _write_inventory(self) -> None:
        ports = {n: (r.ssh_port, r.snmp_port) for n, r in self.routers.items()}
        write_secrets(self.secrets_path, self.creds)
        data = lab_inventory(self.source, ports, "../secrets.yaml")
        header = f"bwauto lab inventory, written {time.strftime('%Y-%m-%d %H:%M:%S')}: simulated"
        write_inventory(self.inventory_dir, data, header + " routers on 127.0.0.1")
        source_state = Path(self.source.directory) / FILE_NAME
        if source_state.exists():
            atomic_write(self.inventory_dir / FILE_NAME, source_state.read_text(encoding="utf-8"))
        throwaway_keys(self.inventory_dir)  # records are signed: a throwaway key per role
        from bwauto.case.office import copy_office

        copy_office(Path(self.source.directory), self.inventory_dir)  # letterhead, signatories

    def router(self, name: str) -> LabRouter:
        """One simulated router by name."""
        try:
            return self.routers[name]
        except KeyError:
            raise LabError(f"no router {name!r} in the lab: {', '.join(self.routers)}") from None

    def fault(self, router: str, kind: str, on: bool = True, arg: str | None = None) -> None:
        """Switch a fault on or off (see ``bwauto.lab.faults.FAULTS``)."""
        set_fault(self.router(router), kind, on, arg)
        if self._ssh is not None:
            self._ssh.after_change(router, reloaded=kind == "reload" and on)

    def reset_faults(self) -> None:
        """Every fault of every router off."""
        for router in self.routers.values():
            reset_faults(router)

    def status(self) -> dict[str, Any]:
        """Routers, ports and active faults, as data."""
        return {
            "pid": os.getpid(),
            "inventory": str(self.inventory_dir),
            "routers": [
                {"name": n, "platform": r.spec.platform, "ssh_port": r.ssh_port,
                 "snmp_port": r.snmp_port, "links": len(r.spec.links), "faults": active_faults(r),
                 "archive": r.spec.archive_path}
                for n, r in self.routers.items()
            ],
        }  # fmt: skip

    def write_status_file(self) -> Path:
        """``<lab>/lab.json``: what ``lab status`` shows when asked from another process."""
        path = self.dir / "lab.json"
        atomic_write(path, json.dumps(self.status(), indent=2))
        return path
