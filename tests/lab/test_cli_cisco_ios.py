"""Pure tests of the simulated Cisco IOS CLI (no sockets): modes, prompts, config changes,
``no`` forms, errors with the caret, shaper caps, fault counting, the line discipline."""

from __future__ import annotations

import pytest

from bwauto.errors import LabError
from bwauto.lab.cli import get_platform, make_platform, make_router, supported_platforms
from bwauto.lab.cli.base import (
    CliParseError,
    Command,
    CommandTable,
    ParseFailure,
    SessionEnd,
    Terminal,
    split_words,
)
from bwauto.lab.cli.cisco_ios import IosSession
from bwauto.lab.cli.cisco_ios_config import IosConfig, canonical_interface
from bwauto.lab.model import LabInterface, LabLink, LabRouter, LabRouterSpec

BOOT = 1_700_000_000.0
G = 1_000_000_000


class FakeClock:
    def __init__(self, now: float = BOOT) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingTraffic:
    def __init__(self) -> None:
        self.calls = 0

    def advance(self, now: float) -> None:
        self.calls += 1


def ios_spec(name: str = "r1", archive_path: str | None = None) -> LabRouterSpec:
    return LabRouterSpec(
        name=name,
        platform="cisco_ios",
        interfaces=(
            LabInterface("GigabitEthernet0/0", 1, G, "uplink to ISP"),
            LabInterface("GigabitEthernet0/1", 2, G),
            LabInterface("GigabitEthernet0/1.201", 3, G),
            LabInterface("GigabitEthernet0/2", 4, 100_000_000, oper_up=False),
        ),
        links=(
            LabLink(
                "rsud",
                "GigabitEthernet0/1.201",
                "PM-RSUD-OUT",
                100_000_000,
                200_000_000,
                "PM-RSUD-IN",
            ),
            LabLink("disdik", "GigabitEthernet0/1", "PM-DISDIK", 10_000_000, 30_000_000),
        ),
        username="netops",
        password="s3cret",
        enable_secret="en4ble",
        snmp_community="kominfo-ro",
        archive_path=archive_path,
    )


class Cli:
    """Types lines into a Terminal on a fresh session and returns what the router prints."""

    def __init__(self, router: LabRouter, clock: FakeClock) -> None:
        self.session = IosSession(router, "netops", clock)
        self.terminal = Terminal(self.session)
        self.banner = "".join(c.text for c in self.terminal.start())
        self.last_end = SessionEnd.NONE

    def send(self, line: str) -> str:
        chunks = self.terminal.feed(line + "\n")
        self.last_end = chunks[-1].end
        return "".join(c.text for c in chunks).replace("\r\n", "\n")

    def out(self, line: str) -> str:
        """Just the reply: without the echoed line and the trailing prompt."""
        text = self.send(line)
        body = text.split("\n", 1)[1] if "\n" in text else ""
        return body[: len(body) - len(self.session.prompt())]

    def enable(self) -> None:
        self.send("enable")
        self.send("en4ble")

    @property
    def prompt(self) -> str:
        return self.session.prompt()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def router(clock: FakeClock) -> LabRouter:
    return make_router(ios_spec(), clock)


@pytest.fixture
def cli(router: LabRouter, clock: FakeClock) -> Cli:
    return Cli(router, clock)


@pytest.fixture
def priv(cli: Cli) -> Cli:
    cli.enable()
    return cli


@pytest.fixture
def archived(clock: FakeClock) -> LabRouter:
    """A router that boots with ``archive`` / ``path flash:archive`` (the revert timer's need)."""
    return make_router(ios_spec(archive_path="flash:archive"), clock)


@pytest.fixture
def apriv(archived: LabRouter, clock: FakeClock) -> Cli:
    cli = Cli(archived, clock)
    cli.enable()
    return cli


def test_boot_config_caps_every_link_and_nothing_else(router: LabRouter) -> None:
    assert router.config.shaper_limits() == {
        "GigabitEthernet0/0": (None, None),
        "GigabitEthernet0/1": (None, 30_000_000),
        "GigabitEthernet0/1.201": (100_000_000, 200_000_000),
        "GigabitEthernet0/2": (None, None),
    }
    assert router.config.interface_enabled("GigabitEthernet0/1.201")
    assert not router.config.interface_enabled("GigabitEthernet9/9")


