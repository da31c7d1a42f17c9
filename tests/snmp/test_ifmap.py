"""Pure helpers of the poller: interface matching, error wording, speeds; engine factory."""

from __future__ import annotations

import pytest
from pysnmp.proto import errind

from bwauto.errors import UsageError
from bwauto.snmp.engine import master_keys, new_engine, text_engine_id, usm_protocols
from bwauto.snmp.ifmap import indication_message, match_if_indexes, speed_bps
from bwauto.snmp.models import PollTarget, V3Credentials

CISCO_NAMES = {1: "Gi0/0/0", 2: "Gi0/0/1.100", 3: "Gi0/0/1.101"}
CISCO_DESCRS = {
    1: "GigabitEthernet0/0/0",
    2: "GigabitEthernet0/0/1.100",
    3: "GigabitEthernet0/0/1.101",
}


def test_exact_ifname_then_ifdescr_then_canonical_form() -> None:
    wanted = ["Gi0/0/1.100", "GigabitEthernet0/0/1.101", "gigabitethernet0/0/0", "Te0/0/9"]
    assert match_if_indexes(wanted, CISCO_NAMES) == {
        "Gi0/0/1.100": 2,
        "GigabitEthernet0/0/1.101": 3,
        "gigabitethernet0/0/0": 1,
    }
    assert match_if_indexes(["GigabitEthernet0/0/1.101"], {}, CISCO_DESCRS) == {
        "GigabitEthernet0/0/1.101": 3
    }


def test_exact_ifname_wins_over_another_interfaces_ifdescr() -> None:
    names, descrs = {1: "uplink", 2: "wan"}, {1: "wan", 2: "ether2"}
    assert match_if_indexes(["wan"], names, descrs) == {"wan": 2}


def test_ambiguous_canonical_names_match_nothing() -> None:
    names = {5: "Gi0/1", 6: "GigabitEthernet0/1"}
    assert match_if_indexes(["gi0/1"], names) == {}


def test_error_indications_become_one_clear_line() -> None:
    v2 = PollTarget("r1", "10.0.0.1", (), community="x", timeout_s=2, retries=1)
    v3 = PollTarget("r2", "10.0.0.2", (), v3=V3Credentials("ops", "a" * 8, "p" * 8))
    timed_out = indication_message(v2, errind.requestTimedOut)
    assert timed_out == (
        "r1 (10.0.0.1:161): no SNMP answer within 2 s x 2 tries "
        "(agent down, filtered, or wrong community)"
    )
    assert indication_message(v3, errind.unknownUserName) == (
        "r2 (10.0.0.2:161): wrong community/credentials: SNMPv3 user unknown to the router "
        "(user 'ops')"
    )
    assert "privacy key" in indication_message(v3, errind.decryptionError)
    assert indication_message(v2, errind.tooBig).startswith("r1 (10.0.0.1:161): SNMP error: ")


def test_speed_prefers_if_high_speed() -> None:
    assert speed_bps(100_000, 2**32 - 1) == 100_000_000_000
    assert speed_bps(None, 10_000_000) == 10_000_000


def test_engine_factory_and_usm_protocols() -> None:
    engine = new_engine(text_engine_id("edge-01"))
    assert bytes(engine.snmpEngineID) == bytes.fromhex("80004fb804") + b"edge-01"
    assert master_keys("SHA", "k" * 8, "AES-128", "p" * 8) is master_keys(
        "SHA", "k" * 8, "AES-128", "p" * 8
    )
    with pytest.raises(UsageError, match="unsupported SNMPv3 protocol 'MD5'"):
        usm_protocols("MD5", "AES-128")
    with pytest.raises(UsageError, match="timeout must be > 0"):
        PollTarget("r", "h", (), community="c", timeout_s=0)
