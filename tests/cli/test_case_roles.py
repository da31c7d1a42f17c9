"""Records made in a role's name need that role's key; a blocked case prints the complete
command that unblocks it. ``bwauto`` runs as a subprocess, as the user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli_harness import Bw
from test_request_cli import _new, _to_step_5
from test_request_tamper import rewrite_chain

REPO = Path(__file__).resolve().parents[2]


def bwauto(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = ["--inventory", str(tmp_path / "inventory"), "--state-dir", str(tmp_path / "state")]
    full = {k: v for k, v in os.environ.items() if not k.startswith("BWAUTO_")}
    full.update(PYTHONPATH=str(REPO), COLUMNS="300", **env)
    return subprocess.run([sys.executable, "-m", "bwauto", *base, *args], capture_output=True,
                          text=True, env=full, timeout=60, check=False)  # fmt: skip


def test_a_disposition_as_kadis_with_kasis_key_is_refused(bw: Bw, tmp_path: Path) -> None:
    """Was: `BWAUTO_SIGNING_KEY=<kasi key> request dispose --from kadis` recorded Kadis's
    disposition signed by Kasi."""
    case_id = _new(bw)
    kasi = str(tmp_path / "inventory" / "signing-keys" / "kasi")
    done = bwauto(tmp_path, "request", "dispose", case_id, "--from", "kadis", "--to", "kabid",
                  BWAUTO_SIGNING_KEY=kasi)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "not allowed for kadis" in done.stderr and "allowed for kasi" in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    kadis = str(tmp_path / "inventory" / "signing-keys" / "kadis")
    done = bwauto(tmp_path, "request", "dispose", case_id, "--from", "kadis", "--to", "kabid",
                  BWAUTO_SIGNING_KEY=kadis)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert bwauto(tmp_path, "request", "verify", case_id).returncode == 0


def test_a_blocked_case_prints_the_complete_reattach_command(bw: Bw, tmp_path: Path) -> None:
    """Was: "run `bwauto request reattach KB-2026-0001`", which fails as written (no FILE,
    no --reason)."""
    case_id = _new(bw)
    _to_step_5(bw, case_id)
    docx = next((tmp_path / "state").rglob("*.docx"))
    docx.write_bytes(docx.read_bytes() + b"\0")
    done = bwauto(tmp_path, "request", "close", case_id)
    assert done.returncode == 1
    command = f'bwauto request reattach {case_id} {docx} --reason "..."'
    assert command in done.stderr, done.stderr
    words = command.replace('"..."', "dicetak-ulang").split()[1:]
    assert bwauto(tmp_path, *words).returncode == 0  # as printed, a reason filled in
    assert bwauto(tmp_path, "request", "verify", case_id).returncode == 0


def _downgrade(tmp_path: Path) -> None:
    """What someone with write access to the state dir and the inventory can do: strip every
    signature and `signer`, recompute the chain and the journal, delete allowed_signers."""
    rewrite_chain(tmp_path / "state", lambda _seq, doc: doc.pop("signer", None))
    (tmp_path / "inventory" / "allowed_signers").unlink()


def test_signatures_required_catches_a_downgrade_to_unsigned(bw: Bw, tmp_path: Path) -> None:
    """Was: stripping every signature, rewriting chain and journal consistently and deleting
    allowed_signers passed verify. Under `signatures: required` it is named `unsigned`."""
    office = tmp_path / "inventory" / "office.yaml"
    office.write_text(office.read_text() + "\nsignatures: required\n")
    case_id = _new(bw)
    for frm, to in (("kadis", "kabid"), ("kabid", "kasi")):
        assert bw("request", "dispose", case_id, "--from", frm, "--to", to)[0] == 0
    assert bwauto(tmp_path, "request", "verify", case_id).returncode == 0
    _downgrade(tmp_path)
    done = bwauto(tmp_path, "request", "verify", case_id)
    assert done.returncode == 1 and ": unsigned: office.yaml menetapkan signatures: required" in (
        done.stdout), done.stdout  # fmt: skip
    assert "signers-missing" in done.stdout and "Traceback" not in done.stderr
    done = bwauto(tmp_path, "request", "dispose", case_id, "--from", "kasi", "--to", "staf")
    assert done.returncode != 0 and "Traceback" not in done.stderr


def test_without_signatures_required_the_downgrade_is_the_documented_limit(
    bw: Bw, tmp_path: Path
) -> None:
    """The limit the README states: without the setting (or an export kept elsewhere), a
    consistent unsigned rewrite by someone who can write both dirs is not detectable."""
    case_id = _new(bw)
    zip_path = tmp_path / "kept-elsewhere.zip"
    assert bw("request", "export", case_id, "--out", str(zip_path))[0] == 0
    _downgrade(tmp_path)
    assert bwauto(tmp_path, "request", "verify", case_id).returncode == 0
    done = bwauto(tmp_path, "request", "verify", case_id, "--against", str(zip_path))
    assert done.returncode == 1 and ": rewritten: " in done.stdout, done.stdout
    readme = (REPO / "README.md").read_text()
    assert "write access to both the state dir and the inventory" in readme
    assert "signatures: required" in readme


def test_init_writes_signatures_required(tmp_path: Path) -> None:
    from bwauto.case.office import load_office
    from bwauto.init import starter_files

    files = starter_files(tmp_path)
    office = tmp_path / "inventory" / "office.yaml"
    assert "signatures: required" in files[office]
    office.parent.mkdir(parents=True)
    office.write_text(files[office])
    assert load_office(office.parent).signatures == "required"
