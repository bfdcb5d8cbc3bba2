"""Small-count protection: nothing below the threshold, nothing derivable by subtraction, rates on enough answers."""

import datetime as dt
import itertools

from portal.public.disclosure import FEW, MASKED, Line, protect, rate_shown, shown_count, wilson_interval
from portal.public.satisfaction import ALL, PERIOD_WEEKS, period_starts, satisfaction_table

CHANNELS = ("web", "counter", "kiosk", "api")


def _derivable(counts: dict, lines: list[Line], shown: dict) -> list:
    """Hidden figures a reader gets back by subtracting the shown parts from a shown total (or adding them up)."""
    found = []
    for line in lines:
        parts = [p for p in line.parts if p in counts]
        hidden = [p for p in parts if not shown[p].shown]
        if shown[line.total].shown and len(hidden) == 1:
            found.append(hidden[0])
        if not shown[line.total].shown and parts and not hidden:
            found.append(line.total)
    return found


def test_a_service_total_and_its_channels_never_reveal_a_small_channel():
    counts = {"total": 40, "web": 30, "counter": 7, "kiosk": 3}
    lines = [Line("total", ("web", "counter", "kiosk"))]
    shown = protect(counts, lines, 5)
    assert shown["kiosk"].hidden == FEW and shown["kiosk"].n is None
    # 40 - 30 - 7 would give the kiosk's 3: the smallest other channel is masked as well.
    assert shown["counter"].hidden == MASKED and shown["web"].n == 30 and shown["total"].n == 40
    assert _derivable(counts, lines, shown) == []


def test_with_one_channel_the_total_goes_with_it():
    counts = {"total": 3, "web": 3}
    shown = protect(counts, [Line("total", ("web",))], 5)
    assert shown["total"].hidden == FEW and shown["web"].hidden == FEW
    # A hidden part whose line has no other part to mask: the total is masked.
    shown = protect({"total": 12, "kiosk": 2, "web": 2}, [Line("total", ("kiosk",))], 5)
    assert shown["kiosk"].hidden == FEW and shown["total"].hidden == MASKED


def test_overlapping_filters_rows_columns_and_margins_leave_nothing_derivable():
    # Weeks by channel with week totals, channel totals and a grand total: every cross of small and large.
    for values in itertools.islice(itertools.product((0, 2, 6, 40), repeat=6), 0, None, 7):
        cells = {("w", w, c): values[w * 3 + i] for w in range(2) for i, c in enumerate(CHANNELS[:3])}
        counts = {k: v for k, v in cells.items() if v}
        lines = []
        for w in range(2):
            counts[("w", w, ALL)] = sum(values[w * 3:w * 3 + 3])
            lines.append(Line(("w", w, ALL), tuple(("w", w, c) for c in CHANNELS[:3])))
        for i, c in enumerate(CHANNELS[:3]):
            counts[("c", c)] = values[i] + values[3 + i]
            lines.append(Line(("c", c), (("w", 0, c), ("w", 1, c))))
        counts[("c", ALL)] = sum(values)
        lines += [Line(("c", ALL), tuple(("c", c) for c in CHANNELS[:3])), Line(("c", ALL), (("w", 0, ALL), ("w", 1, ALL)))]
        shown = protect(counts, lines, 5)
        assert all(s.n is None or s.n >= 5 for s in shown.values()), values
        assert _derivable(counts, lines, shown) == [], values


def test_rates_need_enough_answers_and_the_interval_is_wilsons():
    assert not rate_shown(4, 5) and rate_shown(5, 5)
    assert shown_count(4, 5).hidden == FEW and shown_count(5, 5).n == 5
    low, high = wilson_interval(8, 10)
    # The textbook value for 8 of 10 at 95 %: 0.490 to 0.943.
    assert round(low, 3) == 0.49 and round(high, 3) == 0.943
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0


def _rows(week: dt.date, **by_channel) -> list[dict]:
    return [{"service": 1, "week": week.isoformat(), "channel": c, "rated": n, "rating_sum": 4 * n, "satisfied": n}
            for c, n in by_channel.items()]


def test_the_page_periods_and_the_open_data_weeks_are_protected_together():
    today = dt.date(2026, 12, 1)
    first = period_starts(today)[-1]
    weeks = [first + dt.timedelta(weeks=w) for w in range(PERIOD_WEEKS)]
    # The counter: 6 + 6 + 6 + 2 in one period; the period's 20 minus three shown weeks would give the 2.
    rows = [r for w, n in zip(weeks, (6, 6, 6, 2)) for r in _rows(w, web=10, counter=n)]
    table = satisfaction_table(rows, today, 5, CHANNELS)
    counter = [table.weeks[(w.isoformat(), "counter")].count for w in weeks]
    assert counter[3].hidden == FEW and sum(1 for c in counter if not c.shown) >= 2
    period = table.periods[-1]["figures"]
    assert period["counter"].count.n == 20 and period["counter"].satisfied == 1.0
    assert period["counter"].low < 1.0 and period[ALL].count.n == 60
    # A masked week has no rate either; a shown one has its mean rating.
    masked = [c for c in counter if c.hidden == MASKED]
    assert masked and all(table.weeks[(w.isoformat(), "counter")].mean_rating is None
                          for w, c in zip(weeks, counter) if not c.shown)
    web = [table.weeks[(w.isoformat(), "web")] for w in weeks]
    assert any(f.count.shown for f in web) and all(f.mean_rating == 4.0 for f in web if f.count.shown)


def test_periods_are_complete_and_never_overlap_from_one_week_to_the_next():
    a, b = period_starts(dt.date(2026, 12, 1)), period_starts(dt.date(2026, 12, 8))
    assert all(s.weekday() == 0 for s in a + b)
    assert set(a) == set(b) or a[1:] == b[:-1]  # the same periods, or shifted by one whole period
    assert a[-1] + dt.timedelta(weeks=PERIOD_WEEKS) <= dt.date(2026, 12, 1)
