"""What the ``show`` commands of a simulated IOS router print. Pure functions of ``IosConfig``.

Formats follow IOS 15.x closely enough that NAPALM's ios driver (regex parsing in
``get_facts``, ``get_interfaces``, ``get_config``) and ntc-templates read the right values.
"""

from __future__ import annotations

import re
import time

from bwauto.lab.cli.base import CliCommandError, CliParseError, ParseFailure, Token, split_words
from bwauto.lab.cli.cisco_ios_config import (
    IOS_VERSION,
    IosConfig,
    IosInterface,
    PolicyMap,
    render_interface,
)

MODEL = "CISCO2911/K9"
_FILTERS = ("include", "exclude", "begin", "section")
_UNITS = (("year", 365 * 86400), ("week", 7 * 86400), ("day", 86400), ("hour", 3600))


def format_uptime(seconds: float) -> str:
    """IOS uptime wording.

    Examples:
        >>> format_uptime(9 * 86400 + 3 * 3600 + 4 * 60 + 5)
        '1 week, 2 days, 3 hours, 4 minutes'
        >>> format_uptime(59)
        '0 minutes'
    """
    left, parts = int(max(seconds, 0)), []
    for name, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    minutes = left // 60
    parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return ", ".join(parts)


def ios_timestamp(when: float) -> str:
    """IOS clock wording in UTC, e.g. ``10:00:00 UTC Mon Jan 1 2024``."""
    t = time.gmtime(when)
    return time.strftime("%H:%M:%S UTC %a %b ", t) + f"{t.tm_mday} {t.tm_year}"


def serial_number(config: IosConfig) -> str:
    """A stable chassis serial derived from the hostname."""
    number = sum(ord(c) * (i + 7) for i, c in enumerate(config.hostname)) % 10**7
    return f"FTX{number:07d}"


def show_version(config: IosConfig, uptime_s: float) -> str:
    """``show version``."""
    physical = [i for i in config.interfaces.values() if i.parent is None]
    gig = sum(1 for i in physical if i.name.startswith("GigabitEthernet"))
    return _VERSION.format(
        version=IOS_VERSION,
        hostname=config.hostname,
        uptime=format_uptime(uptime_s),
        model=MODEL,
        serial=serial_number(config),
        gig=gig,
    )


def show_hosts(config: IosConfig) -> str:
    """``show hosts`` (NAPALM reads the default domain from it)."""
    return _HOSTS.format(domain=config.domain_name)


def _status(iface: IosInterface) -> tuple[str, str]:
    if iface.shutdown:
        return "administratively down", "down"
    return ("up", "up") if iface.oper_up else ("down", "down")


def show_ip_interface_brief(config: IosConfig) -> str:
    """``show ip interface brief``."""
    lines = [f"{'Interface':<27}{'IP-Address':<16}OK? Method {'Status':<22}Protocol"]
    for iface in config.interfaces.values():
        status, proto = _status(iface)
        addr = iface.ip_address[0] if iface.ip_address else "unassigned"
        lines.append(f"{iface.name:<27}{addr:<16}YES NVRAM  {status:<22}{proto:<8}")
    return "\n".join(lines)


def _prefix_len(mask: str) -> int:
    return sum(bin(int(octet)).count("1") for octet in mask.split("."))


