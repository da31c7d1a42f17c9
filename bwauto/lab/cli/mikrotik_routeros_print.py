"""What RouterOS ``print`` and ``export`` show for the simulated router. Pure functions."""

from __future__ import annotations

import time

from bwauto.lab.cli.mikrotik_routeros_config import (
    BOARD,
    ROS_VERSION,
    RosInterface,
    RosQueue,
    RosScheduler,
    RouterOsConfig,
    format_ros_rate,
    format_ros_time,
    quote_value,
)

POLICY = "ftp,reboot,read,write,policy,test,password,sniff,sensitive,romon"
_QUOTED = {"name", "packet-marks", "default-name", "type", "owner", "on-event", "comment"}


def _pair(values: tuple[int, int]) -> str:
    return f"{format_ros_rate(values[0])}/{format_ros_rate(values[1])}"


def ros_date(when: float) -> tuple[str, str]:
    """(date, time) as RouterOS 7.10+ prints them, in UTC."""
    t = time.gmtime(when)
    return time.strftime("%Y-%m-%d", t), time.strftime("%H:%M:%S", t)


def queue_props(q: RosQueue) -> dict[str, str]:
    """A simple queue's properties as ``print`` shows them (unquoted)."""
    return {
        "name": q.name,
        "target": q.target,
        "parent": "none",
        "packet-marks": "",
        "priority": f"{q.priority[0]}/{q.priority[1]}",
        "queue": "default-small/default-small",
        "limit-at": _pair(q.limit_at),
        "max-limit": _pair(q.max_limit),
        "burst-limit": _pair(q.burst_limit),
        "burst-threshold": _pair(q.burst_threshold),
        "burst-time": "/".join(format_ros_time(t) for t in q.burst_time),
        "bucket-size": "0.1/0.1",
    }


def interface_props(i: RosInterface) -> dict[str, str]:
    """An interface's properties as ``print detail`` shows them."""
    return {
        "name": i.name,
        "default-name": i.default_name,
        "type": i.type,
        "mtu": "1500",
        "actual-mtu": "1500",
        "l2mtu": "1580" if i.type == "ether" else "1576",
        "max-l2mtu": "10218",
        "mac-address": i.mac,
        "link-downs": "0",
    }


def scheduler_props(s: RosScheduler, config: RouterOsConfig) -> dict[str, str]:
    """A scheduler entry's properties as ``print detail`` shows them."""
    start_date, start_time = ros_date(s.start)
    props = {
        "name": s.name,
        "start-date": start_date,
        "start-time": "startup" if s.at_startup else start_time,
        "interval": format_ros_time(s.interval_s),
        "on-event": s.on_event,
        "owner": s.owner,
        "policy": POLICY,
        "run-count": str(s.run_count),
    }
    if s.at_startup:
        del props["start-date"]
    if s.next_run is not None and not s.disabled:
        props["next-run"] = " ".join(ros_date(s.next_run))
    return props


def _show(key: str, value: str) -> str:
    if key in _QUOTED:
        return key + "=" + '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{key}={value}" if value else f'{key}=""'


def detail_entry(index: int, flags: str, comment: str, props: dict[str, str], width: int) -> str:
    """One entry of ``print detail``: number, flags, ``;;; comment``, wrapped ``key=value``."""
    head = f"{index:>2} {flags:<2} "
    lines, current = [], head
    if comment:
        lines.append(f"{head};;; {comment}")
        current = " " * len(head)
    for item in (_show(k, v) for k, v in props.items()):
        if current.strip() and len(current) + len(item) + 1 > width:
            lines.append(current)
            current = " " * len(head)
        current += item + " "
    return "\n".join([*lines, current])


def print_queues(queues: list[RosQueue], width: int) -> str:
    """``/queue simple print [detail]`` (RouterOS shows simple queues in detail form)."""
    head = "Flags: X - disabled, I - invalid; D - dynamic "
    entries = [
        detail_entry(n, "X" if q.disabled else "", q.comment, queue_props(q), width)
        for n, q in enumerate(queues)
    ]
    return "\n".join([head, *entries])


def _table(columns: list[str], rows: list[tuple[str, list[str]]], right: set[str]) -> list[str]:
    widths = [max([len(c), *(len(r[1][i]) for r in rows)]) for i, c in enumerate(columns)]

    def cell(i: int, text: str) -> str:
        return text.rjust(widths[i]) if columns[i] in right else text.ljust(widths[i])

    lines = [" #    " + "  ".join(cell(i, c) for i, c in enumerate(columns))]
    for n, (flags, cells) in enumerate(rows):
        lines.append(f"{n:>2} {flags:<2} " + "  ".join(cell(i, c) for i, c in enumerate(cells)))
    return [line.rstrip() for line in lines]


def print_interfaces(items: list[RosInterface], detail: bool, width: int) -> str:
    """``/interface print [detail]``."""

    def flags(i: RosInterface) -> str:
        return "X" if i.disabled else ("R" if i.running else "")

    if detail:
        head = "Flags: D - dynamic; X - disabled, R - running; S - slave; P - passthrough "
        body = [
            detail_entry(n, flags(i), i.comment, interface_props(i), width)
            for n, i in enumerate(items)
        ]
        return "\n".join([head, *body])
    columns = ["NAME", "TYPE", "ACTUAL-MTU", "L2MTU", "MAX-L2MTU", "MAC-ADDRESS"]
    rows = []
    for i in items:
        props = interface_props(i)
        rows.append((flags(i), [i.name, i.type, "1500", props["l2mtu"], "10218", i.mac]))
    lines = ["Flags: R - RUNNING; X - DISABLED", "Columns: " + ", ".join(columns)]
    return "\n".join(lines + _table(columns, rows, {"ACTUAL-MTU", "L2MTU", "MAX-L2MTU"}))


