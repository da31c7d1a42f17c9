"""One language per output, for what an outside look (issue 16: a new user by hand, default
language Indonesian, on the lab) still found in English under ``id``: the upstream check's
reasons in the raise table ("COVERAGE_LOW: data covers 14.3% ..."), the refusal of a config that
changed after the diff was shown, a silent SNMP agent in ``bwauto poll``, an invalid link id,
the "error:" before every error line, the progress bar's "polling", the lines of ``bwauto
evidence reconcile``; and a failed check named as if it passed ("commit-confirm possible:
edge-bc-03: ... this router has none"). Each runs as a real process against the lab, in both
languages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_narrow_terminal import on_a_terminal
from test_one_language import LANGS, ROOT, assert_one_language, bwauto

from bwauto.i18n import gettext
from bwauto.lab.runner import Lab
from bwauto.lab.testing import import_lab_history


@pytest.fixture(scope="module")
def one_day(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One day of history: the raise's 7-day upstream check has too little data."""
    state = tmp_path_factory.mktemp("one-day")
    import_lab_history(lab, state, 1)
    return state


LOW = {"id": "data kurang: data mencakup", "en": "too little data: data covers"}


@pytest.mark.parametrize("lang", LANGS)
def test_the_upstream_checks_reasons_are_said_in_the_chosen_language(
    lab: Lab, one_day: Path, lang: str
) -> None:
    """Before, under ``id``: "sisa kapasitas upstream: COVERAGE_LOW: data covers 14.3% of the
    window, below the 80% needed to judge ...", in the table and the error line alike."""
    code, out = bwauto(lab, one_day, lang, "raise", "--link", "dinkes", "--link", "rsud",
                       "--to", "300M", "--dry-run")  # fmt: skip
    assert code == 1, out
    assert "COVERAGE_LOW" not in out and out.count(LOW[lang]) == 4, out  # 2 links x table, line
    assert_one_language(out, lang, lab)


FAILED_GUARD = {"id": "commit-confirm tidak bisa: edge-bc-03: revert timer IOS",
                "en": "commit-confirm not possible: edge-bc-03: the IOS revert timer"}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
def test_a_failed_check_reads_as_failed(lab: Lab, tmp_path: Path, lang: str) -> None:
    """Before: "commit-confirm possible: edge-bc-03: the IOS revert timer (commit-confirm) needs
    'archive' with a 'path', and this router has none; ..." (edge-bc-03 has no archive)."""
    code, out = bwauto(lab, tmp_path, lang, "raise", "--link", "satpolpp", "--to", "30M",
                       "--yes", "--force")  # fmt: skip
    assert code == 1, out
    assert FAILED_GUARD[lang] in out, out
    assert "commit-confirm possible" not in out and "commit-confirm bisa" not in out
    assert_one_language(out, lang, lab)


SILENT = {"id": "tidak ada jawaban SNMP dalam", "en": "no SNMP answer within"}


@pytest.mark.parametrize("lang", LANGS)
def test_a_silent_snmp_agent_is_said_in_the_chosen_language(
    lab_faults: Lab, tmp_path: Path, lang: str
) -> None:
    """Before, under ``id``: "gagal: edge-bc-01 (127.0.0.1:…): no SNMP answer within 1 s x 2
    tries (agent down, filtered, or wrong community)"."""
    lab_faults.fault("edge-bc-01", "snmp-timeout")
    code, out = bwauto(lab_faults, tmp_path, lang, "poll", "--link", "dinkes")
    assert code == 1, out
    assert SILENT[lang] in out, out
    assert_one_language(out, lang, lab_faults)


def test_the_progress_bar_is_labelled_in_indonesian(lab_faults: Lab, tmp_path: Path) -> None:
    """Before: the bar of ``bwauto poll`` on a terminal said "polling" under ``id``."""
    lab_faults.fault("edge-bc-01", "snmp-timeout")  # 2 s of waiting: the bar is drawn
    args = ["--lang", "id", "-i", str(lab_faults.inventory_dir), "--state-dir", str(tmp_path),
            "poll", "--link", "dinkes"]  # fmt: skip
    code, out = on_a_terminal(args, b"")
    assert code == 1, out
    assert gettext("polling", "id") in out and "polling" not in out, out


PREFIX = {"id": "galat: id link 'opd/../x' tidak sah", "en": "error: link id 'opd/../x' is not"}


