"""Pure helpers of the poller: interface-name matching, error wording, speeds. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from netutils.interface import canonical_interface_name

from bwauto.snmp.models import PollTarget

#: pysnmp error indications (their ``str``) that mean the router refused our SNMPv3 identity.
_V3_REFUSALS = {
    "unknownUserName": "SNMPv3 user unknown to the router",
    "wrongDigest": "wrong SNMPv3 authentication key or protocol",
    "authenticationFailure": "wrong SNMPv3 authentication key or protocol",
    "decryptionError": "wrong SNMPv3 privacy key or protocol",
    "unsupportedSecLevel": "the router does not allow authPriv for this user",
    "unknownSecurityName": "SNMPv3 user unknown to the router",
}


def _canonical(name: str) -> str:
    return canonical_interface_name(name).lower()


def match_if_indexes(
    wanted: Iterable[str], names: Mapping[int, str], descrs: Mapping[int, str] | None = None
) -> dict[str, int]:
    """ifIndex of each wanted interface name that can be found, exact matches first.

    Tries, in order: exact ifName, exact ifDescr, then both compared in netutils' canonical
    form (so ``GigabitEthernet0/0/1.100`` finds Cisco's ifName ``Gi0/0/1.100``). A canonical
    form that fits two interfaces is ambiguous and matches neither.

    Examples:
        >>> match_if_indexes(["Gi0/0/1", "GigabitEthernet0/0/2", "ether9"],
        ...                  {1: "Gi0/0/1", 2: "Gi0/0/2"})
        {'Gi0/0/1': 1, 'GigabitEthernet0/0/2': 2}
    """
    descrs = descrs or {}
    exact: dict[str, int] = {}
    canonical: dict[str, set[int]] = {}
    for table in (descrs, names):  # names last, so an exact ifName wins over an ifDescr
        for index, name in table.items():
            exact[name] = index
    for table in (names, descrs):
        for index, name in table.items():
            canonical.setdefault(_canonical(name), set()).add(index)
    found: dict[str, int] = {}
    for want in wanted:
        if want in exact:
            found[want] = exact[want]
        elif len(candidates := canonical.get(_canonical(want), set())) == 1:
            found[want] = next(iter(candidates))
    return found


def timeout_message(target: PollTarget) -> str:
    """What to say when a router never answered.

    Examples:
        >>> target = PollTarget("r1", "127.0.0.1", (), 16001, community="x", retries=1)
        >>> timeout_message(target)  # doctest: +NORMALIZE_WHITESPACE
        'r1 (127.0.0.1:16001): no SNMP answer within 2 s x 2 tries
         (agent down, filtered, or wrong community)'
    """
    why = "agent down or filtered" if target.v3 else "agent down, filtered, or wrong community"
    within = f"within {target.timeout_s:g} s x {target.tries} tries"
    return f"{target.where}: no SNMP answer {within} ({why})"


def indication_message(target: PollTarget, indication: object) -> str:
    """One line for a pysnmp error indication (timeout, refused credentials, anything else)."""
    key = type(indication).__name__[:1].lower() + type(indication).__name__[1:]
    if key == "requestTimedOut":
        return timeout_message(target)
    if key in _V3_REFUSALS and target.v3 is not None:
        why = f"{_V3_REFUSALS[key]} (user {target.v3.user!r})"
        return f"{target.where}: wrong community/credentials: {why}"
    return f"{target.where}: SNMP error: {indication}"


def speed_bps(high_speed: int | None, if_speed: int | None) -> int:
    """Interface speed from ifHighSpeed (Mbit/s) or, when absent or 0, ifSpeed (bit/s).

    Examples:
        >>> speed_bps(10_000, 4_294_967_295), speed_bps(0, 100_000_000), speed_bps(None, None)
        (10000000000, 100000000, 0)
    """
    if high_speed:
        return high_speed * 1_000_000
    return if_speed or 0
