"""Fault switches of the lab by name, for tests and ``bwauto lab fault``.

Each fault is data: a name, whether it takes an argument, and how to set and clear it.
SSH-side switches live on ``router.faults``; SNMP-side ones go through ``bwauto.lab.snmp.faults``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bwauto.errors import LabError
from bwauto.lab.model import LabRouter, Reloadable
from bwauto.lab.snmp import faults as snmp


@dataclass(frozen=True)
class FaultKind:
    """One fault: how to switch it on (with an optional argument) and off."""

    help: str
    on: Callable[[LabRouter, str | None], None]
    off: Callable[[LabRouter, str | None], None]


def _set(attr: str, value: object) -> Callable[[LabRouter, str | None], None]:
    def apply(router: LabRouter, _arg: str | None) -> None:
        setattr(router.faults, attr, value)

    return apply


def _drop_once(router: LabRouter, lines: int) -> None:
    router.faults.drop_after_config_lines, router.faults.drop_once = lines, True


def reload(router: LabRouter) -> None:
    """The router reloads: what its platform does to the config (IOS: running := startup, an
    unsaved change is lost; RouterOS keeps its config, scheduler ``startup`` entries run
    again 3 s later), then the SNMP
    agent restarts (sysUpTime and counters from 0) and open CLI sessions are dropped."""
    with router.lock:
        router.before_config_change()
        if isinstance(router.config, Reloadable):
            router.config.reload()
        snmp.reboot(router)


def set_minute(router: LabRouter, seconds: float) -> None:
    """How long one minute of the IOS revert timer lasts on this router (a lab setting, for
    tests; the real one is 60 s). A timer already running keeps its deadline."""
    if seconds <= 0:
        raise ValueError("must be > 0")
    with router.lock:
        if hasattr(router.config, "minute_s"):
            setattr(router.config, "minute_s", seconds)  # noqa: B010 (PlatformConfig has none)


def _need(arg: str | None, what: str) -> str:
    if not arg:
        raise LabError(f"this fault needs --arg {what}")
    return arg


FAULTS: dict[str, FaultKind] = {
    "refuse-auth": FaultKind("SSH refuses every login",
                             _set("refuse_auth", True), _set("refuse_auth", False)),
    "hang-after-login": FaultKind("SSH accepts the login, then never answers",
                                  _set("hang_after_login", True), _set("hang_after_login", False)),
    "drop-mid-config": FaultKind(
        "SSH drops the session once, after N configuration lines (--arg N, default 1)",
        lambda r, a: _drop_once(r, int(a or 1)), _set("drop_after_config_lines", None)),
    "slow": FaultKind("every SSH reply is delayed (--arg SECONDS, default 1)",
                      lambda r, a: setattr(r.faults, "reply_delay_s", float(a or 1)),
                      _set("reply_delay_s", 0.0)),
    "snmp-timeout": FaultKind("the SNMP agent answers nothing",
                              lambda r, a: snmp.set_snmp_timeout(r, True),
                              lambda r, a: snmp.set_snmp_timeout(r, False)),
    "reboot": FaultKind("reboot: sysUpTime and counters restart from 0 (an event)",
                        lambda r, a: snmp.reboot(r), lambda r, a: None),
    "reload": FaultKind("reload: IOS loses unsaved config (running := startup), RouterOS keeps "
                        "its config; sysUpTime/counters restart, CLI sessions drop (an event)",
                        lambda r, a: reload(r), lambda r, a: None),
    "short-minute": FaultKind("one IOS revert-timer minute lasts --arg SECONDS (default 1)",
                              lambda r, a: set_minute(r, float(a or 1)),
                              lambda r, a: set_minute(r, r.spec.minute_s)),
    "wrap32": FaultKind("32-bit counters wrap soon (--arg SECONDS, default 30)",
                        lambda r, a: snmp.wrap_counters_soon(r, float(a or 30)),
                        lambda r, a: snmp.clear_counter_wrap(r)),
    "no-hc": FaultKind("the agent serves no 64-bit ifHC counters",
                       lambda r, a: snmp.set_no_hc(r, True), lambda r, a: snmp.set_no_hc(r, False)),
    "interface-down": FaultKind("an interface goes operationally down (--arg IFNAME)",
                                lambda r, a: snmp.set_interface_down(r, _need(a, "IFNAME")),
                                lambda r, a: snmp.set_interface_down(r, _need(a, "IFNAME"), False)),
    "renumber": FaultKind("every ifIndex moves (--arg SHIFT, default 100)",
                          lambda r, a: snmp.renumber_if_index(r, int(a or 100)),
                          lambda r, a: snmp.renumber_if_index(r, 0)),
}  # fmt: skip


def set_fault(router: LabRouter, kind: str, on: bool = True, arg: str | None = None) -> None:
    """Switch fault ``kind`` on or off on ``router``.

    Raises:
        LabError: unknown fault, or a missing/invalid argument.
    """
    fault = FAULTS.get(kind)
    if fault is None:
        raise LabError(f"unknown fault {kind!r}: one of {', '.join(FAULTS)}")
    try:
        (fault.on if on else fault.off)(router, arg)
    except ValueError as exc:
        raise LabError(f"fault {kind}: bad --arg {arg!r}: {exc}") from None


def reset_faults(router: LabRouter) -> None:
    """Every switch off (a reboot that happened stays in the counters' history)."""
    snmp.reset_snmp_faults(router)
    router.faults.reset()
    set_minute(router, router.spec.minute_s)


def active_faults(router: LabRouter) -> list[str]:
    """Names of the switches that are on, for ``lab status``."""
    f = router.faults
    flags = {"refuse-auth": f.refuse_auth, "hang-after-login": f.hang_after_login,
             "drop-mid-config": f.drop_after_config_lines is not None,
             "slow": f.reply_delay_s > 0, "snmp-timeout": f.snmp_timeout, "no-hc": f.snmp_no_hc,
             "renumber": f.snmp_if_index_shift != 0,
             "short-minute": getattr(router.config, "minute_s", 60.0) != 60.0}  # fmt: skip
    down = [i.name for i in router.spec.interfaces if not i.oper_up]
    return [k for k, v in flags.items() if v] + [f"interface-down {n}" for n in down]
