"""The scheduler: APScheduler 3 jobs in one table (digests from the stored subscriptions, citizen follow-up)."""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from portal.digests.periods import WEEKDAYS
from portal.feedback import follow_up
from portal.feedback.follow_up import queue_resolved_questions
from portal.feedback.follow_up_mail import deliver_pending
from portal.digests.runs import run_due
from portal.process import command_function, stop_event_on_signals
from portal.review.reminders import send_overdue_reminders
from portal.settings import Settings
from portal.store.engine import open_store
from portal.store.subscriptions import fingerprint, list_subscriptions

log = logging.getLogger(__name__)
SWEEP_MINUTES = 5  # retries, stale claims and missed periods are picked up this often
WATCH_SECONDS = 60  # how soon a subscription added from the command line gets its job
SEND_SECONDS = 60  # the citizens' outbox is emptied this often (and at once when this process queues)
QUESTION_MINUTES = 15  # how often answered items are checked for a due "is it resolved?"
FOLLOW_UP_SEND = "follow-up:send"
FIXED_JOBS = 5  # the entries of cron_table before the subscriptions' own (and the root's extra jobs)


@dataclass(frozen=True)
class CronEntry:
    id: str
    func: Callable[..., Any]
    trigger: Any
    kwargs: dict = field(default_factory=dict)


# A job the composition root adds (the daily open-data export): (id, function or "module:function" taking the
# settings, minutes between runs). The job itself makes a second run harmless (it claims its day in the store).
ExtraJob = tuple[str, "Callable[..., Any] | str", int]


def cron_table(settings: Settings, subscriptions: list[dict], watch: Callable[[], Any],
               extra_jobs: tuple[ExtraJob, ...] = ()) -> list[CronEntry]:
    """Every job the scheduler runs, in one place."""
    table = [
        CronEntry("digests:sweep", run_due, IntervalTrigger(minutes=SWEEP_MINUTES), {"settings": settings}),
        CronEntry("digests:watch-subscriptions", watch, IntervalTrigger(seconds=WATCH_SECONDS)),
        CronEntry(FOLLOW_UP_SEND, deliver_pending, IntervalTrigger(seconds=SEND_SECONDS), {"settings": settings}),
        CronEntry("follow-up:resolved-questions", queue_resolved_questions, IntervalTrigger(minutes=QUESTION_MINUTES),
                  {"settings": settings}),
        # Each working day's reminder of overdue items, from PORTAL_REMINDER_TIME: every sweep tries, the store's
        # (person, day) row lets one send through.
        CronEntry("review:overdue-reminders", send_overdue_reminders, IntervalTrigger(minutes=SWEEP_MINUTES),
                  {"settings": settings}),
        *(CronEntry(job_id, command_function(func), IntervalTrigger(minutes=minutes), {"settings": settings})
          for job_id, func, minutes in extra_jobs),
    ]
    for s in subscriptions:
        hour, minute = (int(x) for x in s["send_time"].split(":"))
        when = {"hour": hour, "minute": minute, "timezone": s["time_zone"]}
        if s["frequency"] == "weekly":
            when["day_of_week"] = WEEKDAYS[s["weekday"]]
        elif s["frequency"] == "monthly":
            when["day"] = 1
        table.append(CronEntry(f"digest:{s['id']}", run_due, CronTrigger(**when),
                               {"settings": settings, "subscription_ids": [s["id"]]}))
    return table


class DigestScheduler:
    """Owns one AsyncIOScheduler; rebuilds the subscription jobs when the subscriptions change."""

    def __init__(self, settings: Settings, extra_jobs: tuple[ExtraJob, ...] = ()):
        self.settings = settings
        self.extra_jobs = extra_jobs
        self.scheduler = AsyncIOScheduler(job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 3600})
        self.seen: tuple | None = None

    async def start(self) -> None:
        await self.rebuild()
        self.scheduler.start()
        follow_up.when_mail_queued(self.wake_sender)
        # Catch-up at start: periods missed while nothing was running are sent now.
        self.scheduler.add_job(run_due, kwargs={"settings": self.settings}, id="digests:catch-up", max_instances=1)
        for job_id, func, _minutes in self.extra_jobs:
            # Also once at start: a day missed while nothing was running is done now.
            self.scheduler.add_job(command_function(func), kwargs={"settings": self.settings}, id=f"{job_id}:catch-up",
                                   max_instances=1)

    async def rebuild(self) -> None:
        self.seen = await fingerprint()
        subscriptions = await list_subscriptions(active_only=True)
        table = cron_table(self.settings, subscriptions, self.watch, self.extra_jobs)
        wanted = {entry.id for entry in table}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted and not job.id.endswith(":catch-up"):
                job.remove()
        for entry in table:
            self.scheduler.add_job(entry.func, entry.trigger, kwargs=entry.kwargs, id=entry.id, replace_existing=True,
                                   max_instances=1, coalesce=True)
        log.info("digest scheduler: %d subscription jobs", len(table) - FIXED_JOBS - len(self.extra_jobs))

    def wake_sender(self) -> None:
        """Run the citizens' outbox now (e-mails were just queued in this process)."""
        job = self.scheduler.get_job(FOLLOW_UP_SEND)
        if job is not None and self.scheduler.running:
            job.modify(next_run_time=dt.datetime.now(dt.timezone.utc))

    async def watch(self) -> None:
        if await fingerprint() != self.seen:
            await self.rebuild()

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self.scheduler.get_jobs())

    def shutdown(self) -> None:
        follow_up.when_mail_queued(lambda: None)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


def scheduler_lifespan(settings: Settings, extra_jobs: tuple[ExtraJob, ...] = ()):
    """For the app's lifespan list: runs the scheduler in-process when PORTAL_RUN_SCHEDULER is true."""

    @asynccontextmanager
    async def lifespan(app) -> AsyncIterator[None]:
        if not settings.run_scheduler:
            yield
            return
        digests = DigestScheduler(settings, extra_jobs)
        await digests.start()
        app.state.digest_scheduler = digests
        try:
            yield
        finally:
            digests.shutdown()

    return lifespan


async def run_scheduler_process(settings: Settings, extra_jobs: tuple[ExtraJob, ...] = ()) -> None:
    """`portal scheduler`: the scheduler alone, until SIGTERM or SIGINT."""
    async with open_store(settings):
        stop = stop_event_on_signals()
        digests = DigestScheduler(settings, extra_jobs)
        try:
            await digests.start()
            log.info("digest scheduler running; jobs: %s", ", ".join(digests.job_ids()))
            await stop.wait()
        finally:
            digests.shutdown()
