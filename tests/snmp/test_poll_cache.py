"""The poller's remembered ifIndexes, against real lab agents on 127.0.0.1.

A cycle with every link in the cache reads each router with GETBULK over its links' rows and
no walk; an index that names another interface (a renumbering at re-initialisation, RFC 2863
3.1.5) or none is walked again and read again in the same cycle.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from bwauto.lab.model import LabRouter, SnmpV3User
from bwauto.lab.snmp import faults
from bwauto.lab.snmp.agent import AgentThread
from bwauto.lab.snmp.testing import make_router, reset_routers
from bwauto.lab.snmp.traffic import RouterTraffic
from bwauto.snmp.ifcache import CachedIndex, MemoryIfIndexCache
from bwauto.snmp.models import LinkRef, PollTarget, V3Credentials
from bwauto.snmp.oids import IF_NAME
from bwauto.snmp.poller import poll_once
from bwauto.snmp.session import SnmpSession
from bwauto.store.samples import SampleStore


@pytest.fixture(scope="module")
def lab() -> Iterator[dict[str, LabRouter]]:
    routers = {
        "ros": make_router("c-ros", links=4, community="c-ros"),
        "ios": make_router("c-ios", links=3, platform="cisco_ios", community="c-ios"),
    }
    with AgentThread(list(routers.values())):
        yield routers


@pytest.fixture(autouse=True)
def _clean(lab: dict[str, LabRouter]) -> Iterator[None]:
    yield
    reset_routers(lab.values())


@pytest.fixture()
def requests(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the requests the poller sends, by kind (the requests still go to the agent)."""
    counts: Counter[str] = Counter()
    real = SnmpSession._request

    async def counted(self: SnmpSession, kind: str, oids: Any, *args: Any) -> Any:
        counts[kind] += 1
        return await real(self, kind, oids, *args)

    monkeypatch.setattr(SnmpSession, "_request", counted)
    return counts


def _target(router: LabRouter, links: tuple[LinkRef, ...] | None = None) -> PollTarget:
    if links is None:
        links = tuple(LinkRef(link.link_id, link.interface) for link in router.spec.links)
    return PollTarget(
        router.spec.name, "127.0.0.1", links, router.snmp_port,
        community=router.spec.snmp_community, timeout_s=1.0, retries=1,
    )  # fmt: skip


def test_a_cached_router_costs_one_getbulk_and_no_walk(
    lab: dict[str, LabRouter], requests: Counter[str]
) -> None:
    cache = MemoryIfIndexCache()
    targets = [_target(lab["ros"]), _target(lab["ios"])]
    first = poll_once(targets, if_indexes=cache)
    assert first.ok
    assert dict(requests) == {"bulk": 2 * 2}  # per router: ifName + ifHighSpeed, the links' rows
    requests.clear()
    second = poll_once(targets, if_indexes=cache)
    assert second.ok
    assert dict(requests) == {"bulk": 2}
    assert [s.if_index for s in second.samples] == [s.if_index for s in first.samples]
    cisco = cache.load("c-ios")["GigabitEthernet0/0/1.100"]
    assert cisco == CachedIndex(2, "ifName", "Gi0/0/1.100", 1000)
    for before, after in zip(first.samples, second.samples, strict=True):
        assert after.in_octets >= before.in_octets
        assert after.uptime_s >= before.uptime_s
        assert (after.speed_bps, after.oper_up, after.counter_bits) == (1_000_000_000, True, 64)


def test_renumbering_at_reinit_is_followed_in_the_same_cycle(lab: dict[str, LabRouter]) -> None:
    """After the reboot every cached index names another interface: without the ifName in the
    same PDU, opd0 would be given opd3's counters."""
    router = lab["ros"]
    assert isinstance(router.traffic, RouterTraffic)
    cache = MemoryIfIndexCache()
    target = _target(router)
    before = poll_once([target], if_indexes=cache).by_link()
    for link in router.spec.links:
        router.traffic.set_demand(link.link_id, 0 if link.link_id == "c-ros-opd0" else 4e8)
    rebooted = time.time()
    faults.reinit_renumbering(router, now=rebooted)
    time.sleep(0.3)
    result = poll_once([target], if_indexes=cache)
    assert result.ok, result.link_errors
    after = result.by_link()
    assert after["c-ros-opd0"].if_index != before["c-ros-opd0"].if_index
    assert (after["c-ros-opd0"].in_octets, after["c-ros-opd0"].out_octets) == (0, 0)
    assert after["c-ros-opd3"].in_octets > 0
    assert after["c-ros-opd0"].uptime_s <= after["c-ros-opd0"].ts - rebooted + 0.02
    assert {n: e.if_index for n, e in cache.load("c-ros").items()} == {
        s.if_name: s.if_index for s in result.samples
    }


def test_an_index_gone_from_the_agent_is_walked_again(lab: dict[str, LabRouter]) -> None:
    cache = MemoryIfIndexCache()
    target = _target(lab["ios"])
    poll_once([target], if_indexes=cache)
    faults.renumber_if_index(lab["ios"], shift=40)
    result = poll_once([target], if_indexes=cache)
    assert result.ok
    assert [s.if_index for s in result.samples] == [42, 43, 44]