def test_prompts_follow_the_mode_stack(cli: Cli) -> None:
    assert cli.banner == "r1>"
    assert cli.send("enable").endswith("Password: ")
    assert cli.send("en4ble").endswith("\nr1#")
    steps = [
        ("configure terminal", "r1(config)#"),
        ("interface GigabitEthernet0/1", "r1(config-if)#"),
        ("interface GigabitEthernet0/1.201", "r1(config-subif)#"),
        ("policy-map PM-RSUD-OUT", "r1(config-pmap)#"),
        ("class class-default", "r1(config-pmap-c)#"),
        ("police cir 100000000", "r1(config-pmap-c-police)#"),
        ("exit", "r1(config-pmap-c)#"),
        ("exit", "r1(config-pmap)#"),
        ("exit", "r1(config)#"),
        ("exit", "r1#"),
        ("disable", "r1>"),
    ]
    for line, prompt in steps:
        assert cli.send(line).endswith(prompt), line


def test_end_returns_to_privileged_exec_from_any_depth(priv: Cli) -> None:
    for line in ("conf t", "policy-map PM-DISDIK", "class class-default"):
        priv.send(line)
    assert priv.prompt == "r1(config-pmap-c)#"
    priv.send("end")
    assert priv.prompt == "r1#"


def test_enable_password_is_not_echoed_and_three_bad_tries_fail(cli: Cli) -> None:
    cli.send("enable")
    assert cli.send("wrong1") == "\nPassword: "
    cli.send("wrong2")
    assert "% Bad secrets" in cli.send("wrong3")
    assert cli.prompt == "r1>"


def test_hostname_changes_the_prompt_at_once(priv: Cli, router: LabRouter) -> None:
    priv.send("configure terminal")
    assert priv.send("hostname edge-7").endswith("edge-7(config)#")
    assert "hostname edge-7" in priv.out("do show running-config")


def test_unknown_input_gets_the_caret_under_the_offending_word(priv: Cli) -> None:
    reply = priv.send("show foo bar")
    lines = reply.split("\n")
    assert lines[1] == " " * (len("r1#") + len("show ")) + "^"
    assert lines[2] == "% Invalid input detected at '^' marker."
    priv.send("conf t")
    caret = priv.send("shape average 1000000").split("\n")[1]
    assert caret.index("^") == len("r1(config)#")


def test_user_exec_cannot_see_the_running_config(cli: Cli) -> None:
    caret = cli.send("show running-config").split("\n")[1]
    assert caret.index("^") == len("r1>") + len("show ")


def test_incomplete_and_ambiguous_commands(priv: Cli) -> None:
    assert priv.out("show") == "% Incomplete command.\n\n"
    assert priv.out("terminal") == "% Incomplete command.\n\n"
    priv.send("conf t")
    priv.send("interface Gi0/1")
    assert priv.out("no s").startswith('% Ambiguous command:  "no s"')


def test_keywords_and_interface_names_may_be_abbreviated(priv: Cli) -> None:
    assert "hostname r1" in priv.out("sh run")
    priv.send("conf t")
    assert priv.send("int gi0/1.201").endswith("r1(config-subif)#")
    assert priv.session.modes.current.interface == "GigabitEthernet0/1.201"
    assert canonical_interface("Gi 0/1") == "GigabitEthernet0/1"
    assert canonical_interface("te1/0/1") == "TenGigabitEthernet1/0/1"


def test_terminal_settings_are_accepted_and_checked(cli: Cli) -> None:
    assert cli.out("terminal length 0") == ""
    assert cli.out("terminal width 511") == ""
    assert (cli.session.terminal_length, cli.session.terminal_width) == (0, 511)
    assert "% Invalid input" in cli.out("terminal width abc")


def test_running_config_holds_links_users_and_secrets_hashed(priv: Cli) -> None:
    run = priv.out("show running-config")
    assert run.startswith("Building configuration...\n\nCurrent configuration : ")
    assert run.rstrip().endswith("end")
    for line in (
        "policy-map PM-RSUD-OUT\n class class-default\n  shape average 200000000\n!",
        "policy-map PM-RSUD-IN\n class class-default\n  police cir 100000000\n",
        " service-policy input PM-RSUD-IN\n service-policy output PM-RSUD-OUT\n",
        "interface GigabitEthernet0/1.201\n description OPD link rsud\n encapsulation dot1Q 201\n",
        "snmp-server community kominfo-ro RO",
        "username netops secret 9 $9$",
        "enable secret 9 $9$",
    ):
        assert line in run
    assert "s3cret" not in run and "en4ble" not in run
    head, body = run.split(" bytes\n", 1)
    assert int(head.rsplit(" ", 1)[1]) == len(body)


