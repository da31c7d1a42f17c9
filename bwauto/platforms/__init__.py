"""Router platforms: a factory from the canonical (Netmiko) name to its ``Platform`` class.

Examples:
    >>> get_platform("cisco_ios").name, napalm_driver("cisco_ios")
    ('cisco_ios', 'ios')
"""

from __future__ import annotations

from netutils.lib_mapper import NAPALM_LIB_MAPPER_REVERSE

from bwauto.errors import UsageError
from bwauto.platforms.base import Platform
from bwauto.platforms.cisco_ios import CiscoIos
from bwauto.platforms.mikrotik_routeros import MikrotikRouterOs

PLATFORMS: dict[str, type[Platform]] = {
    "cisco_ios": CiscoIos,
    "mikrotik_routeros": MikrotikRouterOs,
}


def get_platform(name: str) -> Platform:
    """The platform class for a Netmiko platform name."""
    try:
        return PLATFORMS[name]()
    except KeyError:
        raise UsageError(f"platform {name!r} is not supported: {', '.join(PLATFORMS)}") from None


def napalm_driver(name: str) -> str | None:
    """NAPALM's driver name for a Netmiko platform name (None when NAPALM has none)."""
    return NAPALM_LIB_MAPPER_REVERSE.get(name)
