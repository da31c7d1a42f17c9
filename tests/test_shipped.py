"""Works from anywhere (issue 11, seen 1): the sample inventory and the playbooks ship inside
the package; ``bwauto demo`` runs in an empty directory after a plain, non-editable install;
``bwauto init DIR`` writes a starter deployment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from bwauto.cli.app import main
from bwauto.shipped import sample_inventory, shipped_playbooks

ROOT = Path(__file__).resolve().parents[1]


def test_packaged_data_is_the_checkouts_one_copy() -> None:
    """One source of truth: the package's files are the top-level ones the README names."""
    assert sample_inventory().resolve() == (ROOT / "inventory").resolve()
    assert {p.name for p in shipped_playbooks()} >= {"kenaikan-bandwidth.yaml"}


def test_demo_runs_in_an_empty_dir_without_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: "no inventory in inventory: run from the bwauto checkout"."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BWAUTO_INVENTORY", raising=False)
    assert main(["demo", "--dir", "out"]) == 0
    assert list((tmp_path / "out" / "cases").glob("KB-*/*.docx"))
    out = capsys.readouterr().out
    assert "unggah jenuh" in out  # seen 4: the demo's upload, 49.7 of 50 M, is flagged


def test_play_finds_a_shipped_playbook_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["-i", str(ROOT / "inventory"), "--state-dir", str(tmp_path), "play"]
    assert main([*args, "audit-drift.yaml", "--help"]) == 0
    assert main([*args, "no-such-book.yaml"]) == 2
    assert "kenaikan-bandwidth.yaml" in capsys.readouterr().err


def test_init_writes_a_starter_deployment(tmp_path: Path) -> None:
    target = tmp_path / "kantor"
    assert main(["init", str(target)]) == 0
    inventory = target / "inventory"
    assert main(["-i", str(inventory), "inventory", "check"]) == 0
    office = yaml.safe_load((inventory / "office.yaml").read_text())
    assert set(office) >= {"agency", "signatories", "team", "operator", "numbering", "paper",
                           "cuti_bersama"}  # fmt: skip
    assert set(office["agency"]) == {"name", "parent", "address", "phone", "email", "website",
                                     "logo"}  # fmt: skip
    assert set(office["signatories"]) == {"kadis", "kabid", "kasi"}
    assert set(office["signatories"]["kasi"]) == {"name", "nip", "position"}
    assert office["numbering"]["ba"] == "{seq}/BA/Kominfo-PE/{bulan_romawi}/{tahun}"
    assert office["paper"] == "A4"
    assert "#" in (inventory / "links.yaml").read_text()  # commented
    assert yaml.safe_load((inventory / "holidays.yaml").read_text()) == {"holidays": []}
    assert (target / "playbooks" / "kenaikan-bandwidth.yaml").is_file()
    assert main(["init", str(target)]) == 2  # never overwrites


def test_demo_from_a_non_editable_install_in_an_empty_dir(tmp_path: Path) -> None:
    """A wheel of this tree in a venv (dependencies from the system), run in an empty dir."""
    wheels, source = tmp_path / "wheels", tmp_path / "source"  # a clean copy: no stale build/
    skip = shutil.ignore_patterns(".git", "build", "*.egg-info", "*_cache", "__pycache__",
                                  ".benchmarks", "bwauto-demo", "state", "tests")  # fmt: skip
    shutil.copytree(ROOT, source, symlinks=True, ignore=skip)
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(source)], check=True,
                   cwd=tmp_path, timeout=300)  # fmt: skip
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    wheel = next(wheels.glob("bwauto-*.whl"))
    install = ["install", "--no-deps", "--ignore-installed", str(wheel)]
    subprocess.run([*pip, "--python", str(python), *install], check=True, timeout=300)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BWAUTO_INVENTORY")}
    env["COLUMNS"] = "80"
    code = "import bwauto; print(bwauto.__file__)"
    where = subprocess.run([str(python), "-c", code], cwd=empty, env=env, capture_output=True,
                           text=True, check=True)  # fmt: skip
    assert str(env_dir) in where.stdout  # the installed copy, not the checkout
    done = subprocess.run([str(env_dir / "bin" / "bwauto"), "demo"], cwd=empty, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "menjalani ke-14 langkah" in done.stdout
    (ba,) = empty.glob("bwauto-demo/*/cases/KB-*/*berita-acara*.docx")
    check = (
        "import sys; from docx import Document; d = Document(sys.argv[1]); s = d.sections[0]; "
        "t = [p.text for p in d.paragraphs] + [c.text for x in d.tables for r in x.rows "
        "for c in r.cells] + [p.text for p in s.header.paragraphs]; "
        "print(round(s.page_width.mm), round(s.page_height.mm)); print('\\n'.join(t))"
    )
    text = subprocess.run([str(python), "-c", check, str(ba)], env=env, capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert text.splitlines()[0] == "210 297"  # A4
    assert "Engku Putri" in text and "Siti Rahmawati" in text  # kop surat, Kasi (office.yaml)
    assert "Budi Santoso" in text  # the engineer assigned at step 4: Pelaksana
    (report,) = empty.glob("bwauto-demo/*/cases/KB-*/*laporan*.docx")
    shapes = "import sys, docx; print(len(docx.Document(sys.argv[1]).inline_shapes))"
    count = subprocess.run([str(python), "-c", shapes, str(report)], env=env,
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert int(count) == 4  # the logo and the charts before, after, and before/after the raise