def test_output_modifiers(priv: Cli) -> None:
    section = priv.out("show running-config | section policy-map PM-RSUD-OUT")
    assert (
        section.strip() == "policy-map PM-RSUD-OUT\n class class-default\n  shape average 200000000"
    )
    included = priv.out("sh run | include ^interface")
    assert included.split("\n")[0] == "interface GigabitEthernet0/0"
    assert all(line.startswith("interface") for line in included.strip().split("\n"))
    assert priv.out("show run | begin ^line con").startswith("line con 0")
    assert "!" not in priv.out("show run | exclude !")
    assert "% Invalid input" in priv.out("show run | grep x")
    assert "% Incomplete command" in priv.out("show run | include")


def test_show_commands_reflect_the_config(priv: Cli, clock: FakeClock) -> None:
    clock.now = BOOT + 9 * 86400 + 3 * 3600 + 4 * 60
    version = priv.out("show version")
    assert "r1 uptime is 1 week, 2 days, 3 hours, 4 minutes" in version
    assert "Cisco CISCO2911/K9 (revision 1.0) with 479232K/45056K bytes of memory." in version
    brief = priv.out("show ip interface brief").split("\n")
    assert brief[0].split() == ["Interface", "IP-Address", "OK?", "Method", "Status", "Protocol"]
    assert brief[4].split()[-2:] == ["down", "down"]
    assert "Default domain is batam.lab" in priv.out("show hosts")
    iface = priv.out("show interfaces GigabitEthernet0/1.201")
    assert iface.startswith("GigabitEthernet0/1.201 is up, line protocol is up")
    assert "Encapsulation 802.1Q Virtual LAN, Vlan ID  201." in iface
    pmap = priv.out("show policy-map interface Gi0/1.201")
    assert "Service-policy input: PM-RSUD-IN" in pmap
    assert "shape (average) cir 200000000" in pmap and "cir 100000000 bps" in pmap
    assert "Policy Map PM-DISDIK" in priv.out("show policy-map PM-DISDIK")
    assert "% Invalid input" in priv.out("show interfaces Gi0/9")


def test_shaper_changes_and_no_forms(priv: Cli, router: LabRouter) -> None:
    traffic = CountingTraffic()
    router.traffic = traffic
    for line in (
        "conf t",
        "policy-map PM-RSUD-OUT",
        "class class-default",
        "shape average 300000000",
    ):
        assert "%" not in priv.out(line)
    assert router.config.shaper_limits()["GigabitEthernet0/1.201"] == (100_000_000, 300_000_000)
    priv.send("no shape average")
    assert router.config.shaper_limits()["GigabitEthernet0/1.201"][1] is None
    priv.send("policy-map PM-RSUD-IN")
    priv.send("class class-default")
    assert priv.send("police cir 150000000 conform-action transmit exceed-action drop").endswith(
        "r1(config-pmap-c)#"
    )
    assert router.config.shaper_limits()["GigabitEthernet0/1.201"][0] == 150_000_000
    priv.send("no police")
    assert router.config.shaper_limits()["GigabitEthernet0/1.201"] == (None, None)
    assert traffic.calls == 4


def test_rates_out_of_range_are_refused_at_the_number(priv: Cli, router: LabRouter) -> None:
    for line in ("conf t", "policy-map PM-DISDIK", "class class-default"):
        priv.send(line)
    caret = priv.send("shape average 10").split("\n")[1]
    assert caret.index("^") == len("r1(config-pmap-c)#shape average ")
    assert "% Invalid input" in priv.out("shape average fast")
    assert "% Incomplete command" in priv.out("shape average")
    assert router.config.shaper_limits()["GigabitEthernet0/1"] == (None, 30_000_000)


def test_service_policy_attach_detach_and_refusals(priv: Cli, router: LabRouter) -> None:
    for line in ("conf t", "interface GigabitEthernet0/1"):
        priv.send(line)
    assert priv.out("service-policy output NOPE") == "policy map NOPE not configured\n"
    priv.send("exit")
    priv.send("policy-map PM-OTHER")
    priv.send("interface GigabitEthernet0/1")
    assert "already attached" in priv.out("service-policy output PM-OTHER")
    assert "not attached" in priv.out("no service-policy output PM-OTHER")
    priv.send("no service-policy output PM-DISDIK")
    assert router.config.shaper_limits()["GigabitEthernet0/1"] == (None, None)
    assert "Policy map PM-RSUD-OUT is being used" in priv.out("no policy-map PM-RSUD-OUT")
    priv.send("no policy-map PM-DISDIK")
    assert "PM-DISDIK" not in priv.out("do show running-config")
    priv.send("interface GigabitEthernet0/1")
    priv.send("service-policy input PM-OTHER")
    assert " service-policy input PM-OTHER" in priv.out("do show run interface Gi0/1")


