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


ODD = """\
# Inventaris link OPD  (komentar tetap)

links:
  # flow style, odd spacing
  - id: dinkes   # Dinas Kesehatan
    committed: {  up:   10M ,down: 20M }

  - id: rsud
    committed:
      up: "100 Mbps"    # quoted, kept as a comment
      down:    '200M'

  - id: disdukcapil
    committed:
      down: 50M   # only down
  - id: tetap
    committed: {up: 1M, down: 2M}
"""


def write_links(tmp_path: Path, text: str) -> Path:
    (tmp_path / "links.yaml").write_bytes(text.encode())
    return tmp_path


def no_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> list[str]:
        raise AssertionError("the ruamel round trip was used")

    monkeypatch.setattr(iu, "_round_trip", refuse)


def test_in_place_changes_only_the_values_and_keeps_every_other_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = write_links(tmp_path, ODD)
    no_round_trip(monkeypatch)
    rates = {"dinkes": (None, 25 * M), "rsud": (150 * M, 300 * M), "disdukcapil": (None, 75 * M)}
    rates |= {"tetap": (M, 2 * M)}
    assert update_committed_many(inventory, rates) == ["dinkes", "rsud", "disdukcapil"]
    expected = (
        ODD.replace(",down: 20M }", ",down: 25M }")
        .replace('up: "100 Mbps"    #', "up: 150M    #")
        .replace("down:    '200M'", "down:    300M")
        .replace("down: 50M   #", "down: 75M   #")
    )
    assert (inventory / "links.yaml").read_bytes() == expected.encode()


def test_only_down_in_the_mapping_and_up_asked_falls_back_to_the_round_trip(
    tmp_path: Path,
) -> None:
    inventory = write_links(tmp_path, ODD)
    assert update_committed_many(inventory, {"disdukcapil": (5 * M, 75 * M)}) == ["disdukcapil"]
    text = (inventory / "links.yaml").read_text()
    assert "# only down" in text and "# Dinas Kesehatan" in text
    links = load_yaml(text)["links"]
    assert links[2]["committed"] == {"up": "5M", "down": "75M"}
    assert links[0]["committed"] == {"up": "10M", "down": "20M"}


def test_crlf_file_is_updated_in_place_with_the_reader_s_newlines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Path.read_text`` reads with universal newlines (CRLF -> LF), as it did before."""
    inventory = write_links(tmp_path, ODD.replace("\n", "\r\n"))
    no_round_trip(monkeypatch)
    assert update_committed_many(inventory, {"tetap": (3 * M, None)}) == ["tetap"]
    expected = ODD.replace("{up: 1M, down: 2M}", "{up: 3M, down: 2M}")
    assert (inventory / "links.yaml").read_bytes() == expected.encode()


def test_non_ascii_comments_before_the_value_keep_offsets_right(tmp_path: Path) -> None:
    text = "# Dinas Kesehatan — Batam é 日本\nlinks:\n- id: a\n  committed: {up: 1M, down: 2M}\n"
    inventory = write_links(tmp_path, text)
    assert update_committed_many(inventory, {"a": (None, 4 * M)}) == ["a"]
    assert (inventory / "links.yaml").read_text() == text.replace("down: 2M", "down: 4M")


ALIASED = """\
links:
  - id: a
    committed: &same {up: 10M, down: 20M}   # shared
  - id: b
    committed: *same
  - id: c
    committed:
      <<: {up: 1M}
      down: 2M
"""


@pytest.mark.parametrize(
    ("rates", "changed"),
    [({"a": (None, 30 * M)}, ["a"]), ({"a": (None, 30 * M), "b": (None, 40 * M)}, ["a", "b"])],
)
def test_an_alias_falls_back_to_the_round_trip_and_is_still_right(
    tmp_path: Path, rates: dict[str, tuple[int | None, int | None]], changed: list[str]
) -> None:
    inventory = write_links(tmp_path, ALIASED)
    assert iu._in_place(ALIASED, rates) is None
    assert update_committed_many(inventory, rates) == changed
    text = (inventory / "links.yaml").read_text()
    assert "&same" in text and "*same" in text and "# shared" in text
    links = load_yaml(text)["links"]
    down = "40M" if "b" in rates else "30M"
    assert links[0]["committed"] == links[1]["committed"] == {"up": "10M", "down": down}


def test_a_merge_key_falls_back_to_the_round_trip(tmp_path: Path) -> None:
    inventory = write_links(tmp_path, ALIASED)
    assert iu._in_place(ALIASED, {"c": (None, 5 * M)}) is None
    assert update_committed_many(inventory, {"c": (None, 5 * M)}) == ["c"]
    assert load_yaml((inventory / "links.yaml").read_text())["links"][2]["committed"] == {
        "up": "1M",
        "down": "5M",
    }


def load_yaml(text: str) -> dict[str, list[dict[str, object]]]:
    import yaml

    data: dict[str, list[dict[str, object]]] = yaml.safe_load(text)
    return data


def test_the_shipped_inventory_is_edited_in_place_and_an_unknown_link_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = copy_inventory(tmp_path, "inventory")
    before = (inventory / "links.yaml").read_text()
    no_round_trip(monkeypatch)
    with pytest.raises(UsageError, match="'gone' not found"):
        update_committed_many(inventory, {"rsud": (60 * M, None), "gone": (None, M)})
    after = (inventory / "links.yaml").read_text()
    pairs = zip(after.splitlines(), before.splitlines(), strict=True)
    assert sum(a != b for a, b in pairs) == 1  # rsud's up, every other line as it was
    assert load_inventory(inventory).links["rsud"].committed.up == 60 * M


@pytest.mark.parametrize(
    "committed",
    ["committed:\n    up: |\n      10M\n    down: 20M\n", "committed: 10M\n", "name: x\n"],
)
def test_a_block_scalar_or_no_committed_mapping_is_not_edited_in_place(committed: str) -> None:
    assert iu._in_place("links:\n- id: a\n  " + committed, {"a": (30 * M, None)}) is None
