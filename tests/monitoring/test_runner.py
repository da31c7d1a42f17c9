"""register_link / sync_links from the inventory, the record of attempts, and the CLI commands."""

from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from language import foreign_words

from bwauto.cli import app as cli_app
from bwauto.cli import monitor_cmd
from bwauto.cli.app import main
from bwauto.credentials import CredentialResolver
from bwauto.errors import CredentialError, MonitoringError, UsageError
from bwauto.inventory.loader import load_inventory
from bwauto.inventory.models import Committed, Inventory
from bwauto.monitoring import runner
from bwauto.monitoring.base import (
    Check,
    MonitoredLink,
    Registration,
    Verification,
    VerificationError,
)

HOSTS = {"edge-bc-01": {"hostname": "10.20.0.1", "platform": "mikrotik_routeros",
                        "data": {"interfaces": {"ether2": "1G", "ether3": "1G"}}}}  # fmt: skip
CONTACT = {"name": "Rudi"}
LINKS = {
    "upstreams": [{"id": "telkom", "capacity": "1G"}],
    "links": [
        {"id": "dinkes", "opd": "Dinas Kesehatan", "router": "edge-bc-01", "interface": "ether2",
         "shaper": "q-dinkes", "committed": {"up": "50M", "down": "100M"}, "upstream": "telkom",
         "contact": CONTACT},
        {"id": "bpkad", "opd": "BPKAD", "router": "edge-bc-01", "interface": "ether3",
         "shaper": "q-bpkad", "committed": {"up": "20M", "down": "20M"}, "upstream": "telkom",
         "contact": CONTACT},
    ],
}  # fmt: skip
CREDS = CredentialResolver(env={"BWAUTO_SNMP_COMMUNITY": "c0mm"}, interactive=False)


@pytest.fixture
def inv_dir(tmp_path: Path) -> Path:
    inv = tmp_path / "inventory"
    inv.mkdir()
    (inv / "hosts.yaml").write_text(yaml.safe_dump(HOSTS))
    (inv / "links.yaml").write_text(yaml.safe_dump(LINKS))
    return inv


@pytest.fixture
def inventory(inv_dir: Path) -> Inventory:
    return load_inventory(inv_dir)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def rules_text(state: Path, link_id: str) -> str:
    """The link's capacity rules in the shared links file."""
    data = yaml.safe_load((state / "monitoring/prometheus/rules/bwauto-links.yml").read_text())
    rules = [r for r in data["groups"][0]["rules"] if r["labels"]["link_id"] == link_id]
    return yaml.safe_dump(rules)


def test_register_by_id_uses_the_committed_rate_and_records_success(
    inventory: Inventory, state: Path
) -> None:
    registration = runner.register_link("dinkes", inventory, state_dir=state, credentials=CREDS)

    assert registration.backend == "prometheus" and registration.changed
    assert "vector(50000000)" in rules_text(state, "dinkes")
    record = runner.load_records(state)["dinkes"]["prometheus"]
    assert (record["ok"], record["error"]) == (True, None)
    assert record["capacity"] == {"up": 50_000_000, "down": 100_000_000}
    assert record["registration"]["verification"]["ok"] is True
    assert "c0mm" not in (state / runner.LEDGER).read_text()


def test_a_raise_passes_the_link_with_its_new_rate(inventory: Inventory, state: Path) -> None:
    raised = inventory.links["dinkes"].model_copy(
        update={"committed": Committed(up=80_000_000, down=150_000_000)}
    )

    runner.register_link(raised, inventory, state_dir=state, credentials=CREDS)

    assert "vector(150000000)" in rules_text(state, "dinkes")
    capacity = runner.load_records(state)["dinkes"]["prometheus"]["capacity"]
    assert capacity == {"up": 80_000_000, "down": 150_000_000}


def test_unknown_link_and_missing_community_are_clear(inventory: Inventory, state: Path) -> None:
    with pytest.raises(UsageError, match=r"unknown link 'nope' \(links: bpkad, dinkes\)"):
        runner.register_link("nope", inventory, state_dir=state, credentials=CREDS)
    no_secrets = CredentialResolver(env={}, interactive=False)
    with pytest.raises(CredentialError, match="no snmp community for router edge-bc-01"):
        runner.register_link("dinkes", inventory, state_dir=state, credentials=no_secrets)
    assert "no snmp community" in runner.load_records(state)["dinkes"]["prometheus"]["error"]


