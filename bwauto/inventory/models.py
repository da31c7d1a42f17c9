"""The validated inventory: edge routers, OPD links and the upstreams they draw from.

These are plain pydantic models checked field by field; cross-references (a link's router,
its upstream, its interface's speed) are checked by ``bwauto.inventory.loader``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from bwauto.rates import parse_rate

PLATFORMS = ("cisco_ios", "mikrotik_routeros")
"""Platforms bwauto drives, by their Netmiko names."""

_UNSAFE = re.compile(r"[\s;\"'\[\]{}|$\\`]")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _safe_name(value: str) -> str:
    """Refuse names that could smuggle commands into a router CLI.

    Examples:
        >>> _safe_name("GigabitEthernet0/1.201")
        'GigabitEthernet0/1.201'
        >>> _safe_name('q"; /system reset')
        Traceback (most recent call last):
        ...
        ValueError: 'q"; /system reset' contains '"', which a router CLI could be injected through
    """
    if not value:
        raise ValueError("must not be empty")
    bad = _UNSAFE.search(value)
    if bad:
        char = "a line break" if bad.group() in "\r\n" else repr(bad.group())
        if bad.group() in " \t":
            char = "white space"
        raise ValueError(f"{value!r} contains {char}, which a router CLI could be injected through")
    if len(value) > 64:
        raise ValueError(f"{value!r} is longer than 64 characters")
    return value


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"{value!r} is not a valid id: use lower-case letters, digits and '-' (max 63)"
        )
    return value


def _rate(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{value!r} is not a rate")
    return parse_rate(value)


CredentialField = Literal[
    "username", "password", "enable_secret", "snmp_community",
    "snmpv3_user", "snmpv3_auth_key", "snmpv3_priv_key",
]  # fmt: skip
SafeName = Annotated[str, AfterValidator(_safe_name)]
Slug = Annotated[str, AfterValidator(_slug)]
Rate = Annotated[int, BeforeValidator(_rate)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Committed(_Model):
    """Committed rate per direction, seen from the OPD: ``up`` = upload, ``down`` = download."""

    up: Rate
    down: Rate


class Contact(_Model):
    """Who to call at the OPD."""

    name: str = Field(min_length=1)
    phone: str | None = None
    email: str | None = None


class Upstream(_Model):
    """An ISP uplink: its capacity and how far it may be oversold."""

    id: Slug
    name: str = ""
    capacity: Rate
    max_oversubscription: float = Field(default=1.0, ge=1.0, le=10.0)


class Link(_Model):
    """One OPD link: where it is shaped, at what committed rate, and which upstream feeds it."""

    id: Slug
    opd: str = Field(min_length=1)
    router: str
    interface: SafeName
    shaper: SafeName
    shaper_in: SafeName | None = None
    committed: Committed
    snmp_ifname: SafeName | None = None
    upstream: str
    contact: Contact

    @property
    def ifname(self) -> str:
        """The IF-MIB ifName polled for this link (defaults to the interface name)."""
        return self.snmp_ifname or self.interface


class SnmpSettings(_Model):
    """How a router's SNMP agent is reached (secrets come from the credentials mechanism)."""

    version: Literal["v2c", "v3"] = "v2c"
    port: int = Field(default=161, ge=1, le=65535)
    timeout_s: float = Field(default=2.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=10)
    auth_protocol: Literal["SHA", "SHA-256"] = "SHA"
    priv_protocol: Literal["AES-128", "AES-256"] = "AES-128"


class Router(_Model):
    """An edge router as resolved from hosts, groups and defaults."""

    name: SafeName
    hostname: str = Field(min_length=1)
    platform: Literal["cisco_ios", "mikrotik_routeros"]
    port: int = Field(default=22, ge=1, le=65535)
    groups: tuple[str, ...] = ()
    interfaces: dict[SafeName, Rate] = Field(default_factory=dict)
    snmp: SnmpSettings = SnmpSettings()
    poll_interval_s: int = Field(default=300, ge=10, le=86400)
    ssh_timeout_s: float | None = Field(default=None, gt=0, le=600)
    credentials_env: dict[CredentialField, str] = Field(default_factory=dict)

    def interface_speed(self, interface: str) -> int | None:
        """Speed of ``interface``; a sub-interface (``Gi0/1.201``) takes its parent's.

        Examples:
            >>> r = Router(name="r1", hostname="h", platform="cisco_ios",
            ...            interfaces={"Gi0/1": "1G"})
            >>> r.interface_speed("Gi0/1.201")
            1000000000
            >>> r.interface_speed("Gi0/9") is None
            True
        """
        if interface in self.interfaces:
            return self.interfaces[interface]
        parent, dot, _ = interface.rpartition(".")
        return self.interfaces.get(parent) if dot else None


class Inventory(_Model):
    """Everything bwauto knows about the network, validated and cross-checked."""

    directory: str
    routers: dict[str, Router]
    links: dict[str, Link]
    upstreams: dict[str, Upstream]
    secrets_file: str | None = None

    def links_on(self, router: str) -> list[Link]:
        """The links hosted on ``router``, in inventory order."""
        return [link for link in self.links.values() if link.router == router]
