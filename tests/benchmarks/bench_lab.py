"""Benchmark of the router lab (issue 3): 50 simulated routers in one process on 127.0.0.1.

Run by hand (pytest does not collect it)::

    python tests/benchmarks/bench_lab.py [--routers 50] [--links 20] [--sample 4]

In this process it builds a synthetic inventory (``synthetic_inventory``), then:

* times ``Lab(...).start()`` (target: "a few seconds", here <= 5 s) and the resident memory it
  adds (VmRSS from /proc, and the process's peak VmHWM);
* checks that every socket the lab listens on is bound to 127.0.0.1 (from /proc/net), one TCP
  listener (SSH) and one UDP socket (SNMP) per router;
* checks that every router answers SSH (its server's identification string), opens one Netmiko
  session to a sample of routers of both platforms and reads each one's shaper config;
* checks that every router answers SNMP: one ``poll_once`` of all links from the written lab
  inventory and its secrets file;
* times ``lab.stop()`` (target <= 2 s) and checks that every port is closed afterwards.

Then, as a user meets it, ``bwauto lab up --detach`` and ``bwauto lab down`` in a child process
(timed from this one, Python start-up and imports included; informational).
Exits 1 when a target is missed or a check fails.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

START_TARGET_S = 5.0
STOP_TARGET_S = 2.0
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    began = time.perf_counter()
    value = fn()
    return time.perf_counter() - began, value


def rss_kib(field: str = "VmRSS") -> int:
    """This process's resident memory (``VmRSS``) or its peak (``VmHWM``) in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def own_sockets() -> list[tuple[str, str, int, str]]:
    """(proto, local address, port, state) of every inet socket this process holds.

    Read from /proc: the socket inodes behind /proc/self/fd, matched in /proc/net/{tcp,udp}[6].
    """
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if fields[9] in inodes:
                addr, port = fields[1].split(":")
                found.append((proto, _address(addr), int(port, 16), fields[3]))
    return found


def _address(hex_addr: str) -> str:
    """/proc/net's little-endian hex address as text (IPv4, or IPv6 shown raw)."""
    if len(hex_addr) == 8:
        return socket.inet_ntoa(bytes.fromhex(hex_addr)[::-1])
    return hex_addr


def ssh_banner(port: int, timeout_s: float = 3.0) -> str:
    """The SSH identification string a server sends first (``SSH-2.0-...``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        return sock.makefile("rb").readline().decode(errors="replace").strip()


def refused(port: int) -> bool:
    """True when nothing listens on ``port`` of 127.0.0.1 any more."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def netmiko_sample(lab: object, names: Iterable[str]) -> list[tuple[str, float, bool]]:
    """One Netmiko session per sampled router: prompt plus its first link's shaper config."""
    from netmiko import ConnectHandler

    from bwauto.lab.runner import Lab
    from bwauto.lab.testing import lab_secrets

    assert isinstance(lab, Lab)
    creds = lab_secrets(lab)
    results = []
    for name in names:
        router = lab.router(name)
        link = router.spec.links[0]
        began = time.perf_counter()
        conn = ConnectHandler(device_type=router.spec.platform, host="127.0.0.1",
                              port=router.ssh_port, username=creds["username"],
                              password=creds["password"], secret=creds["enable_secret"],
                              conn_timeout=5)  # fmt: skip
        try:
            if router.spec.platform == "cisco_ios":
                conn.enable()
                out = conn.send_command(f"show running-config | section policy-map {link.shaper}")
            else:
                out = conn.send_command(f'/queue simple print where name="{link.shaper}"')
            ok = name in conn.find_prompt() and link.shaper in str(out)
        finally:
            conn.disconnect()
        results.append((name, time.perf_counter() - began, ok))
    return results


