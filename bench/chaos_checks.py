"""What the chaos bench puts in the database before the load, and what it checks there afterwards."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from zoneinfo import ZoneInfo

from portal.settings import Settings

ZONE = "Europe/Paris"
STAFF_PASSWORD = "chaos bench staff password"
LEASE_MARGIN = 15  # longer than the bench workers' lease (10 s): their dead claims are taken over before this


async def prepare(settings: Settings, kiosks: int, digests: int, load_seconds: float) -> dict:
    """Migrate; one service and office, kiosk enrolment codes, a staff agent, owners with daily digests.

    Half the subscriptions have a digest already due (the schedulers' catch-up at start sends it);
    the other half become due at the next minute boundary inside the load, when it falls there
    (each scheduler's cron job for the subscription fires then).
    """
    from counters.devices import enrol_device
    from portal.review.accounts import create_user
    from portal.store.core.tables import Office, OfficeService, Service
    from portal.store.engine import open_store
    from portal.store.migrate import apply_migrations
    from portal.store.subscriptions import add_subscription

    await apply_migrations(settings)
    async with open_store(settings):
        service = Service(code="chaos-accueil", name_fr="Accueil", name_en="Welcome", description_fr="", description_en="",
                          owner_emails="")
        await service.save()
        office = Office(code="chaos-office", name="Bureau sous charge", address="", opening_hours="")
        await office.save()
        await OfficeService(office=office.id, service=service.id).save()
        codes = [(await enrol_device(settings.secret_key, "chaos-office", name=f"kiosk {i + 1}")).code for i in range(kiosks)]
        await create_user("agent@chaos.example.gouv.fr", "Agent", "agent", STAFF_PASSWORD, services=["chaos-accueil"])
        now = dt.datetime.now(dt.timezone.utc)
        local = now.astimezone(ZoneInfo(ZONE))
        boundary = (local + dt.timedelta(seconds=63)).replace(second=0, microsecond=0)  # the next minute, >= 3 s away
        during = boundary.date() == local.date() and (boundary - local).total_seconds() < load_seconds - 5
        yesterday = dt.datetime.combine(local.date() - dt.timedelta(days=1), dt.time(0, 30), tzinfo=ZoneInfo(ZONE))
        for i in range(digests):
            email = f"owner{i + 1}@chaos.example.gouv.fr"
            await create_user(email, f"Owner {i + 1}", "owner", None, services=["chaos-accueil"])
            if i % 2 == 0 or not during:  # due since this morning: yesterday's and the day before's periods
                created, send_time = now - dt.timedelta(days=2), "00:00"
            else:  # yesterday's period becomes due at the boundary, during the load
                created, send_time = yesterday.astimezone(dt.timezone.utc), boundary.strftime("%H:%M")
            await add_subscription(owner_email=email, services=["chaos-accueil"], frequency="daily", weekday=0,
                                   send_time=send_time, time_zone=ZONE, language="fr", now=created)
    return {"service": "chaos-accueil", "enrolment_codes": codes, "staff_email": "agent@chaos.example.gouv.fr",
            "staff_password": STAFF_PASSWORD, "digest_boundary": boundary.isoformat() if during else None}


async def wait_for_classification(settings: Settings, timeout: float, wait_out_leases: bool = False) -> float:
    """Wait until no feedback waits for a label, or only claims held still by a killed process (the embedded
    worker's lease, 120 s, outlasts a short run) unless `wait_out_leases`; seconds waited."""
    from portal.store.core.tables import Feedback
    from portal.store.engine import open_store

    started = time.monotonic()
    async with open_store(settings):
        held, still = None, 0  # claims unchanged this many seconds, with nothing pending: a dead process's, waiting
        while time.monotonic() - started < timeout:
            if not await Feedback.count().where(Feedback.classify_state != "done"):
                break
            claimed = await Feedback.select(Feedback.id).where(Feedback.classify_state == "claimed")
            pending = await Feedback.count().where(Feedback.classify_state == "pending")
            ids = {r["id"] for r in claimed}
            still = still + 1 if ids == held and not pending else 0
            held = ids
            if not wait_out_leases and still >= 8 and time.monotonic() - started > 2 * LEASE_MARGIN:
                break
            await asyncio.sleep(1)
    return time.monotonic() - started


async def wait_for_digests(settings: Settings, timeout: float) -> None:
    """Wait until every due digest has a run that is no longer held by a live claim."""
    from portal.digests.periods import due_periods
    from portal.store.digests.tables import DigestRun
    from portal.store.engine import open_store
    from portal.store.subscriptions import list_subscriptions

    started = time.monotonic()
    async with open_store(settings):
        while time.monotonic() - started < timeout:
            now = dt.datetime.now(dt.timezone.utc)
            due = sum(len(due_periods(s, now)) for s in await list_subscriptions(active_only=True))
            if await DigestRun.count().where(DigestRun.state == "sent") >= due:
                return
            await asyncio.sleep(1)


async def recover_stranded_digests(settings: Settings, smtp_url: str) -> int:
    """A digest claimed by a killed scheduler waits for its claim's lease (15 min) to run out: one pass as if
    that time had passed, as the next sweep would; how many it sent."""
    from portal.digests.runs import DeliveryPolicy, run_due
    from portal.store.engine import open_store

    later = dt.datetime.now(dt.timezone.utc) + DeliveryPolicy().lease + dt.timedelta(minutes=1)
    async with open_store(dataclasses.replace(settings, smtp_url=smtp_url)):
        report = await run_due(dataclasses.replace(settings, smtp_url=smtp_url), now=later)
    return len(report.sent)


async def check(settings: Settings, acknowledged: dict, kiosk: dict, message_ids: list[str]) -> dict:
    """Every acknowledged feedback and kiosk entry stored once, every item labelled once, every due digest sent once."""
    from portal.digests.periods import due_periods
    from portal.store.core.tables import Classification, Feedback
    from portal.store.digests.tables import DigestRun
    from portal.store.engine import open_store
    from portal.store.subscriptions import list_subscriptions

    async with open_store(settings):
        rows = await Feedback.select(Feedback.id, Feedback.reference, Feedback.source, Feedback.idempotency_key,
                                     Feedback.text, Feedback.classify_state)
        per_key: dict[tuple[str, str], list[dict]] = {}
        for r in rows:
            if r["idempotency_key"]:
                kind = "kiosk" if r["source"].startswith("kiosk:") else r["source"]
                per_key.setdefault((kind, r["idempotency_key"]), []).append(r)
        by_reference = {r["reference"]: r for r in rows}
        lost = [k for k, ref in acknowledged.items() if ref not in by_reference]
        wrong = [k for k, ref in acknowledged.items() if ref in by_reference and by_reference[ref]["idempotency_key"] != k[1]]
        kiosk_lost = [u for u, ref in kiosk.items() if ref not in by_reference or len(per_key.get(("kiosk", u), ())) == 0]
        labels = await Classification.raw("SELECT feedback, COUNT(*) AS n FROM classification GROUP BY feedback")
        labelled = {r["feedback"]: int(r["n"]) for r in labels}
        now = dt.datetime.now(dt.timezone.utc)
        due = {(s["id"], p.start) for s in await list_subscriptions(active_only=True) for p in due_periods(s, now)}
        runs = await DigestRun.select(DigestRun.subscription, DigestRun.period_start, DigestRun.state, DigestRun.message_id)
    sent_runs = {(r["subscription"], r["period_start"].astimezone(dt.timezone.utc)): r for r in runs if r["state"] == "sent"}
    digest_ids = [m for m in message_ids if m.startswith("<digest-")]
    received = {m: digest_ids.count(m) for m in set(digest_ids)}
    due_received = [received.get(sent_runs[d]["message_id"], 0) if d in sent_runs else 0 for d in due]
    return {
        "feedback acknowledged": len(acknowledged),
        "feedback stored": sum(1 for k in acknowledged if k in per_key),
        "feedback lost": len(lost) + len(wrong),
        "feedback duplicated": sum(len(v) - 1 for k, v in per_key.items() if k[0] != "kiosk" and len(v) > 1),
        "kiosk UUIDs acknowledged": len(kiosk),
        "kiosk UUIDs lost": len(kiosk_lost),
        "kiosk UUIDs duplicated": sum(len(v) - 1 for k, v in per_key.items() if k[0] == "kiosk" and len(v) > 1),
        "items stored": len(rows),
        "items with words to classify": sum(1 for r in rows if r["text"]),
        "items classified once": sum(1 for r in rows if r["text"] and labelled.get(r["id"]) == 1),
        "items classified twice or more": sum(1 for n in labelled.values() if n > 1),
        "items not classified": sum(1 for r in rows if r["text"] and r["id"] not in labelled),
        "items held by a killed worker's claim": sum(1 for r in rows if r["classify_state"] == "claimed"),
        "rating-only items classified": sum(1 for r in rows if not r["text"] and r["id"] in labelled),
        "digests due": len(due),
        "digests sent once": sum(1 for n in due_received if n == 1),
        "digests not sent": sum(1 for n in due_received if n == 0),
        # A scheduler killed after the SMTP server accepted a digest and before it was recorded sends it
        # again once the claim's lease ends, under the same Message-ID (mail programs show it once).
        "digests re-sent after a crash, same Message-ID": sum(n - 1 for n in received.values() if n > 1),
        "digests sent under another Message-ID": sum(1 for m in received if m not in {r["message_id"] for r in sent_runs.values()}),
        "lost examples": [f"{k[0]} {ref}" for k, ref in acknowledged.items() if k in lost][:5],
    }
