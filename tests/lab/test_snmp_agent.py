"""The lab's SNMP agents, queried over real UDP on 127.0.0.1 with pysnmp and net-snmp."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from pysnmp.proto import rfc1905

from bwauto.errors import SnmpError
from bwauto.lab.model import LabRouter, SnmpV3User
from bwauto.lab.snmp import faults
from bwauto.lab.snmp.agent import AgentThread
from bwauto.lab.snmp.testing import make_router, reset_routers, set_cap
from bwauto.lab.snmp.traffic import RouterTraffic
from bwauto.snmp.models import PollTarget, V3Credentials
from bwauto.snmp.oids import (
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_IN_OCTETS,
    IF_INDEX,
    IF_NAME,
    IF_NUMBER,
    IF_OPER_STATUS,
    IF_SPEED,
    SYS_DESCR,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_UPTIME,
    Oid,
)
from bwauto.snmp.session import EnginePool, SnmpSession

T = TypeVar("T")
SHA_AES128 = SnmpV3User("bwauto", "auth-pass-1", "priv-pass-1", "SHA", "AES-128")
SHA256_AES256 = SnmpV3User("bwauto", "auth-pass-2", "priv-pass-2", "SHA-256", "AES-256")
UP_CAP, DOWN_CAP = 10_000_000, 20_000_000  # make_router's default committed rates


@pytest.fixture(scope="module")
def lab() -> Iterator[dict[str, LabRouter]]:
    routers = {
        "v2": make_router("r-v2", community="lab-ro", speed_bps=10_000_000_000),
        "sha": make_router("r-sha", platform="cisco_ios", v3=SHA_AES128),
        "sha256": make_router("r-sha256", v3=SHA256_AES256),
        "fault": make_router("r-fault", seed=4),
    }
    with AgentThread(list(routers.values())):
        yield routers


@pytest.fixture(autouse=True)
def _clean(lab: dict[str, LabRouter]) -> Iterator[None]:
    yield
    reset_routers(lab.values())


def _target(router: LabRouter, **kw: Any) -> PollTarget:
    v3 = router.spec.snmp_v3
    auth: dict[str, Any] = (
        {"v3": V3Credentials(v3.user, v3.auth_key, v3.priv_key, v3.auth_proto, v3.priv_proto)}
        if v3
        else {"community": router.spec.snmp_community}
    )
    options: dict[str, Any] = {"timeout_s": 1.0, "retries": 1, **auth, **kw}
    return PollTarget(router.spec.name, "127.0.0.1", (), router.snmp_port, **options)


def _query(target: PollTarget, action: Callable[[SnmpSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engines = EnginePool()
        try:
            return await action(await SnmpSession.open(target, engines))
        finally:
            engines.close()

    return asyncio.run(run())


def _get(router: LabRouter, *oids: Oid, **kw: Any) -> dict[Oid, Any]:
    return _query(_target(router, **kw), lambda s: s.get(list(oids)))[1]


def _rates(router: LabRouter, if_index: int, wait_s: float) -> tuple[float, float]:
    """(in, out) bit/s from two GETs ``wait_s`` apart, timed by sysUpTime like a poller."""
    oids = (SYS_UPTIME, (*IF_HC_IN_OCTETS, if_index), (*IF_HC_OUT_OCTETS, if_index))
    first = _get(router, *oids)
    time.sleep(wait_s)
    second = _get(router, *oids)
    seconds = (int(second[oids[0]]) - int(first[oids[0]])) / 100.0
    return tuple(  # type: ignore[return-value]
        (int(second[o]) - int(first[o])) * 8 / seconds for o in oids[1:]
    )


def test_v2c_serves_the_system_group(lab: dict[str, LabRouter]) -> None:
    router = lab["v2"]
    values = _get(router, SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME, IF_NUMBER)
    assert str(values[SYS_NAME]) == "r-v2"
    assert "RouterOS" in str(values[SYS_DESCR])
    assert tuple(values[SYS_OBJECT_ID]) == (1, 3, 6, 1, 4, 1, 14988, 1)
    assert 0 <= int(values[SYS_UPTIME]) <= (time.time() - router.boot_time) * 100 + 1
    assert int(values[IF_NUMBER]) == 3


def test_getnext_getbulk_and_walk_follow_oid_order(lab: dict[str, LabRouter]) -> None:
    target = _target(lab["v2"])
    nxt = _query(target, lambda s: s.next([IF_NAME, (*IF_HIGH_SPEED, 3)]))
    assert nxt[0][0] == (*IF_NAME, 1)
    assert str(nxt[0][1]) == "ether1"
    assert isinstance(nxt[1][1], rfc1905.EndOfMibView)
    bulk = _query(target, lambda s: s.bulk([IF_INDEX], repetitions=4))
    assert [oid for oid, _ in bulk] == [
        (*IF_INDEX, 1),
        (*IF_INDEX, 2),
        (*IF_INDEX, 3),
        (*IF_INDEX[:-1], 2, 1),
    ]
    names = _query(target, lambda s: s.walk(IF_NAME))
    assert {oid[-1]: str(v) for oid, v in names.items()} == {1: "ether1", 2: "ether2", 3: "ether3"}


def test_speeds_gauge32_capped_and_high_speed_in_mbps(lab: dict[str, LabRouter]) -> None:
    values = _get(lab["v2"], (*IF_SPEED, 1), (*IF_HIGH_SPEED, 1))
    assert int(values[(*IF_SPEED, 1)]) == 2**32 - 1  # 10 Gbit/s does not fit a Gauge32
    assert int(values[(*IF_HIGH_SPEED, 1)]) == 10_000


def test_absent_instances_and_objects(lab: dict[str, LabRouter]) -> None:
    missing = (*IF_NAME, 99)
    unknown = (1, 3, 6, 1, 4, 1, 9, 9, 1, 0)
    values = _get(lab["v2"], missing, unknown)
    assert isinstance(values[missing], rfc1905.NoSuchInstance)
    assert isinstance(values[unknown], rfc1905.NoSuchObject)


@pytest.mark.parametrize("name", ["sha", "sha256"])
def test_v3_authpriv(lab: dict[str, LabRouter], name: str) -> None:
    router = lab[name]
    values = _get(router, SYS_NAME, (*IF_NAME, 2))
    assert str(values[SYS_NAME]) == router.spec.name
    expected = "Gi0/0/1.100" if router.spec.platform == "cisco_ios" else "ether2"
    assert str(values[(*IF_NAME, 2)]) == expected


def test_v3_wrong_keys_or_user_are_refused(lab: dict[str, LabRouter]) -> None:
    router = lab["sha256"]
    wrong_key = V3Credentials("bwauto", "not-the-key", "priv-pass-2", "SHA-256", "AES-256")
    with pytest.raises(SnmpError, match="wrong community/credentials"):
        _get(router, SYS_NAME, v3=wrong_key)
    wrong_user = V3Credentials("nobody", "auth-pass-2", "priv-pass-2", "SHA-256", "AES-256")
    with pytest.raises(SnmpError, match="user unknown"):
        _get(router, SYS_NAME, v3=wrong_user)


def test_wrong_community_gets_no_answer(lab: dict[str, LabRouter]) -> None:
    with pytest.raises(SnmpError, match=r"no SNMP answer within 0.3 s x 1 tries"):
        _get(lab["v2"], SYS_NAME, community="public", timeout_s=0.3, retries=0)


def _net_snmp(*args: str, ok: bool = True) -> str:
    tool = args[0]
    if shutil.which(tool) is None:
        pytest.skip(f"net-snmp's {tool} is not installed (apt-get install snmp)")
    done = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    assert (done.returncode == 0) == ok, done.stderr
    return done.stdout + done.stderr


def test_net_snmp_set_is_refused_and_v1_gets_no_answer(lab: dict[str, LabRouter]) -> None:
    agent = f"127.0.0.1:{lab['v2'].snmp_port}"
    refused = _net_snmp(
        "snmpset", "-v2c", "-c", "lab-ro", agent, ".1.3.6.1.2.1.1.5.0", "s", "x", ok=False
    )
    assert "notWritable" in refused
    silent = _net_snmp(
        "snmpget", "-v1", "-c", "lab-ro", "-t", "0.3", "-r", "0", agent, ".1.3.6.1.2.1.1.5.0",
        ok=False,
    )  # fmt: skip
    assert "Timeout" in silent


def test_net_snmp_bulkwalk_v2c(lab: dict[str, LabRouter]) -> None:
    router = lab["v2"]
    out = _net_snmp(
        "snmpbulkwalk", "-v2c", "-c", "lab-ro", "-On", f"127.0.0.1:{router.snmp_port}",
        ".1.3.6.1.2.1.31.1.1.1.6",
    )  # fmt: skip
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert all("Counter64" in line for line in lines)


@pytest.mark.parametrize(("name", "user"), [("sha", SHA_AES128), ("sha256", SHA256_AES256)])
def test_net_snmp_get_v3(lab: dict[str, LabRouter], name: str, user: SnmpV3User) -> None:
    router = lab[name]
    out = _net_snmp(
        "snmpget", "-v3", "-l", "authPriv", "-u", user.user, "-a", user.auth_proto,
        "-A", user.auth_key, "-x", user.priv_proto, "-X", user.priv_key, "-On",
        f"127.0.0.1:{router.snmp_port}", ".1.3.6.1.2.1.1.5.0", ".1.3.6.1.2.1.1.3.0",
    )  # fmt: skip
    assert f'STRING: "{router.spec.name}"' in out
    assert "Timeticks" in out


def test_saturated_link_rate_is_the_cap_and_follows_a_raise(lab: dict[str, LabRouter]) -> None:
    router = lab["fault"]
    assert isinstance(router.traffic, RouterTraffic)
    router.traffic.set_demand("r-fault-opd0", 500_000_000)
    rate_in, rate_out = _rates(router, 2, wait_s=2.0)
    assert rate_in == pytest.approx(UP_CAP, rel=0.02)
    assert rate_out == pytest.approx(DOWN_CAP, rel=0.02)
    set_cap(router, "ether2", 2 * UP_CAP, 3 * DOWN_CAP)
    rate_in, rate_out = _rates(router, 2, wait_s=2.0)
    assert rate_in == pytest.approx(2 * UP_CAP, rel=0.02)
    assert rate_out == pytest.approx(3 * DOWN_CAP, rel=0.02)
    set_cap(router, "ether2", UP_CAP, DOWN_CAP)


def test_snmp_timeout_fault_silences_the_agent(lab: dict[str, LabRouter]) -> None:
    router = lab["fault"]
    faults.set_snmp_timeout(router)
    with pytest.raises(SnmpError, match="no SNMP answer"):
        _get(router, SYS_NAME, timeout_s=0.3, retries=0)
    faults.set_snmp_timeout(router, on=False)
    assert str(_get(router, SYS_NAME)[SYS_NAME]) == "r-fault"


def test_reboot_restarts_uptime_and_counters(lab: dict[str, LabRouter]) -> None:
    router = lab["fault"]
    assert isinstance(router.traffic, RouterTraffic)
    router.traffic.set_demand("r-fault-opd0", 500_000_000)
    time.sleep(0.3)
    before = _get(router, SYS_UPTIME, (*IF_HC_IN_OCTETS, 2))
    faults.reboot(router)
    after = _get(router, SYS_UPTIME, (*IF_HC_IN_OCTETS, 2))
    assert int(after[SYS_UPTIME]) < min(int(before[SYS_UPTIME]), 100)
    assert int(after[(*IF_HC_IN_OCTETS, 2)]) < int(before[(*IF_HC_IN_OCTETS, 2)])
    assert int(after[(*IF_HC_IN_OCTETS, 2)]) <= UP_CAP / 8 * 1.0  # at most ~1 s since boot


def test_counter32_wraps_soon_while_hc_goes_on(lab: dict[str, LabRouter]) -> None:
    router = lab["fault"]
    assert isinstance(router.traffic, RouterTraffic)
    router.traffic.set_demand("r-fault-opd0", 500_000_000)
    faults.wrap_counters_soon(router, within_s=1.5)
    oids = ((*IF_IN_OCTETS, 2), (*IF_HC_IN_OCTETS, 2))
    first = _get(router, *oids)
    assert int(first[oids[0]]) > 2**32 - UP_CAP / 8 * 1.5  # at most 1.5 s from wrapping
    time.sleep(2.0)
    second = _get(router, *oids)
    assert int(second[oids[0]]) < int(first[oids[0]])  # wrapped
    hc_delta = int(second[oids[1]]) - int(first[oids[1]])
    assert (int(second[oids[0]]) - int(first[oids[0]])) % 2**32 == hc_delta
    faults.clear_counter_wrap(router)
    hc, c32 = (int(v) for v in _get(router, oids[1], oids[0]).values())
    assert c32 == hc % 2**32


def test_interface_down_reports_status_2_and_stops_counting(lab: dict[str, LabRouter]) -> None:
    router = lab["fault"]
    faults.set_interface_down(router, "ether2")
    oids = ((*IF_OPER_STATUS, 2), (*IF_OPER_STATUS, 3), (*IF_HC_IN_OCTETS, 2))
    first = _get(router, *oids)
    time.sleep(0.3)
    second = _get(router, *oids)
    assert int(first[oids[0]]) == 2
    assert int(first[oids[1]]) == 1
    assert int(second[oids[2]]) == int(first[oids[2]])


def test_if_index_renumbering(lab: dict[str, LabRouter]) -> None:
    router = lab["fault"]
    target = _target(router)
    faults.renumber_if_index(router, shift=100)
    indexes = _query(target, lambda s: s.walk(IF_INDEX))
    assert sorted(int(v) for v in indexes.values()) == [101, 102, 103]
    names = _query(target, lambda s: s.walk(IF_NAME))
    assert {oid[-1]: str(v) for oid, v in names.items()}[102] == "ether2"
    assert isinstance(_get(router, (*IF_NAME, 2))[(*IF_NAME, 2)], rfc1905.NoSuchInstance)
    faults.renumber_if_index(router, shift=0)
    assert sorted(int(v) for v in _query(target, lambda s: s.walk(IF_INDEX)).values()) == [1, 2, 3]


def test_no_hc_agent_variant(lab: dict[str, LabRouter]) -> None:
    router = lab["fault"]
    faults.set_no_hc(router)
    values = _get(router, (*IF_HC_IN_OCTETS, 2), (*IF_IN_OCTETS, 2), (*IF_NAME, 2))
    assert isinstance(values[(*IF_HC_IN_OCTETS, 2)], rfc1905.NoSuchObject)
    assert int(values[(*IF_IN_OCTETS, 2)]) >= 0
    assert str(values[(*IF_NAME, 2)]) == "ether2"
    faults.set_no_hc(router, on=False)
    assert int(_get(router, (*IF_HC_IN_OCTETS, 2))[(*IF_HC_IN_OCTETS, 2)]) >= 0


def test_fifty_agents_in_one_loop_start_fast_and_stop_within_two_seconds() -> None:
    routers = [make_router(f"m{i:02}", links=4, seed=i) for i in range(50)]
    began = time.perf_counter()
    agents = AgentThread(routers)
    agents.start()
    try:
        started = time.perf_counter() - began
        assert len({r.snmp_port for r in routers}) == 50
        assert str(_get(routers[-1], SYS_NAME)[SYS_NAME]) == "m49"
    finally:
        began = time.perf_counter()
        agents.stop()
        stopped = time.perf_counter() - began
    assert started < 10.0
    assert stopped <= 2.0
    with pytest.raises(SnmpError, match="no SNMP answer"):
        _get(routers[0], SYS_NAME, timeout_s=0.2, retries=0)
