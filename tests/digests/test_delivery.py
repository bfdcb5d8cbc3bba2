"""Exactly once per subscription and period: concurrent passes, a crash after claiming, SMTP refusals."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

from portal.digests.periods import parse_period, send_moment
from portal.digests.runs import DeliveryPolicy, run_due
from portal.digests.subscriptions import SubscriptionRequest, subscribe
from portal.store.digest_runs import claim_run, mark_sent
from portal.store.digests.tables import DigestRun
from tests.digests.conftest import labelled_feedback
from tests.factories import create_service

WEEK = parse_period("weekly", "2026-W46")
FAST = DeliveryPolicy(smtp_attempts=2, smtp_backoff=0.05, max_attempts=3)


async def weekly_subscription(**kw) -> dict:
    service = await create_service("passeports", name_fr="Passeports", name_en="Passports", owner_emails="owner@example.fr")
    await labelled_feedback(service, WEEK.start + dt.timedelta(days=1, hours=9), text="Rendez-vous obtenu vite, merci.",
                            rating=5, sentiment="positive", topics=("access",))
    sub = await subscribe(SubscriptionRequest("Owner@Example.fr", ("passeports",), **kw))
    # Subscribed during the week: this week is the first one due.
    created = WEEK.start + dt.timedelta(hours=1)
    from portal.store.digests.tables import DigestSubscription
    await DigestSubscription.update({DigestSubscription.created_at: created}).where(DigestSubscription.id == sub["id"])
    return {**sub, "created_at": created}


def sending_time(sub: dict) -> dt.datetime:
    return send_moment(WEEK, sub["weekday"], sub["send_time"]) + dt.timedelta(minutes=1)


async def runs() -> list[dict]:
    return await DigestRun.select().order_by(DigestRun.id)


async def test_two_passes_at_once_send_one_email(mail_settings, smtp_server):
    sub = await weekly_subscription()
    now = sending_time(sub)
    reports = await asyncio.gather(*(run_due(mail_settings, now=now, policy=FAST) for _ in range(3)))
    assert sum(len(r.sent) for r in reports) == 1
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["To"] == "owner@example.fr"
    # A later pass finds the period done.
    again = await run_due(mail_settings, now=now + dt.timedelta(hours=1), policy=FAST)
    assert again.sent == [] and len(smtp_server.messages) == 1
    [run] = await runs()
    assert run["state"] == "sent" and run["attempts"] == 1 and run["message_id"].startswith("<digest-")
    assert run["html"].startswith("<!doctype html>") and "Passeports" in run["text"] and run["chart_png"][:4] == b"\x89PNG"


async def test_crash_between_claim_and_send_is_retried_once_the_claim_is_stale(mail_settings, smtp_server):
    sub = await weekly_subscription()
    now = sending_time(sub)
    # A process claims the period, then dies before sending: the row stays claimed.
    crashed = await claim_run(sub["id"], sub["owner_email"], WEEK.start, WEEK.end, now, FAST.lease)
    assert crashed is not None
    soon = await run_due(mail_settings, now=now + dt.timedelta(minutes=5), policy=FAST)
    assert soon.sent == [] and smtp_server.messages == []  # the claim may still be alive: hands off
    later = await run_due(mail_settings, now=now + FAST.lease + dt.timedelta(minutes=1), policy=FAST)
    assert later.sent == [sub["id"]] and len(smtp_server.messages) == 1
    [run] = await runs()
    assert run["state"] == "sent" and run["attempts"] == 2 and run["claim_token"] != crashed.token
    # The dead process's token no longer counts.
    assert not await mark_sent(crashed, subject="", html="", text="", chart_png=b"", message_id="x", now=now)


async def test_smtp_refusing_then_accepting_delivers_once(mail_settings, smtp_server):
    sub = await weekly_subscription()
    smtp_server.refuse_next(1)
    report = await run_due(mail_settings, now=sending_time(sub), policy=FAST)
    assert report.sent == [sub["id"]]
    assert smtp_server.handler.refused == 1 and len(smtp_server.messages) == 1


async def test_smtp_down_is_retried_with_backoff_then_marked_failed(mail_settings, smtp_server):
    sub = await weekly_subscription()
    now = sending_time(sub)
    smtp_server.refuse_next(100)
    first = await run_due(mail_settings, now=now, policy=FAST)
    assert first.retrying == [sub["id"]]
    [run] = await runs()
    assert run["state"] == "claimed" and "451" in run["last_error"] and run["attempts"] == 1
    assert await run_due(mail_settings, now=now + dt.timedelta(minutes=1), policy=FAST) == type(first)()  # backoff
    second = await run_due(mail_settings, now=now + dt.timedelta(minutes=6), policy=FAST)
    assert second.retrying == [sub["id"]]
    third = await run_due(mail_settings, now=now + dt.timedelta(hours=1), policy=FAST)
    assert third.failed == [sub["id"]]
    [run] = await runs()
    assert run["state"] == "failed" and run["attempts"] == 3 and "451" in run["last_error"]
    smtp_server.refuse_next(0)
    assert (await run_due(mail_settings, now=now + dt.timedelta(days=1), policy=FAST)).sent == []
    assert smtp_server.messages == []


async def test_periods_missed_while_down_are_caught_up(mail_settings, smtp_server):
    sub = await weekly_subscription()
    from portal.store.digests.tables import DigestSubscription
    created = WEEK.start - dt.timedelta(days=14) + dt.timedelta(hours=1)
    await DigestSubscription.update({DigestSubscription.created_at: created}).where(DigestSubscription.id == sub["id"])
    # Down for three weeks: at the next start, each missed week is sent once, oldest first.
    report = await run_due(mail_settings, now=sending_time(sub) + dt.timedelta(days=14), policy=FAST)
    assert len(report.sent) == 5
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert len(set(subjects)) == 5 and "semaine du 9 au 15 novembre 2026" in subjects[2]


async def test_unconfigured_smtp_fails_visibly(db):
    sub = await weekly_subscription()
    report = await run_due(dataclasses.replace(db, smtp_url=""), now=sending_time(sub), policy=FAST)
    assert report.failed == [sub["id"]]
    [run] = await runs()
    assert run["state"] == "failed" and "PORTAL_SMTP_URL" in run["last_error"]
