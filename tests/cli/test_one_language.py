"""One language per output (issue 11, seen 7; outside look): every command, run as a real
process against the lab, writes Indonesian under ``--lang id`` and English under ``--lang en``,
stdout and stderr alike, and never a traceback. Before: ``analyse``, ``play``, ``init`` and the
errors wrote English under ``id``; ``request status``/``list`` stayed Indonesian under ``en``;
a skipped step said "its condition is false (outcome_after)"; a slow router's session error was
Netmiko's "ReadTimeout: The command echo was not detected ..."; at 80 columns the inventory
table cut ids ("edge-bc…")."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from language import foreign_words, without_code

from bwauto.case.register import Register
from bwauto.inventory.loader import load_inventory
from bwauto.lab.runner import Lab
from bwauto.lab.testing import import_lab_history

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("id", "en")


def bwauto(lab: Lab, state: Path, lang: str, *args: str, columns: int = 80) -> tuple[int, str]:
    """``python3 -m bwauto --lang LANG ARGS`` as a process: (exit code, stdout + stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": str(columns)}
    env.pop("BWAUTO_LANG", None)
    cmd = [sys.executable, "-m", "bwauto", "-i", str(lab.inventory_dir), "--state-dir",
           str(state), "--lang", lang, *args]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180, check=False)
    return done.returncode, done.stdout + done.stderr


def without_names(text: str, lab: Lab) -> str:
    """``text`` without the inventory's proper names (an OPD called "... dan ..." is a name,
    not a sentence), the commands it quotes and the test's own temporary paths
    ("/tmp/pytest-of-root/..."): what is left must be one language."""
    inventory = load_inventory(lab.inventory_dir)
    names = sorted({link.opd for link in inventory.links.values()}, key=len, reverse=True)
    for name in names:
        text = text.replace(name, " ")
    text = re.sub(re.escape(tempfile.gettempdir()) + r"/pytest-of-[^/\s]+/\S*", "PATH", text)
    return without_code(text)


def assert_one_language(text: str, lang: str, lab: Lab) -> None:
    assert "Traceback" not in text, text
    foreign = foreign_words(without_names(text, lab), lang)
    lines = [line for line in text.splitlines() if foreign_words(line, lang) & foreign]
    assert not foreign, (sorted(foreign), lines)


