"""The daily reminder of overdue items: through a real SMTP server, once per person and working day, in their language."""

import dataclasses
import datetime as dt

from portal.review.reminders import send_overdue_reminders
from portal.store.core.tables import Feedback, StaffUser
from portal.store.workspace.tables import OverdueReminder
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff

UTC = dt.timezone.utc
TUESDAY_9H_PARIS = dt.datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


async def _late(service, due: dt.datetime, **values) -> int:
    submitted = await create_feedback(service, text="Toujours pas de nouvelles de mon dossier.")
    await Feedback.update({Feedback.due_at: due, **{getattr(Feedback, k): v for k, v in values.items()}}).where(
        Feedback.id == submitted.feedback_id)
    return submitted.feedback_id


async def test_each_person_with_overdue_items_gets_one_reminder_a_day_in_their_language(db, smtp_server):
    settings = dataclasses.replace(db, smtp_url=smtp_server.url, base_url="https://avis.example.fr")
    service = await create_service()
    french = await create_staff("agent", services=[service], name="Alice Martin")
    english = await create_staff("agent", services=[service], name="Bob Smith")
    idle = await create_staff("agent", services=[service], name="Chloé Durand")
    await StaffUser.update({StaffUser.language: "en"}).where(StaffUser.id == english["id"])
    await StaffUser.update({StaffUser.language: "fr"}).where(StaffUser.id.is_in([french["id"], idle["id"]]))
    yesterday = TUESDAY_9H_PARIS - dt.timedelta(days=1)
    await _late(service, yesterday, assigned_staff=french["id"])
    await _late(service, yesterday, assigned_staff=french["id"])
    await _late(service, yesterday, assigned_staff=french["id"], status="closed")  # closed: not late any more
    await _late(service, TUESDAY_9H_PARIS + dt.timedelta(days=2), assigned_staff=english["id"])  # not due yet
    await _late(service, yesterday, assigned_service=service["id"])  # the team's: each of its people is told
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == idle["id"])  # but not a closed account

    # Before PORTAL_REMINDER_TIME (08:00 in Paris), nothing.
    early = await send_overdue_reminders(settings, now=TUESDAY_9H_PARIS - dt.timedelta(hours=2))
    assert early.sent == [] and smtp_server.messages == []

    report = await send_overdue_reminders(settings, now=TUESDAY_9H_PARIS)
    assert sorted(report.sent) == sorted([french["id"], english["id"]])
    by_recipient = {m["To"]: m for m in smtp_server.messages}
    assert set(by_recipient) == {french["email"], english["email"]}
    fr, en = by_recipient[french["email"]], by_recipient[english["email"]]
    assert fr["Subject"] == "Guichet : 3 avis en retard"
    body = fr.get_content()
    assert "Bonjour Alice Martin," in body and "3 avis qui vous sont attribués, à vous ou à votre équipe, ont dépassé" in body
    assert "https://avis.example.fr/staff/inbox?view=overdue" in body
    assert en["Subject"] == "Guichet: 1 overdue feedback item"
    assert "1 feedback item assigned to you or to your team is past its due date." in en.get_content()
    assert "GCH-" not in body + en.get_content()  # no tracking reference in an e-mail

    # A second pass the same day, and a third an hour later: nothing more.
    again = await send_overdue_reminders(settings, now=TUESDAY_9H_PARIS + dt.timedelta(minutes=5))
    later = await send_overdue_reminders(settings, now=TUESDAY_9H_PARIS + dt.timedelta(hours=1))
    assert again.sent == later.sent == [] and len(smtp_server.messages) == 2
    rows = await OverdueReminder.select(OverdueReminder.staff_user, OverdueReminder.day, OverdueReminder.state,
                                        OverdueReminder.items).order_by(OverdueReminder.staff_user)
    assert rows == [{"staff_user": french["id"], "day": "2026-12-01", "state": "sent", "items": 3},
                    {"staff_user": english["id"], "day": "2026-12-01", "state": "sent", "items": 1}]

    # The next day, again; on Saturday, not (not a working day).
    await send_overdue_reminders(settings, now=TUESDAY_9H_PARIS + dt.timedelta(days=1))
    assert len(smtp_server.messages) == 4
    await send_overdue_reminders(settings, now=TUESDAY_9H_PARIS + dt.timedelta(days=4))
    assert len(smtp_server.messages) == 4


async def test_a_refused_reminder_is_tried_again_the_same_day_and_still_sent_once(db, smtp_server):
    settings = dataclasses.replace(db, smtp_url=smtp_server.url)
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    await _late(service, TUESDAY_9H_PARIS - dt.timedelta(days=1), assigned_staff=agent["id"])
    smtp_server.refuse_next(3)  # every attempt of the first pass

    first = await send_overdue_reminders(settings, now=TUESDAY_9H_PARIS)
    assert first.retrying == [agent["id"]] and smtp_server.messages == []
    # Too soon to retry: still nothing, and the claim is not taken twice.
    assert (await send_overdue_reminders(settings, now=TUESDAY_9H_PARIS + dt.timedelta(minutes=5))).sent == []
    retried = await send_overdue_reminders(settings, now=TUESDAY_9H_PARIS + dt.timedelta(minutes=31))
    assert retried.sent == [agent["id"]] and len(smtp_server.messages) == 1
    assert (await send_overdue_reminders(settings, now=TUESDAY_9H_PARIS + dt.timedelta(hours=2))).sent == []
    assert len(smtp_server.messages) == 1


async def test_without_an_smtp_server_the_reminder_fails_for_the_day_and_nothing_breaks(db):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    await _late(service, TUESDAY_9H_PARIS - dt.timedelta(days=1), assigned_staff=agent["id"])
    report = await send_overdue_reminders(dataclasses.replace(db, smtp_url=""), now=TUESDAY_9H_PARIS)
    assert report.failed == [agent["id"]]
    row = await OverdueReminder.select(OverdueReminder.state, OverdueReminder.last_error).first()
    assert row["state"] == "failed" and "PORTAL_SMTP_URL" in row["last_error"]
