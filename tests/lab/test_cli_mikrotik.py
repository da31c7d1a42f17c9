"""Pure tests of the simulated MikroTik RouterOS CLI (no sockets): prompt and menus, queues,
errors in RouterOS's words, exports, the scheduler as commit-confirm (injected clock)."""

from __future__ import annotations

import time

import pytest

from bwauto.lab.cli import get_platform, make_router
from bwauto.lab.cli.base import SessionEnd, Terminal
from bwauto.lab.cli.mikrotik_routeros import (
    RouterOsSession,
    RouterOsShell,
    login_user,
    login_width,
)
from bwauto.lab.cli.mikrotik_routeros_config import (
    RouterOsConfig,
    format_ros_rate,
    parse_rate_pair,
    parse_ros_rate,
    parse_ros_time,
)
from bwauto.lab.cli.mikrotik_routeros_syntax import (
    RouterOsError,
    split_statements,
    tokenize,
    unquote,
)
from bwauto.lab.model import LabInterface, LabLink, LabRouter, LabRouterSpec

BOOT = 1_764_288_000.0  # 2025-11-28 00:00:00 UTC
G = 1_000_000_000


class FakeClock:
    def __init__(self) -> None:
        self.now = BOOT

    def __call__(self) -> float:
        return self.now


class CountingTraffic:
    def __init__(self) -> None:
        self.calls = 0

    def advance(self, now: float) -> None:
        self.calls += 1


def ros_spec() -> LabRouterSpec:
    return LabRouterSpec(
        name="r2",
        platform="mikrotik_routeros",
        interfaces=(
            LabInterface("ether1", 1, G, "uplink"),
            LabInterface("ether2", 2, G),
            LabInterface("vlan110", 3, G),
        ),
        links=(
            LabLink("dinkes", "vlan110", "q-dinkes", 50_000_000, 100_000_000),
            LabLink("disdik", "ether2", "q-disdik", 10_000_000, 30_000_000),
        ),
        username="netops",
        password="s3cret",
    )


class Cli:
    def __init__(self, router: LabRouter, login: str = "netops+ct511w4098h") -> None:
        self.session = RouterOsSession(router, login)
        self.terminal = Terminal(self.session)
        self.banner = "".join(c.text for c in self.terminal.start()).replace("\r\n", "\n")
        self.last_end = SessionEnd.NONE

    def out(self, line: str) -> str:
        """The reply to one line, without echo and prompt."""
        chunks = self.terminal.feed(line + "\r\n")
        self.last_end = chunks[-1].end
        text = "".join(c.text for c in chunks).replace("\r\n", "\n")
        body = text.split("\n", 1)[1] if "\n" in text else ""
        return body.removesuffix(self.session.prompt()).rstrip("\n")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def router(clock: FakeClock) -> LabRouter:
    return make_router(ros_spec(), clock)


@pytest.fixture
def cli(router: LabRouter) -> Cli:
    return Cli(router)


def limits(router: LabRouter) -> dict[str, tuple[int | None, int | None]]:
    return router.config.shaper_limits()


def test_boot_queues_cap_upload_as_ingress_and_download_as_egress(router: LabRouter) -> None:
    assert limits(router) == {
        "ether1": (None, None),
        "ether2": (10_000_000, 30_000_000),
        "vlan110": (50_000_000, 100_000_000),
    }


def test_netmiko_login_suffix_is_stripped_and_sets_the_width() -> None:
    assert login_user("admin+ct511w4098h") == "admin"
    assert login_user("admin+cte") == "admin"
    assert login_width("admin+ct511w4098h") == 511
    assert login_width("admin") == 80
    assert get_platform("mikrotik_routeros").login_user("netops+c") == "netops"


