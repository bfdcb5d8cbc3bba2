"""The status workflow, public answers (e-mailed when the citizen agreed) and answer templates."""

from __future__ import annotations

import datetime as dt
import logging
from email.message import EmailMessage
from email.utils import make_msgid

from portal.feedback.tracking import private_url
from portal.review import audit
from portal.review.access import can_manage_templates
from portal.settings import Settings
from portal.store.answer_mail import (
    NO_SMTP,
    NOT_ASKED,
    QUEUED,
    RETRY_STATES,
    SENT,
    FAILED,
    answer_mail_of,
    set_answer_mail,
)
from portal.store.feedback import answer_recipient
from portal.store.publications import add_template, templates_of, update_template
from portal.store.status import mark_answered, set_status
from portal.web.i18n import _, translations
from portal.web.mail import MailError, send_email

log = logging.getLogger(__name__)

MAX_ANSWER = 4000


class AnswerError(ValueError):
    """The answer or move is refused; the message is for the person."""


class TemplateNotFound(AnswerError):
    """No template of this service has that id (it may belong to another service)."""


async def change_status(staff: dict, item: dict, status: str, client: str = "") -> None:
    """Move one feedback to `status` along the store's moves table; the move and its audit row commit together."""
    if await set_status(item["id"], status, staff, client=client) is None:
        raise AnswerError(_("Ce changement de statut n'est pas possible."))


async def answer(staff: dict, item: dict, text: str, settings: Settings, client: str = "",
                 detail: dict | None = None) -> str:
    """Store the public answer, mark it answered, e-mail the citizen if they agreed; returns the e-mail state."""
    text = text.strip()
    if not text:
        raise AnswerError(_("Écrivez une réponse."))
    if len(text) > MAX_ANSWER:
        raise AnswerError(_("La réponse dépasse %(max)s caractères.") % {"max": MAX_ANSWER})
    now = dt.datetime.now(dt.timezone.utc)
    await mark_answered(item["id"], text, now)
    state = await mail_answer(settings, item["id"], text)
    await audit.record("answer", staff, feedback_id=item["id"], service_id=item["service"], client=client,
                       detail={"emailed": state == SENT, "email_state": state, "length": len(text), **(detail or {})})
    return state


async def retry_answer_mail(staff: dict, item: dict, settings: Settings, client: str = "") -> str:
    """Send the stored answer's e-mail again (after a failure, or once e-mail is set up); returns the new state."""
    row = await answer_mail_of(item["id"])
    if not row or not row["public_answer"]:
        raise AnswerError(_("Cet avis n’a pas encore de réponse à envoyer."))
    if row["answer_mail_state"] not in RETRY_STATES:
        raise AnswerError(_("Il n’y a pas d’e-mail à renvoyer pour cette réponse."))
    state = await mail_answer(settings, item["id"], row["public_answer"])
    await audit.record("retry_answer_mail", staff, feedback_id=item["id"], service_id=item["service"], client=client,
                       detail={"email_state": state})
    return state


async def mail_answer(settings: Settings, feedback_id: int, text: str) -> str:
    """E-mail the answer when the citizen agreed, recording each step's state; returns the final state."""
    row = await answer_recipient(feedback_id)
    if not (row["contact_email"] and row["contact_consent"]):
        await set_answer_mail(feedback_id, NOT_ASKED)
        return NOT_ASKED
    if not settings.smtp_url:
        await set_answer_mail(feedback_id, NO_SMTP)
        return NO_SMTP
    await set_answer_mail(feedback_id, QUEUED)
    try:
        await send_email(settings, _answer_message(settings, row, text))
    except MailError as exc:
        # The answer is saved and shown on the tracking page either way; the agent sees why no e-mail left.
        # The reason never carries the address (the server may quote it): staff see it, logs do not.
        reason = str(exc).replace(row["contact_email"], "…") or exc.__class__.__name__
        log.warning("answer to feedback %s not e-mailed (%s)", feedback_id, "temporary" if exc.temporary else "refused")
        await set_answer_mail(feedback_id, FAILED, reason)
        return FAILED
    await set_answer_mail(feedback_id, SENT)
    return SENT


def _answer_message(settings: Settings, row: dict, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row["contact_email"]
    # No reference in the subject: subjects show on lock screens and in shared mailboxes' lists.
    # Both languages, French first, as the body below.
    message["Subject"] = " – ".join(translations(lang).gettext("Réponse à votre avis") for lang in ("fr", "en"))
    message["Message-ID"] = make_msgid(domain="guichet")
    link = private_url(settings.base_url, settings.secret_key, row["reference"])
    # We do not know which language the person reads: both, theirs first when their text was English.
    languages = ("en", "fr") if row["language"] == "en" else ("fr", "en")
    message.set_content("\n\n-----\n\n".join(_answer_body(lang, row, text, link) for lang in languages))
    return message


def _answer_body(lang: str, row: dict, text: str, link: str) -> str:
    t = translations(lang)
    service = row["service_name_en"] if lang == "en" and row["service_name_en"] else row["service_name_fr"]
    return "\n".join([
        t.gettext("Bonjour,"),
        "",
        t.gettext("Le service « %(service)s » a répondu à votre avis du %(date)s :") % {
            "service": service, "date": row["received_at"].strftime("%d/%m/%Y")},
        "",
        text,
        "",
        t.gettext("Votre message et cette réponse, sur votre page de suivi privée (ne transférez pas ce lien) :"),
        link,
        "",
        t.gettext("Votre référence, pour le téléphone ou le guichet : %(ref)s") % {"ref": row["reference"]},
        "",
        t.gettext("Vous recevez ce message parce que vous avez accepté d'être recontacté au sujet de cet avis."),
    ])


async def templates_for(service_id: int) -> list[dict]:
    return await templates_of(service_id)


async def save_template(staff: dict, service: dict, title: str, body: str, template_id: int | None = None, client: str = "") -> None:
    if not can_manage_templates(staff, service["id"]):
        raise AnswerError(_("Seuls les responsables du service modifient ses modèles de réponse."))
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise AnswerError(_("Donnez un titre et un texte au modèle."))
    if len(title) > 200 or len(body) > MAX_ANSWER:
        raise AnswerError(_("Le titre ou le texte est trop long."))
    now = dt.datetime.now(dt.timezone.utc)
    if template_id:
        # Only this service's template: another service's id changes nothing, and so is not audited.
        if not await update_template(template_id, service["id"], title, body, staff["id"], now):
            raise TemplateNotFound(_("Ce modèle de réponse n’existe pas pour ce service."))
    else:
        template_id = await add_template(service["id"], title, body, staff["id"], now)
    await audit.record("edit_template", staff, service_id=service["id"], client=client,
                       detail={"title": title, "template": template_id})