def test_interface_admin_state_description_and_sub_interfaces(priv: Cli, router: LabRouter) -> None:
    traffic = CountingTraffic()
    router.traffic = traffic
    for line in ("conf t", "interface GigabitEthernet0/1.201", "shutdown"):
        priv.send(line)
    assert not router.config.interface_enabled("GigabitEthernet0/1.201")
    assert "administratively down" in priv.out("do show ip interface brief")
    priv.send("no shutdown")
    assert router.config.interface_enabled("GigabitEthernet0/1.201")
    assert traffic.calls == 2
    priv.send("description RSUD 300M per ND-2024-17")
    assert " description RSUD 300M per ND-2024-17" in priv.out("do show run | section 0/1.201")
    priv.send("no description")
    priv.send("interface GigabitEthernet0/1.300")
    priv.send("encapsulation dot1Q 300")
    priv.send("ip address 10.9.9.1 255.255.255.0")
    assert "Bad mask" in priv.out("ip address 10.9.9.1 255.0.255.0")
    run = priv.out("do show running-config")
    assert "interface GigabitEthernet0/1.300\n encapsulation dot1Q 300\n ip address 10.9.9.1" in run
    assert run.index("GigabitEthernet0/1.300") < run.index("GigabitEthernet0/2")
    priv.send("exit")
    priv.send("no interface GigabitEthernet0/1.300")
    assert "GigabitEthernet0/1.300" not in router.config.shaper_limits()
    assert "physical" in priv.out("no interface GigabitEthernet0/2")
    assert "% Invalid input" in priv.out("interface GigabitEthernet7/7")


def test_unknown_sub_mode_lines_fall_through_to_config_mode(priv: Cli) -> None:
    for line in ("conf t", "policy-map PM-DISDIK", "class class-default"):
        priv.send(line)
    assert priv.send("interface Gi0/1").endswith("r1(config-if)#")
    assert priv.send("policy-map PM-DISDIK").endswith("r1(config-pmap)#")
    assert "% Invalid input" in priv.out("shutdown now")
    assert priv.prompt == "r1(config-pmap)#"


def test_global_config_no_forms(priv: Cli, router: LabRouter) -> None:
    config = router.config
    assert isinstance(config, IosConfig)
    for line in (
        "conf t",
        "snmp-server community rw-secret RW",
        "no snmp-server community kominfo-ro",
        "ip domain name kominfo.batam.go.id",
        "username auditor privilege 15 secret 0 pa55",
        "no username netops",
        "enable secret n3w",
    ):
        assert "%" not in priv.out(line), line
    assert config.snmp_communities == {"rw-secret": "RW"}
    assert config.users == {"auditor": "pa55"}
    assert config.domain_name == "kominfo.batam.go.id"
    assert "not a valid encrypted secret" in priv.out("enable secret 9 $9$abc")
    priv.send("end")
    priv.send("disable")
    priv.send("enable")
    assert priv.send("n3w").endswith("r1#")


def test_startup_config_changes_only_on_write(priv: Cli, clock: FakeClock) -> None:
    for line in ("conf t", "hostname saved-later", "end"):
        priv.send(line)
    assert "hostname r1" in priv.out("show startup-config")
    clock.now += 60
    assert priv.out("write memory") == "Building configuration...\n[OK]\n"
    startup = priv.out("show startup-config")
    assert startup.startswith("Using ") and "hostname saved-later" in startup
    priv.send("conf t")
    priv.send("hostname again")
    priv.send("end")
    assert priv.send("copy running-config startup-config").endswith(
        "Destination filename [startup-config]? "
    )
    assert "[OK]" in priv.send("")
    assert "hostname again" in priv.out("show startup-config")


def test_config_lives_in_the_router_across_sessions(router: LabRouter, clock: FakeClock) -> None:
    first = Cli(router, clock)
    first.enable()
    for line in ("conf t", "policy-map PM-DISDIK", "class class-default", "shape average 45000000"):
        first.send(line)
    second = Cli(router, clock)
    second.enable()
    assert "shape average 45000000" in second.out("show run | section PM-DISDIK")
    assert "last configuration change" in second.out("show run").lower()


