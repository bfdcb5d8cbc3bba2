"""The personal-data page of the administration: find what is linked to an e-mail address or a reference, see what
would be erased, erase it once confirmed, or download it as JSON. The address or reference travels in forms only
(never in an address bar, so never in an access log), and the answers are not cached."""

from __future__ import annotations

import datetime as dt
import json

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from portal.admin.forms import FormErrors, expired, form_page, posted, problem
from portal.admin.pages import ADMIN_ONLY, BASE, actor
from portal.admin.privacy import erase_person, export_person, find_person, person_from
from portal.review.language import staff_language
from portal.review.sessions import current_staff
from portal.settings import Settings
from portal.store.retention import retention_runs
from portal.web.formats import portal_zone
from portal.web.i18n import N_

PAGE = f"{BASE}/privacy"
CONFIRM = N_("Cochez la case pour confirmer l’effacement : il ne peut pas être défait.")
EXPORT_NAME = "donnees-personnelles.json"


class PrivacyPages(Controller):
    path = PAGE
    before_request = staff_language
    include_in_schema = False
    guards = ADMIN_ONLY

    @get("/")
    async def page(self, request: Request, settings: NamedDependency[Settings]) -> Template:
        return await _page(request, settings)

    @post("/", status_code=200)
    async def find(self, request: Request, settings: NamedDependency[Settings]) -> Response:
        p, person, refused = await _person_posted(request, settings)
        if refused is not None:
            return refused
        staff, client = await actor(request)
        return await _page(request, settings, who=p.get("who"), found=await find_person(person, staff, client))

    @post("/erase", status_code=200)
    async def erase(self, request: Request, settings: NamedDependency[Settings]) -> Response:
        p, person, refused = await _person_posted(request, settings)
        if refused is not None:
            return refused
        staff, client = await actor(request)
        if p.get("confirm") != "yes":
            found = await find_person(person, staff, client)
            return await _page(request, settings, who=p.get("who"), found=found, errors=[problem("confirm", CONFIRM)])
        return await _page(request, settings, erased=await erase_person(person, staff, client))

    @post("/export", status_code=200)
    async def export(self, request: Request, settings: NamedDependency[Settings]) -> Response:
        p, person, refused = await _person_posted(request, settings)
        if refused is not None:
            return refused
        staff, client = await actor(request)
        document = await export_person(person, staff, client)
        return Response(
            content=json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"),
            media_type="application/json; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{EXPORT_NAME}"', "Cache-Control": "no-store"},
        )


async def _person_posted(request: Request, settings: Settings):
    """The posted form and the person it names, or the page that refuses it (expired form, unreadable entry)."""
    p = await posted(request)
    if not p.csrf_valid:
        return p, None, await _page(request, settings, who=p.get("who"), errors=expired(), status=400)
    try:
        return p, person_from(p.get("who")), None
    except FormErrors as exc:
        return p, None, await _page(request, settings, who=p.get("who"), errors=exc.errors)


async def _page(request: Request, settings: Settings, who: str = "", errors=(), status: int | None = None,
                **context) -> Template:
    response = form_page(request, "admin/privacy.html", {
        "staff": await current_staff(request), "values": {"who": who}, "runs": await retention_runs(5),
        "today": dt.datetime.now(dt.timezone.utc).astimezone(portal_zone(settings.time_zone)).date().isoformat(),
        "retention_months": settings.retention_months, "staff_inactive_months": settings.staff_inactive_months,
        **context,
    }, errors, status)
    response.headers["Cache-Control"] = "no-store"
    return response
