"""Dashboard aggregates of a service's or an office's feedback, computed in SQL on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from portal.store.core.tables import Feedback
from portal.store.engine import current_engine, is_postgres
from portal.store.status import OPEN_STATUSES


@dataclass
class DashboardCounts:
    """The raw figures one dashboard is built from."""

    channels: list[dict]  # channel, n, rated, rating_sum, answered, answer_seconds; most feedback first
    weeks: list[dict]  # week (its Monday, YYYY-MM-DD), n, rating (mean, may be None); in week order
    topics: list[dict]  # topic, n; most frequent first
    urgent_open: int  # urgent feedback still waiting for someone (any date)
    urgent_oldest: dt.datetime | str | None  # reception time of the oldest of those (SQLite gives text)


async def dashboard_counts(*, service_id: int | None = None, office_id: int | None = None,
                           since: dt.datetime) -> DashboardCounts:
    """Volume, ratings and answer times by channel, weekly ratings and topics since then; the urgent backlog."""
    column, value = ("service", service_id) if service_id is not None else ("office", office_id)
    # An entry withdrawn as a mistake counts nowhere.
    scope, args = f"f.{column} = {{}} AND f.received_at >= {{}} AND f.withdrawn_at IS NULL", [value, since]
    pg = is_postgres(current_engine())
    week = "to_char(date_trunc('week', f.received_at), 'YYYY-MM-DD')" if pg else "date(f.received_at, 'weekday 1', '-7 days')"
    seconds = (
        "extract(epoch from (f.answered_at - f.received_at))"
        if pg
        else "(julianday(f.answered_at) - julianday(f.received_at)) * 86400.0"
    )
    # Four queries, run side by side (the PostgreSQL pool serves them in parallel).
    channels, weeks, topics, backlog = await asyncio.gather(
        Feedback.raw(
            f"SELECT f.channel AS channel, count(*) AS n, count(f.rating) AS rated, sum(f.rating) AS rating_sum, "
            f"count(f.answered_at) AS answered, sum({seconds}) AS answer_seconds "
            f"FROM feedback f WHERE {scope} GROUP BY f.channel ORDER BY n DESC", *args
        ),
        Feedback.raw(
            f"SELECT {week} AS week, count(*) AS n, avg(f.rating) AS rating "
            f"FROM feedback f WHERE {scope} GROUP BY 1 ORDER BY 1", *args
        ),
        Feedback.raw(
            f"SELECT t.topic AS topic, count(*) AS n FROM feedback_topic t JOIN feedback f ON f.id = t.feedback "
            f"WHERE {scope} GROUP BY t.topic ORDER BY n DESC, t.topic", *args
        ),
        Feedback.raw(
            f"SELECT count(*) AS n, min(f.received_at) AS oldest FROM feedback f WHERE f.{column} = {{}} "
            f"AND f.withdrawn_at IS NULL AND f.urgent = {{}} AND f.status IN ({', '.join('{}' for _ in OPEN_STATUSES)})", value, True, *OPEN_STATUSES
        ),
    )
    return DashboardCounts(
        channels=channels, weeks=weeks, topics=topics,
        urgent_open=backlog[0]["n"] if backlog else 0, urgent_oldest=backlog[0]["oldest"] if backlog else None,
    )
