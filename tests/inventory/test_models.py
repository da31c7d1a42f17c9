"""Field-level validation: names a CLI could be injected through, ids, platforms."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bwauto.inventory.models import Link

BASE = {
    "id": "dinkes", "opd": "Dinas Kesehatan", "router": "r1", "interface": "ether2",
    "shaper": "q-dinkes", "committed": {"up": "10M", "down": "20M"}, "upstream": "isp",
    "contact": {"name": "A"},
}  # fmt: skip


@pytest.mark.parametrize("char", ["\n", "\r", ";", '"', "'", "[", "]", "{", "}", "|", "$", " "])
@pytest.mark.parametrize("field", ["interface", "shaper", "shaper_in", "snmp_ifname"])
def test_injection_characters_are_refused(field: str, char: str) -> None:
    with pytest.raises(ValidationError) as info:
        Link.model_validate({**BASE, field: f"ether2{char}x"})
    assert "could be injected" in str(info.value)


@pytest.mark.parametrize("name", ["GigabitEthernet0/1.201", "vlan110-dinkes", "PM-RSUD_OUT", "<q>"])
def test_ordinary_names_pass(name: str) -> None:
    assert Link.model_validate({**BASE, "interface": name}).interface == name


@pytest.mark.parametrize("bad_id", ["Dinkes", "-x", "a b", "", "x" * 70])
def test_link_id_must_be_a_slug(bad_id: str) -> None:
    with pytest.raises(ValidationError):
        Link.model_validate({**BASE, "id": bad_id})


def test_ifname_defaults_to_interface() -> None:
    assert Link.model_validate(BASE).ifname == "ether2"
    assert Link.model_validate({**BASE, "snmp_ifname": "vlan5"}).ifname == "vlan5"
