"""History import, issue 12 (import) and 14 (fast path): bounded reads, conflicts, line numbers.

Each test here failed on the importer that read rows with ``csv`` into memory: a 5 GB line
ended in a MemoryError, a conflicting second file was silently dropped, a header-only file said
"already imported", a Latin-1 byte gave a byte position, and a refused import left a store.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from bwauto.cli.app import main
from bwauto.errors import ImportDataError
from bwauto.store import SampleStore
from bwauto.store import importer as importer_mod
from bwauto.store.csv_rows import parse_lines
from bwauto.store.importer import import_files, import_history, read_history
from bwauto.store.lines import PIECE
from tests.store.test_importer import LINKS, write

HEADER = "timestamp,link_id,in_octets,out_octets,uptime_s,counter_bits\n"
REPO_INVENTORY = Path(__file__).resolve().parents[2] / "inventory"


def rows(n: int, link: str = "dinkes", start: int = 0, step: int = 300, k: int = 1) -> str:
    """``n`` good rows, 5 minutes apart, from 2024-05-01T00:00:00 + ``start`` seconds."""
    base = np.datetime64("2024-05-01T00:00:00")
    out = []
    for i in range(n):
        stamp = str(base + np.timedelta64(start + i * step, "s"))
        out.append(f"{stamp},{link},{1000 * i * k},{2000 * i * k},{86400 + i * step},64\n")
    return "".join(out)


# -- the line limit and bounded reads --------------------------------------------------------


def test_a_line_over_4_kib_is_refused_with_its_number(tmp_path: Path, store: SampleStore) -> None:
    path = write(tmp_path, HEADER + rows(3) + "x" * 5000 + "\n" + rows(1, start=3600))
    with pytest.raises(ImportDataError) as info:
        import_history(store, path, LINKS)
    assert str(info.value).splitlines() == [
        f"{path}:5: line longer than 4096 bytes: not a history CSV",
        f"{path}: nothing was imported",
    ]
    assert store.links() == []


def test_a_header_over_4_kib_is_refused_at_line_1(tmp_path: Path) -> None:
    path = write(tmp_path, "timestamp," + "y" * 5000 + "\n")
    with pytest.raises(ImportDataError, match=r":1: line longer than 4096 bytes"):
        read_history(path, LINKS)


def test_an_endless_line_is_refused_after_reading_a_little_of_it(
    tmp_path: Path, store: SampleStore
) -> None:
    """A "5 GB" single-line file, produced on demand into a pipe: the importer must stop
    after about 4 KiB of the line, whatever its length (it used to read it all and fail
    with MemoryError)."""
    fifo = tmp_path / "huge.csv"
    os.mkfifo(fifo)
    written = [0]
    chunk = b"9" * 65536

    def feed() -> None:
        try:
            with open(fifo, "wb") as fh:
                fh.write(HEADER.encode() + b"2024-05-01T00:00:00,dinkes,")
                while written[0] < 5 * 2**30:
                    fh.write(chunk)
                    written[0] += len(chunk)
        except BrokenPipeError:
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    with pytest.raises(ImportDataError, match=r"huge.csv:2: line longer than 4096 bytes"):
        import_history(store, fifo, LINKS)
    feeder.join(timeout=10)
    assert not feeder.is_alive()
    pipe_buffer = 1024 * 1024  # Linux pipes hold at most 1 MiB by default (64 KiB usually)
    assert written[0] <= 4096 + PIECE + pipe_buffer + len(chunk)


def test_many_blocks_give_the_same_samples_and_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of ~1 KiB and flushes every 7 rows: rows, order checks and line numbers carry
    over block boundaries exactly as in one block."""
    text = HEADER + "".join(
        rows(1, "dinkes", start=i * 300) + rows(1, "bpkad", start=i * 300) for i in range(200)
    )
    path = write(tmp_path, text)
    whole = read_history(path, LINKS)
    monkeypatch.setattr(importer_mod, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(importer_mod, "FLUSH_ROWS", 7)
    assert _equal(read_history(path, LINKS), whole)
    with SampleStore(tmp_path / "s.sqlite", create=True) as s:
        assert import_history(s, path, LINKS) == 400
        assert _equal(s.read(), whole)
    lines = text.splitlines(keepends=True)
    lines[301] = lines[301].replace(",64\n", ",16\n")
    lines[377] = lines[373]  # goes back in time
    bad = write(tmp_path, "".join(lines), "bad.csv")
    with pytest.raises(ImportDataError) as info:
        read_history(bad, LINKS)
    got = str(info.value).splitlines()
    assert got[0] == f"{bad}:302: counter_bits '16' must be 32 or 64"
    assert got[1].startswith(f"{bad}:378: timestamp ") and "goes back in time" in got[1]


def _equal(a: dict[str, object], b: dict[str, object]) -> bool:
    if a.keys() != b.keys():
        return False
    for link in a:
        x, y = a[link], b[link]
        for name in ("ts", "in_octets", "out_octets", "counter_bits"):
            if not np.array_equal(getattr(x, name), getattr(y, name)):
                return False
        if not np.array_equal(x.uptime, y.uptime, equal_nan=True):  # type: ignore[attr-defined]
            return False
    return True


@pytest.mark.parametrize(
    "text",
    [
        HEADER + rows(50) + rows(50, "bpkad"),
        # offsets, naive, fractions, blanks, quoted link, 32-bit, empty optional cells
        HEADER
        + "2024-05-01T00:00:00+07:00,dinkes,1,2,,\n\n"
        + '2024-05-01T00:05:00.25+07:00,"dinkes",5,6,10,32\r\n'
        + "2024-04-30T17:10:00Z,bpkad,4294967295,0,,32\n",
        "in_octets,link_id,timestamp,out_octets\n1,dinkes,2024-05-01 00:00,2\n"
        "3,dinkes,2024-05-01 00:10,4\n",
    ],
)
def test_the_fast_path_agrees_with_the_row_by_row_reference(
    tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bwauto.analysis.window import WIB

    path = write(tmp_path, text)
    slow_calls = []
    monkeypatch.setattr(importer_mod, "parse_lines", lambda *a: slow_calls.append(a))
    fast = read_history(path, LINKS)
    assert slow_calls == []  # the vectorised path took every block
    monkeypatch.undo()
    header_line, body = text.encode().split(b"\n", 1)
    header = [h.strip() for h in header_line.decode().split(",")]
    names = sorted(LINKS)
    last = np.full(2, -np.inf)
    slow, problems = parse_lines(body, 2, header, {n: i for i, n in enumerate(names)}, WIB, last)
    assert problems == []
    assert sum(len(v) for v in fast.values()) == len(slow)
    for i, name in enumerate(names):
        mine = slow.link == i
        if mine.any():
            assert np.array_equal(fast[name].ts, slow.ts[mine])
            assert np.array_equal(fast[name].in_octets, slow.in_octets[mine])
            assert np.array_equal(fast[name].uptime, slow.uptime[mine], equal_nan=True)
            assert np.array_equal(fast[name].counter_bits, slow.bits[mine])


# -- conflicts -------------------------------------------------------------------------------


def test_a_conflicting_second_file_is_refused_and_listed(
    tmp_path: Path, store: SampleStore
) -> None:
    assert import_history(store, write(tmp_path, HEADER + rows(5), "a.csv"), LINKS) == 5
    other = write(tmp_path, HEADER + rows(3, start=600, k=3) + rows(2, start=3000), "b.csv")
    with pytest.raises(ImportDataError) as info:
        import_history(store, other, LINKS)
    lines = str(info.value).splitlines()
    assert lines[0] == (
        f"{other}: link dinkes at 2024-05-01T00:10:00+07:00: stored in/out 2000/4000, "
        "this import 0/0"
    )
    assert len(lines) == 3 and lines[-1].startswith(f"{other}: 2 samples conflict with stored")
    assert "nothing was imported" in lines[-1]
    assert len(store.read()["dinkes"]) == 5  # not even the 2 new rows of b.csv


def test_on_conflict_keep_or_replace(tmp_path: Path, store: SampleStore) -> None:
    import_history(store, write(tmp_path, HEADER + rows(5), "a.csv"), LINKS)
    other = write(tmp_path, HEADER + rows(3, start=600, k=3) + rows(2, start=3000), "b.csv")
    kept = import_files(store, [other], LINKS, on_conflict="keep")
    assert (kept.rows, kept.added, kept.conflicts) == (5, 2, 2)
    assert store.read()["dinkes"].in_octets.tolist()[:5] == [0, 1000, 2000, 3000, 4000]
    replaced = import_files(store, [other], LINKS, on_conflict="replace")
    assert (replaced.added, replaced.conflicts) == (2, 2)
    d = store.read()["dinkes"]
    assert d.in_octets.tolist() == [0, 1000, 0, 3000, 6000, 0, 1000]
    assert import_files(store, [other], LINKS).added == 0  # now equal: nothing to do


def test_conflicts_between_two_files_of_one_import(tmp_path: Path, store: SampleStore) -> None:
    a = write(tmp_path, HEADER + rows(3), "a.csv")
    b = write(tmp_path, HEADER + rows(3, k=2), "b.csv")
    with pytest.raises(ImportDataError, match="2 samples conflict"):
        import_files(store, [a, b], LINKS)
    assert store.links() == []


def test_identical_rows_in_two_files_are_not_conflicts(tmp_path: Path, store: SampleStore) -> None:
    a = write(tmp_path, HEADER + rows(3), "a.csv")
    assert import_files(store, [a, a], LINKS).added == 3


# -- header-only, encoding, fresh state dir ---------------------------------------------------


def test_a_header_only_file_says_no_data_rows(tmp_path: Path, store: SampleStore) -> None:
    with pytest.raises(ImportDataError, match=r"h.csv: no data rows \(only the header\)"):
        import_history(store, write(tmp_path, HEADER + "\n\n", "h.csv"), LINKS)


def test_a_latin1_byte_is_reported_with_its_line(tmp_path: Path, store: SampleStore) -> None:
    path = tmp_path / "l1.csv"
    path.write_bytes(
        (HEADER + rows(2)).encode() + "2024-05-01T00:10:00,dinkes,1,2,,caf\xe9\n".encode("latin-1")
    )
    with pytest.raises(ImportDataError) as info:
        import_history(store, path, LINKS)
    assert str(info.value).splitlines()[0] == f"{path}:4: not UTF-8 text (byte 0xe9 at column 36)"


def test_a_latin1_header_is_reported_at_line_1(tmp_path: Path) -> None:
    path = tmp_path / "l1.csv"
    path.write_bytes(b"timestamp,link_id,in_octets,out_octets,\xe9\n")
    with pytest.raises(
        ImportDataError, match=r"l1.csv:1: not UTF-8 text \(byte 0xe9 at column 40\)"
    ):
        read_history(path, LINKS)


def test_a_refused_import_into_a_fresh_state_dir_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "new" / "state"
    bad = write(tmp_path, HEADER + rows(2) + "2024-05-01T00:10:00,nope,1,2,,\n")

    def run(*args: str) -> int:
        return main(["--inventory", str(REPO_INVENTORY), "--state-dir", str(state), *args])

    assert run("samples", "import", str(bad)) == 2
    err = capsys.readouterr().err
    assert "history.csv:4: unknown link 'nope'" in err and "Traceback" not in err
    assert not (tmp_path / "new").exists()
    good = write(tmp_path, HEADER + rows(2), "good.csv")
    assert run("samples", "import", str(good)) == 0
    assert "good.csv: 2 baris dibaca, 2 sampel baru diimpor" in capsys.readouterr().out
    assert run("samples", "import", str(bad)) == 2
    assert (state / "samples.sqlite").exists()  # an existing store stays


def test_cli_on_conflict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state"

    def run(*args: str) -> int:
        return main(["--inventory", str(REPO_INVENTORY), "--state-dir", str(state), *args])

    a = write(tmp_path, HEADER + rows(3), "a.csv")
    b = write(tmp_path, HEADER + rows(3, k=2), "b.csv")
    assert run("samples", "import", str(a)) == 0
    assert run("samples", "import", str(b)) == 2
    assert "conflict with stored" in capsys.readouterr().err
    assert run("samples", "import", str(b), "--on-conflict", "replace") == 0
    assert (
        "2 sampel berbeda dari yang tersimpan: sampel yang tersimpan diganti"
        in capsys.readouterr().out
    )
    assert run("samples", "import", str(b), "--on-conflict", "maybe") == 2
