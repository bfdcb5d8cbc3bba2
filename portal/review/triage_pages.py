"""Inbox and item pages: filter, open, read the original, correct, move, answer, publish."""

from __future__ import annotations

from urllib.parse import parse_qs

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from portal.review import answers, flags, items, publication
from portal.review.access import (
    TRIAGE_ROLES,
    all_offices,
    feedback_for,
    visible_services,
)
from portal.review.language import staff_language
from portal.review.inbox import (
    BulkError,
    InboxFilter,
    InboxPage,
    InvalidCursor,
    bulk_set_status,
    export_inbox,
    list_inbox,
    open_inbox,
    view_counts,
)
from portal.review.assignment import assignment_view
from portal.review.inbox_views import bulk_assignees, view_links
from portal.review.request_values import plain_int, row_id
from portal.review.sessions import current_staff, request_client, requires_role
from portal.settings import Settings
from portal.store.core.tables import CHANNELS, SENTIMENTS
from portal.store.status import BULK_STATUSES, STATUSES
from portal.web.csrf import csrf_ok, with_csrf
from portal.web.i18n import N_, _, message_named
from portal.web.settings import settings_of

EXPIRED = N_("La page a expiré : recommencez (votre saisie est conservée).")
DONE = {
    "labels": N_("Correction enregistrée."),
    "status": N_("Statut modifié."),
    "answer": N_("Réponse enregistrée ; elle est visible sur la page de suivi du citoyen."),
    "answer_mailed": N_("Réponse enregistrée et envoyée par e-mail au citoyen."),
    "answer_not_asked": N_("Réponse enregistrée ; elle est visible sur la page de suivi du citoyen, "
                           "qui n’a pas demandé de réponse par e-mail."),
    "answer_no_smtp": N_("Réponse enregistrée, mais pas envoyée par e-mail : aucun envoi d’e-mail n’est configuré "
                         "sur ce portail. Elle est visible sur la page de suivi du citoyen."),
    "answer_failed": N_("Réponse enregistrée, mais l’envoi par e-mail a échoué (voir la raison ci-dessous). "
                        "Elle est visible sur la page de suivi du citoyen."),
    "answer_queued": N_("Réponse enregistrée ; l’e-mail au citoyen part dans la minute (où il en est s’affiche ci-dessous). "
                        "Elle est visible sur la page de suivi du citoyen."),
    "mail_queued": N_("L’e-mail de la réponse est de nouveau en file d’envoi."),
    "mail_sent": N_("Réponse envoyée par e-mail au citoyen."),
    "mail_failed": N_("L’envoi par e-mail a de nouveau échoué (voir la raison ci-dessous)."),
    "mail_no_smtp": N_("Toujours pas d’envoi possible : aucun envoi d’e-mail n’est configuré sur ce portail."),
    "flag_cleared": N_("Signalement levé ; la raison est gardée dans l’historique."),
    "published": N_("Avis publié (texte masqué)."),
    "withdrawn": N_("Publication retirée."),
    "assigned": N_("Attribution enregistrée."),
}


async def _item_page(request: Request, staff: dict, item: dict, status: int = 200, **extra) -> Template:
    context = await items.item_view(item)
    template_id = request.query_params.get("template")
    chosen = next((t for t in context["templates"] if str(t["id"]) == template_id), None)
    context.update(
        staff=staff, error=None, original=None, done=message_named(DONE, request.query_params.get("done")),
        answer_text=chosen["body"] if chosen else (context["item"]["public_answer"] or ""),
        publish_text=(context["publication"] or {}).get("text") or context["item"]["redacted_text"],
        flag_reason="",
    )
    context["assignment"] = await assignment_view(staff, item, settings_of(request))
    context.update(extra)
    return with_csrf(request, "staff/item.html", context, status=status)