def test_banner_prompt_and_menus(cli: Cli) -> None:
    assert "MikroTik RouterOS 7.12.1" in cli.banner
    assert cli.banner.endswith("[netops@r2] > ")
    assert cli.out("/queue simple") == ""
    assert cli.session.prompt() == "[netops@r2] /queue simple> "
    assert 'name="q-disdik"' in cli.out("print")
    assert cli.out("frobnicate") == "bad command name frobnicate (line 1 column 1)"
    assert "add comment=" in cli.out("export")
    cli.out("..")
    assert cli.session.prompt() == "[netops@r2] /queue> "
    cli.out("/")
    assert cli.session.prompt() == "[netops@r2] > "


def test_identity_print_and_set_changes_the_prompt(cli: Cli) -> None:
    assert cli.out("/system identity print") == "  name: r2"
    cli.out("/system identity set name=edge-2")
    assert cli.session.prompt() == "[netops@edge-2] > "
    assert "set name=edge-2" in cli.out("/export")


def test_system_resource_shows_uptime_from_boot(cli: Cli, clock: FakeClock) -> None:
    clock.now = BOOT + 90061
    resource = cli.out("/system resource print")
    assert "                   uptime: 1d1h1m1s" in resource
    assert "board-name: RB4011iGS+" in resource
    assert "version: 7.12.1 (stable)" in resource


def test_interface_print_detail_and_admin_state(cli: Cli, router: LabRouter) -> None:
    table = cli.out("/interface print").split("\n")
    assert table[2].split() == [
        "#",
        "NAME",
        "TYPE",
        "ACTUAL-MTU",
        "L2MTU",
        "MAX-L2MTU",
        "MAC-ADDRESS",
    ]
    assert table[2].index("NAME") == table[3].index("ether1")
    assert ";;; uplink" in cli.out("/interface print detail")
    traffic = CountingTraffic()
    router.traffic = traffic
    cli.out("/interface disable ether2")
    assert not router.config.interface_enabled("ether2")
    assert " 1 X  ether2" in cli.out("/interface print")
    cli.out("/interface set [find name=ether2] disabled=no")
    assert router.config.interface_enabled("ether2")
    assert traffic.calls == 2


def test_queue_print_forms(cli: Cli) -> None:
    full = cli.out("/queue simple print")
    assert full.startswith("Flags: X - disabled, I - invalid; D - dynamic")
    assert " 0    ;;; OPD link dinkes" in full
    assert "max-limit=50M/100M" in full and "max-limit=10M/30M" in full
    one = cli.out('/queue simple print detail where name="q-disdik"')
    assert "q-dinkes" not in one and " 0    ;;; OPD link disdik" in one
    assert cli.out("/queue simple print where name=q-dinkes").count("name=") == 1
    assert cli.out("/queue simple print count-only where target=ether2") == "1"
    assert cli.out('/queue simple print where name~"^q-d"').count("name=") == 2


def test_narrow_terminal_wraps_detail_lines(router: LabRouter) -> None:
    cli = Cli(router, "netops")
    lines = cli.out("/queue simple print").split("\n")
    assert max(len(line) for line in lines) <= 81
    assert lines[2].startswith("      name=") and lines[3].startswith("      ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("60M/120M", (60_000_000, 120_000_000)),
        ("512k/1M", (512_000, 1_000_000)),
        ("2000000/4000000", (2_000_000, 4_000_000)),
        ("25M", (25_000_000, 25_000_000)),
        ("1G/1.5G", (G, 1_500_000_000)),
    ],
)
def test_set_max_limit_in_routeros_syntax(
    cli: Cli, router: LabRouter, value: str, expected: tuple[int, int]
) -> None:
    traffic = CountingTraffic()
    router.traffic = traffic
    assert cli.out(f'/queue simple set [find name="q-dinkes"] max-limit={value}') == ""
    assert limits(router)["vlan110"] == expected
    assert traffic.calls == 1


