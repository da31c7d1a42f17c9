"""``bwauto demo`` end to end in a temporary folder; its failures are one line and stop the lab."""

from __future__ import annotations

import re
import shutil
import socket
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from docx import Document
from docx.shared import Mm
from language import foreign_words, without_code

from bwauto.case.chain import verify
from bwauto.case.register import Register
from bwauto.cli import app as app_module
from bwauto.cli import demo_cmd
from bwauto.inventory.loader import load_inventory

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_INVENTORY = ROOT / "inventory"
M = 1_000_000


def bwauto(*args: str) -> int:
    """``bwauto ARGS`` in-process, with ``demo`` registered if app.py does not have it yet."""
    if not any(c.name == "demo" for c in app_module.app.registered_commands):
        app_module.app.command("demo")(demo_cmd.demo)
    return app_module.main(["--inventory", str(SAMPLE_INVENTORY), *args])


def lab_ports(folder: Path) -> list[int]:
    """The SSH ports of the lab the demo started (from the lab inventory it wrote)."""
    hosts = yaml.safe_load((folder / "lab" / "inventory" / "hosts.yaml").read_text())
    return [int(h["port"]) for h in hosts.values()]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def docx_rows(path: Path) -> list[list[str]]:
    """Every table row's cell texts (merged cells once)."""
    rows = []
    for table in Document(str(path)).tables:
        for row in table.rows:
            cells = [c.text for c in row.cells]
            rows.append([c for i, c in enumerate(cells) if i == 0 or c != cells[i - 1]])
    return rows