def show_interface(iface: IosInterface) -> str:
    """One interface of ``show interfaces``."""
    status, proto = _status(iface)
    lines = [
        f"{iface.name} is {status}, line protocol is {proto} ",
        f"  Hardware is iGbE, address is {iface.mac} (bia {iface.mac})",
    ]
    if iface.description:
        lines.append(f"  Description: {iface.description}")
    if iface.ip_address:
        lines.append(
            f"  Internet address is {iface.ip_address[0]}/{_prefix_len(iface.ip_address[1])}"
        )
    lines += [
        f"  MTU 1500 bytes, BW {iface.speed_bps // 1000} Kbit/sec, DLY 10 usec, ",
        "     reliability 255/255, txload 1/255, rxload 1/255",
    ]
    if iface.vlan is not None:
        lines.append(f"  Encapsulation 802.1Q Virtual LAN, Vlan ID  {iface.vlan}.")
        lines += ["  ARP type: ARPA, ARP Timeout 04:00:00", "  Keepalive not supported "]
        return "\n".join([*lines, '  Last clearing of "show interface" counters never'])
    speed = (
        f"{iface.speed_bps // 1_000_000_000}Gbps"
        if iface.speed_bps >= 10**9
        else f"{iface.speed_bps // 10**6}Mbps"
    )
    lines += [
        "  Encapsulation ARPA, loopback not set",
        "  Keepalive set (10 sec)",
        f"  Full Duplex, {speed}, media type is RJ45",
        "  output flow-control is unsupported, input flow-control is unsupported",
        "  ARP type: ARPA, ARP Timeout 04:00:00",
        "  Last input 00:00:00, output 00:00:00, output hang never",
        '  Last clearing of "show interface" counters never',
        "  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: 0",
        "  Queueing strategy: " + ("Class-based queueing" if iface.policy_out else "fifo"),
        "  Output queue: 0/40 (size/max)",
        "  5 minute input rate 0 bits/sec, 0 packets/sec",
        "  5 minute output rate 0 bits/sec, 0 packets/sec",
        "     0 packets input, 0 bytes, 0 no buffer",
        "     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored",
        "     0 packets output, 0 bytes, 0 underruns",
        "     0 output errors, 0 collisions, 0 interface resets",
    ]
    return "\n".join(lines)


def show_interfaces(config: IosConfig, name: str | None = None) -> str:
    """``show interfaces [NAME]``."""
    chosen = [config.interfaces[name]] if name else list(config.interfaces.values())
    return "\n".join(show_interface(i) for i in chosen)


def _class_stats(policy: PolicyMap) -> list[str]:
    lines: list[str] = []
    for name, cls in policy.classes.items():
        lines += [
            f"    Class-map: {name} (match-any)  ",
            "      0 packets, 0 bytes",
            "      5 minute offered rate 0000 bps, drop rate 0000 bps",
            "      Match: any ",
        ]
        if cls.shape_average is not None:
            bc = cls.shape_average // 250
            lines += [
                "      Queueing",
                "      queue limit 64 packets",
                "      (queue depth/total drops/no-buffer drops) 0/0/0",
                "      (pkts output/bytes output) 0/0",
                f"      shape (average) cir {cls.shape_average}, bc {bc}, be {bc}",
                f"      target shape rate {cls.shape_average}",
            ]
        if cls.police_cir is not None:
            lines += [
                "      police:",
                f"          cir {cls.police_cir} bps, bc {max(cls.police_cir // 32, 1500)} bytes",
                f"        conform-action {cls.conform_action} ",
                f"        exceed-action {cls.exceed_action} ",
            ]
        lines.append("")
    return lines


def show_policy_map_interface(config: IosConfig, name: str | None = None) -> str:
    """``show policy-map interface [NAME]``."""
    chosen = [config.interfaces[name]] if name else list(config.interfaces.values())
    lines: list[str] = []
    for iface in chosen:
        attached = [
            (d, p) for d, p in (("input", iface.policy_in), ("output", iface.policy_out)) if p
        ]
        if not attached:
            continue
        lines += [f" {iface.name} ", ""]
        for direction, policy in attached:
            lines += [f"  Service-policy {direction}: {policy}", ""]
            found = config.policy_maps.get(policy)
            lines += _class_stats(found) if found else []
    return "\n".join(lines).rstrip("\n")


def show_policy_map(config: IosConfig, name: str | None = None) -> str:
    """``show policy-map [NAME]``."""
    chosen = [config.policy_maps[name]] if name else list(config.policy_maps.values())
    lines: list[str] = []
    for policy in chosen:
        lines.append(f"  Policy Map {policy.name}")
        for cls_name, cls in policy.classes.items():
            lines.append(f"    Class {cls_name}")
            if cls.shape_average is not None:
                lines += [
                    "      Average Rate Traffic Shaping",
                    f"      cir {cls.shape_average} (bps)",
                ]
            if cls.police_cir is not None:
                lines.append(
                    f"      police cir {cls.police_cir} bc {max(cls.police_cir // 32, 1500)}"
                )
                lines.append(f"        conform-action {cls.conform_action} ")
                lines.append(f"        exceed-action {cls.exceed_action} ")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def show_running_config(config: IosConfig, interface: str | None = None) -> str:
    """``show running-config [interface NAME]`` with IOS's header lines."""
    if interface is not None:
        body = render_interface(config.interfaces[interface]) + "end\n"
        return f"Building configuration...\n\nCurrent configuration : {len(body)} bytes\n!\n{body}"
    body = config.render()
    change = f"! Last configuration change at {ios_timestamp(config.last_change)}"
    if config.last_change_by:
        change += f" by {config.last_change_by}"
    head = f"!\n{change}\n"
    if config.saved_at is not None:
        head += f"! NVRAM config last updated at {ios_timestamp(config.saved_at)}\n"
    body = head + "!\n" + body
    return f"Building configuration...\n\nCurrent configuration : {len(body)} bytes\n{body}"


