"""The scheduler: jobs from subscriptions, rebuilt on change; separate processes never send twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
import sys
import time

from portal.digests.periods import due_periods
from portal.digests.scheduler import DigestScheduler
from portal.digests.subscriptions import SubscriptionRequest, subscribe
from portal.store.digests.tables import DigestRun, DigestSubscription
from portal.store.subscriptions import remove_subscription
from tests.conftest import ROOT, server_env
from tests.digests.conftest import running_app
from tests.factories import create_service


async def due_subscription(**kw) -> dict:
    """A subscription created fifteen days ago: at least one finished week is due now."""
    await create_service("etat-civil", name_fr="État civil", name_en="Civil status", owner_emails="owner@example.fr,other@example.fr")
    sub = await subscribe(SubscriptionRequest("owner@example.fr", ("etat-civil",), **kw))
    created = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=15)
    await DigestSubscription.update({DigestSubscription.created_at: created}).where(DigestSubscription.id == sub["id"])
    return {**sub, "created_at": created}


async def wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


def every_due_period_sent(subscription: dict):
    """The condition to stop a scheduler on: each period due now is sent (stopped mid-send, an e-mail has no run)."""
    due = len(due_periods(subscription, dt.datetime.now(dt.timezone.utc)))

    async def condition() -> bool:
        return await _count_sent() >= due

    return condition


async def test_jobs_follow_the_subscriptions(mail_settings):
    first = await due_subscription(weekday="fri", send_time="17:30")
    digests = DigestScheduler(mail_settings)
    try:
        await digests.rebuild()
        digests.scheduler.start(paused=True)
        assert digests.job_ids() == sorted(["digests:sweep", "digests:watch-subscriptions", "follow-up:resolved-questions", "follow-up:send", "review:overdue-reminders", f"digest:{first['id']}"])
        trigger = digests.scheduler.get_job(f"digest:{first['id']}").trigger
        assert str(trigger) == "cron[day_of_week='fri', hour='17', minute='30']" and str(trigger.timezone) == "Europe/Paris"
        job = digests.scheduler.get_job("digests:sweep")
        assert job.max_instances == 1 and job.coalesce is True

        second = await subscribe(SubscriptionRequest("other@example.fr", (), frequency="monthly", time_zone="America/Cayenne"))
        await digests.watch()
        assert f"digest:{second['id']}" in digests.job_ids()
        assert "day='1'" in str(digests.scheduler.get_job(f"digest:{second['id']}").trigger)
        await remove_subscription(first["id"])
        await digests.watch()
        assert f"digest:{first['id']}" not in digests.job_ids()
    finally:
        digests.shutdown()


async def test_in_process_scheduler_catches_up_at_start(mail_settings, smtp_server, make_app):
    sub = await due_subscription()
    async with running_app(make_app, run_scheduler=True, smtp_url=smtp_server.url) as client:
        await wait_for(every_due_period_sent(sub))
        assert client.app.state.digest_scheduler.scheduler.running
    sent = await _count_sent()
    assert sent >= 1 and len(smtp_server.messages) == sent


async def _count_sent() -> int:
    return await DigestRun.count().where(DigestRun.state == "sent")


def _portal(settings, smtp_url: str, *args: str, **env: str) -> subprocess.Popen:
    env = {**server_env(settings, PORTAL_SMTP_URL=smtp_url), **env}
    return subprocess.Popen([sys.executable, "-m", "portal", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _until_running(scheduler: subprocess.Popen) -> None:
    """Read a scheduler's log (at INFO) until it says it runs: its signal handlers are in place by then."""
    for line in scheduler.stderr:
        if "digest scheduler running" in line:
            return
    raise AssertionError("the scheduler stopped before it ran")


async def test_two_run_due_processes_at_once_send_each_digest_once(mail_settings, smtp_server):
    await due_subscription()
    processes = [_portal(mail_settings, smtp_server.url, "digests", "run-due") for _ in range(2)]
    outputs = [await asyncio.to_thread(p.communicate, timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    runs = await DigestRun.select(DigestRun.period_start, DigestRun.state)
    assert runs and all(r["state"] == "sent" for r in runs)
    assert len(smtp_server.messages) == len(runs)  # one e-mail per period, whichever process won
    assert len({m["Message-ID"] for m in smtp_server.messages}) == len(runs)


async def test_scheduler_process_sends_then_a_restart_sends_nothing_again(mail_settings, smtp_server):
    sub = await due_subscription()
    first = _portal(mail_settings, smtp_server.url, "scheduler")
    try:
        await wait_for(every_due_period_sent(sub), seconds=30)
    finally:
        first.send_signal(signal.SIGTERM)
        await asyncio.to_thread(first.communicate, timeout=20)
    assert first.returncode == 0
    sent = len(smtp_server.messages)
    # The restart: catch-up finds nothing missing. Its start is awaited, however long a busy machine takes.
    second = _portal(mail_settings, smtp_server.url, "scheduler", PORTAL_LOG_LEVEL="INFO")
    await asyncio.to_thread(_until_running, second)
    await asyncio.sleep(4)
    second.send_signal(signal.SIGTERM)
    await asyncio.to_thread(second.communicate, timeout=20)
    assert second.returncode == 0 and len(smtp_server.messages) == sent == await _count_sent()