def print_schedulers(
    config: RouterOsConfig, items: list[RosScheduler], detail: bool, width: int
) -> str:
    """``/system scheduler print [detail]``."""
    if detail:
        body = [
            detail_entry(n, "X" if s.disabled else "", s.comment, scheduler_props(s, config), width)
            for n, s in enumerate(items)
        ]
        return "\n".join(["Flags: X - disabled ", *body])
    columns = ["NAME", "START-DATE", "START-TIME", "INTERVAL", "ON-EVENT", "RUN-COUNT"]
    rows = []
    for s in items:
        p = scheduler_props(s, config)
        event = s.on_event if len(s.on_event) <= 40 else s.on_event[:37] + "..."
        cells = [
            s.name,
            p.get("start-date", ""),
            p["start-time"],
            p["interval"],
            event,
            p["run-count"],
        ]
        rows.append(("X" if s.disabled else "", cells))
    head = ["Flags: X - disabled", "Columns: " + ", ".join(columns)]
    return "\n".join(head + _table(columns, rows, {"RUN-COUNT"}))


def print_resource(config: RouterOsConfig, uptime_s: float) -> str:
    """``/system resource print``."""
    values = {
        "uptime": format_ros_time(int(uptime_s)),
        "version": f"{ROS_VERSION} (stable)",
        "build-time": "2023-11-17 11:38:45",
        "factory-software": "7.1",
        "free-memory": "845.3MiB",
        "total-memory": "1024.0MiB",
        "cpu": "ARMv7",
        "cpu-count": "4",
        "cpu-frequency": "1400MHz",
        "cpu-load": "1%",
        "free-hdd-space": "425.2MiB",
        "total-hdd-space": "512.0MiB",
        "write-sect-since-reboot": "1234",
        "write-sect-total": "56789",
        "bad-blocks": "0%",
        "architecture-name": "arm",
        "board-name": BOARD,
        "platform": "MikroTik",
    }
    return "\n".join(f"{k:>25}: {v}" for k, v in values.items())


def _args(props: list[tuple[str, str]]) -> str:
    return " ".join(f"{k}={quote_value(v)}" for k, v in sorted(props))


def _queue_export(q: RosQueue) -> str:
    props = [("name", q.name), ("target", q.target), ("max-limit", _pair(q.max_limit))]
    for key, value, default in (
        ("limit-at", q.limit_at, (0, 0)),
        ("burst-limit", q.burst_limit, (0, 0)),
        ("burst-threshold", q.burst_threshold, (0, 0)),
    ):
        if value != default:
            props.append((key, _pair(value)))
    if q.burst_time != (0, 0):
        props.append(("burst-time", "/".join(format_ros_time(t) for t in q.burst_time)))
    if q.priority != (8, 8):
        props.append(("priority", f"{q.priority[0]}/{q.priority[1]}"))
    props += [("comment", q.comment)] if q.comment else []
    props += [("disabled", "yes")] if q.disabled else []
    return "add " + _args(props)


def _scheduler_export(s: RosScheduler) -> str:
    date, clock = ros_date(s.start)
    props = [
        ("name", s.name),
        ("interval", format_ros_time(s.interval_s)),
        ("on-event", s.on_event),
        ("policy", POLICY),
        *([] if s.at_startup else [("start-date", date)]),
        ("start-time", "startup" if s.at_startup else clock),
    ]
    props += [("comment", s.comment)] if s.comment else []
    props += [("disabled", "yes")] if s.disabled else []
    return "add " + _args(props)


def export_sections(config: RouterOsConfig, menu: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """(section path, lines) of ``export`` for the whole config or one menu."""
    interfaces = [
        f"set [ find default-name={i.default_name} ] "
        + _args([("comment", i.comment)] * bool(i.comment) + [("disabled", "yes")] * i.disabled)
        for i in config.interfaces
        if i.comment or i.disabled
    ]
    sections = [
        ("/interface ethernet", interfaces),
        ("/queue simple", [_queue_export(q) for q in config.queues]),
        (
            "/snmp community",
            [f"set [ find default=yes ] name={quote_value(config.snmp_community)}"],
        ),
        ("/system identity", [f"set name={quote_value(config.identity)}"]),
        ("/system scheduler", [_scheduler_export(s) for s in config.schedulers]),
    ]
    prefix = "/" + " ".join(menu)
    chosen = [s for s in sections if s[0].startswith(prefix) or prefix == "/"]
    return [(path, lines) for path, lines in chosen if lines]


def export(config: RouterOsConfig, menu: tuple[str, ...], terse: bool, width: int) -> str:
    """``[/menu] export [terse]`` with the usual header comment."""
    date, clock = ros_date(config.clock())
    out = [
        f"# {date} {clock} by RouterOS {ROS_VERSION}",
        "# software id = 8XK2-QL9T",
        "#",
        f"# model = {BOARD}",
        f"# serial number = {config.serial}",
    ]
    for path, lines in export_sections(config, menu):
        if terse:
            out += [f"{path} {line}" for line in lines]
        else:
            out.append(path)
            out += [_wrap_export(line, width) for line in lines]
    return "\n".join(out)


def _wrap_export(line: str, width: int) -> str:
    words, lines, current = line.split(" "), [], ""
    for word in words:
        if current and len(current) + len(word) + 3 > width:
            lines.append(current + " \\")
            current = "    " + word
        else:
            current = f"{current} {word}" if current else word
    return "\n".join([*lines, current])
