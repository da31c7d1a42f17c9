"""Write inventories for the lab: a synthetic source of any size, and the ready-to-use lab
inventory whose hosts point at the lab's SSH and SNMP ports on 127.0.0.1.

Both are in the same format as ``inventory/`` and load with ``bwauto.inventory.loader``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bwauto.inventory.models import Inventory, Link
from bwauto.lab.specs import LabSecrets
from bwauto.paths import atomic_write
from bwauto.rates import format_rate

GROUPS = {
    "mikrotik": {"platform": "mikrotik_routeros", "data": {"vendor": "MikroTik"}},
    "cisco": {"platform": "cisco_ios", "data": {"vendor": "Cisco"}},
}
GROUP_OF = {"mikrotik_routeros": "mikrotik", "cisco_ios": "cisco"}


def synthetic_inventory(routers: int, links_per_router: int = 20) -> dict[str, Any]:
    """Inventory data for ``routers`` routers (platforms alternating) with their links, and
    the lab's ``lab.yaml``: every other IOS router boots with an ``archive``, as in the sample.

    Examples:
        >>> data = synthetic_inventory(4, 3)
        >>> sorted(data["hosts.yaml"]), len(data["links.yaml"]["links"])
        (['lab-r001', 'lab-r002', 'lab-r003', 'lab-r004'], 12)
        >>> data["links.yaml"]["links"][3]["interface"]
        'GigabitEthernet0/1.101'
        >>> data["lab.yaml"]["routers"]
        {'lab-r002': {'archive_path': 'flash:archive'}, 'lab-r004': {}}
    """
    hosts: dict[str, Any] = {}
    links: list[dict[str, Any]] = []
    n_upstreams = max(2, routers // 10)
    for r in range(1, routers + 1):
        name = f"lab-r{r:03d}"
        platform = "mikrotik_routeros" if r % 2 else "cisco_ios"
        trunk = "ether2" if platform == "mikrotik_routeros" else "GigabitEthernet0/1"
        hosts[name] = {"hostname": "192.0.2.1", "groups": [GROUP_OF[platform]],
                       "data": {"interfaces": {trunk: "10G"}}}  # fmt: skip
        for k in range(1, links_per_router + 1):
            vlan = 100 + k
            iface = f"vlan{vlan}" if platform == "mikrotik_routeros" else f"{trunk}.{vlan}"
            link_id = f"opd-{r:03d}-{k:02d}"
            if platform == "mikrotik_routeros":
                hosts[name]["data"]["interfaces"][iface] = "1G"
            links.append({
                "id": link_id, "opd": f"OPD {r:03d}-{k:02d}", "router": name,
                "interface": iface,
                "shaper": f"q-{link_id}" if r % 2 else f"PM-{link_id.upper()}-OUT",
                "committed": {"up": f"{10 * (1 + k % 5)}M", "down": f"{20 * (1 + k % 5)}M"},
                "upstream": f"isp-{(r - 1) % n_upstreams + 1}", "contact": {"name": "NOC"},
            })  # fmt: skip
    upstreams = [{"id": f"isp-{u}", "capacity": "10G", "max_oversubscription": 2.0}
                 for u in range(1, n_upstreams + 1)]  # fmt: skip
    ios = [name for name, host in hosts.items() if host["groups"] == [GROUP_OF["cisco_ios"]]]
    device = {n: {"archive_path": "flash:archive"} if i % 2 == 0 else {} for i, n in enumerate(ios)}
    return {
        "hosts.yaml": hosts,
        "groups.yaml": GROUPS,
        "defaults.yaml": {"port": 22, "data": {"snmp": {"version": "v2c"}}},
        "links.yaml": {"upstreams": upstreams, "links": links},
        "lab.yaml": {"routers": device},
    }


def lab_inventory(
    source: Inventory, ports: dict[str, tuple[int, int]], secrets_file: str
) -> dict[str, Any]:
    """Inventory data for the running lab: ``ports`` maps router -> (ssh port, snmp port)."""
    hosts = {
        name: {
            "hostname": "127.0.0.1",
            "port": ports[name][0],
            "groups": [GROUP_OF[router.platform]],
            "data": {
                "site": "bwauto lab (simulated)",
                "interfaces": {i: format_rate(s) for i, s in router.interfaces.items()},
                "snmp": {"version": "v2c", "port": ports[name][1], "timeout_s": 1, "retries": 1},
                "poll_interval_s": router.poll_interval_s,
                "ssh_timeout_s": 5,
            },
        }
        for name, router in source.routers.items()
    }
    upstreams = [
        {"id": u.id, "name": u.name, "capacity": format_rate(u.capacity),
         "max_oversubscription": u.max_oversubscription}
        for u in source.upstreams.values()
    ]  # fmt: skip
    return {
        "hosts.yaml": hosts,
        "groups.yaml": GROUPS,
        "defaults.yaml": {"port": 22, "data": {"secrets_file": secrets_file}},
        "links.yaml": {"upstreams": upstreams, "links": [_link(x) for x in source.links.values()]},
    }


def _link(link: Link) -> dict[str, Any]:
    data = link.model_dump(exclude_none=True)
    data["committed"] = {"up": format_rate(link.committed.up),
                         "down": format_rate(link.committed.down)}  # fmt: skip
    return data


def lab_secrets_data(creds: LabSecrets) -> dict[str, Any]:
    """The secrets file content for a lab run."""
    return {"defaults": dict(vars(creds))}


_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter when PyYAML has it: the pure-Python one took most of ``lab up`` for 250
routers (5,000 links)."""


def write_inventory(directory: Path, files: dict[str, Any], header: str) -> None:
    """Write each file atomically with a comment header."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        body = yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)
        text = f"# {header}\n" + body
        atomic_write(directory / name, text)


def write_secrets(path: Path, creds: LabSecrets) -> None:
    """Write the lab's secrets file with mode 0600 from the start."""
    atomic_write(path, yaml.safe_dump(lab_secrets_data(creds)), private=True)
