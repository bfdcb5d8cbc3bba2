"""The SQL aggregates of the public results and the open data: ratings per week and channel, topics, answer times.

Flagged feedback (spam, abuse) counts nowhere in public. Weeks start on Monday (UTC) and are named
by that day (YYYY-MM-DD) on both engines.
"""

from __future__ import annotations

import datetime as dt

from portal.store.core.tables import Feedback
from portal.store.engine import current_engine, is_postgres
from portal.store.replica import replica_read
from portal.store.workspace.tables import Publication

SATISFIED_FROM = 4  # a rating of 4 or 5 counts as satisfied


def _week(alias: str = "f") -> str:
    if is_postgres(current_engine()):
        return f"to_char(date_trunc('week', {alias}.received_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
    # Back six days, then forward to the Monday: a Monday stays itself.
    return f"date({alias}.received_at, '-6 days', 'weekday 1')"


def _seconds(later: str, earlier: str) -> str:
    if is_postgres(current_engine()):
        return f"extract(epoch from ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@replica_read
async def weekly_ratings(service_id: int | None = None, since: dt.datetime | None = None,
                         before: dt.datetime | None = None) -> list[dict]:
    """Per service, week and channel: ratings given (rated), their sum and how many were satisfied (4 or 5)."""
    where, args = ["f.rating IS NOT NULL", "f.flagged = {}"], [False]
    if service_id is not None:
        where.append("f.service = {}")
        args.append(service_id)
    if since is not None:
        where.append("f.received_at >= {}")
        args.append(since)
    if before is not None:
        where.append("f.received_at < {}")
        args.append(before)
    rows = await Feedback.raw(
        f"SELECT f.service AS service, {_week()} AS week, f.channel AS channel, count(*) AS rated, "
        f"sum(f.rating) AS rating_sum, sum(CASE WHEN f.rating >= {SATISFIED_FROM} THEN 1 ELSE 0 END) AS satisfied "
        f"FROM feedback f WHERE {' AND '.join(where)} GROUP BY f.service, 2, f.channel ORDER BY f.service, 2, f.channel",
        *args,
    )
    return [{**r, "week": str(r["week"]), "rated": int(r["rated"]), "rating_sum": int(r["rating_sum"] or 0),
             "satisfied": int(r["satisfied"] or 0)} for r in rows]


@replica_read
async def topic_trend(service_id: int, since: dt.datetime, split: dt.datetime, end: dt.datetime) -> list[dict]:
    """Per effective topic: feedback received from `split` to `end` (recent) and from `since` to `split` (before)."""
    rows = await Feedback.raw(
        "SELECT t.topic AS topic, "
        "count(DISTINCT CASE WHEN f.received_at >= {} THEN f.id END) AS recent, "
        "count(DISTINCT CASE WHEN f.received_at < {} THEN f.id END) AS before "
        "FROM feedback_topic t JOIN feedback f ON f.id = t.feedback "
        "WHERE f.service = {} AND f.flagged = {} AND f.received_at >= {} AND f.received_at < {} "
        "GROUP BY t.topic ORDER BY recent DESC, t.topic",
        split, split, service_id, False, since, end,
    )
    return [{"topic": r["topic"], "recent": int(r["recent"]), "before": int(r["before"])} for r in rows]


@replica_read
async def median_answer_seconds(service_id: int, since: dt.datetime, end: dt.datetime) -> tuple[float | None, int]:
    """The median time from reception to public answer of feedback answered from `since` to `end`, and how many were."""
    seconds = _seconds("f.answered_at", "f.received_at")
    rows = await Feedback.raw(
        "SELECT avg(x.s) AS median, max(x.n) AS n FROM ("
        f"SELECT {seconds} AS s, row_number() OVER (ORDER BY {seconds}) AS i, count(*) OVER () AS n "
        "FROM feedback f WHERE f.service = {} AND f.flagged = {} AND f.answered_at IS NOT NULL "
        "AND f.answered_at >= {} AND f.answered_at < {}) x WHERE x.i IN ((x.n + 1) / 2, (x.n + 2) / 2)",
        service_id, False, since, end,
    )
    if not rows or rows[0]["n"] is None:
        return None, 0
    return float(rows[0]["median"]), int(rows[0]["n"])


@replica_read
async def published_for_open_data() -> list[dict]:
    """Every publication not withdrawn, oldest first, with what open data may say of its feedback."""
    return await Publication.select(
        Publication.id.as_alias("publication_id"),
        Publication.feedback.service.code.as_alias("service"),
        Publication.feedback.channel.as_alias("channel"),
        Publication.feedback.received_at.as_alias("received_at"),
        Publication.feedback.rating.as_alias("rating"),
        Publication.feedback.sentiment.as_alias("sentiment"),
        Publication.feedback.topics.as_alias("topics"),
        Publication.feedback.urgent.as_alias("urgent"),
        Publication.feedback.status.as_alias("status"),
        Publication.text, Publication.answer, Publication.published_at,
    ).where(
        (Publication.withdrawn == False) & (Publication.feedback.flagged == False)  # noqa: E712
    ).order_by(Publication.id)
