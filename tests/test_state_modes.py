"""The state dir holds the case file, evidence and samples: 0700/0600 by default, or 0750/0640
for the group named by ``state_group``; never readable by others."""

from __future__ import annotations

import grp
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from bwauto.cli.app import main

SAMPLE = Path(__file__).parents[1] / "inventory"
NEW = ["request", "new", "--link", "dinkes", "--rate", "200M", "--letter-no", "045/DINKES/2026",
       "--letter-date", "2026-02-27", "--purpose", "SIMRS"]  # fmt: skip
HISTORY = "timestamp,link_id,in_octets,out_octets\n2026-03-01T00:00:00,dinkes,1,1\n"


def _modes(state: Path) -> dict[str, int]:
    return {str(p.relative_to(state)): stat.S_IMODE(p.stat().st_mode)
            for p in [state, *state.rglob("*")]}  # fmt: skip


def _run(inv: Path, state: Path, tmp: Path) -> None:
    (tmp / "h.csv").write_text(HISTORY)
    assert main(["-i", str(inv), "--state-dir", str(state), *NEW]) == 0
    assert main(["-i", str(inv), "--state-dir", str(state), "samples", "import",
                 str(tmp / "h.csv")]) == 0  # fmt: skip


@pytest.fixture
def inv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("BWAUTO_STATE_GROUP", raising=False)
    copy = tmp_path / "inventory"
    shutil.copytree(SAMPLE, copy)
    return copy


def test_new_state_dir_is_private(inv: Path, tmp_path: Path) -> None:
    """Was: the state dir 0755, register.sqlite, samples.sqlite and the evidence 0644."""
    state = tmp_path / "state"
    _run(inv, state, tmp_path)
    modes = _modes(state)
    assert {"register.sqlite", "samples.sqlite"} <= set(modes)
    for name, mode in modes.items():
        assert mode & 0o077 == 0, (name, oct(mode))
    assert modes["."] == 0o700


def test_existing_state_dir_loses_access_for_others(inv: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    _run(inv, state, tmp_path)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "argv", [["request", "list"], ["inventory", "list"], ["request", "verify"]], ids=" ".join
)
def test_every_command_brings_an_existing_state_dir_to_0700(
    inv: Path, tmp_path: Path, argv: list[str]
) -> None:
    """Was: a state dir at 0755 (made by hand, or restored from a backup) stayed 0755 for
    commands that write nothing; group and others could list the case files."""
    state = tmp_path / "state"
    _run(inv, state, tmp_path)
    for before in (0o755, 0o750, 0o775):
        state.chmod(before)
        assert main(["-i", str(inv), "--state-dir", str(state), *argv]) == 0
        assert stat.S_IMODE(state.stat().st_mode) == 0o700, oct(before)
    state.chmod(0o710)  # a service group may traverse to its file (let_group_through): kept
    assert main(["-i", str(inv), "--state-dir", str(state), *argv]) == 0
    assert stat.S_IMODE(state.stat().st_mode) == 0o710


def test_a_shared_state_dir_is_brought_to_2750(inv: Path, tmp_path: Path) -> None:
    group = grp.getgrgid(os.getgid()).gr_name
    state = tmp_path / "state"
    _run(inv, state, tmp_path)
    state.chmod(0o775)
    (inv / "defaults.yaml").write_text((inv / "defaults.yaml").read_text()
                                       + f"  state_group: {group}\n")  # fmt: skip
    assert main(["-i", str(inv), "--state-dir", str(state), "request", "list"]) == 0
    assert stat.S_IMODE(state.stat().st_mode) == 0o750 | stat.S_ISGID


def test_umask_of_the_caller_is_restored(inv: Path, tmp_path: Path) -> None:
    before = os.umask(0o022)
    try:
        _run(inv, tmp_path / "state", tmp_path)
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(before)


def test_state_group_shares_with_the_team(inv: Path, tmp_path: Path) -> None:
    group = grp.getgrgid(os.getgid()).gr_name
    text = (inv / "defaults.yaml").read_text()
    (inv / "defaults.yaml").write_text(text + f"  state_group: {group}\n")
    state = tmp_path / "state"
    _run(inv, state, tmp_path)
    assert stat.S_IMODE(state.stat().st_mode) == 0o750 | stat.S_ISGID
    for name, mode in _modes(state).items():
        assert mode & 0o007 == 0, (name, oct(mode))
        assert (state / name).stat().st_gid == os.getgid()
    files = [p for p in state.rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) & 0o777 == 0o640 for p in files
                         if p.suffix == ".sqlite")  # fmt: skip