def test_a_failure_is_recorded_and_sync_retries_only_what_is_pending(
    inv_dir: Path, inventory: Inventory, state: Path, dead_url: str
) -> None:
    runner.register_link("bpkad", inventory, state_dir=state, credentials=CREDS)
    exporter = dead_url.removeprefix("http://")
    (inv_dir / "monitoring.yaml").write_text(
        f"prometheus: {{url: '{dead_url}', snmp_exporter: '{exporter}'}}\n"
    )

    with pytest.raises(MonitoringError, match="connection refused"):
        runner.register_link("dinkes", inventory, state_dir=state, credentials=CREDS)

    record = runner.load_records(state)["dinkes"]["prometheus"]
    assert record["ok"] is False and "connection refused" in record["error"]
    assert [x.id for x in runner.pending(inventory, "prometheus", state)] == ["dinkes"]
    (inv_dir / "monitoring.yaml").unlink()  # the server is back (here: files only)
    result = runner.sync_links(inventory, state_dir=state, credentials=CREDS)
    assert [r.link_id for r in result.registrations] == ["dinkes"] and not result.errors
    assert runner.pending(inventory, "prometheus", state) == []
    assert runner.sync_links(inventory, state_dir=state, credentials=CREDS).registrations == []


class _Unverified:
    """A backend that takes the link but never shows it (as a server that does not scrape)."""

    name = "fake"

    def register(self, target: MonitoredLink) -> Registration:
        return Registration("fake", target.link_id, True, ("did it",), self.verify(target))

    def verify(self, target: MonitoredLink) -> Verification:
        return Verification("fake", target.link_id, (Check("target up", False, "down"),))


def test_an_unverified_registration_is_recorded_and_raised_with_it(
    inventory: Inventory, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "get_backend", lambda name, settings, credentials: _Unverified())

    with pytest.raises(VerificationError) as info:
        runner.register_link("dinkes", inventory, "fake", state_dir=state, credentials=CREDS)

    assert str(info.value) == "fake: link dinkes not verified: target up: down"
    assert info.value.exit_code == 1 and info.value.registration.changes == ("did it",)
    record = runner.load_records(state)["dinkes"]["fake"]
    assert (record["ok"], record["error"]) == (False, "target up: down")


