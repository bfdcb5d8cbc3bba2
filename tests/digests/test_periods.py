"""Period bounds in local time: weeks across the daylight-saving changes, months, catch-up lists."""

from __future__ import annotations

import datetime as dt

from portal.digests.periods import due_periods, parse_period, period_containing, send_moment, trailing

UTC = dt.timezone.utc


def test_week_with_spring_forward_has_167_hours():
    week = parse_period("weekly", "2026-W13")  # Monday 23 to Monday 30 March; clocks go forward on Sunday 29
    assert week.start == dt.datetime(2026, 3, 22, 23, 0, tzinfo=UTC)  # midnight at UTC+1
    assert week.end == dt.datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # midnight at UTC+2
    assert week.end - week.start == dt.timedelta(hours=167)
    assert week.local_start.hour == 0 and week.local_end.hour == 0


def test_week_with_fall_back_has_169_hours():
    week = parse_period("weekly", "2026-W43")  # Monday 19 to Monday 26 October; clocks go back on Sunday 25
    assert week.start == dt.datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert week.end == dt.datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert week.end - week.start == dt.timedelta(hours=169)


def test_feedback_on_the_dst_sunday_night_falls_in_that_week():
    late_sunday = dt.datetime(2026, 3, 29, 21, 30, tzinfo=UTC)  # 23:30 in Paris, summer time
    assert period_containing("weekly", late_sunday).label == "2026-W13"
    assert period_containing("weekly", late_sunday + dt.timedelta(hours=1)).label == "2026-W14"


def test_consecutive_periods_tile_without_gaps():
    weeks = trailing(parse_period("weekly", "2026-W45"), 30)
    for earlier, later in zip(weeks, weeks[1:]):
        assert earlier.end == later.start
    days = trailing(parse_period("daily", "2026-03-31"), 3)  # 28, 29 (the short Sunday) and 30 March
    assert [d.end - d.start for d in days] == [dt.timedelta(hours=24), dt.timedelta(hours=23), dt.timedelta(hours=24)]
    month = parse_period("monthly", "2026-10")
    assert month.end - month.start == dt.timedelta(days=31, hours=1)


def test_sending_moment_and_due_periods_in_local_time():
    week = parse_period("weekly", "2026-W13")
    # Monday 08:00 in Paris after the change is 06:00 UTC.
    assert send_moment(week, 0, "08:00") == dt.datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    sub = {"frequency": "weekly", "time_zone": "Europe/Paris", "weekday": 0, "send_time": "08:00",
           "created_at": dt.datetime(2026, 3, 10, tzinfo=UTC)}
    assert [p.label for p in due_periods(sub, dt.datetime(2026, 3, 30, 5, 59, tzinfo=UTC))] == ["2026-W11", "2026-W12"]
    assert [p.label for p in due_periods(sub, dt.datetime(2026, 3, 30, 6, 0, tzinfo=UTC))] == ["2026-W11", "2026-W12", "2026-W13"]
    friday = {**sub, "weekday": 4, "send_time": "17:30"}
    assert send_moment(week, 4, "17:30") == dt.datetime(2026, 4, 3, 15, 30, tzinfo=UTC)
    assert due_periods(friday, dt.datetime(2026, 4, 3, 15, 29, tzinfo=UTC))[-1].label == "2026-W12"


def test_period_labels_round_trip():
    for frequency, label in (("weekly", "2026-W01"), ("daily", "2026-10-25"), ("monthly", "2026-03")):
        assert parse_period(frequency, label).label == label
