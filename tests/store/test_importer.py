"""History import: good files, time zones, re-import, and every kind of bad row."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import numpy as np
import pytest

from bwauto.errors import ImportDataError
from bwauto.store import SampleStore
from bwauto.store.importer import import_history, read_history

LINKS = {"dinkes", "bpkad"}
T0 = 1_714_496_400.0  # 2024-05-01T00:00:00+07:00


def write(tmp_path: Path, text: str, name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """timestamp,link_id,in_octets,out_octets,uptime_s,counter_bits
2024-05-01T00:00:00,dinkes,1000,2000,86400,64
2024-05-01T00:05:00,dinkes,4000,8000,86700,
2024-05-01 00:10:00+07:00,dinkes,18446744073709551615,9000,,64
2024-04-30T17:00:00Z,bpkad,4294967295,0,,32
2024-05-01T00:05:00.5,bpkad,10,20,,32
"""


def test_a_good_file_is_imported(tmp_path: Path, store: SampleStore) -> None:
    assert import_history(store, write(tmp_path, GOOD), LINKS) == 5
    got = store.read()
    d, b = got["dinkes"], got["bpkad"]
    assert d.ts.tolist() == [T0, T0 + 300, T0 + 600]
    assert d.in_octets.tolist() == [1000, 4000, 2**64 - 1]
    assert d.out_octets.tolist() == [2000, 8000, 9000]
    assert d.uptime[:2].tolist() == [86400.0, 86700.0] and np.isnan(d.uptime[2])
    assert d.counter_bits.tolist() == [64, 64, 64]
    assert b.ts.tolist() == [T0, T0 + 300.5]
    assert b.counter_bits.tolist() == [32, 32] and b.in_octets.tolist() == [2**32 - 1, 10]


def test_importing_the_same_file_twice_adds_nothing(tmp_path: Path, store: SampleStore) -> None:
    path = write(tmp_path, GOOD)
    assert import_history(store, path, LINKS) == 5
    assert import_history(store, path, LINKS) == 0
    assert len(store.read()["dinkes"]) == 3


def test_overlapping_files_add_only_the_new_samples(tmp_path: Path, store: SampleStore) -> None:
    import_history(store, write(tmp_path, GOOD), LINKS)
    more = GOOD.splitlines()[0] + "\n" + "\n".join(GOOD.splitlines()[1:4]) + "\n"
    more += "2024-05-01T00:15:00,dinkes,100,100,,\n"
    assert import_history(store, write(tmp_path, more, "more.csv"), LINKS) == 1


def test_optional_columns_may_be_left_out_and_columns_reordered(
    tmp_path: Path, store: SampleStore
) -> None:
    text = "link_id,out_octets,in_octets,timestamp\ndinkes,2,1,2024-05-01T00:00:00\n"
    assert import_history(store, write(tmp_path, text), LINKS) == 1
    d = store.read()["dinkes"]
    assert (d.in_octets[0], d.out_octets[0], d.counter_bits[0]) == (1, 2, 64)
    assert np.isnan(d.uptime[0]) and d.ts[0] == T0


def test_local_time_zone_is_configurable(tmp_path: Path, store: SampleStore) -> None:

    text = "timestamp,link_id,in_octets,out_octets\n2024-05-01T00:00:00,dinkes,1,2\n"
    import_history(store, write(tmp_path, text), LINKS, tz=UTC)
    assert store.read()["dinkes"].ts[0] == T0 + 7 * 3600


def test_bom_and_blank_lines_are_fine(tmp_path: Path) -> None:
    text = "\ufefftimestamp,link_id,in_octets,out_octets\n\n2024-05-01T00:00:00,dinkes,1,2\n\n"
    assert len(read_history(write(tmp_path, text), LINKS)["dinkes"]) == 1


HEADER = "timestamp,link_id,in_octets,out_octets,uptime_s,counter_bits\n"
OK_ROW = "2024-05-01T00:00:00,dinkes,1000,2000,86400,64\n"


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("2024-05-01T00:05:00,dinkez,1,2,,", "unknown link 'dinkez': not in the inventory"),
        ("2024-05-01T00:05:00,dinkes,12x,2,,", "in_octets '12x' is not a whole number"),
        ("2024-05-01T00:05:00,dinkes,1.5,2,,", "in_octets '1.5' is not a whole number"),
        ("2024-05-01T00:05:00,dinkes,1_000,2,,", "in_octets '1_000' is not a whole number"),
        ("2024-05-01T00:05:00,dinkes,1,-2,,", "out_octets -2 is negative"),
        ("2024-05-01T00:05:00,dinkes,1,2,-5,", "uptime_s -5 is negative"),
        ("2024-05-01T00:05:00,dinkes,1,2,abc,", "uptime_s 'abc' is not a number"),
        ("2024-05-01T00:05:00,dinkes,1,2,nan,", "uptime_s 'nan' is not a number"),
        (
            "2024-05-01T00:05:00,dinkes,4294967296,2,,32",
            "in_octets 4294967296 is above the 32-bit counter maximum 4294967295",
        ),
        (
            "2024-05-01T00:05:00,dinkes,1,18446744073709551616,,",
            "out_octets 18446744073709551616 is above the 64-bit counter maximum",
        ),
        ("2024-05-01T00:05:00,dinkes,1,2,,16", "counter_bits '16' must be 32 or 64"),
        ("01/05/2024 00:05,dinkes,1,2,,", "timestamp '01/05/2024 00:05' is not ISO 8601"),
        (
            "2024-04-30T23:55:00,dinkes,1,2,,",
            "timestamp 2024-04-30T23:55:00+07:00 goes back in time for link dinkes",
        ),
        (
            "2024-05-01T00:00:00+07:00,dinkes,1,2,,",
            "timestamp 2024-05-01T00:00:00+07:00 appears twice for link dinkes",
        ),
        ("2024-05-01T00:05:00,dinkes,,2,,", "missing in_octets"),
        ("2024-05-01T00:05:00,dinkes", "missing in_octets"),
        ("2024-05-01T00:05:00,dinkes,1,2,,,extra", "7 fields, but the header has 6 columns"),
    ],
)
def test_a_bad_row_refuses_the_whole_file_with_its_line(
    tmp_path: Path, store: SampleStore, bad_row: str, reason: str
) -> None:
    path = write(
        tmp_path, HEADER + OK_ROW + bad_row + "\n" + OK_ROW.replace("00:00:00", "00:10:00")
    )
    with pytest.raises(ImportDataError) as info:
        import_history(store, path, LINKS)
    lines = str(info.value).splitlines()
    assert lines[0].startswith(f"{path}:3: {reason}")
    assert lines[-1] == f"{path}: nothing was imported"
    assert store.links() == []


def test_every_problem_is_listed_with_its_line(tmp_path: Path, store: SampleStore) -> None:
    rows = [
        "2024-05-01T00:00:00,dinkes,1,2,,",
        "2024-05-01T00:05:00,nope,1,2,,",
        "2024-05-01T00:10:00,dinkes,x,2,,",
        "2024-05-01T00:15:00,dinkes,3,4,,",
        "2024-05-01T00:15:00,dinkes,5,6,,",
    ]
    path = write(tmp_path, HEADER + "\n".join(rows) + "\n")
    with pytest.raises(ImportDataError) as info:
        import_history(store, path, LINKS)
    assert str(info.value).splitlines() == [
        f"{path}:3: unknown link 'nope': not in the inventory",
        f"{path}:4: in_octets 'x' is not a whole number",
        f"{path}:6: timestamp 2024-05-01T00:15:00+07:00 appears twice for link dinkes",
        f"{path}: nothing was imported",
    ]
    assert store.links() == []


def test_problems_beyond_the_limit_are_counted(tmp_path: Path, store: SampleStore) -> None:
    rows = [f"2024-05-01T00:{m:02d}:00,nope,1,2,," for m in range(30)]
    path = write(tmp_path, HEADER + "\n".join(rows) + "\n")
    with pytest.raises(ImportDataError) as info:
        import_history(store, path, LINKS, max_problems=5)
    lines = str(info.value).splitlines()
    assert len(lines) == 7 and lines[5] == "... and 25 more problems"


def test_a_record_never_spans_lines_so_line_numbers_are_physical(
    tmp_path: Path, store: SampleStore
) -> None:
    text = 'timestamp,link_id,in_octets,out_octets\n2024-05-01T00:00:00,"din\nkes",1,2\n'
    text += "2024-05-01T00:05:00,dinkes,-1,2\n"
    with pytest.raises(ImportDataError) as info:
        import_history(store, write(tmp_path, text), LINKS)
    lines = str(info.value).splitlines()
    assert lines[0].endswith("history.csv:2: a quoted field is not closed on its line")
    assert lines[2].endswith("history.csv:4: in_octets -1 is negative")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("timestamp,link_id,in_octets", "missing column out_octets"),
        ("timestamp,link,in_octets,out_octets", "missing column link_id"),
        ("timestamp,link_id,in_octets,out_octets,uptime", "unknown column 'uptime'"),
        ("timestamp,link_id,in_octets,out_octets,in_octets", "column in_octets appears twice"),
        ("timestamp;link_id;in_octets;out_octets", "the separator is ';'"),
    ],
)
def test_a_bad_header_is_refused_at_line_1(tmp_path: Path, header: str, reason: str) -> None:
    path = write(tmp_path, header + "\n")
    with pytest.raises(ImportDataError, match=f"{path}:1: {reason}"):
        read_history(path, LINKS)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ImportDataError, match=r"empty.csv:1: the file is empty"):
        read_history(write(tmp_path, "", "empty.csv"), LINKS)
    with pytest.raises(ImportDataError, match=r"nope.csv: cannot be read"):
        read_history(tmp_path / "nope.csv", LINKS)
