"""The daily reminder of overdue items: one e-mail per person and working day, in their language, linking to the "overdue" view."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

from portal.review.assignment import is_working_day
from portal.settings import Settings
from portal.store.assignment import (
    claim_reminder,
    finish_reminder,
    overdue_counts,
    reminder_recipients,
    reminders_done,
)
from portal.web.formats import portal_zone
from portal.web.i18n import translations
from portal.web.mail import MailError, send_email

log = logging.getLogger(__name__)
UTC = dt.timezone.utc
LEASE = dt.timedelta(minutes=15)  # a claim older than this is presumed dead (its process crashed)
RETRY_AFTER = dt.timedelta(minutes=30)
MAX_ATTEMPTS = 4


@dataclass
class ReminderReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def reminder_day(settings: Settings, now: dt.datetime) -> str | None:
    """The local day whose reminders are due at `now`: a working day, from PORTAL_REMINDER_TIME on; else None."""
    local = now.astimezone(portal_zone(settings.time_zone))
    hour, minute = (int(x) for x in settings.reminder_time.split(":"))
    if not is_working_day(local.date(), settings) or (local.hour, local.minute) < (hour, minute):
        return None
    return local.date().isoformat()


def overdue_link(settings: Settings) -> str:
    return f"{settings.base_url.rstrip('/')}/staff/inbox?view=overdue"


def reminder_message(settings: Settings, person: dict, count: int) -> EmailMessage:
    """The reminder in the person's language (French when they chose none): how many, and the link. No reference:
    a reference is a secret, and e-mails are read on lock screens and in shared mailboxes."""
    t = translations(person["language"] if person["language"] in ("fr", "en") else "fr")
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = person["email"]
    message["Subject"] = t.ngettext("Guichet : %(num)s avis en retard", "Guichet : %(num)s avis en retard", count) % {"num": count}
    message["Message-ID"] = make_msgid(domain="guichet")
    message.set_content("\n".join([
        t.gettext("Bonjour %(name)s,") % {"name": person["name"] or person["email"]},
        "",
        t.ngettext("%(num)s avis qui vous est attribué, à vous ou à votre équipe, a dépassé son échéance.",
                   "%(num)s avis qui vous sont attribués, à vous ou à votre équipe, ont dépassé leur échéance.", count)
        % {"num": count},
        "",
        t.gettext("Les voir dans la boîte de réception (vue « En retard ») :"),
        overdue_link(settings),
        "",
        t.gettext("Ce rappel est envoyé une fois par jour ouvré tant que des avis sont en retard."),
    ]))
    return message


async def send_overdue_reminders(settings: Settings, now: dt.datetime | None = None) -> ReminderReport:
    """One idempotent pass: each person with overdue items gets today's reminder once (claimed in the store first),
    whoever runs the pass and however often; a failed send is retried a few times the same day."""
    now = now or dt.datetime.now(UTC)
    report = ReminderReport()
    day = reminder_day(settings, now)
    if day is None:
        return report
    counts = await overdue_counts(now)
    done = await reminders_done(day)
    for person in await reminder_recipients([s for s in counts if s not in done]):
        claim = await claim_reminder(person["id"], day, now, LEASE)
        if claim is None:
            continue
        try:
            await send_email(settings, reminder_message(settings, person, counts[person["id"]]))
        except MailError as exc:
            final = not exc.temporary or claim.attempts >= MAX_ATTEMPTS
            # The server's reason may quote the address: kept without it, and the log names the kind only.
            await finish_reminder(claim, state="failed" if final else "claimed", error=str(exc).replace(person["email"], "…"),
                                  retry_at=None if final else now + RETRY_AFTER)
            (report.failed if final else report.retrying).append(person["id"])
            log.warning("overdue reminder to staff %s not sent: %s", person["id"], type(exc).__name__)
            continue
        await finish_reminder(claim, state="sent", items=counts[person["id"]], now=dt.datetime.now(UTC))
        report.sent.append(person["id"])
    return report
