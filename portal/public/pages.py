"""The old `/publications` addresses: published feedback now lives on each service's results page."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from portal.feedback.intake import find_service
from portal.public import me_too


class PublicationPages(Controller):
    path = "/publications"
    include_in_schema = False

    @get("/", status_code=301)
    async def list_published(self, request: Request) -> Redirect:
        # ?service=CODE (old links to one service's list) goes to that service's results; otherwise the home
        # page, which lists every service with a link to its results.
        code = (request.query_params.get("service") or "").strip()
        if code and await find_service(code):
            return Redirect(path=f"/s/{code}/results#published", status_code=301)
        return Redirect(path="/#services-title", status_code=301)

    @post("/{publication_id:int}/me-too", status_code=308)
    async def vote(self, publication_id: FromPath[int]) -> Redirect:
        # A form posted from an old page: 308 keeps the method and the body.
        code = await me_too.service_of_publication(publication_id)
        if code is None:
            raise NotFoundException()
        return Redirect(path=f"/s/{code}/results/{publication_id}/me-too", status_code=308)
