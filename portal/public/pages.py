"""The public page of published feedback and answers (moderated, redacted)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from portal.public.me_too_pages import publications_page


class PublicationPages(Controller):
    path = "/publications"
    include_in_schema = False

    @get("/")
    async def list_published(self, request: Request) -> Template:
        return await publications_page(request)