@pytest.fixture(scope="module")
def state(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A week of history (the raise judges its upstream over 7 days) and a request at step 5."""
    import datetime as dt

    state = tmp_path_factory.mktemp("one-language")
    import_lab_history(lab, state, 7)
    reg = Register.for_office(state, lab.inventory_dir)
    case = reg.new(opd="Dinas Kesehatan", letter_no="400.7/1/DINKES",
                   letter_date=dt.date(2026, 1, 5), link_id="dinkes", rate_bps=150_000_000,
                   purpose="SIMRS")  # fmt: skip
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi"), ("kasi", "staf")):
        reg.dispose(case, from_role=frm, to_role=to)
    reg.form(case, {"contact_name": "Rudi", "purpose": "SIMRS"})
    assert case == "KB-2026-0001"
    return state


PLAY = ["play", "kenaikan-bandwidth.yaml", "-e", "request=KB-2026-0001", "-e", "link=dinkes",
        "-e", "rate=150M", "-e", "team_name=Budi", "-e", "opd_name=Rudi", "--dry-run"]  # fmt: skip
COMMANDS = {
    "analyse": ["analyse", "--link", "dinkes", "--link", "rsud"],
    "analyse-rate": ["analyse", "--link", "dinkes", "--request-rate", "150M"],
    "analyse-request": ["analyse", "--request", "KB-2026-0001"],
    "play": PLAY,
    "request-status": ["request", "status", "KB-2026-0001"],
    "request-list": ["request", "list"],
    "inventory-list": ["inventory", "list"],
    "error-unknown-link": ["analyse", "--link", "nope"],
    "error-unknown-request": ["request", "status", "KB-2026-0999"],
    "error-bad-rate": ["raise", "--link", "dinkes", "--to", "150", "--dry-run"],
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_writes_one_language(lab: Lab, state: Path, command: str, lang: str) -> None:
    code, out = bwauto(lab, state, lang, *COMMANDS[command])
    assert code in (0, 1, 2), out
    assert out.strip(), command
    assert_one_language(out, lang, lab)
    if command.startswith("error"):
        assert code == 2 and len(out.strip().splitlines()) == 1, out


@pytest.mark.parametrize("lang", LANGS)
def test_init_writes_one_language(lab: Lab, tmp_path: Path, lang: str) -> None:
    code, out = bwauto(lab, tmp_path / "state", lang, "init", str(tmp_path / "office"))
    assert code == 0, out
    assert_one_language(out, lang, lab)
    code, out = bwauto(lab, tmp_path / "state", lang, "init", str(tmp_path / "office"))
    assert code == 2
    assert_one_language(out, lang, lab)


SKIPPED = {
    "id": ["dilewati", "keputusan DAPAT", "outcome_after tidak diisi", "dry-run tidak mencatat"],
    "en": ["skipped", "decision is CAN", "outcome_after is not set", "a dry-run records nothing"],
}


@pytest.mark.parametrize("lang", LANGS)
def test_a_skipped_step_says_why_in_words(lab: Lab, state: Path, lang: str) -> None:
    """Before: "skipped ... its condition is false (outcome_after)"."""
    code, out = bwauto(lab, state, lang, *PLAY)
    assert code == 0, out
    assert "condition is false" not in out and "when:" not in out
    for words in SKIPPED[lang]:
        assert words in out, (words, out)


SESSION = {"id": ("edge-bc-01: router", "periksa"), "en": ("edge-bc-01: the router", "check")}


@pytest.mark.parametrize("lang", LANGS)
def test_a_failed_session_is_one_line_in_the_chosen_language(
    lab_faults: Lab, tmp_path: Path, lang: str
) -> None:
    """Before: "edge-bc-01: ReadTimeout: The command echo was not detected within the read
    timeout." The raw text stays in the evidence only."""
    lab_faults.fault("edge-bc-01", "slow", arg="5")
    state = tmp_path / "state"
    code, out = bwauto(lab_faults, state, lang, "raise", "--link", "dinkes", "--to", "200M",
                       "--yes", "--force")  # fmt: skip
    assert code == 1, out
    head, advice = SESSION[lang]
    assert any(head in line and advice in line for line in out.splitlines()), out
    assert "ReadTimeout" not in out and "Pattern not detected" not in out
    assert_one_language(out, lang, lab_faults)
    (evidence,) = (state / "evidence").glob("*/dinkes.json")
    assert "timeout" in evidence.read_text().lower()  # the raw text is kept there


@pytest.mark.parametrize("lang", LANGS)
def test_a_refused_login_is_one_line_in_the_chosen_language(
    lab_faults: Lab, tmp_path: Path, lang: str
) -> None:
    lab_faults.fault("edge-bc-01", "refuse-auth")
    code, out = bwauto(lab_faults, tmp_path / "state", lang, "raise", "--link", "dinkes", "--to",
                       "200M", "--yes", "--force")  # fmt: skip
    assert code == 1, out
    assert "edge-bc-01" in out and ("PASSWORD" in out)
    assert_one_language(out, lang, lab_faults)


def test_the_inventory_table_keeps_every_id_whole_at_80_columns(lab: Lab, tmp_path: Path) -> None:
    """Before: "edge-bc…", "kec-bat…", "mikroti…", "vlan110-…"."""
    code, out = bwauto(lab, tmp_path, "id", "inventory", "list")
    assert code == 0, out
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= 80
    inventory = load_inventory(lab.inventory_dir)
    for link in inventory.links.values():
        assert link.id in out and link.router in out and link.interface in out, link.id
        assert link.upstream in out


def test_the_change_table_keeps_every_id_whole_at_80_columns(lab: Lab, tmp_path: Path) -> None:
    """On a terminal 80 columns wide, the table folds long words (a refusal's fix) and keeps
    link, router and change ids whole; the one-line error per link below it says the refusal in
    full. (Piped, it is one line per link: tests/cli/test_dry_run_table.py.)"""
    from test_narrow_terminal import on_a_terminal

    args = ["--lang", "en", "-i", str(lab.inventory_dir), "--state-dir", str(tmp_path), "raise",
            "--link", "disdukcapil", "--link", "kec-batamkota", "--link", "dpmptsp", "--to",
            "300M", "--dry-run", "--force"]  # fmt: skip
    _code, out = on_a_terminal(args, b"")
    out = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out).replace("\r", "")
    assert "…" not in out, out
    table = [line for line in out.splitlines() if line[:1] in "┏┃┡│└"]
    assert table and max(len(line) for line in table) <= 80, out
    rows = "\n".join(table)
    for word in ("disdukcapil", "kec-batamkota", "dpmptsp", "edge-bc-01", "edge-bc-03"):
        assert word in rows, (word, out)
    assert re.search(r"CH-\d{8}-\d{6}-\w{4}\s*\n", out)
    assert "--prepare-archive" in out and "--no-confirm" in out


def test_a_refused_raise_gives_its_checks_in_the_default_indonesian(
    lab: Lab, tmp_path: Path
) -> None:
    """Before: "ditolak: upstream headroom: cannot judge without the step-6 analysis: sample
    store … does not exist…" under the default Indonesian (outside look, issue 16; the
    outside look's "--to 50M" is below dinkes's committed 100M, refused before any check)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    env.pop("BWAUTO_LANG", None)
    cmd = [sys.executable, "-m", "bwauto", "-i", str(lab.inventory_dir), "--state-dir",
           str(tmp_path), "raise", "-l", "dinkes", "--to", "150M", "--dry-run"]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180, check=False)
    text = done.stdout + done.stderr
    assert done.returncode == 1, text
    assert "sisa kapasitas upstream" in text and "analisis langkah 6" in text, text
    assert_one_language(text, "id", lab)
