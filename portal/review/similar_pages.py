"""Staff pages of similar reports: a service's groups, one group, confirm, split out, merge, answer them all."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.review import similar_groups
from portal.review.access import TRIAGE_ROLES, service_for
from portal.review.language import staff_language
from portal.review.request_values import row_id
from portal.review.sessions import current_staff, request_client, requires_role
from portal.settings import Settings
from portal.web.csrf import csrf_ok, with_csrf
from portal.web.i18n import N_, _, message_named

EXPIRED = N_("La page a expiré : recommencez.")
DONE = {
    "confirmed": N_("Groupe confirmé."),
    "split": N_("Avis sortis du groupe ; le modèle ne les y remettra pas."),
    "merged": N_("Groupes fusionnés."),
    "answered": N_("Réponse enregistrée pour chaque avis du groupe ; elle est sur la page de suivi de chaque personne."),
}


async def _group_page(request: Request, staff: dict, group: dict, status: int = 200, error: str | None = None,
                      title: str | None = None, answer_text: str = "") -> Template:
    context = await similar_groups.group_page(group)
    context.update(staff=staff, error=error, done=message_named(DONE, request.query_params.get("done")),
                   title=group["title"] if title is None else title, answer_text=answer_text,
                   mailed=similar_groups.answer_counts(request.query_params))
    return with_csrf(request, "staff/similar_group.html", context, status=status)


class SimilarPages(Controller):
    path = "/staff"
    include_in_schema = False
    before_request = staff_language
    guards = [requires_role(*TRIAGE_ROLES)]

    @get("/similar")
    async def all_groups(self, request: Request) -> Template:
        staff = await current_staff(request)
        return Template(template_name="staff/similar_services.html",
                        context={"staff": staff, "services": await similar_groups.groups_by_service(staff)})

    @get("/services/{code:str}/similar")
    async def groups(self, request: Request, code: FromPath[str]) -> Template:
        staff = await current_staff(request)
        service = await service_for(staff, code)
        groups = await similar_groups.service_groups(service["id"])
        return Template(template_name="staff/similar_list.html",
                        context={"staff": staff, "service": service, "groups": groups,
                                 "gone": request.query_params.get("done") == "dissolved"})

    @get("/similar/{group_id:int}")
    async def group(self, request: Request, group_id: FromPath[int]) -> Template:
        staff = await current_staff(request)
        return await _group_page(request, staff, await similar_groups.group_for(staff, group_id))

    @post("/similar/{group_id:int}/confirm", status_code=303)
    async def confirm(self, request: Request, group_id: FromPath[int]) -> Response:
        staff = await current_staff(request)
        group = await similar_groups.group_for(staff, group_id)
        form = await request.form()
        title = str(form.get("title") or "")
        if not csrf_ok(request, {"csrf_token": form.get("csrf_token")}):
            return await _group_page(request, staff, group, 400, _(EXPIRED), title)
        try:
            await similar_groups.confirm(staff, group, title, request_client(request))
        except similar_groups.GroupError as exc:
            return await _group_page(request, staff, group, 422, str(exc), title)
        return Redirect(path=f"/staff/similar/{group_id}?done=confirmed", status_code=303)

    @post("/similar/{group_id:int}/split", status_code=303)
    async def split(self, request: Request, group_id: FromPath[int]) -> Response:
        staff = await current_staff(request)
        group = await similar_groups.group_for(staff, group_id)
        form = await request.form()
        if not csrf_ok(request, {"csrf_token": form.get("csrf_token")}):
            return await _group_page(request, staff, group, 400, _(EXPIRED))
        chosen = [i for i in (row_id(str(v)) for v in form.getall("item", [])) if i is not None]
        try:
            await similar_groups.split(staff, group, chosen, request_client(request))
        except similar_groups.GroupError as exc:
            return await _group_page(request, staff, group, 422, str(exc))
        if await similar_groups.group_exists(group_id):
            return Redirect(path=f"/staff/similar/{group_id}?done=split", status_code=303)
        return Redirect(path=f"/staff/services/{group['service_code']}/similar?done=dissolved", status_code=303)

    @post("/similar/{group_id:int}/merge", status_code=303)
    async def merge(self, request: Request, group_id: FromPath[int]) -> Response:
        staff = await current_staff(request)
        group = await similar_groups.group_for(staff, group_id)
        form = await request.form()
        if not csrf_ok(request, {"csrf_token": form.get("csrf_token")}):
            return await _group_page(request, staff, group, 400, _(EXPIRED))
        other = row_id(str(form.get("other") or ""))
        try:
            if other is None:
                raise similar_groups.GroupError(_("Choisissez le groupe à fusionner avec celui-ci."))
            await similar_groups.merge(staff, group, other, request_client(request))
        except similar_groups.GroupError as exc:
            return await _group_page(request, staff, group, 422, str(exc))
        return Redirect(path=f"/staff/similar/{group_id}?done=merged", status_code=303)

    @post("/similar/{group_id:int}/answer", status_code=303)
    async def answer(self, request: Request, settings: NamedDependency[Settings], group_id: FromPath[int]) -> Response:
        staff = await current_staff(request)
        group = await similar_groups.group_for(staff, group_id)
        form = await request.form()
        text = str(form.get("answer") or "")
        if not csrf_ok(request, {"csrf_token": form.get("csrf_token")}):
            return await _group_page(request, staff, group, 400, _(EXPIRED), answer_text=text)
        try:
            counts = await similar_groups.answer_group(staff, group, text, settings, form.get("close") == "yes",
                                                       request_client(request))
        except similar_groups.GroupError as exc:
            return await _group_page(request, staff, group, 422, str(exc), answer_text=text)
        query = "&".join(f"{state}={n}" for state, n in sorted(counts.items()) if n)
        return Redirect(path=f"/staff/similar/{group_id}?done=answered" + (f"&{query}" if query else ""), status_code=303)
