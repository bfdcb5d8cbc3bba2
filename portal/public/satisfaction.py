"""Satisfaction per channel over time, protected once for the results page and the open data together.

Both read the same table: every week of a service by channel (and all channels), and, over the
page's window, periods of four weeks by channel, each channel's window total and the window's
grand total. All these figures add up along lines, so they are protected as one problem: what the
page shows and what satisfaction.csv shows cannot be subtracted from each other either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.public.disclosure import Line, Shown, protect, rate_shown, wilson_interval

PERIOD_WEEKS = 4
PERIODS = 6  # the page's window: the last six complete periods of four weeks
ALL = None  # the channel key of "every channel"
# Periods of four weeks counted from this Monday, so that they never overlap from one week to the next.
EPOCH = dt.date(2024, 1, 1)


@dataclass
class Figure:
    """One published cell: the count as shown, and its rates when they may be shown."""

    count: Shown
    mean_rating: float | None = None
    satisfied: float | None = None  # share of ratings of 4 or 5
    low: float | None = None  # its Wilson 95 % interval
    high: float | None = None


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def period_starts(today: dt.date) -> list[dt.date]:
    """The Mondays starting the window's periods, oldest first: complete periods only, so figures never move."""
    current = (monday(today) - EPOCH).days // (7 * PERIOD_WEEKS)
    return [EPOCH + dt.timedelta(weeks=PERIOD_WEEKS * (current - PERIODS + i)) for i in range(PERIODS)]


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)


def window(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The window's bounds: the start of its first period, the end of its last (the current period's start)."""
    starts = period_starts(today)
    return _utc(starts[0]), _utc(starts[-1] + dt.timedelta(weeks=PERIOD_WEEKS))


def weeks_done(today: dt.date) -> dt.datetime:
    """Open data publishes complete weeks only: those before this Monday."""
    return _utc(monday(today))


@dataclass
class SatisfactionTable:
    """One service's protected figures: `weeks` for open data, `periods` and `channels` for the page."""

    channels: list[str]  # channels with ratings in the window, in CHANNELS order
    weeks: dict[tuple[str, str | None], Figure]  # (week, channel or ALL)
    periods: list[dict]  # start, end (last day), figures {channel or ALL: Figure}
    totals: dict[str | None, Figure]  # the window's, per channel and ALL


def satisfaction_table(rows: list[dict], today: dt.date, min_count: int, channel_order: tuple[str, ...]) -> SatisfactionTable:
    """Protect and compute one service's figures from its weekly_ratings rows."""
    sums: dict[tuple, list[int]] = {}  # key -> [rated, rating_sum, satisfied]

    def add(key: tuple, row: dict) -> None:
        acc = sums.setdefault(key, [0, 0, 0])
        acc[0] += row["rated"]
        acc[1] += row["rating_sum"]
        acc[2] += row["satisfied"]

    starts = period_starts(today)
    period_of = {}
    for index, start in enumerate(starts):
        for w in range(PERIOD_WEEKS):
            period_of[(start + dt.timedelta(weeks=w)).isoformat()] = index
    for row in rows:
        week, channel = row["week"], row["channel"]
        add(("w", week, channel), row)
        add(("w", week, ALL), row)
        if week in period_of:
            index = period_of[week]
            for key in (("p", index, channel), ("p", index, ALL), ("c", channel), ("c", ALL)):
                add(key, row)
    week_names = sorted({k[1] for k in sums if k[0] == "w"})
    channels = [c for c in channel_order if ("c", c) in sums]
    every_channel = sorted({k[2] for k in sums if k[0] == "w" and k[2] is not ALL},
                           key=lambda c: (channel_order.index(c) if c in channel_order else 99, c))
    lines = [Line(("w", week, ALL), tuple(("w", week, c) for c in every_channel)) for week in week_names]
    for index, start in enumerate(starts):
        weeks = [(start + dt.timedelta(weeks=w)).isoformat() for w in range(PERIOD_WEEKS)]
        for channel in [*every_channel, ALL]:
            lines.append(Line(("p", index, channel), tuple(("w", week, channel) for week in weeks)))
        lines.append(Line(("p", index, ALL), tuple(("p", index, c) for c in every_channel)))
    for channel in [*every_channel, ALL]:
        lines.append(Line(("c", channel), tuple(("p", i, channel) for i in range(PERIODS))))
    lines.append(Line(("c", ALL), tuple(("c", c) for c in every_channel)))
    shown = protect({key: acc[0] for key, acc in sums.items()}, lines, min_count)

    def figure(key: tuple) -> Figure:
        if key not in sums:
            return Figure(Shown(0))
        rated, rating_sum, satisfied = sums[key]
        count = shown[key]
        if not count.shown or not rate_shown(rated, min_count):
            return Figure(count)
        low, high = wilson_interval(satisfied, rated)
        return Figure(count, rating_sum / rated, satisfied / rated, low, high)

    return SatisfactionTable(
        channels=channels,
        weeks={(week, channel): figure(("w", week, channel)) for (_kind, week, channel) in
               (k for k in sums if k[0] == "w")},
        periods=[{"start": start, "end": start + dt.timedelta(weeks=PERIOD_WEEKS, days=-1),
                  "figures": {c: figure(("p", i, c)) for c in [*channels, ALL]}} for i, start in enumerate(starts)],
        totals={c: figure(("c", c)) for c in [*channels, ALL]},
    )
