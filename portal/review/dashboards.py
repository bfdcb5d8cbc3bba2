"""Dashboard figures for a service or an office, computed in SQL on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

from portal.store.core.tables import Feedback
from portal.store.engine import current_engine, is_postgres
from portal.store.status import OPEN_STATUSES

ONLINE = ("web", "api")
IN_PERSON = ("counter", "kiosk")


async def dashboard(*, service_id: int | None = None, office_id: int | None = None, weeks: int = 12) -> dict:
    """Volume by channel, weekly satisfaction, topics, urgent backlog, answer times, online vs counter."""
    column, value = ("service", service_id) if service_id is not None else ("office", office_id)
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(weeks=weeks)
    scope, args = f"f.{column} = {{}} AND f.received_at >= {{}}", [value, since]
    pg = is_postgres(current_engine())
    week = "to_char(date_trunc('week', f.received_at), 'YYYY-MM-DD')" if pg else "date(f.received_at, 'weekday 1', '-7 days')"
    seconds = (
        "extract(epoch from (f.answered_at - f.received_at))"
        if pg
        else "(julianday(f.answered_at) - julianday(f.received_at)) * 86400.0"
    )
    # Four queries, run side by side (the PostgreSQL pool serves them in parallel).
    channels, trend, topics, backlog = await asyncio.gather(
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
            f"AND f.urgent = {{}} AND f.status IN ({', '.join('{}' for _ in OPEN_STATUSES)})", value, True, *OPEN_STATUSES
        ),
    )
    total = sum(r["n"] for r in channels)
    answered = sum(r["answered"] or 0 for r in channels)
    answer_seconds = sum(float(r["answer_seconds"] or 0) for r in channels)
    by_place = {"online": {"n": 0, "sum": 0.0, "rated": 0}, "in_person": {"n": 0, "sum": 0.0, "rated": 0}}
    for row in channels:
        place = by_place["online" if row["channel"] in ONLINE else "in_person"]
        place["n"] += row["n"]
        place["rated"] += row["rated"] or 0
        place["sum"] += float(row["rating_sum"] or 0)
        row["rating"] = float(row["rating_sum"]) / row["rated"] if row["rated"] else None
    comparison = [
        {"place": name, "n": p["n"], "rating": (p["sum"] / p["rated"]) if p["rated"] else None}
        for name, p in by_place.items()
    ]
    oldest = backlog[0]["oldest"] if backlog else None
    return {
        "weeks": weeks,
        "total": total,
        "channels": channels,
        "trend": [{**r, "rating": _float(r["rating"])} for r in trend],
        "topics": topics,
        "urgent_backlog": backlog[0]["n"] if backlog else 0,
        "urgent_oldest": oldest,
        "answered": answered,
        "mean_answer_hours": answer_seconds / answered / 3600 if answered else None,
        "comparison": comparison,
    }


def _float(value) -> float | None:
    return float(value) if value is not None else None
