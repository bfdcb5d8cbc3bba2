"""Administration of services: the list, the create and edit forms, deactivation."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.admin import services
from portal.admin.forms import FormErrors, expired, form_page, posted
from portal.admin.pages import ADMIN_ONLY, BASE, actor
from portal.review.language import staff_language
from portal.review.sessions import current_staff
from portal.web.i18n import N_, message_named

DONE = {
    "created": N_("Le service a été créé."),
    "saved": N_("Les modifications du service sont enregistrées."),
    "deactivated": N_("Le service est désactivé : il ne reçoit plus d’avis, ses avis et ses chiffres restent."),
}


def _form_of(p) -> services.ServiceForm:
    return services.ServiceForm(
        code=p.get("code"), name_fr=p.get("name_fr"), name_en=p.get("name_en"), description_fr=p.get("description_fr"),
        description_en=p.get("description_en"), owner_emails=p.get("owner_emails"), active=p.get("active") == "yes",
        resolved_after_days=p.get("resolved_after_days"),
        answer_days=p.get("answer_days", "10"),
    )


class ServicePages(Controller):
    path = f"{BASE}/services"
    before_request = staff_language
    include_in_schema = False
    guards = ADMIN_ONLY

    @get("/")
    async def list_services(self, request: Request) -> Template:
        return Template(template_name="admin/services.html", context={
            "staff": await current_staff(request), "services": await services.services(),
            "done": message_named(DONE, request.query_params.get("done")),
        })

    @get("/new")
    async def new_service(self, request: Request) -> Template:
        return await _edit_page(request, None, services.ServiceForm())

    @post("/", status_code=303)
    async def create(self, request: Request) -> Response:
        p = await posted(request)
        form = _form_of(p)
        form.active = True
        if not p.csrf_valid:
            return await _edit_page(request, None, form, expired(), 400)
        staff, client = await actor(request)
        try:
            await services.create_service(form, staff, client)
        except FormErrors as exc:
            return await _edit_page(request, None, form, exc.errors)
        return Redirect(path=f"{BASE}/services?done=created", status_code=303)

    @get("/{service_id:int}")
    async def edit(self, request: Request, service_id: FromPath[int]) -> Template:
        row = await _service(service_id)
        return await _edit_page(request, row, services.ServiceForm.of(row))

    @post("/{service_id:int}", status_code=303)
    async def save(self, request: Request, service_id: FromPath[int]) -> Response:
        row = await _service(service_id)
        p = await posted(request)
        form = _form_of(p)
        if not p.csrf_valid:
            return await _edit_page(request, row, form, expired(), 400)
        staff, client = await actor(request)
        try:
            await services.change_service(service_id, form, staff, client)
        except FormErrors as exc:
            return await _edit_page(request, row, form, exc.errors)
        return Redirect(path=f"{BASE}/services?done=saved", status_code=303)

    @post("/{service_id:int}/deactivate", status_code=303)
    async def deactivate(self, request: Request, service_id: FromPath[int]) -> Response:
        row = await _service(service_id)
        p = await posted(request)
        if not p.csrf_valid:
            return await _edit_page(request, row, services.ServiceForm.of(row), expired(), 400)
        staff, client = await actor(request)
        await services.deactivate_service(service_id, staff, client)
        return Redirect(path=f"{BASE}/services?done=deactivated", status_code=303)


async def _service(service_id: int) -> dict:
    row = await services.service(service_id)
    if row is None:
        raise NotFoundException()
    return row


async def _edit_page(request: Request, row: dict | None, form: services.ServiceForm, errors=(), status: int | None = None) -> Template:
    return form_page(request, "admin/service_form.html",
                     {"staff": await current_staff(request), "service": row, "values": form}, errors, status)