def _images(document: Any) -> list[bytes]:
    """The embedded pictures' bytes, in the document's order."""
    part = document.part
    return [part.related_parts[s._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
            for s in document.inline_shapes]  # fmt: skip


def test_demo_walks_the_sop_and_leaves_every_file_in_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sample_links = (SAMPLE_INVENTORY / "links.yaml").read_bytes()
    monkeypatch.chdir(tmp_path)
    assert bwauto("demo") == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    (folder,) = (tmp_path / "bwauto-demo").iterdir()
    assert re.fullmatch(r"\d{8}-\d{6}", folder.name)
    assert f"bwauto-demo/{folder.name}" in out  # it names its folder
    for progress in ("[4/11] Langkah 8", "-add comment", "+add comment", "Apa ada di mana"):
        assert progress in out
    assert not foreign_words(without_code(out), "id")  # the narration is Indonesian too
    assert not any(listening(port) for port in lab_ports(folder))  # the lab is stopped

    (case,) = Register.in_state_dir(folder).cases()
    state = Register.in_state_dir(folder).state(case.id)
    assert state.closed and set(state.done) == set(range(1, 15)) - {7}
    assert verify(case).ok

    docs = folder / "cases" / case.id
    names = sorted(p.name for p in docs.glob("*.docx"))
    assert names == [f"{case.id}-{k}.docx" for k in ("berita-acara-pekerjaan",
                     "dokumen-isian-kelengkapan", "laporan-hasil-pelaksanaan")]  # fmt: skip
    ba = docx_text(docs / names[0])
    assert "100 Mbps" in ba and "150 Mbps" in ba and "dinkes" in ba
    assert {p.suffix for p in (docs / "analisa").iterdir()} == {".csv", ".xlsx", ".png"}
    for name in names:  # issue 11, done when: A4, the configured kop surat (address, logo)
        document = Document(str(docs / name))
        section = document.sections[0]  # Word keeps twentieths of a point: within 0.1 mm
        assert abs(section.page_width - Mm(210)) < Mm(0.1) > abs(section.page_height - Mm(297))
        assert "Jl. Engku Putri No. 1" in docx_text(docs / name), name
        assert _images(document)[0] == (folder / "lab/inventory/logo-batam.png").read_bytes()
        assert document.core_properties.author == "Dinas Komunikasi dan Informatika"
    # the BA: the engineer the Kasi assigned at step 4 did the raise (its default operator) and
    # is PIHAK PERTAMA and Pelaksana, with his NIP from office.yaml's team; the Kasi
    # (office.yaml's signatory) acknowledges
    rows = docx_rows(docs / names[0])
    assert ["Pelaksana", "Budi Santoso"] in rows and ["Nama", ":", "Budi Santoso"] in rows
    assert ["NIP", ":", "19880605 201402 1 001"] in rows and "Andi Pratama" not in ba
    # issue 11 (outside look, 1): one set of people: the register names office.yaml's
    # signatories for steps 2-4 and 11-13, and the step-4 engineer is the one in the documents
    by = {(r.step, r.kind): r.by for r in case.records()}
    office = yaml.safe_load((folder / "lab/inventory/office.yaml").read_text())["signatories"]
    assert by[(2, "dispose")] == by[(13, "review")] == office["kadis"]["name"]
    assert by[(3, "dispose")] == by[(12, "review")] == office["kabid"]["name"]
    assert by[(4, "dispose")] == by[(11, "review")] == office["kasi"]["name"]
    assigned = [r.data["assignees"] for r in case.records() if (r.step, r.kind) == (4, "dispose")]
    assert assigned == [["Budi Santoso"]]
    # the engineer records his own steps (form, analysis, change, BA, report), not the OS user
    assert {r.step for r in case.records() if r.by == "Budi Santoso"} >= {5, 6, 8, 9, 10}
    assert "Siti Rahmawati, S.Kom." in ba and "NIP. 19840722 201001 2 011" in ba
    report = Document(str(docs / names[2]))  # signatories, engineer, before/after charts
    text = docx_text(docs / names[2])
    assert "Andi Pratama" not in text
    for expected in ("Siti Rahmawati, S.Kom.", "Budi Santoso",
                     "Gambar 1. Pemakaian link selama periode analisa (sebelum kenaikan)",
                     "Gambar 2. Pemakaian link pada jam-jam setelah kenaikan",
                     "Gambar 3. Pemakaian link sebelum dan sesudah perubahan",
                     # issue 15: the outcome of the raise, before → after, with its chart
                     "Hasil Kenaikan (sesudah dibanding sebelum)",
                     "100 Mbps → 150 Mbps",
                     # the saturated upload the request does not raise is flagged (outside look 3)
                     "dapat dinaikkan; arah unggah jenuh",
                     # judged on 12 s after the raise: too short, figures provisional
                     "Periode sesudah perubahan (12 detik) terlalu singkat"):  # fmt: skip
        assert expected in text, expected
    # the logo and three charts, embedded as PNG images (not paths): before, after, both
    charts = _images(report)[1:]
    assert len(charts) == 3 and all(c.startswith(b"\x89PNG") and len(c) > 20_000 for c in charts)

    evidence = sorted((folder / "evidence").glob("*/dinkes.json"))
    outcomes = sorted(p.read_text().split('"outcome": "')[1].split('"')[0] for p in evidence)
    assert outcomes == ["changed", "dry-run"]  # the dry-run diff, then the apply
    assert list((folder / "evidence").glob("*/dinkes.monitoring.json"))
    rules = folder / "monitoring/prometheus/rules/bwauto-links.yml"
    assert "link_id: dinkes" in rules.read_text()
    assert load_inventory(folder / "lab" / "inventory").links["dinkes"].committed.down == 150 * M
    assert (SAMPLE_INVENTORY / "links.yaml").read_bytes() == sample_links  # never the user's

    zipped = zipfile.ZipFile(folder / f"{case.id}.zip").namelist()
    assert f"{case.id}/records.json" in zipped
    assert sum(n.endswith(".docx") for n in zipped) == 3
    assert (folder / "lab-history-7d.csv").stat().st_size > 1_000_000


@pytest.mark.parametrize(
    ("playbook", "old", "new", "code", "said"),
    [
        ("permohonan-disposisi.yaml", "action: form,", "action: forms,", 2, "action"),
        ("kenaikan-bandwidth.yaml", 'to: "{{ rate }}"', "to: 5M", 1, "--allow-decrease"),
    ],
    ids=["refused-playbook", "failed-step"],
)
def test_a_failure_is_one_line_and_the_lab_is_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], playbook: str, old: str, new: str,
    code: int, said: str,
) -> None:  # fmt: skip
    playbooks = tmp_path / "playbooks"
    shutil.copytree(ROOT / "playbooks", playbooks)
    broken = playbooks / playbook
    assert old in broken.read_text()
    broken.write_text(broken.read_text().replace(old, new))
    folder = tmp_path / "demo"
    assert bwauto("demo", "--dir", str(folder), "--playbooks", str(playbooks)) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("galat:") == 1
    assert playbook in err and said in err and "lab dihentikan" in err
    assert not any(listening(port) for port in lab_ports(folder))


def test_a_folder_in_use_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "notes.txt").write_text("mine")
    assert bwauto("demo", "--dir", str(tmp_path / "demo")) == 2
    assert "bukan folder kosong" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "demo").iterdir()] == ["notes.txt"]