def show_startup_config(config: IosConfig) -> str:
    """``show startup-config``."""
    body = config.startup_text
    saved = ios_timestamp(config.saved_at or config.clock())
    head = f"Using {len(body)} out of 262136 bytes\n!\n! NVRAM config last updated at {saved}\n"
    return f"{head}!\n{body}"


def apply_filter(text: str, kind: str, pattern: str) -> str:
    """IOS output modifiers: ``include``, ``exclude``, ``begin``, ``section``.

    Raises:
        CliCommandError: if ``pattern`` is not a valid regular expression.

    Examples:
        >>> apply_filter("a\\n b\\nc\\n d", "section", "^c")
        'c\\n d'
    """
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise CliCommandError(f"% Invalid regular expression: {exc}") from exc
    lines = text.splitlines()
    if kind == "include":
        return "\n".join(line for line in lines if regex.search(line))
    if kind == "exclude":
        return "\n".join(line for line in lines if not regex.search(line))
    if kind == "begin":
        start = next((i for i, line in enumerate(lines) if regex.search(line)), len(lines))
        return "\n".join(lines[start:])
    return "\n".join(_sections(lines, regex))


def parse_modifier(text: str, offset: int) -> tuple[str, str]:
    """Parse an output modifier (``include REGEX``...) typed at column ``offset``."""
    words = [Token(t.text, t.column + offset) for t in split_words(text)]
    if len(words) < 2:
        raise CliParseError(ParseFailure.INCOMPLETE, offset + len(text.rstrip()))
    kinds = [k for k in _FILTERS if k.startswith(words[0].text.lower())]
    if len(kinds) != 1:
        raise CliParseError(ParseFailure.UNKNOWN, words[0].column, words[0].text)
    return kinds[0], text[words[1].column - offset :].strip()


def parse_error_text(exc: CliParseError, line: str, prompt: str) -> str:
    """IOS's wording of a parse error, with the caret counted from the start of the prompt."""
    if exc.kind is ParseFailure.INCOMPLETE:
        return "% Incomplete command.\n\n"
    if exc.kind is ParseFailure.AMBIGUOUS:
        return f'% Ambiguous command:  "{line.strip()}"\n'
    caret = " " * (len(prompt) + exc.column) + "^"
    return f"{caret}\n% Invalid input detected at '^' marker.\n\n"


def _sections(lines: list[str], regex: re.Pattern[str]) -> list[str]:
    blocks: list[list[str]] = []
    for line in lines:
        if line.startswith(" ") and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return [line for block in blocks if any(regex.search(x) for x in block) for line in block]


_VERSION = (
    (
        "Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version {version}, "
        "RELEASE SOFTWARE (fc1)\n"
    )
    + """Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2019 by Cisco Systems, Inc.
Compiled Wed 30-Jan-19 03:18 by prod_rel_team

ROM: System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE (fc1)

{hostname} uptime is {uptime}
System returned to ROM by power-on
System image file is "flash0:c2900-universalk9-mz.SPA.157-3.M5.bin"
Last reload type: Normal Reload
Last reload reason: power-on

Cisco {model} (revision 1.0) with 479232K/45056K bytes of memory.
Processor board ID {serial}
{gig} Gigabit Ethernet interfaces
DRAM configuration is 64 bits wide with parity disabled.
255K bytes of non-volatile configuration memory.
250880K bytes of ATA System CompactFlash 0 (Read/Write)

Configuration register is 0x2102
"""
)
_HOSTS = """Default domain is {domain}
Name/address lookup uses static mappings

Codes: UN - unknown, EX - expired, OK - OK, ?? - revalidate
       temp - temporary, perm - permanent
       NA - Not Applicable None - Not defined

Host                      Port  Flags      Age Type   Address(es)
"""
