"""Administration of partners' API keys for Open311: the list, issuing one (shown once), revoking."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.admin.forms import expired, form_page, posted, problem
from portal.admin.pages import ADMIN_ONLY, BASE, actor
from portal.public.open311_keys import MAX_NAME, KeyNameProblem, issue_key, listed_keys, revoke_key
from portal.review.language import staff_language
from portal.review.sessions import current_staff
from portal.web.i18n import N_, message_named

DONE = {
    "revoked": N_("La clé est révoquée : l’API Open311 la refuse désormais."),
    "unknown": N_("Cette clé était déjà révoquée."),
}


class ApiKeyPages(Controller):
    path = f"{BASE}/api-keys"
    before_request = staff_language
    include_in_schema = False
    guards = ADMIN_ONLY

    @get("/")
    async def list_keys(self, request: Request) -> Template:
        return await _page(request, done=message_named(DONE, request.query_params.get("done")))

    @post("/", status_code=200)
    async def create(self, request: Request) -> Response:
        p = await posted(request)
        if not p.csrf_valid:
            return await _page(request, name=p.get("name"), errors=expired(), status=400)
        staff, client = await actor(request)
        try:
            issued = await issue_key(p.get("name"), staff, client)
        except KeyNameProblem:
            errors = [problem("name", N_("Donnez le nom du partenaire, en %(max)s caractères au plus."), max=MAX_NAME)]
            return await _page(request, name=p.get("name"), errors=errors)
        # Shown on this answer only: the store keeps its hash, so nobody can show it again.
        return await _page(request, issued=issued, status=201)

    @post("/{key_id:int}/revoke", status_code=303)
    async def revoke(self, request: Request, key_id: FromPath[int]) -> Response:
        p = await posted(request)
        if not p.csrf_valid:
            return await _page(request, errors=expired(), status=400)
        staff, client = await actor(request)
        done = "revoked" if await revoke_key(key_id, staff, client) else "unknown"
        return Redirect(path=f"{BASE}/api-keys?done={done}", status_code=303)


async def _page(request: Request, name: str = "", errors=(), status: int | None = None, **context) -> Template:
    response = form_page(request, "admin/api_keys.html", {
        "staff": await current_staff(request), "keys": await listed_keys(), "values": {"name": name}, **context,
    }, errors, status)
    response.headers["Cache-Control"] = "no-store"
    return response
