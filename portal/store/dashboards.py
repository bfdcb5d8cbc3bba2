"""Dashboard counts of a service's or an office's feedback, per period cut at the portal's midnight, from the daily tables.

feedback_day and feedback_day_topic hold counts per UTC day, kept by database triggers on every
write to feedback and feedback_topic (see the core migration 2026-12-01T17:10:00). A period of the
portal's zone starts at its local midnight, an hour or two away from a UTC midnight: the daily
counts give the whole UTC days, and the feedback received between each local midnight and the
nearest UTC midnight is read from feedback itself and moved to the period it belongs to.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from portal.store.core.tables import Feedback
from portal.store.engine import current_engine, is_postgres
from portal.store.replica import replica_read
from portal.store.status import OPEN_STATUSES

# What each count row adds up; a row is keyed by (period, channel, office, sentiment).
MEASURES = ("n", "rated", "rating_sum", "answered", "answer_seconds")


@dataclass
class DashboardCounts:
    """The raw figures one dashboard is built from."""

    counts: dict[tuple[int, str, int, str], dict]  # (period, channel, office or 0, sentiment or "") -> MEASURES
    topics: dict[str, int]  # topic -> feedback over all the periods
    urgent_open: int  # urgent feedback still waiting for someone (any date)
    urgent_oldest: dt.datetime | str | None  # reception time of the oldest of those (SQLite gives text)


def _nearest_utc_midnight(moment: dt.datetime) -> dt.datetime:
    utc = moment.astimezone(dt.timezone.utc)
    midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + dt.timedelta(days=1) if utc - midnight >= dt.timedelta(hours=12) else midnight


def _windows(bounds: list[dt.datetime]) -> list[tuple[int, int, dt.datetime, dt.datetime]]:
    """(period the daily table counted them in, period they belong to, from, until) for each local midnight.

    Feedback between a local midnight and the nearest UTC midnight has the UTC day of the other side.
    """
    windows = []
    for k, bound in enumerate(bounds):
        utc = _nearest_utc_midnight(bound)
        if bound < utc:  # east of UTC: the evening before UTC midnight already belongs to period k
            windows.append((k - 1, k, bound, utc))
        elif bound > utc:  # west of UTC: the small hours after UTC midnight still belong to period k - 1
            windows.append((k, k - 1, utc, bound))
    return windows


def _period_case(column: str, days: list[dt.date]) -> tuple[str, list]:
    """SQL giving, for a day, the index of the period it falls in (days[k] <= day < days[k + 1])."""
    if len(days) <= 2:
        return "0", []
    parts = " ".join(f"WHEN {column} < {{}} THEN {k}" for k in range(len(days) - 2))
    return f"CASE {parts} ELSE {len(days) - 2} END", list(days[1:-1])


def _scope(service_id: int | None, office_id: int | None, alias: str) -> tuple[str, int]:
    if service_id is not None:
        return f"{alias}.service = {{}}", service_id
    return f"{alias}.office = {{}}", office_id


def _in_windows(windows: list) -> tuple[str, list, str, list]:
    """SQL naming the window a reception time falls in, and the condition "in one of the windows", with their values.

    Written as plain ranges on feedback.received_at so the planner sees a few small index ranges.
    """
    which = " ".join(f"WHEN f.received_at < {{}} THEN {i}" for i in range(len(windows)))
    within = " OR ".join("(f.received_at >= {} AND f.received_at < {})" for _ in windows)
    return f"CASE {which} END", [w[3] for w in windows], f"({within})", [v for w in windows for v in (w[2], w[3])]


@replica_read
async def dashboard_counts(*, service_id: int | None = None, office_id: int | None = None,
                           bounds: list[dt.datetime]) -> DashboardCounts:
    """Counts per period [bounds[k], bounds[k + 1]) (local midnights, any zone, oldest first), topics over them all,
    and the urgent backlog."""
    pg = is_postgres(current_engine())
    days = [_nearest_utc_midnight(b).date() for b in bounds]
    windows = _windows(bounds)
    day_scope, value = _scope(service_id, office_id, "d")
    raw_scope, _ = _scope(service_id, office_id, "f")
    period, period_args = _period_case("d.day", days)
    seconds = ("extract(epoch from (f.answered_at - f.received_at))" if pg
               else "(julianday(f.answered_at) - julianday(f.received_at)) * 86400.0")
    queries = [
        Feedback.raw(
            f"SELECT {period} AS k, d.channel AS channel, d.office AS office, d.sentiment AS sentiment, sum(d.n) AS n, "
            "sum(d.rated) AS rated, sum(d.rating_sum) AS rating_sum, sum(d.answered) AS answered, "
            f"sum(d.answer_seconds) AS answer_seconds FROM feedback_day d WHERE {day_scope} AND d.day >= {{}} "
            "AND d.day < {} GROUP BY 1, 2, 3, 4", *period_args, value, days[0], days[-1]),
        Feedback.raw(
            f"SELECT d.topic AS topic, sum(d.n) AS n FROM feedback_day_topic d WHERE {day_scope} AND d.day >= {{}} "
            "AND d.day < {} GROUP BY d.topic", value, days[0], days[-1]),
        Feedback.raw(
            f"SELECT count(*) AS n, min(f.received_at) AS oldest FROM feedback f WHERE {raw_scope} "
            f"AND f.withdrawn_at IS NULL AND f.urgent = {{}} AND f.status IN ({', '.join('{}' for _ in OPEN_STATUSES)})",
            value, True, *OPEN_STATUSES),
    ]
    # Entries a clerk withdrew as mistakes count nowhere: the daily tables still hold them (the triggers
    # count every row), so they are taken off again here, by their UTC day; they are few, and found
    # through the partial index feedback_withdrawn_idx.
    utc_day = "(f.received_at AT TIME ZONE 'UTC')::date" if pg else "date(f.received_at)"
    # What is counted of feedback rows, by channel, office and sentiment: the daily tables' measures.
    measured = ("f.channel AS channel, coalesce(f.office, 0) AS office, coalesce(f.sentiment, '') AS sentiment, "
                "count(*) AS n, count(f.rating) AS rated, coalesce(sum(f.rating), 0) AS rating_sum, "
                f"count(f.answered_at) AS answered, coalesce(sum({seconds}), 0) AS answer_seconds")
    withdrawn_period, withdrawn_args = _period_case(utc_day, days)
    start, end = (dt.datetime.combine(d, dt.time(), dt.timezone.utc) for d in (days[0], days[-1]))
    queries += [
        Feedback.raw(
            f"SELECT {withdrawn_period} AS k, {measured} FROM feedback f WHERE f.withdrawn_at IS NOT NULL "
            f"AND {raw_scope} AND f.received_at >= {{}} AND f.received_at < {{}} GROUP BY 1, 2, 3, 4",
            *withdrawn_args, value, start, end),
        Feedback.raw(
            f"SELECT t.topic AS topic, count(*) AS n FROM feedback f JOIN feedback_topic t ON t.feedback = f.id "
            f"WHERE f.withdrawn_at IS NOT NULL AND {raw_scope} AND f.received_at >= {{}} AND f.received_at < {{}} "
            "GROUP BY 1", value, start, end),
    ]
    if windows:
        which, which_args, within, within_args = _in_windows(windows)
        queries += [
            Feedback.raw(
                f"SELECT {which} AS win, {measured} FROM feedback f WHERE {raw_scope} AND {within} "
                "AND f.withdrawn_at IS NULL GROUP BY 1, 2, 3, 4", *which_args, value, *within_args),
            Feedback.raw(
                f"SELECT {which} AS win, t.topic AS topic, count(*) AS n FROM feedback f "
                f"JOIN feedback_topic t ON t.feedback = f.id WHERE {raw_scope} AND {within} AND f.withdrawn_at IS NULL GROUP BY 1, 2",
                *which_args, value, *within_args),
        ]
    # Run side by side (the PostgreSQL pool serves them in parallel).
    daily, topic_rows, backlog, withdrawn, withdrawn_topics, *moved = await asyncio.gather(*queries)
    last = len(bounds) - 2
    counts: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))

    def add(k: int, row: dict, sign: int) -> None:
        if 0 <= k <= last:
            bucket = counts[(k, row["channel"], int(row["office"]), row["sentiment"])]
            for m in MEASURES:
                bucket[m] += sign * float(row[m] or 0) if m == "answer_seconds" else sign * int(row[m] or 0)

    for row in daily:
        add(int(row["k"]), row, 1)
    for row in withdrawn:
        add(int(row["k"]), row, -1)
    topics: dict[str, int] = defaultdict(int)
    for row in topic_rows:
        topics[row["topic"]] += int(row["n"])
    for row in withdrawn_topics:
        topics[row["topic"]] -= int(row["n"])
    if moved:
        window_counts, window_topics = moved
        for row in window_counts:
            counted_in, belongs_to = windows[row["win"]][:2]
            add(counted_in, row, -1)
            add(belongs_to, row, 1)
        for row in window_topics:
            counted_in, belongs_to = windows[row["win"]][:2]
            topics[row["topic"]] += int(row["n"]) * ((0 <= belongs_to <= last) - (0 <= counted_in <= last))
    return DashboardCounts(
        counts={key: bucket for key, bucket in counts.items() if bucket["n"]},
        topics={topic: n for topic, n in topics.items() if n > 0},
        urgent_open=backlog[0]["n"] if backlog else 0, urgent_oldest=backlog[0]["oldest"] if backlog else None,
    )


REBUILD = (
    "DELETE FROM feedback_day",
    "DELETE FROM feedback_day_topic",
    "INSERT INTO feedback_day (service, office, channel, day, sentiment, n, rated, rating_sum, answered, answer_seconds) "
    "SELECT service, coalesce(office, 0), channel, {day}, coalesce(sentiment, ''), count(*), count(rating), "
    "coalesce(sum(rating), 0), count(answered_at), coalesce(sum({seconds}), 0) FROM feedback GROUP BY 1, 2, 3, 4, 5",
    "INSERT INTO feedback_day_topic (service, office, channel, day, topic, n) "
    "SELECT f.service, coalesce(f.office, 0), f.channel, {day_f}, t.topic, count(*) "
    "FROM feedback_topic t JOIN feedback f ON f.id = t.feedback GROUP BY 1, 2, 3, 4, 5",
)


async def rebuild_day_counts() -> None:
    """Count feedback_day and feedback_day_topic again from feedback (after a bulk load with the triggers off)."""
    engine = current_engine()
    pg = is_postgres(engine)
    values = {
        "day": "(received_at AT TIME ZONE 'UTC')::date" if pg else "date(received_at)",
        "day_f": "(f.received_at AT TIME ZONE 'UTC')::date" if pg else "date(f.received_at)",
        "seconds": "extract(epoch from (answered_at - received_at))" if pg
        else "(julianday(answered_at) - julianday(received_at)) * 86400.0",
    }
    async with engine.transaction():
        for statement in REBUILD:
            await engine.run_ddl(statement.format(**values))


async def raw_day_counts() -> list[dict]:
    """feedback_day recomputed from feedback itself, in its key order: what the triggers must have kept (tests, checks)."""
    pg = is_postgres(current_engine())
    day = "(received_at AT TIME ZONE 'UTC')::date" if pg else "date(received_at)"
    return await Feedback.raw(
        f"SELECT service, coalesce(office, 0) AS office, channel, {day} AS day, coalesce(sentiment, '') AS sentiment, "
        "count(*) AS n, count(rating) AS rated, coalesce(sum(rating), 0) AS rating_sum, count(answered_at) AS answered "
        "FROM feedback GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5")


async def kept_day_counts() -> list[dict]:
    """feedback_day as the triggers kept it (rows counted down to nothing left out), in its key order."""
    return await Feedback.raw(
        "SELECT service, office, channel, day, sentiment, n, rated, rating_sum, answered FROM feedback_day "
        "WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5")


async def raw_topic_counts() -> list[dict]:
    pg = is_postgres(current_engine())
    day = "(f.received_at AT TIME ZONE 'UTC')::date" if pg else "date(f.received_at)"
    return await Feedback.raw(
        f"SELECT f.service AS service, coalesce(f.office, 0) AS office, f.channel AS channel, {day} AS day, "
        "t.topic AS topic, count(*) AS n FROM feedback_topic t JOIN feedback f ON f.id = t.feedback "
        "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5")


async def kept_topic_counts() -> list[dict]:
    return await Feedback.raw(
        "SELECT service, office, channel, day, topic, n FROM feedback_day_topic WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5")
