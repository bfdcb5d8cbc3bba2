"""The daily retention job: personal data erased after its period (the redacted text and counts stay), idle staff
accounts deactivated, exactly once a day however many schedulers run, audited without the data; its dry run."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from portal.admin.retention import STALE_CLAIM, ClaimLost, erase_now, months_before, planned, run_retention_today
from portal.store.audit import audit_row
from portal.store.core.tables import AuditEvent, CitizenMail, Classification, Feedback, FeedbackDay, StaffUser
from portal.store.embeddings import latest_embedding
from portal.store.privacy import erase_feedback_data
from portal.store.retention import claim_retention_day, heartbeat_retention_day
from portal.store.workspace.tables import LoginAttempt, RetentionRun, StaffSession
from tests.admin.privacy_data import create_item, stored
from tests.conftest import ROOT, server_env
from tests.digests.conftest import running_app
from tests.factories import create_service
from tests.review.staff import create_staff

DAY = dt.timedelta(days=1)


async def audit_of(action: str) -> list[dict]:
    return await AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id).output(load_json=True)


def test_months_are_calendar_months():
    at = dt.datetime(2026, 3, 31, 9, tzinfo=dt.timezone.utc)
    assert months_before(at, 1) == dt.datetime(2026, 2, 28, 9, tzinfo=dt.timezone.utc)
    assert months_before(at, 12) == dt.datetime(2025, 3, 31, 9, tzinfo=dt.timezone.utc)
    assert months_before(dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc), 13) == dt.datetime(2024, 12, 15, tzinfo=dt.timezone.utc)


async def test_items_closed_long_ago_lose_their_personal_data_and_keep_the_rest(db):
    service = await create_service()
    old = await create_item(service, closed_days_ago=400, comment="Je suis Marie, appelez-moi.",
                            mail_error="550 5.1.1 <marie.dupont@example.fr>: mailbox unavailable")
    recent = await create_item(service, closed_days_ago=30)
    still_open = await create_item(service, closed_days_ago=None)
    await received_days_ago(still_open["id"], 400)
    counts_before = await day_counts()
    assert (await planned(db))["items"] == 1

    assert await run_retention_today(db) is True

    erased = await stored(old["id"])
    assert erased["contact_email"] is None and erased["contact_consent"] is False
    assert erased["text"] == erased["redacted_text"] == old["redacted_text"]
    assert "06 12" not in erased["text"] and "[téléphone]" in erased["text"]
    assert erased["resolved_comment"] == "" and erased["rating"] == 2 and erased["reference"] == old["reference"]
    mails = await CitizenMail.select().where(CitizenMail.feedback == old["id"])
    assert all("@" not in m["last_error"] for m in mails) and all(m["state"] != "pending" for m in mails)
    for kept in (recent, still_open):
        row = await stored(kept["id"])
        assert row["contact_email"] == "marie.dupont@example.fr" and row["text"] == kept["text"]
    assert await day_counts() == counts_before
    [event] = await audit_of("erase_personal_data")
    assert event["feedback"] == old["id"] and event["detail"] == {"by": "retention"}
    [run] = await audit_of("retention_run")
    assert run["detail"]["items"] == 1 and "marie" not in str(run) and old["reference"] not in str(run)
    assert (await planned(db))["items"] == 0


async def day_counts() -> list[tuple]:
    rows = await FeedbackDay.select(FeedbackDay.day, FeedbackDay.channel, FeedbackDay.n, FeedbackDay.rated,
                                    FeedbackDay.rating_sum).order_by(FeedbackDay.id)
    return [tuple(r.values()) for r in rows]


async def received_days_ago(feedback_id: int, days_ago: int) -> None:
    await Feedback.update({Feedback.received_at: dt.datetime.now(dt.timezone.utc) - days_ago * DAY}).where(
        Feedback.id == feedback_id)


async def test_an_item_touched_recently_waits(db):
    service = await create_service()
    item = await create_item(service, closed_days_ago=400)
    await AuditEvent.insert(AuditEvent(action="view_original", feedback=item["id"], actor_email="agent@example.gouv.fr",
                                       client="", detail={}, at=dt.datetime.now(dt.timezone.utc) - 5 * DAY))
    assert await run_retention_today(db) is True
    assert (await stored(item["id"]))["contact_email"] == "marie.dupont@example.fr"


async def test_exactly_once_a_day_even_when_several_run_at_once(db):
    service = await create_service()
    item = await create_item(service)
    ran = await asyncio.gather(*(run_retention_today(db) for _ in range(4)))
    assert sorted(ran) == [False, False, False, True]
    assert await run_retention_today(db) is False  # the same day again
    assert len(await audit_of("retention_run")) == 1 and len(await audit_of("erase_personal_data")) == 1
    assert (await stored(item["id"]))["contact_email"] is None
    assert await RetentionRun.count() == 1


async def test_a_run_left_unfinished_is_taken_over(db):
    service = await create_service()
    item = await create_item(service)
    today = dt.datetime.now(dt.timezone.utc).astimezone(ZoneInfo(db.time_zone)).date().isoformat()
    await RetentionRun.insert(RetentionRun(day=today, claimed_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=7)))
    assert await run_retention_today(db) is True
    assert (await stored(item["id"]))["contact_email"] is None
    assert (await RetentionRun.select().first())["finished_at"] is not None


async def test_zero_months_erases_nothing_by_age(db):
    service = await create_service()
    item = await create_item(service, closed_days_ago=4000)
    never = dataclasses.replace(db, retention_months=0, staff_inactive_months=0)
    assert await planned(never) == {"items": 0, "accounts": 0, "sign_in_attempts": 0, "sessions": 0}
    assert await run_retention_today(never) is True
    assert (await stored(item["id"]))["contact_email"] == "marie.dupont@example.fr"


async def test_idle_staff_accounts_are_deactivated_but_never_the_last_administrator(db):
    long_ago = dt.datetime.now(dt.timezone.utc) - 500 * DAY
    service = await create_service()
    idle = await create_staff("agent", services=[service], email="idle@example.gouv.fr")
    busy = await create_staff("agent", services=[service], email="busy@example.gouv.fr")
    admin = await create_staff("admin", email="only.admin@example.gouv.fr")
    await StaffUser.update({StaffUser.created_at: long_ago}).where(StaffUser.id.is_in([idle["id"], busy["id"], admin["id"]]))
    await LoginAttempt.insert(
        LoginAttempt(email="busy@example.gouv.fr", client="10.0.0.1", succeeded=True, at=dt.datetime.now(dt.timezone.utc) - 3 * DAY),
        LoginAttempt(email="idle@example.gouv.fr", client="10.0.0.2", succeeded=True, at=long_ago),
    )
    await StaffSession.insert(StaffSession(token_hash="a" * 64, user=idle["id"], last_seen_at=long_ago,
                                           expires_at=dt.datetime.now(dt.timezone.utc) + DAY, client="", user_agent=""))
    assert (await planned(db))["accounts"] == 1
    assert await run_retention_today(db) is True
    active = {r["email"]: r["active"] for r in await StaffUser.select(StaffUser.email, StaffUser.active)}
    assert active == {"idle@example.gouv.fr": False, "busy@example.gouv.fr": True, "only.admin@example.gouv.fr": True}
    assert await StaffSession.count().where(StaffSession.user == idle["id"]) == 0
    [event] = await audit_of("deactivate_user")
    assert event["detail"]["email"] == "idle@example.gouv.fr" and event["detail"]["by"] == "retention"
    # The sign-in attempt older than the period is forgotten (it kept an address and a client), the recent one stays.
    assert [r["email"] for r in await LoginAttempt.select(LoginAttempt.email)] == ["busy@example.gouv.fr"]


def _retention(settings, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "portal", "retention", "run", *args], env=server_env(settings),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def test_the_command_dry_run_then_three_processes_at_once_run_it_once(db):
    service = await create_service()
    items = [await create_item(service, email=f"p{i}@example.fr") for i in range(3)]
    dry = _retention(db, "--dry-run")
    out, err = await asyncio.to_thread(dry.communicate, timeout=120)
    assert dry.returncode == 0, err
    assert "3 items closed more than 12 months ago would be erased" in out and "nothing changed" in out.lower()
    assert all([(await stored(i["id"]))["contact_email"] for i in items])
    assert "@" not in out + err

    runs = [_retention(db) for _ in range(3)]
    outputs = [await asyncio.to_thread(p.communicate, timeout=120) for p in runs]
    assert [p.returncode for p in runs] == [0, 0, 0], outputs
    done = [out for out, _ in outputs if out.startswith("Retention run done")]
    assert len(done) == 1 and "3 items closed more than 12 months ago were erased" in done[0]
    assert [(await stored(i["id"]))["contact_email"] for i in items] == [None, None, None]
    assert len(await audit_of("retention_run")) == 1 and len(await audit_of("erase_personal_data")) == 3


async def test_many_items_are_erased_batch_by_batch(db):
    service = await create_service()
    items = [await create_item(service, email=f"p{i}@example.fr") for i in range(5)]
    kept = await create_item(service, closed_days_ago=3)
    assert (await erase_now(db, batch=2))["items"] == 5
    assert [(await stored(i["id"]))["contact_email"] for i in items] == [None] * 5
    assert (await stored(kept["id"]))["contact_email"] == "marie.dupont@example.fr"
    assert (await erase_now(db, batch=2))["items"] == 0  # twice: nothing more to do


async def test_the_in_process_scheduler_has_the_daily_job_and_catches_up_at_start(db, make_app, tmp_path):
    service = await create_service()
    item = await create_item(service)
    async with running_app(make_app, run_scheduler=True, data_dir=tmp_path) as client:
        assert "privacy:retention" in client.app.state.digest_scheduler.job_ids()
        for _ in range(200):
            if await RetentionRun.count().where(RetentionRun.finished_at.is_not_null()):
                break
            await asyncio.sleep(0.1)
    assert await RetentionRun.count() == 1 and (await stored(item["id"]))["contact_email"] is None


async def test_a_claim_refreshed_lately_is_not_taken_over_and_a_silent_one_is(db):
    service = await create_service()
    item = await create_item(service)
    today = dt.datetime.now(dt.timezone.utc).astimezone(ZoneInfo(db.time_zone)).date().isoformat()
    now = dt.datetime.now(dt.timezone.utc)
    await RetentionRun.insert(RetentionRun(day=today, claimed_at=now - dt.timedelta(minutes=10)))
    assert await run_retention_today(db) is False  # its runner wrote 10 minutes ago: still working
    assert (await stored(item["id"]))["contact_email"] is not None
    await RetentionRun.update({RetentionRun.claimed_at: now - dt.timedelta(minutes=20)}).where(RetentionRun.day == today)
    assert await run_retention_today(db) is True


async def test_the_heartbeat_moves_the_claim_and_a_runner_taken_over_stops(db):
    service = await create_service()
    items = [await create_item(service, email=f"p{i}@example.fr") for i in range(4)]
    day, start = "2026-01-02", dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    assert await claim_retention_day(day, start, STALE_CLAIM) is True
    beat = start + dt.timedelta(minutes=1)
    assert await heartbeat_retention_day(day, start, beat) is True
    assert (await RetentionRun.select().first())["claimed_at"] == beat
    assert await heartbeat_retention_day(day, start, beat) is False  # no longer this runner's time: taken over
    answers = iter([True, False])

    async def still_working() -> bool:
        return next(answers)

    with pytest.raises(ClaimLost):
        await erase_now(db, batch=1, still_working=still_working)
    erased = [(await stored(i["id"]))["contact_email"] is None for i in items]
    assert erased == [True, True, False, False]  # it stopped after the batch that found the claim lost


async def test_two_erasures_at_once_erase_and_audit_each_item_once(db):
    service = await create_service()
    items = [await create_item(service, email=f"p{i}@example.fr", mail_error=f"550 <p{i}@example.fr> unknown")
             for i in range(6)]
    done = await asyncio.gather(erase_now(db, batch=2), erase_now(db, batch=3), erase_now(db, batch=6))
    assert sum(d["items"] for d in done) == 6
    events = await audit_of("erase_personal_data")
    assert sorted(e["feedback"] for e in events) == sorted(i["id"] for i in items)
    ids = [i["id"] for i in items]
    assert await erase_feedback_data(ids, lambda batch: [audit_row("erase_personal_data", None, feedback_id=i)
                                                         for i in batch]) == 0
    assert len(await audit_of("erase_personal_data")) == 6  # given again: nothing erased, nothing audited


async def test_the_embedding_of_the_original_text_goes_with_it(db):
    service = await create_service()
    item, kept = await create_item(service), await create_item(service, closed_days_ago=3)
    for feedback_id in (item["id"], kept["id"]):
        await Classification.insert(Classification(
            feedback=feedback_id, model_version="e5-test", sentiment="negative", sentiment_scores={}, topics=[],
            topic_scores={}, urgent=False, urgent_score=0.0, flags=[], language="fr", embedding=b"\x00" * 16))
    await erase_now(db)
    rows = await Classification.select(Classification.feedback, Classification.embedding).order_by(Classification.id)
    assert [(r["feedback"], r["embedding"] is None) for r in rows] == [(item["id"], True), (kept["id"], False)]
    assert await latest_embedding(item["id"]) is None and await latest_embedding(kept["id"]) is not None


async def test_old_failed_sign_ins_lose_their_address_and_client(db):
    now = dt.datetime.now(dt.timezone.utc)
    await AuditEvent.insert(
        AuditEvent(action="login_failed", actor_email="typo@example.fr", client="10.1.1.1", detail={}, at=now - 400 * DAY),
        AuditEvent(action="login_failed", actor_email="recent@example.fr", client="10.2.2.2", detail={}, at=now - 3 * DAY),
    )
    await erase_now(db)
    rows = await AuditEvent.select(AuditEvent.actor_email, AuditEvent.client).where(
        AuditEvent.action == "login_failed").order_by(AuditEvent.id)
    assert rows == [{"actor_email": "", "client": ""}, {"actor_email": "recent@example.fr", "client": "10.2.2.2"}]