def test_unknown_state_group_is_one_line(
    inv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BWAUTO_STATE_GROUP", "no-such-group-xyz")
    assert main(["-i", str(inv), "--state-dir", str(tmp_path / "s"), *NEW]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "galat: state_group 'no-such-group-xyz': no such group on this machine"


def test_readme_names_every_state_file_that_holds_a_secret(
    inv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: the README said no secret is written to a state file, but snmp.yml holds the
    community (snmp_exporter reads it from there): each such file is named, with its mode."""
    secret = "c0mm-Zq81-unique"
    monkeypatch.setenv("BWAUTO_SNMP_COMMUNITY", secret)
    monkeypatch.delenv("BWAUTO_SECRETS", raising=False)
    state = tmp_path / "state"
    _run(inv, state, tmp_path)
    assert main(["-i", str(inv), "--state-dir", str(state), "monitor", "register",
                 "--link", "dinkes"]) == 0  # fmt: skip
    holders = [p for p in state.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    assert [p.name for p in holders] == ["snmp.yml"]
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## State dir", 1)[1].split("\n## ", 1)[0]
    assert "No secret is ever printed, logged or written to a state file." not in readme
    for path in holders:
        assert str(path.relative_to(state)) in section
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode in (0o600, 0o640) and not mode & 0o007
        if mode == 0o640:
            assert grp.getgrgid(path.stat().st_gid).gr_name == "prometheus"
    assert "0640" in section and "0600" in section and "snmp_exporter reads" in section


def test_a_service_group_may_traverse_to_its_files_but_read_nothing_else(tmp_path: Path) -> None:
    """snmp_exporter (group prometheus) reads snmp.yml inside the private state dir."""
    from bwauto.paths import let_group_through

    state = tmp_path / "state"
    (state / "monitoring" / "prometheus").mkdir(parents=True)
    for d in (state, state / "monitoring"):
        d.chmod(0o700)
    let_group_through(state, state / "monitoring" / "prometheus", os.getgid())
    for d in (state, state / "monitoring"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o710 and d.stat().st_gid == os.getgid()
    team = tmp_path / "team"
    (team / "m").mkdir(parents=True)
    team.chmod(0o2750)  # a state_group's dir of another group: others may traverse only
    os.chown(team, -1, 0 if os.getgid() != 0 else 1)
    let_group_through(team, team / "m", os.getgid())
    assert stat.S_IMODE(team.stat().st_mode) == 0o2751


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_asked_for_by_path_follow_the_users_umask_outside_the_state_dir(
    inv: Path, tmp_path: Path
) -> None:
    """An office prints and shares its documents, CSV and XLSX: a file the user names outside
    the state dir gets the user's umask (0644 under 022), as `cp` would give it; inside the
    state dir everything stays 0600. (Was: 0600 everywhere, even ~/laporan/x.docx.)"""
    state = tmp_path / "state"
    base = ["-i", str(inv), "--state-dir", str(state)]
    out = tmp_path / "laporan" / "2026"  # two dirs bwauto creates
    before = os.umask(0o022)
    try:
        assert main([*base, "request", "form", "--blank", "--out", str(out / "isian.docx")]) == 0
        assert main([*base, "lab", "history", "--days", "1", "--out", str(out / "h.csv")]) == 0
        assert main([*base, "request", "form", "--blank", "--out", str(state / "isian.docx")]) == 0
        assert main([*base, "samples", "import", str(out / "h.csv")]) == 0
        assert main([*base, *NEW]) == 0
        rows = sqlite3.connect(state / "register.sqlite").execute("SELECT id FROM requests")
        case_id = rows.fetchone()[0]
        assert main([*base, "request", "export", case_id, "--out", str(out / "arsip.zip")]) == 0
        reports = ["--csv", str(out / "r.csv"), "--xlsx", str(out / "r.xlsx")]
        assert main([*base, "analyse", "--all", *reports, "--chart", str(out / "grafik")]) == 0
    finally:
        os.umask(before)
    for name in ("isian.docx", "h.csv", "r.csv", "r.xlsx", "arsip.zip"):
        assert _mode(out / name) == 0o644, name
    charts = list((out / "grafik").iterdir())
    assert charts and all(_mode(p) == 0o644 for p in charts)
    assert _mode(out) == _mode(out.parent) == _mode(out / "grafik") == 0o755
    assert _mode(state / "isian.docx") == 0o600  # inside the state dir: private
    assert all(_mode(p) & 0o077 == 0 for p in [state, *state.rglob("*")])


def test_a_strict_umask_is_followed_too(inv: Path, tmp_path: Path) -> None:
    before = os.umask(0o077)
    try:
        target = tmp_path / "isian.docx"
        assert main(["-i", str(inv), "--state-dir", str(tmp_path / "state"), "request", "form",
                     "--blank", "--out", str(target)]) == 0  # fmt: skip
    finally:
        os.umask(before)
    assert _mode(target) == 0o600


def test_a_widened_state_dir_keeps_the_traverse_bit_monitoring_needs(
    inv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: after `chmod 755 state`, any command made it 0700, dropping the g+x that `monitor
    register` gives snmp_exporter's group (the README says that bit stays)."""
    import subprocess
    import sys

    monkeypatch.setenv("BWAUTO_SNMP_COMMUNITY", "c0mm-unique")
    monkeypatch.delenv("BWAUTO_SECRETS", raising=False)
    state = tmp_path / "state"
    _run(inv, state, tmp_path)
    assert main(["-i", str(inv), "--state-dir", str(state), "monitor", "register",
                 "--link", "dinkes"]) == 0  # fmt: skip
    if state.stat().st_gid == os.getegid():
        pytest.skip("no service group here: monitor register gave the state dir to nobody")
    assert _mode(state) == 0o710
    env = {**os.environ, "PYTHONPATH": str(SAMPLE.parent)}
    for before, after in ((0o755, 0o710), (0o750, 0o710), (0o700, 0o700), (0o710, 0o710)):
        state.chmod(before)
        done = subprocess.run([sys.executable, "-m", "bwauto", "-i", str(inv), "--state-dir",
                               str(state), "request", "list"], capture_output=True, text=True,
                              env=env, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert _mode(state) == after, (oct(before), oct(_mode(state)))
    state.chmod(0o755)  # without monitoring output, nothing needs the bit
    shutil.rmtree(state / "monitoring")
    assert main(["-i", str(inv), "--state-dir", str(state), "request", "list"]) == 0
    assert _mode(state) == 0o700
