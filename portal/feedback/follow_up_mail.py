"""The e-mails of citizen follow-up: written in the person's language, sent from the outbox, retried later on failure."""

from __future__ import annotations

import datetime as dt
import logging
from email.message import EmailMessage
from email.utils import make_msgid

from portal.feedback.follow_up import UTC, stop_url
from portal.feedback.tracking import private_url
from portal.settings import Settings
from portal.store import follow_up as store
from portal.store.answer_mail import FAILED, NOT_ASKED, QUEUED, SENT, set_answer_mail
from portal.store.follow_up import ANSWER, RESOLVED, STATUS, MailClaim
from portal.web.i18n import N_, translations
from portal.web.mail import MailError, send_email

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)  # a sender that died mid-send leaves its e-mails to be claimed again then
MAX_ATTEMPTS = 8  # about a day and a half of retries (1, 2, 4, ... 128 minutes, then 6 hours)
# No reference and no personal data in a subject: subjects show on lock screens and in shared mailboxes.
SUBJECTS = {
    ANSWER: N_("Réponse à votre avis"),
    STATUS: N_("Votre avis a avancé"),
    RESOLVED: N_("Le problème est-il résolu ?"),
}
STATUS_WORDS = {
    "received": N_("reçu, en attente d'examen"),
    "in_review": N_("en cours d'examen"),
    "answered": N_("le service a répondu"),
    "closed": N_("clos"),
}


def language_of(row: dict) -> str:
    """The language of the pages the person wrote from; else the language of their text, French by default."""
    if row.get("contact_language") in ("fr", "en"):
        return row["contact_language"]
    return "en" if row.get("language") == "en" else "fr"


def build_message(settings: Settings, kind: str, row: dict) -> EmailMessage:
    """One follow-up e-mail to the person behind `row` (read from the store when it is sent)."""
    lang = language_of(row)
    t = translations(lang)
    link = private_url(settings.base_url, settings.secret_key, row["reference"])
    stop = stop_url(settings, row["id"])
    service = row["service_name_en"] if lang == "en" and row["service_name_en"] else row["service_name_fr"]
    day = row["received_at"].strftime("%d/%m/%Y")
    lines = [t.gettext("Bonjour,"), ""]
    if kind == ANSWER:
        lines += [t.gettext("Le service « %(service)s » a répondu à votre avis du %(date)s :") % {"service": service, "date": day},
                  "", row["public_answer"], "",
                  t.gettext("Votre message et cette réponse, sur votre page de suivi privée (ne transférez pas ce lien) :"),
                  link]
    elif kind == RESOLVED:
        lines += [t.gettext("Le service « %(service)s » a répondu à votre avis du %(date)s. Le problème est-il résolu ?")
                  % {"service": service, "date": day}, "",
                  t.gettext("Répondez en un clic sur votre page de suivi privée (oui, en partie ou non ; ne transférez pas ce lien) :"),
                  f"{link}#resolved", "",
                  t.gettext("Si vous répondez « non », le service reprend l'examen de votre avis.")]
    else:
        status = t.gettext(STATUS_WORDS.get(row["status"], STATUS_WORDS["received"]))
        lines += [t.gettext("Votre avis du %(date)s sur le service « %(service)s » a changé d'état : %(status)s.")
                  % {"date": day, "service": service, "status": status}, "",
                  t.gettext("Votre page de suivi privée (ne transférez pas ce lien) :"), link]
    lines += ["", t.gettext("Votre référence, pour le téléphone ou le guichet : %(ref)s") % {"ref": row["reference"]}, "",
              t.gettext("Vous recevez ce message parce que vous avez accepté d'être recontacté au sujet de cet avis."),
              t.gettext("Ne plus recevoir d'e-mails au sujet de cet avis, en un clic :"), stop]
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row["contact_email"]
    message["Subject"] = t.gettext(SUBJECTS[kind])
    message["Message-ID"] = make_msgid(domain="guichet")
    message["Content-Language"] = lang
    # RFC 8058 one-click: mail clients POST to this address, without cookies; the signature authorises it.
    message["List-Unsubscribe"] = f"<{stop}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("\n".join(lines))
    return message


def _retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2 ** (attempts - 1), 360))


async def deliver_pending(settings: Settings, now: dt.datetime | None = None, limit: int = 50) -> dict[str, int]:
    """The sender: claim what is due, send each once, retry later what a server refused for now. Safe to run twice."""
    counts = {"sent": 0, "retry": 0, "failed": 0, "dropped": 0}
    if not settings.smtp_url:
        return counts
    now = now or dt.datetime.now(UTC)
    for claim in await store.claim_due(now, LEASE, limit):
        counts[await _deliver(settings, claim, now)] += 1
    return counts


async def _deliver(settings: Settings, claim: MailClaim, now: dt.datetime) -> str:
    row = await store.mail_content(claim.feedback_id)
    # Read again at sending time: the person may have stopped the e-mails since this one was queued.
    if row is None or row["follow_up_stopped"] or not row["contact_consent"] or not row["contact_email"]:
        await store.finish_mail(claim, "dropped", now, "no longer to be sent")
        await _answer_state(claim, NOT_ASKED)
        return "dropped"
    if claim.kind == RESOLVED and row["resolved"]:
        await store.finish_mail(claim, "dropped", now, "already answered")
        return "dropped"
    try:
        # One attempt here: the outbox retries, so a slow server never holds the sender for long.
        await send_email(settings, build_message(settings, claim.kind, row), attempts=1)
    except MailError as exc:
        # The log names the feedback by id only: never its reference or the person's address.
        if exc.temporary and claim.attempts < MAX_ATTEMPTS:
            log.warning("follow-up e-mail %s for feedback %s not sent yet (attempt %d): %s",
                        claim.kind, claim.feedback_id, claim.attempts, type(exc).__name__)
            await store.retry_mail(claim, str(exc), now + _retry_delay(claim.attempts))
            await _answer_state(claim, QUEUED, _for_staff(exc, row))
            return "retry"
        log.warning("follow-up e-mail %s for feedback %s given up after %d attempts", claim.kind, claim.feedback_id,
                    claim.attempts)
        await store.finish_mail(claim, "failed", now, str(exc))
        await _answer_state(claim, FAILED, _for_staff(exc, row))
        return "failed"
    await store.finish_mail(claim, "sent", dt.datetime.now(UTC))
    await _answer_state(claim, SENT)
    return "sent"


async def _answer_state(claim: MailClaim, state: str, reason: str = "") -> None:
    """What the agent reads on the item page about the answer's e-mail (answers only)."""
    if claim.kind == ANSWER:
        await set_answer_mail(claim.feedback_id, state, reason)


def _for_staff(exc: MailError, row: dict) -> str:
    # The server's reason for the agent; it may quote the address, which is left out (logs get neither).
    return str(exc).replace(row["contact_email"], "…") or exc.__class__.__name__
