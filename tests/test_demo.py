"""The demo loader: services, offices and realistic feedback, loaded once."""

from __future__ import annotations

from portal.demo import load_demo, plan_feedback, read_data
from portal.store.core.tables import Feedback, Office, OfficeService, Service, StaffUser


async def test_demo_loads_services_offices_and_feedback_once(db):
    summary = await load_demo(db, feedback_count=60, seed=3)

    assert summary.created
    places, _ = read_data()
    assert await Service.count() == len(places["services"]) >= 6
    assert await Office.count() == len(places["offices"]) >= 3
    assert await OfficeService.count() == sum(len(o["services"]) for o in places["offices"])

    rows = await Feedback.select(
        Feedback.channel, Feedback.given_as, Feedback.office, Feedback.reference, Feedback.rating,
        Feedback.text, Feedback.redacted_text, Feedback.submitted_at, Feedback.received_at,
    )
    assert len(rows) == summary.feedback == 60
    by_channel = {}
    for row in rows:
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + 1
    assert set(by_channel) == {"web", "counter", "kiosk", "api"}, by_channel
    assert all(row["reference"] for row in rows)
    assert len({row["reference"] for row in rows}) == len(rows)
    for row in rows:
        expected = {"web": {"online"}, "api": {"online"}, "counter": {"spoken", "paper"}, "kiosk": {"kiosk"}}
        assert row["given_as"] in expected[row["channel"]]
        assert (row["office"] is not None) == (row["channel"] in ("counter", "kiosk"))
        if row["channel"] == "kiosk":
            assert row["rating"] is not None
        assert row["submitted_at"] <= row["received_at"]

    # The dates were spread over weeks, not left at the moment of loading.
    received = sorted(row["received_at"] for row in rows)
    assert (received[-1] - received[0]).days >= 28

    phoned = [row for row in rows if "06 12 34 56 78" in row["text"]]
    assert phoned, "the demo should always include a phone number to show redaction"
    assert all("06 12 34 56 78" not in row["redacted_text"] and "[téléphone]" in row["redacted_text"] for row in phoned)

    # Counter feedback is attributed to a clerk who cannot sign in.
    clerks = await StaffUser.select().where(StaffUser.role == "clerk")
    assert clerks and all(c["password_hash"] == "!" for c in clerks)

    again = await load_demo(db, feedback_count=60, seed=3)
    assert not again.created
    assert await Feedback.count() == 60
    assert await Service.count() == len(places["services"])


def test_plan_has_the_requested_mix():
    import random

    places, texts = read_data()
    plan = plan_feedback(places, texts, 300, random.Random(7))
    assert len(plan) == 300
    written = [item for item in plan if item.text]
    english_share = sum(item.lang == "en" for item in written) / len(written)
    assert 0.15 <= english_share <= 0.35
    assert sum(item.spike for item in plan) >= 10
    assert {item.channel for item in plan} == {"web", "counter", "kiosk", "api"}


def test_the_rise_lands_mostly_in_the_last_complete_week_whatever_the_day():
    """The "last week" digest of the demo shows the rise on a Monday morning as on a Sunday night."""
    import datetime as dt
    import random
    from zoneinfo import ZoneInfo

    from portal.demo import pick_times

    places, texts = read_data()
    plan = [item for item in plan_feedback(places, texts, 300, random.Random(7)) if item.spike]
    paris = ZoneInfo("Europe/Paris")
    # Every 23 hours from Monday 30 November 2026 00:30 to Sunday 6 December 17:30, Paris time.
    for hours in range(0, 7 * 24, 23):
        now = (dt.datetime(2026, 11, 30, 0, 30, tzinfo=paris) + dt.timedelta(hours=hours)).astimezone(dt.timezone.utc)
        today = now.astimezone(paris).date()
        monday = today - dt.timedelta(days=today.weekday() + 7)
        rng = random.Random(hours)
        days = [pick_times(item, None, now, rng)[0].astimezone(paris).date() for item in plan]
        last_week = [d for d in days if monday <= d < monday + dt.timedelta(days=7)]
        assert all(d >= monday and d <= today for d in days), (today, days)
        assert len(last_week) >= 0.6 * len(days), (today, len(last_week), len(days))
        # Busier towards the end of that week.
        first_half = sum(d < monday + dt.timedelta(days=3) for d in last_week)
        assert first_half < len(last_week) - first_half, (today, last_week)