async def _inbox_page(request: Request, staff: dict, params: dict[str, list[str]], after: str | None = None,
                      status: int = 200, error: str | None = None) -> Template:
    """The inbox for these query parameters; 400 with the filters kept when one of them names nothing."""
    filters = InboxFilter.from_query(params, settings_of(request).time_zone)
    problems = list(filters.problems)
    page = InboxPage([], None)
    new_since = await open_inbox(staff)
    if not problems:
        try:
            page = await list_inbox(staff, filters, after, new_since=new_since)
        except InvalidCursor as exc:
            problems.append(str(exc))
    if problems:
        status, error = 400, " ".join(problems)
    query = [(k, v) for k, values in params.items() if k not in ("after", "done", "moved") for v in values]
    context = {
        "staff": staff, "page": page, "filters": filters, "query": query, "error": error, "bad_filters": bool(problems),
        "services": await visible_services(staff), "offices": await all_offices(),
        "channels": CHANNELS, "sentiments": SENTIMENTS, "statuses": STATUSES, "topics": await items.topic_choices(),
        "bulk_statuses": BULK_STATUSES, "moved": _moved(request.query_params.get("moved")) if status == 200 else None,
        "first_page": not after, "typed": {name: (params.get(name) or [""])[0][:40] for name in ("since", "until")},
        "counts": await view_counts(staff, filters, new_since), "new_since": new_since,
        "view_links": view_links(params), "assign_people": await bulk_assignees(staff),
        "assigned": plain_int(request.query_params.get("assigned")) if status == 200 else None,
    }
    return with_csrf(request, "staff/inbox.html", context, status=status)


def _moved(value: str | None) -> str | None:
    """The outcome of a bulk move, as its redirect wrote it: a count or "expired", nothing else."""
    return value if value == "expired" or plain_int(value) is not None else None


