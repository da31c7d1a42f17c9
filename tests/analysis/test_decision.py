"""The decision: CAN / CANNOT with every reason that applies, and the recommended rate."""

from __future__ import annotations

import pytest

from bwauto.analysis.availability import UpstreamLoad
from bwauto.analysis.decision import (
    BLOCKING,
    Code,
    Decision,
    Verdict,
    decide,
    mbps,
    recommend_rate,
)
from bwauto.analysis.model import DEFAULT_LADDER_BPS, AnalysisSettings, LinkInfo, UpstreamInfo
from bwauto.analysis.stats import DirectionStats, LinkStats

M = 1_000_000
SETTINGS = AnalysisSettings()
UP = UpstreamInfo("telkom", capacity_bps=1000 * M, max_oversubscription=1.5)
LINK = LinkInfo("dinkes", committed_up_bps=50 * M, committed_down_bps=50 * M, upstream="telkom")


def stats(p95_in: float, p95_out: float, coverage: float = 100.0) -> LinkStats:
    def d(p95: float) -> DirectionStats:
        return DirectionStats(2000, 0, 0, 600_000.0, coverage, p95 / 2, p95, p95 * 1.2)

    return LinkStats(d(p95_in), d(p95_out), invalid=0)


def load(
    agg_in: float = 200 * M, agg_out: float = 400 * M, committed: int = 1000 * M
) -> UpstreamLoad:
    return UpstreamLoad(UP, 20, committed, agg_in, agg_out, bins=2016, measured_pct=100.0)


def codes(decision: Decision) -> list[Code]:
    return [r.code for r in decision.reasons]


# -- recommended rate -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p95_mbps", "expected_mbps"),
    [
        (0.0, 10),
        (7.0, 10),  # exactly 70 % of 10
        (7.000001, 20),
        (14.0, 20),
        (21.0, 30),
        (35.0, 50),
        (35.1, 100),
        (70.0, 100),
        (105.0, 150),
        (700.0, 1000),
    ],
)
def test_recommended_is_the_smallest_step_keeping_p95_at_70_percent(
    p95_mbps: float, expected_mbps: int
) -> None:
    assert recommend_rate(p95_mbps * M, DEFAULT_LADDER_BPS, 70.0) == expected_mbps * M


def test_no_step_is_enough() -> None:
    assert recommend_rate(700.1 * M, DEFAULT_LADDER_BPS, 70.0) is None


def test_ladder_and_target_are_configurable() -> None:
    assert recommend_rate(45 * M, (25 * M, 75 * M, 60 * M), 80.0) == 60 * M
    assert recommend_rate(45 * M, (25 * M, 75 * M, 60 * M), 70.0) == 75 * M


