"""Assignment pages: assign one item from its page, or the ticked items of the inbox."""

from __future__ import annotations

from urllib.parse import parse_qs

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from portal.review.access import TRIAGE_ROLES, feedback_for
from portal.review.assignment import AssignmentError, assign_item, bulk_assign
from portal.review.language import staff_language
from portal.review.request_values import row_id
from portal.review.sessions import current_staff, request_client, requires_role
from portal.review.triage_pages import EXPIRED, _inbox_page, _item_page
from portal.settings import Settings
from portal.web.csrf import csrf_ok
from portal.web.i18n import _


class AssignmentPages(Controller):
    path = "/staff"
    include_in_schema = False
    before_request = staff_language
    guards = [requires_role(*TRIAGE_ROLES)]

    @post("/items/{feedback_id:int}/assign", status_code=303)
    async def assign(self, request: Request, settings: NamedDependency[Settings], feedback_id: FromPath[int]) -> Response:
        staff = await current_staff(request)
        item = await feedback_for(staff, feedback_id)
        form = await request.form()
        if not csrf_ok(request, {"csrf_token": form.get("csrf_token")}):
            return await _item_page(request, staff, item, status=400, error=_(EXPIRED))
        try:
            await assign_item(staff, item, str(form.get("assignee") or ""), str(form.get("due") or ""), settings,
                              request_client(request))
        except AssignmentError as exc:
            return await _item_page(request, staff, item, status=422, error=str(exc),
                                    assign_typed={"assignee": str(form.get("assignee") or ""), "due": str(form.get("due") or "")[:40]})
        return Redirect(path=f"/staff/items/{feedback_id}?done=assigned", status_code=303)

    @post("/inbox/assign", status_code=303)
    async def bulk(self, request: Request, settings: NamedDependency[Settings]) -> Response:
        staff = await current_staff(request)
        form = await request.form()
        if not csrf_ok(request, {"csrf_token": form.get("csrf_token")}):
            return Redirect(path="/staff/inbox?moved=expired", status_code=303)
        ids = [i for i in (row_id(str(v)) for v in form.getall("item", [])) if i is not None]
        back = str(form.get("back") or "")
        back = back if "\n" not in back else ""
        try:
            assigned = await bulk_assign(staff, ids, str(form.get("assignee") or ""), settings, request_client(request))
        except AssignmentError as exc:
            return await _inbox_page(request, staff, parse_qs(back, keep_blank_values=True), status=422, error=str(exc))
        return Redirect(path=f"/staff/inbox?assigned={assigned}" + (f"&{back}" if back else ""), status_code=303)