def test_a_stale_cache_entry_is_corrected(lab: dict[str, LabRouter]) -> None:
    cache = MemoryIfIndexCache()
    cache.save("c-ros", {"ether3": CachedIndex(2, "ifName", "ether3")})  # ifIndex 2 is ether2
    result = poll_once([_target(lab["ros"], (LinkRef("c-ros-opd1", "ether3"),))], if_indexes=cache)
    assert [(s.link_id, s.if_index) for s in result.samples] == [("c-ros-opd1", 3)]
    assert cache.load("c-ros")["ether3"] == CachedIndex(3, "ifName", "ether3", 1000)


def test_a_missing_interface_fails_its_link_only(lab: dict[str, LabRouter]) -> None:
    cache = MemoryIfIndexCache()
    links = (LinkRef("ghost", "ether99"), LinkRef("c-ros-opd1", "ether3"))
    for _ in range(2):
        result = poll_once([_target(lab["ros"], links)], if_indexes=cache)
        assert "interface 'ether99' not found" in str(result.link_errors["ghost"])
        assert [(s.link_id, s.if_index) for s in result.samples] == [("c-ros-opd1", 3)]
        assert result.router_errors == {}
    assert "ether99" not in cache.load("c-ros")


def test_32_bit_fallback_and_its_wrap_with_cached_indexes(lab: dict[str, LabRouter]) -> None:
    router = lab["ros"]
    assert isinstance(router.traffic, RouterTraffic)
    router.traffic.set_demand("c-ros-opd2", 4e8)  # capped at 10 Mbit/s up, 20 down
    cache = MemoryIfIndexCache()
    target = _target(router)
    poll_once([target], if_indexes=cache)
    faults.set_no_hc(router)
    faults.wrap_counters_soon(router, within_s=1.0)
    first = poll_once([target], if_indexes=cache).by_link()["c-ros-opd2"]
    time.sleep(2.0)
    second = poll_once([target], if_indexes=cache).by_link()["c-ros-opd2"]
    assert (first.counter_bits, second.counter_bits) == (32, 32)
    assert first.in_octets > 2**32 - 10_000_000 and second.in_octets < first.in_octets
    seconds = second.uptime_s - first.uptime_s
    assert (second.in_octets - first.in_octets) % 2**32 * 8 / seconds == pytest.approx(
        10e6, rel=0.05
    )
    assert first.speed_bps == 1_000_000_000


def test_the_sample_store_keeps_the_indexes_between_runs(tmp_path: Any) -> None:
    entries = {
        "ether2": CachedIndex(2, "ifName", "ether2", 10_000),
        "GigabitEthernet0/1": CachedIndex(7, "ifDescr", "GigabitEthernet0/1", 0),
    }
    with SampleStore(tmp_path / "s.sqlite", create=True) as store:
        cache = store.if_index_cache()
        assert cache.load("r1") == {}
        cache.save("r1", entries)
        cache.flush()
    with SampleStore(tmp_path / "s.sqlite") as store:
        cache = store.if_index_cache()
        assert cache.load("r1") == entries
        cache.save("r1", {"ether2": CachedIndex(4, "ifName", "ether2")})
        cache.flush()
        assert store.if_index_cache().load("r1")["ether2"].if_index == 4
        assert store.if_index_cache().load("r2") == {}


class _FdPeak(threading.Thread):
    """The most file descriptors this process held while it ran (sampled every 2 ms)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.002):
            self.peak = max(self.peak, len(os.listdir("/proc/self/fd")))


def test_open_sockets_stay_bounded_over_250_routers() -> None:
    """250 routers, 40 of them with SNMPv3 keys of their own (one engine, one socket each)."""
    routers = [
        make_router(f"fd-{i:03d}", links=1, community="c-fd", v3=_v3(i) if i % 6 == 0 else None)
        for i in range(250)
    ]
    concurrency = 8
    with AgentThread(routers, ready_timeout_s=30.0):
        targets = [_fd_target(router) for router in routers]
        before = len(os.listdir("/proc/self/fd"))
        sampler = _FdPeak()
        sampler.start()
        try:
            result = poll_once(targets, concurrency=concurrency)
        finally:
            sampler.stopping.set()
            sampler.join()
        assert result.ok, list(result.router_errors.values())[:2]
        assert len(result.samples) == 250
        assert sampler.peak - before <= concurrency + 5
        assert len(os.listdir("/proc/self/fd")) == before


def _v3(i: int) -> SnmpV3User:
    return SnmpV3User("fd-user", f"auth-key-{i:03d}", f"priv-key-{i:03d}", "SHA", "AES-128")


def _fd_target(router: LabRouter) -> PollTarget:
    links = tuple(LinkRef(link.link_id, link.interface) for link in router.spec.links)
    v3 = router.spec.snmp_v3
    if v3 is None:
        auth: dict[str, Any] = {"community": "c-fd"}
    else:
        auth = {"v3": V3Credentials(v3.user, v3.auth_key, v3.priv_key, "SHA", "AES-128")}
    return PollTarget(router.spec.name, "127.0.0.1", links, router.snmp_port, timeout_s=2.0, **auth)


def test_ifname_is_what_proves_the_index(lab: dict[str, LabRouter]) -> None:
    cache = MemoryIfIndexCache()
    poll_once([_target(lab["ros"])], if_indexes=cache)
    assert {e.oid_column for e in cache.load("c-ros").values()} == {IF_NAME}
