"""Dashboard figures for a service or an office: weeks cut at the portal's midnight, shares with their interval, fair comparisons."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from portal.review.charts import share_chart
from portal.review.proportions import share
from portal.store.dashboards import dashboard_counts
from portal.store.directory import offices_by_name

ONLINE = ("web", "api")
IN_PERSON = ("counter", "kiosk")
# A group (a channel, an office) with fewer labelled answers than this is shown, never ranked.
MIN_ANSWERS = 30


def week_bounds(weeks: int, zone: ZoneInfo, now: dt.datetime | None = None) -> list[dt.datetime]:
    """The local Mondays at midnight of the last `weeks` weeks (this one included) and the next one, as moments."""
    today = (now or dt.datetime.now(dt.timezone.utc)).astimezone(zone).date()
    monday = today - dt.timedelta(days=today.weekday())
    days = [monday - dt.timedelta(weeks=weeks - 1 - k) for k in range(weeks + 1)]
    return [dt.datetime.combine(day, dt.time.min, tzinfo=zone) for day in days]


def _group(rows: list[tuple[dict, dict]]) -> dict:
    """Counts of some rows of the dashboard: volume, sentiments, ratings, answers."""
    out = {"n": 0, "positive": 0, "neutral": 0, "negative": 0, "rated": 0, "rating_sum": 0, "answered": 0,
           "answer_seconds": 0.0}
    for key, counts in rows:
        sentiment = key[3]
        for m in ("n", "rated", "rating_sum", "answered", "answer_seconds"):
            out[m] += counts[m]
        if sentiment in ("positive", "neutral", "negative"):
            out[sentiment] += counts["n"]
    out["labelled"] = out["positive"] + out["neutral"] + out["negative"]
    out["share"] = share(out["positive"], out["labelled"])
    out["rating"] = out["rating_sum"] / out["rated"] if out["rated"] else None
    return out


def rank_groups(groups: list[dict], min_answers: int) -> list[dict]:
    """Groups with enough labelled answers ranked by their share of positive (rank 1 first); the others after,
    unranked and marked `too_few`. No rank at all when fewer than two groups can be compared."""
    enough = [g for g in groups if g["labelled"] >= min_answers]
    few = [g for g in groups if g["labelled"] < min_answers]
    enough.sort(key=lambda g: (-g["share"].value, -g["labelled"]))
    for position, g in enumerate(enough, start=1):
        g["rank"], g["too_few"] = (position if len(enough) >= 2 else None), False
    for g in few:
        g["rank"], g["too_few"] = None, True
    return enough + sorted(few, key=lambda g: -g["n"])


async def dashboard(*, service_id: int | None = None, office_id: int | None = None, weeks: int = 12,
                    time_zone: str = "Europe/Paris", min_answers: int = MIN_ANSWERS, now: dt.datetime | None = None) -> dict:
    """Weekly volume and share of positive with its interval, channels and offices compared, topics, the urgent backlog."""
    zone = ZoneInfo(time_zone)
    bounds = week_bounds(weeks, zone, now)
    counts = await dashboard_counts(service_id=service_id, office_id=office_id, bounds=bounds)
    by_week, by_channel, by_office, by_place = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)
    for key, row in counts.counts.items():
        k, channel, office = key[0], key[1], key[2]
        by_week[k].append((key, row))
        by_channel[channel].append((key, row))
        if office:
            by_office[office].append((key, row))
        by_place["online" if channel in ONLINE else "in_person"].append((key, row))
    today = (now or dt.datetime.now(dt.timezone.utc)).astimezone(zone).date()
    trend = []
    for k in range(weeks):
        first = bounds[k].date()
        trend.append({**_group(by_week.get(k, [])), "first": first, "last": first + dt.timedelta(days=6),
                      "current": k == weeks - 1})
    total = _group([row for rows in by_week.values() for row in rows])
    channels = rank_groups([{**_group(rows), "channel": c} for c, rows in by_channel.items()], min_answers)
    names = {o["id"]: o["name"] for o in await offices_by_name()} if by_office else {}
    offices = rank_groups([{**_group(rows), "office": o, "name": names.get(o, "")} for o, rows in by_office.items()],
                          min_answers)
    return {
        "weeks": weeks,
        "first_day": bounds[0].date(),
        "last_day": today,
        "total": total["n"],
        "totals": total,
        "trend": trend,
        "chart": share_chart(trend),
        "channels": channels,
        "offices": offices,
        "min_answers": min_answers,
        "topics": sorted(({"topic": t, "n": n} for t, n in counts.topics.items()), key=lambda r: (-r["n"], r["topic"])),
        "urgent_backlog": counts.urgent_open,
        "urgent_oldest": counts.urgent_oldest,
        "answered": total["answered"],
        "mean_answer_hours": total["answer_seconds"] / total["answered"] / 3600 if total["answered"] else None,
        "comparison": [{"place": place, **_group(by_place.get(place, []))} for place in ("online", "in_person")],
    }


def inbox_link(staff: dict, *, service: int | None = None, office: int | None = None) -> list[tuple[str, str]] | None:
    """The inbox query a dashboard's counts extend (each count then opens the items behind it), or None for a
    person without an inbox (a clerk sees the figures alone)."""
    if staff["role"] not in ("admin", "owner", "agent"):
        return None
    return [("service", str(service))] if service is not None else [("office", str(office))]
