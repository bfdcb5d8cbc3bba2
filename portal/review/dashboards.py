"""Dashboard figures for a service or an office: totals, means and the online / in-person comparison."""

from __future__ import annotations

import datetime as dt

from portal.store.dashboards import dashboard_counts

ONLINE = ("web", "api")
IN_PERSON = ("counter", "kiosk")


async def dashboard(*, service_id: int | None = None, office_id: int | None = None, weeks: int = 12) -> dict:
    """Volume by channel, weekly satisfaction, topics, urgent backlog, answer times, online vs counter."""
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(weeks=weeks)
    counts = await dashboard_counts(service_id=service_id, office_id=office_id, since=since)
    channels = counts.channels
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
    return {
        "weeks": weeks,
        "total": total,
        "channels": channels,
        "trend": [{**r, "rating": _float(r["rating"])} for r in counts.weeks],
        "topics": counts.topics,
        "urgent_backlog": counts.urgent_open,
        "urgent_oldest": counts.urgent_oldest,
        "answered": answered,
        "mean_answer_hours": answer_seconds / answered / 3600 if answered else None,
        "comparison": comparison,
    }


def _float(value) -> float | None:
    return float(value) if value is not None else None