def spread_sample(lab: object, count: int) -> list[str]:
    """About ``count`` router names, spread over the lab and split between its platforms."""
    from bwauto.lab.runner import Lab

    assert isinstance(lab, Lab)
    by_platform: dict[str, list[str]] = {}
    for name, router in lab.routers.items():
        by_platform.setdefault(router.spec.platform, []).append(name)
    each = max(1, -(-count // len(by_platform)))
    return [name for names in by_platform.values()
            for name in names[:: max(1, len(names) // each)][:each]]  # fmt: skip


def snmp_all(lab: object) -> tuple[float, int, int]:
    """Poll every link of the lab once from its written inventory: (seconds, samples, errors)."""
    from bwauto.credentials import CredentialResolver
    from bwauto.inventory.loader import load_inventory
    from bwauto.lab.runner import Lab
    from bwauto.snmp.poller import poll_once
    from bwauto.snmp.targets import poll_targets

    assert isinstance(lab, Lab)
    inventory = load_inventory(lab.inventory_dir)
    resolver = CredentialResolver.from_files(str(lab.secrets_path), inventory.secrets_file)
    targets = poll_targets(inventory, inventory.links.values(), resolver)
    seconds, result = timed(lambda: poll_once(targets))
    answered = {s.router for s in result.samples}
    errors = len(result.router_errors) + len(result.link_errors)
    return seconds, len(answered), errors + len(targets) - len(answered)


def cli_round_trip(routers: int, links: int, state_dir: Path) -> tuple[float, float, int]:
    """``bwauto lab up --detach`` then ``bwauto lab down`` as child processes: (up s, down s,
    the worse exit code)."""
    base = [sys.executable, "-m", "bwauto", "--state-dir", str(state_dir), "lab"]
    up = [*base, "up", "--detach", "--routers", str(routers), "--links-per-router", str(links)]
    up_s, up_rc = timed(lambda: subprocess.run(up, capture_output=True, check=False).returncode)
    down_s, down_rc = timed(
        lambda: subprocess.run([*base, "down"], capture_output=True, check=False).returncode
    )
    return up_s, down_s, max(up_rc, down_rc)


SIZE = "(the target is for 50 routers)"


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=" ".join((__doc__ or "").split("\n\n")[0].split()),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--routers", type=int, default=50, help="lab routers")
    parser.add_argument("--links", type=int, default=20, help="links per router")
    parser.add_argument("--sample", type=int, default=4, help="routers given a Netmiko session")
    args = parser.parse_args(argv)

    imports_s, _ = timed(lambda: __import__("bwauto.lab.runner"))
    from bwauto.inventory.loader import load_inventory
    from bwauto.lab.inventory_out import synthetic_inventory, write_inventory
    from bwauto.lab.runner import Lab

    with tempfile.TemporaryDirectory() as tmp:
        source_dir = Path(tmp) / "source"
        write_inventory(source_dir, synthetic_inventory(args.routers, args.links), "benchmark")
        source = load_inventory(source_dir)
        threads_before = threading.active_count()
        rss_before = rss_kib()
        lab = Lab(source, Path(tmp) / "state")
        start_s, _ = timed(lab.start)
        try:
            rss_after = rss_kib()
            sockets = own_sockets()
            ssh_ports = {r.ssh_port for r in lab.routers.values()}
            snmp_ports = {r.snmp_port for r in lab.routers.values()}
            listening = [s for s in sockets if s[0].startswith("tcp") and s[3] == "0A"]
            udp = [s for s in sockets if s[0].startswith("udp")]
            not_local = [s for s in listening + udp if s[1] != "127.0.0.1"]
            ssh_listeners = {s[2] for s in listening} & ssh_ports
            snmp_sockets = {s[2] for s in udp} & snmp_ports
            banners_s, banners = timed(lambda: [ssh_banner(p) for p in sorted(ssh_ports)])
            ssh_ok = sum(b.startswith("SSH-2.0-") for b in banners)
            sessions = netmiko_sample(lab, spread_sample(lab, args.sample))
            snmp_s, snmp_routers, snmp_errors = snmp_all(lab)
        finally:
            stop_s, _ = timed(lab.stop)
        closed = sum(refused(p) for p in ssh_ports)
        time.sleep(0.1)
        threads_after = threading.active_count()
        leftover = [s for s in own_sockets() if s[2] in ssh_ports | snmp_ports]
        cli_up_s, cli_down_s, cli_rc = cli_round_trip(args.routers, args.links, Path(tmp) / "cli")

    n, links = args.routers, args.routers * args.links
    print(f"bwauto lab benchmark: {n} routers x {args.links} links ({links} links), one process")
    print(f"  import bwauto.lab          {imports_s:>8.2f} s")
    print(f"  lab start                  {start_s:>8.2f} s   target <= {START_TARGET_S:g} s   "
          f"{verdict(start_s <= START_TARGET_S) if n == 50 else SIZE}")  # fmt: skip
    print(f"  lab stop                   {stop_s:>8.2f} s   target <= {STOP_TARGET_S:g} s   "
          f"{verdict(stop_s <= STOP_TARGET_S) if n == 50 else SIZE}")  # fmt: skip
    print(f"  RSS added by the lab       {(rss_after - rss_before) / 1024:>8.0f} MiB   "
          f"({(rss_after - rss_before) / n:.0f} KiB per router; process {rss_after / 1024:.0f} "
          f"MiB, peak {rss_kib('VmHWM') / 1024:.0f} MiB)")  # fmt: skip
    print(f"  bound to 127.0.0.1 only    {len(listening)} TCP listeners, {len(udp)} UDP sockets, "
          f"{len(not_local)} elsewhere   {verdict(not not_local)}")  # fmt: skip
    print(f"  SSH listener per router    {len(ssh_listeners)}/{n}   "
          f"SNMP socket per router {len(snmp_sockets)}/{n}")  # fmt: skip
    print(f"  SSH answers (banner)       {ssh_ok}/{n} in {banners_s:.2f} s   "
          f"{verdict(ssh_ok == n)}")  # fmt: skip
    for name, seconds, ok in sessions:
        platform = lab.routers[name].spec.platform
        print(f"    Netmiko {platform:<18} {name}: prompt + shaper read in {seconds:.2f} s   "
              f"{verdict(ok)}")  # fmt: skip
    print(
        f"  SNMP answers (one poll)    {snmp_routers}/{n} routers, {snmp_errors} errors, "
        f"{links} links in {snmp_s:.2f} s   {verdict(snmp_routers == n and not snmp_errors)}"
    )
    print(f"  after stop                 {closed}/{n} SSH ports refuse, {len(leftover)} lab "
          f"sockets left, threads {threads_before} -> {threads_after}")  # fmt: skip
    print(f"  CLI: lab up --detach       {cli_up_s:>8.2f} s   (new process, imports included)")
    print(f"  CLI: lab down              {cli_down_s:>8.2f} s   exit codes {verdict(cli_rc == 0)}")
    load = os.getloadavg()
    print(f"  machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f}")

    checks = {
        "start": start_s <= START_TARGET_S, "stop": stop_s <= STOP_TARGET_S,
        "127.0.0.1 only": not not_local and len(ssh_listeners) == n and len(snmp_sockets) == n,
        "ssh": ssh_ok == n and all(ok for _, _, ok in sessions),
        "snmp": snmp_routers == n and not snmp_errors,
        "stopped": closed == n and not leftover and threads_after <= threads_before,
        "cli": cli_rc == 0,
    }  # fmt: skip
    failures = [name for name, ok in checks.items() if not ok]
    if failures:
        print(f"MISSED: {', '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
