"""Mutu Baku: working days without weekends and holidays, counted by hand; overdue steps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from case_inputs import Clock, new_request

from bwauto.case.errors import CaseError
from bwauto.case.mutu_baku import (
    SAMPLE_HOLIDAYS,
    WIB,
    Span,
    add_working_days,
    assess,
    load_holidays,
    working_days_between,
)
from bwauto.case.register import Register
from bwauto.case.timeline import timeline

HOLIDAYS_2026 = load_holidays(SAMPLE_HOLIDAYS).dates


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=WIB)


@pytest.mark.parametrize(
    ("start", "end", "holidays", "expected"),
    [
        (wib(2026, 3, 2, 9), wib(2026, 3, 2, 17), (), 0),  # same day
        (wib(2026, 3, 2, 9), wib(2026, 3, 3, 8), (), 1),  # next morning
        (wib(2026, 3, 6, 15), wib(2026, 3, 9, 10), (), 1),  # Fri -> Mon: weekend not counted
        (wib(2026, 3, 6, 15), wib(2026, 3, 11, 10), (), 3),  # Fri -> Wed: Mon, Tue, Wed
        (wib(2026, 3, 7, 10), wib(2026, 3, 8, 10), (), 0),  # Sat -> Sun
        # Fri 13 Mar -> Wed 25 Mar 2026: Mon 16, Tue 17, then Nyepi 18-19 and Idul Fitri
        # 20-24 (holidays and cuti bersama), weekend 21-22; Wed 25 -> 3 working days.
        (wib(2026, 3, 13, 9), wib(2026, 3, 25, 9), HOLIDAYS_2026, 3),
        (wib(2026, 3, 13, 9), wib(2026, 3, 25, 9), (), 8),
        # Fri 14 Aug -> Tue 18 Aug: Monday 17 Aug is Independence Day.
        (wib(2026, 8, 14, 9), wib(2026, 8, 18, 9), {dt.date(2026, 8, 17)}, 1),
        # 23:30 Monday WIB to 00:30 Tuesday WIB is the next day in Batam, not in UTC.
        (
            dt.datetime(2026, 3, 2, 16, 30, tzinfo=dt.UTC),
            dt.datetime(2026, 3, 2, 17, 30, tzinfo=dt.UTC),
            (),
            1,
        ),
        (wib(2026, 3, 5, 9), wib(2026, 3, 2, 9), (), 0),  # end before start
    ],
)
def test_working_days_between(
    start: dt.datetime, end: dt.datetime, holidays: set[dt.date], expected: int
) -> None:
    assert working_days_between(start, end, holidays) == expected


def test_deadline_skips_weekend_and_holidays() -> None:
    assert add_working_days(dt.date(2026, 8, 14), 1, {dt.date(2026, 8, 17)}) == dt.date(2026, 8, 18)
    assert add_working_days(dt.date(2026, 3, 17), 1, HOLIDAYS_2026) == dt.date(2026, 3, 25)
    assert add_working_days(dt.date(2026, 3, 17), 1, ()) == dt.date(2026, 3, 18)


def test_assess_marks_only_beyond_the_standard() -> None:
    spans = [
        Span((2,), wib(2026, 3, 6, 15), wib(2026, 3, 9, 10)),  # 1 day: within
        Span((3,), wib(2026, 3, 9, 10), wib(2026, 3, 11, 10)),  # 2 days: overdue
        Span((14,), wib(2026, 3, 9, 10), wib(2026, 3, 20, 10)),  # step 14 has no standard
        Span((7, 8), wib(2026, 3, 11, 10)),  # open since Wednesday
    ]
    timings = assess(spans, wib(2026, 3, 13, 16), ())
    assert [t.working_days for t in timings] == [1, 2, 9, 2]
    assert [t.overdue for t in timings] == [False, True, False, True]
    assert timings[1].due == dt.date(2026, 3, 10) and timings[2].due is None
    assert timings[3].open and not timings[0].open


def test_case_timeline_against_mutu_baku(tmp_path: Path) -> None:
    clock = Clock(wib(2026, 3, 2, 9))
    reg = Register(tmp_path / "r.sqlite", clock=clock, user="budi")
    case_id = reg.new(
        opd="Dinas Kesehatan",
        letter_no="1",
        letter_date=dt.date(2026, 2, 26),
        link_id="dinkes",
        rate_bps=10**8,
        purpose="SIMRS",
        received=wib(2026, 2, 27, 10),
    )
    for when, (frm, to) in (
        (wib(2026, 3, 4, 9), ("kadis", "kabid")),
        (wib(2026, 3, 4, 15), ("kabid", "kasi")),
        (wib(2026, 3, 17, 10), ("kasi", "staf")),
    ):
        clock.now = when
        reg.dispose(case_id, from_role=frm, to_role=to)
    clock.now = wib(2026, 3, 25, 10)
    reg.form(case_id, {"contact_name": "Rudi", "purpose": "SIMRS"})
    now = wib(2026, 3, 27, 16)

    tl = timeline(reg.get(case_id), now, HOLIDAYS_2026)
    got = [(e.timing.span.steps, e.timing.working_days, e.timing.overdue) for e in tl.entries]
    assert got == [
        ((1,), 1, False),  # Fri 27 Feb -> Mon 2 Mar
        ((2,), 2, True),  # Mon 2 -> Wed 4 Mar: Tue, Wed
        ((3,), 0, False),  # same Wednesday
        ((4,), 9, True),  # Wed 4 -> Tue 17 Mar: 9 working days
        ((5,), 1, False),  # Tue 17 -> Wed 25 Mar: only Wed 25 (Nyepi, Idul Fitri, cuti)
        ((6,), 2, True),  # open since Wed 25: Thu 26, Fri 27
    ]
    assert tl.current is not None and tl.current.timing.open
    assert next(e.label for e in tl.overdue) == "langkah 2 (Disposisi Kepala Dinas)"
    weekends_only = timeline(reg.get(case_id), now, ())
    fifth = weekends_only.entries[4].timing
    assert fifth.working_days == 6 and fifth.overdue
    data = tl.to_dict()
    assert data["next_steps"] == [6] and data["overdue"] is True
    assert data["timeline"][1]["due"] == "2026-03-03"


def test_timeline_of_a_return_counts_the_redo(reg: Register, clock: Clock) -> None:
    from case_inputs import MONITORING, analysis_row, change_evidence, walk_to_analysis

    case_id = new_request(reg)
    walk_to_analysis(reg, case_id)
    reg.attach_analysis(case_id, analysis_row())
    reg.decide(case_id, can=True)
    reg.attach_change(case_id, change_evidence(), monitoring=MONITORING)
    reg.ba(case_id, {"team_name": "Budi", "opd_name": "Rudi"})
    reg.report(case_id, {})
    clock.advance(days=1)
    reg.review(case_id, role="kasi", approve=False, note="grafik", return_to=9)
    tl = timeline(reg.get(case_id), clock.now, ())
    assert [e.label for e in tl.entries[-2:]] == [
        "langkah 11 (Pemeriksaan Laporan oleh Kepala Seksi) → dikembalikan ke langkah 9",
        "langkah 9 (Berita Acara Pekerjaan)",
    ]


def test_holidays_file(tmp_path: Path) -> None:
    sample = load_holidays(SAMPLE_HOLIDAYS)
    assert sample.sample and len(sample.dates) == 25
    assert sample.names[dt.date(2026, 8, 17)] == "Hari Proklamasi Kemerdekaan RI"
    assert "CONTOH / SAMPLE" in SAMPLE_HOLIDAYS.read_text(encoding="utf-8")
    own = tmp_path / "holidays.yaml"
    own.write_text("holidays:\n  - {date: 2027-01-01, name: Tahun Baru}\n  - 2027-08-17\n")
    loaded = load_holidays(own)
    assert not loaded.sample and loaded.dates == {dt.date(2027, 1, 1), dt.date(2027, 8, 17)}
    own.write_text("holidays:\n  - {date: 17 Agustus}\n")
    with pytest.raises(CaseError, match=r"holidays.yaml:2: holidays\[1\]: is not a date"):
        load_holidays(own)
    with pytest.raises(CaseError, match="holidays file"):
        load_holidays(tmp_path / "missing.yaml")
