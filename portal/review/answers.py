"""The status workflow, public answers (queued for e-mail when the citizen agreed) and answer templates."""

from __future__ import annotations

import datetime as dt

from portal.feedback import follow_up
from portal.review import audit
from portal.review.access import can_manage_templates
from portal.settings import Settings
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


async def answer(staff: dict, item: dict, text: str, settings: Settings, client: str = "") -> bool:
    """Store the public answer, mark it answered, queue the citizen's e-mail if they agreed; True if queued.

    The e-mail goes out from the outbox (portal.feedback.follow_up_mail): a failing SMTP server neither
    loses it nor holds up the answer.
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
    mailed = bool(sum(queued))
    if mailed:
        follow_up.mail_queued()
    await audit.record("answer", staff, feedback_id=item["id"], service_id=item["service"], client=client,
                       detail={"emailed": mailed, "length": len(text)})
    return mailed


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
