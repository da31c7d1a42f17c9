"""Nornir inventory plugin: SimpleInventory files, validated by bwauto, with OPD links attached.

Each host gets ``data["links"]`` (link ids) and ``data["opds"]`` (OPD names), so Nornir users
select routers by link or OPD::

    nr = InitNornir(inventory={"plugin": "BwautoInventory",
                               "options": {"inventory_dir": "inventory"}})
    nr.filter(F(links__contains="dinkes"))
    nr.filter(F(opds__contains="Dinas Kesehatan"))
"""

from __future__ import annotations

from pathlib import Path

from nornir.core.inventory import ConnectionOptions, Host
from nornir.core.inventory import Inventory as NornirInventory
from nornir.plugins.inventory.simple import SimpleInventory

from bwauto.credentials import CredentialResolver
from bwauto.inventory.loader import load_inventory
from bwauto.inventory.models import Inventory


class BwautoInventory:
    """Load the validated inventory into Nornir, with credentials resolved when asked."""

    def __init__(
        self, inventory_dir: str = "inventory", secrets_file: str | None = None,
        credentials: bool = True, timeout_s: float = 10.0, inventory: Inventory | None = None,
    ) -> None:  # fmt: skip
        self.inventory_dir = Path(inventory_dir)
        self.inventory = inventory
        """The inventory of ``inventory_dir`` already loaded and validated by the caller (a
        5,000-link inventory costs about a second to load again)."""
        self.secrets_file = secrets_file
        self.credentials = credentials
        self.timeout_s = timeout_s

    def load(self) -> NornirInventory:
        """Validate (raising ``InventoryError``), then build Nornir's inventory."""
        inventory = self.inventory or load_inventory(self.inventory_dir)
        base = self.inventory_dir
        nornir_inv = SimpleInventory(
            str(base / "hosts.yaml"), str(base / "groups.yaml"), str(base / "defaults.yaml")
        ).load()
        resolver = (
            CredentialResolver.from_files(
                self.secrets_file, inventory.secrets_file, inventory.routers
            )
            if self.credentials
            else None
        )
        for host in nornir_inv.hosts.values():
            _attach(host, inventory, resolver, self.timeout_s)
        return nornir_inv


def _attach(
    host: Host, inventory: Inventory, resolver: CredentialResolver | None, timeout_s: float
) -> None:
    router = inventory.routers[host.name]
    links = inventory.links_on(host.name)
    host.data["links"] = [link.id for link in links]
    host.data["opds"] = [link.opd for link in links]
    host.platform = router.platform
    if resolver is None:
        return
    creds = resolver.resolve(
        host.name,
        router.groups,
        {str(k): v for k, v in router.credentials_env.items()},
        need=("username", "password"),
    )
    host.username = creds.get("username") or host.username
    host.password = creds.get("password")
    secret = {"secret": creds.get("enable_secret")} if creds.get("enable_secret") else {}
    if router.ssh_timeout_s:  # a bound on every read too: a dead session fails fast
        timeout_s = router.ssh_timeout_s
    timeouts: dict[str, float] = {
        "conn_timeout": timeout_s, "auth_timeout": timeout_s, "banner_timeout": timeout_s
    }  # fmt: skip
    if router.ssh_timeout_s:
        timeouts["read_timeout_override"] = router.ssh_timeout_s
    host.connection_options["netmiko"] = ConnectionOptions(extras={**timeouts, **secret})
    host.connection_options["napalm"] = ConnectionOptions(
        extras={"timeout": int(timeout_s), "optional_args": {**secret, "conn_timeout": timeout_s}}
    )