def test_drop_fault_applies_n_config_lines_then_drops(priv: Cli, router: LabRouter) -> None:
    router.faults.drop_after_config_lines = 2
    priv.send("configure terminal")
    priv.send("interface GigabitEthernet0/1")
    priv.send("description first-two-applied")
    assert priv.last_end is SessionEnd.NONE
    assert priv.send("shutdown") == "shutdown\n"
    assert priv.last_end is SessionEnd.DROP
    assert priv.terminal.ended
    assert router.config.interface_enabled("GigabitEthernet0/1")
    assert isinstance(router.config, IosConfig)
    assert router.config.interfaces["GigabitEthernet0/1"].description == "first-two-applied"


def test_revert_timer_rolls_back_unless_confirmed(
    apriv: Cli, archived: LabRouter, clock: FakeClock
) -> None:
    priv, router = apriv, archived
    traffic = CountingTraffic()
    router.traffic = traffic
    assert priv.out("configure terminal revert timer 5").startswith(
        "Rollback Confirmed Change: Backing up current running config"
    )
    assert priv.prompt == "r1(config)#"
    for line in ("policy-map PM-DISDIK", "class class-default", "shape average 90000000", "end"):
        priv.send(line)
    assert router.config.shaper_limits()["GigabitEthernet0/1"] == (None, 90_000_000)
    config = router.config
    assert isinstance(config, IosConfig)
    assert config.next_deadline() == BOOT + 300
    clock.now = BOOT + 299
    assert config.run_due(router) == 0
    clock.now = BOOT + 301
    assert "shape average 30000000" in priv.out("show running-config | section PM-DISDIK")
    assert config.shaper_limits()["GigabitEthernet0/1"] == (None, 30_000_000)
    assert config.next_deadline() is None and traffic.calls == 2
    assert "by rollback" in priv.out("show running-config | include Last configuration")


def test_configure_confirm_keeps_the_change(
    apriv: Cli, archived: LabRouter, clock: FakeClock
) -> None:
    priv, router = apriv, archived
    for line in ("configure terminal revert timer 1", "hostname kept", "end"):
        priv.send(line)
    assert priv.out("configure confirm") == ""
    clock.now = BOOT + 3600
    assert router.config.run_due(router) == 0  # type: ignore[attr-defined]
    assert priv.prompt == "kept#"
    assert priv.out("configure confirm") == "% No Rollback Confirmed Change pending\n"


def test_configure_revert_now_and_timer_reset(
    apriv: Cli, archived: LabRouter, clock: FakeClock
) -> None:
    priv, router = apriv, archived
    config = router.config
    assert isinstance(config, IosConfig)
    assert priv.out("configure revert now") == "% No Rollback Confirmed Change pending\n"
    for line in ("configure terminal revert timer 2", "hostname gone-soon", "end"):
        priv.send(line)
    priv.send("configure revert timer 10")
    assert config.next_deadline() == BOOT + 600
    assert "% Invalid input" in priv.out("configure revert later")
    assert "Rolling back" in priv.out("configure revert now")
    assert priv.prompt == "r1#" and config.next_deadline() is None


def test_exit_from_exec_closes_the_session(cli: Cli) -> None:
    cli.send("exit")
    assert cli.last_end is SessionEnd.CLOSE


def test_do_runs_privileged_commands_but_not_mode_changes(priv: Cli) -> None:
    priv.send("conf t")
    assert "*" in priv.out("do show clock")
    assert "% Invalid input" in priv.out("do configure terminal")
    assert "Processor board ID FTX" in priv.out("do show version | include board")


def test_terminal_line_discipline(router: LabRouter, clock: FakeClock) -> None:
    terminal = Terminal(IosSession(router, "netops", clock))
    terminal.start()
    out = "".join(c.text for c in terminal.feed("sh\x00ox\x08\x7fow clock\r\n"))
    assert out.startswith("shox\b \b\b \bow clock\r\n*")
    echo = [c for c in terminal.feed("enable\r")]
    assert echo[-1].text.endswith("Password: ")
    assert terminal.feed("\n") == []
    hidden = terminal.feed("en4ble")
    assert hidden == []
    assert "".join(c.text for c in terminal.feed("\r\n")).endswith("r1#")
    interrupted = terminal.feed("show ver\x03")
    assert interrupted[-1].text == "^C\r\nr1#"