def test_after_a_raise_the_summary_comes_back_and_nothing_is_raised(
    inv_dir: Path, inventory: Inventory, state: Path, dead_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    raised = inventory.links["dinkes"].model_copy(
        update={"committed": Committed(up=80_000_000, down=150_000_000)}
    )
    done = runner.register_after_change(raised, inventory, state, credentials=CREDS)
    # no monitoring.yaml: files written, no server asked, so not verified (outside look)
    assert {k: done[k] for k in ("backend", "ok", "verified", "link_id", "changed")} == {
        "backend": "prometheus", "ok": True, "verified": False, "link_id": "dinkes",
        "changed": True,
    }  # fmt: skip

    exporter = dead_url.removeprefix("http://")
    (inv_dir / "monitoring.yaml").write_text(
        f"prometheus: {{url: '{dead_url}', snmp_exporter: '{exporter}'}}\n"
    )
    failed = runner.register_after_change(raised, inventory, state, credentials=CREDS)
    assert failed == {
        "backend": "prometheus", "ok": False, "verified": False, "link_id": "dinkes",
        "detail": f"prometheus at {dead_url}: connection refused",
        "retry": "bwauto monitor register --link dinkes",
    }  # fmt: skip
    assert runner.load_records(state)["dinkes"]["prometheus"]["ok"] is False

    monkeypatch.setattr(runner, "get_backend", lambda name, settings, credentials: _Unverified())
    unverified = runner.register_after_change(raised, inventory, state, backend_name="fake",
                                              credentials=CREDS)  # fmt: skip
    assert (unverified["ok"], unverified["verified"], unverified["detail"]) == (
        False, False, "target up: down",
    )  # fmt: skip


# --- CLI --------------------------------------------------------------------------------


@pytest.fixture
def cli(
    inv_dir: Path, state: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:  # fmt: skip
    """``bwauto ... monitor ...`` in-process (adds the group if app.py does not have it yet)."""
    if not any(g.name == "monitor" for g in cli_app.app.registered_groups):
        cli_app.app.add_typer(monitor_cmd.app, name="monitor")
    monkeypatch.setenv("BWAUTO_SNMP_COMMUNITY", "c0mm")
    monkeypatch.delenv("BWAUTO_SECRETS", raising=False)

    def run(*args: str, lang: str | None = "en") -> int:
        chosen = ["--lang", lang] if lang else []
        return main([*chosen, "--inventory", str(inv_dir), "--state-dir", str(state), "monitor",
                     *args])  # fmt: skip

    yield run


def test_cli_register_then_again_then_sync(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Outside look, too: under the default Indonesian, "wrote", "registered" and the check
    names were English between Indonesian words: one language per output now."""
    assert cli("register", "--link", "dinkes", lang=None) == 0
    first = capsys.readouterr().out
    assert first.startswith("dinkes: prometheus: ditulis: bwauto-links.json")
    assert not foreign_words(first, "id"), first
    # no monitoring.yaml: no server was asked, so nothing is "verified" (outside look)
    assert "verified in" not in first and "terverifikasi" not in first
    assert ("  berkas ditulis, TIDAK diverifikasi: tidak ada server prometheus yang diatur "
            "(prometheus.url di monitoring.yaml)\n") in first  # fmt: skip

    assert cli("register", "-l", "dinkes", lang=None) == 0
    assert capsys.readouterr().out.startswith("dinkes: prometheus: sudah mutakhir")

    assert cli("sync", lang=None) == 0  # only bpkad was never registered
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[:2] == ["ditulis: bwauto-links.json", "ditulis: rules/bwauto-links.yml"]
    assert lines[2] == "bpkad: prometheus: terdaftar" and len(lines) == 4
    assert not foreign_words(out, "id"), out
    assert cli("sync") == 0
    assert "nothing to sync" in capsys.readouterr().out
    assert cli("settings", lang=None) == 0
    out = capsys.readouterr().out
    assert "    bagian kapasitas link yang memicu peringatan (0-1]" in out
    meanings = "\n".join(x for x in out.splitlines() if x.startswith("    "))  # not keys, paths
    assert not foreign_words(meanings, "id"), meanings


def test_cli_without_a_server_says_not_verified_in_the_chosen_language_and_records_it(
    cli: Any, state: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside look: with no monitoring.yaml, bwauto said "verified" though it had only
    written files with the defaults and asked no server."""
    monkeypatch.setenv("BWAUTO_LANG", "en")

    assert cli("register", "--link", "dinkes") == 0
    out = capsys.readouterr().out
    assert ("  files written, NOT verified: no prometheus server configured (prometheus.url in "
            "monitoring.yaml)\n") in out  # fmt: skip
    assert cli("register", "--link", "bpkad", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["ok"], data["verified"]) == (True, False)
    record = runner.load_records(state)["dinkes"]["prometheus"]
    assert (record["ok"], record["registration"]["verified"]) == (True, False)


def test_cli_sync_all_json(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("sync", "--all", "--json") == 0

    data = json.loads(capsys.readouterr().out)
    assert [r["link_id"] for r in data["registrations"]] == ["dinkes", "bpkad"]
    assert all(r["ok"] and r["changed"] for r in data["registrations"]) and data["errors"] == {}


def test_cli_unreachable_backend_is_one_line_and_exit_1(
    cli: Any, inv_dir: Path, dead_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exporter = dead_url.removeprefix("http://")
    (inv_dir / "monitoring.yaml").write_text(
        f"prometheus: {{url: '{dead_url}', snmp_exporter: '{exporter}'}}\n"
    )

    assert cli("register", "--link", "dinkes") == 1
    assert capsys.readouterr().err == f"error: snmp_exporter at {dead_url}: connection refused\n"

    start = time.monotonic()
    assert cli("sync", "--all") == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert time.monotonic() - start < 10  # not verify_timeout_s (90 s) per link
    assert lines == [  # one line per server down, not one per link
        f"error: prometheus at {dead_url}: connection refused",
        f"error: snmp_exporter at {dead_url}: connection refused",
        "error: monitor sync: files written, nothing verified; run 'bwauto monitor sync' again "
        "when the servers answer",
    ]


def test_cli_unknown_backend_is_a_usage_error(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("register", "--link", "dinkes", "--backend", "nagios") == 2
    assert "unknown monitoring backend 'nagios'" in capsys.readouterr().err


def test_cli_sync_removes_links_no_longer_in_the_inventory_and_says_so(
    cli: Any, inv_dir: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What was seen 6: a link removed from the inventory stayed monitored forever."""
    assert cli("sync") == 0
    capsys.readouterr()
    links = yaml.safe_load((inv_dir / "links.yaml").read_text())
    links["links"] = [x for x in links["links"] if x["id"] != "bpkad"]
    (inv_dir / "links.yaml").write_text(yaml.safe_dump(links))

    assert cli("sync") == 0

    out = capsys.readouterr().out.splitlines()
    assert "bpkad: removed (no longer in the inventory)" in out
    prom = state / "monitoring/prometheus"
    assert "bpkad" not in (prom / "bwauto-links.json").read_text()
    assert "bpkad" not in (prom / "rules/bwauto-links.yml").read_text()
    assert list(runner.load_records(state)) == ["dinkes"]
    assert cli("sync") == 0
    assert "nothing to sync" in capsys.readouterr().out


def test_cli_sync_applies_a_changed_alert_threshold(
    cli: Any, inv_dir: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What was seen 8: after the threshold went from 0.8 to 0.9, sync said nothing to sync."""
    assert cli("sync") == 0
    capsys.readouterr()
    (inv_dir / "monitoring.yaml").write_text("alert: {threshold: 0.9}\n")

    assert cli("sync") == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "wrote rules/bwauto-alerts.yml"
    assert {"dinkes: prometheus: registered", "bpkad: prometheus: registered"} <= set(out)
    alerts = (state / "monitoring/prometheus/rules/bwauto-alerts.yml").read_text()
    assert "> 0.9" in alerts
    assert cli("sync") == 0
    assert "nothing to sync" in capsys.readouterr().out


EIGHT = [f"opd{i}" for i in range(8)]


def test_eight_concurrent_registers_all_land(tmp_path: Path) -> None:
    """What was seen 5: with parallel registers a link was recorded ok but missing from the
    targets. Eight `bwauto monitor register` processes at once: every one lands in the files
    and in the ledger."""
    inv = tmp_path / "inventory"
    inv.mkdir()
    hosts = {f"r{i}": {"hostname": f"10.0.0.{i}", "platform": "mikrotik_routeros",
                       "data": {"interfaces": {f"ether{j}": "1G" for j in range(2, 5)}}}
             for i in range(3)}  # fmt: skip
    links = {"upstreams": [{"id": "telkom", "capacity": "10G"}], "links": [
        {"id": link, "opd": f"OPD {i}", "router": f"r{i % 3}", "interface": f"ether{2 + i // 3}",
         "shaper": f"q-{link}", "committed": {"up": "10M", "down": "20M"}, "upstream": "telkom",
         "contact": CONTACT} for i, link in enumerate(EIGHT)]}  # fmt: skip
    (inv / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (inv / "links.yaml").write_text(yaml.safe_dump(links))
    state = tmp_path / "state"
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root, "BWAUTO_SNMP_COMMUNITY": "c0mm"}
    args = [sys.executable, "-m", "bwauto", "--inventory", str(inv), "--state-dir", str(state),
            "monitor", "register", "--link"]  # fmt: skip

    procs = [subprocess.Popen([*args, link], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for link in EIGHT]  # fmt: skip
    codes = [(p.wait(120), p.stderr.read() if p.stderr else b"") for p in procs]

    assert [c for c, _ in codes] == [0] * 8, codes
    out = state / "monitoring/prometheus"
    manifest = json.loads((out / "bwauto-links.json").read_text())
    assert sorted(manifest["links"]) == EIGHT
    assert sorted(p.name for p in (out / "targets").glob("*.json")) == [
        "r0.json", "r1.json", "r2.json"]  # fmt: skip
    rules = (out / "rules/bwauto-links.yml").read_text()
    assert all(f"link_id: {link}" in rules for link in EIGHT)
    records = runner.load_records(state)
    assert sorted(records) == EIGHT and all(r["prometheus"]["ok"] for r in records.values())


def test_cli_setup_writes_snmp_yml_before_any_registration(
    cli: Any, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What was seen 1: snmp.yml did not exist until `monitor sync --all`, so snmp_exporter
    would not start. 3: the commands name --web.enable-lifecycle."""
    assert cli("setup", "prometheus") == 0

    out = capsys.readouterr().out
    prom = state / "monitoring/prometheus"
    modules = yaml.safe_load((prom / "snmp.yml").read_text())
    assert list(modules) == ["bwauto_edge_bc_01"]
    assert modules["bwauto_edge_bc_01"]["auth"] == {"community": "c0mm"}
    for rel in ("prometheus.yml", "scrape-config.yml", "targets/edge-bc-01.json",
                "debian/prometheus-snmp-exporter.service.d/bwauto.conf"):  # fmt: skip
        assert (prom / rel).is_file(), rel
    assert f"prometheus-snmp-exporter --config.file={prom}/snmp.yml" in out
    assert f"prometheus --config.file={prom}/prometheus.yml --web.enable-lifecycle" in out
    assert f"--state-dir {state.resolve()} monitor sync --all" in out  # this state dir, named
    assert runner.load_records(state) == {}  # nothing registered, nothing reloaded
    assert cli("setup", "prometheus") == 0
    assert "already up to date" in capsys.readouterr().out
    assert cli("setup", "zabbix") == 2


def test_cli_setup_leaves_the_reload_to_the_next_sync(
    cli: Any, inv_dir: Path, state: Path, dead_url: str
) -> None:
    """Outside look: setup rewrote the rules while Prometheus ran and nothing reloaded them
    (sync then saw no file change), so the links could not be verified until a manual reload."""
    exporter = dead_url.removeprefix("http://")
    (inv_dir / "monitoring.yaml").write_text(
        f"prometheus: {{url: '{dead_url}', snmp_exporter: '{exporter}'}}\n"
    )
    assert cli("setup", "prometheus") == 0
    pending = state / "monitoring/prometheus/.bwauto-reload-pending"
    assert pending.read_text().split() == ["prometheus", "snmp_exporter"]


def test_cli_setup_names_a_parent_dir_the_group_cannot_enter(
    cli: Any, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What was seen 4: the default output dir under ~/.local/state could not be read by the
    prometheus user; setup says which directory stops it."""
    state.mkdir(parents=True)
    state.chmod(0o700)

    assert cli("setup", "prometheus") == 0

    err = capsys.readouterr().err
    # bwauto lets the group through its own (private) state dir; the dir above stops it
    assert f"warning: {state.parent} (mode 0700): the group cannot enter it" in err
    assert f"warning: {state} (" not in err


def test_cli_an_unknown_group_is_bad_input_naming_the_setting_and_nothing_is_written(
    cli: Any, inv_dir: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside look: ``prometheus.group: nosuchgroup`` only warned and left 0644 files."""
    (inv_dir / "monitoring.yaml").write_text(
        "backend: prometheus\nprometheus:\n  group: nosuchgroup\n"
    )

    assert cli("setup", "prometheus") == 2
    err = capsys.readouterr().err
    assert f"{inv_dir / 'monitoring.yaml'}:3: prometheus.group: no Unix group 'nosuchgroup'" in err
    assert len(err.strip().splitlines()) == 1
    assert cli("register", "--link", "dinkes") == 2
    assert not (state / "monitoring" / "prometheus").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="root can give files to any group")
def test_cli_a_group_the_servers_user_is_not_in_is_refused_naming_the_setting(
    cli: Any, inv_dir: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside look: as root, ``group: daemon`` was taken and every file chgrp'd to it, after
    which snmp_exporter (user prometheus) could not read snmp.yml."""
    user = _user_outside("daemon")
    (inv_dir / "monitoring.yaml").write_text(f"prometheus:\n  group: daemon\n  user: {user}\n")

    assert cli("sync") == 2
    err = capsys.readouterr().err
    assert (f"{inv_dir / 'monitoring.yaml'}:2: prometheus.group: user "
                          f"'{user}' (prometheus.user, which runs snmp_exporter and Prometheus) "
                          "is not in group 'daemon'") in err  # fmt: skip
    assert f"usermod -aG daemon {user}" in err and len(err.strip().splitlines()) == 1
    assert not (state / "monitoring" / "prometheus").exists()
    (inv_dir / "monitoring.yaml").write_text("prometheus:\n  user: nosuchuser\n")
    assert cli("sync") == 2
    assert (
        "monitoring.yaml:2: prometheus.user: no Unix user 'nosuchuser'" in capsys.readouterr().err
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="root can give files to any group")
def test_cli_a_group_change_is_reported_by_sync_not_up_to_date(
    cli: Any, inv_dir: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside look: sync said "already up to date" while it chgrp'd every file."""
    group = grp.getgrgid(pwd.getpwnam("prometheus").pw_gid).gr_name if _has("prometheus") else ""
    if not group:
        pytest.skip("no prometheus user here")
    me = pwd.getpwuid(os.geteuid()).pw_name
    (inv_dir / "monitoring.yaml").write_text(f"prometheus:\n  group: null\n  user: {me}\n")
    assert cli("sync") == 0
    capsys.readouterr()
    (inv_dir / "monitoring.yaml").write_text(f"prometheus:\n  group: {group}\n")

    assert cli("sync") == 0

    out = capsys.readouterr().out
    assert f"chgrp/chmod snmp.yml ({group}, 0640)" in out, out
    assert "nothing to sync" not in out
    snmp = state / "monitoring/prometheus/snmp.yml"
    assert snmp.stat().st_gid == grp.getgrnam(group).gr_gid


def test_cli_a_null_group_under_another_servers_user_is_refused_and_nothing_changes(
    cli: Any, inv_dir: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside look: ``group: null`` under the default ``user: prometheus`` was taken; snmp.yml
    became 0600 for bwauto's user, and every link then failed at the reload with "permission
    denied" (exit 1, modes already changed). Refused up front now, as ``group: root`` is."""
    me = pwd.getpwuid(os.geteuid()).pw_name
    other = next((u.pw_name for u in pwd.getpwall() if u.pw_name != me), None)
    if other is None:
        pytest.skip("no other user here")
    (inv_dir / "monitoring.yaml").write_text(f"prometheus:\n  group: null\n  user: {other}\n")

    assert cli("sync") == 2
    err = capsys.readouterr().err
    assert f"{inv_dir / 'monitoring.yaml'}:2: prometheus.group: null leaves snmp.yml 0600" in err
    assert f"set prometheus.user: {me}" in err and len(err.strip().splitlines()) == 1
    assert not (state / "monitoring" / "prometheus").exists()
    (inv_dir / "monitoring.yaml").write_text(f"prometheus:\n  group: null\n  user: {me}\n")
    assert cli("sync") == 0
    capsys.readouterr()
    snmp = state / "monitoring/prometheus/snmp.yml"
    assert snmp.stat().st_mode & 0o777 == 0o600


def _has(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def _user_outside(group: str) -> str:
    """A real user of this machine that is not in ``group`` (prometheus if it exists)."""
    gr = grp.getgrnam(group)
    users = sorted(pwd.getpwall(), key=lambda u: u.pw_name != "prometheus")
    for u in users:
        if u.pw_gid != gr.gr_gid and u.pw_name not in gr.gr_mem:
            return u.pw_name
    pytest.skip(f"every user is in {group}")


def test_cli_a_scrape_interval_over_2m30s_is_refused(
    cli: Any, inv_dir: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside look: 3m was taken silently, though Prometheus drops a series 5 min after its
    last sample: one missed scrape would leave a gap."""
    (inv_dir / "monitoring.yaml").write_text("prometheus:\n  scrape_interval: 3m\n")

    assert cli("setup", "prometheus") == 2
    err = capsys.readouterr().err
    assert "monitoring.yaml:2: prometheus.scrape_interval: '3m' is longer than 2m30s" in err
    assert not (state / "monitoring" / "prometheus").exists()
    (inv_dir / "monitoring.yaml").write_text("prometheus:\n  scrape_interval: 150s\n")
    assert cli("setup", "prometheus") == 0


def test_cli_settings_lists_every_key_with_its_value_default_and_meaning(
    cli: Any, inv_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside look: the settings could be found only by reading settings.py."""
    from bwauto.monitoring.settings import MonitoringSettings

    monkeypatch.setenv("BWAUTO_LANG", "en")
    assert cli("settings") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{inv_dir / 'monitoring.yaml'} not found: every key has its default\n")
    assert "prometheus.scrape_interval: 60s\n    how often each router is walked" in out

    (inv_dir / "monitoring.yaml").write_text("alert: {for: 30m}\nzabbix: {host_per: link}\n")
    assert cli("settings", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    rows = {r["key"]: r for r in data["settings"]}
    meaning = "how long the traffic must stay above it (e.g. 15m, 1h30m)"
    assert rows["alert.for"] == {"key": "alert.for", "value": "30m", "default": "15m",
                                 "meaning": meaning}  # fmt: skip
    assert rows["zabbix.host_per"]["value"] == "link" and all(r["meaning"] for r in rows.values())
    sections = {"alert": "alert", "prometheus": "prometheus", "zabbix": "zabbix"}
    fields = MonitoringSettings.model_fields
    wanted = {k for k, f in fields.items() if not f.exclude and k not in sections}
    for section in sections:
        model = type(getattr(MonitoringSettings(), section))
        wanted |= {f"{section}.{f.alias or k}" for k, f in model.model_fields.items()}
    assert set(rows) == wanted
    assert cli("settings") == 0
    assert "alert.for: 30m  (default: 15m)\n" in capsys.readouterr().out


def test_waiting_shows_a_status_on_a_terminal_and_lines_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside look: register/sync printed nothing for up to 45 s while verifying."""
    import io

    from rich.console import Console

    from bwauto.monitoring.settings import MonitoringSettings, PrometheusSettings

    monkeypatch.setenv("BWAUTO_LANG", "en")
    settings = MonitoringSettings(prometheus=PrometheusSettings(url="http://127.0.0.1:9"))
    for terminal in (True, False):
        buf = io.StringIO()
        monkeypatch.setattr(monitor_cmd, "err_console", Console(file=buf, force_terminal=terminal))
        with monitor_cmd._waiting("prometheus", settings) as waiting:
            waiting("dinkes")
            time.sleep(0.3)  # the status refreshes 12.5 times a second
        assert "dinkes: waiting for prometheus to show it (at most 90 s)" in buf.getvalue()
        assert ("\x1b[" in buf.getvalue()) is terminal  # a spinner, or plain lines


def test_cli_setup_speaks_one_language(
    cli: Any, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside look: monitoring output mixed English and Indonesian under the default."""
    state.mkdir(parents=True)
    state.parent.chmod(0o700)  # a warning too

    assert cli("setup", "prometheus", lang=None) == 0

    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "peringatan: " in text and "Di Debian (paket prometheus" in text
    prose = [x for x in text.splitlines() if not x.startswith("  ")]  # not the commands
    words = " ".join(w for x in prose for w in x.split() if "/" not in w)  # nor paths
    assert not foreign_words(words, "id"), words


def test_a_failed_verification_is_shown_in_the_chosen_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside look: "terverifikasi dalam 17.4 dtk: target file: ..." mixed the languages."""
    from bwauto.monitoring.base import Check, Verification

    v = Verification("prometheus", "dinkes", (
        Check("target file", True, "targets/r1.json: the router's target"),
        Check("target up", False, "http://x/snmp: down"),
        Check("ifHCInOctets scraped", False, "ifHCInOctets of ifName 'ether2': not scraped"),
        Check("bwauto_link_capacity_bps", False, "no series (want up=1, down=2)"),
    ))  # fmt: skip
    monkeypatch.setenv("BWAUTO_LANG", "id")

    text = monitor_cmd.unverified_text(v)

    assert text == (
        "TIDAK terverifikasi: target hidup: http://x/snmp: down; ifHCInOctets "
        "di-scrape: ifHCInOctets dari ifName 'ether2': belum di-scrape; "
        "bwauto_link_capacity_bps: tidak ada deret (seharusnya up=1, down=2)"
    )
    assert not foreign_words(text, "id"), text
    monkeypatch.setenv("BWAUTO_LANG", "en")
    assert monitor_cmd.unverified_text(v).startswith("NOT verified: target up: http://x/snmp")


def test_urls_metric_names_and_paths_stay_byte_identical_under_indonesian(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside look: "target hidup: http://127.0.0.1:…/snmp?modul=bwauto_edge_bc_03&target=…"
    printed a URL that does not work: the query parameter ``module`` was translated."""
    from bwauto.monitoring.base import Check, Verification

    url = "http://127.0.0.1:9116/snmp?module=bwauto_edge_bc_03&target=10.20.0.3%3A161"
    v = Verification("prometheus", "dinkes", (
        Check("target up", False, f"{url}: down (module bwauto_edge_bc_03)"),
        Check("snmp module", False, "snmp.yml: module bwauto_edge_bc_03"),
        Check("link rules", False, "rules/capacity/module.yml: link missing or different"),
    ))  # fmt: skip
    monkeypatch.setenv("BWAUTO_LANG", "id")

    text = monitor_cmd.unverified_text(v)

    assert f"target hidup: {url}: down (modul bwauto_edge_bc_03)" in text, text
    assert "snmp.yml: modul bwauto_edge_bc_03" in text
    assert "rules/capacity/module.yml: " in text


class _StopsDuringSync:
    """A backend whose ``sync`` is interrupted by SIGTERM, as an operator's Ctrl-C would."""

    name = "prometheus"

    def sync(self, targets: list[MonitoredLink], keep: list[str]) -> Any:
        import signal

        from bwauto.monitoring.base import SyncOutcome

        os.kill(os.getpid(), signal.SIGTERM)
        return SyncOutcome(("wrote bwauto-links.json",), ())

    def verify(self, target: MonitoredLink) -> Verification:
        return Verification("prometheus", target.link_id, (Check("target up", True, "up"),))

    def unreachable(self) -> list[str]:
        return []


def test_cli_an_interrupted_sync_counts_the_links_already_verified(
    cli: Any, inventory: Inventory, inv_dir: Path, state: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Outside look: with 8 of 9 links verified and only ``dinkes`` pending, SIGTERM during
    ``monitor sync`` printed "0 dari 9 link terverifikasi"."""
    from bwauto.monitoring.settings import load_settings

    settings = load_settings(inv_dir, state)
    ok = Registration("prometheus", "bpkad", True, (), _StopsDuringSync().verify(
        runner.monitored_link(inventory, inventory.links["bpkad"], CREDS)))  # fmt: skip
    runner.record(state, "prometheus", inventory.links["bpkad"], ok, settings=settings)
    runner.record(state, "prometheus", inventory.links["dinkes"], error="down", settings=settings)
    monkeypatch.setattr(runner, "get_backend", lambda *a, **k: _StopsDuringSync())

    assert cli("sync") == 130
    err = capsys.readouterr().err
    assert "interrupted: files written, 1 of 2 links verified;" in err, err


def test_cli_settings_problems_and_servers_down_are_said_in_indonesian(
    cli: Any, inv_dir: Path, dead_url: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Outside look: under the default Indonesian, "error: inventory: …monitoring.yaml:9:
    alert.threshold: 1.5 is over 1…" and "error: snmp_exporter at …: connection refused"."""
    monkeypatch.delenv("BWAUTO_LANG", raising=False)
    settings = inv_dir / "monitoring.yaml"
    settings.write_text("alert:\n  threshold: 1.5\n")

    assert cli("sync", lang=None) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"galat: inventaris: {settings}:2: alert.threshold: 1.5 lebih dari 1:")
    assert not foreign_words(_no_paths(err), "id"), err
    settings.write_text("prometheus:\n  scrape_interval: 3m\n  url: nope\n")
    assert cli("sync", lang=None) == 2
    err = capsys.readouterr().err
    assert "prometheus.url: 'nope' bukan URL http:// atau https://" in err
    assert not foreign_words(_no_paths(err), "id"), err
    settings.write_text("prometheus:\n  verify_timeout_s: 5000\n  job_name: a b\n")
    assert cli("sync", lang=None) == 2
    err = capsys.readouterr().err
    assert "prometheus.verify_timeout_s: nilai harus paling besar 3600" in err, err
    assert "prometheus.job_name: teks harus cocok dengan pola '^[a-zA-Z_]" in err, err

    exporter = dead_url.removeprefix("http://")
    settings.write_text(f"prometheus: {{url: '{dead_url}', snmp_exporter: '{exporter}'}}\n")
    assert cli("register", "--link", "dinkes", lang=None) == 1
    err = capsys.readouterr().err
    assert err == f"galat: snmp_exporter di {dead_url}: koneksi ditolak\n"
    assert cli("sync", "--all", lang=None) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[:2] == [f"galat: prometheus di {dead_url}: koneksi ditolak",
                         f"galat: snmp_exporter di {dead_url}: koneksi ditolak"]  # fmt: skip
    assert not foreign_words("\n".join(lines[:2]), "id")


def _no_paths(text: str) -> str:
    """The words of ``text`` without file paths (a test's tmp dir is named after the test)."""
    return " ".join(w for w in text.split() if "/" not in w)


def test_a_matching_capacity_reads_as_a_match_in_one_order_and_in_mbps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside look: "bwauto_link_capacity_bps: down=100000000, up=50000000 (seharusnya
    up=50000000, down=100000000)": the same values in another order read like a mismatch."""
    from bwauto.monitoring.base import Check, Verification
    from bwauto.monitoring.prometheus import capacity_detail

    want = {"up": 50_000_000.0, "down": 100_000_000.0}
    same = capacity_detail({"down": 100_000_000.0, "up": 50_000_000.0}, want)
    other = capacity_detail({"down": 100_000_000.0, "up": 20_000_000.0}, want)
    v = Verification("prometheus", "dinkes", (Check("bwauto_link_capacity_bps", True, same),))
    monkeypatch.setenv("BWAUTO_LANG", "id")

    line = monitor_cmd.verification_line(Registration("prometheus", "dinkes", False, (), v))

    assert line.endswith("bwauto_link_capacity_bps: up=50 Mbps, down=100 Mbps"), line
    assert "seharusnya" not in line
    assert other == "up=20 Mbps, down=100 Mbps (want up=50 Mbps, down=100 Mbps)"


class _Verifies(_StopsDuringSync):
    """A backend whose files are already in place and whose server shows every link."""

    def sync(self, targets: list[MonitoredLink], keep: list[str]) -> Any:
        from bwauto.monitoring.base import SyncOutcome

        return SyncOutcome((), ())


def test_cli_links_never_verified_or_last_failed_are_not_already_up_to_date(
    cli: Any, inventory: Inventory, inv_dir: Path, state: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Outside look: the first ``sync --all`` after ``setup`` said "sudah mutakhir" for every
    link while it verified them for the first time (35-56 s waits); so did links re-verified
    after a failed attempt."""
    from bwauto.monitoring.settings import load_settings

    settings = load_settings(inv_dir, state)
    runner.record(state, "prometheus", inventory.links["dinkes"], error="down", settings=settings)
    monkeypatch.setattr(runner, "get_backend", lambda *a, **k: _Verifies())

    assert cli("sync", "--all") == 0
    lines = capsys.readouterr().out.splitlines()
    assert "dinkes: prometheus: last attempt failed: verifying again" in lines, lines
    assert "bpkad: prometheus: not yet verified: verifying" in lines, lines
    assert cli("sync", "--all", lang=None) == 0
    out = capsys.readouterr().out
    assert (
        "dinkes: prometheus: sudah mutakhir" in out and "bpkad: prometheus: sudah mutakhir" in out
    )
    runner.record(state, "prometheus", inventory.links["dinkes"], error="down", settings=settings)
    assert cli("sync", lang=None) == 0
    out = capsys.readouterr().out
    assert "dinkes: prometheus: percobaan terakhir gagal: diverifikasi ulang" in out, out
    assert not foreign_words(out, "id"), out
