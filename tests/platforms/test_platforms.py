"""Platform parsing and rendering on device-shaped text (pure)."""

from __future__ import annotations

import pytest

from bwauto.errors import RenderError
from bwauto.inventory.models import Link
from bwauto.platforms import get_platform, napalm_driver
from bwauto.platforms.base import ShaperRate, find_failure, unified_diff
from bwauto.platforms.mikrotik_routeros import ros_rate

M = 1_000_000


def _link(**kw: object) -> Link:
    base = {
        "id": "x",
        "opd": "OPD",
        "router": "r",
        "interface": "ether2",
        "shaper": "q-x",
        "committed": {"up": "10M", "down": "20M"},
        "upstream": "u",
        "contact": {"name": "A"},
    }
    return Link.model_validate({**base, **kw})  # fmt: skip


IOS_OUT = """policy-map PM-X-OUT
 class class-default
  shape average 20000000
policy-map PM-X-OUT2
 class class-default
  shape average 90000000
"""


def test_ios_ignores_a_policy_map_whose_name_only_starts_alike() -> None:
    ios = get_platform("cisco_ios")
    link = _link(shaper="PM-X-OUT", interface="Gi0/1")
    section = ios.section([IOS_OUT], link)
    assert "PM-X-OUT2" not in section
    assert ios.parse_rate(section, link) == ShaperRate(None, 20 * M)
    intended = ios.intended_section(section, link, ShaperRate(None, 40 * M))
    assert intended.splitlines()[-1] == "  shape average 40000000"
    assert ios.change_commands(link, ShaperRate(None, 40 * M)) == [
        "policy-map PM-X-OUT",
        " class class-default",
        "  shape average 40000000",
    ]


def test_ios_missing_policy_map_is_an_error() -> None:
    ios = get_platform("cisco_ios")
    link = _link(shaper="PM-NOPE", interface="Gi0/1")
    with pytest.raises(RenderError, match="no 'shape average' in policy-map PM-NOPE"):
        ios.parse_rate(ios.section([""], link), link)


def test_ios_inbound_policer_rendered_only_with_shaper_in() -> None:
    ios = get_platform("cisco_ios")
    link = _link(shaper="PM-O", shaper_in="PM-I", interface="Gi0/1")
    cmds = ios.change_commands(link, ShaperRate(15 * M, 30 * M))
    assert cmds[3:] == ["policy-map PM-I", " class class-default", "  police cir 15000000"]


def test_routeros_wrapped_and_quoted_export_lines() -> None:
    ros = get_platform("mikrotik_routeros")
    link = _link(shaper="q-x")
    export = ('/queue simple\nadd max-limit=10M/20M name="q-x" \\\n    target=ether2\n'
              "add max-limit=1M/2M name=q-y target=ether3\n")  # fmt: skip
    section = ros.section([export], link)
    assert section == '/queue simple\nadd max-limit=10M/20M name="q-x" target=ether2\n'
    assert ros.parse_rate(section, link) == ShaperRate(10 * M, 20 * M)
    with pytest.raises(RenderError, match="simple queue 'q-z' not found"):
        ros.section([export], _link(shaper="q-z"))


def test_routeros_unlimited_queue_and_rate_format() -> None:
    ros = get_platform("mikrotik_routeros")
    link = _link()
    section = "/queue simple\nadd name=q-x target=ether2\n"
    assert ros.parse_rate(section, link) == ShaperRate(None, None)
    assert "max-limit=10M/30M name=q-x" in ros.intended_section(
        section, link, ShaperRate(10 * M, 30 * M)
    )
    assert [ros_rate(v) for v in (2_500_000_000, 1_500_000, 999)] == ["2500M", "1500k", "999"]


def test_diff_and_failure_detection() -> None:
    assert unified_diff("a\n", "a\n", "r") == ""
    assert find_failure("bad command name foo (line 1 column 1)",
                        get_platform("mikrotik_routeros").failure_strings)  # fmt: skip
    assert find_failure("all good\n", get_platform("cisco_ios").failure_strings) is None
    assert napalm_driver("mikrotik_routeros") == "ros" and napalm_driver("cisco_ios") == "ios"
