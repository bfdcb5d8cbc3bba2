"""Dashboards per service and per office, answer templates, and the administrators' audit log."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from portal.review import answers, audit
from portal.review.access import can_manage_templates, office_for, require_admin, service_for, visible_offices, visible_services
from portal.review.language import staff_language
from portal.review.dashboards import dashboard, inbox_link
from portal.review.request_values import BadValue, day, plain_int, row_id
from portal.review.sessions import current_staff, request_client
from portal.web.csrf import csrf_ok, with_csrf
from portal.settings import Settings
from portal.web.formats import in_language
from portal.web.i18n import _
from portal.web.settings import settings_of


def _weeks(request: Request) -> int:
    weeks = plain_int(request.query_params.get("weeks"))
    return min(max(weeks, 1), 104) if weeks is not None else 12


def _audit_filter(q, time_zone: str) -> tuple[audit.AuditFilter, list[str]]:
    """The audit filter asked for, and what in it names nothing (the page then answers 400)."""
    problems = []

    def a_day(name: str, label: str) -> dt.date | None:
        try:
            return day(q.get(name), label)
        except BadValue as exc:
            problems.append(str(exc))
            return None

    before = (q.get("before") or "").strip()
    before_id = row_id(before)
    if before and before_id is None:
        problems.append(_("Ce lien vers les événements plus anciens n’est plus valide : revenez à la première page."))
    f = audit.AuditFilter(
        action=q.get("action") if q.get("action") in audit.ACTIONS else None,
        actor_email=(q.get("actor") or "").strip()[:254] or None,
        reference=(q.get("reference") or "").strip().upper()[:16] or None,
        since=a_day("since", _("Depuis le")), until=a_day("until", _("Jusqu’au")),
        before_id=before_id, time_zone=time_zone,
    )
    return f, problems


class OverviewPages(Controller):
    path = "/staff"
    include_in_schema = False
    before_request = staff_language

    @get("/dashboards")
    async def dashboards(self, request: Request) -> Template:
        staff = await current_staff(request)
        return Template(
            template_name="staff/dashboards.html",
            context={"staff": staff, "services": await visible_services(staff), "offices": await visible_offices(staff)},
        )

    @get("/dashboards/services/{code:str}")
    async def service_dashboard(self, request: Request, settings: NamedDependency[Settings], code: FromPath[str]) -> Template:
        staff = await current_staff(request)
        service = await service_for(staff, code)
        figures = await dashboard(service_id=service["id"], weeks=_weeks(request), time_zone=settings.time_zone,
                                  min_answers=settings.dashboard_min_answers)
        name = in_language(service["name_fr"], service.get("name_en"))
        context = {"staff": staff, "name": name, "d": figures, "path": f"/staff/dashboards/services/{code}",
                   "inbox": inbox_link(staff, service=service["id"])}
        return Template(template_name="staff/dashboard.html", context=context)

    @get("/dashboards/offices/{code:str}")
    async def office_dashboard(self, request: Request, settings: NamedDependency[Settings], code: FromPath[str]) -> Template:
        staff = await current_staff(request)
        office = await office_for(staff, code)
        figures = await dashboard(office_id=office["id"], weeks=_weeks(request), time_zone=settings.time_zone,
                                  min_answers=settings.dashboard_min_answers)
        context = {"staff": staff, "name": office["name"], "d": figures, "path": f"/staff/dashboards/offices/{code}",
                   "inbox": inbox_link(staff, office=office["id"])}
        return Template(template_name="staff/dashboard.html", context=context)

    @get("/services/{code:str}/templates")
    async def templates(self, request: Request, code: FromPath[str]) -> Template:
        staff = await current_staff(request)
        service = await service_for(staff, code)
        return await _templates_page(request, staff, service)

    @post("/services/{code:str}/templates", status_code=303)
    async def save_template(self, request: Request, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Response:
        staff = await current_staff(request)
        service = await service_for(staff, code)
        values = {"title": data.get("title", ""), "body": data.get("body", "")}
        if not csrf_ok(request, data):
            return await _templates_page(request, staff, service, 400, _("La page a expiré : recommencez."), values)
        raw_id = data.get("id", "").strip()
        template_id = row_id(raw_id) if raw_id else None
        try:
            if raw_id and template_id is None and can_manage_templates(staff, service["id"]):
                raise answers.TemplateNotFound(_("Ce modèle de réponse n’existe pas pour ce service."))
            await answers.save_template(staff, service, values["title"], values["body"], template_id, request_client(request))
        except answers.TemplateNotFound as exc:
            return await _templates_page(request, staff, service, 404, str(exc), values)
        except answers.AnswerError as exc:
            status = 403 if not can_manage_templates(staff, service["id"]) else 422
            return await _templates_page(request, staff, service, status, str(exc), values)
        return Redirect(path=f"/staff/services/{code}/templates", status_code=303)

    @get("/audit")
    async def audit_log(self, request: Request) -> Template:
        staff = await current_staff(request)
        require_admin(staff)
        q = request.query_params
        f, problems = _audit_filter(q, settings_of(request).time_zone)
        events = [] if problems else await audit.list_events(f)
        query = [(k, v) for k, v in q.items() if k != "before" and v]
        return Template(
            template_name="staff/audit.html",
            context={"staff": staff, "events": events, "f": f, "actions": audit.ACTIONS, "query": query,
                     "older": events[-1]["id"] if len(events) == f.limit else None,
                     "error": " ".join(problems) or None,
                     "typed": {name: (q.get(name) or "")[:40] for name in ("since", "until")}},
            status_code=400 if problems else 200,
        )


async def _templates_page(request: Request, staff: dict, service: dict, status: int = 200, error: str | None = None,
                          values: dict | None = None) -> Template:
    context = {
        "staff": staff, "service": service, "error": error, "values": values or {"title": "", "body": ""},
        "templates": await answers.templates_for(service["id"]), "can_edit": can_manage_templates(staff, service["id"]),
    }
    return with_csrf(request, "staff/templates.html", context, status=status)
