"""The committed rates of a change's links are written by one round trip of ``links.yaml``
(one read, one write, under one lock), giving the file N single updates give."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import bwauto.change.inventory_update as iu
from bwauto.change.inventory_update import update_committed, update_committed_many
from bwauto.errors import UsageError
from bwauto.inventory.loader import load_inventory

ROOT = Path(__file__).resolve().parents[2]
M = 1_000_000
RATES = {"dinkes": (None, 150 * M), "rsud": (60 * M, 300 * M), "disdukcapil": (None, 75 * M)}


class Counted:
    """Counts the reads and writes of ``links.yaml`` (the real ones are made)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads = self.writes = 0
        read, write = Path.read_text, iu.atomic_write

        def counted_read(path: Path, *args: object, **kwargs: object) -> str:
            self.reads += path.name == "links.yaml"
            return read(path, *args, **kwargs)  # type: ignore[arg-type]

        def counted_write(path: Path, text: str, **kwargs: bool) -> None:
            self.writes += path.name == "links.yaml"
            write(path, text, **kwargs)

        monkeypatch.setattr(Path, "read_text", counted_read)
        monkeypatch.setattr(iu, "atomic_write", counted_write)


def copy_inventory(tmp_path: Path, name: str) -> Path:
    inventory = tmp_path / name
    shutil.copytree(ROOT / "inventory", inventory)
    return inventory


def test_n_links_one_read_one_write_same_file_as_n_single_updates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    singles, batch = copy_inventory(tmp_path, "singles"), copy_inventory(tmp_path, "batch")
    for link, (up, down) in RATES.items():
        update_committed(singles, link, up, down)
    counted = Counted(monkeypatch)
    assert update_committed_many(batch, RATES) == list(RATES)
    assert (counted.reads, counted.writes) == (1, 1)
    assert (batch / "links.yaml").read_text() == (singles / "links.yaml").read_text()
    original = (ROOT / "inventory" / "links.yaml").read_text()
    assert (batch / "links.yaml").read_text() != original
    assert [c for c in original.splitlines() if "#" in c] == [
        c for c in (batch / "links.yaml").read_text().splitlines() if "#" in c
    ]  # every comment kept, in place
    links = load_inventory(batch).links
    assert (links["rsud"].committed.up, links["rsud"].committed.down) == (60 * M, 300 * M)
    assert links["dinkes"].committed.down == 150 * M


def test_nothing_to_change_reads_once_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = copy_inventory(tmp_path, "inventory")
    links = load_inventory(inventory).links
    same = {k: (links[k].committed.up, links[k].committed.down) for k in RATES}
    counted = Counted(monkeypatch)
    assert update_committed_many(inventory, same) == []
    assert (counted.reads, counted.writes) == (1, 0)


def test_an_unknown_link_is_refused_after_the_others_are_written(tmp_path: Path) -> None:
    inventory = copy_inventory(tmp_path, "inventory")
    with pytest.raises(UsageError, match="'gone' not found"):
        update_committed_many(inventory, {"dinkes": (None, 150 * M), "gone": (None, M)})
    assert load_inventory(inventory).links["dinkes"].committed.down == 150 * M
