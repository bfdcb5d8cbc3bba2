"""Staff pages of a service's commitments ("you said, we did"): publish one, give it a dated update."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from portal.review import commitments
from portal.review.access import service_for
from portal.review.language import staff_language
from portal.review.request_values import row_id
from portal.review.sessions import current_staff, request_client
from portal.web.csrf import csrf_ok, with_csrf
from portal.web.i18n import _


async def _page(request: Request, staff: dict, service: dict, status: int = 200, error: str | None = None,
                values: dict | None = None, editing: int | None = None) -> Template:
    context = {
        "staff": staff, "service": service, "error": error, "values": values or {}, "editing": editing,
        "commitments": await commitments.commitments_for(service), **await commitments.choices_for(service),
    }
    return with_csrf(request, "staff/commitments.html", context, status=status)


class CommitmentPages(Controller):
    path = "/staff/services/{code:str}/commitments"
    include_in_schema = False
    before_request = staff_language

    @get("/")
    async def list_commitments(self, request: Request, code: FromPath[str]) -> Template:
        staff = await current_staff(request)
        return await _page(request, staff, await service_for(staff, code))

    @post("/", status_code=303)
    async def publish(self, request: Request, code: FromPath[str], data: URLEncodedBody[dict[str, str]]) -> Response:
        staff = await current_staff(request)
        service = await service_for(staff, code)
        if not csrf_ok(request, data):
            return await _page(request, staff, service, 400, _("La page a expiré : recommencez."), data)
        try:
            commitment_id = await commitments.publish_commitment(staff, service, data, request_client(request))
        except commitments.CommitmentError as exc:
            return await _page(request, staff, service, 422, str(exc), data)
        return Redirect(path=f"/staff/services/{code}/commitments#commitment-{commitment_id}", status_code=303)

    @post("/{commitment_id:str}", status_code=303)
    async def update(self, request: Request, code: FromPath[str], commitment_id: FromPath[str],
                     data: URLEncodedBody[dict[str, str]]) -> Response:
        staff = await current_staff(request)
        service = await service_for(staff, code)
        wanted = row_id(commitment_id)
        if wanted is None or await commitments.commitment_of(service, wanted) is None:
            raise NotFoundException()
        if not csrf_ok(request, data):
            return await _page(request, staff, service, 400, _("La page a expiré : recommencez."), data, wanted)
        try:
            await commitments.update_commitment(staff, service, wanted, data, request_client(request))
        except commitments.CommitmentError as exc:
            return await _page(request, staff, service, 422, str(exc), data, wanted)
        return Redirect(path=f"/staff/services/{code}/commitments#commitment-{wanted}", status_code=303)