def test_default_ladder() -> None:
    assert [b // M for b in DEFAULT_LADDER_BPS] == [10, 20, 30, 50, 100, 150, 200, 300, 500, 1000]


# -- verdicts -------------------------------------------------------------------------------------


def test_can_when_nothing_blocks() -> None:
    d = decide(LINK, stats(30 * M, 45 * M), load(), 100 * M, SETTINGS)
    assert d.verdict is Verdict.CAN and d.verdict.sop_step == 8
    assert codes(d) == [Code.OK]
    assert d.recommended_bps == 100 * M  # 45 / 0.7 = 64.3 -> 100
    assert d.impact is not None and d.impact.increase_down_bps == 50 * M
    assert d.reason_text.startswith("OK: ")


def test_upstream_headroom_insufficient() -> None:
    # 1000 - 980 = 20 Mbps free on the download side, the raise adds 50.
    d = decide(LINK, stats(30 * M, 45 * M), load(agg_out=980 * M), 100 * M, SETTINGS)
    assert d.verdict is Verdict.CANNOT and d.verdict.sop_step == 7
    assert codes(d) == [Code.UPSTREAM_HEADROOM]
    assert d.reasons[0].text == (
        "upstream telkom has 20 Mbps free (download, at p95), the raise needs 50 Mbps"
    )


def test_headroom_exactly_enough_is_enough() -> None:
    d = decide(LINK, stats(30 * M, 45 * M), load(agg_out=950 * M), 100 * M, SETTINGS)
    assert d.verdict is Verdict.CAN


def test_oversubscription_policy_exceeded_after_the_raise() -> None:
    # 1480 committed + 50 more = 1530 > 1.5 x 1000
    d = decide(LINK, stats(30 * M, 45 * M), load(committed=1480 * M), 100 * M, SETTINGS)
    assert codes(d) == [Code.OVERSUBSCRIBED]
    assert "1.53 times" in d.reasons[0].text and "1.5 allowed" in d.reasons[0].text


def test_oversubscription_exactly_at_the_limit_is_allowed() -> None:
    d = decide(LINK, stats(30 * M, 45 * M), load(committed=1450 * M), 100 * M, SETTINGS)
    assert d.verdict is Verdict.CAN


def test_no_oversubscription_policy() -> None:
    free_up = UpstreamInfo("telkom", capacity_bps=1000 * M, max_oversubscription=None)
    unlimited = UpstreamLoad(free_up, 20, 5000 * M, 200 * M, 400 * M, 2016, 100.0)
    assert decide(LINK, stats(30 * M, 45 * M), unlimited, 100 * M, SETTINGS).verdict is Verdict.CAN


def test_underused_link() -> None:
    # p95 20 of 50 Mbps = 40 % < 50 %
    d = decide(LINK, stats(10 * M, 20 * M), load(), 100 * M, SETTINGS)
    assert codes(d) == [Code.UNDERUSED]
    assert d.reasons[0].text == (
        "download: uses 40.0% of its committed rate at p95, below 50% (50 Mbps committed): it "
        "does not use what it has"
    )
    assert d.recommended_bps == 30 * M


def test_underuse_judged_per_direction_against_its_own_committed_rate() -> None:
    asym = LinkInfo("bpkad", committed_up_bps=10 * M, committed_down_bps=100 * M, upstream="telkom")
    # download 30 % of 100, upload 80 % of 10: raising the download is not supported by its
    # use; raising the upload is
    d = decide(asym, stats(8 * M, 30 * M), load(), 150 * M, SETTINGS)
    assert codes(d) == [Code.UNDERUSED] and d.reasons[0].text.startswith("download: uses 30.0%")
    d = decide(asym, stats(8 * M, 30 * M), load(), 100 * M, SETTINGS, request_up_bps=20 * M)
    assert d.verdict is Verdict.CAN


def test_each_direction_is_judged_and_a_saturated_one_not_raised_is_flagged() -> None:
    """Seen 4: the demo's Dinas Kesehatan asks 150M; upload p95 49.7 of 50 M went unnoticed."""
    dinkes = LinkInfo("dinkes", 50 * M, 100 * M, "telkom")
    d = decide(dinkes, stats(49.7 * M, 70 * M), load(), 150 * M, SETTINGS)
    assert d.verdict is Verdict.CAN
    assert d.impact is not None and d.impact.increase_up_bps == 0  # one rate = download
    saturated = [r for r in d.reasons if r.code is Code.SATURATED]
    assert len(saturated) == 1 and saturated[0].text.startswith("upload is saturated: p95 49.7")
    assert "the request does not raise it" in saturated[0].text
    # the saturated upload is recommended to rise; the download, decided CAN, at least the
    # requested rate (outside look 4: never the current rate below a CAN)
    assert d.recommended == {"upload": 100 * M, "download": 150 * M}
    both = decide(dinkes, stats(49.7 * M, 70 * M), load(), 150 * M, SETTINGS, 100 * M)
    assert Code.SATURATED not in codes(both) and both.impact is not None
    assert both.impact.increase_up_bps == 50 * M


def test_coverage_too_low_is_not_enough_data() -> None:
    d = decide(LINK, stats(30 * M, 45 * M, coverage=62.5), load(), 100 * M, SETTINGS)
    assert d.verdict is Verdict.NOT_ENOUGH_DATA and d.verdict.sop_step is None
    assert codes(d) == [Code.COVERAGE_LOW]
    assert d.reasons[0].text == (
        "data covers 62.5% of the window, below the 80% needed to judge (2.6 of 7 days "
        "missing): poll the link for 1.2 more days (bwauto poll, every 5 minutes) or import its "
        "history (bwauto samples import FILE.csv)"
    )


def test_no_samples_at_all_is_not_enough_data_never_cannot() -> None:
    """Seen 3: at coverage 0 % the verdict was CANNOT (next: step 7)."""
    d = decide(LINK, None, load(), 100 * M, SETTINGS)
    assert d.verdict is Verdict.NOT_ENOUGH_DATA and d.verdict.value == "NOT ENOUGH DATA"
    assert codes(d) == [Code.COVERAGE_LOW] and d.recommended_bps is None
    assert "(7 of 7 days missing)" in d.reasons[0].text


def test_every_reason_that_applies_is_given() -> None:
    d = decide(
        LINK,
        stats(5 * M, 10 * M),
        load(agg_out=990 * M, committed=1500 * M),
        100 * M,
        SETTINGS,
    )
    assert d.verdict is Verdict.CANNOT
    assert set(codes(d)) == {
        Code.UNDERUSED,
        Code.UPSTREAM_HEADROOM,
        Code.OVERSUBSCRIBED,
    }


def test_request_that_raises_nothing() -> None:
    d = decide(LINK, stats(30 * M, 45 * M), load(), 50 * M, SETTINGS)
    assert codes(d) == [Code.NOT_AN_INCREASE]


def test_unknown_upstream_load() -> None:
    unknown = UpstreamLoad(UP, 20, 1000 * M, None, None, 0, 0.0)
    d = decide(LINK, stats(30 * M, 45 * M), unknown, 100 * M, SETTINGS)
    assert codes(d) == [Code.UPSTREAM_LOAD_UNKNOWN]


def test_without_a_request_there_is_no_verdict_but_findings() -> None:
    d = decide(LINK, stats(10 * M, 20 * M), load(agg_out=999 * M), None, SETTINGS)
    assert d.verdict is None and d.impact is None
    assert codes(d) == [Code.UNDERUSED]
    assert decide(LINK, stats(30 * M, 45 * M), load(), None, SETTINGS).reasons == ()


def test_above_the_ladder_is_a_note_not_a_refusal() -> None:
    big = LinkInfo("dc", 1000 * M, 1000 * M, "telkom")
    big_load = UpstreamLoad(UpstreamInfo("telkom", 10_000 * M, None), 2, 0, 0.0, 0.0, 1, 100.0)
    d = decide(big, stats(900 * M, 950 * M), big_load, 2000 * M, SETTINGS)
    assert d.verdict is Verdict.CAN
    assert codes(d) == [Code.OK, Code.ABOVE_LADDER]
    # no ladder step fits the saturated download, but CAN recommends at least the request; the
    # upload at 90 % is neither saturated nor underused: it stays
    assert d.recommended == {"upload": 1000 * M, "download": 2000 * M}


def test_thresholds_are_configurable() -> None:
    strict = AnalysisSettings(min_coverage_pct=99.0, underuse_pct=95.0)
    d = decide(LINK, stats(30 * M, 45 * M, coverage=98.0), load(), 100 * M, strict)
    assert d.verdict is Verdict.NOT_ENOUGH_DATA and codes(d) == [Code.COVERAGE_LOW]
    d = decide(LINK, stats(30 * M, 45 * M, coverage=99.0), load(), 100 * M, strict)
    assert codes(d) == [Code.UNDERUSED]


def test_codes_are_stable_strings() -> None:
    assert {c.value for c in Code} == {
        "OK", "COVERAGE_LOW", "UNDERUSED", "NOT_AN_INCREASE", "UPSTREAM_HEADROOM",
        "OVERSUBSCRIBED", "UPSTREAM_LOAD_UNKNOWN", "ABOVE_LADDER", "SATURATED",
    }  # fmt: skip
    assert Code.OK not in BLOCKING and Code.ABOVE_LADDER not in BLOCKING


def test_mbps_text() -> None:
    assert (
        mbps(50 * M) == "50 Mbps" and mbps(12.34 * M) == "12.3 Mbps" and mbps(0.04 * M) == "0 Mbps"
    )


def test_recommendations_follow_the_decision_and_the_use() -> None:
    """Issue 11 (outside look, 4): no advice without enough data; a CAN decision recommends at
    least the requested rate; a direction rises only when it is saturated."""
    # NOT ENOUGH DATA (one poll sample): no "disarankan 20 M" for a 100 M link
    thin = decide(LINK, stats(5 * M, 10 * M, coverage=0.1), load(), 150 * M, SETTINGS)
    assert thin.verdict is Verdict.NOT_ENOUGH_DATA
    assert thin.recommended_bps is None and thin.recommended == {"upload": None, "download": None}
    # rsud at 300M: CAN, and the download is not recommended below the 300 asked
    rsud = LinkInfo("rsud", 100 * M, 200 * M, "telkom")
    free = UpstreamLoad(UpstreamInfo("telkom", 10_000 * M, None), 2, 0, 0.0, 0.0, 1, 100.0)
    can = decide(rsud, stats(40 * M, 130 * M), free, 300 * M, SETTINGS)
    assert can.verdict is Verdict.CAN and can.recommended["download"] == 300 * M
    # disdik: the upload at 73 % (not saturated, not asked) stays at its rate
    disdik = LinkInfo("disdik", 100 * M, 100 * M, "telkom")
    d = decide(disdik, stats(73 * M, 80 * M), free, 150 * M, SETTINGS)
    assert d.recommended["upload"] == 100 * M
    assert Code.SATURATED not in codes(d)


def test_the_cli_lines_say_a_direction_stays_and_give_no_advice_without_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside look 4, as the engineer reads it: the upload at 73 % "disarankan tetap", the
    download decided CAN at the requested rate, and nothing advised on one poll sample."""
    from bwauto.analysis.tasks import decision_lines
    from bwauto.i18n import reset, set_lang

    monkeypatch.setenv("BWAUTO_LANG", "id")
    set_lang("id")
    try:
        free = UpstreamLoad(UpstreamInfo("telkom", 10_000 * M, None), 2, 0, 0.0, 0.0, 1, 100.0)
        disdik = LinkInfo("disdik", 100 * M, 100 * M, "telkom")
        text = "\n".join(decision_lines(decide(disdik, stats(73 * M, 80 * M), free, 150 * M,
                                               SETTINGS)))  # fmt: skip
        assert "unggah: p95 73 Mbps dari 100 Mbps (73.0%); tidak dimohonkan; disarankan tetap " \
               "100 Mbps" in text, text  # fmt: skip
        assert "dimohonkan 150 Mbps; disarankan 150 Mbps" in text, text
        thin = decide(disdik, stats(5 * M, 10 * M, coverage=0.1), free, 150 * M, SETTINGS)
        assert "disarankan" not in "\n".join(decision_lines(thin))
    finally:
        reset()
