"""An outside look at issue 11 (a new user, README and issue only): each finding as real
``python3 -m bwauto`` processes against the lab, in both languages where it prints."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from language import foreign_words, without_code

from bwauto.case.register import Register
from bwauto.lab.history import write_history
from bwauto.lab.runner import Lab
from bwauto.lab.testing import device_config, import_lab_history
from bwauto.store.samples import store_path

ROOT = Path(__file__).resolve().parents[2]
WIB = dt.timezone(dt.timedelta(hours=7))


def command(lab: Lab, state: Path, lang: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "bwauto", "-i", str(lab.inventory_dir), "--state-dir",
            str(state), "--lang", lang, *args]  # fmt: skip


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    env.pop("BWAUTO_LANG", None)
    return env


def bwauto(lab: Lab, state: Path, lang: str, *args: str) -> tuple[int, str]:
    """``python3 -m bwauto --lang LANG ARGS`` as a process: (exit code, stdout + stderr)."""
    done = subprocess.run(command(lab, state, lang, *args), env=environment(),
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def one_language(text: str, lang: str) -> set[str]:
    """The words of the other language in ``text`` (commands quoted in hints left out)."""
    text = re.sub(r"/\S+", " ", text.replace("Dinas Kesehatan", " "))  # paths: no language
    return foreign_words(without_code(text), lang)


def request_at_step_5(lab: Lab, state: Path, letter: str = "1/DINKES") -> str:
    """A week of history and a request of ``dinkes`` for 150M, disposed and its form filled."""
    if not store_path(state).exists():
        import_lab_history(lab, state, 7)
    reg = Register.for_office(state, lab.inventory_dir)
    case = reg.new(opd="Dinas Kesehatan", letter_no=letter, letter_date=dt.date(2026, 1, 5),
                   link_id="dinkes", rate_bps=150_000_000, purpose="SIMRS")  # fmt: skip
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi"), ("kasi", "staf")):
        reg.dispose(case, from_role=frm, to_role=to)
    reg.form(case, {"contact_name": "Rudi", "purpose": "SIMRS"})
    return case


@pytest.mark.parametrize("lang", ["id", "en"])
def test_raise_request_after_an_out_of_band_raise_records_step_8(fresh_lab: Lab, lang: str) -> None:
    """Before: the router already at the decided rate, ``raise --request ID --yes`` was a no-op
    that exited 0 saying step 8 "not complete", and ``request status`` pointed at the same
    command again."""
    state = fresh_lab.dir.parent
    case = request_at_step_5(fresh_lab, state)
    assert bwauto(fresh_lab, state, lang, "analyse", "--request", case)[0] == 0
    assert bwauto(fresh_lab, state, lang, "request", "decide", case, "--can")[0] == 0
    code, out = bwauto(fresh_lab, state, lang, "raise", "--link", "dinkes", "--to", "150M",
                       "--yes")  # fmt: skip
    assert code == 0, out
    assert "max-limit=50M/150M" in device_config(fresh_lab, "edge-bc-01")
    code, out = bwauto(fresh_lab, state, lang, "raise", "--request", case, "--yes")
    assert code == 0, out
    reg = Register.for_office(state, fresh_lab.inventory_dir)
    assert 8 in reg.state(case).done, out
    recorded = {
        "id": "langkah 8 (Penambahan Bandwidth dan Sistem Monitoring) dicatat",
        "en": "step 8 (bandwidth raised and monitored) recorded",
    }[lang]
    assert recorded in out and "150M" in out, out
    assert not one_language(out, lang), out
    change = reg.state(case).latest["change"].data
    assert change["outcome"] == "no-op" and change["monitoring"]["ok"], change
    code, out = bwauto(fresh_lab, state, lang, "request", "status", case)
    assert code == 0 and f"raise --request {case}" not in out, out
    assert f"request ba {case}" in out, out


def test_raise_request_whose_monitoring_fails_names_the_command_that_completes_step_8(
    fresh_lab: Lab,
) -> None:
    """The router at the decided rate, the monitoring server down: ``raise --request`` exits 3
    (as a raise whose monitoring failed) naming the monitoring command, and so does ``request
    status`` — not the raise again, which would do nothing."""
    state = fresh_lab.dir.parent
    case = request_at_step_5(fresh_lab, state)
    assert bwauto(fresh_lab, state, "id", "analyse", "--request", case)[0] == 0
    assert bwauto(fresh_lab, state, "id", "request", "decide", case, "--can")[0] == 0
    assert bwauto(fresh_lab, state, "id", "raise", "--link", "dinkes", "--to", "150M",
                  "--yes")[0] == 0  # fmt: skip
    settings = fresh_lab.inventory_dir / "monitoring.yaml"
    settings.write_text("backend: zabbix\nzabbix: {url: 'http://127.0.0.1:1/api_jsonrpc.php'}\n")
    try:
        code, out = bwauto(fresh_lab, state, "id", "raise", "--request", case, "--yes")
    finally:
        settings.unlink()
    assert code == 3, out
    hint = "lengkapi langkah 8 dengan: bwauto monitor register --link dinkes --json"
    assert hint in out and f"request monitoring {case} --registration" in out, out
    code, out = bwauto(fresh_lab, state, "id", "request", "status", case)
    assert code == 0 and "berikutnya, langkah 8: bwauto monitor register --link dinkes" in out, out
    assert f"raise --request {case}" not in out, out


def play_args(case: str) -> list[str]:
    return ["play", "kenaikan-bandwidth.yaml", "-e", f"request={case}", "-e", "link=dinkes",
            "-e", "rate=150M", "-e", "team_name=Budi", "-e", "opd_name=Rudi"]  # fmt: skip


STOPPED = {
    "id": ("TERHENTI: langkah 4 (Langkah 8: menambahkan bandwidth sesuai permohonan) terhenti; "
           "jalankan perintah yang sama lagi"),
    "en": ("INTERRUPTED: step 4 (Step 8: raise the bandwidth as requested) was interrupted; run "
           "the same command again"),
}  # fmt: skip


@pytest.mark.parametrize(("lang", "sig"), [("id", signal.SIGINT), ("en", signal.SIGTERM)])
def test_a_signal_during_a_playbook_exits_130_and_the_same_command_resumes(
    fresh_lab: Lab, lang: str, sig: signal.Signals
) -> None:
    """Before: Ctrl-C during the playbook's raise ended "GAGAL ..." with exit 1 (a plain
    ``raise`` exits 130), and the reason stayed English ("interrupted before any change: the
    router is unchanged")."""
    state = fresh_lab.dir.parent
    case = request_at_step_5(fresh_lab, state)
    fresh_lab.fault("edge-bc-01", "slow", arg="1")
    env = {**environment(), "PYTHONUNBUFFERED": "1"}
    args = command(fresh_lab, state, lang, *play_args(case))
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("[4/"):
            break
    time.sleep(1.0)  # in the raise's preview, on the slow router
    proc.send_signal(sig)
    out = "".join(lines) + proc.stdout.read()
    assert proc.wait(timeout=120) == 130, out
    assert STOPPED[lang] in " ".join(out.split()), out
    assert "GAGAL" not in out and "FAILED" not in out, out
    assert not re.search(r"\b(gagal|failed)\b", out), out  # the step: interrupted, not failed
    assert not one_language(out, lang), out
    assert "max-limit=50M/100M" in device_config(fresh_lab, "edge-bc-01")
    fresh_lab.reset_faults()
    code, out = bwauto(fresh_lab, state, lang, *play_args(case))
    assert code == 0, out
    assert 10 in Register.for_office(state, fresh_lab.inventory_dir).state(case).done, out
    # the playbook says what the hand raise and the documents say: files only, not verified
    # (before: "monitoring (prometheus): terdaftar")
    assert NOT_VERIFIED[lang] in out and REGISTERED[lang] not in out, out
    assert not one_language(out, lang), out
    code, out = bwauto(fresh_lab, state, lang, *play_args(case))  # everything recorded
    assert code == 0, out
    assert not one_language(out, lang), out  # before: "KB-2026-0001: step 9", "ba (step 9)"
    for said in AGAIN[lang]:
        assert said in out, (said, out)


NOT_VERIFIED = {"id": "berkas ditulis, TIDAK diverifikasi", "en": "files written, NOT verified"}
REGISTERED = {"id": ": terdaftar", "en": ": registered"}
AGAIN = {
    "id": ["ok (sudah tercatat): KB-2026-0001: langkah 9 (Berita Acara Pekerjaan)",
           "KB-2026-0001: dokumen langkah 10"],
    "en": ["ok (already recorded): KB-2026-0001: step 9", "KB-2026-0001: document of step 10"],
}  # fmt: skip


ONE_LINE = {  # command → what its one line says, per language
    "decide-against-analysis": (
        "analisa menyatakan TIDAK DAPAT; keputusan DAPAT perlu catatan alasannya (--note)",
        "the analysis says CANNOT; deciding CAN needs a note why",
    ),
    "raise-after-cannot": (
        "permohonan tidak dapat dinaikkan (langkah 7): langkah 8–13 tidak berlaku",
        "the request was refused at step 7: steps 8–13 do not apply",
    ),
    "letter-date": ("--letter-date '27-11-2026': tulis tanggal sebagai YYYY-MM-DD",
                    "--letter-date '27-11-2026': write a date as YYYY-MM-DD"),
    "unknown-link": ("link 'nope' tidak dikenal; link yang ada: dinkes",
                     "unknown link 'nope'; links: dinkes"),
    "missing-option": ("opsi '--letter-date' wajib diisi (lihat 'bwauto request new --help')",
                       "Missing option '--letter-date' (see 'bwauto request new --help')"),
    "no-such-option": ("opsi --bogus tidak ada (lihat 'bwauto request new --help')",
                       "No such option: --bogus (see 'bwauto request new --help')"),
    "invalid-value": ("nilai '--confirm-timeout' tidak sah",
                      "Invalid value for '--confirm-timeout'"),
    "unknown-command": ("perintah 'requst' tidak ada", "No such command 'requst'"),
}  # fmt: skip
NEW = ["request", "new", "--rate", "150M", "--letter-no", "9/X", "--purpose", "SIMRS"]
ARGS = {
    "letter-date": [*NEW, "--link", "dinkes", "--letter-date", "27-11-2026"],
    "unknown-link": [*NEW, "--link", "nope", "--letter-date", "2026-01-05"],
    "missing-option": [*NEW, "--link", "dinkes"],
    "no-such-option": [*NEW, "--bogus"],
    "invalid-value": ["raise", "--link", "dinkes", "--to", "150M", "--confirm-timeout", "x"],
    "unknown-command": ["requst", "list"],
}
EMPTY_LIST = {"id": "tidak ada permohonan terbuka; permohonan yang sudah ditutup: "
                    "'bwauto request list --all'",
              "en": "no open request; closed requests: 'bwauto request list --all'"}  # fmt: skip


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_refused_request_and_bad_input_say_one_line_in_one_language(
    lab: Lab, tmp_path: Path, lang: str
) -> None:
    """Before: these lines were English under the default Indonesian (Click's usage errors,
    the date and link errors, the note needed against the analysis), or both languages in one
    line (refused at step 7); ``request list`` after the case closed printed an empty table."""
    said = {key: pair[0 if lang == "id" else 1] for key, pair in ONE_LINE.items()}
    reg = Register.for_office(tmp_path, lab.inventory_dir)
    case = reg.new(opd="Dinas Kesehatan", letter_no="1/DINKES", letter_date=dt.date(2026, 1, 5),
                   link_id="dinkes", rate_bps=150_000_000, purpose="SIMRS")  # fmt: skip
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi"), ("kasi", "staf")):
        reg.dispose(case, from_role=frm, to_role=to)
    reg.form(case, {"contact_name": "Rudi", "purpose": "SIMRS"})
    reg.attach_analysis(case, {"link_id": "dinkes", "decision": "CANNOT", "requested_mbps": 150})
    runs = {
        "decide-against-analysis": ["request", "decide", case, "--can"],
        "raise-after-cannot": ["raise", "--request", case, "--yes"],
        **ARGS,
    }
    for key, args in runs.items():
        if key == "raise-after-cannot":
            assert bwauto(lab, tmp_path, lang, "request", "decide", case, "--cannot")[0] == 0
        code, out = bwauto(lab, tmp_path, lang, *args)
        assert code == 2 and len(out.strip().splitlines()) == 1, (key, out)
        assert said[key] in out, (key, out)
        assert not one_language(out, lang), (key, out)
    assert bwauto(lab, tmp_path, lang, "request", "close", case)[0] == 0
    code, out = bwauto(lab, tmp_path, lang, "request", "list")
    assert code == 0 and out.strip() == EMPTY_LIST[lang], out


def ssh_logins(caplog: pytest.LogCaptureFixture) -> int:
    return sum("Accepted SSH client connection" in r.getMessage() for r in caplog.records)


INTERRUPTED = {
    "id": "terhenti: dihentikan sebelum ada perubahan: router tetap seperti semula",
    "en": "interrupted: interrupted before any change: the router is unchanged",
}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_ctrl_c_during_a_raise_says_why_in_the_chosen_language(
    lab_faults: Lab, tmp_path: Path, lang: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: "terhenti: interrupted before any change: the router is unchanged"."""
    caplog.set_level(logging.INFO, logger="asyncssh")
    lab_faults.fault("edge-bc-01", "slow", arg="1")
    logins = ssh_logins(caplog)
    args = command(lab_faults, tmp_path, lang, "raise", "--link", "dinkes", "--to", "150M",
                   "--yes", "--force")  # fmt: skip
    proc = subprocess.Popen(args, env=environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while ssh_logins(caplog) == logins and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # in the preview, reading the slow router
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    assert INTERRUPTED[lang] in out, out
    assert not one_language(out, lang), out


IMPORTED = {"id": ("baris dibaca", "sampel baru diimpor", "(sudah diimpor sebelumnya)"),
            "en": ("rows read", "new samples imported", "(already imported)")}  # fmt: skip


@pytest.mark.parametrize("lang", ["id", "en"])
def test_samples_import_of_the_readme_walk_says_it_in_the_chosen_language(
    lab: Lab, tmp_path: Path, lang: str
) -> None:
    """Before: "history.csv: 20170 rows read, 20170 new samples imported" under ``id``."""
    history = write_history(lab.routers.values(), tmp_path / "history.csv", 1, time.time())
    code, first = bwauto(lab, tmp_path / "state", lang, "samples", "import", str(history))
    assert code == 0, first
    code, again = bwauto(lab, tmp_path / "state", lang, "samples", "import", str(history))
    assert code == 0, again
    read, new, already = IMPORTED[lang]
    assert read in first and new in first and already in again, (first, again)
    assert not one_language(first + again, lang), (first, again)