def test_set_by_number_name_and_burst_settings(cli: Cli, router: LabRouter) -> None:
    cli.out("/queue simple print")
    cli.out("/queue simple set 1 max-limit=11M/33M")
    assert limits(router)["ether2"] == (11_000_000, 33_000_000)
    cli.out(
        "/queue simple set q-disdik burst-limit=20M/60M burst-threshold=8M/24M burst-time=16s/16s"
    )
    detail = cli.out("/queue simple print detail where name=q-disdik")
    assert "burst-limit=20M/60M burst-threshold=8M/24M burst-time=16s/16s" in detail
    cli.out("/queue simple set q-disdik max-limit=0/0")
    assert limits(router)["ether2"] == (None, None)


def test_empty_find_changes_nothing_silently(cli: Cli, router: LabRouter) -> None:
    assert cli.out('/queue simple set [find name="nope"] max-limit=1M/1M') == ""
    assert limits(router)["ether2"] == (10_000_000, 30_000_000)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/queue simple foo", "bad command name foo (line 1 column 15)"),
        ("/queue simpel print", "bad command name simpel (line 1 column 8)"),
        ("/queue simple set nope max-limit=1M", "no such item"),
        ("/queue simple set 9 max-limit=1M", "no such item"),
        ("/queue simple set q-disdik max-limit=fast", "invalid value for argument max-limit"),
        ("/queue simple set q-disdik max-limit=1M/x", "invalid value for argument max-limit"),
        ("/queue simple set q-disdik colour=red", "expected end of command (line 1 column 28)"),
        (
            "/queue simple set q-disdik q-dinkes max-limit=1M",
            "expected end of command (line 1 column 28)",
        ),
        ('/queue simple set [find name="q-disdik" max-limit=1M', "syntax error (line 1 column 53)"),
        ('/queue simple set q-disdik comment="open', "syntax error (line 1 column 41)"),
        ("/queue simple print verbosely", "expected end of command (line 1 column 21)"),
        ("/queue simple add name=q-disdik target=ether1", "failure: already have such name"),
        ("/queue simple add name=q-x target=ether9", "input does not match any value of target"),
        ("/queue simple set max-limit=1M", "missing value(s) of argument(s) numbers"),
    ],
)
def test_errors_are_worded_as_routeros_does(
    cli: Cli, router: LabRouter, line: str, message: str
) -> None:
    before = limits(router)
    assert cli.out(line) == message
    assert limits(router) == before


def test_add_and_remove_queues(cli: Cli, router: LabRouter) -> None:
    traffic = CountingTraffic()
    router.traffic = traffic
    cli.out("/queue simple add name=q-uplink target=ether1 max-limit=512k/1M")
    assert limits(router)["ether1"] == (512_000, 1_000_000)
    cli.out("/queue simple add target=ether1 max-limit=1M/1M")
    assert [q.name for q in router.config.queues][-1] == "queue1"  # type: ignore[attr-defined]
    cli.out('/queue simple remove [find name="q-uplink"]')
    assert limits(router)["ether1"] == (1_000_000, 1_000_000)
    cli.out("/queue simple disable queue1")
    assert limits(router)["ether1"] == (None, None)
    assert traffic.calls == 4


def test_exports_in_routeros_syntax(cli: Cli, router: LabRouter) -> None:
    cli.out('/queue simple set [find name="q-dinkes"] max-limit=50M/150M comment="Dinkes ND 17"')
    queues = cli.out("/queue simple export").split("\n")
    assert queues[0].startswith("# 2025-11-28 00:00:00 by RouterOS 7.12.1")
    assert queues[5:] == [
        "/queue simple",
        'add comment="Dinkes ND 17" max-limit=50M/150M name=q-dinkes target=vlan110',
        'add comment="OPD link disdik" max-limit=10M/30M name=q-disdik target=ether2',
    ]
    terse = cli.out("/queue simple export terse").split("\n")
    line = '/queue simple add comment="Dinkes ND 17" max-limit=50M/150M name=q-dinkes'
    assert terse[5] == f"{line} target=vlan110"
    full = cli.out("/export compact")
    for section in ("/interface ethernet", "/queue simple", "/snmp community", "/system identity"):
        assert f"\n{section}\n" in full
    assert "set [ find default-name=ether1 ] comment=uplink" in full
    cli.out('/queue simple set q-disdik comment="Disdik, raised after review by Kasi and Kabid"')
    narrow = Cli(router, "netops").out("/queue simple export").split("\n")
    assert narrow[-2].endswith(" \\") and narrow[-1].startswith("    ")
    assert all(len(line) <= 80 for line in narrow)