def test_exec_style_single_command(router: LabRouter, clock: FakeClock) -> None:
    session = IosSession(router, "netops", clock)
    assert "r1 uptime is" in session.run_command("show version")


def test_command_table_prefix_matching() -> None:
    def handler(obj: object, inv: object) -> str:
        return "x"

    table: CommandTable[object] = CommandTable(
        [
            Command(("show", "version"), handler),
            Command(("show", "vlan"), handler, 0, 1),
            Command(("set", "name"), handler, 1, 1),
        ]
    )
    command, inv = table.match("sh vl 10", split_words("sh vl 10"))
    assert command.words == ("show", "vlan") and inv.rest(0) == "10"
    with pytest.raises(CliParseError) as ambiguous:
        table.match("sh v", split_words("sh v"))
    assert ambiguous.value.kind is ParseFailure.AMBIGUOUS
    with pytest.raises(CliParseError) as incomplete:
        table.match("set name", split_words("set name"))
    assert incomplete.value.kind is ParseFailure.INCOMPLETE
    with pytest.raises(CliParseError) as extra:
        table.match("show version now", split_words("show version now"))
    assert (extra.value.kind, extra.value.column) == (ParseFailure.UNKNOWN, 13)
    assert table.menu_path(split_words("sh")) == ("show",)
    assert table.menu_path(split_words("show version")) is None


def test_platform_registry() -> None:
    assert set(supported_platforms()) == {"cisco_ios", "mikrotik_routeros"}
    config, factory = make_platform(ios_spec())
    assert isinstance(config, IosConfig)
    assert get_platform("cisco_ios").failed_when_contains[0] == "% Invalid input"
    with pytest.raises(LabError, match="juniper_junos"):
        get_platform("juniper_junos")
    router = LabRouter(ios_spec(), config)
    assert factory(router, "netops").prompt() == "r1>"


def test_archive_mode_lines_render_and_no_archive_removes_them(priv: Cli) -> None:
    """``archive`` / ``path`` / ``maximum`` / ``write-memory`` as in Cisco's "Configuring the
    Configuration Archive"; ``maximum`` is refused for a network path, as IOS does."""
    assert priv.out("show archive") == " Archive feature not enabled\n"
    assert priv.out("configure terminal revert timer 5") == "%Please turn config archive on\n"
    assert priv.prompt == "r1#"
    priv.send("configure terminal")
    priv.send("archive")
    assert priv.prompt == "r1(config-archive)#"
    assert "% Invalid input" in priv.out("path nowhere")
    priv.send("path tftp://192.0.2.9/r1")
    assert priv.out("maximum 3") == "Cannot set maximum when backing up to network path\n"
    priv.send("path flash:archive")
    assert "% Invalid input" in priv.out("maximum 15")
    priv.send("maximum 2")
    priv.send("write-memory")
    priv.send("end")
    assert "archive\n path flash:archive\n maximum 2\n write-memory\n!" in priv.out("show run")
    for _ in range(3):  # write-memory archives on every save; only the last 2 are kept
        priv.send("write memory")
    shown = priv.out("show archive").splitlines()
    assert shown[:3] == [
        "The maximum archive configurations allowed is 2.",
        "There are currently 2 archive configurations saved.",
        "The next archive file will be named flash:archive-<timestamp>-3",
    ]
    assert shown[4].endswith("-1") and shown[5].endswith("-2 <- Most Recent")
    priv.send("configure terminal")
    priv.send("no archive")
    priv.send("end")
    assert "archive" not in priv.out("show run | include ^archive")
    assert priv.out("show archive") == " Archive feature not enabled\n"


def test_reload_restores_startup_and_ends_the_session(
    archived: LabRouter, clock: FakeClock
) -> None:
    """A reload loads the startup config: the saved change stays, the unsaved one and a
    pending revert timer are gone, and the open session is dropped."""
    from bwauto.lab.faults import reload

    cli = Cli(archived, clock)
    cli.enable()
    for line in ("conf t", "hostname saved", "end", "write memory"):
        cli.send(line)
    for line in ("configure terminal revert timer 5", "hostname unsaved", "end"):
        cli.send(line)
    reload(archived)
    config = archived.config
    assert isinstance(config, IosConfig)
    assert config.hostname == "saved" and config.revert is None
    assert cli.send("show clock") == "show clock\n"  # the echo, then nothing: dropped
    assert cli.last_end is SessionEnd.DROP
    assert "archive\n path flash:archive\n" in config.render()  # saved with the rest
