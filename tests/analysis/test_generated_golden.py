"""The analysis of a generated history gives, bit for bit, the results recorded before it was
optimised (``data/generated_golden.json``, written by the code of commit 0803e93).

The history (``generated_history``) has every irregularity the rules handle; its samples go
through a real sample store, and the window starts and ends inside a day, so that reading per
day segments and cutting the window are covered too.

To re-record after a deliberate change of the rules::

    python tests/analysis/test_generated_golden.py --record
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import generated_history as gh
import pytest

from bwauto.analysis.analyse import analyse, analyse_samples
from bwauto.store import SampleStore

GOLDEN = Path(__file__).parent / "data" / "generated_golden.json"


def _via_store(directory: Path, workers: int | None = None) -> dict[str, Any]:
    links, ups, samples = gh.generate()
    with SampleStore(directory / "samples.sqlite", create=True) as store:
        store.append_arrays(dict(list(samples.items())[:30]))  # two appends: several segments
        store.append_arrays(dict(list(samples.items())[30:]))
        return gh.results(analyse(store, links, ups, gh.WINDOW, gh.REQUEST, workers=workers))


@pytest.mark.parametrize("workers", [1, 3])
def test_store_analysis_is_identical_to_the_recorded_results(tmp_path: Path, workers: int) -> None:
    """One process, and three processes each reading whole upstreams (``analysis.parallel``)."""
    golden = json.loads(GOLDEN.read_text())
    got = _via_store(tmp_path, workers)
    assert got["loads"] == golden["loads"]
    assert got["links"].keys() == golden["links"].keys()
    for link_id, expected in golden["links"].items():
        assert got["links"][link_id] == expected, link_id


def test_in_memory_analysis_is_identical_to_the_recorded_results() -> None:
    golden = json.loads(GOLDEN.read_text())
    links, ups, samples = gh.generate()
    w = gh.WINDOW
    cut = {}
    for link_id, a in samples.items():
        keep = (a.ts >= w.start) & (a.ts <= w.end)
        if keep.any():
            cut[link_id] = type(a)(a.ts[keep], a.uptime[keep], a.in_octets[keep],
                                   a.out_octets[keep], a.counter_bits[keep])  # fmt: skip
    assert gh.results(analyse_samples(cut, links, ups, w, gh.REQUEST)) == golden


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    with tempfile.TemporaryDirectory() as tmp:
        GOLDEN.write_text(json.dumps(_via_store(Path(tmp)), indent=1, sort_keys=True) + "\n")
    print(f"recorded {GOLDEN}")
