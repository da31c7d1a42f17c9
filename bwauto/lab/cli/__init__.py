"""Simulated router CLIs, one module per platform, named by Netmiko's platform names.

A platform module (``cisco_ios``, ``mikrotik_routeros``) exposes ``PLATFORM``: a ``Platform``
telling how to build the live config from a ``LabRouterSpec``, how to open a CLI session on a
``LabRouter`` and how the SSH login name maps to the user. Adding a platform (juniper_junos,
arista_eos, huawei_vrp) is one module plus one line in ``_MODULES``.

Examples:
    >>> from bwauto.lab.model import LabInterface, LabLink, LabRouterSpec
    >>> spec = LabRouterSpec(
    ...     name="r1", platform="cisco_ios",
    ...     interfaces=(LabInterface("GigabitEthernet0/1", 2, 1_000_000_000),),
    ...     links=(LabLink("dinkes", "GigabitEthernet0/1", "PM-DINKES", 20_000_000, 50_000_000),),
    ... )
    >>> router = make_router(spec)
    >>> router.config.shaper_limits()["GigabitEthernet0/1"]
    (None, 50000000)
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable

from bwauto.errors import LabError
from bwauto.lab.cli.base import CliSession, Platform, SessionFactory
from bwauto.lab.model import LabRouter, LabRouterSpec, PlatformConfig

_MODULES = {
    "cisco_ios": "bwauto.lab.cli.cisco_ios",
    "mikrotik_routeros": "bwauto.lab.cli.mikrotik_routeros",
}

__all__ = [
    "CliSession",
    "Platform",
    "SessionFactory",
    "get_platform",
    "make_platform",
    "make_router",
    "supported_platforms",
]


def supported_platforms() -> tuple[str, ...]:
    """Netmiko platform names the lab can simulate."""
    return tuple(_MODULES)


def get_platform(name: str) -> Platform:
    """The ``Platform`` of a Netmiko platform name.

    Raises:
        LabError: if the lab has no simulator for that platform.
    """
    module_name = _MODULES.get(name)
    if module_name is None:
        known = ", ".join(_MODULES)
        raise LabError(f"the lab cannot simulate platform {name!r} (known: {known})")
    platform = importlib.import_module(module_name).PLATFORM
    assert isinstance(platform, Platform)
    return platform


def make_platform(
    spec: LabRouterSpec, clock: Callable[[], float] = time.time
) -> tuple[PlatformConfig, SessionFactory]:
    """Build the boot config of ``spec`` and the factory of CLI sessions on it.

    Args:
        spec: the simulated router.
        clock: wall clock for timestamps and timers (inject a fake one in tests).

    Returns:
        ``(config, session_factory)``; ``session_factory(router, login_name)`` opens a session.
    """
    platform = get_platform(spec.platform)
    return platform.make_config(spec, clock), platform.make_session


def make_router(spec: LabRouterSpec, clock: Callable[[], float] = time.time) -> LabRouter:
    """A ``LabRouter`` for ``spec`` with its platform's boot config (boot time = ``clock()``)."""
    config, _ = make_platform(spec, clock)
    return LabRouter(spec=spec, config=config, boot_time=clock())
