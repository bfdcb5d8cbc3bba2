"""Digest periods: local calendar days, weeks and months in the subscriber's time zone, as UTC bounds."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, computed from local midnights, so a DST week has 167 or 169 hours."""

    frequency: str
    start: dt.datetime
    end: dt.datetime
    time_zone: str

    @property
    def local_start(self) -> dt.datetime:
        return self.start.astimezone(ZoneInfo(self.time_zone))

    @property
    def local_end(self) -> dt.datetime:
        return self.end.astimezone(ZoneInfo(self.time_zone))

    @property
    def label(self) -> str:
        """2026-W47, 2026-11-20 or 2026-11: what `--period` accepts."""
        local = self.local_start
        if self.frequency == "weekly":
            year, week, _ = local.isocalendar()
            return f"{year}-W{week:02d}"
        if self.frequency == "monthly":
            return f"{local.year}-{local.month:02d}"
        return local.date().isoformat()

    def previous(self, count: int = 1) -> "Period":
        period = self
        for _ in range(count):
            period = period_containing(self.frequency, period.local_start - dt.timedelta(hours=12), self.time_zone)
        return period

    def next(self) -> "Period":
        return period_containing(self.frequency, self.local_end + dt.timedelta(hours=12), self.time_zone)


def _midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(UTC)


def period_containing(frequency: str, moment: dt.datetime, time_zone: str = "Europe/Paris") -> Period:
    """The period of this frequency that contains `moment` (weeks start on Monday)."""
    tz = ZoneInfo(time_zone)
    day = moment.astimezone(tz).date()
    if frequency == "daily":
        first, after = day, day + dt.timedelta(days=1)
    elif frequency == "weekly":
        first = day - dt.timedelta(days=day.weekday())
        after = first + dt.timedelta(days=7)
    elif frequency == "monthly":
        first = day.replace(day=1)
        after = (first + dt.timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"unknown frequency {frequency!r}")
    return Period(frequency, _midnight(first, tz), _midnight(after, tz), time_zone)


def trailing(period: Period, count: int = 8) -> list[Period]:
    """The `count` periods before this one, oldest first."""
    out, current = [], period
    for _ in range(count):
        current = current.previous()
        out.append(current)
    return out[::-1]


def send_moment(period: Period, weekday: int, send_time: str) -> dt.datetime:
    """When the digest of a finished period is due: the first sending slot at or after its end."""
    tz = ZoneInfo(period.time_zone)
    hour, minute = (int(x) for x in send_time.split(":"))
    day = period.local_end.date()
    if period.frequency == "weekly":
        day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz).astimezone(UTC)


def due_periods(subscription: dict, now: dt.datetime, created_at: dt.datetime | None = None) -> list[Period]:
    """Finished periods whose sending moment has passed, oldest first (catch-up after downtime).

    Only periods that ended after the subscription was created: subscribing never sends history.
    """
    created = created_at or subscription["created_at"]
    frequency, tz = subscription["frequency"], subscription["time_zone"]
    period = period_containing(frequency, now, tz).previous()
    out: list[Period] = []
    while period.end > created:
        if send_moment(period, subscription["weekday"], subscription["send_time"]) <= now:
            out.append(period)
        period = period.previous()
    return out[::-1]


def parse_period(frequency: str, text: str, time_zone: str = "Europe/Paris", now: dt.datetime | None = None) -> Period:
    """`last` (the latest finished period), `current`, 2026-W47, 2026-11-20 or 2026-11."""
    now = now or dt.datetime.now(UTC)
    text = (text or "last").strip()
    tz = ZoneInfo(time_zone)
    if text == "current":
        return period_containing(frequency, now, time_zone)
    if text == "last":
        return period_containing(frequency, now, time_zone).previous()
    if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", text):
        day = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
    elif m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        day = dt.date(int(m[1]), int(m[2]), 1)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = dt.date.fromisoformat(text)
    else:
        raise ValueError(f"unrecognised period {text!r}: use last, current, 2026-W47, 2026-11-20 or 2026-11")
    return period_containing(frequency, dt.datetime.combine(day, dt.time(12), tzinfo=tz), time_zone)