def test_scheduler_commit_confirm_fires_after_interval(
    cli: Cli, router: LabRouter, clock: FakeClock
) -> None:
    cli.out('/queue simple set [find name="q-dinkes"] max-limit=50M/200M')
    restore = '/queue simple set [find name=\\"q-dinkes\\"] max-limit=50M/100M'
    remove = '/system scheduler remove [find name=\\"bwauto-CH-1\\"]'
    cli.out(f'/system scheduler add name=bwauto-CH-1 interval=120s on-event="{restore}; {remove}"')
    config = router.config
    assert isinstance(config, RouterOsConfig)
    assert config.next_deadline() == BOOT + 120
    table = cli.out("/system scheduler print")
    assert "bwauto-CH-1" in table and "2m" in table
    assert "next-run=2025-11-28 00:02:00" in cli.out("/system scheduler print detail")
    clock.now = BOOT + 119
    assert config.run_due(router) == 0
    clock.now = BOOT + 121
    assert "max-limit=50M/100M" in cli.out("/queue simple print where name=q-dinkes")
    assert config.schedulers == [] and config.next_deadline() is None
    assert limits(router)["vlan110"] == (50_000_000, 100_000_000)


def test_scheduler_removed_in_time_never_fires(
    cli: Cli, router: LabRouter, clock: FakeClock
) -> None:
    event = "/queue simple set q-disdik max-limit=1M"
    cli.out(f'/system scheduler add name=guard interval=1m on-event="{event}"')
    cli.out('/system scheduler remove [find name="guard"]')
    clock.now = BOOT + 3600
    assert router.config.run_due(router) == 0  # type: ignore[attr-defined]
    assert limits(router)["ether2"] == (10_000_000, 30_000_000)


def test_repeating_scheduler_runs_each_interval(
    cli: Cli, router: LabRouter, clock: FakeClock
) -> None:
    config = router.config
    assert isinstance(config, RouterOsConfig)
    cli.out('/system scheduler add name=tick interval=10s on-event="/interface disable ether1"')
    for step in (1, 2):
        clock.now = BOOT + 10 * step + 1
        assert config.run_due(router) == 1
    assert config.schedulers[0].run_count == 2
    assert not config.interface_enabled("ether1")
    cli.out("/system scheduler disable tick")
    assert config.next_deadline() is None


def test_scheduler_start_time_and_interval_follow_the_manual(
    cli: Cli, router: LabRouter, clock: FakeClock
) -> None:
    """MikroTik, "Scheduler": start-date/start-time are the first execution, ``interval`` the
    time between two; with ``interval=0`` the script runs only at its start time; a start in
    the past with an interval runs on the start + k * interval grid."""
    config = router.config
    assert isinstance(config, RouterOsConfig)
    now = clock.now = BOOT + 1000  # the lab's router clock is UTC; BOOT is 00:00:00

    def hms(when: float) -> str:
        return time.strftime("%H:%M:%S", time.gmtime(when))

    add = "/system scheduler add"
    cli.out(f'{add} name=once start-time={hms(now + 300)} on-event="/interface disable ether1"')
    once = config.schedulers[0]
    assert once.next_run == now + 300
    cli.out(f'{add} name=grid start-time={hms(now - 25)} interval=10s on-event=":log info x"')
    assert config.schedulers[1].next_run == now + 5  # -25 + 3 * 10
    cli.out(f'{add} name=gone start-time={hms(now - 25)} on-event=":log info x"')
    assert config.schedulers[2].next_run is None  # interval 0 and its start is past: never
    assert cli.out("/system scheduler add name=bad start-time=25:00:00") == (
        "invalid value for argument start-time"
    )
    clock.now = now + 301
    config.run_due(router)
    assert once.run_count == 1 and once.next_run is None and not config.interface_enabled("ether1")