class TriagePages(Controller):
    path = "/staff"
    include_in_schema = False
    before_request = staff_language
    guards = [requires_role(*TRIAGE_ROLES)]

    @get("/inbox")
    async def inbox(self, request: Request) -> Template:
        staff = await current_staff(request)
        params = {key: request.query_params.getall(key) for key in request.query_params}
        return await _inbox_page(request, staff, params, request.query_params.get("after"))

    @get("/inbox.csv")
    async def inbox_csv(self, request: Request) -> Response:
        staff = await current_staff(request)
        params = {key: request.query_params.getall(key) for key in request.query_params}
        filters = InboxFilter.from_query(params, settings_of(request).time_zone)
        if filters.problems:
            return await _inbox_page(request, staff, params)
        body = await export_inbox(staff, filters, request_client(request))
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="avis.csv"'})

    @post("/inbox/status", status_code=303)
    async def bulk_status(self, request: Request, settings: NamedDependency[Settings]) -> Response:
        staff = await current_staff(request)
        form = await request.form()
        data = {k: form.get(k) for k in form}
        if not csrf_ok(request, data):
            return Redirect(path="/staff/inbox?moved=expired", status_code=303)
        ids = [i for i in (row_id(str(v)) for v in form.getall("item", [])) if i is not None]
        back = str(data.get("back") or "")
        try:
            moved = await bulk_set_status(staff, ids, str(data.get("status") or ""), request_client(request),
                                          settings=settings)
        except BulkError as exc:
            params = parse_qs(back, keep_blank_values=True) if "\n" not in back else {}
            return await _inbox_page(request, staff, params, status=422, error=str(exc))
        return Redirect(path=f"/staff/inbox?moved={moved}" + (f"&{back}" if back and "\n" not in back else ""), status_code=303)

    @get("/items/{feedback_id:int}")
    async def item(self, request: Request, feedback_id: FromPath[int]) -> Template:
        staff = await current_staff(request)
        return await _item_page(request, staff, await feedback_for(staff, feedback_id))

    @post("/items/{feedback_id:int}/original", status_code=200)
    async def original(self, request: Request, feedback_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Template:
        staff = await current_staff(request)
        item = await feedback_for(staff, feedback_id)
        if not csrf_ok(request, data):
            return await _item_page(request, staff, item, status=400, error=_(EXPIRED))
        text = await items.original_text(staff, item, request_client(request))
        return await _item_page(request, staff, item, original=text)

    @post("/items/{feedback_id:int}/labels", status_code=303)
    async def labels(self, request: Request, feedback_id: FromPath[int]) -> Response:
        staff = await current_staff(request)
        item = await feedback_for(staff, feedback_id)
        form = await request.form()
        if not csrf_ok(request, {"csrf_token": form.get("csrf_token")}):
            return await _item_page(request, staff, item, status=400, error=_(EXPIRED))
        try:
            await items.correct_labels(
                staff, item, str(form.get("sentiment") or "") or None, [str(t) for t in form.getall("topic", [])],
                form.get("urgent") == "yes", request_client(request),
            )
        except items.CorrectionError as exc:
            return await _item_page(request, staff, item, status=422, error=str(exc))
        return Redirect(path=f"/staff/items/{feedback_id}?done=labels", status_code=303)

    @post("/items/{feedback_id:int}/status", status_code=303)
    async def status(self, request: Request, settings: NamedDependency[Settings], feedback_id: FromPath[int],
                     data: URLEncodedBody[dict[str, str]]) -> Response:
        staff = await current_staff(request)
        item = await feedback_for(staff, feedback_id)
        if not csrf_ok(request, data):
            return await _item_page(request, staff, item, status=400, error=_(EXPIRED))
        try:
            await answers.change_status(staff, item, data.get("status", ""), request_client(request), settings)
        except answers.AnswerError as exc:
            return await _item_page(request, staff, item, status=422, error=str(exc))
        return Redirect(path=f"/staff/items/{feedback_id}?done=status", status_code=303)

    @post("/items/{feedback_id:int}/answer", status_code=303)
    async def answer(
        self, request: Request, settings: NamedDependency[Settings], feedback_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        staff = await current_staff(request)
        item = await feedback_for(staff, feedback_id)
        text = data.get("answer", "")
        if not csrf_ok(request, data):
            return await _item_page(request, staff, item, status=400, error=_(EXPIRED), answer_text=text)
        try:
            state = await answers.answer(staff, item, text, settings, request_client(request))
        except answers.AnswerError as exc:
            return await _item_page(request, staff, item, status=422, error=str(exc), answer_text=text)
        done = {"sent": "answer_mailed", "not_asked": "answer_not_asked", "no_smtp": "answer_no_smtp",
                "failed": "answer_failed", "queued": "answer_queued"}.get(state, "answer")
        return Redirect(path=f"/staff/items/{feedback_id}?done={done}", status_code=303)

    @post("/items/{feedback_id:int}/answer/mail", status_code=303)
    async def retry_mail(
        self, request: Request, settings: NamedDependency[Settings], feedback_id: FromPath[int],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        staff = await current_staff(request)
        item = await feedback_for(staff, feedback_id)
        if not csrf_ok(request, data):
            return await _item_page(request, staff, item, status=400, error=_(EXPIRED))
        try:
            state = await answers.retry_answer_mail(staff, item, settings, request_client(request))
        except answers.AnswerError as exc:
            return await _item_page(request, staff, item, status=422, error=str(exc))
        return Redirect(path=f"/staff/items/{feedback_id}?done=mail_{state}", status_code=303)

    @post("/items/{feedback_id:int}/flag", status_code=303)
    async def clear_flag(self, request: Request, feedback_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Response:
        staff = await current_staff(request)
        item = await feedback_for(staff, feedback_id)
        reason = data.get("reason", "")
        if not csrf_ok(request, data):
            return await _item_page(request, staff, item, status=400, error=_(EXPIRED), flag_reason=reason)
        try:
            await flags.clear_flag(staff, item, reason, request_client(request))
        except flags.FlagError as exc:
            return await _item_page(request, staff, item, status=422, error=str(exc), flag_reason=reason)
        return Redirect(path=f"/staff/items/{feedback_id}?done=flag_cleared", status_code=303)

    @post("/items/{feedback_id:int}/publication", status_code=303)
    async def publication(self, request: Request, feedback_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Response:
        staff = await current_staff(request)
        item = await feedback_for(staff, feedback_id)
        text = data.get("text")
        if not csrf_ok(request, data):
            return await _item_page(request, staff, item, status=400, error=_(EXPIRED), publish_text=text or "")
        if data.get("action") == "withdraw":
            await publication.withdraw(staff, item, request_client(request))
            return Redirect(path=f"/staff/items/{feedback_id}?done=withdrawn", status_code=303)
        try:
            await publication.publish(staff, item, text, request_client(request))
        except publication.PublicationError as exc:
            return await _item_page(request, staff, item, status=422, error=str(exc), publish_text=text or "")
        return Redirect(path=f"/staff/items/{feedback_id}?done=published", status_code=303)
