"""Directions as configured: what each platform shapes, and how an unshaped direction reads
in plans, evidence and documents (never ``None``)."""

from __future__ import annotations

from pathlib import Path

from bwauto.case.documents.formatting import filters
from bwauto.change.plan import committed_rate, same_rate
from bwauto.inventory.loader import load_inventory
from bwauto.platforms import get_platform
from bwauto.platforms.base import ShaperRate, shaped

INV = load_inventory(Path(__file__).resolve().parents[2] / "inventory")
M = 1_000_000


def test_each_platform_says_which_directions_each_sample_link_can_shape() -> None:
    seen = {}
    for link in INV.links.values():
        platform = get_platform(INV.routers[link.router].platform)
        seen[link.id] = platform.directions(link)
    assert seen["dishub"] == seen["satpolpp"] == ("down",)  # IOS without shaper_in
    assert seen["rsud"] == seen["dpmptsp"] == ("up", "down")
    assert seen["dinkes"] == seen["kec-sekupang"] == ("up", "down")  # RouterOS: both


def test_an_unshaped_direction_is_said_in_words() -> None:
    rate = committed_rate(INV.links["dishub"], ("down",))
    assert rate == ShaperRate(None, 50 * M)
    assert rate.describe() == "upload not shaped on this router, download 50M"
    assert shaped(rate) == {"up": "not shaped on this router", "down": "50M"}
    assert same_rate(ShaperRate(None, 50 * M), rate)
    assert filters("id")["laju"](None) == "tidak dibatasi di router ini"
    assert filters("en")["laju"](None) == "not shaped on this router"
