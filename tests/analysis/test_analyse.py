"""End to end: an imported history with known values gives the statistics worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from known_history import History, M

from bwauto.analysis.analyse import analyse, analyse_links, analyse_requests, link_intervals
from bwauto.analysis.model import AnalysisSettings, LinkInfo, RaiseRequest, UpstreamInfo
from bwauto.analysis.report import ReportRow
from bwauto.analysis.window import Window, parse_window
from bwauto.errors import AnalysisError, StoreError
from bwauto.store import Sample, SampleStore


def rows_by_id(rows: list[ReportRow]) -> dict[str, ReportRow]:
    return {r.link_id: r for r in rows}


def test_statistics_match_the_hand_computed_values(history: History) -> None:
    rows = rows_by_id(
        analyse_links(history.store, history.links, history.upstreams, history.window)
    )
    d = rows["dinkes"]
    # 24 intervals: 1 gap (00:45 -> 01:00), 1 reboot, 20 valid of 300 s each.
    assert (d.samples, d.invalid_intervals) == (20, 1)
    assert d.coverage_pct == pytest.approx(100 * 20 * 300 / 7200)  # 83.33 %
    # Out: the 20 valid rates are 5, 10, ..., 100 Mbit/s.
    assert d.out_mean_mbps == pytest.approx(sum(range(5, 101, 5)) / 20)  # 52.5
    assert d.out_p95_mbps == 95.0  # nearest rank: the 19th of 20
    assert d.out_max_mbps == 100.0
    # In: 0.4 of out.
    assert d.in_mean_mbps == pytest.approx(21.0)
    assert d.in_p95_mbps == pytest.approx(38.0)
    assert d.in_max_mbps == pytest.approx(40.0)
    # in 38 / up 50 = 76 %, out 95 / down 100 = 95 %
    assert d.p95_utilisation_pct == pytest.approx(95.0)
    assert d.committed_mbps == 100.0  # the download rate
    assert (d.opd, d.router, d.interface, d.upstream) == (
        "Dinas Kesehatan", "edge-bc-01", "vlan110-dinkes", "telkom",
    )  # fmt: skip
    assert d.window_start == "2024-05-01T00:00:00+07:00"
    assert d.window_end == "2024-05-01T02:00:00+07:00"
    assert d.recommended_mbps == 150.0  # 95 / 0.7 = 135.7 -> 150
    assert d.requested_mbps is None and d.decision is None
    assert d.reason == ""

    b = rows["bpkad"]
    assert (b.samples, b.invalid_intervals, b.coverage_pct) == (24, 0, 100.0)
    assert (b.in_mean_mbps, b.in_p95_mbps, b.in_max_mbps) == (10.0, 10.0, 10.0)
    assert (b.out_mean_mbps, b.out_p95_mbps, b.out_max_mbps) == (20.0, 20.0, 20.0)
    assert b.p95_utilisation_pct == pytest.approx(40.0)  # out 20 of 50; in 10 of 30 = 33 %
    assert b.recommended_mbps == 30.0  # 20 / 0.7 = 28.6 -> 30
    assert b.reason.startswith("UNDERUSED: the link uses 40.0% of its committed rate")


def test_upstream_free_capacity_from_the_aggregate(history: History) -> None:
    result = analyse(history.store, history.links, history.upstreams, history.window)
    load = result.loads["telkom"]
    # Out per 5-minute bin: dinkes' rate (or its p95, 95, in the 4 bins it has none) + 20.
    # Sorted: 25, 30, ..., 110 (18 values), 115 (valid 95 + 20), 4 x 115 (filled), 120;
    # the 23rd of 24 is 115. In: 0.4 x rate + 10, filled 38 + 10: the 23rd is 48.
    assert load.agg_p95_out_bps == pytest.approx(115 * M)
    assert load.agg_p95_in_bps == pytest.approx(48 * M)
    assert load.free_bps == pytest.approx(85 * M)
    assert load.committed_sum_bps == 150 * M  # max(50, 100) + max(30, 50)
    assert load.oversubscription == pytest.approx(0.75)
    assert load.bins == 24
    for row in result.rows:
        assert row.upstream_capacity_mbps == 200.0
        assert row.upstream_free_mbps == pytest.approx(85.0)


def test_a_raise_that_fits_can_be_done(history: History) -> None:
    request = RaiseRequest("dinkes", 150 * M)
    result = analyse(history.store, history.links, history.upstreams, history.window, request)
    d = rows_by_id(result.rows)["dinkes"]
    assert (d.requested_mbps, d.decision) == (150.0, "CAN")
    assert d.reason.startswith("OK: ")
    assert rows_by_id(result.rows)["bpkad"].decision is None
    impact = result.results[0].decision.impact
    assert impact is not None
    assert impact.free_out_after_bps == pytest.approx(35 * M)  # 85 free - 50 more down
    assert impact.free_in_after_bps == pytest.approx(152 * M)  # one rate: upload unchanged
    assert impact.oversubscription_after == pytest.approx(1.0)  # (150 - 100 + 150) / 200


def test_a_raise_beyond_the_headroom_cannot(history: History) -> None:
    request = RaiseRequest("dinkes", 200 * M)
    rows = analyse_links(history.store, history.links, history.upstreams, history.window, request)
    d = rows_by_id(rows)["dinkes"]
    assert d.decision == "CANNOT"
    assert d.reason == (
        "UPSTREAM_HEADROOM: upstream telkom has 85 Mbps free (download, at p95), "
        "the raise needs 100 Mbps"
    )


def test_stricter_coverage_refuses_to_judge(history: History) -> None:
    rows = analyse_links(
        history.store, history.links, history.upstreams, history.window,
        RaiseRequest("dinkes", 150 * M), AnalysisSettings(min_coverage_pct=90.0),
    )  # fmt: skip
    d = rows_by_id(rows)["dinkes"]
    assert d.decision == "NOT ENOUGH DATA"
    assert d.reason.startswith("COVERAGE_LOW: data covers 83.3%")


def test_select_reports_some_links_but_aggregates_all(history: History) -> None:
    rows = analyse_links(
        history.store, history.links, history.upstreams, history.window, select=["bpkad"]
    )
    assert [r.link_id for r in rows] == ["bpkad"]
    assert rows[0].upstream_free_mbps == pytest.approx(85.0)


def test_store_may_be_given_by_path(history: History) -> None:
    rows = analyse_links(history.store.path, history.links, history.upstreams, history.window)
    assert len(rows) == 2


def test_link_intervals_for_charts(history: History) -> None:
    iv = link_intervals(history.store, history.links[0], history.window)
    assert len(iv) == 22
    silent = LinkInfo("silent", M, M, "telkom")
    assert len(link_intervals(history.store, silent, history.window)) == 0


# -- errors ----------------------------------------------------------------------------------------


def test_missing_store(tmp_path: Path, history: History) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        analyse_links(tmp_path / "none.sqlite", history.links, history.upstreams, history.window)


def test_unknown_link(history: History) -> None:
    with pytest.raises(AnalysisError, match=r"^unknown link 'dinsos': not in the inventory$"):
        analyse_links(
            history.store, history.links, history.upstreams, history.window,
            RaiseRequest("dinsos", 10 * M),
        )  # fmt: skip
    with pytest.raises(AnalysisError, match="unknown link 'x'"):
        analyse_links(history.store, history.links, history.upstreams, history.window, select=["x"])


def test_unknown_upstream(history: History) -> None:
    with pytest.raises(AnalysisError, match="its upstream 'telkom' is not defined"):
        analyse_links(history.store, history.links, [UpstreamInfo("x", M)], history.window)


def test_window_without_samples(history: History) -> None:
    empty = parse_window("2024-06-01", "2024-06-02", now=0.0)
    with pytest.raises(AnalysisError) as info:
        analyse_links(history.store, history.links, history.upstreams, empty)
    message = str(info.value)
    assert message == (
        "no samples between 2024-06-01T00:00:00+07:00 and 2024-06-02T00:00:00+07:00 for any "
        f"of 2 links in sample store {history.store.path}"
    )
    assert "\n" not in message


def test_requested_link_without_samples(history: History) -> None:
    links = [*history.links, LinkInfo("silent", M, M, "telkom")]
    asked = analyse_links(
        history.store, links, history.upstreams, history.window, RaiseRequest("silent", 2 * M)
    )
    silent = rows_by_id(asked)["silent"]
    assert silent.decision == "NOT ENOUGH DATA" and "(2 of 2 hours missing)" in silent.reason
    # Without a request, a silent link is a row with no data among the others.
    rows = rows_by_id(analyse_links(history.store, links, history.upstreams, history.window))
    assert rows["silent"].samples == 0 and rows["silent"].out_p95_mbps is None
    assert rows["silent"].reason.startswith("COVERAGE_LOW: data covers 0.0%")


def test_all_intervals_invalid(tmp_path: Path) -> None:
    store = SampleStore(tmp_path / "s.sqlite", create=True)
    store.append(
        [Sample("a", 300.0 * k, 1000.0 - k, 10 - k, 10 - k) for k in range(4)]  # reboots
    )
    link = LinkInfo("a", M, M, "u", speed_bps=M)
    with pytest.raises(AnalysisError, match=r"^link 'a': all 3 intervals are invalid \(3 reboot\)"):
        analyse_links(store, [link], [UpstreamInfo("u", M)], Window(0.0, 900.0))
    store.close()


def test_single_sample_is_not_enough(tmp_path: Path) -> None:
    store = SampleStore(tmp_path / "s.sqlite", create=True)
    store.append([Sample("a", 100.0, None, 1, 1)])
    link = LinkInfo("a", M, M, "u")
    with pytest.raises(AnalysisError, match="only one sample: a rate needs two"):
        analyse_links(store, [link], [UpstreamInfo("u", M)], Window(0.0, 900.0))
    store.close()


def test_a_link_given_twice(history: History) -> None:
    twice = [*history.links, replace(history.links[0])]
    with pytest.raises(AnalysisError, match="'dinkes' is given twice"):
        analyse_links(history.store, twice, history.upstreams, history.window)


def test_no_links_at_all(history: History) -> None:
    with pytest.raises(AnalysisError, match="no links to analyse"):
        analyse_links(history.store, [], history.upstreams, history.window)


def test_several_requests_from_one_reading_decide_as_each_alone(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A raise over many links is judged from one reading of the store (issue 16: each link's
    own analysis read every link of the inventory), with the same decision as alone; a link
    without data is NOT ENOUGH DATA among others as alone."""
    links = [*history.links, replace(history.links[0], link_id="dishub")]
    requests = [RaiseRequest(i, r * M) for i, r in (("dinkes", 150), ("bpkad", 400),
                                                      ("dishub", 100))]  # fmt: skip
    alone = {
        r.link_id: analyse(
            history.store, links, history.upstreams, history.window, r, select=[r.link_id]
        )
        for r in requests
    }
    reads: list[list[str]] = []
    real = SampleStore.iter_sourced

    def counted(self: SampleStore, ids: list[str], *args: object) -> object:
        reads.append(list(ids))
        return real(self, ids, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(SampleStore, "iter_sourced", counted)
    together = analyse_requests(history.store.path, links, history.upstreams, history.window,
                                requests)  # fmt: skip
    assert reads == [[link.link_id for link in links]]  # one pass over the store
    for request in requests:
        assert together[request.link_id] == alone[request.link_id]
    decisions = {i: a.results[0].row.decision for i, a in together.items()}
    assert decisions["dishub"] == "NOT ENOUGH DATA" and decisions["bpkad"] == "CANNOT"