@pytest.mark.parametrize("lang", LANGS)
def test_an_invalid_link_id_is_one_line_in_the_chosen_language(
    lab: Lab, tmp_path: Path, lang: str
) -> None:
    """Before, under ``id``: "error: link id 'opd/../x' is not valid: use lower-case letters,
    digits and '-' (max 63)"."""
    code, out = bwauto(lab, tmp_path, lang, "raise", "--link", "opd/../x", "--to", "100M",
                       "--dry-run")  # fmt: skip
    assert code == 2 and len(out.strip().splitlines()) == 1, out
    assert out.startswith(PREFIX[lang]), out
    assert_one_language(out, lang, lab)


def killed_in_the_confirm_window(lab: Lab) -> None:
    """``bwauto raise`` killed (SIGKILL) while its change waits for the confirmation: an
    ``in-progress`` record that ``evidence reconcile`` closes by restoring the old config."""
    import json

    lab.fault("edge-bc-02", "slow", arg="0.12")
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "bwauto", "-i", str(lab.inventory_dir),
                             "--state-dir", str(lab.dir.parent), "raise", "--link", "rsud",
                             "--to", "300M", "--yes", "--force"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            for path in (lab.dir.parent / "evidence").glob("*/rsud.json"):
                record = json.loads(path.read_text())  # replaced atomically: never torn
                if record["outcome"] == "in-progress" and record["phase"] == "applied":
                    os.kill(proc.pid, signal.SIGKILL)
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        lab.reset_faults()
    assert proc.returncode == -signal.SIGKILL, "the confirm window was never reached"


RESTORED = {"id": ": dikembalikan: dipulihkan: ", "en": ": rolled back: restored: "}


@pytest.mark.parametrize("lang", LANGS)
def test_evidence_reconcile_says_how_it_closed_in_the_chosen_language(
    fresh_lab: Lab, lang: str
) -> None:
    """Before, under ``id``: "CH-… rsud on edge-bc-02: rolled-back: restored: the change was
    never confirmed; the pre-change config is back, saved"."""
    killed_in_the_confirm_window(fresh_lab)
    state = fresh_lab.dir.parent
    code, out = bwauto(fresh_lab, state, lang, "evidence", "reconcile")
    assert code == 0, out
    assert RESTORED[lang] in out and "rolled-back" not in out, out
    assert_one_language(out, lang, fresh_lab)
    code, out = bwauto(fresh_lab, state, lang, "evidence", "reconcile")
    assert code == 0 and out.strip() == gettext(
        "no in-progress evidence: nothing to reconcile", lang), out  # fmt: skip


CHANGED = {"id": "konfigurasi router berubah sejak diff ditampilkan; jalankan lagi",
           "en": "the router's config changed since the diff was shown; run again"}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
def test_a_config_changed_after_the_diff_is_refused_in_the_chosen_language(
    fresh_lab: Lab, lang: str
) -> None:
    """Before, under ``id``: "rsud di edge-bc-02: ditolak: the router's config changed since
    the diff was shown; run again"."""
    from tests.change.test_one_session_lab import change_by_another_session, raise_answering_yes

    def meanwhile() -> None:
        change_by_another_session(fresh_lab, "edge-bc-02", "rsud", 250_000_000)

    code, shown, after = raise_answering_yes(fresh_lab, "rsud", "300M", meanwhile, lang)
    question = gettext("Apply these {count} change(s)?", lang).format(count=1)
    out = shown + after
    assert code == 1, out
    assert CHANGED[lang] in out, out
    assert_one_language(out.replace(question, ""), lang, fresh_lab)


@pytest.fixture(scope="module")
def one_week(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A week of history: the upstream check judges the upstream's free capacity."""
    state = tmp_path_factory.mktemp("one-week")
    import_lab_history(lab, state, 7)
    return state


FULL = {"id": "upstream terlalu penuh: sisa kapasitas upstream telkom-astinet ",
        "en": "upstream too full: upstream telkom-astinet has "}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
def test_too_little_upstream_headroom_is_said_in_the_chosen_language(
    lab: Lab, one_week: Path, lang: str
) -> None:
    """Before, under ``id``: "UPSTREAM_HEADROOM: upstream isp-2 has -219.3 Mbps free ..." in the
    raise, and "upstream telkom-astinet has ... free" in ``analyse`` (an upstream id unquoted
    matched no template)."""
    code, out = bwauto(lab, one_week, lang, "raise", "--link", "rsud", "--to", "900M",
                       "--dry-run")  # fmt: skip
    assert code == 1, out
    assert FULL[lang] in out and "UPSTREAM_HEADROOM" not in out, out
    assert_one_language(out, lang, lab)
    code, out = bwauto(lab, one_week, lang, "analyse", "--link", "rsud", "--request-rate", "900M")
    assert " has " not in out if lang == "id" else " has " in out, out
    assert_one_language(out, lang, lab)
