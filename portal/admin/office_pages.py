"""Administration of offices: the list with their kiosks and clerks, the create and edit forms."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.admin import offices
from portal.admin.devices import KINDS, STATES
from portal.admin.forms import FormErrors, expired, form_page, posted
from portal.admin.pages import ADMIN_ONLY, BASE, actor
from portal.review.language import staff_language
from portal.review.sessions import current_staff
from portal.store.directory import every_service, office_with_id
from portal.web.i18n import N_, current_language, message_named

DONE = {"created": N_("Le lieu a été créé."), "saved": N_("Les modifications du lieu sont enregistrées.")}


def _form_of(p, code: str = "") -> offices.OfficeForm:
    return offices.OfficeForm(code=code or p.get("code").lower(), name=p.get("name"), address=p.get("address"),
                              opening_hours=p.get("opening_hours"), services=p.getall("services"))


class OfficePages(Controller):
    path = f"{BASE}/offices"
    before_request = staff_language
    include_in_schema = False
    guards = ADMIN_ONLY

    @get("/")
    async def list_offices(self, request: Request) -> Template:
        return Template(template_name="admin/offices.html", context={
            "staff": await current_staff(request), "offices": await offices.offices_overview(),
            "services": {s["code"]: s for s in await every_service()}, "kinds": KINDS, "states": STATES,
            "done": message_named(DONE, request.query_params.get("done")),
        })

    @get("/new")
    async def new_office(self, request: Request) -> Template:
        return await _edit_page(request, None, offices.OfficeForm())

    @post("/", status_code=303)
    async def create(self, request: Request) -> Response:
        p = await posted(request)
        form = _form_of(p)
        if not p.csrf_valid:
            return await _edit_page(request, None, form, expired(), 400)
        staff, client = await actor(request)
        try:
            row = await offices.create_office(form, staff, client)
        except FormErrors as exc:
            return await _edit_page(request, None, form, exc.errors)
        return Redirect(path=f"{BASE}/offices?done=created#office-{row['code']}", status_code=303)

    @get("/{office_id:int}")
    async def edit(self, request: Request, office_id: FromPath[int]) -> Template:
        office = await _office(office_id)
        return await _edit_page(request, office, offices.OfficeForm(**{k: v for k, v in office.items() if k != "id"}))

    @post("/{office_id:int}", status_code=303)
    async def save(self, request: Request, office_id: FromPath[int]) -> Response:
        office = await _office(office_id)
        p = await posted(request)
        form = _form_of(p, code=office["code"])
        if not p.csrf_valid:
            return await _edit_page(request, office, form, expired(), 400)
        staff, client = await actor(request)
        try:
            await offices.change_office(office, form, staff, client)
        except FormErrors as exc:
            return await _edit_page(request, office, form, exc.errors)
        return Redirect(path=f"{BASE}/offices?done=saved#office-{office['code']}", status_code=303)


async def _office(office_id: int) -> dict:
    if await office_with_id(office_id) is None:
        raise NotFoundException()
    details = await offices.office_details(office_id)
    return {k: details[k] for k in ("id", "code", "name", "address", "opening_hours", "services")}


async def _edit_page(request: Request, office: dict | None, form: offices.OfficeForm, errors=(), status: int | None = None) -> Template:
    services = [(s["code"], s["name_en"] if current_language.get() == "en" else s["name_fr"])
                for s in await every_service() if s["active"] or s["code"] in form.services]
    return form_page(request, "admin/office_form.html", {
        "staff": await current_staff(request), "office": office, "values": form, "service_options": services,
    }, errors, status)
