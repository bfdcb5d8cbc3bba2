"""The status workflow, public answers (queued for e-mail when the citizen agreed) and answer templates."""

from __future__ import annotations

import datetime as dt

from portal.feedback import follow_up
from portal.review import audit
from portal.review.access import can_manage_templates
from portal.settings import Settings
from portal.store.answer_mail import NO_SMTP, NOT_ASKED, QUEUED, RETRY_STATES, answer_mail_of, set_answer_mail
from portal.store.feedback import answer_recipient
from portal.store.publications import add_template, templates_of, update_template
from portal.store.status import mark_answered, set_status
from portal.web.i18n import _

MAX_ANSWER = 4000


class AnswerError(ValueError):
    """The answer or move is refused; the message is for the person."""


class TemplateNotFound(AnswerError):
    """No template of this service has that id (it may belong to another service)."""


async def change_status(staff: dict, item: dict, status: str, client: str = "", settings: Settings | None = None) -> None:
    """Move one feedback to `status` along the store's moves table; the move, its audit row and the citizen's
    notice (when they agreed to e-mails and `settings` sends e-mail) commit together."""
    notify = follow_up.notice(settings) if settings is not None else None
    if await set_status(item["id"], status, staff, client=client, notify=notify) is None:
        raise AnswerError(_("Ce changement de statut n'est pas possible."))
    if notify is not None:
        follow_up.mail_queued()


async def answer(staff: dict, item: dict, text: str, settings: Settings, client: str = "",
                 detail: dict | None = None) -> str:
    """Store the public answer, mark it answered, queue the citizen's e-mail if they agreed; the e-mail's state.

    The e-mail goes out from the outbox (portal.feedback.follow_up_mail), which records whether it was
    sent or why not: a failing SMTP server neither loses it nor holds up the answer.
    """
    text = text.strip()
    if not text:
        raise AnswerError(_("Écrivez une réponse."))
    if len(text) > MAX_ANSWER:
        raise AnswerError(_("La réponse dépasse %(max)s caractères.") % {"max": MAX_ANSWER})
    now = dt.datetime.now(dt.timezone.utc)
    queued: list[int] = []
    notify = follow_up.answer_notice(settings)

    async def queue(ids: list[int]) -> None:
        queued.append(await notify(ids))

    await mark_answered(item["id"], text, now, notify=queue if notify is not None else None)
    state = await _record_mail_state(settings, item["id"], bool(sum(queued)))
    await audit.record("answer", staff, feedback_id=item["id"], service_id=item["service"], client=client,
                       detail={"emailed": state == QUEUED, "email_state": state, "length": len(text), **(detail or {})})
    return state


async def retry_answer_mail(staff: dict, item: dict, settings: Settings, client: str = "") -> str:
    """Queue the stored answer's e-mail again (after a failure, or once e-mail is set up); the new state."""
    row = await answer_mail_of(item["id"])
    if not row or not row["public_answer"]:
        raise AnswerError(_("Cet avis n’a pas encore de réponse à envoyer."))
    if row["answer_mail_state"] not in RETRY_STATES:
        raise AnswerError(_("Il n’y a pas d’e-mail à renvoyer pour cette réponse."))
    notify = follow_up.answer_notice(settings)
    queued = await notify([item["id"]]) if notify is not None else 0
    state = await _record_mail_state(settings, item["id"], bool(queued))
    await audit.record("retry_answer_mail", staff, feedback_id=item["id"], service_id=item["service"], client=client,
                       detail={"email_state": state})
    return state


async def _record_mail_state(settings: Settings, feedback_id: int, queued: bool) -> str:
    """Where the answer's e-mail stands once the answer is stored: queued, or why it will not be sent."""
    if queued:
        state = QUEUED
    else:
        row = await answer_recipient(feedback_id)
        agreed = bool(row and row["contact_email"] and row["contact_consent"])
        state = NO_SMTP if agreed and not settings.smtp_url else NOT_ASKED
    await set_answer_mail(feedback_id, state)
    if queued:
        follow_up.mail_queued()
    return state


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
