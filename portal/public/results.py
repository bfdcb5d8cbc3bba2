"""A service's public results: satisfaction by channel over time, main topics, answer times, commitments, published feedback."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from portal.feedback import follow_up
from portal.public import me_too
from portal.public.disclosure import Line, protect, public_text, rate_shown, shown_count
from portal.public.satisfaction import satisfaction_table, window
from portal.review.publication import published
from portal.store.commitments import FINISHED, published_commitments
from portal.store.core.tables import CHANNELS
from portal.store.results import median_answer_seconds, topic_trend, weekly_ratings

TOPIC_WEEKS = 12  # topics: the window's last twelve weeks against the twelve before
TOP_TOPICS = 6
RISING, FALLING = 1.25, 0.8  # recent / before beyond these: rising, falling; between: stable


def today_in(zone: ZoneInfo, now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(zone).date()


def is_late(row: dict, today: dt.date) -> bool:
    """Past its date, not finished, and no update since the date."""
    if row["status"] in FINISHED or row["due_on"] >= today:
        return False
    return not any(_day(u["at"]) >= row["due_on"] for u in row["updates"])


def _day(value) -> dt.date:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.date()


def trend_word(recent: int, before: int, min_count: int) -> str | None:
    """rising, falling or stable; None when either period has too few reports to say."""
    if not (rate_shown(recent, min_count) and rate_shown(before, min_count)):
        return None
    if recent >= before * RISING:
        return "rising"
    if recent <= before * FALLING:
        return "falling"
    return "stable"


async def service_commitments(service_id: int, today: dt.date) -> list[dict]:
    rows = await published_commitments(service_id)
    for row in rows:
        row["late"] = is_late(row, today)
        for key in ("raised", "action", "reason", "group_title"):
            row[key] = public_text(row[key]) if row[key] else row[key]
        for update in row["updates"]:
            update["note"] = public_text(update["note"])
    return rows


async def results_of(service: dict, *, min_count: int, zone: ZoneInfo, voter: str | None) -> dict:
    """Everything the results page shows, every count protected."""
    today = today_in(zone)
    since, end = window(today)
    table = satisfaction_table(await weekly_ratings(service["id"], since, end), today, min_count, CHANNELS)
    split = end - dt.timedelta(weeks=TOPIC_WEEKS)
    topics = []
    for row in (await topic_trend(service["id"], split - dt.timedelta(weeks=TOPIC_WEEKS), split, end))[:TOP_TOPICS]:
        if row["recent"] == 0:
            continue
        topics.append({"topic": row["topic"], "count": shown_count(row["recent"], min_count),
                       "trend": trend_word(row["recent"], row["before"], min_count)})
    median, answered = await median_answer_seconds(service["id"], since, end)
    # "Is the problem resolved?": the people's own answers, the total and its parts protected together.
    said = (await follow_up.resolution_counts([service["id"]])).get(service["id"], {})
    resolution = {kind: said.get(kind, 0) for kind in ("yes", "partly", "no")}
    resolution_total = sum(resolution.values())
    resolved = protect({**resolution, "total": resolution_total}, [Line("total", ("yes", "partly", "no"))], min_count) \
        if resolution_total else {}
    items = await me_too.with_votes(await published(50, service["code"]), voter)
    for item in items:
        item["text"], item["answer"] = public_text(item["text"]), public_text(item["answer"]) if item["answer"] else ""
        item["people_shown"] = shown_count(item["people"], min_count)
        item["me_too_shown"] = shown_count(item["me_too"], min_count)
    return {
        "table": table,
        "topics": topics,
        "topic_weeks": TOPIC_WEEKS,
        "since": since, "end": end - dt.timedelta(days=1),
        "median_hours": median / 3600 if median is not None and rate_shown(answered, min_count) else None,
        "answered": shown_count(answered, min_count),
        "commitments": await service_commitments(service["id"], today),
        "resolved": resolved,
        "items": items,
        "min_count": min_count,
    }
