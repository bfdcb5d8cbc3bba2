"""Dashboards: the Wilson interval, the no-ranking rule, the daily counts the triggers keep, the portal's midnight,
and every count opening the inbox on the same items."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest

from portal.review.dashboards import dashboard, rank_groups, week_bounds
from portal.review.inbox import InboxFilter, list_inbox
from portal.review.proportions import share, wilson
from portal.store.core.tables import Feedback, FeedbackTopic
from portal.store.dashboards import kept_day_counts, kept_topic_counts, raw_day_counts, raw_topic_counts
from tests.factories import create_dated_feedback, create_feedback, create_office, create_service
from tests.review.staff import create_staff, signed_in

UTC = dt.timezone.utc
PARIS = "Europe/Paris"


def test_wilson_bounds_are_the_hand_computed_ones():
    # 8 of 10, z = 1.96: centre (0.8 + 1.96²/20) / (1 + 1.96²/10) = 0.71676, half-width
    # 1.96 × sqrt(0.016 + 1.96²/400) / 1.38415 = 0.22659: from 0.4902 to 0.9433.
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=5e-5) and high == pytest.approx(0.9433, abs=5e-5)
    # None of 5 still leaves a chance above zero; all of 5 is not certainty.
    assert wilson(0, 5)[0] == 0.0 and wilson(0, 5)[1] == pytest.approx(0.4345, abs=5e-5)
    assert wilson(5, 5)[1] == 1.0 and wilson(5, 5)[0] == pytest.approx(0.5655, abs=5e-5)
    assert wilson(0, 0) == (None, None) and share(0, 0).value is None


def test_groups_below_the_minimum_are_shown_but_never_ranked():
    def group(name, positive, labelled):
        return {"name": name, "n": labelled, "labelled": labelled, "share": share(positive, labelled)}

    ranked = rank_groups([group("small but perfect", 3, 3), group("b", 30, 60), group("a", 50, 60)], min_answers=30)
    assert [(g["name"], g["rank"], g["too_few"]) for g in ranked] == [
        ("a", 1, False), ("b", 2, False), ("small but perfect", None, True)]
    # One group alone with enough answers is not "first".
    alone = rank_groups([group("a", 50, 60), group("c", 1, 2)], min_answers=30)
    assert [(g["name"], g["rank"]) for g in alone] == [("a", None), ("c", None)]


def test_weeks_start_at_the_portals_monday_midnight():
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a Tuesday
    bounds = week_bounds(2, ZoneInfo(PARIS), now)
    assert [b.astimezone(UTC) for b in bounds] == [
        dt.datetime(2026, 11, 22, 23, 0, tzinfo=UTC), dt.datetime(2026, 11, 29, 23, 0, tzinfo=UTC),
        dt.datetime(2026, 12, 6, 23, 0, tzinfo=UTC)]


async def test_an_item_at_23_30_utc_lands_on_the_next_paris_day_and_week(db):
    service = await create_service()
    agent = {"id": 0, "role": "agent", "services": {service["id"]: "agent"}, "office": None}
    # Sunday 29 November 23:30 UTC is Monday 30 November 00:30 in Paris: the new week.
    late = await create_dated_feedback(service, received_at=dt.datetime(2026, 11, 29, 23, 30, tzinfo=UTC))
    # Sunday 29 November 22:30 UTC is still Sunday 23:30 in Paris: the week before.
    await create_dated_feedback(service, received_at=dt.datetime(2026, 11, 29, 22, 30, tzinfo=UTC), sentiment="negative")
    # Summer time: Sunday 28 June 22:30 UTC is Monday 00:30 in Paris.
    await create_dated_feedback(service, received_at=dt.datetime(2026, 6, 28, 22, 30, tzinfo=UTC), sentiment="neutral")
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    figures = await dashboard(service_id=service["id"], weeks=2, time_zone=PARIS, now=now)
    [before, this] = figures["trend"]
    assert (before["first"], before["n"], before["negative"], before["positive"]) == (dt.date(2026, 11, 23), 1, 1, 0)
    assert (this["first"], this["n"], this["positive"], this["current"]) == (dt.date(2026, 11, 30), 1, 1, True)
    summer = await dashboard(service_id=service["id"], weeks=1, time_zone=PARIS, now=dt.datetime(2026, 6, 30, tzinfo=UTC))
    assert summer["trend"][0]["first"] == dt.date(2026, 6, 29) and summer["trend"][0]["neutral"] == 1
    # In UTC the late item is Sunday's.
    in_utc = await dashboard(service_id=service["id"], weeks=2, time_zone="UTC", now=now)
    assert [w["n"] for w in in_utc["trend"]] == [2, 0]
    # The inbox's day filters cut at the same midnight.
    monday = await list_inbox(agent, InboxFilter.from_query({"since": "2026-11-30", "until": "2026-11-30"}, PARIS))
    assert [r["reference"] for r in monday.rows] == [late.reference]
    sunday = await list_inbox(agent, InboxFilter.from_query({"since": "2026-11-29", "until": "2026-11-29"}, PARIS))
    assert late.reference not in [r["reference"] for r in sunday.rows] and len(sunday.rows) == 1


async def test_daily_counts_kept_by_the_triggers_equal_the_raw_counts(db):
    service, other = await create_service(), await create_service()
    office = await create_office(services=[service])
    first = await create_feedback(service, text="Accueil rapide", rating=5)
    desk = await create_feedback(service, text="Trop d'attente", rating=2, channel="counter", office_id=office["id"],
                                 given_as="spoken")
    gone = await create_feedback(other, text="À effacer", rating=3)
    await Feedback.update({Feedback.sentiment: "positive"}).where(Feedback.id == first.feedback_id)
    await Feedback.update({Feedback.sentiment: "negative", Feedback.answered_at: dt.datetime.now(UTC)}).where(
        Feedback.id == desk.feedback_id)
    await FeedbackTopic.insert(FeedbackTopic(feedback=desk.feedback_id, topic="responsiveness"),
                               FeedbackTopic(feedback=gone.feedback_id, topic="digital"),
                               FeedbackTopic(feedback=first.feedback_id, topic="relation"))
    await FeedbackTopic.update({FeedbackTopic.topic: "information"}).where(FeedbackTopic.feedback == first.feedback_id)
    # Moved to another day: its counts and its topics follow it.
    await Feedback.update({Feedback.received_at: dt.datetime(2026, 1, 5, 10, tzinfo=UTC)}).where(
        Feedback.id == desk.feedback_id)
    await FeedbackTopic.delete().where(FeedbackTopic.feedback == gone.feedback_id)
    await FeedbackTopic.insert(FeedbackTopic(feedback=gone.feedback_id, topic="simplicity"))
    await Feedback.delete().where(Feedback.id == gone.feedback_id)
    kept, raw = await kept_day_counts(), await raw_day_counts()
    assert [_plain(r) for r in kept] == [_plain(r) for r in raw] and sum(r["n"] for r in raw) == 2
    kept_topics, raw_topics = await kept_topic_counts(), await raw_topic_counts()
    assert [_plain(r) for r in kept_topics] == [_plain(r) for r in raw_topics]
    assert sorted(r["topic"] for r in raw_topics) == ["information", "responsiveness"]


def _plain(row: dict) -> tuple:
    return tuple(str(v) if isinstance(v, (dt.date, dt.datetime)) else int(v) if isinstance(v, float) else v
                 for v in row.values())


INBOX_LINK = re.compile(r'<a href="(/staff/inbox\?[^"]+)">([\d\s\u202f\xa0]+)</a>')


async def test_every_count_opens_the_inbox_on_as_many_items(client):
    service = await create_service(name_fr="Caisse d'allocations")
    office = await create_office(name="Maison France services", services=[service])
    owner = await create_staff("owner", services=[service])
    now = dt.datetime.now(UTC)
    for days, sentiment, channel in ((1, "positive", "web"), (2, "negative", "web"), (9, "positive", "counter"),
                                     (10, "neutral", "counter"), (20, "positive", "kiosk")):
        office_kw = {"office_id": office["id"], "given_as": "spoken"} if channel != "web" else {}
        receipt = await create_dated_feedback(service, received_at=now - dt.timedelta(days=days), sentiment=sentiment,
                                              rating=4, channel=channel, **office_kw)
        if days == 9:
            await FeedbackTopic.insert(FeedbackTopic(feedback=receipt.feedback_id, topic="responsiveness"))
            await Feedback.update({Feedback.urgent: True}).where(Feedback.id == receipt.feedback_id)
    await signed_in(client, owner)
    html = (await client.get(f"/staff/dashboards/services/{service['code']}")).text
    links = INBOX_LINK.findall(html)
    assert len(links) >= 12
    for href, shown in links:
        href = unescape(href)
        expected = int(re.sub(r"\D", "", shown))
        page = await client.get(href)
        assert page.status_code == 200, href
        rows = page.text.split("<tbody>")[1].split("</tbody>")[0].count("<tr")
        assert rows == expected, (href, dict(parse_qsl(urlsplit(href).query)))
    assert 'id="chart-trend" role="img"' in html and "<polyline" in html and 'class="band"' in html
    assert "W4" not in html and "-W" not in html
    # Five labelled answers: below the minimum, so no group is ranked.
    assert html.count("trop peu d’avis pour comparer") >= 3
    english = (await client.get(f"/staff/dashboards/services/{service['code']}", params={"lang": "en"})).text
    assert "too few answers to compare" in english and "Wilson" in english


async def test_a_clerk_sees_the_office_figures_without_inbox_links(client):
    service = await create_service()
    office = await create_office(services=[service])
    clerk = await create_staff("clerk", office=office)
    await create_feedback(service, text="Accueil", rating=4, channel="counter", office_id=office["id"], given_as="spoken")
    await signed_in(client, clerk)
    page = await client.get(f"/staff/dashboards/offices/{office['code']}")
    assert page.status_code == 200 and "/staff/inbox?" not in page.text


async def test_groups_with_enough_answers_are_ranked_with_their_interval(db):
    service = await create_service()
    now = dt.datetime.now(UTC)
    for channel, sentiments in (("web", ("positive", "positive", "positive", "negative")),
                                ("api", ("positive", "neutral", "negative")), ("kiosk", ("positive",))):
        for k, sentiment in enumerate(sentiments):
            await create_dated_feedback(service, received_at=now - dt.timedelta(hours=k + 1), sentiment=sentiment,
                                        channel=channel)
    figures = await dashboard(service_id=service["id"], weeks=2, time_zone=PARIS, min_answers=3)
    ranked = [(g["channel"], g["rank"], g["too_few"], g["positive"], g["labelled"]) for g in figures["channels"]]
    assert ranked == [("web", 1, False, 3, 4), ("api", 2, False, 1, 3), ("kiosk", None, True, 1, 1)]
    web = figures["channels"][0]["share"]
    assert (web.low, web.high) == pytest.approx((0.3006, 0.9544), abs=5e-4)