def test_scheduler_startup_entries_run_after_each_reload(
    cli: Cli, router: LabRouter, clock: FakeClock
) -> None:
    """``start-time=startup``: "execute the script 3 seconds after the system startup", once per
    boot with ``interval=0``; "Rebooting the router will reset run-count" (MikroTik,
    "Scheduler"). The queue change made over SSH survives the reload: RouterOS has no unsaved
    state."""
    from bwauto.lab.faults import reload

    config = router.config
    assert isinstance(config, RouterOsConfig)
    cli.out('/queue simple set [find name="q-dinkes"] max-limit=60M/120M')
    clock.now = BOOT + 10
    cli.out('/system scheduler add name=boot start-time=startup on-event=":log info booted"')
    detail = cli.out("/system scheduler print detail")
    assert "start-time=startup" in detail and "start-date" not in detail
    assert config.schedulers[0].next_run is None  # the boot is past
    clock.now = BOOT + 100
    reload(router)
    assert config.schedulers[0].next_run == BOOT + 103 and config.schedulers[0].run_count == 0
    clock.now = BOOT + 104
    assert config.run_due(router) == 1
    assert limits(router)["vlan110"] == (60_000_000, 120_000_000)


def test_a_failing_statement_ends_the_script(router: LabRouter) -> None:
    RouterOsShell(router, "netops").run_script(
        "/queue simple set q-dinkes max-limit=2M/2M; /queue simple set nope max-limit=1M; "
        "/queue simple set q-disdik max-limit=3M/3M"
    )
    assert limits(router)["vlan110"] == (2_000_000, 2_000_000)
    assert limits(router)["ether2"] == (10_000_000, 30_000_000)


def test_drop_fault_counts_only_configuration_commands(cli: Cli, router: LabRouter) -> None:
    router.faults.drop_after_config_lines = 1
    cli.out("/queue simple print")
    cli.out("/queue simple set q-dinkes max-limit=1M/1M")
    assert cli.last_end is SessionEnd.NONE
    cli.out("/queue simple set q-disdik max-limit=2M/2M")
    assert cli.last_end is SessionEnd.DROP
    assert limits(router)["vlan110"] == (1_000_000, 1_000_000)
    assert limits(router)["ether2"] == (10_000_000, 30_000_000)


def test_quit_closes_and_exec_runs_one_command(cli: Cli, router: LabRouter) -> None:
    cli.out("/quit")
    assert cli.last_end is SessionEnd.CLOSE
    assert RouterOsSession(router, "netops").run_command("/system identity print") == "  name: r2"


def test_value_syntax_helpers() -> None:
    assert [t.text for t in tokenize('set [ find name="a]b" ] comment="x y"')] == [
        "set",
        '[ find name="a]b" ]',
        'comment="x y"',
    ]
    assert split_statements("/a; /b\n/c") == ["/a", "/b", "/c"]
    assert unquote('"q\\"x\\\\"') == 'q"x\\'
    assert parse_ros_rate("100k") == 100_000
    assert parse_rate_pair("1M/2M") == (1_000_000, 2_000_000)
    assert format_ros_rate(1_500_000) == "1500k"
    assert parse_ros_time("1d2h") == 93600
    with pytest.raises(ValueError):
        parse_ros_rate("1.0000001k")
    with pytest.raises(ValueError):
        parse_ros_time("soon")
    with pytest.raises(RouterOsError, match="syntax error"):
        tokenize("a ]")
