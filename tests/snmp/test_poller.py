"""The step-6 SNMP poller against real lab agents on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from bwauto.errors import SnmpError, UsageError
from bwauto.lab.model import LabRouter, SnmpV3User
from bwauto.lab.snmp import faults
from bwauto.lab.snmp.agent import AgentThread
from bwauto.lab.snmp.testing import make_router, reset_routers
from bwauto.lab.snmp.traffic import RouterTraffic
from bwauto.snmp.models import LinkRef, PollTarget, V3Credentials
from bwauto.snmp.poller import poll_once

SHA_AES128 = SnmpV3User("poller", "auth-pass-1", "priv-pass-1", "SHA", "AES-128")
SHA256_AES256 = SnmpV3User("poller", "auth-pass-2", "priv-pass-2", "SHA-256", "AES-256")


@pytest.fixture(scope="module")
def lab() -> Iterator[dict[str, LabRouter]]:
    routers = {
        "v2": make_router("p-v2", links=3, community="c-v2"),
        "cisco": make_router("p-cisco", platform="cisco_ios", v3=SHA_AES128),
        "sha256": make_router("p-sha256", v3=SHA256_AES256),
        "spare": make_router("p-spare", community="c-spare", seed=3),
    }
    with AgentThread(list(routers.values())):
        yield routers


@pytest.fixture(autouse=True)
def _clean(lab: dict[str, LabRouter]) -> Iterator[None]:
    yield
    reset_routers(lab.values())


def _target(router: LabRouter, links: tuple[LinkRef, ...] | None = None, **kw: Any) -> PollTarget:
    v3 = router.spec.snmp_v3
    auth: dict[str, Any] = (
        {"v3": V3Credentials(v3.user, v3.auth_key, v3.priv_key, v3.auth_proto, v3.priv_proto)}
        if v3
        else {"community": router.spec.snmp_community}
    )
    if links is None:
        links = tuple(LinkRef(link.link_id, link.interface) for link in router.spec.links)
    options: dict[str, Any] = {"timeout_s": 1.0, "retries": 1, **auth, **kw}
    return PollTarget(router.spec.name, "127.0.0.1", links, router.snmp_port, **options)


def test_polls_several_routers_over_v2c_and_v3(lab: dict[str, LabRouter]) -> None:
    targets = [_target(lab[n]) for n in ("v2", "cisco", "sha256")]
    finished: list[tuple[str, SnmpError | None]] = []
    before = time.time()
    result = poll_once(targets, progress=lambda router, error: finished.append((router, error)))
    assert result.ok, (result.router_errors, result.link_errors)
    assert sorted(finished) == [("p-cisco", None), ("p-sha256", None), ("p-v2", None)]
    assert [s.link_id for s in result.samples] == [
        "p-v2-opd0", "p-v2-opd1", "p-v2-opd2", "p-cisco-opd0", "p-cisco-opd1",
        "p-sha256-opd0", "p-sha256-opd1",
    ]  # fmt: skip
    for sample in result.samples:
        assert sample.counter_bits == 64
        assert sample.speed_bps == 1_000_000_000
        assert sample.oper_up
        assert before <= sample.ts <= time.time()
        assert sample.uptime_s >= 0
    cisco = result.by_link()["p-cisco-opd0"]
    assert (cisco.if_name, cisco.if_index) == ("GigabitEthernet0/0/1.100", 2)  # ifName Gi0/0/1.100


def test_sample_rates_from_uptime_match_the_cap(lab: dict[str, LabRouter]) -> None:
    router = lab["sha256"]
    assert isinstance(router.traffic, RouterTraffic)
    router.traffic.set_demand("p-sha256-opd1", 400_000_000)
    target = _target(router)
    first = poll_once([target]).by_link()["p-sha256-opd1"]
    time.sleep(1.5)
    second = poll_once([target]).by_link()["p-sha256-opd1"]
    seconds = second.uptime_s - first.uptime_s
    assert (second.in_octets - first.in_octets) * 8 / seconds == pytest.approx(10e6, rel=0.02)
    assert (second.out_octets - first.out_octets) * 8 / seconds == pytest.approx(20e6, rel=0.02)
    assert second.ts - first.ts == pytest.approx(seconds, abs=0.3)


def test_falls_back_to_32_bit_counters_when_hc_is_absent(lab: dict[str, LabRouter]) -> None:
    faults.set_no_hc(lab["spare"])
    result = poll_once([_target(lab["spare"]), _target(lab["v2"])])
    assert result.ok
    bits = {s.link_id: s.counter_bits for s in result.samples}
    assert bits == {
        "p-spare-opd0": 32, "p-spare-opd1": 32,
        "p-v2-opd0": 64, "p-v2-opd1": 64, "p-v2-opd2": 64,
    }  # fmt: skip
    spare = result.by_link()["p-spare-opd0"]
    assert 0 <= spare.in_octets < 2**32
    assert spare.speed_bps == 1_000_000_000


def test_follows_if_index_renumbering(lab: dict[str, LabRouter]) -> None:
    target = _target(lab["spare"])
    before = poll_once([target]).by_link()["p-spare-opd1"]
    faults.renumber_if_index(lab["spare"], shift=40)
    after = poll_once([target]).by_link()["p-spare-opd1"]
    assert (before.if_index, after.if_index) == (3, 43)
    assert after.in_octets >= before.in_octets
    assert after.uptime_s >= before.uptime_s


def test_a_silent_router_is_reported_and_the_others_are_polled(lab: dict[str, LabRouter]) -> None:
    faults.set_snmp_timeout(lab["spare"])
    targets = [_target(lab["spare"], timeout_s=0.3, retries=1), _target(lab["v2"])]
    result = poll_once(targets)
    error = result.router_errors["p-spare"]
    assert str(error) == (
        f"p-spare (127.0.0.1:{lab['spare'].snmp_port}): no SNMP answer within 0.3 s x 2 tries "
        "(agent down, filtered, or wrong community)"
    )
    assert error.exit_code == 1
    assert [s.router for s in result.samples] == ["p-v2"] * 3
    assert not result.ok


def test_wrong_community_is_reported(lab: dict[str, LabRouter]) -> None:
    result = poll_once([_target(lab["v2"], community="public", timeout_s=0.3, retries=0)])
    assert "wrong community" in str(result.router_errors["p-v2"])
    assert result.samples == []


def test_wrong_v3_credentials_are_reported(lab: dict[str, LabRouter]) -> None:
    bad = V3Credentials("poller", "auth-pass-1", "not-the-priv-key", "SHA", "AES-128")
    good = _target(lab["sha256"])
    result = poll_once([_target(lab["cisco"], v3=bad), good])
    assert "wrong community/credentials" in str(result.router_errors["p-cisco"])
    assert {s.router for s in result.samples} == {"p-sha256"}


def test_an_unknown_interface_fails_only_its_link(lab: dict[str, LabRouter]) -> None:
    links = (LinkRef("ghost", "ether99"), LinkRef("p-v2-opd1", "ether3"))
    result = poll_once([_target(lab["v2"], links=links)])
    assert "interface 'ether99' not found" in str(result.link_errors["ghost"])
    assert [s.link_id for s in result.samples] == ["p-v2-opd1"]
    assert result.router_errors == {}


def test_an_interface_down_is_sampled_as_down(lab: dict[str, LabRouter]) -> None:
    faults.set_interface_down(lab["v2"], "ether3")
    samples = poll_once([_target(lab["v2"])]).by_link()
    assert not samples["p-v2-opd1"].oper_up
    assert samples["p-v2-opd0"].oper_up


def test_one_router_at_a_time_still_polls_them_all(lab: dict[str, LabRouter]) -> None:
    result = poll_once([_target(r) for r in lab.values()], concurrency=1)
    assert result.ok
    assert len(result.samples) == 3 + 2 + 2 + 2


def test_targets_are_validated(lab: dict[str, LabRouter]) -> None:
    with pytest.raises(UsageError, match="either an SNMP community or v3"):
        PollTarget("r", "127.0.0.1", ())
    with pytest.raises(UsageError, match="listed twice"):
        poll_once([_target(lab["v2"]), _target(lab["v2"])])
    assert "keys hidden" in repr(V3Credentials("u", "secret-a", "secret-p"))
    assert "secret" not in repr(V3Credentials("u", "secret-a", "secret-p"))
